//! `torch`: Route 2 of the chapter, on libtorch.

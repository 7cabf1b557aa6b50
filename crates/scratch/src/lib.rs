//! `scratch`: Route 1 of the chapter, by hand.

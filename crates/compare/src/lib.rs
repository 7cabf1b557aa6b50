//! `compare`: both routes of the chapter on one split from one initialisation.
pub mod parity;

//! The `compare` binary.

fn main() {}

//! Coming next.
fn main() {}

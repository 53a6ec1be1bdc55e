//! Shared helpers for the runnable examples in this folder.
//!
//! Each example is a `[[example]]` target of this package, so `cargo run --example NAME` works
//! from the workspace root. The examples arrive with the examples issue.

//! Shared helpers of the runnable examples in this folder.
//!
//! Each example is a `[[example]]` target of this package, so `cargo run --example NAME` works
//! from the workspace root. Every example runs in one of two modes:
//!
//! - **emulator mode** (the default): an `entra-emulator` is started in this process over
//!   HTTPS. Its CA is trusted by this process's HTTP client only (never installed
//!   system-wide), instance discovery is off, and its built-in users and apps sign in;
//! - **real mode**: when the `AZURE_*` variables an example lists are all set, the same code
//!   talks to Microsoft Entra ID.
//!
//! The helpers here choose the mode ([`Sandbox`]), count the requests that reach the identity
//! provider ([`CountingHttpClient`]), parse the few flags the examples take ([`Args`]) and
//! print results the same way in every example ([`print`]).

pub mod args;
pub mod browser;
pub mod demo;
pub mod print;
pub mod sandbox;

pub use args::Args;
pub use sandbox::{CountingHttpClient, Sandbox, real_env};

/// The error type of the examples' `main`: any error, printed by its `Display`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

//! Cross-crate end-to-end tests.
//!
//! The scenarios live in this package's `tests/` folder and run the project's clients against
//! `entra-emulator` over real HTTPS on loopback. This library holds what they share.

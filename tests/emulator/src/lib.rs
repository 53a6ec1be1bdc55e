//! A local Microsoft Entra ID emulator.
//!
//! Filled by the emulator issue.

pub mod config;
pub mod error;
pub mod errors_placeholder {}

//! A local Microsoft Entra ID emulator.
//!
//! Filled by the emulator issue.

pub mod federation;

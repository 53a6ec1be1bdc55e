//! The grant flows. Each file adds `pub(crate)` methods to [`AppCore`](crate::app::AppCore);
//! the application types expose them.

pub(crate) mod accounts;
pub(crate) mod client_credentials;
pub(crate) mod refresh_token;
pub(crate) mod ropc;
pub(crate) mod silent;

#[cfg(test)]
mod wire_tests;

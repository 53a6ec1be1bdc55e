//! Protocol primitives of the Microsoft identity platform, and the credential vocabulary that
//! client libraries depend on.
//!
//! `msal-core` turns typed requests into HTTP and HTTP into typed responses. It knows no token
//! cache and no flow: those live in `msal-cache` and `msal-flows`. A library that only needs a
//! credential depends on this crate alone and takes an `Arc<dyn TokenCredential>`:
//!
//! ```
//! use std::sync::Arc;
//! use msal_core::{TokenCredential, TokenRequestOptions};
//!
//! /// A tiny SDK-style client: it knows nothing of flows or caches.
//! #[derive(Debug)]
//! struct GraphClient {
//!     credential: Arc<dyn TokenCredential>,
//! }
//!
//! impl GraphClient {
//!     async fn authorization_header(&self) -> msal_core::Result<String> {
//!         let token = self
//!             .credential
//!             .get_token(&["https://graph.microsoft.com/.default"], TokenRequestOptions::default())
//!             .await?;
//!         Ok(format!("Bearer {}", token.token.expose()))
//!     }
//! }
//! ```
//!
//! Modules, one per part of the wire:
//! - [`secret`]: the redacting [`Secret`] type for passwords, client secrets and tokens.
//! - [`error`]: [`Error`], [`ErrorKind`] and the service's [`EntraError`] body.
//! - [`credential`]: [`TokenCredential`], [`AccessToken`], [`AccessTokenInfo`],
//!   [`TokenRequestOptions`].
//! - [`http`]: the [`HttpClient`](http::HttpClient) trait, the reqwest client and the
//!   [`Pipeline`](http::Pipeline) (MSAL headers, retry, throttling).
//! - [`authority`]: authority parsing and endpoint resolution.
//! - [`endpoint`]: one module per Entra endpoint.
//! - [`oauth2`]: grant requests, token responses, error bodies.
//! - [`token`]: id_token and client_info decoding.
//! - [`crypto`]: PKCE, certificates, the client assertion JWT.
//! - [`wstrust`]: MEX and WS-Trust for federated accounts.

pub mod authority;
pub mod credential;
pub mod crypto;
pub mod endpoint;
pub mod error;
pub mod http;
pub mod oauth2;
pub mod secret;
pub mod token;
pub mod wstrust;

#[cfg(test)]
mod test_support;

/// The README's examples, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub use credential::{
    AccessToken, AccessTokenInfo, TokenCredential, TokenRequestOptions, TokenRequestOptionsBuilder,
};
pub use error::{EntraError, Error, ErrorKind, FailureReason, Result};
pub use secret::Secret;

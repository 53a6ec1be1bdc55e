//! Tokens the identity provider returns about the user: `client_info`, the id_token's claims,
//! and optional JWT signature validation against a JWKS document.
//!
//! Decoding never verifies a signature: MSAL libraries trust the token endpoint over TLS for
//! the id_token (OpenID Connect Core 3.1.3.7). Applications that receive tokens from
//! elsewhere can verify them with [`jwks`].
//!
//! Decoding errors are [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse);
//! the checks of a decoded token ([`IdTokenClaims::check_audience`] and its siblings, and
//! [`jwks::validate_jwt`]) return a [`TokenValidationError`] that callers can match on, and
//! that converts into a [`crate::Error`] with `?`.

pub mod client_info;
mod error;
pub mod id_token;
pub mod jwks;
pub mod jwt;

pub use client_info::ClientInfo;
pub use error::TokenValidationError;
pub use id_token::IdTokenClaims;
pub use jwks::{Jwks, JwtValidation};

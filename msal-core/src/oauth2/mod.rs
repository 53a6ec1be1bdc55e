//! OAuth2 wire types: scopes, claims, grant requests, token and device code responses, and
//! error bodies.
//!
//! - [`Scopes`]: the `scope` parameter, decorated for user flows.
//! - [`merge_claims`]: the `claims` parameter (challenge plus client capabilities).
//! - [`TokenRequest`], [`Grant`], [`ClientAuth`], [`AnchorMailbox`]: what is posted to the
//!   token endpoint.
//! - [`TokenResponse`], [`DeviceCodeResponse`]: what comes back on success.
//! - [`parse_error_response`]: what comes back on failure, as a classified [`Error`](crate::Error).

pub mod claims;
pub mod error_response;
pub mod request;
pub mod response;
pub mod scope;

#[cfg(test)]
pub(crate) mod test_support;

pub use claims::merge_claims;
pub use error_response::parse_error_response;
pub use request::{
    ANCHOR_MAILBOX_HEADER, AnchorMailbox, CLIENT_ASSERTION_TYPE_JWT, ClientAuth, Grant, GrantType,
    SamlVersion, TokenRequest,
};
pub use response::{DeviceCodeResponse, TokenResponse};
pub use scope::Scopes;

/// The largest JSON body the OAuth2 parsers accept (1 MiB). Real answers are a few KiB; a
/// bigger one is refused as [`ErrorKind::MalformedResponse`](crate::ErrorKind) rather than
/// parsed.
pub const MAX_JSON_BODY: usize = 1024 * 1024;

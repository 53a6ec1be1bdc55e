//! OAuth2 wire types: grant requests, token and device code responses, and error bodies.

pub mod error_response;

pub use error_response::parse_error_response;

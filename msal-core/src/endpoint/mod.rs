//! One module per Entra endpoint: each turns a typed request into HTTP through the
//! [`Pipeline`](crate::http::Pipeline) and the answer into a typed response, and owns that
//! endpoint's wire format. Nothing here knows about caches or flows.

pub mod authorize;
pub mod device_code;
pub mod imds;
pub mod instance_discovery;
pub mod mex;
pub mod oidc_discovery;
pub mod token;
pub mod user_realm;
pub mod wstrust;

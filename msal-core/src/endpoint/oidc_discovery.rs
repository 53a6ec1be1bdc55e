//! The `oidc_discovery` endpoint (to be written).

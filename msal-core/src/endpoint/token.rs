//! The `token` endpoint (to be written).

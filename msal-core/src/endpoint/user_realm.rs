//! The `user_realm` endpoint (to be written).

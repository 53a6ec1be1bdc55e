//! The `authorize` endpoint (to be written).

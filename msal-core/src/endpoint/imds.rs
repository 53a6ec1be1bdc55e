//! The `imds` endpoint (to be written).

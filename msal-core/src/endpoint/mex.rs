//! The `mex` endpoint (to be written).

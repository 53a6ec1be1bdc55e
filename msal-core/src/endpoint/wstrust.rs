//! The `wstrust` endpoint (to be written).

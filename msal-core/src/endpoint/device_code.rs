//! The `device_code` endpoint (to be written).

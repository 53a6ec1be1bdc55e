//! The `instance_discovery` endpoint (to be written).

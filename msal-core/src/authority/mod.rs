//! Authorities: parsing, classification, endpoint resolution (to be written).

//! Azure Identity credentials.
//!
//! This crate will hold `UsernamePasswordCredential` and its siblings, each implementing
//! [`msal_core::TokenCredential`], plus the chained and default credentials and the
//! `AuthenticationRecord`. It is a thin layer over `msal-flows`.
//!
//! It is filled by the `azure-credential` issue; today it only reserves its place in the
//! layering.

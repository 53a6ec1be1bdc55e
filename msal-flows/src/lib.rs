//! MSAL applications and grant flows.
//!
//! This crate will hold `PublicClientApplication`, `ConfidentialClientApplication` and
//! `ManagedIdentityClient`: every grant flow MSAL offers and the silent path, in the order MSAL
//! uses (cache first, then refresh token, then the grant). It sits on `msal-core` (the wire) and
//! `msal-cache` (the token cache).
//!
//! It is filled by the `msal-flows` issue; today it only reserves its place in the layering.

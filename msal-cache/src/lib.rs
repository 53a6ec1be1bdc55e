//! The MSAL unified token cache.
//!
//! This crate will hold the cache schema shared by MSAL Python, .NET, Node, Java, Go and the
//! Azure CLI, its indexes for the silent path, and its persistence (file with a cross-process
//! lock, OS secret store, Redis). It knows no HTTP: it stores and finds entities.
//!
//! It is filled by the `msal-cache` issue; today it only reserves its place in the layering
//! (`msal-core` below it, `msal-flows` above it).

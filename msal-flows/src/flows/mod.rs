//! The grant flows. Each file adds `pub(crate)` methods to [`AppCore`](crate::app::AppCore);
//! the application types (`public.rs`, `confidential.rs`, or `shared.rs` for both) expose
//! them through [`instrumented`](crate::call::instrumented), which opens the tracing span,
//! creates the [`CallContext`](crate::call::CallContext) (correlation id, options) and
//! attaches the correlation id to every error.
//!
//! Writing a flow (device code, auth code, OBO, ... in their own files here):
//! 1. Build the scopes with `Scopes::for_user` (user flows) or `Scopes::for_client`, and the
//!    claims with `AppCore::claims(ctx.options.claims)` (merges client capabilities).
//! 2. `let resolved = self.resolve(ctx).await?` for the endpoints (cached per app/process).
//! 3. Cache-first flows: `self.cache.load().await?`, then
//!    [`silent::lookup_access_token`] (`Subject::App`, `Subject::Account(home)`,
//!    `Subject::OnBehalfOf(hash)`) gives `Fresh`, `Aging` (refresh, fall back to it) or
//!    `Miss`; wrap the network part in `self.flights.run(&flight_key(&[...]), ..)` keyed by
//!    every part of the request identity, and re-check the cache inside it.
//! 4. Build a `TokenRequest` with the grant, scopes and claims, and send it with
//!    `self.redeem(request, &resolved.token_endpoint, ctx)`: the client credential (secret,
//!    certificate assertion, or the assertion callback, called per request) is added there.
//! 5. `self.store(response, &resolved, StoreParams { scopes, grant_type, .. }, ctx)` writes
//!    the cache per reference A2 and returns the `AuthenticationResult`.

pub(crate) mod accounts;
pub(crate) mod auth_code;
pub(crate) mod client_credentials;
pub(crate) mod device_code;
pub(crate) mod interactive;
pub(crate) mod obo;
pub(crate) mod refresh_token;
pub(crate) mod ropc;
pub(crate) mod silent;

#[cfg(test)]
mod wire_tests;

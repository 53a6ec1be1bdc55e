//! MSAL applications and grant flows.
//!
//! [`PublicClientApplication`] (desktop, mobile, command-line apps) and
//! [`ConfidentialClientApplication`] (web apps, APIs, daemons) acquire tokens from Microsoft
//! Entra ID, cache them in the unified token cache of `msal-cache`, and return them silently
//! while they are valid. The wire is `msal-core`'s; this crate owns the order of steps.
//!
//! Build an application once and share it (clones are cheap and share the cache):
//!
//! ```no_run
//! use msal_flows::{CallOptions, ConfidentialClientApplication, PublicClientApplication, TokenSource};
//! use msal_core::Secret;
//!
//! # async fn run() -> msal_core::Result<()> {
//! // A daemon: its own token, from the cache when it can.
//! let daemon = ConfidentialClientApplication::builder("22222222-2222-2222-2222-222222222222")
//!     .authority("https://login.microsoftonline.com/contoso.onmicrosoft.com")
//!     .client_secret(Secret::new("the-secret"))
//!     .build()?;
//! let token = daemon
//!     .acquire_token_for_client(&["https://graph.microsoft.com/.default"], &CallOptions::new())
//!     .await?;
//! println!("expires {} ({})", token.expires_on, token.token_source.as_str());
//!
//! // A command-line tool: username and password, then silent.
//! let app = PublicClientApplication::builder("11111111-1111-1111-1111-111111111111")
//!     .authority("https://login.microsoftonline.com/organizations")
//!     .build()?;
//! let scopes = ["User.Read"];
//! let first = app
//!     .acquire_token_by_username_password(
//!         &scopes, "alice@contoso.com", Secret::new("password"), &CallOptions::new())
//!     .await?;
//! let account = first.account.expect("a user token has an account");
//! let again = app.acquire_token_silent(&scopes, &account, &CallOptions::new()).await?;
//! assert_eq!(again.token_source, TokenSource::Cache);
//! # Ok(())
//! # }
//! ```
//!
//! Every call takes [`CallOptions`] (correlation id, claims challenge, force refresh) and runs
//! in a `tracing` span `msal.acquire_token` with the flow, authority, correlation id, token
//! source and duration. Errors are [`msal_core::Error`]s with a kind, a
//! [`FailureReason`](msal_core::FailureReason) for the failures users handle, and the call's
//! correlation id.

mod app;
mod builder;
mod cache_store;
mod call;
mod client_credential;
mod confidential;
mod config;
mod flows;
mod managed_identity;
mod public;
mod result;
mod shared;
mod single_flight;
#[cfg(test)]
mod test_support;

pub use builder::{
    ConfidentialClientApplicationBuilder, DEFAULT_AUTHORITY, PublicClientApplicationBuilder,
};
pub use cache_store::AppTokenCache;
pub use call::CallOptions;
pub use client_credential::{AssertionCallback, BoxFuture, ClientCredential};
pub use confidential::ConfidentialClientApplication;
pub use config::AppConfig;
pub use flows::auth_code::{AuthCodeFlow, AuthCodeOptions};
pub use flows::device_code::{DeviceFlow, DevicePoll};
pub use flows::interactive::{DEFAULT_INTERACTIVE_TIMEOUT, InteractiveOptions, OpenBrowser};
pub use managed_identity::{
    IMDS_PROBE_CONNECT_TIMEOUT, MANAGED_IDENTITY_ENVIRONMENT, ManagedIdentityClient,
    ManagedIdentityClientBuilder, RetryPolicy, SYSTEM_ASSIGNED_CACHE_ID,
    detect_managed_identity_source,
};
pub use msal_core::endpoint::authorize::{Prompt, ResponseMode};
pub use msal_core::endpoint::imds::{ManagedIdentitySource, UserAssignedId};
pub use public::PublicClientApplication;
pub use result::{Account, AuthenticationResult, TokenSource};

//! Azure Identity credentials for Rust, on top of `msal-flows`.
//!
//! Every credential implements [`msal_core::TokenCredential`]: an SDK-style client takes an
//! `Arc<dyn TokenCredential>` and calls `get_token`. Credentials add to msal-flows what Azure
//! Identity defines: tenant resolution ([`resolve_tenant`]), proactive refresh (the
//! [`refresh`] policy), separate CAE and non-CAE caches, [`AuthenticationRecord`] and
//! chaining ([`ChainedTokenCredential`], [`DefaultAzureCredential`]).
//!
//! ```no_run
//! use azure_credential::{ClientSecretCredential, DefaultAzureCredential};
//! use msal_core::{TokenCredential, TokenRequestOptions};
//!
//! # async fn run() -> msal_core::Result<()> {
//! // Whatever the environment offers: AZURE_* variables, workload identity, the Azure CLI.
//! let credential = DefaultAzureCredential::new(None)?;
//! let token = credential
//!     .get_token(&["https://management.azure.com/.default"], TokenRequestOptions::default())
//!     .await?;
//!
//! // Or one credential, explicitly.
//! let daemon = ClientSecretCredential::new(
//!     "contoso.onmicrosoft.com", "22222222-2222-2222-2222-222222222222", "secret", None)?;
//! let token = daemon
//!     .get_token(&["https://graph.microsoft.com/.default"], TokenRequestOptions::default())
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! Errors are [`msal_core::Error`]s. [`ErrorKind::CredentialUnavailable`](msal_core::ErrorKind)
//! means the credential could not even try (not configured, tool missing): chains move on.
//! Any other kind means it tried and failed.

mod apps;
mod authorization_code;
mod azure_cli;
mod chained;
mod client_assertion;
mod client_certificate;
mod client_secret;
mod confidential;
mod default;
mod device_code;
mod env;
mod environment;
mod errors;
mod interactive_browser;
mod managed_identity;
mod on_behalf_of;
mod options;
mod record;
pub mod refresh;
#[cfg(feature = "azure_core")]
mod sdk;
mod tenant;
mod user;
mod username_password;
mod workload_identity;

pub use authorization_code::{AuthorizationCodeCredential, AuthorizationCodeCredentialOptions};
pub use azure_cli::{AzureCliCredential, AzureCliCredentialOptions};
pub use chained::ChainedTokenCredential;
pub use client_assertion::{ClientAssertionCredential, ClientAssertionCredentialOptions};
pub use client_certificate::{ClientCertificateCredential, ClientCertificateCredentialOptions};
pub use client_secret::{ClientSecretCredential, ClientSecretCredentialOptions};
pub use default::{
    AZURE_TOKEN_CREDENTIALS, DefaultAzureCredential, DefaultAzureCredentialOptions,
    DefaultCredentialKind, token_credentials_selection,
};
pub use device_code::{
    DEVELOPER_SIGN_ON_CLIENT_ID, DeviceCodeCredential, DeviceCodeCredentialOptions, DeviceCodeInfo,
    DeviceCodePrompt,
};
pub use env::Env;
pub use environment::{EnvironmentCredential, EnvironmentCredentialOptions};
pub use interactive_browser::{InteractiveBrowserCredential, InteractiveBrowserCredentialOptions};
pub use managed_identity::{ManagedIdentityCredential, ManagedIdentityCredentialOptions};
pub use msal_flows::{ClientCredential, RetryPolicy, UserAssignedId};
pub use on_behalf_of::{OnBehalfOfCredential, OnBehalfOfCredentialOptions};
pub use options::{
    AZURE_AUTHORITY_HOST, AuthorityHost, CredentialOptions, HttpSettings,
    TokenCachePersistenceOptions,
};
pub use record::{AuthenticationRecord, RECORD_VERSION};
pub use refresh::{Clock, SystemClock};
pub use tenant::{DISABLE_MULTITENANT_AUTH, resolve_tenant, validate_tenant_id};
pub use username_password::{UsernamePasswordCredential, UsernamePasswordCredentialOptions};
pub use workload_identity::{
    AZURE_FEDERATED_TOKEN_FILE, WorkloadIdentityCredential, WorkloadIdentityCredentialOptions,
};

/// The README's examples, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

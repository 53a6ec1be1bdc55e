//! Azure Identity credentials for Rust, on top of `msal-flows`.
//!
//! Every credential implements [`msal_core::TokenCredential`]: an SDK-style client takes an
//! `Arc<dyn TokenCredential>` and calls `get_token`. Credentials add to msal-flows what Azure
//! Identity defines: tenant resolution ([`resolve_tenant`]), proactive refresh (the
//! [`refresh`] policy), separate CAE and non-CAE caches, [`AuthenticationRecord`], chaining.
//!
//! ```no_run
//! use azure_credential::{ClientSecretCredential, DefaultAzureCredential};
//! use msal_core::{TokenCredential, TokenRequestOptions};
//!
//! # async fn run() -> msal_core::Result<()> {
//! let credential = DefaultAzureCredential::new(None)?;
//! let token = credential
//!     .get_token(&["https://management.azure.com/.default"], TokenRequestOptions::default())
//!     .await?;
//! # Ok(()) }
//! ```

mod apps;
mod env;
mod errors;
mod options;
mod record;
pub mod refresh;
mod tenant;
mod username_password;

pub use env::Env;
pub use options::{
    AZURE_AUTHORITY_HOST, AuthorityHost, CredentialOptions, HttpSettings,
    TokenCachePersistenceOptions,
};
pub use record::{AuthenticationRecord, RECORD_VERSION};
pub use refresh::{Clock, SystemClock};
pub use tenant::{DISABLE_MULTITENANT_AUTH, resolve_tenant, validate_tenant_id};
pub use username_password::{UsernamePasswordCredential, UsernamePasswordCredentialOptions};

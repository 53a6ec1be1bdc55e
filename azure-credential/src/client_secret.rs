//! `ClientSecretCredential`: an application signs in with its client secret.

use std::sync::Arc;

use msal_core::{Result, Secret};
use msal_flows::ClientCredential;

use crate::confidential::{ConfidentialCore, delegate_to_core};
use crate::options::CredentialOptions;

/// Options of [`ClientSecretCredential`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ClientSecretCredentialOptions {
    /// Options every credential has.
    pub credential_options: CredentialOptions,
}

/// An application's own token (client credentials grant) with a client secret.
///
/// ```no_run
/// use azure_credential::ClientSecretCredential;
/// use msal_core::{TokenCredential, TokenRequestOptions};
///
/// # async fn run() -> msal_core::Result<()> {
/// let credential = ClientSecretCredential::new(
///     "contoso.onmicrosoft.com", "22222222-2222-2222-2222-222222222222", "the-secret", None)?;
/// let token = credential
///     .get_token(&["https://graph.microsoft.com/.default"], TokenRequestOptions::default())
///     .await?;
/// # Ok(()) }
/// ```
pub struct ClientSecretCredential {
    core: ConfidentialCore,
}

impl std::fmt::Debug for ClientSecretCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSecretCredential")
            .field("tenant_id", &self.core.tenant_id)
            .field("client_id", &self.core.client_id)
            .finish_non_exhaustive()
    }
}

impl ClientSecretCredential {
    /// A credential for the application `client_id` of `tenant_id` with `secret`.
    ///
    /// Errors: [`ErrorKind::InvalidArgument`](msal_core::ErrorKind) for an empty tenant id,
    /// client id or secret, or an invalid tenant id.
    pub fn new(
        tenant_id: &str,
        client_id: impl Into<String>,
        secret: impl Into<Secret>,
        options: Option<ClientSecretCredentialOptions>,
    ) -> Result<Arc<Self>> {
        let secret = secret.into();
        if secret.is_empty() {
            return Err(msal_core::Error::new(
                msal_core::ErrorKind::InvalidArgument,
                "the client secret is empty",
            ));
        }
        let options = options.unwrap_or_default();
        let core = ConfidentialCore::new(
            tenant_id,
            &client_id.into(),
            ClientCredential::Secret(secret),
            options.credential_options,
        )?;
        Ok(Arc::new(Self { core }))
    }
}

delegate_to_core!(ClientSecretCredential);

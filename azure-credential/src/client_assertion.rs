//! `ClientAssertionCredential`: an application proves its identity with an assertion (a JWT
//! such as a federated token) that a callback produces.

use std::future::Future;
use std::sync::Arc;

use msal_core::{Result, Secret};
use msal_flows::{AssertionCallback, ClientCredential};

use crate::confidential::{ConfidentialCore, delegate_to_core};
use crate::options::CredentialOptions;

/// Options of [`ClientAssertionCredential`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ClientAssertionCredentialOptions {
    /// Options every credential has.
    pub credential_options: CredentialOptions,
}

/// An application's own token with a client assertion from a callback, called for every
/// token request (not for cache hits).
///
/// ```
/// use azure_credential::ClientAssertionCredential;
/// use msal_core::Secret;
///
/// let credential = ClientAssertionCredential::new(
///     "contoso.onmicrosoft.com",
///     "22222222-2222-2222-2222-222222222222",
///     || async { Ok(Secret::new("eyJ...")) },
///     None,
/// )?;
/// # Ok::<(), msal_core::Error>(())
/// ```
pub struct ClientAssertionCredential {
    core: ConfidentialCore,
}

impl std::fmt::Debug for ClientAssertionCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientAssertionCredential")
            .field("tenant_id", &self.core.tenant_id)
            .field("client_id", &self.core.client_id)
            .finish_non_exhaustive()
    }
}

impl ClientAssertionCredential {
    /// A credential whose assertions come from `callback`.
    pub fn new<F, Fut>(
        tenant_id: &str,
        client_id: impl Into<String>,
        callback: F,
        options: Option<ClientAssertionCredentialOptions>,
    ) -> Result<Arc<Self>>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Secret>> + Send + 'static,
    {
        let callback: AssertionCallback = Arc::new(move || Box::pin(callback()));
        Self::with_callback(tenant_id, client_id, callback, options)
    }

    /// A credential from an msal-flows [`AssertionCallback`].
    pub fn with_callback(
        tenant_id: &str,
        client_id: impl Into<String>,
        callback: AssertionCallback,
        options: Option<ClientAssertionCredentialOptions>,
    ) -> Result<Arc<Self>> {
        let options = options.unwrap_or_default();
        let core = ConfidentialCore::new(
            tenant_id,
            &client_id.into(),
            ClientCredential::Assertion(callback),
            options.credential_options,
        )?;
        Ok(Arc::new(Self { core }))
    }
}

delegate_to_core!(ClientAssertionCredential);

//! `PublicClientApplication`: desktop, mobile and command-line apps (no client secret).

use std::sync::Arc;

use msal_core::{Result, Secret};

use crate::app::AppCore;
use crate::builder::PublicClientApplicationBuilder;
use crate::call::{CallOptions, instrumented};
use crate::result::AuthenticationResult;
use crate::shared::shared_methods;

/// An application that cannot keep a secret. Cheap to clone (clones share the cache, the
/// HTTP pipeline and the in-flight requests) and safe to share across tasks.
#[derive(Debug, Clone)]
pub struct PublicClientApplication {
    pub(crate) core: Arc<AppCore>,
}

shared_methods!(PublicClientApplication);

impl PublicClientApplication {
    /// Starts building an application with this client id.
    pub fn builder(client_id: impl Into<String>) -> PublicClientApplicationBuilder {
        PublicClientApplicationBuilder::new(client_id)
    }

    pub(crate) fn from_core(core: AppCore) -> Self {
        Self {
            core: Arc::new(core),
        }
    }

    /// Signs in with a username and password (ROPC): user realm discovery, then the password
    /// grant for managed accounts, or WS-Trust and the SAML bearer grant for federated ones.
    /// The password is used for this one request and never stored.
    ///
    /// Errors carry a [`FailureReason`](msal_core::FailureReason): `WrongCredentials`,
    /// `MfaRequired` (kind `InteractionRequired`, with [`claims`](msal_core::Error::claims)),
    /// `ConsentRequired`, `PublicClientFlowsDisabled`, `PersonalAccountNotSupported` (found
    /// before the password is sent), `FederationMetadataUnreachable`, `AccountLocked`, ...
    pub async fn acquire_token_by_username_password(
        &self,
        scopes: &[&str],
        username: &str,
        password: Secret,
        options: &CallOptions,
    ) -> Result<AuthenticationResult> {
        instrumented(
            &self.core.config,
            "username_password",
            options,
            Some(username),
            |ctx| async move {
                let result = self.core.ropc(scopes, username, &password, &ctx).await;
                drop(password);
                result
            },
        )
        .await
    }
}

//! `OnBehalfOfCredential`: a middle-tier service exchanges the token it received for one to
//! a downstream API, on behalf of the same user.

use std::sync::Arc;

use msal_core::{AccessTokenInfo, Result, Secret, TokenCredential, TokenRequestOptions};
use msal_flows::ClientCredential;

use crate::confidential::ConfidentialCore;
use crate::errors::require;
use crate::options::CredentialOptions;
use crate::refresh::Attempt;

/// Options of [`OnBehalfOfCredential`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct OnBehalfOfCredentialOptions {
    /// Options every credential has.
    pub credential_options: CredentialOptions,
}

/// Tokens on behalf of the user of an incoming access token (the jwt-bearer grant). The
/// service proves its own identity with a secret, a certificate or an assertion callback
/// (any [`ClientCredential`]). Tokens for one user assertion are cached and never served for
/// another.
///
/// ```no_run
/// use azure_credential::OnBehalfOfCredential;
/// use msal_core::{TokenCredential, TokenRequestOptions};
///
/// # async fn run(incoming: String) -> msal_core::Result<()> {
/// let credential = OnBehalfOfCredential::with_secret(
///     "contoso.onmicrosoft.com", "33333333-3333-3333-3333-333333333333",
///     incoming, "the-secret", None)?;
/// let token = credential
///     .get_token(&["https://graph.microsoft.com/.default"], TokenRequestOptions::default())
///     .await?;
/// # Ok(()) }
/// ```
pub struct OnBehalfOfCredential {
    core: ConfidentialCore,
    user_assertion: Secret,
}

impl std::fmt::Debug for OnBehalfOfCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnBehalfOfCredential")
            .field("tenant_id", &self.core.tenant_id)
            .field("client_id", &self.core.client_id)
            .finish_non_exhaustive()
    }
}

impl OnBehalfOfCredential {
    /// A credential for `user_assertion` (the incoming access token), the service proving
    /// itself with `credential`.
    ///
    /// Errors: [`ErrorKind::InvalidArgument`](msal_core::ErrorKind) for an empty tenant id,
    /// client id, user assertion or secret.
    pub fn new(
        tenant_id: &str,
        client_id: impl Into<String>,
        user_assertion: impl Into<Secret>,
        credential: ClientCredential,
        options: Option<OnBehalfOfCredentialOptions>,
    ) -> Result<Arc<Self>> {
        let user_assertion = user_assertion.into();
        require(user_assertion.expose(), "user assertion")?;
        if let ClientCredential::Secret(s) = &credential {
            require(s.expose(), "client secret")?;
        }
        let options = options.unwrap_or_default();
        let core = ConfidentialCore::new(
            tenant_id,
            &client_id.into(),
            credential,
            options.credential_options,
        )?;
        Ok(Arc::new(Self {
            core,
            user_assertion,
        }))
    }

    /// [`new`](Self::new) with a client secret.
    pub fn with_secret(
        tenant_id: &str,
        client_id: impl Into<String>,
        user_assertion: impl Into<Secret>,
        secret: impl Into<Secret>,
        options: Option<OnBehalfOfCredentialOptions>,
    ) -> Result<Arc<Self>> {
        let credential = ClientCredential::Secret(secret.into());
        Self::new(tenant_id, client_id, user_assertion, credential, options)
    }
}

#[async_trait::async_trait]
impl TokenCredential for OnBehalfOfCredential {
    async fn get_token_info(
        &self,
        scopes: &[&str],
        options: TokenRequestOptions,
    ) -> Result<AccessTokenInfo> {
        let assertion = self.user_assertion.clone();
        self.core
            .get_token_info_with(scopes, options, |app, call, attempt| async move {
                let call = call.force_refresh(attempt == Attempt::Refresh);
                app.acquire_token_on_behalf_of(scopes, assertion, &call)
                    .await
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use msal_core::ErrorKind;

    #[test]
    fn empty_assertion_or_secret_refused_and_debug_hides_them() {
        for (assertion, secret) in [("", "s"), ("a", "")] {
            let err =
                OnBehalfOfCredential::with_secret("t", "c", assertion, secret, None).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        }
        let credential =
            OnBehalfOfCredential::with_secret("t", "c", "eyJ-XYZZY", "sec-QQQ", None).unwrap();
        let shown = format!("{credential:?}");
        assert!(
            !shown.contains("XYZZY") && !shown.contains("QQQ"),
            "{shown}"
        );
    }
}

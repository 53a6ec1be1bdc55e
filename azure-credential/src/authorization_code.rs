//! `AuthorizationCodeCredential`: redeems an authorization code the application obtained
//! itself (its own redirect handling), then serves from the cache.

use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use msal_core::{AccessTokenInfo, Result, Secret, TokenCredential, TokenRequestOptions};
use msal_flows::{
    AuthenticationResult, CallOptions, ClientCredential, ConfidentialClientApplication,
    PublicClientApplication,
};

use crate::confidential::ConfidentialCore;
use crate::errors::{authentication_required, require};
use crate::options::CredentialOptions;
use crate::refresh::Attempt;
use crate::user::{SignIn, UserCore, UserSettings};

/// Options of [`AuthorizationCodeCredential`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct AuthorizationCodeCredentialOptions {
    /// Options every credential has.
    pub credential_options: CredentialOptions,
    /// How a confidential application proves itself (secret, certificate, assertion);
    /// `None`: a public application.
    pub client_credential: Option<ClientCredential>,
    /// The PKCE verifier, when the code was requested with a challenge.
    pub code_verifier: Option<Secret>,
}

/// Redeems an authorization code once; later tokens come from the cache (the refresh token).
/// Once the refresh token no longer works, a new code is needed: the error is
/// [`ErrorKind::AuthenticationRequired`](msal_core::ErrorKind).
///
/// ```no_run
/// use azure_credential::{AuthorizationCodeCredential, AuthorizationCodeCredentialOptions};
/// use msal_core::{TokenCredential, TokenRequestOptions};
/// use msal_flows::ClientCredential;
///
/// # async fn run(code: String) -> msal_core::Result<()> {
/// let mut options = AuthorizationCodeCredentialOptions::default();
/// options.client_credential = Some(ClientCredential::Secret("the-secret".into()));
/// let credential = AuthorizationCodeCredential::new(
///     "contoso.onmicrosoft.com", "22222222-2222-2222-2222-222222222222",
///     code, "https://localhost/callback", Some(options))?;
/// let token = credential
///     .get_token(&["https://graph.microsoft.com/.default"], TokenRequestOptions::default())
///     .await?;
/// # Ok(()) }
/// ```
pub struct AuthorizationCodeCredential {
    core: Core,
    redemption: Redemption,
}

enum Core {
    Public(UserCore),
    Confidential(ConfidentialCore),
}

/// The code (until redeemed) and what redeeming it needs; the account it signed in.
struct Redemption {
    code: Mutex<Option<Secret>>,
    redirect_uri: String,
    code_verifier: Option<Secret>,
    account: Mutex<Option<String>>,
}

impl Redemption {
    fn take_code(&self) -> Option<Secret> {
        self.code
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    fn remember(&self, result: &AuthenticationResult) {
        if let Some(account) = &result.account {
            *self.account.lock().unwrap_or_else(PoisonError::into_inner) =
                Some(account.home_account_id.clone());
        }
    }

    fn account(&self) -> Option<String> {
        self.account
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl std::fmt::Debug for AuthorizationCodeCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (kind, tenant, client) = match &self.core {
            Core::Public(c) => ("public", &c.tenant_id, &c.client_id),
            Core::Confidential(c) => ("confidential", &c.tenant_id, &c.client_id),
        };
        f.debug_struct("AuthorizationCodeCredential")
            .field("tenant_id", tenant)
            .field("client_id", client)
            .field("client", &kind)
            .field("redirect_uri", &self.redemption.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl AuthorizationCodeCredential {
    /// A credential redeeming `authorization_code`, which was requested with `redirect_uri`.
    ///
    /// Errors: [`ErrorKind::InvalidArgument`](msal_core::ErrorKind) for an empty tenant id,
    /// client id, code or redirect URI.
    pub fn new(
        tenant_id: &str,
        client_id: impl Into<String>,
        authorization_code: impl Into<Secret>,
        redirect_uri: impl Into<String>,
        options: Option<AuthorizationCodeCredentialOptions>,
    ) -> Result<Arc<Self>> {
        let options = options.unwrap_or_default();
        let code = authorization_code.into();
        let redirect_uri = redirect_uri.into();
        require(code.expose(), "authorization code")?;
        require(&redirect_uri, "redirect URI")?;
        require(tenant_id, "tenant id")?;
        let client_id = client_id.into();
        let core = match options.client_credential {
            Some(credential) => Core::Confidential(ConfidentialCore::new(
                tenant_id,
                &client_id,
                credential,
                options.credential_options,
            )?),
            None => Core::Public(UserCore::new(UserSettings {
                client_id,
                tenant_id: Some(tenant_id.to_owned()),
                authentication_record: None,
                disable_automatic_authentication: false,
                options: options.credential_options,
            })?),
        };
        Ok(Arc::new(Self {
            core,
            redemption: Redemption {
                code: Mutex::new(Some(code)),
                redirect_uri,
                code_verifier: options.code_verifier,
                account: Mutex::new(None),
            },
        }))
    }

    /// The confidential grant: the code once, then silent for its account.
    async fn confidential(
        &self,
        app: ConfidentialClientApplication,
        scopes: &[&str],
        call: CallOptions,
        attempt: Attempt,
    ) -> Result<AuthenticationResult> {
        let r = &self.redemption;
        if let Some(code) = r.take_code() {
            let result = app
                .acquire_token_by_authorization_code(
                    scopes,
                    code,
                    &r.redirect_uri,
                    r.code_verifier.clone(),
                    &call,
                )
                .await?;
            r.remember(&result);
            return Ok(result);
        }
        let account = match r.account() {
            Some(id) => app.get_account(&id).await?,
            None => None,
        };
        let Some(account) = account else {
            return Err(authentication_required(
                scopes,
                call.claims.as_deref(),
                None,
            ));
        };
        let call = call.force_refresh(attempt == Attempt::Refresh);
        app.acquire_token_silent(scopes, &account, &call).await
    }
}

/// The public client's "sign-in": redeeming the code, possible once.
#[async_trait]
impl SignIn for Redemption {
    async fn sign_in(
        &self,
        app: &PublicClientApplication,
        scopes: &[&str],
        call: &CallOptions,
    ) -> Result<AuthenticationResult> {
        let Some(code) = self.take_code() else {
            return Err(authentication_required(
                scopes,
                call.claims.as_deref(),
                None,
            ));
        };
        let verifier = self.code_verifier.clone();
        app.acquire_token_by_authorization_code(scopes, code, &self.redirect_uri, verifier, call)
            .await
    }
}

#[async_trait]
impl TokenCredential for AuthorizationCodeCredential {
    async fn get_token_info(
        &self,
        scopes: &[&str],
        options: TokenRequestOptions,
    ) -> Result<AccessTokenInfo> {
        match &self.core {
            Core::Public(core) => core.get_token_info(&self.redemption, scopes, options).await,
            Core::Confidential(core) => {
                core.get_token_info_with(scopes, options, |app, call, attempt| {
                    self.confidential(app, scopes, call, attempt)
                })
                .await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use msal_core::ErrorKind;

    #[test]
    fn empty_code_or_redirect_refused_and_debug_hides_the_code() {
        for (code, redirect) in [("", "http://localhost"), ("c", " ")] {
            let err = AuthorizationCodeCredential::new("t", "c", code, redirect, None).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        }
        let credential =
            AuthorizationCodeCredential::new("t", "client", "code-XYZZY", "http://localhost", None)
                .unwrap();
        let shown = format!("{credential:?}");
        assert!(
            shown.contains("public") && !shown.contains("XYZZY"),
            "{shown}"
        );
    }
}

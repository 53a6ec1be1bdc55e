//! `UsernamePasswordCredential`: a work or school account's username and password (ROPC).

use std::sync::Arc;

use async_trait::async_trait;
use msal_core::{
    AccessTokenInfo, Error, ErrorKind, Result, Secret, TokenCredential, TokenRequestOptions,
};
use msal_flows::{AuthenticationResult, CallOptions, PublicClientApplication};

use crate::errors::require;
use crate::options::CredentialOptions;
use crate::record::AuthenticationRecord;
use crate::user::{SignIn, UserCore, UserSettings};

/// Options of [`UsernamePasswordCredential`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct UsernamePasswordCredentialOptions {
    /// Options every credential has.
    pub credential_options: CredentialOptions,
    /// The tenant (default `organizations`).
    pub tenant_id: Option<String>,
    /// An account signed in before (see [`UsernamePasswordCredential::authenticate`]): its
    /// client id, authority and tenant replace the given ones, and tokens are found silently
    /// in the persistent cache.
    pub authentication_record: Option<AuthenticationRecord>,
    /// When silent authentication fails, return [`ErrorKind::AuthenticationRequired`]
    /// instead of signing in with the password.
    pub disable_automatic_authentication: bool,
}

/// Signs in a work or school account with its username and password (the resource owner
/// password credentials grant, ROPC).
///
/// **This flow is discouraged**, and deprecated in every Azure Identity library:
/// - it cannot satisfy multi-factor authentication, which Microsoft Entra ID now enforces on
///   more and more sign-ins: an account with MFA or conditional access gets an error;
/// - it works only for work and school accounts, never for personal Microsoft accounts;
/// - nobody can consent interactively: the user or an administrator must have consented to
///   the application's permissions beforehand.
///
/// Prefer `DeviceCodeCredential` or `InteractiveBrowserCredential` for people, and a
/// confidential credential ([`ClientSecretCredential`](crate::ClientSecretCredential),
/// [`ClientCertificateCredential`](crate::ClientCertificateCredential)) for services.
///
/// The password is held in memory as a [`Secret`] and sent only in the password grant. It is
/// never written to the token cache, a log or an error. After the first sign-in the cached
/// access token and then the cached refresh token serve: the password is sent again only
/// when the refresh token no longer works.
///
/// ```no_run
/// use azure_credential::UsernamePasswordCredential;
/// use msal_core::{TokenCredential, TokenRequestOptions};
///
/// # async fn run() -> msal_core::Result<()> {
/// let credential = UsernamePasswordCredential::new(
///     "11111111-1111-1111-1111-111111111111",
///     "alice@contoso.com",
///     "the-password",
///     None,
/// )?;
/// let token = credential
///     .get_token(&["https://graph.microsoft.com/.default"], TokenRequestOptions::default())
///     .await?;
/// # Ok(()) }
/// ```
pub struct UsernamePasswordCredential {
    core: UserCore,
    username: String,
    password: Secret,
}

impl std::fmt::Debug for UsernamePasswordCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("UsernamePasswordCredential");
        d.field("client_id", &self.core.client_id)
            .field("tenant_id", &self.core.tenant_id)
            .field("authority_host", &self.core.authority_host);
        if self.core.options.enable_pii_logging {
            d.field("username", &self.username);
        }
        d.finish_non_exhaustive()
    }
}

impl UsernamePasswordCredential {
    /// A credential for `username` with `password`, for the application `client_id`.
    ///
    /// Errors: [`ErrorKind::InvalidArgument`] for an empty client id, username or password,
    /// an invalid tenant id, or unusable options.
    pub fn new(
        client_id: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<Secret>,
        options: Option<UsernamePasswordCredentialOptions>,
    ) -> Result<Arc<Self>> {
        let options = options.unwrap_or_default();
        let username = username.into();
        let password = password.into();
        require(&username, "username")?;
        if password.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "the password is empty",
            ));
        }
        let core = UserCore::new(UserSettings {
            client_id: client_id.into(),
            tenant_id: options.tenant_id,
            authentication_record: options.authentication_record,
            disable_automatic_authentication: options.disable_automatic_authentication,
            options: options.credential_options,
        })?;
        Ok(Arc::new(Self {
            core,
            username,
            password,
        }))
    }

    /// Signs in with the password now (even when a token is cached) and returns the record
    /// of the account, to save and give to a later credential. `scopes` default to Azure
    /// Resource Manager of the cloud; a custom authority host needs explicit scopes.
    pub async fn authenticate(
        &self,
        scopes: &[&str],
        claims: Option<&str>,
    ) -> Result<AuthenticationRecord> {
        self.core.authenticate(self, scopes, claims).await
    }

    /// The record of the signed-in account, once there is one.
    pub fn authentication_record(&self) -> Option<AuthenticationRecord> {
        self.core.record()
    }
}

#[async_trait]
impl SignIn for UsernamePasswordCredential {
    async fn sign_in(
        &self,
        app: &PublicClientApplication,
        scopes: &[&str],
        call: &CallOptions,
    ) -> Result<AuthenticationResult> {
        app.acquire_token_by_username_password(scopes, &self.username, self.password.clone(), call)
            .await
    }
}

#[async_trait]
impl TokenCredential for UsernamePasswordCredential {
    async fn get_token_info(
        &self,
        scopes: &[&str],
        options: TokenRequestOptions,
    ) -> Result<AccessTokenInfo> {
        self.core.get_token_info(self, scopes, options).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_arguments_are_refused_at_construction() {
        for (c, u, p) in [("", "u", "p"), ("c", " ", "p"), ("c", "u", "")] {
            let err = UsernamePasswordCredential::new(c, u, p, None).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        }
    }

    #[test]
    fn debug_shows_no_password_and_no_username_without_pii() {
        let credential =
            UsernamePasswordCredential::new("client", "alice@contoso.com", "pw-XYZZY", None)
                .unwrap();
        let shown = format!("{credential:?}");
        assert!(shown.contains("client") && shown.contains("organizations"));
        assert!(
            !shown.contains("pw-XYZZY") && !shown.contains("alice"),
            "{shown}"
        );
    }

    #[test]
    fn record_overrides_client_tenant_and_authority() {
        let record =
            AuthenticationRecord::new("login.microsoftonline.us", "rec-client", "u.t", "t", "a@b");
        let options = UsernamePasswordCredentialOptions {
            authentication_record: Some(record),
            ..Default::default()
        };
        let credential =
            UsernamePasswordCredential::new("ignored", "a@b", "p", Some(options)).unwrap();
        assert_eq!(credential.core.client_id, "rec-client");
        assert_eq!(credential.core.tenant_id, "t");
        assert_eq!(
            credential.core.authority_host.url(),
            "https://login.microsoftonline.us"
        );
    }
}

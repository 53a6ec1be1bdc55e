//! `UsernamePasswordCredential`: a work or school account's username and password (ROPC).

use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use msal_core::{
    AccessTokenInfo, Error, ErrorKind, Result, Secret, TokenCredential, TokenRequestOptions,
};
use msal_flows::{Account, CallOptions, PublicClientApplication};

use crate::apps::{Apps, configure};
use crate::errors::{authentication_required, check_scopes, require, unavailable};
use crate::options::{AuthorityHost, CredentialOptions};
use crate::record::AuthenticationRecord;
use crate::refresh::{Attempt, TokenKey, TokenPolicy, token_info};
use crate::tenant::{resolve_tenant, validate_tenant_id};

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
    client_id: String,
    username: String,
    password: Secret,
    tenant_id: String,
    authority_host: AuthorityHost,
    options: CredentialOptions,
    disable_automatic_authentication: bool,
    record: Mutex<Option<AuthenticationRecord>>,
    apps: Apps<PublicClientApplication>,
    policy: TokenPolicy,
}

impl std::fmt::Debug for UsernamePasswordCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("UsernamePasswordCredential");
        d.field("client_id", &self.client_id)
            .field("tenant_id", &self.tenant_id)
            .field("authority_host", &self.authority_host);
        if self.options.enable_pii_logging {
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
        let mut client_id = client_id.into();
        let username = username.into();
        let password = password.into();
        let mut tenant_id = options
            .tenant_id
            .clone()
            .unwrap_or_else(|| "organizations".to_owned());
        let mut authority_host = options.credential_options.resolved_authority_host();
        if let Some(record) = &options.authentication_record {
            client_id = record.client_id.clone();
            tenant_id = record.tenant_id.clone();
            authority_host = AuthorityHost::Custom(record_host(record, &authority_host));
        }
        require(&client_id, "client id")?;
        require(&username, "username")?;
        if password.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "the password is empty",
            ));
        }
        validate_tenant_id(&tenant_id)?;
        let apps = Apps::new(
            &client_id,
            authority_host.url(),
            &options.credential_options,
            |p| configure!(PublicClientApplication::builder(p.client_id.clone()), p).build(),
        )?;
        Ok(Arc::new(Self {
            client_id,
            username,
            password,
            tenant_id,
            authority_host,
            policy: TokenPolicy::new(options.credential_options.clock.clone()),
            options: options.credential_options,
            disable_automatic_authentication: options.disable_automatic_authentication,
            record: Mutex::new(options.authentication_record),
            apps,
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
        let default;
        let scopes = if scopes.is_empty() {
            default = self.authority_host.default_scope().ok_or_else(|| {
                unavailable(
                    "authenticate needs scopes when the authority host is not a known cloud",
                )
            })?;
            std::slice::from_ref(&default)
        } else {
            scopes
        };
        let app = self.apps.get(&self.tenant_id, false)?;
        let record = self.sign_in(&app, scopes, claims, None).await?.1;
        self.policy.clear();
        Ok(record)
    }

    /// The record of the signed-in account, once there is one.
    pub fn authentication_record(&self) -> Option<AuthenticationRecord> {
        self.record
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    async fn sign_in(
        &self,
        app: &PublicClientApplication,
        scopes: &[&str],
        claims: Option<&str>,
        correlation_id: Option<&str>,
    ) -> Result<(AccessTokenInfo, AuthenticationRecord)> {
        let call = call_options(claims, correlation_id, false);
        let result = app
            .acquire_token_by_username_password(
                scopes,
                &self.username,
                self.password.clone(),
                &call,
            )
            .await?;
        let record = AuthenticationRecord::from_result(&result, &self.client_id)?;
        *self.record.lock().unwrap_or_else(PoisonError::into_inner) = Some(record.clone());
        Ok((token_info(&result), record))
    }

    async fn account(&self, app: &PublicClientApplication) -> Result<Option<Account>> {
        let Some(record) = self.authentication_record() else {
            return Ok(None);
        };
        app.get_account(&record.home_account_id).await
    }

    async fn acquire(
        &self,
        scopes: &[&str],
        tenant: &str,
        options: &TokenRequestOptions,
        attempt: Attempt,
    ) -> Result<AccessTokenInfo> {
        let app = self.apps.get(tenant, options.enable_cae)?;
        let claims = options.claims.as_deref();
        let correlation = options.correlation_id.as_deref();
        let mut silent_error = None;
        if let Some(account) = self.account(&app).await? {
            let call = call_options(claims, correlation, attempt == Attempt::Refresh);
            match app.acquire_token_silent(scopes, &account, &call).await {
                Ok(result) => return Ok(token_info(&result)),
                Err(e) if attempt == Attempt::Refresh => return Err(e),
                Err(e) if e.is_interaction_required() || e.is_invalid_grant() => {
                    silent_error = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        if self.disable_automatic_authentication {
            return Err(authentication_required(
                scopes,
                claims,
                silent_error.as_ref(),
            ));
        }
        Ok(self.sign_in(&app, scopes, claims, correlation).await?.0)
    }
}

/// The authority host of a record (`host[:port]`), keeping the scheme of the configured host
/// when it names the same host (an `http://` loopback emulator).
fn record_host(record: &AuthenticationRecord, configured: &AuthorityHost) -> String {
    let url = configured.url();
    match url.split_once("://") {
        Some((scheme, host)) if host.eq_ignore_ascii_case(&record.authority) => {
            format!("{scheme}://{}", record.authority)
        }
        _ => record.authority.clone(),
    }
}

fn call_options(claims: Option<&str>, correlation_id: Option<&str>, force: bool) -> CallOptions {
    let mut call = CallOptions::new().force_refresh(force);
    if let Some(c) = claims {
        call = call.claims(c);
    }
    if let Some(id) = correlation_id {
        call = call.correlation_id(id);
    }
    call
}

#[async_trait]
impl TokenCredential for UsernamePasswordCredential {
    async fn get_token_info(
        &self,
        scopes: &[&str],
        options: TokenRequestOptions,
    ) -> Result<AccessTokenInfo> {
        check_scopes(scopes)?;
        let tenant = resolve_tenant(
            &self.tenant_id,
            options.tenant_id.as_deref(),
            &self.options.additionally_allowed_tenants,
            &self.options.env,
        )?;
        let key = TokenKey {
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            tenant: tenant.clone(),
            claims: options.claims.clone(),
            cae: options.enable_cae,
        };
        self.policy
            .get(key, |attempt| {
                self.acquire(scopes, &tenant, &options, attempt)
            })
            .await
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
        assert_eq!(credential.client_id, "rec-client");
        assert_eq!(credential.tenant_id, "t");
        assert_eq!(
            credential.authority_host.url(),
            "https://login.microsoftonline.us"
        );
    }
}

//! What every user credential shares (username/password, device code, interactive
//! browser, public authorization code): a public client per (tenant, CAE), the account of the
//! [`AuthenticationRecord`], silent acquisition first, `disable_automatic_authentication`,
//! `authenticate`, tenant resolution and the refresh policy. A user credential only supplies
//! its [`SignIn`] step.

use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use msal_core::{AccessTokenInfo, Result, TokenRequestOptions};
use msal_flows::{Account, AuthenticationResult, CallOptions, PublicClientApplication};

use crate::apps::{Apps, configure};
use crate::errors::{authentication_required, check_scopes, require, unavailable};
use crate::options::{AuthorityHost, CredentialOptions};
use crate::record::AuthenticationRecord;
use crate::refresh::{Attempt, TokenKey, TokenPolicy, token_info};
use crate::tenant::{resolve_tenant, validate_tenant_id};

/// The step that signs a user in when the cache cannot: the password grant, a device code,
/// a browser.
#[async_trait]
pub(crate) trait SignIn: Send + Sync {
    /// Signs the user in with `app` for `scopes`; `call` carries the claims and the
    /// correlation id.
    async fn sign_in(
        &self,
        app: &PublicClientApplication,
        scopes: &[&str],
        call: &CallOptions,
    ) -> Result<AuthenticationResult>;
}

/// Options of a [`UserCore`], taken from the credential's options.
#[derive(Debug, Clone)]
pub(crate) struct UserSettings {
    pub client_id: String,
    /// `None`: `organizations`.
    pub tenant_id: Option<String>,
    pub authentication_record: Option<AuthenticationRecord>,
    pub disable_automatic_authentication: bool,
    pub options: CredentialOptions,
}

/// The shared state of a user credential.
pub(crate) struct UserCore {
    pub client_id: String,
    pub tenant_id: String,
    pub authority_host: AuthorityHost,
    pub options: CredentialOptions,
    disable_automatic_authentication: bool,
    record: Mutex<Option<AuthenticationRecord>>,
    apps: Apps<PublicClientApplication>,
    policy: TokenPolicy,
}

impl std::fmt::Debug for UserCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserCore")
            .field("client_id", &self.client_id)
            .field("tenant_id", &self.tenant_id)
            .finish_non_exhaustive()
    }
}

impl UserCore {
    /// Checks the settings; a record replaces the client id, tenant and authority host.
    pub(crate) fn new(settings: UserSettings) -> Result<Self> {
        let UserSettings {
            mut client_id,
            tenant_id,
            authentication_record,
            disable_automatic_authentication,
            options,
        } = settings;
        let mut tenant_id = tenant_id.unwrap_or_else(|| "organizations".to_owned());
        let mut authority_host = options.resolved_authority_host();
        if let Some(record) = &authentication_record {
            client_id = record.client_id.clone();
            tenant_id = record.tenant_id.clone();
            authority_host = AuthorityHost::Custom(record_host(record, &authority_host));
        }
        require(&client_id, "client id")?;
        validate_tenant_id(&tenant_id)?;
        let apps = Apps::new(&client_id, authority_host.url(), &options, |p| {
            configure!(PublicClientApplication::builder(p.client_id.clone()), p).build()
        })?;
        // Build the configured tenant's application now: a bad authority fails here.
        apps.get(&tenant_id, false)?;
        Ok(Self {
            client_id,
            tenant_id,
            authority_host,
            policy: TokenPolicy::new(options.clock.clone()),
            options,
            disable_automatic_authentication,
            record: Mutex::new(authentication_record),
            apps,
        })
    }

    /// The record of the signed-in account, once there is one.
    pub(crate) fn record(&self) -> Option<AuthenticationRecord> {
        self.record
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Signs in now (whatever is cached) and returns the account's record. Empty `scopes`
    /// mean Azure Resource Manager of the cloud; a custom host needs explicit scopes.
    pub(crate) async fn authenticate(
        &self,
        flow: &dyn SignIn,
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
        let record = self
            .sign_in(flow, &app, scopes, &call_options(claims, None, false))
            .await?
            .1;
        self.policy.clear();
        Ok(record)
    }

    /// `get_token_info` of a user credential.
    pub(crate) async fn get_token_info(
        &self,
        flow: &dyn SignIn,
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
                self.acquire(flow, scopes, &tenant, &options, attempt)
            })
            .await
    }

    async fn sign_in(
        &self,
        flow: &dyn SignIn,
        app: &PublicClientApplication,
        scopes: &[&str],
        call: &CallOptions,
    ) -> Result<(AccessTokenInfo, AuthenticationRecord)> {
        let result = flow.sign_in(app, scopes, call).await?;
        let record = AuthenticationRecord::from_result(&result, &self.client_id)?;
        *self.record.lock().unwrap_or_else(PoisonError::into_inner) = Some(record.clone());
        Ok((token_info(&result), record))
    }

    async fn account(&self, app: &PublicClientApplication) -> Result<Option<Account>> {
        match self.record() {
            Some(record) => app.get_account(&record.home_account_id).await,
            None => Ok(None),
        }
    }

    /// Silent first (a refresh forces the refresh token); then the sign-in step, unless
    /// automatic authentication is disabled.
    async fn acquire(
        &self,
        flow: &dyn SignIn,
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
        let call = call_options(claims, correlation, false);
        Ok(self.sign_in(flow, &app, scopes, &call).await?.0)
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

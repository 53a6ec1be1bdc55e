//! `InteractiveBrowserCredential`: the user signs in with a browser; the redirect comes back
//! to a loopback listener.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use msal_core::{AccessTokenInfo, Result, TokenCredential, TokenRequestOptions};
use msal_flows::{
    AuthenticationResult, CallOptions, InteractiveOptions, OpenBrowser, PublicClientApplication,
};

use crate::device_code::{DEVELOPER_SIGN_ON_CLIENT_ID, timed_out};
use crate::options::CredentialOptions;
use crate::record::AuthenticationRecord;
use crate::user::{SignIn, UserCore, UserSettings};

/// Options of [`InteractiveBrowserCredential`].
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct InteractiveBrowserCredentialOptions {
    /// Options every credential has.
    pub credential_options: CredentialOptions,
    /// The application (default [`DEVELOPER_SIGN_ON_CLIENT_ID`]); it must accept the
    /// redirect URI `http://localhost` (any port).
    pub client_id: Option<String>,
    /// The tenant (default `organizations`).
    pub tenant_id: Option<String>,
    /// An account signed in before: its tokens are found silently.
    pub authentication_record: Option<AuthenticationRecord>,
    /// When silent authentication fails, return
    /// [`ErrorKind::AuthenticationRequired`](msal_core::ErrorKind) instead of opening a
    /// browser.
    pub disable_automatic_authentication: bool,
    /// Pre-fills the sign-in page with this username.
    pub login_hint: Option<String>,
    /// Opens the authorize URL; the system browser by default. A test or a headless host can
    /// follow the URL itself.
    pub open_browser: Option<OpenBrowser>,
    /// How long to wait for the user (default 5 minutes).
    pub timeout: Option<Duration>,
    /// The loopback port of the redirect URI `http://localhost:{port}`; `None`: a free port.
    pub redirect_port: Option<u16>,
}

impl std::fmt::Debug for InteractiveBrowserCredentialOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InteractiveBrowserCredentialOptions")
            .field("credential_options", &self.credential_options)
            .field("client_id", &self.client_id)
            .field("tenant_id", &self.tenant_id)
            .field("custom_browser", &self.open_browser.is_some())
            .field("timeout", &self.timeout)
            .field("redirect_port", &self.redirect_port)
            .finish_non_exhaustive()
    }
}

/// Signs a user in with the system browser (authorization code flow with PKCE, the redirect
/// to `http://localhost:{random port}`). Later tokens come silently from the cache.
///
/// The redirect port is a free one chosen by the system (the application's
/// `http://localhost` redirect URI accepts any port), or `redirect_port`.
///
/// ```no_run
/// use azure_credential::InteractiveBrowserCredential;
/// use msal_core::{TokenCredential, TokenRequestOptions};
///
/// # async fn run() -> msal_core::Result<()> {
/// let credential = InteractiveBrowserCredential::new(None)?;
/// let token = credential
///     .get_token(&["https://graph.microsoft.com/.default"], TokenRequestOptions::default())
///     .await?;
/// # Ok(()) }
/// ```
pub struct InteractiveBrowserCredential {
    core: UserCore,
    login_hint: Option<String>,
    open_browser: Option<OpenBrowser>,
    timeout: Option<Duration>,
    redirect_port: Option<u16>,
}

impl std::fmt::Debug for InteractiveBrowserCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("InteractiveBrowserCredential");
        d.field("client_id", &self.core.client_id)
            .field("tenant_id", &self.core.tenant_id)
            .field("authority_host", &self.core.authority_host)
            .field("timeout", &self.timeout);
        if self.core.options.enable_pii_logging {
            d.field("login_hint", &self.login_hint);
        }
        d.finish_non_exhaustive()
    }
}

impl InteractiveBrowserCredential {
    /// An interactive browser credential.
    ///
    /// Errors: [`ErrorKind::InvalidArgument`](msal_core::ErrorKind) for an empty client id,
    /// an invalid tenant id or unusable options.
    pub fn new(options: Option<InteractiveBrowserCredentialOptions>) -> Result<Arc<Self>> {
        let options = options.unwrap_or_default();
        let core = UserCore::new(UserSettings {
            client_id: options
                .client_id
                .unwrap_or_else(|| DEVELOPER_SIGN_ON_CLIENT_ID.to_owned()),
            tenant_id: options.tenant_id,
            authentication_record: options.authentication_record,
            disable_automatic_authentication: options.disable_automatic_authentication,
            options: options.credential_options,
        })?;
        Ok(Arc::new(Self {
            core,
            login_hint: options.login_hint,
            open_browser: options.open_browser,
            timeout: options.timeout,
            redirect_port: options.redirect_port,
        }))
    }

    /// Signs in with the browser now and returns the account's record. `scopes` default to
    /// Azure Resource Manager of the cloud; a custom authority host needs explicit scopes.
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
impl SignIn for InteractiveBrowserCredential {
    async fn sign_in(
        &self,
        app: &PublicClientApplication,
        scopes: &[&str],
        call: &CallOptions,
    ) -> Result<AuthenticationResult> {
        let mut interactive = InteractiveOptions::new();
        if let Some(hint) = &self.login_hint {
            interactive = interactive.login_hint(hint.clone());
        }
        interactive.open_browser = self.open_browser.clone();
        if let Some(port) = self.redirect_port {
            interactive = interactive.port(port);
        }
        if let Some(limit) = self.timeout {
            interactive = interactive.timeout(limit);
        }
        let limit = interactive.timeout;
        app.acquire_token_interactive(scopes, &interactive, call)
            .await
            .map_err(|e| {
                if e.kind() == msal_core::ErrorKind::Timeout {
                    timed_out("InteractiveBrowserCredential", limit)
                } else {
                    e
                }
            })
    }
}

#[async_trait]
impl TokenCredential for InteractiveBrowserCredential {
    async fn get_token_info(
        &self,
        scopes: &[&str],
        options: TokenRequestOptions,
    ) -> Result<AccessTokenInfo> {
        self.core.get_token_info(self, scopes, options).await
    }
}

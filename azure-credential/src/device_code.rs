//! `DeviceCodeCredential`: the user signs in on another device with a short code.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use msal_core::{AccessTokenInfo, Error, ErrorKind, Result, TokenCredential, TokenRequestOptions};
use msal_flows::{AuthenticationResult, CallOptions, PublicClientApplication};
use time::OffsetDateTime;

use crate::options::CredentialOptions;
use crate::record::AuthenticationRecord;
use crate::user::{SignIn, UserCore, UserSettings};

/// The client id azure-identity's user credentials use when none is given (the Azure CLI's
/// public application).
pub const DEVELOPER_SIGN_ON_CLIENT_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/// What the user needs to sign in: shown by the prompt callback.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DeviceCodeInfo {
    /// The code the user types on the verification page.
    pub user_code: String,
    /// The page where the user types the code.
    pub verification_uri: String,
    /// The service's instruction, naming both.
    pub message: String,
    /// When the code expires.
    pub expires_on: OffsetDateTime,
}

/// Shows a [`DeviceCodeInfo`] to the user.
pub type DeviceCodePrompt = Arc<dyn Fn(&DeviceCodeInfo) + Send + Sync>;

/// Options of [`DeviceCodeCredential`].
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct DeviceCodeCredentialOptions {
    /// Options every credential has.
    pub credential_options: CredentialOptions,
    /// The application (default [`DEVELOPER_SIGN_ON_CLIENT_ID`]).
    pub client_id: Option<String>,
    /// The tenant (default `organizations`).
    pub tenant_id: Option<String>,
    /// An account signed in before: its tokens are found silently.
    pub authentication_record: Option<AuthenticationRecord>,
    /// When silent authentication fails, return [`ErrorKind::AuthenticationRequired`]
    /// instead of asking for a device code.
    pub disable_automatic_authentication: bool,
    /// Shows the code; by default the message is printed to stderr.
    pub prompt_callback: Option<DeviceCodePrompt>,
    /// How long to wait for the user (default: until the code expires).
    pub timeout: Option<Duration>,
}

impl std::fmt::Debug for DeviceCodeCredentialOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceCodeCredentialOptions")
            .field("credential_options", &self.credential_options)
            .field("client_id", &self.client_id)
            .field("tenant_id", &self.tenant_id)
            .field("custom_prompt", &self.prompt_callback.is_some())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Signs a user in with the device code flow: the prompt callback shows a code and a URL,
/// the user signs in there (on any device), and the credential polls until done. Later
/// tokens come silently from the cache.
///
/// ```no_run
/// use azure_credential::{DeviceCodeCredential, DeviceCodeCredentialOptions};
/// use msal_core::{TokenCredential, TokenRequestOptions};
/// use std::sync::Arc;
///
/// # async fn run() -> msal_core::Result<()> {
/// let mut options = DeviceCodeCredentialOptions::default();
/// options.prompt_callback = Some(Arc::new(|info| println!("{}", info.message)));
/// let credential = DeviceCodeCredential::new(Some(options))?;
/// let record = credential.authenticate(&["https://graph.microsoft.com/.default"], None).await?;
/// # Ok(()) }
/// ```
pub struct DeviceCodeCredential {
    core: UserCore,
    prompt: Option<DeviceCodePrompt>,
    timeout: Option<Duration>,
}

impl std::fmt::Debug for DeviceCodeCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceCodeCredential")
            .field("client_id", &self.core.client_id)
            .field("tenant_id", &self.core.tenant_id)
            .field("authority_host", &self.core.authority_host)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl DeviceCodeCredential {
    /// A device code credential.
    ///
    /// Errors: [`ErrorKind::InvalidArgument`] for an empty client id, an invalid tenant id or
    /// unusable options.
    pub fn new(options: Option<DeviceCodeCredentialOptions>) -> Result<Arc<Self>> {
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
            prompt: options.prompt_callback,
            timeout: options.timeout,
        }))
    }

    /// Signs in with a device code now and returns the account's record. `scopes` default
    /// to Azure Resource Manager of the cloud; a custom authority host needs explicit scopes.
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

/// The error of a sign-in the user did not finish in time.
pub(crate) fn timed_out(what: &str, after: Duration) -> Error {
    Error::new(
        ErrorKind::Timeout,
        format!(
            "{what}: timed out waiting for the user to sign in (after {} s)",
            after.as_secs()
        ),
    )
}

#[async_trait]
impl SignIn for DeviceCodeCredential {
    async fn sign_in(
        &self,
        app: &PublicClientApplication,
        scopes: &[&str],
        call: &CallOptions,
    ) -> Result<AuthenticationResult> {
        let flow = app.initiate_device_flow(scopes, call).await?;
        let info = DeviceCodeInfo {
            user_code: flow.user_code.clone(),
            verification_uri: flow.verification_uri.clone(),
            message: flow.message.clone(),
            expires_on: flow.expires_on(),
        };
        match &self.prompt {
            Some(prompt) => prompt(&info),
            None => eprintln!("{}", info.message),
        }
        let poll = app.acquire_token_by_device_flow(&flow, call);
        match self.timeout {
            Some(limit) => tokio::time::timeout(limit, poll)
                .await
                .map_err(|_| timed_out("DeviceCodeCredential", limit))?,
            None => poll.await,
        }
    }
}

#[async_trait]
impl TokenCredential for DeviceCodeCredential {
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
    fn default_client_id_and_empty_client_id_refused() {
        let credential = DeviceCodeCredential::new(None).unwrap();
        assert_eq!(credential.core.client_id, DEVELOPER_SIGN_ON_CLIENT_ID);
        let options = DeviceCodeCredentialOptions {
            client_id: Some(" ".into()),
            ..Default::default()
        };
        let err = DeviceCodeCredential::new(Some(options)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn timeout_error_is_typed_and_says_so() {
        let err = timed_out("DeviceCodeCredential", Duration::from_secs(3));
        assert_eq!(err.kind(), ErrorKind::Timeout);
        assert!(err.message().contains("timed out waiting for the user"));
    }
}

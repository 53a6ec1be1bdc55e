//! Options every credential shares: the cloud, tenants, cache persistence, HTTP.

use std::path::PathBuf;
use std::sync::Arc;

use msal_core::authority::{
    AUTHORITY_HOST_CHINA, AUTHORITY_HOST_PUBLIC, AUTHORITY_HOST_US_GOVERNMENT,
};
use msal_core::http::{HttpClient, HttpOptions, PipelineOptions};

use crate::env::Env;
use crate::refresh::{Clock, SystemClock};

/// The variable naming the authority host when the options do not.
pub const AZURE_AUTHORITY_HOST: &str = "AZURE_AUTHORITY_HOST";

/// The cloud (authority host) a credential signs in with.
///
/// ```
/// use azure_credential::AuthorityHost;
///
/// assert_eq!(AuthorityHost::UsGovernment.url(), "https://login.microsoftonline.us");
/// assert_eq!(AuthorityHost::Custom("login.contoso.test".into()).url(), "https://login.contoso.test");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AuthorityHost {
    /// The Azure public cloud, `login.microsoftonline.com`.
    #[default]
    Public,
    /// Azure US Government, `login.microsoftonline.us`.
    UsGovernment,
    /// Azure operated by 21Vianet, `login.chinacloudapi.cn`.
    China,
    /// Any other host or URL (`https://` is assumed without a scheme).
    Custom(String),
}

impl AuthorityHost {
    /// The host as a URL without trailing slash.
    pub fn url(&self) -> String {
        let host = match self {
            AuthorityHost::Public => AUTHORITY_HOST_PUBLIC,
            AuthorityHost::UsGovernment => AUTHORITY_HOST_US_GOVERNMENT,
            AuthorityHost::China => AUTHORITY_HOST_CHINA,
            AuthorityHost::Custom(url) => url.as_str(),
        };
        let host = host.trim().trim_end_matches('/');
        if host.contains("://") {
            host.to_owned()
        } else {
            format!("https://{host}")
        }
    }

    /// The scope `authenticate` uses when none is given: Azure Resource Manager of the
    /// cloud; `None` for a custom host.
    pub fn default_scope(&self) -> Option<&'static str> {
        match self.known() {
            Some(AuthorityHost::Public) => Some("https://management.core.windows.net//.default"),
            Some(AuthorityHost::UsGovernment) => {
                Some("https://management.core.usgovcloudapi.net//.default")
            }
            Some(AuthorityHost::China) => {
                Some("https://management.core.chinacloudapi.cn//.default")
            }
            _ => None,
        }
    }

    /// The built-in cloud a custom host names, if any.
    fn known(&self) -> Option<AuthorityHost> {
        let url = self.url();
        let host = url.split("://").nth(1).unwrap_or("").to_ascii_lowercase();
        match host.as_str() {
            AUTHORITY_HOST_PUBLIC => Some(AuthorityHost::Public),
            AUTHORITY_HOST_US_GOVERNMENT => Some(AuthorityHost::UsGovernment),
            AUTHORITY_HOST_CHINA => Some(AuthorityHost::China),
            _ => None,
        }
    }
}

/// Where a credential persists its token cache: azure-identity's files
/// `<directory>/<name>.nocae` and `<name>.cae`, shared with azure-identity and Azure.Identity.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenCachePersistenceOptions {
    /// The cache name (default `msal.cache`).
    pub name: String,
    /// Accept a plaintext file (readable by the user only). Encrypted storage through the OS
    /// secret store is not available yet, so persistence needs this set.
    pub allow_unencrypted_storage: bool,
    /// The directory of the files (default `~/.IdentityService`).
    pub directory: Option<PathBuf>,
}

impl Default for TokenCachePersistenceOptions {
    fn default() -> Self {
        Self {
            name: "msal.cache".to_owned(),
            allow_unencrypted_storage: false,
            directory: None,
        }
    }
}

/// HTTP settings of a credential.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct HttpSettings {
    /// Options of the built-in client (timeouts, proxy).
    pub options: Option<HttpOptions>,
    /// An extra trusted root certificate (PEM), such as a local emulator's CA.
    pub extra_ca_pem: Option<Vec<u8>>,
    /// Retry and throttling options of the request pipeline.
    pub pipeline: Option<PipelineOptions>,
    /// A custom HTTP client; `options` and `extra_ca_pem` then do not apply.
    pub client: Option<Arc<dyn HttpClient>>,
    /// Accept `http://` loopback authorities (`127.0.0.1`, `localhost`): local emulators only.
    pub allow_loopback_http: bool,
}

/// Options every credential has.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CredentialOptions {
    /// The cloud; `None` reads `AZURE_AUTHORITY_HOST`, else the public cloud.
    pub authority_host: Option<AuthorityHost>,
    /// Tenants a request may name besides the configured one; `"*"` allows any.
    pub additionally_allowed_tenants: Vec<String>,
    /// Persist the token cache; `None` keeps it in memory.
    pub cache_persistence: Option<TokenCachePersistenceOptions>,
    /// Skip instance discovery (for private clouds, ADFS-less hosts and emulators).
    pub disable_instance_discovery: bool,
    /// Client capabilities sent with every request (`CP1` is added for CAE requests).
    pub client_capabilities: Vec<String>,
    /// Let usernames appear in logs (secrets never do).
    pub enable_pii_logging: bool,
    /// HTTP settings.
    pub http: HttpSettings,
    /// Where environment variables are read (default: the process environment).
    pub env: Env,
    /// The clock of the refresh policy (default: the system clock).
    pub clock: Arc<dyn Clock>,
}

impl Default for CredentialOptions {
    fn default() -> Self {
        Self {
            authority_host: None,
            additionally_allowed_tenants: Vec::new(),
            cache_persistence: None,
            disable_instance_discovery: false,
            client_capabilities: Vec::new(),
            enable_pii_logging: false,
            http: HttpSettings::default(),
            env: Env::process(),
            clock: Arc::new(SystemClock),
        }
    }
}

impl CredentialOptions {
    /// The authority host: the option, else `AZURE_AUTHORITY_HOST`, else the public cloud.
    pub fn resolved_authority_host(&self) -> AuthorityHost {
        self.authority_host.clone().unwrap_or_else(|| {
            self.env
                .var(AZURE_AUTHORITY_HOST)
                .map_or(AuthorityHost::Public, AuthorityHost::Custom)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_scopes_follow_the_cloud_and_custom_hosts_have_none() {
        assert_eq!(
            AuthorityHost::China.default_scope(),
            Some("https://management.core.chinacloudapi.cn//.default")
        );
        assert_eq!(
            AuthorityHost::Custom("https://login.microsoftonline.com/".into()).default_scope(),
            Some("https://management.core.windows.net//.default")
        );
        assert_eq!(
            AuthorityHost::Custom("https://127.0.0.1:1".into()).default_scope(),
            None
        );
    }

    #[test]
    fn authority_host_comes_from_the_environment_when_not_set() {
        let options = CredentialOptions {
            env: Env::from_pairs([(AZURE_AUTHORITY_HOST, "login.microsoftonline.us")]),
            ..CredentialOptions::default()
        };
        assert_eq!(
            options.resolved_authority_host().url(),
            "https://login.microsoftonline.us"
        );
    }
}

//! The validated configuration an application is built with.

use msal_core::authority::{Authority, InstanceDiscovery, ResolveOptions};

/// Everything an application object was configured with, checked once by the builder.
///
/// Read it through [`PublicClientApplication::config`](crate::PublicClientApplication::config)
/// or [`ConfidentialClientApplication::config`](crate::ConfidentialClientApplication::config).
/// It holds no secret: the client credential is kept apart.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AppConfig {
    /// The application (client) id.
    pub client_id: String,
    /// The authority, parsed and validated.
    pub authority: Authority,
    /// The regional authority used for the client credentials grant, when a region is set.
    pub regional_authority: Option<Authority>,
    /// The Azure region asked for (confidential clients only).
    pub azure_region: Option<String>,
    /// Client capabilities, such as `CP1` for continuous access evaluation.
    pub client_capabilities: Vec<String>,
    /// Instance discovery: on (default), off, or a custom URL.
    pub instance_discovery: InstanceDiscovery,
    /// Whether the authority is validated through instance discovery (default `true`).
    pub validate_authority: bool,
    /// Whether `http://` loopback authorities were accepted (tests and the emulator).
    pub allow_loopback_http: bool,
    /// Whether usernames may appear in tracing events (default `false`).
    pub enable_pii_logging: bool,
}

impl AppConfig {
    /// The options used to resolve the authority's endpoints.
    pub fn resolve_options(&self) -> ResolveOptions {
        ResolveOptions::new()
            .instance_discovery(self.instance_discovery.clone())
            .validate_authority(self.validate_authority)
    }

    /// The cache `environment` of this application's tokens: the authority's lower-cased
    /// host without port, as MSAL Python writes it.
    pub fn environment(&self) -> &str {
        self.authority.host()
    }
}

//! Emulator configuration: tenants, users, apps and managed identities, read from TOML.
//!
//! [`EmulatorConfig::default`] is the built-in configuration that mirrors the recorded
//! reference traffic (tenant `aaaabbbb-0000-cccc-1111-dddd2222eeee`, `alice@managed.test`,
//! public app `1111...`, confidential app `2222...`).

use serde::{Deserialize, Serialize};
use std::path::Path;

use crate::error::EmulatorError;

/// The whole emulator configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmulatorConfig {
    /// Tenants served by the emulator; the first one is the default tenant.
    #[serde(default)]
    pub tenants: Vec<TenantConfig>,
    /// Managed identities answered by the IMDS and App Service endpoints.
    #[serde(default)]
    pub managed_identities: Vec<ManagedIdentityConfig>,
    /// Lifetime of ordinary access tokens in seconds (`expires_in`).
    #[serde(default = "default_lifetime")]
    pub access_token_lifetime_secs: u64,
    /// Lifetime of CAE (`xms_cc` with `cp1`) access tokens; these carry `refresh_in`.
    #[serde(default = "default_long_lifetime")]
    pub long_lived_token_lifetime_secs: u64,
    /// Refresh token lifetime (inactivity) in seconds; after it AADSTS700082.
    #[serde(default = "default_rt_lifetime")]
    pub refresh_token_lifetime_secs: u64,
    /// Device code lifetime (`expires_in` of /devicecode).
    #[serde(default = "default_device_lifetime")]
    pub device_code_lifetime_secs: u64,
    /// Device code polling interval advertised (`interval`).
    #[serde(default = "default_interval")]
    pub device_code_interval_secs: u64,
    /// Answer `slow_down` when a device code is polled faster than its interval.
    #[serde(default)]
    pub device_code_slow_down: bool,
    /// Reuse an app-only token issued within this many seconds for an identical
    /// client-credentials request (it would differ only in `uti`); 0 disables.
    #[serde(default = "default_reuse")]
    pub app_token_reuse_secs: u64,
}

fn default_lifetime() -> u64 {
    3599
}
fn default_long_lifetime() -> u64 {
    86399
}
fn default_rt_lifetime() -> u64 {
    90 * 24 * 3600
}
fn default_device_lifetime() -> u64 {
    900
}
fn default_interval() -> u64 {
    5
}
fn default_reuse() -> u64 {
    1
}

/// One directory (tenant).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    /// Tenant GUID.
    pub tenant_id: String,
    /// Verified domains; the first is the primary domain.
    #[serde(default)]
    pub domains: Vec<String>,
    /// Users of this tenant.
    #[serde(default)]
    pub users: Vec<UserConfig>,
    /// App registrations of this tenant.
    #[serde(default)]
    pub apps: Vec<AppConfig>,
}

/// Whether a user signs in at Entra (managed) or at a federated IdP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum UserKind {
    /// Password checked by Entra itself.
    #[default]
    Managed,
    /// Password checked by the emulator's WS-Trust IdP.
    Federated,
}

/// A user account.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// UPN, e.g. `alice@managed.test`.
    pub username: String,
    /// The password (test material).
    pub password: String,
    /// Managed or federated.
    #[serde(default)]
    pub kind: UserKind,
    /// Display name (`name` claim); defaults to the UPN's local part.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Object id (`oid`); derived from the username when absent.
    #[serde(default)]
    pub object_id: Option<String>,
    /// ROPC and refresh answer AADSTS50076 with a claims challenge.
    #[serde(default)]
    pub mfa_required: bool,
    /// Sign-in answers AADSTS50053.
    #[serde(default)]
    pub locked: bool,
    /// Sign-in answers AADSTS50055.
    #[serde(default)]
    pub password_expired: bool,
    /// For federated users without MEX: user realm gives no `federation_metadata_url`,
    /// only the WS-Trust 2005 active endpoint.
    #[serde(default)]
    pub federation_without_mex: bool,
}

impl std::fmt::Debug for UserConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserConfig")
            .field("username", &self.username)
            .field("password", &"***")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// Public or confidential client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AppKind {
    /// No credential (desktop, mobile, CLI).
    #[default]
    Public,
    /// Has a secret or certificate (web app, daemon, API).
    Confidential,
}

/// A certificate credential of an app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CertificateConfig {
    /// PEM file of the certificate; when absent the emulator generates one at start
    /// (and writes certificate and private key to files named in the info JSON).
    #[serde(default)]
    pub cert_pem_path: Option<String>,
}

/// An app registration.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// Application (client) id.
    pub client_id: String,
    /// Display name used in error messages.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Public or confidential.
    #[serde(default)]
    pub kind: AppKind,
    /// Client secrets accepted.
    #[serde(default)]
    pub client_secrets: Vec<String>,
    /// Certificates accepted for client assertions.
    #[serde(default)]
    pub certificates: Vec<CertificateConfig>,
    /// Registered redirect URIs (`http://localhost` matches any port).
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// "Allow public client flows" (ROPC, device code without a credential).
    #[serde(default)]
    pub allow_public_client_flows: bool,
    /// Delegated scopes the tenant consented to (`resource/.default` grants all of a resource).
    #[serde(default)]
    pub granted_scopes: Vec<String>,
    /// Application roles put into app-only tokens.
    #[serde(default)]
    pub roles: Vec<String>,
    /// FOCI family id (`"1"` for the Microsoft family).
    #[serde(default)]
    pub family_id: Option<String>,
    /// Application ID URIs; `api://{client_id}` is always implied. On-behalf-of accepts
    /// incoming tokens whose `aud` is the client id or one of these.
    #[serde(default)]
    pub identifier_uris: Vec<String>,
}

impl std::fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppConfig")
            .field("client_id", &self.client_id)
            .field("kind", &self.kind)
            .field(
                "client_secrets",
                &format_args!("[{} masked]", self.client_secrets.len()),
            )
            .finish_non_exhaustive()
    }
}

/// System- or user-assigned managed identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ManagedIdentityKind {
    /// System-assigned (requested without an id).
    System,
    /// User-assigned (requested by client_id, object_id or msi_res_id).
    User,
}

/// A managed identity served by the IMDS / App Service endpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagedIdentityConfig {
    /// System or user assigned.
    pub kind: ManagedIdentityKind,
    /// Client id of the identity.
    pub client_id: String,
    /// Object (principal) id.
    pub object_id: String,
    /// Azure resource id (`msi_res_id`/`mi_res_id`).
    #[serde(default)]
    pub resource_id: Option<String>,
}

/// Id of the built-in default tenant.
pub const DEFAULT_TENANT_ID: &str = "aaaabbbb-0000-cccc-1111-dddd2222eeee";
/// Built-in public client.
pub const DEFAULT_PUBLIC_CLIENT_ID: &str = "11111111-1111-1111-1111-111111111111";
/// Built-in confidential client (secret and generated certificate).
pub const DEFAULT_CONFIDENTIAL_CLIENT_ID: &str = "22222222-2222-2222-2222-222222222222";
/// Built-in API app (on-behalf-of middle tier).
pub const DEFAULT_API_CLIENT_ID: &str = "33333333-3333-3333-3333-333333333333";
/// Built-in FOCI family member (public client, family `1`).
pub const DEFAULT_FAMILY_CLIENT_ID: &str = "44444444-4444-4444-4444-444444444444";
/// Second built-in FOCI family member.
pub const DEFAULT_FAMILY2_CLIENT_ID: &str = "55555555-5555-5555-5555-555555555555";
/// Built-in client secret of the confidential and API apps.
pub const DEFAULT_CLIENT_SECRET: &str = "fake-client-secret~with.special_chars+/=";

fn user(name: &str, password: &str, kind: UserKind, display: &str) -> UserConfig {
    UserConfig {
        username: name.to_string(),
        password: password.to_string(),
        kind,
        display_name: Some(display.to_string()),
        object_id: None,
        mfa_required: false,
        locked: false,
        password_expired: false,
        federation_without_mex: false,
    }
}

fn app(client_id: &str, kind: AppKind, name: &str) -> AppConfig {
    AppConfig {
        client_id: client_id.to_string(),
        display_name: Some(name.to_string()),
        kind,
        client_secrets: Vec::new(),
        certificates: Vec::new(),
        redirect_uris: Vec::new(),
        allow_public_client_flows: false,
        granted_scopes: Vec::new(),
        roles: Vec::new(),
        family_id: None,
        identifier_uris: Vec::new(),
    }
}

fn default_scopes() -> Vec<String> {
    [
        "https://graph.microsoft.com/.default",
        "https://management.azure.com/.default",
        "https://vault.azure.net/.default",
        "https://storage.azure.com/.default",
        "api://33333333-3333-3333-3333-333333333333/.default",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn default_users() -> Vec<UserConfig> {
    let mut alice = user(
        "alice@managed.test",
        "alice-password",
        UserKind::Managed,
        "Alice Managed",
    );
    alice.object_id = Some("00000000-0000-0000-0000-00000000a11c".to_string());
    let bob = user(
        "bob@federated.test",
        "bob-password",
        UserKind::Federated,
        "Bob Federated",
    );
    let mut carol = user(
        "carol@federated2005.test",
        "carol-password",
        UserKind::Federated,
        "Carol Federated2005",
    );
    carol.federation_without_mex = true;
    let mut mfa = user(
        "mfa@managed.test",
        "mfa-password",
        UserKind::Managed,
        "Mfa User",
    );
    mfa.mfa_required = true;
    let mut locked = user(
        "locked@managed.test",
        "locked-password",
        UserKind::Managed,
        "Locked User",
    );
    locked.locked = true;
    let mut expired = user(
        "expired@managed.test",
        "expired-password",
        UserKind::Managed,
        "Expired Password",
    );
    expired.password_expired = true;
    vec![alice, bob, carol, mfa, locked, expired]
}

fn default_apps() -> Vec<AppConfig> {
    let mut public = app(
        DEFAULT_PUBLIC_CLIENT_ID,
        AppKind::Public,
        "Emulator Public Client",
    );
    public.allow_public_client_flows = true;
    public.redirect_uris = vec![
        "http://localhost".to_string(),
        "https://login.microsoftonline.com/common/oauth2/nativeclient".to_string(),
    ];
    public.granted_scopes = default_scopes();

    let mut conf = app(
        DEFAULT_CONFIDENTIAL_CLIENT_ID,
        AppKind::Confidential,
        "Emulator Web App",
    );
    conf.client_secrets = vec![DEFAULT_CLIENT_SECRET.to_string()];
    conf.certificates = vec![CertificateConfig::default()];
    conf.redirect_uris = vec![
        "http://localhost".to_string(),
        "http://localhost/getAToken".to_string(),
        "https://localhost/callback".to_string(),
    ];
    conf.granted_scopes = default_scopes();
    // The recordings show this app acting as middle tier for tokens minted for api://3333.
    conf.identifier_uris = vec!["api://33333333-3333-3333-3333-333333333333".to_string()];

    let mut api = app(
        DEFAULT_API_CLIENT_ID,
        AppKind::Confidential,
        "Emulator Middle-Tier API",
    );
    api.client_secrets = vec![DEFAULT_CLIENT_SECRET.to_string()];
    api.granted_scopes = default_scopes();

    let mut fam = app(
        DEFAULT_FAMILY_CLIENT_ID,
        AppKind::Public,
        "Emulator Family App A",
    );
    fam.allow_public_client_flows = true;
    fam.redirect_uris = vec!["http://localhost".to_string()];
    fam.granted_scopes = default_scopes();
    fam.family_id = Some("1".to_string());
    let mut fam2 = fam.clone();
    fam2.client_id = DEFAULT_FAMILY2_CLIENT_ID.to_string();
    fam2.display_name = Some("Emulator Family App B".to_string());
    vec![public, conf, api, fam, fam2]
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            tenants: vec![TenantConfig {
                tenant_id: DEFAULT_TENANT_ID.to_string(),
                domains: vec![
                    "managed.test".to_string(),
                    "federated.test".to_string(),
                    "federated2005.test".to_string(),
                ],
                users: default_users(),
                apps: default_apps(),
            }],
            managed_identities: vec![
                ManagedIdentityConfig {
                    kind: ManagedIdentityKind::System,
                    client_id: "66666666-6666-6666-6666-666666666666".to_string(),
                    object_id: "00000000-0000-0000-0000-0000000005a1".to_string(),
                    resource_id: None,
                },
                ManagedIdentityConfig {
                    kind: ManagedIdentityKind::User,
                    client_id: "77777777-7777-7777-7777-777777777777".to_string(),
                    object_id: "00000000-0000-0000-0000-0000000007a1".to_string(),
                    resource_id: Some(
                        "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/emulator-uami"
                            .to_string(),
                    ),
                },
            ],
            access_token_lifetime_secs: default_lifetime(),
            long_lived_token_lifetime_secs: default_long_lifetime(),
            refresh_token_lifetime_secs: default_rt_lifetime(),
            device_code_lifetime_secs: default_device_lifetime(),
            device_code_interval_secs: default_interval(),
            device_code_slow_down: false,
            app_token_reuse_secs: default_reuse(),
        }
    }
}

impl EmulatorConfig {
    /// Parses a TOML document (see the README for the schema) and validates it.
    pub fn from_toml_str(text: &str) -> Result<Self, EmulatorError> {
        let config: EmulatorConfig =
            toml::from_str(text).map_err(|e| EmulatorError::Config(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// Reads and parses a TOML file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, EmulatorError> {
        let text = std::fs::read_to_string(path.as_ref()).map_err(|e| {
            EmulatorError::Config(format!("cannot read {}: {e}", path.as_ref().display()))
        })?;
        Self::from_toml_str(&text)
    }

    /// Serialises the configuration back to TOML.
    pub fn to_toml_string(&self) -> Result<String, EmulatorError> {
        toml::to_string(self).map_err(|e| EmulatorError::Config(e.to_string()))
    }

    /// Checks the invariants the server relies on (at least one tenant, GUID-like ids).
    pub fn validate(&self) -> Result<(), EmulatorError> {
        if self.tenants.is_empty() {
            return Err(EmulatorError::Config(
                "at least one tenant is required".into(),
            ));
        }
        for t in &self.tenants {
            if uuid::Uuid::parse_str(&t.tenant_id).is_err() {
                return Err(EmulatorError::Config(format!(
                    "tenant_id {:?} is not a GUID",
                    t.tenant_id
                )));
            }
            for a in &t.apps {
                if a.client_id.is_empty() {
                    return Err(EmulatorError::Config(
                        "an app has an empty client_id".into(),
                    ));
                }
            }
        }
        if self.access_token_lifetime_secs < 300 {
            return Err(EmulatorError::Config(
                "access_token_lifetime_secs must be >= 300 (clients treat shorter tokens as expired)".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_survives_a_toml_round_trip() {
        let config = EmulatorConfig::default();
        let text = config.to_toml_string().unwrap();
        let back = EmulatorConfig::from_toml_str(&text).unwrap();
        assert_eq!(config, back);
    }

    #[test]
    fn minimal_toml_gets_defaults_for_lifetimes() {
        let text = r#"
            [[tenants]]
            tenant_id = "12345678-1234-1234-1234-123456789012"
            domains = ["contoso.test"]
            [[tenants.users]]
            username = "u@contoso.test"
            password = "p"
            mfa_required = true
            [[tenants.apps]]
            client_id = "app"
            kind = "confidential"
            client_secrets = ["s"]
        "#;
        let c = EmulatorConfig::from_toml_str(text).unwrap();
        assert_eq!(c.access_token_lifetime_secs, 3599);
        assert!(c.tenants[0].users[0].mfa_required);
        assert_eq!(c.tenants[0].apps[0].kind, AppKind::Confidential);
    }

    #[test]
    fn unknown_field_and_bad_tenant_id_are_rejected() {
        assert!(EmulatorConfig::from_toml_str("bogus = 1").is_err());
        let bad = "[[tenants]]\ntenant_id = \"not-a-guid\"\n";
        assert!(matches!(
            EmulatorConfig::from_toml_str(bad),
            Err(EmulatorError::Config(_))
        ));
    }

    #[test]
    fn debug_of_user_and_app_masks_secrets() {
        let c = EmulatorConfig::default();
        let dbg = format!("{:?}", c);
        assert!(!dbg.contains("alice-password"));
        assert!(!dbg.contains(DEFAULT_CLIENT_SECRET));
    }
}

//! The info JSON document the binary prints: what to sign in with.

use serde::{Deserialize, Serialize};

/// `{"authority_host", "ca_pem_path", "tenants", "users", "apps"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmulatorInfo {
    /// `https://127.0.0.1:PORT` (or `http://...` with `--http`).
    pub authority_host: String,
    /// Where the CA PEM was written (https only).
    pub ca_pem_path: Option<String>,
    /// Tenants.
    pub tenants: Vec<TenantInfo>,
    /// Users with their passwords.
    pub users: Vec<UserInfo>,
    /// Apps with their credentials.
    pub apps: Vec<AppInfo>,
}

/// A tenant in the info JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantInfo {
    /// Tenant GUID.
    pub tenant_id: String,
    /// Primary domain.
    pub domain: String,
}

/// A user in the info JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserInfo {
    /// UPN.
    pub username: String,
    /// Password (test material).
    pub password: String,
    /// `managed` or `federated`.
    pub kind: String,
    /// Tenant GUID.
    pub tenant_id: String,
}

/// An app in the info JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppInfo {
    /// Client id.
    pub client_id: String,
    /// `public` or `confidential`.
    pub kind: String,
    /// A client secret, when the app has one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub client_secret: Option<String>,
    /// PEM file of the app's (first) certificate.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub certificate_pem_path: Option<String>,
    /// PEM file of that certificate's private key (generated certificates only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub private_key_pem_path: Option<String>,
    /// Registered redirect URIs.
    pub redirect_uris: Vec<String>,
}

//! The five kinds of cache entries, with every field the MSAL libraries write.
//!
//! Field names are the JSON member names. Members that different libraries spell differently
//! (`key_id`/`kid`/`keyid`, `user_assertion_hash`/`userAssertionHash`,
//! `extended_expires_on`/`ext_expires_on`) are each kept as written, and an accessor method
//! reads whichever is present. Members this crate does not know are kept in `extra` and written
//! back unchanged.

use msal_core::Secret;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::field::{self, Text, Time};

/// Unknown members of an entry, kept and written back unchanged.
pub type Extra = Map<String, Value>;

/// The token type of an access token that does not name one.
pub const BEARER: &str = "Bearer";

/// Scopes every request carries implicitly; never part of an access token match.
pub const RESERVED_SCOPES: [&str; 3] = ["openid", "profile", "offline_access"];

/// An `AccessToken` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessToken {
    /// `AccessToken` (MSAL .NET writes `ATExt` when extra key components exist).
    pub credential_type: String,
    /// The access token itself.
    #[serde(serialize_with = "field::secret")]
    pub secret: Secret,
    /// `uid.utid` of the user; absent, empty or `null` for app-only tokens.
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub home_account_id: Text,
    /// The authority host (any alias of the cloud).
    pub environment: String,
    /// The application.
    pub client_id: String,
    /// The tenant.
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub realm: Text,
    /// The granted scopes, space separated.
    #[serde(
        default,
        deserialize_with = "field::target",
        skip_serializing_if = "Text::is_absent"
    )]
    pub target: Text,
    /// When the token was stored.
    #[serde(default, skip_serializing_if = "Time::is_absent")]
    pub cached_at: Time,
    /// When the token expires.
    #[serde(default, skip_serializing_if = "Time::is_absent")]
    pub expires_on: Time,
    /// When the token expires for resilience (outage) purposes.
    #[serde(default, skip_serializing_if = "Time::is_absent")]
    pub extended_expires_on: Time,
    /// MSAL .NET's legacy spelling of `extended_expires_on`.
    #[serde(default, skip_serializing_if = "Time::is_absent")]
    pub ext_expires_on: Time,
    /// When the token should be refreshed proactively.
    #[serde(default, skip_serializing_if = "Time::is_absent")]
    pub refresh_on: Time,
    /// `Bearer` (the default when absent), `pop` or `ssh-cert`.
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub token_type: Text,
    /// Id of the bound key (MSAL Python and Node spelling).
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub key_id: Text,
    /// Id of the bound key (MSAL .NET spelling).
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub kid: Text,
    /// Id of the bound key (MSAL Go spelling).
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub keyid: Text,
    /// On-behalf-of: base64url SHA-256 of the incoming assertion.
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub user_assertion_hash: Text,
    /// On-behalf-of hash as MSAL Node spells it.
    #[serde(
        default,
        rename = "userAssertionHash",
        skip_serializing_if = "Text::is_absent"
    )]
    pub user_assertion_hash_camel: Text,
    /// Claims requested with the token.
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub requested_claims: Text,
    /// Raw `client_info` (MSAL .NET copies it onto credentials).
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub client_info: Text,
    /// Every other member, unchanged.
    #[serde(flatten)]
    pub extra: Extra,
}

impl AccessToken {
    /// The home account id, empty for app-only tokens.
    pub fn home_account_id(&self) -> &str {
        self.home_account_id.or_empty()
    }

    /// The token type, `Bearer` when the entry names none.
    pub fn token_type(&self) -> &str {
        self.token_type.get().unwrap_or(BEARER)
    }

    /// The bound key id, whichever library's spelling holds it.
    pub fn key_id(&self) -> Option<&str> {
        self.key_id
            .get()
            .or_else(|| self.kid.get())
            .or_else(|| self.keyid.get())
    }

    /// The on-behalf-of assertion hash, whichever spelling holds it.
    pub fn user_assertion_hash(&self) -> Option<&str> {
        self.user_assertion_hash
            .get()
            .or_else(|| self.user_assertion_hash_camel.get())
            .filter(|h| !h.is_empty())
    }

    /// The extended expiry, from `extended_expires_on` or the legacy `ext_expires_on`.
    pub fn extended_expires_on(&self) -> Option<i64> {
        self.extended_expires_on
            .get()
            .or_else(|| self.ext_expires_on.get())
    }

    /// The granted scopes, in stored order and case.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.target.or_empty().split_ascii_whitespace()
    }
}

/// A `RefreshToken` entry (a family refresh token when `family_id` is set).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefreshToken {
    /// `RefreshToken`.
    pub credential_type: String,
    /// The refresh token itself.
    #[serde(serialize_with = "field::secret")]
    pub secret: Secret,
    /// `uid.utid` of the user.
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub home_account_id: Text,
    /// The authority host.
    pub environment: String,
    /// The application that obtained the token.
    pub client_id: String,
    /// `"1"` for family (FOCI) refresh tokens.
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub family_id: Text,
    /// The scopes granted with it (informational; never matched).
    #[serde(
        default,
        deserialize_with = "field::target",
        skip_serializing_if = "Text::is_absent"
    )]
    pub target: Text,
    /// Normally empty: refresh tokens are not tied to a tenant.
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub realm: Text,
    /// When the secret was last written (MSAL Python); newest is tried first.
    #[serde(default, skip_serializing_if = "Time::is_absent")]
    pub last_modification_time: Time,
    /// On-behalf-of assertion hash.
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub user_assertion_hash: Text,
    /// Raw `client_info` (MSAL .NET).
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub client_info: Text,
    /// Every other member, unchanged.
    #[serde(flatten)]
    pub extra: Extra,
}

impl RefreshToken {
    /// The home account id.
    pub fn home_account_id(&self) -> &str {
        self.home_account_id.or_empty()
    }

    /// The family id, when this is a family refresh token.
    pub fn family_id(&self) -> Option<&str> {
        self.family_id.get().filter(|f| !f.is_empty())
    }
}

/// An `IdToken` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdToken {
    /// `IdToken` (MSAL Go 1.1.1 wrote `IDToken`).
    pub credential_type: String,
    /// The raw id token JWT.
    #[serde(serialize_with = "field::secret")]
    pub secret: Secret,
    /// `uid.utid` of the user.
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub home_account_id: Text,
    /// The authority host.
    pub environment: String,
    /// The tenant.
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub realm: Text,
    /// The application.
    pub client_id: String,
    /// Raw `client_info` (MSAL .NET).
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub client_info: Text,
    /// On-behalf-of assertion hash (MSAL Go).
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub user_assertion_hash: Text,
    /// Every other member, unchanged.
    #[serde(flatten)]
    pub extra: Extra,
}

impl IdToken {
    /// The home account id.
    pub fn home_account_id(&self) -> &str {
        self.home_account_id.or_empty()
    }
}

/// An `Account` entry: one per user, cloud and tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// `uid.utid` of the user.
    pub home_account_id: String,
    /// The authority host.
    pub environment: String,
    /// The tenant of this tenant profile.
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub realm: Text,
    /// The `oid` claim (or `sub`).
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub local_account_id: Text,
    /// `preferred_username` (or `upn`).
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub username: Text,
    /// `MSSTS`, `ADFS`, `MSA`, `Other`, legacy `AAD`.
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub authority_type: Text,
    /// The grant that created the account (`password`, `authorization_code`, ...).
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub account_source: Text,
    /// Display name.
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub name: Text,
    /// Given name.
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub given_name: Text,
    /// Family name.
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub family_name: Text,
    /// Middle name.
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub middle_name: Text,
    /// Alternative account id.
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub alternative_account_id: Text,
    /// Raw `client_info`.
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub client_info: Text,
    /// On-behalf-of assertion hash (MSAL Go).
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub user_assertion_hash: Text,
    /// Every other member, unchanged.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An `AppMetadata` entry: the app has been used in this cloud, and its family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppMetadata {
    /// The application.
    pub client_id: String,
    /// The authority host.
    pub environment: String,
    /// `"1"` when the app is a FOCI family member.
    #[serde(default, skip_serializing_if = "Text::is_absent")]
    pub family_id: Text,
    /// Every other member, unchanged.
    #[serde(flatten)]
    pub extra: Extra,
}

impl AppMetadata {
    /// The family id, when the app is in a family.
    pub fn family_id(&self) -> Option<&str> {
        self.family_id.get().filter(|f| !f.is_empty())
    }
}

//! The MSAL unified token cache.
//!
//! Reads and writes the JSON cache that MSAL Python, .NET, Java, Go, Node and the Azure CLI
//! share, so a Rust application and those tools use each other's tokens. Entries are typed
//! ([`AccessToken`], [`RefreshToken`], [`IdToken`], [`Account`], [`AppMetadata`]); unknown
//! sections, entries and fields are kept and written back unchanged. Entries are found by
//! their fields through hash indexes, never by their map key and never by scanning: a cache
//! hit costs well under a microsecond at a million tokens.
//!
//! ```
//! use msal_cache::{AccessTokenQuery, Subject, TokenCache, TokenResponseEvent};
//! use msal_core::Secret;
//!
//! let cache = TokenCache::new();
//! let mut event = TokenResponseEvent::new(
//!     "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "login.microsoftonline.com", "tenant", 1_700_000_000);
//! event.scopes = vec!["https://graph.microsoft.com/.default".into()];
//! event.access_token = Some(Secret::new("eyJ..."));
//! event.expires_in = Some(3600);
//! cache.write_response(&event);
//!
//! // MSAL .NET writes login.windows.net: aliases of one cloud find each other's tokens.
//! let scopes = ["https://graph.microsoft.com/.default"];
//! let query = AccessTokenQuery::new(
//!     Subject::App, "login.windows.net", "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "tenant", &scopes)
//!     .valid_at(1_700_000_000 + 300);
//! let token = cache.find_access_token(&query).expect("cached");
//! assert_eq!(token.secret.expose(), "eyJ...");
//!
//! let json = cache.to_json()?;
//! let again = TokenCache::from_json(&json)?;
//! assert_eq!(again.access_tokens().len(), 1);
//! # Ok::<(), msal_core::Error>(())
//! ```
//!
//! Persistence: [`CachePersistence`] (bring your own store) and [`FilePersistence`] (the
//! msal-extensions compatible file with a `.lockfile` cross-process lock), driven by
//! [`PersistentTokenCache`]. With the cargo feature `keyring`, `KeyringPersistence` keeps the
//! cache in the OS secret store (Secret Service, Keychain, Credential Manager) with the
//! explicit `allow_unencrypted_storage` fallback to a plaintext file.

mod atread;
mod cache;
mod document;
mod entity;
pub mod env;
mod fastjson;
mod field;
mod file;
mod hash;
mod json;
mod key;
#[cfg(feature = "keyring")]
mod keyring_store;
mod lock;
mod persistence;
mod query;
mod scan;
mod section;
mod source;
mod store;
mod write;

pub use cache::TokenCache;
pub use entity::{
    AccessToken, Account, AppMetadata, BEARER, Extra, IdToken, RESERVED_SCOPES, RefreshToken,
};
pub use field::{Text, Time};
pub use file::{FilePersistence, FilePersistenceOptions};
#[cfg(feature = "keyring")]
pub use keyring_store::{AZURE_IDENTITY_SERVICE, KeyringOptions, KeyringPersistence};
pub use lock::{CrossProcessLock, LockOptions};
pub use persistence::{CacheAccess, CacheAccessHook, CachePersistence, PersistentTokenCache};
pub use query::{AccessTokenQuery, Subject};
pub use write::TokenResponseEvent;

/// Parses JSON the way the cache reader does: a UTF-8 BOM and trailing commas are accepted.
/// Useful to compare cache documents as values.
pub fn parse_json_lenient(bytes: &[u8]) -> msal_core::Result<serde_json::Value> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        msal_core::Error::with_source(msal_core::ErrorKind::Cache, "the JSON is not UTF-8", e)
    })?;
    serde_json::from_str(&json::clean(text)).map_err(|e| {
        msal_core::Error::with_source(msal_core::ErrorKind::Cache, "the JSON is malformed", e)
    })
}

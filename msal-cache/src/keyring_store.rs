//! [`KeyringPersistence`]: the cache kept in the OS secret store (feature `keyring`).
//!
//! The serialized cache itself is the secret of one secret store item (as msal-extensions
//! does with libsecret and the Keychain): the Secret Service on Linux (gnome-keyring, KWallet,
//! KeePassXC; the transfer over D-Bus is encrypted), the Keychain on macOS and the Credential
//! Manager on Windows (which holds at most 2,560 bytes per item: larger caches fail there
//! with an error). The secret store encrypts it at rest.
//!
//! When no secret store is reachable (no D-Bus session, no Secret Service, a locked store
//! that cannot be opened), the cache is written to a plaintext file only if the caller opted
//! in with [`KeyringOptions::allow_unencrypted_storage`], and a warning is logged; otherwise
//! every access fails with an [`ErrorKind::Cache`] error. The file's `<path>.lockfile` is the
//! cross-process lock in both modes.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use msal_core::{Error, ErrorKind, Result};

use crate::file::{FilePersistence, FilePersistenceOptions};
use crate::lock::LockOptions;
use crate::persistence::CachePersistence;

/// The service name azure-identity and the Azure tools give their secret store items.
pub const AZURE_IDENTITY_SERVICE: &str = "Microsoft.Developer.IdentityService";

/// Options of a [`KeyringPersistence`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct KeyringOptions {
    /// The item's service name.
    pub service: String,
    /// The item's account name (the cache's name).
    pub account: String,
    /// The plaintext file used when no secret store is available and
    /// [`allow_unencrypted_storage`](Self::allow_unencrypted_storage) is set; its
    /// `.lockfile` is the cross-process lock in both modes.
    pub fallback_path: PathBuf,
    /// Whether to fall back to the plaintext file when no secret store is available
    /// (azure-identity's `allow_unencrypted_storage`). Off by default.
    pub allow_unencrypted_storage: bool,
    /// How the cross-process lock is taken.
    pub lock: LockOptions,
}

impl KeyringOptions {
    /// Item `service`/`account`; `fallback_path` as described on the field.
    pub fn new(
        service: impl Into<String>,
        account: impl Into<String>,
        fallback_path: impl Into<PathBuf>,
    ) -> Self {
        Self {
            service: service.into(),
            account: account.into(),
            fallback_path: fallback_path.into(),
            allow_unencrypted_storage: false,
            lock: LockOptions::default(),
        }
    }

    /// Sets [`allow_unencrypted_storage`](Self::allow_unencrypted_storage).
    #[must_use]
    pub fn allow_unencrypted_storage(mut self, yes: bool) -> Self {
        self.allow_unencrypted_storage = yes;
        self
    }
}

/// Why the secret store could not be used.
#[derive(Debug)]
pub(crate) enum StoreError {
    /// No secret store is reachable (fall back to the file when allowed).
    Unavailable(String),
    /// The store is there but the operation failed.
    Failed(String),
}

/// The secret store item holding the cache (a trait so tests can stand in for the OS).
pub(crate) trait SecretItem: Send + Sync + std::fmt::Debug {
    /// The item's secret, `None` when there is no item.
    fn get(&self) -> std::result::Result<Option<Vec<u8>>, StoreError>;
    /// Creates or replaces the item's secret.
    fn set(&self, data: &[u8]) -> std::result::Result<(), StoreError>;
    /// Copies the secret to a sibling item named with `suffix`; returns its description.
    fn copy_aside(&self, suffix: &str) -> std::result::Result<Option<String>, StoreError>;
}

#[derive(Debug)]
enum Backend {
    Store(Arc<dyn SecretItem>),
    File,
}

/// A cache persisted in the OS secret store, with the opt-in plaintext fallback (see the
/// module documentation). The store is probed on first use, on the blocking thread that
/// [`PersistentTokenCache`](crate::PersistentTokenCache) runs persistence on.
///
/// ```no_run
/// use std::sync::Arc;
/// use msal_cache::{KeyringOptions, KeyringPersistence, PersistentTokenCache};
///
/// # async fn run() -> msal_core::Result<()> {
/// let options = KeyringOptions::new("my-app", "msal.cache", "/home/me/.my-app/msal.cache")
///     .allow_unencrypted_storage(false);
/// let cache = Arc::new(PersistentTokenCache::new(Arc::new(KeyringPersistence::new(options))));
/// cache.load().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct KeyringPersistence {
    options: KeyringOptions,
    file: FilePersistence,
    item: Option<Arc<dyn SecretItem>>,
    backend: OnceLock<Backend>,
}

impl KeyringPersistence {
    /// A cache in the OS secret store item `options.service`/`options.account`.
    pub fn new(options: KeyringOptions) -> Self {
        let item = os::item(&options.service, &options.account);
        Self::with_item(options, item)
    }

    /// azure-identity's persistent cache: service `Microsoft.Developer.IdentityService`,
    /// account `<name>.nocae` (or `.cae`), `name` defaulting to `msal.cache`; the fallback
    /// file is `~/.IdentityService/<name>.nocae` (or `.cae`).
    pub fn azure_identity(
        name: Option<&str>,
        cae: bool,
        allow_unencrypted_storage: bool,
    ) -> Result<Self> {
        let file = FilePersistence::azure_identity(name, cae)?;
        let account = file
            .path()
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let options = KeyringOptions::new(AZURE_IDENTITY_SERVICE, account, file.path())
            .allow_unencrypted_storage(allow_unencrypted_storage);
        Ok(Self::new(options))
    }

    pub(crate) fn with_item(options: KeyringOptions, item: Option<Arc<dyn SecretItem>>) -> Self {
        let file_options = FilePersistenceOptions {
            lock: options.lock.clone(),
        };
        let file = FilePersistence::new(options.fallback_path.clone(), Some(file_options));
        Self {
            options,
            file,
            item,
            backend: OnceLock::new(),
        }
    }

    /// Whether the cache is in the OS secret store (`Some(true)`), in the plaintext fallback
    /// file (`Some(false)`), or not decided yet (`None`, before the first access).
    pub fn is_encrypted(&self) -> Option<bool> {
        self.backend.get().map(|b| matches!(b, Backend::Store(_)))
    }

    /// The secret store, or the file when it is unavailable and that is allowed.
    fn backend(&self) -> Result<&Backend> {
        if let Some(backend) = self.backend.get() {
            return Ok(backend);
        }
        let why = match &self.item {
            None => "this platform has no supported secret store".to_owned(),
            Some(item) => match item.get() {
                Ok(_) => return Ok(self.backend.get_or_init(|| Backend::Store(item.clone()))),
                Err(StoreError::Unavailable(why)) => why,
                Err(StoreError::Failed(why)) => return Err(self.store_error("read", &why)),
            },
        };
        if !self.options.allow_unencrypted_storage {
            return Err(Error::new(
                ErrorKind::Cache,
                format!(
                    "no OS secret store is available for the token cache ({why}); \
                     allow_unencrypted_storage would store it in plaintext at {}",
                    self.file.path().display()
                ),
            ));
        }
        tracing::warn!(
            path = %self.file.path().display(),
            reason = %why,
            "no OS secret store is available; the token cache is stored unencrypted \
             (allow_unencrypted_storage)"
        );
        Ok(self.backend.get_or_init(|| Backend::File))
    }

    fn store_error(&self, what: &str, why: &str) -> Error {
        Error::new(
            ErrorKind::Cache,
            format!(
                "could not {what} the token cache in the OS secret store ({}/{}): {why}",
                self.options.service, self.options.account
            ),
        )
    }
}

impl CachePersistence for KeyringPersistence {
    fn load(&self) -> Result<Option<Vec<u8>>> {
        match self.backend()? {
            Backend::Store(item) => item.get().map_err(|e| self.store_error("read", e.why())),
            Backend::File => self.file.load(),
        }
    }

    fn save(&self, data: &[u8]) -> Result<()> {
        match self.backend()? {
            Backend::Store(item) => item
                .set(data)
                .map_err(|e| self.store_error("write", e.why())),
            Backend::File => self.file.save(data),
        }
    }

    fn lock(&self) -> Result<Box<dyn Send>> {
        self.file.lock()
    }

    fn last_modified(&self) -> Option<SystemTime> {
        match self.backend.get() {
            Some(Backend::File) => self.file.last_modified(),
            _ => None,
        }
    }

    fn quarantine(&self) -> Result<Option<String>> {
        match self.backend()? {
            Backend::Store(item) => {
                let stamp = SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis());
                item.copy_aside(&format!(".corrupt-{stamp}"))
                    .map_err(|e| self.store_error("move aside", e.why()))
            }
            Backend::File => self.file.quarantine(),
        }
    }

    fn location(&self) -> String {
        match self.backend.get() {
            Some(Backend::File) => self.file.location(),
            _ => format!(
                "OS secret store item {}/{}",
                self.options.service, self.options.account
            ),
        }
    }
}

impl StoreError {
    fn why(&self) -> &str {
        match self {
            StoreError::Unavailable(why) | StoreError::Failed(why) => why,
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "macos", target_os = "windows"))]
mod os {
    use std::sync::Arc;

    use super::{SecretItem, StoreError};

    /// An item of the platform's secret store, through the `keyring` crate.
    #[derive(Debug)]
    struct KeyringItem {
        service: String,
        account: String,
    }

    pub(super) fn item(service: &str, account: &str) -> Option<Arc<dyn SecretItem>> {
        Some(Arc::new(KeyringItem {
            service: service.to_owned(),
            account: account.to_owned(),
        }))
    }

    /// Maps an error without its payload (`BadEncoding` carries secret bytes).
    fn error(e: &keyring::Error) -> StoreError {
        match e {
            keyring::Error::PlatformFailure(why) | keyring::Error::NoStorageAccess(why) => {
                StoreError::Unavailable(why.to_string())
            }
            keyring::Error::TooLong(what, limit) => StoreError::Failed(format!(
                "the {what} is longer than the store's limit of {limit}"
            )),
            keyring::Error::Invalid(what, why) => StoreError::Failed(format!("{what}: {why}")),
            keyring::Error::Ambiguous(_) => {
                StoreError::Failed("several secret store items match".to_owned())
            }
            _ => StoreError::Failed("the secret store failed".to_owned()),
        }
    }

    impl KeyringItem {
        fn entry(&self, account: &str) -> Result<keyring::Entry, StoreError> {
            keyring::Entry::new(&self.service, account).map_err(|e| error(&e))
        }
    }

    impl SecretItem for KeyringItem {
        fn get(&self) -> Result<Option<Vec<u8>>, StoreError> {
            match self.entry(&self.account)?.get_secret() {
                Ok(data) => Ok(Some(data)),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(error(&e)),
            }
        }

        fn set(&self, data: &[u8]) -> Result<(), StoreError> {
            self.entry(&self.account)?
                .set_secret(data)
                .map_err(|e| error(&e))
        }

        fn copy_aside(&self, suffix: &str) -> Result<Option<String>, StoreError> {
            let Some(data) = self.get()? else {
                return Ok(None);
            };
            let aside = format!("{}{suffix}", self.account);
            self.entry(&aside)?
                .set_secret(&data)
                .map_err(|e| error(&e))?;
            Ok(Some(format!("secret store item {}/{aside}", self.service)))
        }
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
mod os {
    use std::sync::Arc;

    use super::SecretItem;

    /// No supported secret store on this platform.
    pub(super) fn item(_service: &str, _account: &str) -> Option<Arc<dyn SecretItem>> {
        None
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// A secret store that is unreachable, or an in-memory one.
    #[derive(Debug, Default)]
    struct FakeItem {
        unavailable: bool,
        data: Mutex<Option<Vec<u8>>>,
    }

    impl SecretItem for FakeItem {
        fn get(&self) -> std::result::Result<Option<Vec<u8>>, StoreError> {
            if self.unavailable {
                return Err(StoreError::Unavailable("no D-Bus session".into()));
            }
            Ok(self.data.lock().unwrap().clone())
        }
        fn set(&self, data: &[u8]) -> std::result::Result<(), StoreError> {
            *self.data.lock().unwrap() = Some(data.to_vec());
            Ok(())
        }
        fn copy_aside(&self, _: &str) -> std::result::Result<Option<String>, StoreError> {
            Ok(None)
        }
    }

    fn temp_path(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "msal-cache-keyring-{name}-{}-{:?}",
            std::process::id(),
            SystemTime::now()
        ));
        dir.join("msal.cache")
    }

    fn persistence(name: &str, unavailable: bool, allow: bool) -> KeyringPersistence {
        let item = Arc::new(FakeItem {
            unavailable,
            ..FakeItem::default()
        });
        let options =
            KeyringOptions::new("svc", "acct", temp_path(name)).allow_unencrypted_storage(allow);
        KeyringPersistence::with_item(options, Some(item))
    }

    #[test]
    fn without_a_store_and_without_opt_in_every_access_is_a_cache_error() {
        let p = persistence("refuse", true, false);
        let e = p.save(b"{}").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Cache);
        assert!(e.to_string().contains("allow_unencrypted_storage"), "{e}");
        assert_eq!(p.load().unwrap_err().kind(), ErrorKind::Cache);
        assert_eq!(p.is_encrypted(), None);
        assert!(!p.options.fallback_path.exists());
    }

    #[test]
    fn without_a_store_and_with_opt_in_the_plaintext_file_is_used() {
        let p = persistence("fallback", true, true);
        p.save(b"{\"AccessToken\": {}}").unwrap();
        assert_eq!(p.is_encrypted(), Some(false));
        let on_disk = std::fs::read(&p.options.fallback_path).unwrap();
        assert_eq!(on_disk, b"{\"AccessToken\": {}}");
        assert_eq!(p.load().unwrap().unwrap(), on_disk);
        assert_eq!(p.location(), p.options.fallback_path.display().to_string());
        let _ = std::fs::remove_dir_all(p.options.fallback_path.parent().unwrap());
    }

    #[test]
    fn with_a_store_the_file_is_never_written() {
        let p = persistence("store", false, true);
        assert_eq!(p.load().unwrap(), None);
        p.save(b"{}").unwrap();
        assert_eq!(p.is_encrypted(), Some(true));
        assert_eq!(p.load().unwrap().unwrap(), b"{}");
        assert!(!p.options.fallback_path.exists());
        assert!(p.location().contains("svc/acct"));
    }
}

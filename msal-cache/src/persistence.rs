//! Persistence: the [`CachePersistence`] trait and [`PersistentTokenCache`], which keeps a
//! [`TokenCache`] in step with a persisted copy shared with other processes.

use std::fmt::Debug;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use msal_core::{Error, ErrorKind, Result};

use crate::cache::TokenCache;
use crate::document;
use crate::store::Store;
use crate::write::TokenResponseEvent;

/// Where a serialized cache lives: a file, an OS secret store, a database.
///
/// Methods block; [`PersistentTokenCache`]'s async methods call them on tokio's blocking pool.
pub trait CachePersistence: Send + Sync + Debug {
    /// The persisted bytes, or `None` when nothing has been persisted yet.
    fn load(&self) -> Result<Option<Vec<u8>>>;

    /// Replaces the persisted bytes.
    fn save(&self, data: &[u8]) -> Result<()>;

    /// Takes the cross-process lock held around read-merge-write; released when the returned
    /// guard is dropped. The default takes no lock.
    fn lock(&self) -> Result<Box<dyn Send>> {
        Ok(Box::new(()))
    }

    /// When the persisted data last changed, if known (drives reloads).
    fn last_modified(&self) -> Option<SystemTime> {
        None
    }

    /// Moves corrupt persisted data aside (never deletes it); returns where it went.
    fn quarantine(&self) -> Result<Option<String>> {
        Ok(None)
    }

    /// A description of the location for messages (a path, a key name; never a secret).
    fn location(&self) -> String;
}

/// What a [`CacheAccessHook`] is told about an access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CacheAccess {
    /// The cache is loaded from persistence.
    Load,
    /// A token response, removal or other change is written.
    Write,
}

/// Code run before and after each persisted access (MSAL .NET's before/after access
/// notifications), for logging, metrics or a custom store.
pub trait CacheAccessHook: Send + Sync + Debug {
    /// Called before the access.
    fn before_access(&self, _cache: &TokenCache, _access: CacheAccess) {}
    /// Called after the access; `changed` says whether the cache content changed.
    fn after_access(&self, _cache: &TokenCache, _access: CacheAccess, _changed: bool) {}
}

#[derive(Debug, Default)]
struct SyncState {
    saved_change_count: Option<u64>,
    loaded_modified: Option<SystemTime>,
}

/// A [`TokenCache`] backed by a [`CachePersistence`]: loads before reads when the persisted
/// copy changed, and saves after writes with read-merge-write under the cross-process lock,
/// so processes sharing the cache never lose each other's tokens.
#[derive(Debug)]
pub struct PersistentTokenCache {
    cache: Arc<TokenCache>,
    persistence: Arc<dyn CachePersistence>,
    hooks: Vec<Arc<dyn CacheAccessHook>>,
    continue_on_corrupt: bool,
    state: Mutex<SyncState>,
}

impl PersistentTokenCache {
    /// A cache over `persistence`. Call [`load`](Self::load) to read what is persisted.
    pub fn new(persistence: Arc<dyn CachePersistence>) -> Self {
        let cache = Arc::new(TokenCache::new());
        cache.track_changes();
        Self {
            cache,
            persistence,
            hooks: Vec::new(),
            continue_on_corrupt: false,
            state: Mutex::new(SyncState::default()),
        }
    }

    /// When the persisted data is corrupt: move it aside and continue with an empty cache
    /// (`true`), or fail with an [`ErrorKind::Cache`] error (`false`, the default). The data
    /// is moved aside either way.
    #[must_use]
    pub fn continue_on_corrupt(mut self, yes: bool) -> Self {
        self.continue_on_corrupt = yes;
        self
    }

    /// Adds a hook run around each load and write.
    #[must_use]
    pub fn hook(mut self, hook: Arc<dyn CacheAccessHook>) -> Self {
        self.hooks.push(hook);
        self
    }

    /// The in-memory cache, for lookups (they never touch persistence).
    pub fn cache(&self) -> &Arc<TokenCache> {
        &self.cache
    }

    /// Reloads the persisted copy when it changed since the last load or save.
    pub async fn load(self: &Arc<Self>) -> Result<()> {
        let this = self.clone();
        blocking(move || this.load_blocking()).await
    }

    /// Saves the cache if it changed since the last save (read-merge-write under the lock).
    pub async fn save(self: &Arc<Self>) -> Result<()> {
        let this = self.clone();
        blocking(move || this.save_blocking()).await
    }

    /// Writes a token response's entries and saves.
    pub async fn write_response(self: &Arc<Self>, event: TokenResponseEvent) -> Result<()> {
        let this = self.clone();
        blocking(move || this.modify_blocking(|c| c.write_response(&event))).await
    }

    /// Removes an account's tokens for the app (see [`TokenCache::remove_account`]) and saves.
    pub async fn remove_account(
        self: &Arc<Self>,
        home_account_id: String,
        environment: String,
        client_id: String,
    ) -> Result<()> {
        let this = self.clone();
        blocking(move || {
            this.modify_blocking(|c| c.remove_account(&home_account_id, &environment, &client_id))
        })
        .await
    }

    /// Applies `change` to the cache and saves, with the hooks around it (blocking).
    pub fn modify_blocking(&self, change: impl FnOnce(&TokenCache)) -> Result<()> {
        self.hooks_before(CacheAccess::Write);
        let before = self.cache.change_count();
        change(&self.cache);
        let result = self.save_blocking();
        self.hooks_after(CacheAccess::Write, self.cache.change_count() != before);
        result
    }

    /// [`load`](Self::load), blocking the calling thread.
    pub fn load_blocking(&self) -> Result<()> {
        let modified = self.persistence.last_modified();
        {
            let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            if modified.is_some() && state.loaded_modified == modified {
                return Ok(());
            }
        }
        self.hooks_before(CacheAccess::Load);
        let result = self.reload(modified);
        self.hooks_after(CacheAccess::Load, result.is_ok());
        result
    }

    fn reload(&self, modified: Option<SystemTime>) -> Result<()> {
        let Some(bytes) = self.persistence.load()? else {
            return Ok(());
        };
        let fresh = match parse(bytes) {
            Ok(store) => store,
            Err(_) => {
                // The data may be mid-write by a tool that writes in place: look again under
                // the lock before calling it corrupt.
                let _guard = self.persistence.lock()?;
                let bytes = self.persistence.load()?.unwrap_or_default();
                match parse(bytes) {
                    Ok(store) => store,
                    Err(e) => self.corrupt(e)?,
                }
            }
        };
        let _ = self.cache.install(fresh, &[]);
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.loaded_modified = modified;
        Ok(())
    }

    /// Moves corrupt data aside; returns an empty store or the error, as configured.
    fn corrupt(&self, cause: Error) -> Result<Store> {
        let location = self.persistence.location();
        let aside = self.persistence.quarantine()?;
        let aside = aside.map_or_else(String::new, |a| format!("; it was moved to {a}"));
        if self.continue_on_corrupt {
            tracing::warn!(%location, "the token cache was corrupt{aside}; continuing empty");
            return Ok(Store::default());
        }
        Err(Error::with_source(
            ErrorKind::Cache,
            format!("the token cache {location} is corrupt{aside}"),
            cause,
        ))
    }

    /// [`save`](Self::save), blocking the calling thread.
    pub fn save_blocking(&self) -> Result<()> {
        let count = self.cache.change_count();
        {
            let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            if state.saved_change_count == Some(count) {
                return Ok(());
            }
        }
        let guard = self.persistence.lock()?;
        let changes = self.cache.take_changes();
        let merged = self.merge_persisted().and_then(|fresh| {
            let installed = self.cache.install(fresh, &changes);
            let bytes = self.cache.to_json()?;
            self.persistence.save(&bytes)?;
            Ok(installed)
        });
        let installed = match merged {
            Ok(count) => count,
            Err(e) => {
                self.cache.restore_changes(changes);
                return Err(e);
            }
        };
        let modified = self.persistence.last_modified();
        drop(guard);
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        // Changes made after the merge have a higher count and are saved next time.
        state.saved_change_count = Some(installed);
        state.loaded_modified = modified;
        Ok(())
    }

    /// The persisted content (read under the lock); corrupt data is moved aside.
    fn merge_persisted(&self) -> Result<Store> {
        match self.persistence.load()? {
            None => Ok(Store::default()),
            Some(bytes) => parse(bytes).or_else(|e| self.corrupt(e)),
        }
    }

    fn hooks_before(&self, access: CacheAccess) {
        for hook in &self.hooks {
            hook.before_access(&self.cache, access);
        }
    }

    fn hooks_after(&self, access: CacheAccess, changed: bool) {
        for hook in &self.hooks {
            hook.after_access(&self.cache, access, changed);
        }
    }
}

fn parse(bytes: Vec<u8>) -> Result<Store> {
    let mut store = Store::default();
    document::parse_owned(bytes, &mut store)?;
    Ok(store)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        Error::with_source(ErrorKind::Cache, "the token cache task did not finish", e)
    })?
}

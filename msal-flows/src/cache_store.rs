//! The application's token cache: in memory, or backed by a msal-cache persistence.

use std::sync::Arc;

use msal_cache::{PersistentTokenCache, TokenCache};
use msal_core::{Error, ErrorKind, Result};

/// The token cache an application uses: in memory (the default) or persisted.
///
/// ```
/// use std::sync::Arc;
/// use msal_cache::TokenCache;
/// use msal_flows::AppTokenCache;
///
/// let shared = Arc::new(TokenCache::new());
/// let cache: AppTokenCache = shared.clone().into();
/// assert!(Arc::ptr_eq(cache.cache(), &shared));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AppTokenCache {
    /// A cache that lives as long as the process (shareable between applications).
    InMemory(Arc<TokenCache>),
    /// A cache loaded before reads and saved after writes.
    Persistent(Arc<PersistentTokenCache>),
}

impl Default for AppTokenCache {
    fn default() -> Self {
        AppTokenCache::InMemory(Arc::new(TokenCache::new()))
    }
}

impl From<Arc<TokenCache>> for AppTokenCache {
    fn from(cache: Arc<TokenCache>) -> Self {
        AppTokenCache::InMemory(cache)
    }
}

impl From<Arc<PersistentTokenCache>> for AppTokenCache {
    fn from(cache: Arc<PersistentTokenCache>) -> Self {
        AppTokenCache::Persistent(cache)
    }
}

impl AppTokenCache {
    /// The in-memory cache (lookups never touch persistence).
    pub fn cache(&self) -> &Arc<TokenCache> {
        match self {
            AppTokenCache::InMemory(c) => c,
            AppTokenCache::Persistent(p) => p.cache(),
        }
    }

    /// Whether lookups need no reload first (an in-memory cache).
    pub(crate) fn is_in_memory(&self) -> bool {
        matches!(self, AppTokenCache::InMemory(_))
    }

    /// Reloads the persisted copy when it changed (nothing for an in-memory cache).
    pub(crate) async fn load(&self) -> Result<()> {
        match self {
            AppTokenCache::InMemory(_) => Ok(()),
            AppTokenCache::Persistent(p) => p.load().await,
        }
    }

    /// Applies a change and, for a persisted cache, saves it (read-merge-write).
    pub(crate) async fn modify<F>(&self, change: F) -> Result<()>
    where
        F: FnOnce(&TokenCache) + Send + 'static,
    {
        match self {
            AppTokenCache::InMemory(c) => {
                change(c);
                Ok(())
            }
            AppTokenCache::Persistent(p) => {
                let p = p.clone();
                tokio::task::spawn_blocking(move || p.modify_blocking(change))
                    .await
                    .map_err(|e| {
                        Error::new(
                            ErrorKind::Cache,
                            format!("the token cache write did not complete: {e}"),
                        )
                    })?
            }
        }
    }
}

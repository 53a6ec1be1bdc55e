//! [`TokenCache`]: the shared, indexed, in-memory cache.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use msal_core::{Result, Secret};

use crate::entity::{AccessToken, Account, AppMetadata, IdToken, RefreshToken};
use crate::field::Time;
use crate::query::AccessTokenQuery;
use crate::store::{self, Change, Store};
use crate::write::{self, TokenResponseEvent};
use crate::{document, env, hash, query};

/// The MSAL unified token cache in memory.
///
/// Readers share a read lock and never wait for each other; a cache hit clones one `Arc` and
/// allocates nothing. Writers take the write lock briefly. Every change bumps
/// [`change_count`](Self::change_count), which persistence uses to skip saving an unchanged
/// cache.
///
/// ```
/// use msal_cache::{AccessTokenQuery, Subject, TokenCache};
///
/// let json = br#"{"AccessToken": {"k": {"credential_type": "AccessToken", "secret": "s",
///     "home_account_id": "u.t", "environment": "login.windows.net", "client_id": "c",
///     "realm": "t", "target": "User.Read", "expires_on": "4000000000"}}}"#;
/// let cache = TokenCache::from_json(json)?;
/// let scopes = ["user.read"];
/// let query = AccessTokenQuery::new(
///     Subject::Account("u.t"), "login.microsoftonline.com", "c", "t", &scopes);
/// assert!(cache.find_access_token(&query).is_some());
/// # Ok::<(), msal_core::Error>(())
/// ```
#[derive(Default)]
pub struct TokenCache {
    store: RwLock<Store>,
    changes: AtomicU64,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.read();
        f.debug_struct("TokenCache")
            .field("access_tokens", &s.access_tokens.len())
            .field("refresh_tokens", &s.refresh_tokens.len())
            .field("id_tokens", &s.id_tokens.len())
            .field("accounts", &s.accounts.len())
            .field("app_metadata", &s.app_metadata.len())
            .finish_non_exhaustive()
    }
}

impl TokenCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// A cache holding the given document (any MSAL's JSON; BOM and trailing commas accepted).
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let cache = Self::new();
        cache.replace_from_json(bytes)?;
        Ok(cache)
    }

    /// [`from_json`](Self::from_json) taking the document's bytes: they are kept (not
    /// copied), and entries that stay unchanged are written back by copying their bytes.
    /// The fastest way to load a large cache.
    pub fn from_json_vec(bytes: Vec<u8>) -> Result<Self> {
        let cache = Self::new();
        cache.replace_from_json_vec(bytes)?;
        Ok(cache)
    }

    /// Replaces the whole content with the given document. On error the content is unchanged.
    pub fn replace_from_json(&self, bytes: &[u8]) -> Result<()> {
        self.replace_from_json_vec(bytes.to_vec())
    }

    /// [`replace_from_json`](Self::replace_from_json) taking the document's bytes (see
    /// [`from_json_vec`](Self::from_json_vec)).
    pub fn replace_from_json_vec(&self, bytes: Vec<u8>) -> Result<()> {
        let mut fresh = Store::default();
        document::parse_owned(bytes, &mut fresh)?;
        let mut store = self.write();
        fresh.journal = store.journal.as_ref().map(|_| Vec::new());
        *store = fresh;
        self.bump();
        Ok(())
    }

    /// The document as JSON bytes: every entry, unknown member and section, sorted by key.
    pub fn to_json(&self) -> Result<Vec<u8>> {
        document::write(&self.read())
    }

    /// A number that changes whenever the content changes.
    pub fn change_count(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }

    fn bump(&self) {
        self.changes.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The access token answering `query`; among several, the one expiring last.
    /// Looks only at the query's index partition, never at all tokens.
    pub fn find_access_token(&self, query: &AccessTokenQuery<'_>) -> Option<Arc<AccessToken>> {
        let store = self.read();
        let partition = query.partition();
        let candidates = match query.scope_key(partition) {
            Some(key) => store.access_tokens.multi_bucket(key),
            None => store.access_tokens.bucket(store::AT_PARTITION, partition),
        };
        let mut best: Option<&Arc<AccessToken>> = None;
        for (_, at) in candidates {
            if query.matches(at) && best.is_none_or(|b| expiry(b) < expiry(at)) {
                best = Some(at);
            }
        }
        best.cloned()
    }

    /// The account's refresh token issued to `client_id` in the cloud of `environment`
    /// (the most recently written when there are several).
    pub fn refresh_token_for_client(
        &self,
        home_account_id: &str,
        environment: &str,
        client_id: &str,
    ) -> Option<Arc<RefreshToken>> {
        let store = self.read();
        let h = hash::parts(&[home_account_id, env::group(environment), client_id]);
        newest(
            store
                .refresh_tokens
                .bucket(store::RT_CLIENT, h)
                .iter()
                .map(|(_, rt)| rt)
                .filter(|rt| {
                    rt.home_account_id().eq_ignore_ascii_case(home_account_id)
                        && env::same_cloud(&rt.environment, environment)
                        && rt.client_id.eq_ignore_ascii_case(client_id)
                }),
        )
    }

    /// The account's family refresh tokens of `family_id` in the cloud, newest first.
    pub fn family_refresh_tokens(
        &self,
        home_account_id: &str,
        environment: &str,
        family_id: &str,
    ) -> Vec<Arc<RefreshToken>> {
        let store = self.read();
        let h = hash::parts(&[
            "\u{2}family",
            home_account_id,
            env::group(environment),
            family_id,
        ]);
        let mut found: Vec<Arc<RefreshToken>> = store
            .refresh_tokens
            .bucket(store::RT_FAMILY, h)
            .iter()
            .map(|(_, rt)| rt)
            .filter(|rt| {
                rt.home_account_id().eq_ignore_ascii_case(home_account_id)
                    && env::same_cloud(&rt.environment, environment)
                    && rt.family_id() == Some(family_id)
            })
            .cloned()
            .collect();
        found.sort_by_key(|rt| std::cmp::Reverse(rt.last_modification_time.get().unwrap_or(0)));
        found
    }

    /// The account's id token for the client and realm (any realm when `realm` is `None`).
    pub fn id_token(
        &self,
        home_account_id: &str,
        environment: &str,
        client_id: &str,
        realm: Option<&str>,
    ) -> Option<Arc<IdToken>> {
        let store = self.read();
        let h = hash::parts(&[home_account_id]);
        store
            .id_tokens
            .bucket(store::BY_HOME, h)
            .iter()
            .map(|(_, idt)| idt)
            .find(|idt| {
                idt.home_account_id().eq_ignore_ascii_case(home_account_id)
                    && env::same_cloud(&idt.environment, environment)
                    && idt.client_id.eq_ignore_ascii_case(client_id)
                    && realm.is_none_or(|r| idt.realm.or_empty().eq_ignore_ascii_case(r))
            })
            .cloned()
    }

    /// The account entries (one per tenant profile) of a user, in any cloud.
    pub fn accounts_for(&self, home_account_id: &str) -> Vec<Arc<Account>> {
        let store = self.read();
        let h = hash::parts(&[home_account_id]);
        store
            .accounts
            .bucket(store::BY_HOME, h)
            .iter()
            .map(|(_, a)| a)
            .filter(|a| a.home_account_id.eq_ignore_ascii_case(home_account_id))
            .cloned()
            .collect()
    }

    /// The account entries of the cloud of `environment` (MSAL Python's `get_accounts`
    /// scope; one entry per user and tenant).
    pub fn accounts_in(&self, environment: &str) -> Vec<Arc<Account>> {
        self.read()
            .accounts
            .iter()
            .map(|(_, a)| a)
            .filter(|a| env::same_cloud(&a.environment, environment))
            .cloned()
            .collect()
    }

    /// Every account entry.
    pub fn accounts(&self) -> Vec<Arc<Account>> {
        self.read()
            .accounts
            .iter()
            .map(|(_, a)| a.clone())
            .collect()
    }

    /// Every access token entry (for listing and tests; lookups use
    /// [`find_access_token`](Self::find_access_token)).
    pub fn access_tokens(&self) -> Vec<Arc<AccessToken>> {
        let store = self.read();
        store.access_tokens.iter().map(|(_, a)| a.clone()).collect()
    }

    /// Every refresh token entry.
    pub fn refresh_tokens(&self) -> Vec<Arc<RefreshToken>> {
        let store = self.read();
        store
            .refresh_tokens
            .iter()
            .map(|(_, a)| a.clone())
            .collect()
    }

    /// Every id token entry.
    pub fn id_tokens(&self) -> Vec<Arc<IdToken>> {
        self.read()
            .id_tokens
            .iter()
            .map(|(_, a)| a.clone())
            .collect()
    }

    /// The app's metadata in the cloud of `environment`.
    pub fn app_metadata(&self, environment: &str, client_id: &str) -> Option<Arc<AppMetadata>> {
        let store = self.read();
        let h = hash::parts(&[env::group(environment), client_id]);
        store
            .app_metadata
            .bucket(store::APP_CLIENT, h)
            .iter()
            .map(|(_, a)| a)
            .find(|a| {
                a.client_id.eq_ignore_ascii_case(client_id)
                    && env::same_cloud(&a.environment, environment)
            })
            .cloned()
    }

    /// Stores every entry a successful token response yields.
    pub fn write_response(&self, event: &TokenResponseEvent) {
        write::apply(&mut self.write(), event);
        self.bump();
    }

    /// Stores an access token, first removing the tokens it supersedes (same account, cloud,
    /// client, realm, token type and key, intersecting scopes). Returns its key.
    pub fn add_access_token(&self, at: AccessToken) -> String {
        let key = self.write().add_access_token(at);
        self.bump();
        key.to_string()
    }

    /// After a refresh token grant: gives the refresh token that was used a new secret and
    /// modification time, keeping its key and every other field. Returns whether it was found.
    pub fn update_refresh_token(&self, used: &RefreshToken, secret: Secret, now: i64) -> bool {
        let mut store = self.write();
        let h = hash::parts(&[
            used.home_account_id(),
            env::group(&used.environment),
            &used.client_id,
        ]);
        let key = store
            .refresh_tokens
            .bucket(store::RT_CLIENT, h)
            .iter()
            .find(|(_, rt)| rt.secret == used.secret && rt.client_id == used.client_id)
            .map(|(k, _)| k.clone());
        let Some(key) = key else { return false };
        let Some(old) = store.refresh_tokens.get(&key) else {
            return false;
        };
        let mut updated = RefreshToken::clone(old);
        updated.secret = secret;
        updated.last_modification_time = Time::Value(now);
        store.put_rt(&key, Arc::new(updated));
        drop(store);
        self.bump();
        true
    }

    /// Signs an account out of an app (MSAL Python's `remove_account`): in the cloud of
    /// `environment`, removes the account's refresh tokens of `client_id` or of the app's
    /// family, all its access tokens, id tokens and account entries.
    pub fn remove_account(&self, home_account_id: &str, environment: &str, client_id: &str) {
        let family = self
            .app_metadata(environment, client_id)
            .and_then(|a| a.family_id().map(str::to_owned));
        let mut store = self.write();
        let same = |home: &str, e: &str| {
            home.eq_ignore_ascii_case(home_account_id) && env::same_cloud(e, environment)
        };
        let rt_hash = hash::parts(&[home_account_id, env::group(environment)]);
        let rts: Vec<Arc<str>> = store
            .refresh_tokens
            .bucket(store::RT_ACCOUNT, rt_hash)
            .iter()
            .filter(|(_, rt)| same(rt.home_account_id(), &rt.environment))
            .filter(|(_, rt)| {
                rt.client_id.eq_ignore_ascii_case(client_id)
                    || (family.is_some() && rt.family_id() == family.as_deref())
            })
            .map(|(k, _)| k.clone())
            .collect();
        let ats: Vec<Arc<str>> = store
            .access_tokens
            .bucket(store::AT_SUBJECT_ENV, rt_hash)
            .iter()
            .filter(|(_, at)| same(at.home_account_id(), &at.environment))
            .map(|(k, _)| k.clone())
            .collect();
        let home_hash = hash::parts(&[home_account_id]);
        let idts: Vec<Arc<str>> = store
            .id_tokens
            .bucket(store::BY_HOME, home_hash)
            .iter()
            .filter(|(_, t)| same(t.home_account_id(), &t.environment))
            .map(|(k, _)| k.clone())
            .collect();
        let accounts: Vec<Arc<str>> = store
            .accounts
            .bucket(store::BY_HOME, home_hash)
            .iter()
            .filter(|(_, a)| same(&a.home_account_id, &a.environment))
            .map(|(k, _)| k.clone())
            .collect();
        for (section, keys) in [(1, rts), (0, ats), (2, idts), (3, accounts)] {
            for key in keys {
                store.remove(section, &key);
            }
        }
        drop(store);
        self.bump();
    }

    /// Removes one access token (such as an expired one the silent path skipped); returns
    /// whether it was there. The entry is found through the index, by its secret.
    pub fn remove_access_token(&self, at: &AccessToken) -> bool {
        let mut store = self.write();
        let partition = store::at_partition_key(at);
        let scope = at.scopes().find(|s| !query::is_reserved(s));
        let candidates = match scope {
            Some(scope) => store
                .access_tokens
                .multi_bucket(hash::within(partition, scope)),
            None => store.access_tokens.bucket(store::AT_PARTITION, partition),
        };
        let key = candidates
            .iter()
            .find(|(_, e)| e.secret == at.secret && e.client_id == at.client_id)
            .map(|(k, _)| k.clone());
        let Some(key) = key else { return false };
        store.remove(0, &key);
        drop(store);
        self.bump();
        true
    }

    /// Removes the app-only access tokens of `client_id` in the cloud of `environment`
    /// (MSAL Python's `remove_tokens_for_client`).
    pub fn remove_app_tokens(&self, environment: &str, client_id: &str) {
        let mut store = self.write();
        for key in store.app_token_keys(environment, client_id) {
            store.remove(0, &key);
        }
        drop(store);
        self.bump();
    }

    /// Starts recording changes for a later merge with persisted data.
    pub(crate) fn track_changes(&self) {
        let mut store = self.write();
        if store.journal.is_none() {
            store.journal = Some(Vec::new());
        }
    }

    /// Takes the changes recorded since the last call.
    pub(crate) fn take_changes(&self) -> Vec<Change> {
        self.write()
            .journal
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Replaces the content with `fresh`, then applies `changes` and the changes still pending
    /// in this process on top (read-merge-write under the persistence lock).
    /// Returns the change count that the installed content corresponds to.
    pub(crate) fn install(&self, mut fresh: Store, changes: &[Change]) -> u64 {
        fresh.journal = None;
        for change in changes {
            fresh.apply(change);
        }
        let mut store = self.write();
        let pending = store.journal.take();
        for change in pending.iter().flatten() {
            fresh.apply(change);
        }
        fresh.journal = pending;
        *store = fresh;
        // Counted while the lock is held: a later change gets a higher count.
        self.changes.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// Puts back changes that could not be saved, ahead of newer ones.
    pub(crate) fn restore_changes(&self, mut changes: Vec<Change>) {
        let mut store = self.write();
        if let Some(journal) = &mut store.journal {
            changes.append(journal);
            *journal = changes;
        }
    }
}

fn expiry(at: &AccessToken) -> i64 {
    at.expires_on.get().unwrap_or(i64::MIN)
}

fn newest<'a>(rts: impl Iterator<Item = &'a Arc<RefreshToken>>) -> Option<Arc<RefreshToken>> {
    rts.max_by_key(|rt| rt.last_modification_time.get().unwrap_or(0))
        .cloned()
}

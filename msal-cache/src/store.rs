//! The in-memory store: five indexed sections, the raw parts of the document, and a journal
//! of changes for read-merge-write persistence.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::entity::{AccessToken, Account, AppMetadata, IdToken, RefreshToken};
use crate::query::{self, OBO_TAG};
use crate::section::Section;
use crate::source::Source;
use crate::{env, hash, key};

/// Index numbers of the access token section.
pub(crate) const AT_PARTITION: usize = 0;
pub(crate) const AT_SUBJECT_ENV: usize = 1;
/// Index numbers of the refresh token section.
pub(crate) const RT_CLIENT: usize = 0;
pub(crate) const RT_FAMILY: usize = 1;
pub(crate) const RT_ACCOUNT: usize = 2;
/// The only index of id tokens and accounts: by home account id.
pub(crate) const BY_HOME: usize = 0;
/// The only index of app metadata: by cloud and client.
pub(crate) const APP_CLIENT: usize = 0;

/// The partition index key of an access token.
pub(crate) fn at_partition_key(at: &AccessToken) -> u64 {
    at_partition(at).unwrap_or_default()
}

fn at_partition(at: &AccessToken) -> Option<u64> {
    let group = env::group(&at.environment);
    let realm = at.realm.or_empty();
    Some(match at.user_assertion_hash() {
        Some(h) => hash::parts(&[
            OBO_TAG,
            h.trim_end_matches('='),
            group,
            &at.client_id,
            realm,
        ]),
        None => hash::parts(&[at.home_account_id(), group, &at.client_id, realm]),
    })
}

/// The scope index keys of an access token: one per scope other than the reserved ones,
/// within its partition. Scope sets of one identity never intersect after the duplicate-scope
/// cleanup, so a key leads to about one entry however many resources the partition holds.
fn at_scopes(at: &AccessToken, sink: &mut dyn FnMut(u64)) {
    let partition = at_partition_key(at);
    for scope in at.scopes().filter(|s| !query::is_reserved(s)) {
        sink(hash::within(partition, scope));
    }
}

fn at_subject_env(at: &AccessToken) -> Option<u64> {
    Some(hash::parts(&[
        at.home_account_id(),
        env::group(&at.environment),
    ]))
}

fn rt_client(rt: &RefreshToken) -> Option<u64> {
    Some(hash::parts(&[
        rt.home_account_id(),
        env::group(&rt.environment),
        &rt.client_id,
    ]))
}

fn rt_family(rt: &RefreshToken) -> Option<u64> {
    let family = rt.family_id()?;
    Some(hash::parts(&[
        "\u{2}family",
        rt.home_account_id(),
        env::group(&rt.environment),
        family,
    ]))
}

fn rt_account(rt: &RefreshToken) -> Option<u64> {
    Some(hash::parts(&[
        rt.home_account_id(),
        env::group(&rt.environment),
    ]))
}

fn idt_home(idt: &IdToken) -> Option<u64> {
    Some(hash::parts(&[idt.home_account_id()]))
}

fn account_home(account: &Account) -> Option<u64> {
    Some(hash::parts(&[&account.home_account_id]))
}

fn app_client(app: &AppMetadata) -> Option<u64> {
    Some(hash::parts(&[env::group(&app.environment), &app.client_id]))
}

fn same_obo(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => query::same_hash(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// One entry of any section, for the change journal.
#[derive(Clone)]
pub(crate) enum AnyEntry {
    At(Arc<AccessToken>),
    Rt(Arc<RefreshToken>),
    Idt(Arc<IdToken>),
    Account(Arc<Account>),
    App(Arc<AppMetadata>),
}

/// A change made since the last sync with persistence: section number, key, new entry (or
/// `None` for a removal).
pub(crate) type Change = (usize, Arc<str>, Option<AnyEntry>);

/// The whole cache in memory.
#[derive(Clone)]
pub(crate) struct Store {
    pub(crate) access_tokens: Section<AccessToken>,
    pub(crate) refresh_tokens: Section<RefreshToken>,
    pub(crate) id_tokens: Section<IdToken>,
    pub(crate) accounts: Section<Account>,
    pub(crate) app_metadata: Section<AppMetadata>,
    /// Entries of each section that are not valid items, kept for write-back.
    pub(crate) raw: [Map<String, Value>; 5],
    /// Unknown top-level members, kept for write-back.
    pub(crate) unknown: Map<String, Value>,
    /// Which sections the loaded document had (written back even when empty).
    pub(crate) present: [bool; 5],
    /// Changes since the last sync, when tracking is on.
    pub(crate) journal: Option<Vec<Change>>,
    /// The document the entries were loaded from (their spans point into it).
    pub(crate) source: Option<Arc<Source>>,
}

impl Default for Store {
    fn default() -> Self {
        Self {
            access_tokens: Section::with_multi(&[at_partition, at_subject_env], at_scopes),
            refresh_tokens: Section::new(&[rt_client, rt_family, rt_account]),
            id_tokens: Section::new(&[idt_home]),
            accounts: Section::new(&[account_home]),
            app_metadata: Section::new(&[app_client]),
            raw: Default::default(),
            unknown: Map::new(),
            present: [false; 5],
            journal: None,
            source: None,
        }
    }
}

impl Store {
    fn record(&mut self, section: usize, key: &str, entry: Option<AnyEntry>) {
        if let Some(journal) = &mut self.journal {
            journal.push((section, Arc::from(key), entry));
        }
        if let Some(raw) = self.raw.get_mut(section) {
            raw.remove(key);
        }
    }

    /// Applies one journaled change (used when merging with the persisted document).
    /// When the persisted entry under the same key is newer (a later `cached_at` for an access
    /// token, `last_modification_time` for a refresh token), it wins over the change.
    pub(crate) fn apply(&mut self, change: &Change) {
        let (section, key, entry) = change;
        match entry {
            Some(AnyEntry::At(e)) => {
                let newer = self
                    .access_tokens
                    .get(key)
                    .is_some_and(|old| old.cached_at.get() > e.cached_at.get());
                if !newer {
                    self.put_at(key, e.clone());
                }
            }
            Some(AnyEntry::Rt(e)) => {
                let newer = self.refresh_tokens.get(key).is_some_and(|old| {
                    old.last_modification_time.get() > e.last_modification_time.get()
                });
                if !newer {
                    self.put_rt(key, e.clone());
                }
            }
            Some(AnyEntry::Idt(e)) => self.put_idt(key, e.clone()),
            Some(AnyEntry::Account(e)) => self.put_account(key, e.clone()),
            Some(AnyEntry::App(e)) => self.put_app(key, e.clone()),
            None => self.remove(*section, key),
        }
    }

    pub(crate) fn remove(&mut self, section: usize, key: &str) {
        let removed = match section {
            0 => self.access_tokens.remove(key).is_some(),
            1 => self.refresh_tokens.remove(key).is_some(),
            2 => self.id_tokens.remove(key).is_some(),
            3 => self.accounts.remove(key).is_some(),
            _ => self.app_metadata.remove(key).is_some(),
        };
        let raw = self.raw.get(section).is_some_and(|r| r.contains_key(key));
        if removed || raw {
            self.record(section, key, None);
        }
    }

    pub(crate) fn put_at(&mut self, key: &str, e: Arc<AccessToken>) {
        self.access_tokens.insert(key, e.clone());
        self.record(0, key, Some(AnyEntry::At(e)));
    }

    pub(crate) fn put_rt(&mut self, key: &str, e: Arc<RefreshToken>) {
        self.refresh_tokens.insert(key, e.clone());
        self.record(1, key, Some(AnyEntry::Rt(e)));
    }

    pub(crate) fn put_idt(&mut self, key: &str, e: Arc<IdToken>) {
        self.id_tokens.insert(key, e.clone());
        self.record(2, key, Some(AnyEntry::Idt(e)));
    }

    pub(crate) fn put_account(&mut self, key: &str, e: Arc<Account>) {
        self.accounts.insert(key, e.clone());
        self.record(3, key, Some(AnyEntry::Account(e)));
    }

    pub(crate) fn put_app(&mut self, key: &str, e: Arc<AppMetadata>) {
        self.app_metadata.insert(key, e.clone());
        self.record(4, key, Some(AnyEntry::App(e)));
    }

    /// Stores an access token after removing the tokens of the same account, cloud, client,
    /// realm, token type and key whose scopes intersect it (so no reader sees two matches).
    /// The key of a removed token with the same scope set is reused.
    pub(crate) fn add_access_token(&mut self, at: AccessToken) -> Arc<str> {
        let mut reuse: Option<Arc<str>> = None;
        let mut doomed: Vec<Arc<str>> = Vec::new();
        let partition = at_partition_key(&at);
        // Only tokens sharing a (non-reserved) scope can be superseded: look them up by
        // scope instead of scanning the partition.
        let candidates = at
            .scopes()
            .filter(|s| !query::is_reserved(s))
            .flat_map(|scope| {
                self.access_tokens
                    .multi_bucket(hash::within(partition, scope))
            });
        for (k, old) in candidates {
            if doomed.contains(k) {
                continue;
            }
            let same_identity = old
                .home_account_id()
                .eq_ignore_ascii_case(at.home_account_id())
                && same_obo(old.user_assertion_hash(), at.user_assertion_hash())
                && env::same_cloud(&old.environment, &at.environment)
                && old.client_id.eq_ignore_ascii_case(&at.client_id)
                && old
                    .realm
                    .or_empty()
                    .eq_ignore_ascii_case(at.realm.or_empty())
                && old.token_type().eq_ignore_ascii_case(at.token_type())
                && old.key_id() == at.key_id();
            if same_identity && query::scopes_intersect(old, &at) {
                if reuse.is_none() && query::same_scopes(old, &at) {
                    reuse = Some(k.clone());
                }
                doomed.push(k.clone());
            }
        }
        for k in &doomed {
            self.remove(0, k);
        }
        let key = reuse.unwrap_or_else(|| Arc::from(key::access_token(&at)));
        self.put_at(&key, Arc::new(at));
        key
    }

    /// Stores a refresh token, replacing the account's token of the same client in the same
    /// cloud and, for a family token, the account's family token.
    pub(crate) fn add_refresh_token(&mut self, rt: RefreshToken) -> Arc<str> {
        let mut doomed: Vec<Arc<str>> = Vec::new();
        for (k, old) in self
            .refresh_tokens
            .bucket(RT_ACCOUNT, rt_account(&rt).unwrap_or(0))
        {
            let same_account = old
                .home_account_id()
                .eq_ignore_ascii_case(rt.home_account_id())
                && env::same_cloud(&old.environment, &rt.environment);
            let same_client = old.client_id.eq_ignore_ascii_case(&rt.client_id);
            let same_family = rt.family_id().is_some() && old.family_id() == rt.family_id();
            if same_account && (same_client || same_family) {
                doomed.push(k.clone());
            }
        }
        let key = doomed
            .first()
            .cloned()
            .unwrap_or_else(|| Arc::from(key::refresh_token(&rt)));
        for k in &doomed {
            self.remove(1, k);
        }
        self.put_rt(&key, Arc::new(rt));
        key
    }

    /// Stores an id token, replacing the one of the same account, cloud, client and realm.
    pub(crate) fn add_id_token(&mut self, idt: IdToken) -> Arc<str> {
        let existing = self
            .id_tokens
            .bucket(BY_HOME, idt_home(&idt).unwrap_or(0))
            .iter()
            .find(|(_, old)| {
                old.home_account_id()
                    .eq_ignore_ascii_case(idt.home_account_id())
                    && env::same_cloud(&old.environment, &idt.environment)
                    && old.client_id.eq_ignore_ascii_case(&idt.client_id)
                    && old
                        .realm
                        .or_empty()
                        .eq_ignore_ascii_case(idt.realm.or_empty())
            })
            .map(|(k, _)| k.clone());
        let key = existing.unwrap_or_else(|| Arc::from(key::id_token(&idt)));
        self.put_idt(&key, Arc::new(idt));
        key
    }

    /// Stores an account, replacing the one of the same user, cloud and realm.
    pub(crate) fn add_account(&mut self, account: Account) -> Arc<str> {
        let existing = self
            .accounts
            .bucket(BY_HOME, account_home(&account).unwrap_or(0))
            .iter()
            .find(|(_, old)| {
                old.home_account_id
                    .eq_ignore_ascii_case(&account.home_account_id)
                    && env::same_cloud(&old.environment, &account.environment)
                    && old
                        .realm
                        .or_empty()
                        .eq_ignore_ascii_case(account.realm.or_empty())
            })
            .map(|(k, _)| k.clone());
        let key = existing.unwrap_or_else(|| Arc::from(key::account(&account)));
        self.put_account(&key, Arc::new(account));
        key
    }

    /// Stores app metadata, replacing the entry of the same client in the same cloud.
    pub(crate) fn add_app_metadata(&mut self, app: AppMetadata) -> Arc<str> {
        let existing = self
            .app_metadata
            .bucket(APP_CLIENT, app_client(&app).unwrap_or(0))
            .iter()
            .find(|(_, old)| {
                old.client_id.eq_ignore_ascii_case(&app.client_id)
                    && env::same_cloud(&old.environment, &app.environment)
            })
            .map(|(k, _)| k.clone());
        let key = existing.unwrap_or_else(|| Arc::from(key::app_metadata(&app)));
        self.put_app(&key, Arc::new(app));
        key
    }

    /// Keys of the app-only access tokens of `client_id` in the cloud of `environment`.
    pub(crate) fn app_token_keys(&self, environment: &str, client_id: &str) -> Vec<Arc<str>> {
        let hash = hash::parts(&["", env::group(environment)]);
        self.access_tokens
            .bucket(AT_SUBJECT_ENV, hash)
            .iter()
            .filter(|(_, at)| {
                at.home_account_id().is_empty()
                    && at.user_assertion_hash().is_none()
                    && at.client_id.eq_ignore_ascii_case(client_id)
                    && env::same_cloud(&at.environment, environment)
            })
            .map(|(k, _)| k.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::{AccessTokenQuery, Subject, TokenCache, TokenResponseEvent};
    use msal_core::Secret;

    fn app_token(cache: &TokenCache, scopes: &[&str], secret: &str) {
        let mut e = TokenResponseEvent::new("client", "login.microsoftonline.com", "tenant", 100);
        e.scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        e.access_token = Some(Secret::new(secret));
        e.expires_in = Some(3600);
        cache.write_response(&e);
    }

    fn find(cache: &TokenCache, scopes: &[&str]) -> Option<String> {
        let q = AccessTokenQuery::new(
            Subject::App,
            "login.windows.net",
            "client",
            "tenant",
            scopes,
        );
        cache
            .find_access_token(&q)
            .map(|at| at.secret.expose().to_owned())
    }

    #[test]
    fn many_resources_in_one_tenant_are_each_found_by_scope() {
        let cache = TokenCache::new();
        for i in 0..500 {
            app_token(&cache, &[&format!("api://r{i}/.default")], &format!("s{i}"));
        }
        assert_eq!(cache.access_tokens().len(), 500);
        assert_eq!(
            find(&cache, &["API://R321/.DEFAULT"]).as_deref(),
            Some("s321")
        );
        assert_eq!(find(&cache, &["api://r500/.default"]), None);
    }

    #[test]
    fn a_write_supersedes_only_tokens_sharing_a_scope_found_through_the_scope_index() {
        let cache = TokenCache::new();
        app_token(&cache, &["a", "b"], "ab");
        app_token(&cache, &["c"], "c");
        app_token(&cache, &["B", "d"], "bd");
        assert_eq!(find(&cache, &["a"]), None);
        assert_eq!(find(&cache, &["b", "d"]).as_deref(), Some("bd"));
        assert_eq!(find(&cache, &["c"]).as_deref(), Some("c"));
        assert_eq!(cache.access_tokens().len(), 2);
    }

    #[test]
    fn a_token_is_removed_from_the_scope_index_with_its_entry() {
        let cache = TokenCache::new();
        app_token(&cache, &["x", "y"], "xy");
        let Some(at) = cache.access_tokens().pop() else {
            panic!("the token was stored");
        };
        assert!(cache.remove_access_token(&at));
        assert_eq!(find(&cache, &["y"]), None);
        assert_eq!(find(&cache, &["openid"]), None);
    }
}

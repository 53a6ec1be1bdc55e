//! Access token queries: what the silent path asks the cache, and how an entry matches.

use crate::entity::{AccessToken, BEARER, RESERVED_SCOPES};
use crate::env;
use crate::hash;

/// Whose token is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject<'a> {
    /// A user's token, by home account id (`uid.utid`).
    Account(&'a str),
    /// An app-only (client credentials) token: no home account.
    App,
    /// An on-behalf-of token, by the hash of the incoming assertion (padding ignored).
    OnBehalfOf(&'a str),
}

/// A lookup of an access token. Build one with [`AccessTokenQuery::new`] and the setters.
///
/// ```
/// use msal_cache::{AccessTokenQuery, Subject};
///
/// let scopes = ["User.Read"];
/// let query = AccessTokenQuery::new(
///     Subject::Account("uid.utid"),
///     "login.microsoftonline.com",
///     "client-id",
///     "tenant-id",
///     &scopes,
/// )
/// .valid_at(1_700_000_000);
/// assert_eq!(query.token_type(), "Bearer");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct AccessTokenQuery<'a> {
    subject: Subject<'a>,
    environment: &'a str,
    client_id: &'a str,
    realm: &'a str,
    scopes: &'a [&'a str],
    token_type: &'a str,
    key_id: Option<&'a str>,
    valid_at: Option<i64>,
}

impl<'a> AccessTokenQuery<'a> {
    /// A query for a Bearer token without a bound key, of any expiry.
    pub fn new(
        subject: Subject<'a>,
        environment: &'a str,
        client_id: &'a str,
        realm: &'a str,
        scopes: &'a [&'a str],
    ) -> Self {
        Self {
            subject,
            environment,
            client_id,
            realm,
            scopes,
            token_type: BEARER,
            key_id: None,
            valid_at: None,
        }
    }

    /// Wants this token type (`pop`, `ssh-cert`); compared case-insensitively.
    #[must_use]
    pub fn with_token_type(mut self, token_type: &'a str) -> Self {
        self.token_type = token_type;
        self
    }

    /// Wants a token bound to this key id.
    #[must_use]
    pub fn with_key_id(mut self, key_id: &'a str) -> Self {
        self.key_id = Some(key_id);
        self
    }

    /// Skips tokens whose `expires_on` is not after `seconds` (pass now plus the expiry
    /// buffer, such as 300 s).
    #[must_use]
    pub fn valid_at(mut self, seconds: i64) -> Self {
        self.valid_at = Some(seconds);
        self
    }

    /// The token type asked for.
    pub fn token_type(&self) -> &str {
        self.token_type
    }

    /// The index key of the partition this query looks in.
    pub(crate) fn partition(&self) -> u64 {
        let group = env::group(self.environment);
        match self.subject {
            Subject::Account(home) => hash::parts(&[home, group, self.client_id, self.realm]),
            Subject::App => hash::parts(&["", group, self.client_id, self.realm]),
            Subject::OnBehalfOf(h) => hash::parts(&[
                OBO_TAG,
                h.trim_end_matches('='),
                group,
                self.client_id,
                self.realm,
            ]),
        }
    }

    /// The scope index key to look in: the first requested scope that is not reserved,
    /// within the partition. `None` when every requested scope is reserved (then every
    /// entry of the partition is a candidate).
    pub(crate) fn scope_key(&self, partition: u64) -> Option<u64> {
        self.scopes
            .iter()
            .find(|s| !is_reserved(s))
            .map(|scope| hash::within(partition, scope))
    }

    /// Whether `at` answers this query.
    pub(crate) fn matches(&self, at: &AccessToken) -> bool {
        let subject_ok = match (self.subject, at.user_assertion_hash()) {
            (Subject::OnBehalfOf(h), Some(e)) => same_hash(h, e),
            (Subject::Account(home), None) => home.eq_ignore_ascii_case(at.home_account_id()),
            (Subject::App, None) => at.home_account_id().is_empty(),
            _ => false,
        };
        subject_ok
            && self
                .valid_at
                .is_none_or(|t| at.expires_on.get().is_some_and(|e| e > t))
            && at.client_id.eq_ignore_ascii_case(self.client_id)
            && at.realm.or_empty().eq_ignore_ascii_case(self.realm)
            && env::same_cloud(&at.environment, self.environment)
            && at.token_type().eq_ignore_ascii_case(self.token_type)
            && at.key_id() == self.key_id
            && scopes_cover(at, self.scopes)
    }
}

/// Separates on-behalf-of partitions from user and app ones in the index.
pub(crate) const OBO_TAG: &str = "\u{1}obo";

/// Assertion hashes compare without `=` padding (MSAL Go pads, MSAL .NET does not).
pub(crate) fn same_hash(a: &str, b: &str) -> bool {
    a.trim_end_matches('=')
        .eq_ignore_ascii_case(b.trim_end_matches('='))
}

/// Whether every requested scope (reserved scopes aside) is among the entry's scopes,
/// case-insensitively.
pub(crate) fn scopes_cover(at: &AccessToken, requested: &[&str]) -> bool {
    requested
        .iter()
        .all(|want| is_reserved(want) || at.scopes().any(|have| have.eq_ignore_ascii_case(want)))
}

/// Whether two entries' scope sets share a scope other than the reserved ones
/// (case-insensitively).
pub(crate) fn scopes_intersect(a: &AccessToken, b: &AccessToken) -> bool {
    a.scopes()
        .filter(|x| !is_reserved(x))
        .any(|x| b.scopes().any(|y| x.eq_ignore_ascii_case(y)))
}

/// Whether two entries hold the same scope set (case-insensitively, any order).
pub(crate) fn same_scopes(a: &AccessToken, b: &AccessToken) -> bool {
    let a_in_b = a
        .scopes()
        .all(|x| b.scopes().any(|y| x.eq_ignore_ascii_case(y)));
    let b_in_a = b
        .scopes()
        .all(|x| a.scopes().any(|y| x.eq_ignore_ascii_case(y)));
    a_in_b && b_in_a
}

pub(crate) fn is_reserved(scope: &str) -> bool {
    RESERVED_SCOPES
        .iter()
        .any(|r| r.eq_ignore_ascii_case(scope))
}

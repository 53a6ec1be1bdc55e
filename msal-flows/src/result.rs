//! What an acquisition returns: the token, its account, and where it came from.

use msal_core::Secret;
use msal_core::token::IdTokenClaims;
use time::OffsetDateTime;

/// Where the token of an [`AuthenticationResult`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenSource {
    /// The token cache: no request was sent.
    Cache,
    /// The identity provider (a grant or a refresh).
    IdentityProvider,
}

impl TokenSource {
    /// `cache` or `identity_provider`, as MSAL Python names them.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenSource::Cache => "cache",
            TokenSource::IdentityProvider => "identity_provider",
        }
    }
}

/// A signed-in user, as the token cache knows them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Account {
    /// `{uid}.{utid}`: the user's id in their home tenant; the key of the account.
    pub home_account_id: String,
    /// The authority host the account signed in with.
    pub environment: String,
    /// The username (UPN or email), when known.
    pub username: Option<String>,
    /// The object id in the tenant of the token (`oid`), when known.
    pub local_account_id: Option<String>,
    /// The tenant of the token.
    pub tenant_id: Option<String>,
    /// `MSSTS` (Entra ID) or `ADFS`.
    pub authority_type: String,
    /// The grant the account first signed in with (`password`, `authorization_code`, ...).
    pub account_source: Option<String>,
}

impl Account {
    /// An account with just its key and cloud, for lookups (`get_account` fills the rest).
    pub fn new(home_account_id: impl Into<String>, environment: impl Into<String>) -> Self {
        Self {
            home_account_id: home_account_id.into(),
            environment: environment.into(),
            username: None,
            local_account_id: None,
            tenant_id: None,
            authority_type: "MSSTS".to_owned(),
            account_source: None,
        }
    }

    pub(crate) fn from_cache(entry: &msal_cache::Account) -> Self {
        let text = |t: &msal_cache::Text| t.get().map(str::to_owned);
        Self {
            home_account_id: entry.home_account_id.clone(),
            environment: entry.environment.clone(),
            username: text(&entry.username),
            local_account_id: text(&entry.local_account_id),
            tenant_id: text(&entry.realm),
            authority_type: text(&entry.authority_type).unwrap_or_else(|| "MSSTS".to_owned()),
            account_source: text(&entry.account_source),
        }
    }
}

/// A token and what comes with it.
///
/// `Debug` never shows the access token (it is a [`Secret`]).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AuthenticationResult {
    /// The access token.
    pub access_token: Secret,
    /// `Bearer` unless another type was asked for.
    pub token_type: String,
    /// When the access token expires.
    pub expires_on: OffsetDateTime,
    /// When the token should be refreshed proactively, when the service said so.
    pub refresh_on: Option<OffsetDateTime>,
    /// The scopes the token is for.
    pub scopes: Vec<String>,
    /// The signed-in user (none for app-only tokens).
    pub account: Option<Account>,
    /// The id token's claims, when the response had an id token.
    pub id_token_claims: Option<IdTokenClaims>,
    /// The tenant the token was issued in.
    pub tenant_id: Option<String>,
    /// Cache or identity provider.
    pub token_source: TokenSource,
    /// The correlation id of the call that returned this result.
    pub correlation_id: String,
}

/// A Unix time as an `OffsetDateTime`; out-of-range values are clamped to the epoch.
pub(crate) fn from_unix(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The current Unix time in seconds.
pub(crate) fn now_unix() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_source_names_match_msal_python() {
        assert_eq!(TokenSource::Cache.as_str(), "cache");
        assert_eq!(TokenSource::IdentityProvider.as_str(), "identity_provider");
    }

    #[test]
    fn unix_time_out_of_range_is_clamped_not_panicking() {
        assert_eq!(from_unix(i64::MAX), OffsetDateTime::UNIX_EPOCH);
        assert_eq!(from_unix(60).unix_timestamp(), 60);
    }
}

//! Turning a token response into cache entries (reference A2: MSAL Python's rules, with the
//! .NET duplicate-scope cleanup).

use msal_core::Secret;
use serde_json::{Map, Value};

use crate::entity::{AccessToken, Account, AppMetadata, BEARER, IdToken, RefreshToken};
use crate::field::{Text, Time};
use crate::store::Store;

/// The already-decoded pieces of a successful token response that the cache stores.
///
/// Build it with [`TokenResponseEvent::new`] and set the fields the response had.
///
/// ```
/// use msal_cache::{TokenCache, TokenResponseEvent};
/// use msal_core::Secret;
///
/// let mut event = TokenResponseEvent::new("client", "login.microsoftonline.com", "tenant", 1_700_000_000);
/// event.scopes = vec!["https://graph.microsoft.com/.default".into()];
/// event.access_token = Some(Secret::new("token"));
/// event.expires_in = Some(3600);
/// let cache = TokenCache::new();
/// cache.write_response(&event);
/// assert_eq!(cache.access_tokens().len(), 1);
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct TokenResponseEvent {
    /// The application.
    pub client_id: String,
    /// The authority host the request went to.
    pub environment: String,
    /// The tenant: the authority's tenant, or the `tid` claim for `common`/`organizations`.
    pub realm: String,
    /// The granted scopes (the response's `scope`), else the requested ones.
    pub scopes: Vec<String>,
    /// `access_token`.
    pub access_token: Option<Secret>,
    /// `token_type` (Bearer when absent).
    pub token_type: Option<String>,
    /// `expires_in` seconds (600 when absent and `expires_on` is absent too).
    pub expires_in: Option<i64>,
    /// Absolute `expires_on` (managed identity responses), used when `expires_in` is absent.
    pub expires_on: Option<i64>,
    /// `ext_expires_in` seconds (defaults to the expiry).
    pub ext_expires_in: Option<i64>,
    /// `refresh_in` seconds.
    pub refresh_in: Option<i64>,
    /// `refresh_token`. Leave it out for the refresh token grant and call
    /// [`TokenCache::update_refresh_token`](crate::TokenCache::update_refresh_token) instead.
    pub refresh_token: Option<Secret>,
    /// The raw `id_token` JWT.
    pub id_token: Option<Secret>,
    /// The decoded claims of the id token.
    pub id_token_claims: Option<Map<String, Value>>,
    /// `uid` of the decoded `client_info`.
    pub client_info_uid: Option<String>,
    /// `utid` of the decoded `client_info`.
    pub client_info_utid: Option<String>,
    /// `foci`: the family id.
    pub family_id: Option<String>,
    /// The bound key id (PoP, ssh-cert).
    pub key_id: Option<String>,
    /// Claims requested with the token.
    pub requested_claims: Option<String>,
    /// On-behalf-of: base64url SHA-256 of the incoming assertion.
    pub user_assertion_hash: Option<String>,
    /// The grant type; recorded as the account's `account_source` for user grants.
    pub grant_type: Option<String>,
    /// The username of a password grant, the account's username when the id token has none.
    pub username: Option<String>,
    /// `MSSTS` (default) or `ADFS`.
    pub authority_type: Option<String>,
    /// Do not create or update the Account entry (refresh during a concurrent sign-out).
    pub skip_account_creation: bool,
    /// The time of the response, Unix seconds.
    pub now: i64,
}

impl TokenResponseEvent {
    /// An event with the identity of the request; every other field empty.
    pub fn new(
        client_id: impl Into<String>,
        environment: impl Into<String>,
        realm: impl Into<String>,
        now: i64,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            environment: environment.into(),
            realm: realm.into(),
            now,
            ..Self::default()
        }
    }

    fn claim(&self, name: &str) -> Option<&str> {
        self.id_token_claims
            .as_ref()?
            .get(name)?
            .as_str()
            .filter(|v| !v.is_empty())
    }

    /// `uid.utid` from client_info, else the id token's `sub` (ADFS), else none (app-only).
    pub fn home_account_id(&self) -> Option<String> {
        match (&self.client_info_uid, &self.client_info_utid) {
            (Some(uid), Some(utid)) => Some(format!("{uid}.{utid}")),
            _ => self.claim("sub").map(str::to_owned),
        }
    }

    fn target(&self) -> String {
        let mut scopes: Vec<&str> = self.scopes.iter().map(String::as_str).collect();
        scopes.sort_unstable();
        scopes.dedup();
        scopes.join(" ")
    }
}

const ACCOUNT_SOURCES: [&str; 4] = [
    "broker",
    "authorization_code",
    "password",
    "urn:ietf:params:oauth:grant-type:device_code",
];

/// Writes every entry the response yields into `store`.
pub(crate) fn apply(store: &mut Store, ev: &TokenResponseEvent) {
    let home = ev.home_account_id();
    let environment = ev.environment.to_ascii_lowercase();
    let home_text = || home.clone().map_or(Text::Null, Text::Value);
    if let Some(secret) = &ev.access_token {
        store.add_access_token(access_token(ev, secret, home_text(), &environment));
    }
    if let Some(home) = home.as_deref() {
        if !ev.skip_account_creation {
            store.add_account(account(ev, home, &environment));
        }
        if let Some(raw) = &ev.id_token {
            store.add_id_token(IdToken {
                credential_type: "IdToken".into(),
                secret: raw.clone(),
                home_account_id: home.into(),
                environment: environment.clone(),
                realm: ev.realm.as_str().into(),
                client_id: ev.client_id.clone(),
                client_info: Text::Absent,
                user_assertion_hash: Text::Absent,
                extra: Map::new(),
            });
        }
        if let Some(secret) = &ev.refresh_token {
            store.add_refresh_token(RefreshToken {
                credential_type: "RefreshToken".into(),
                secret: secret.clone(),
                home_account_id: home.into(),
                environment: environment.clone(),
                client_id: ev.client_id.clone(),
                family_id: Text::from_option(ev.family_id.clone()),
                target: ev.target().into(),
                realm: Text::Absent,
                last_modification_time: ev.now.into(),
                user_assertion_hash: Text::from_option(ev.user_assertion_hash.clone()),
                client_info: Text::Absent,
                extra: Map::new(),
            });
        }
    }
    store.add_app_metadata(AppMetadata {
        client_id: ev.client_id.clone(),
        environment,
        family_id: Text::from_option(ev.family_id.clone()),
        extra: Map::new(),
    });
}

fn access_token(ev: &TokenResponseEvent, secret: &Secret, home: Text, env: &str) -> AccessToken {
    let now = ev.now;
    let expires_in = ev
        .expires_in
        .or_else(|| ev.expires_on.map(|on| on.saturating_sub(now)))
        .unwrap_or(600);
    let ext_expires_in = ev.ext_expires_in.unwrap_or(expires_in);
    AccessToken {
        credential_type: "AccessToken".into(),
        secret: secret.clone(),
        home_account_id: home,
        environment: env.to_owned(),
        client_id: ev.client_id.clone(),
        realm: ev.realm.as_str().into(),
        target: ev.target().into(),
        cached_at: now.into(),
        expires_on: now.saturating_add(expires_in).into(),
        extended_expires_on: now.saturating_add(ext_expires_in).into(),
        ext_expires_on: Time::Absent,
        refresh_on: ev
            .refresh_in
            .map_or(Time::Absent, |r| now.saturating_add(r).into()),
        token_type: ev.token_type.as_deref().unwrap_or(BEARER).into(),
        key_id: Text::from_option(ev.key_id.clone()),
        kid: Text::Absent,
        keyid: Text::Absent,
        user_assertion_hash: Text::from_option(ev.user_assertion_hash.clone()),
        user_assertion_hash_camel: Text::Absent,
        requested_claims: Text::from_option(ev.requested_claims.clone()),
        client_info: Text::Absent,
        extra: Map::new(),
    }
}

fn account(ev: &TokenResponseEvent, home: &str, env: &str) -> Account {
    let username = ev
        .claim("preferred_username")
        .or_else(|| ev.claim("upn"))
        .or(ev.username.as_deref())
        .unwrap_or("");
    let local = ev.claim("oid").or_else(|| ev.claim("sub"));
    let source = ev
        .grant_type
        .as_deref()
        .filter(|g| ACCOUNT_SOURCES.contains(g));
    Account {
        home_account_id: home.to_owned(),
        environment: env.to_owned(),
        realm: ev.realm.as_str().into(),
        local_account_id: Text::from_option(local.map(str::to_owned)),
        username: username.into(),
        authority_type: ev.authority_type.as_deref().unwrap_or("MSSTS").into(),
        account_source: Text::from_option(source.map(str::to_owned)),
        name: Text::Absent,
        given_name: Text::Absent,
        family_name: Text::Absent,
        middle_name: Text::Absent,
        alternative_account_id: Text::Absent,
        client_info: Text::Absent,
        user_assertion_hash: Text::Absent,
        extra: Map::new(),
    }
}

//! Synthetic caches for the benchmarks: one access token per user, shaped like the tokens
//! MSAL Python writes for a user flow.

use msal_cache::{AccessToken, Text, Time, TokenCache};
use msal_core::Secret;

/// The application of every token.
pub const CLIENT: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
/// The cloud of every token.
pub const ENV: &str = "login.microsoftonline.com";
/// The tenant of every token.
pub const REALM: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
/// The scopes of every token.
pub const TARGET: &str =
    "https://graph.microsoft.com/Mail.Read https://graph.microsoft.com/User.Read openid profile";

/// The home account id of user `i`.
pub fn home(i: usize) -> String {
    format!("{i:08x}-0000-0000-0000-000000000000.{REALM}")
}

/// An access token of user `i` with a secret of `secret_len` characters.
pub fn token(i: usize, secret_len: usize) -> AccessToken {
    let secret: String = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9."
        .chars()
        .cycle()
        .take(secret_len)
        .collect();
    let at: AccessToken = serde_json::from_value(serde_json::json!({
        "credential_type": "AccessToken",
        "secret": "x",
        "environment": ENV,
        "client_id": CLIENT,
    }))
    .expect("valid token");
    AccessToken {
        secret: Secret::new(secret),
        home_account_id: Text::Value(home(i)),
        realm: REALM.into(),
        target: TARGET.into(),
        cached_at: Time::Value(1_700_000_000),
        expires_on: Time::Value(1_700_003_600),
        extended_expires_on: Time::Value(1_700_003_600),
        token_type: "Bearer".into(),
        ..at
    }
}

/// A cache of `n` users' tokens.
pub fn cache(n: usize, secret_len: usize) -> TokenCache {
    let cache = TokenCache::new();
    for i in 0..n {
        cache.add_access_token(token(i, secret_len));
    }
    cache
}

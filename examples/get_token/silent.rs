//! `--silent-only`: the cache file is read and searched here, without any application, so
//! that no request (not even authority discovery) can be sent.

use std::sync::Arc;

use msal_cache::{AccessTokenQuery, FilePersistence, PersistentTokenCache, Subject};
use serde_json::{Value, json};
use url::Url;

use crate::Failure;
use crate::run::Request;

/// The seconds of validity a cached token must have left, as MSAL's silent path requires.
const EXPIRY_BUFFER_SECS: i64 = 300;

/// The token the cache file holds for `request`, or a failure saying why there is none.
pub async fn from_cache(request: &Request) -> Result<Value, Failure> {
    let path = request.cache_file.as_ref().ok_or_else(|| {
        Failure::new(
            "cache_miss",
            "--silent-only needs --cache-file: there is no cache to serve from",
        )
    })?;
    let persistent = Arc::new(PersistentTokenCache::new(Arc::new(FilePersistence::new(
        path, None,
    ))));
    persistent.load().await.map_err(Failure::from)?;
    let cache = persistent.cache();
    let url = Url::parse(&request.authority)
        .map_err(|e| Failure::new("invalid_argument", format!("--authority: {e}")))?;
    // MSAL writes the authority host without its port as the environment.
    let environment = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let tenant = url
        .path_segments()
        .and_then(|mut s| s.next())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let scopes: Vec<&str> = request.scopes.iter().map(String::as_str).collect();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();

    let (home, account) = if request.flow.is_user_flow() {
        let accounts = cache.accounts_in(&environment);
        let wanted = accounts.iter().filter(|a| {
            request
                .username
                .as_deref()
                .is_none_or(|u| a.username.get().is_some_and(|n| n.eq_ignore_ascii_case(u)))
                && a.environment.eq_ignore_ascii_case(&environment)
        });
        let found: Vec<_> = wanted.cloned().collect();
        let account = match found.as_slice() {
            [one] => one.clone(),
            [] => return Err(miss("no account in the cache matches")),
            _ => return Err(miss("several accounts match: pass --username")),
        };
        (Some(account.home_account_id.clone()), Some(account))
    } else if request.flow.is_obo() {
        return Err(Failure::new(
            "invalid_argument",
            "--silent-only is not available for on-behalf-of (tokens are keyed by the assertion)",
        ));
    } else {
        (None, None)
    };
    // A user authority such as `organizations` has no realm: the account's home tenant is
    // where its tokens were issued.
    let realm = match (&account, is_tenant_alias(&tenant)) {
        (Some(a), true) => a.realm.get().unwrap_or_default().to_owned(),
        _ => tenant,
    };
    let subject = match &home {
        Some(h) => Subject::Account(h),
        None => Subject::App,
    };
    let query = AccessTokenQuery::new(subject, &environment, &request.client_id, &realm, &scopes)
        .valid_at(now + EXPIRY_BUFFER_SECS);
    let at = cache
        .find_access_token(&query)
        .ok_or_else(|| miss("no valid access token in the cache for these scopes"))?;
    let mut out = json!({
        "token_type": at.token_type.get().unwrap_or("Bearer"),
        "expires_on": at.expires_on.get(),
        "scopes": at.target.get().unwrap_or_default().split(' ').filter(|s| !s.is_empty()).collect::<Vec<_>>(),
        "source": "cache",
        "account": account.as_ref().map(|a| json!({
            "username": a.username.get(),
            "home_account_id": a.home_account_id,
            "tenant_id": a.realm.get(),
        })),
    });
    if request.show_token {
        out["access_token"] = Value::from(at.secret.expose());
    }
    Ok(out)
}

fn is_tenant_alias(tenant: &str) -> bool {
    matches!(tenant, "common" | "organizations" | "consumers")
}

fn miss(why: &str) -> Failure {
    Failure::new(
        "cache_miss",
        format!("--silent-only: {why}; no request was sent"),
    )
}

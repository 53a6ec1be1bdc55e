//! The two calls every credential example makes: the first reaches the identity provider,
//! the second is served from the credential's cache.

use std::time::{Duration, Instant};

use msal_core::{AccessTokenInfo, TokenCredential, TokenRequestOptions};

use crate::print::{self, field, step};
use crate::{BoxError, CountingHttpClient};

/// The heading of the first call.
pub const FIRST: &str =
    "1. get_token: nothing cached yet, so the credential asks the identity provider";

/// Calls `get_token_info` twice and prints what happened each time; returns the token.
pub async fn get_twice(
    credential: &dyn TokenCredential,
    http: &CountingHttpClient,
    scopes: &[&str],
    account: &str,
    show_token: bool,
) -> Result<AccessTokenInfo, BoxError> {
    step(FIRST);
    let (before, started) = (http.counts(), Instant::now());
    let token = credential
        .get_token_info(scopes, TokenRequestOptions::default())
        .await?;
    let took = started.elapsed();
    print_first(
        &token,
        account,
        scopes,
        before,
        http.counts(),
        took,
        show_token,
    );
    second_call(credential, http, scopes, &token).await?;
    Ok(token)
}

/// Prints the first token: account, scopes, expiry, source, the token cut short.
pub fn print_first(
    token: &AccessTokenInfo,
    account: &str,
    scopes: &[&str],
    before: (usize, usize),
    after: (usize, usize),
    took: Duration,
    show_token: bool,
) {
    field("account", account);
    field("scopes", scopes.join(" "));
    field("expires", print::expiry(token.expires_on));
    field("source", print::source(before, after, took));
    field("token", print::token(&token.token, show_token));
}

/// The second call, served from the cache; prints its source and latency.
pub async fn second_call(
    credential: &dyn TokenCredential,
    http: &CountingHttpClient,
    scopes: &[&str],
    first: &AccessTokenInfo,
) -> Result<(), BoxError> {
    step("2. get_token again: served from the credential's cache");
    let (before, started) = (http.counts(), Instant::now());
    let again = credential
        .get_token_info(scopes, TokenRequestOptions::default())
        .await?;
    field(
        "source",
        print::source(before, http.counts(), started.elapsed()),
    );
    field(
        "same token",
        if again.token.expose() == first.token.expose() {
            "yes"
        } else {
            "no"
        },
    );
    Ok(())
}

//! The two calls every credential example makes: the first reaches the identity provider,
//! the second is served from the credential's cache.

use std::time::Instant;

use msal_core::{AccessTokenInfo, TokenCredential, TokenRequestOptions};

use crate::print::{self, field, step};
use crate::{BoxError, CountingHttpClient};

/// Calls `get_token_info` twice and prints what happened each time; returns the token.
pub async fn get_twice(
    credential: &dyn TokenCredential,
    http: &CountingHttpClient,
    scopes: &[&str],
    account: &str,
    show_token: bool,
) -> Result<AccessTokenInfo, BoxError> {
    step("1. get_token: nothing cached yet, so the credential asks the identity provider");
    let (before, started) = (http.counts(), Instant::now());
    let token = credential
        .get_token_info(scopes, TokenRequestOptions::default())
        .await?;
    let took = started.elapsed();
    field("account", account);
    field("scopes", scopes.join(" "));
    field("expires", print::expiry(token.expires_on));
    field("source", print::source(before, http.counts(), took));
    field("token", print::token(&token.token, show_token));

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
        if again.token.expose() == token.token.expose() {
            "yes"
        } else {
            "no"
        },
    );
    Ok(token)
}

//! `acquire_token_by_authorization_code`: a code the application received through its own
//! redirect handling (no `AuthCodeFlow`), redeemed once; the form carries the code and the
//! redirect URI, and a verifier only when given.
#![allow(missing_docs)]

mod common;

use common::*;
use entra_emulator::Emulator;
use msal_core::{ErrorKind, Secret};
use msal_flows::CallOptions;
use url::Url;

const ALICE: &str = "alice@managed.test";

/// A code from the authorize endpoint (the login hint signs in without UI), no PKCE, no nonce.
async fn code(emulator: &Emulator, client_id: &str, redirect_uri: &str) -> String {
    let ca = reqwest::Certificate::from_pem(emulator.ca_pem().unwrap().as_bytes()).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(ca)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    let mut url = Url::parse(&format!(
        "{}/{}/oauth2/v2.0/authorize",
        emulator.authority_host(),
        emulator.tenant_id()
    ))
    .unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", redirect_uri)
        .append_pair(
            "scope",
            &format!("{USER_READ} openid profile offline_access"),
        )
        .append_pair("state", "s")
        .append_pair("login_hint", ALICE);
    let answer = client.get(url).send().await.unwrap();
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    Url::parse(&location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_code_is_redeemed_once_and_cached_for_the_user() {
    let emulator = emulator().await;
    let redirect = "http://localhost/getAToken";
    let code = code(&emulator, CONFIDENTIAL_APP, redirect).await;
    let app = secret_app(&emulator);
    let result = app
        .acquire_token_by_authorization_code(
            &[USER_READ],
            Secret::new(code.clone()),
            redirect,
            None,
            &CallOptions::new(),
        )
        .await
        .unwrap();
    let account = result.account.clone().expect("the user");
    assert_eq!(account.username.as_deref(), Some(ALICE));
    let sent = token_requests(&emulator);
    let form = sent.last().unwrap();
    assert_eq!(form.form_field("grant_type"), Some("authorization_code"));
    assert_eq!(form.form_field("redirect_uri"), Some(redirect));
    assert_eq!(form.form_field("code_verifier"), None);
    assert!(form.form_field("scope").unwrap().contains("offline_access"));
    // The cache has the user's refresh token now.
    app.acquire_token_silent(
        &[USER_READ],
        &account,
        &CallOptions::new().force_refresh(true),
    )
    .await
    .unwrap();
    // A code is single use.
    let err = app
        .acquire_token_by_authorization_code(
            &[USER_READ],
            Secret::new(code),
            redirect,
            None,
            &CallOptions::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidGrant);
}

//! Authorization code with PKCE end to end: the test plays the browser against the emulator.

mod common;

use std::collections::HashMap;

use entra_emulator::Emulator;
use msal_core::{ErrorKind, Secret};
use msal_flows::{AuthCodeFlow, AuthCodeOptions, CallOptions, Prompt, TokenSource};

use common::*;

const ALICE: &str = "alice@managed.test";

/// A client trusting the emulator's CA that does not follow redirects.
fn browser(emulator: &Emulator) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(emulator.ca_pem().unwrap().as_bytes()).unwrap();
    reqwest::Client::builder()
        .add_root_certificate(ca)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Opens the authorize URL and returns the query of the redirect it answers with.
async fn sign_in(emulator: &Emulator, flow: &AuthCodeFlow) -> HashMap<String, String> {
    let answer = browser(emulator).get(&flow.auth_uri).send().await.unwrap();
    assert_eq!(answer.status().as_u16(), 302, "the emulator redirects");
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(&flow.redirect_uri), "{location}");
    url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

fn with_hint() -> AuthCodeOptions {
    AuthCodeOptions::new().login_hint(ALICE)
}

#[tokio::test]
async fn public_auth_code_flow_signs_in_and_caches_the_account() {
    let emulator = emulator().await;
    let app = public_app(&emulator);
    let flow = app
        .initiate_auth_code_flow(&[USER_READ], "http://localhost:8400", &with_hint())
        .await
        .unwrap();
    // The flow survives a trip through the web session.
    let flow: AuthCodeFlow = serde_json::from_str(&serde_json::to_string(&flow).unwrap()).unwrap();
    let response = sign_in(&emulator, &flow).await;
    let result = app
        .acquire_token_by_auth_code_flow(&flow, &response, &CallOptions::new())
        .await
        .unwrap();
    let account = result.account.clone().expect("an account");
    assert_eq!(account.username.as_deref(), Some(ALICE));
    assert_eq!(
        account.account_source.as_deref(),
        Some("authorization_code")
    );
    let sent = token_requests(&emulator);
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0]
            .headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("x-anchormailbox") && v.starts_with("Oid:")),
        "the redemption carries the Oid anchor from client_info"
    );
    let again = app
        .acquire_token_silent(&[USER_READ], &account, &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(again.token_source, TokenSource::Cache);
}

#[tokio::test]
async fn redirect_with_another_state_is_a_state_mismatch_and_sends_nothing() {
    let emulator = emulator().await;
    let app = public_app(&emulator);
    let flow = app
        .initiate_auth_code_flow(&[USER_READ], "http://localhost:8400", &with_hint())
        .await
        .unwrap();
    let mut response = sign_in(&emulator, &flow).await;
    response.insert("state".into(), "forged".into());
    let err = app
        .acquire_token_by_auth_code_flow(&flow, &response, &CallOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().contains("state mismatch"), "{err}");
    assert!(token_requests(&emulator).is_empty());
}

#[tokio::test]
async fn tampered_pkce_verifier_is_invalid_grant() {
    let emulator = emulator().await;
    let app = public_app(&emulator);
    let mut flow = app
        .initiate_auth_code_flow(&[USER_READ], "http://localhost:8400", &with_hint())
        .await
        .unwrap();
    let response = sign_in(&emulator, &flow).await;
    flow.code_verifier = Secret::new("A".repeat(43));
    let err = app
        .acquire_token_by_auth_code_flow(&flow, &response, &CallOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidGrant, "{err}");
    assert!(app.get_accounts().await.unwrap().is_empty());
}

#[tokio::test]
async fn prompt_none_without_a_session_is_interaction_required() {
    let emulator = emulator().await;
    let app = public_app(&emulator);
    let flow = app
        .initiate_auth_code_flow(
            &[USER_READ],
            "http://localhost:8400",
            &AuthCodeOptions::new().prompt(Prompt::None),
        )
        .await
        .unwrap();
    let response = sign_in(&emulator, &flow).await;
    assert_eq!(
        response.get("error").map(String::as_str),
        Some("login_required")
    );
    let err = app
        .acquire_token_by_auth_code_flow(&flow, &response, &CallOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InteractionRequired, "{err}");
}

#[tokio::test]
async fn confidential_web_app_redeems_with_its_secret() {
    let emulator = emulator().await;
    let app = secret_app(&emulator);
    let flow = app
        .initiate_auth_code_flow(
            &[USER_READ],
            "http://localhost:5000/getAToken",
            &with_hint(),
        )
        .await
        .unwrap();
    let response = sign_in(&emulator, &flow).await;
    let result = app
        .acquire_token_by_auth_code_flow(&flow, &response, &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(result.account.unwrap().username.as_deref(), Some(ALICE));
    let sent = token_requests(&emulator);
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].form.iter().any(|(k, _)| k == "client_secret"),
        "the web app authenticates"
    );
}

#[tokio::test]
async fn a_code_is_redeemed_only_once() {
    let emulator = emulator().await;
    let app = public_app(&emulator);
    let flow = app
        .initiate_auth_code_flow(&[USER_READ], "http://localhost:8400", &with_hint())
        .await
        .unwrap();
    let response = sign_in(&emulator, &flow).await;
    app.acquire_token_by_auth_code_flow(&flow, &response, &CallOptions::new())
        .await
        .unwrap();
    let err = app
        .acquire_token_by_auth_code_flow(&flow, &response, &CallOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidGrant, "{err}");
}

/// The hidden inputs of a form_post page (values here are URL-safe: no entities to decode).
fn hidden_inputs(page: &str) -> HashMap<String, String> {
    page.split("<input ")
        .skip(1)
        .filter_map(|tag| {
            let attr = |name: &str| {
                let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
                let end = start + tag.get(start..)?.find('"')?;
                tag.get(start..end).map(str::to_owned)
            };
            Some((attr("name")?, attr("value")?))
        })
        .collect()
}

#[tokio::test]
async fn form_post_response_is_redeemed_from_its_fields() {
    let emulator = emulator().await;
    let app = secret_app(&emulator);
    let options = with_hint().response_mode(msal_flows::ResponseMode::FormPost);
    let flow = app
        .initiate_auth_code_flow(&[USER_READ], "http://localhost:5000/getAToken", &options)
        .await
        .unwrap();
    assert!(flow.auth_uri.contains("response_mode=form_post"));
    let page = browser(&emulator)
        .get(&flow.auth_uri)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let fields = hidden_inputs(&page);
    assert_eq!(fields.get("state"), Some(&flow.state));
    let result = app
        .acquire_token_by_auth_code_flow(&flow, &fields, &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(result.account.unwrap().username.as_deref(), Some(ALICE));
}

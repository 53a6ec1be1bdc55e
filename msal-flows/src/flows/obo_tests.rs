//! On-behalf-of with a fake HTTP client: the request pinned to MSAL Python's recording, the
//! cache keyed by the assertion hash, the refresh token path and the typed errors.

use msal_core::http::Method;
use msal_core::{ErrorKind, FailureReason, Secret};
use serde_json::Value;

use super::assertion_hash;
use crate::result::now_unix;
use crate::test_support::*;
use crate::{CallOptions, ConfidentialClientApplication, TokenSource};

const USER_READ: &str = "https://graph.microsoft.com/User.Read";
const TOKEN: &str = "/oauth2/v2.0/token";

/// The recorded on-behalf-of request (the jwt-bearer POST) of `msal_obo`.
fn recorded_obo() -> Value {
    recording("msal_obo")
        .into_iter()
        .find(|r| {
            r["method"] == "POST"
                && r["body"]
                    .as_str()
                    .is_some_and(|b| b.contains("requested_token_use=on_behalf_of"))
        })
        .expect("the recording has the OBO request")
}

fn recorded_assertion() -> String {
    let body = recorded_obo()["body"].as_str().unwrap().to_owned();
    form(body.as_bytes())
        .into_iter()
        .find(|(k, _)| k == "assertion")
        .map(|(_, v)| v)
        .unwrap()
}

async fn obo(
    app: &ConfidentialClientApplication,
    assertion: &str,
    options: &CallOptions,
) -> msal_core::Result<crate::AuthenticationResult> {
    app.acquire_token_on_behalf_of(&[USER_READ], Secret::new(assertion), options)
        .await
}

fn grant_types(fake: &FakeHttp) -> Vec<String> {
    fake.sent_to(TOKEN)
        .iter()
        .map(|r| {
            form(&r.body)
                .into_iter()
                .find(|(k, _)| k == "grant_type")
                .map(|(_, v)| v)
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn assertion_hash_is_unpadded_base64url_sha256() {
    assert_eq!(
        assertion_hash(&Secret::new("abc")),
        "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
    );
    assert_ne!(
        assertion_hash(&Secret::new("abc")),
        assertion_hash(&Secret::new("abd"))
    );
}

#[tokio::test]
async fn obo_request_matches_the_recording_then_the_cache_answers() {
    let fake = FakeHttp::from_recording("msal_obo");
    let app = confidential_app(&fake);
    let assertion = recorded_assertion();
    let first = obo(&app, &assertion, &CallOptions::new()).await.unwrap();
    assert_eq!(first.token_source, TokenSource::IdentityProvider);
    let sent = fake.sent_to(TOKEN);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        form(&sent[0].body),
        form(recorded_obo()["body"].as_str().unwrap().as_bytes())
    );
    let recorded_headers = &recorded_obo()["headers"];
    assert_eq!(
        sent[0].header_value("x-ms-lib-capability"),
        recorded_headers["x-ms-lib-capability"].as_str()
    );
    assert_eq!(
        sent[0].header_value("Content-Type"),
        recorded_headers["Content-Type"].as_str()
    );
    assert!(sent[0].has_header("client-request-id"));
    assert!(!sent[0].has_header("X-AnchorMailbox"));
    let account = first.account.clone().expect("OBO results carry the user");
    assert!(account.username.is_some());

    let at = app.token_cache().cache().access_tokens();
    assert_eq!(at.len(), 1);
    assert_eq!(
        at[0].user_assertion_hash(),
        Some(assertion_hash(&Secret::new(assertion.clone())).as_str())
    );

    let second = obo(&app, &assertion, &CallOptions::new()).await.unwrap();
    assert_eq!(second.token_source, TokenSource::Cache);
    assert_eq!(second.access_token, first.access_token);
    assert_eq!(
        second.account.map(|a| a.home_account_id),
        Some(account.home_account_id)
    );
    assert_eq!(fake.sent_to(TOKEN).len(), 1);
}

#[tokio::test]
async fn two_assertions_never_share_a_token() {
    let fake = FakeHttp::from_recording("msal_obo");
    let app = confidential_app(&fake);
    obo(&app, "assertion-of-user-a", &CallOptions::new())
        .await
        .unwrap();
    let other = obo(&app, "assertion-of-user-b", &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(other.token_source, TokenSource::IdentityProvider);
    let sent = fake.sent_to(TOKEN);
    assert_eq!(sent.len(), 2);
    let assertions: Vec<String> = sent
        .iter()
        .map(|r| {
            form(&r.body)
                .into_iter()
                .find(|(k, _)| k == "assertion")
                .unwrap()
                .1
        })
        .collect();
    assert_eq!(assertions, ["assertion-of-user-a", "assertion-of-user-b"]);
    // The recording answers both with the same user, whose entries share one cache key
    // (the unified cache keys access tokens without the assertion hash): the token of
    // assertion b replaced that of a, and a is never answered with b's token.
    let again = obo(&app, "assertion-of-user-a", &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(again.token_source, TokenSource::IdentityProvider);
    assert_eq!(fake.sent_to(TOKEN).len(), 3);
    let b = obo(&app, "assertion-of-user-b", &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(b.token_source, TokenSource::IdentityProvider);
}

#[tokio::test]
async fn expired_access_token_is_renewed_with_the_assertions_refresh_token() {
    let fake = FakeHttp::from_recording("msal_obo");
    let app = confidential_app(&fake);
    obo(&app, "assertion-a", &CallOptions::new()).await.unwrap();
    let cache = app.token_cache().cache();
    for at in cache.access_tokens() {
        assert!(cache.remove_access_token(&at));
        let mut expired = (*at).clone();
        expired.expires_on = (now_unix() + 60).into();
        cache.add_access_token(expired);
    }
    let renewed = obo(&app, "assertion-a", &CallOptions::new()).await.unwrap();
    assert_eq!(renewed.token_source, TokenSource::IdentityProvider);
    let grants = grant_types(&fake);
    assert_eq!(
        grants,
        [
            "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "refresh_token"
        ]
    );
    let refresh = &fake.sent_to(TOKEN)[1];
    assert!(!String::from_utf8_lossy(&refresh.body).contains("assertion-a"));

    // Another assertion of (here) the same user never uses that refresh token.
    obo(&app, "assertion-b", &CallOptions::new()).await.unwrap();
    assert_eq!(
        grant_types(&fake).last().map(String::as_str),
        Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
    );
}

#[tokio::test]
async fn claims_challenge_bypasses_the_cached_token() {
    let fake = FakeHttp::from_recording("msal_obo");
    let app = confidential_app(&fake);
    obo(&app, "assertion-a", &CallOptions::new()).await.unwrap();
    let challenged = obo(
        &app,
        "assertion-a",
        &CallOptions::new().claims(r#"{"access_token":{"acrs":{"essential":true}}}"#),
    )
    .await
    .unwrap();
    assert_eq!(challenged.token_source, TokenSource::IdentityProvider);
    let sent = fake.sent_to(TOKEN);
    assert_eq!(sent.len(), 2);
    assert!(form(&sent[1].body).iter().any(|(k, _)| k == "claims"));
}

fn entra_error(code: i64, error: &str, claims: Option<&str>) -> String {
    let mut body = serde_json::json!({
        "error": error,
        "error_description": format!("AADSTS{code}: test."),
        "error_codes": [code],
        "correlation_id": "c-1",
    });
    if let Some(c) = claims {
        body["claims"] = Value::String(c.to_owned());
    }
    body.to_string()
}

#[tokio::test]
async fn service_errors_are_typed() {
    let challenge = r#"{"access_token":{"capolids":{"essential":true,"values":["1"]}}}"#;
    let cases = [
        (
            entra_error(50076, "invalid_grant", Some(challenge)),
            ErrorKind::InteractionRequired,
            Some(FailureReason::MfaRequired),
        ),
        (
            entra_error(65001, "invalid_grant", None),
            ErrorKind::InteractionRequired,
            Some(FailureReason::ConsentRequired),
        ),
        (
            entra_error(50013, "invalid_grant", None),
            ErrorKind::InvalidGrant,
            None,
        ),
    ];
    for (body, kind, reason) in cases {
        let fake = FakeHttp::from_recording("msal_obo");
        fake.route(Method::Post, TOKEN, 400, &body);
        let err = obo(
            &confidential_app(&fake),
            "bad-assertion",
            &CallOptions::new(),
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), kind, "{body}");
        assert_eq!(err.reason(), reason, "{body}");
        assert!(err.correlation().is_some());
        assert!(!err.message().contains("bad-assertion"));
        assert!(!format!("{err:?}").contains("bad-assertion"));
        if reason == Some(FailureReason::MfaRequired) {
            assert_eq!(err.claims(), Some(challenge));
        }
        if kind == ErrorKind::InvalidGrant {
            assert!(err.message().contains("user assertion was rejected"));
            assert_eq!(err.aadsts_codes(), [50013]);
        }
    }
}

#[tokio::test]
async fn empty_assertion_and_public_client_are_refused_before_sending() {
    let fake = FakeHttp::from_recording("msal_obo");
    let err = obo(&confidential_app(&fake), "  ", &CallOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(fake.sent_to(TOKEN).is_empty());
}

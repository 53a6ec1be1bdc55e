//! On-behalf-of against the emulator: a user token for the middle-tier API (ROPC, as the
//! recording did), then OBO; the cache per assertion; a rejected assertion.
#![allow(missing_docs)]

mod common;

use common::*;
use entra_emulator::Emulator;
use msal_core::{ErrorKind, Secret};
use msal_flows::{CallOptions, TokenSource};

/// The middle-tier API's scope (the confidential app's identifier URI).
const API_SCOPE: &str = "api://33333333-3333-3333-3333-333333333333/access_as_user";

/// A fresh user token whose audience is the middle-tier API.
async fn user_assertion(emulator: &Emulator) -> Secret {
    public_app(emulator)
        .acquire_token_by_username_password(
            &[API_SCOPE],
            "alice@managed.test",
            Secret::new("alice-password"),
            &CallOptions::new().force_refresh(true),
        )
        .await
        .expect("ROPC for the middle-tier API")
        .access_token
}

fn obo_requests(emulator: &Emulator) -> usize {
    token_requests(emulator)
        .iter()
        .filter(|r| r.form_field("requested_token_use") == Some("on_behalf_of"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn obo_gets_a_downstream_token_then_the_cache_answers_per_assertion() {
    let emulator = emulator().await;
    let assertion = user_assertion(&emulator).await;
    let api = secret_app(&emulator);
    let first = api
        .acquire_token_on_behalf_of(&[USER_READ], assertion.clone(), &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(first.token_source, TokenSource::IdentityProvider);
    let account = first.account.clone().expect("the user");
    assert_eq!(account.username.as_deref(), Some("alice@managed.test"));
    let sent = token_requests(&emulator);
    let obo = sent.last().unwrap();
    assert_eq!(
        obo.form_field("grant_type"),
        Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
    );
    // The emulator logs the assertion masked; it verified it (signature, audience).
    assert!(obo.form_field("assertion").is_some());
    let scope = obo.form_field("scope").unwrap();
    for s in ["offline_access", "openid", "profile", USER_READ] {
        assert!(scope.split(' ').any(|x| x == s), "{scope}");
    }

    let second = api
        .acquire_token_on_behalf_of(&[USER_READ], assertion.clone(), &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(second.token_source, TokenSource::Cache);
    assert_eq!(second.access_token, first.access_token);
    assert_eq!(obo_requests(&emulator), 1);

    let other = user_assertion(&emulator).await;
    assert_ne!(other, assertion);
    let third = api
        .acquire_token_on_behalf_of(&[USER_READ], other, &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(third.token_source, TokenSource::IdentityProvider);
    assert_eq!(obo_requests(&emulator), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_assertions_are_invalid_grant_with_the_service_code() {
    let emulator = emulator().await;
    let api = secret_app(&emulator);
    let forged = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJhcGk6Ly8zMzMzIn0.c2lnbmF0dXJl";
    let err = api
        .acquire_token_on_behalf_of(&[USER_READ], Secret::new(forged), &CallOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidGrant);
    assert!(err.aadsts_codes().contains(&50013), "{err}");
    assert!(err.message().contains("user assertion was rejected"));
    assert!(!err.to_string().contains(forged));
    assert!(err.correlation().is_some());

    // A user token for another audience (Graph) is refused too (AADSTS500131).
    let graph_token = public_app(&emulator)
        .acquire_token_by_username_password(
            &[USER_READ],
            "alice@managed.test",
            Secret::new("alice-password"),
            &CallOptions::new(),
        )
        .await
        .unwrap()
        .access_token;
    let err = api
        .acquire_token_on_behalf_of(&[USER_READ], graph_token, &CallOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidGrant);
    assert!(err.aadsts_codes().contains(&500131), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_identical_obo_calls_send_one_request() {
    let emulator = emulator().await;
    let assertion = user_assertion(&emulator).await;
    let api = secret_app(&emulator);
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (api, assertion) = (api.clone(), assertion.clone());
        tasks.push(tokio::spawn(async move {
            api.acquire_token_on_behalf_of(&[USER_READ], assertion, &CallOptions::new())
                .await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(obo_requests(&emulator), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_obo_token_is_renewed_with_the_refresh_token_of_that_assertion() {
    // Access tokens living no longer than the 5-minute buffer are never served from the cache.
    let config = entra_emulator::EmulatorConfig {
        access_token_lifetime_secs: 300,
        ..entra_emulator::EmulatorConfig::default()
    };
    let emulator = Emulator::start(entra_emulator::StartOptions {
        config,
        ..entra_emulator::StartOptions::default()
    })
    .await
    .unwrap();
    let assertion = user_assertion(&emulator).await;
    let api = secret_app(&emulator);
    for _ in 0..2 {
        let result = api
            .acquire_token_on_behalf_of(&[USER_READ], assertion.clone(), &CallOptions::new())
            .await
            .unwrap();
        assert_eq!(result.token_source, TokenSource::IdentityProvider);
    }
    let grants: Vec<String> = token_requests(&emulator)
        .iter()
        .filter(|r| r.form_field("client_id") == Some(CONFIDENTIAL_APP))
        .map(|r| r.form_field("grant_type").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        grants,
        [
            "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "refresh_token"
        ]
    );
}

//! Client credentials against the emulator: secret, certificate, assertion callback, cache
//! hit and single flight.
#![allow(missing_docs)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use msal_core::{ErrorKind, FailureReason, Secret};
use msal_flows::{CallOptions, TokenSource};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_gets_an_app_token_then_the_cache_answers() {
    let emulator = emulator().await;
    let app = secret_app(&emulator);
    let first = app
        .acquire_token_for_client(&[GRAPH_DEFAULT], &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(first.token_source, TokenSource::IdentityProvider);
    assert!(first.account.is_none());
    let second = app
        .acquire_token_for_client(&[GRAPH_DEFAULT], &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(second.token_source, TokenSource::Cache);
    assert_eq!(second.access_token, first.access_token);
    let token = token_requests(&emulator);
    assert_eq!(token.len(), 1);
    assert_eq!(
        token[0].form_field("grant_type"),
        Some("client_credentials")
    );
    assert_eq!(token[0].form_field("scope"), Some(GRAPH_DEFAULT));
    assert!(token[0].form_field("client_secret").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_signs_a_client_assertion_the_emulator_accepts() {
    let emulator = emulator().await;
    let app = confidential_builder(&emulator)
        .client_certificate(app_certificate(&emulator), true)
        .build()
        .unwrap();
    let result = app
        .acquire_token_for_client(&[GRAPH_DEFAULT], &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(result.token_source, TokenSource::IdentityProvider);
    let token = token_requests(&emulator);
    assert_eq!(
        token[0].form_field("client_assertion_type"),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    assert_eq!(token[0].form_field("client_secret"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assertion_callback_is_called_for_each_request() {
    let emulator = emulator().await;
    let certificate = app_certificate(&emulator);
    let signer = msal_core::crypto::AssertionSigner::new(certificate);
    let audience = format!(
        "{}/oauth2/v2.0/token",
        emulator.authority(&emulator.tenant_id())
    );
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let app = confidential_builder(&emulator)
        .client_assertion(Arc::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            let jwt = signer.assertion(CONFIDENTIAL_APP, &audience);
            Box::pin(async move { jwt })
        }))
        .build()
        .unwrap();
    for scope in [
        GRAPH_DEFAULT,
        "api://33333333-3333-3333-3333-333333333333/.default",
    ] {
        let result = app
            .acquire_token_for_client(&[scope], &CallOptions::new())
            .await;
        assert!(result.is_ok(), "{result:?}");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(token_requests(&emulator).len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_secret_is_invalid_client_with_its_reason() {
    let emulator = emulator().await;
    let app = confidential_builder(&emulator)
        .client_secret(Secret::new("not-the-secret"))
        .build()
        .unwrap();
    let err = app
        .acquire_token_for_client(&[GRAPH_DEFAULT], &CallOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidClient);
    assert_eq!(err.reason(), Some(FailureReason::InvalidClientSecret));
    assert!(!format!("{err} {err:?}").contains("not-the-secret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thousand_concurrent_calls_on_an_empty_cache_send_one_token_request() {
    let emulator = emulator().await;
    let app = secret_app(&emulator);
    // Resolve the authority first so only the token requests race.
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move {
                app.acquire_token_for_client(&[GRAPH_DEFAULT], &CallOptions::new())
                    .await
            })
        })
        .collect();
    let mut tokens = std::collections::HashSet::new();
    for task in tasks {
        let result = task.await.unwrap().unwrap();
        tokens.insert(result.access_token.expose().to_owned());
    }
    assert_eq!(tokens.len(), 1);
    assert_eq!(token_requests(&emulator).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_challenge_bypasses_the_cached_app_token() {
    let emulator = emulator().await;
    let app = secret_app(&emulator);
    app.acquire_token_for_client(&[GRAPH_DEFAULT], &CallOptions::new())
        .await
        .unwrap();
    let challenged = app
        .acquire_token_for_client(
            &[GRAPH_DEFAULT],
            &CallOptions::new()
                .claims(r#"{"access_token":{"nbf":{"essential":true,"value":"1"}}}"#),
        )
        .await
        .unwrap();
    assert_eq!(challenged.token_source, TokenSource::IdentityProvider);
    let token = token_requests(&emulator);
    assert_eq!(token.len(), 2);
    assert!(token[1].form_field("claims").is_some());
}

//! Fault injection from the emulator: each flow either succeeds within the pipeline's retry
//! or returns a typed error, and the cache is not written by a failed call.
#![allow(missing_docs)]

mod common;

use common::*;
use entra_emulator::{FaultEndpoint, FaultKind, FaultRule};
use msal_core::{ErrorKind, Secret};
use msal_flows::{CallOptions, TokenSource};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_server_error_is_retried_and_the_token_arrives() {
    let emulator = emulator().await;
    emulator.inject_fault(FaultRule::next(
        FaultEndpoint::Token,
        1,
        FaultKind::InternalServerError,
    ));
    let result = secret_app(&emulator)
        .acquire_token_for_client(&[GRAPH_DEFAULT], &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(result.token_source, TokenSource::IdentityProvider);
    assert_eq!(token_requests(&emulator).len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connections_are_a_transport_error_and_nothing_is_cached() {
    let emulator = emulator().await;
    let app = public_app(&emulator);
    emulator.inject_fault(FaultRule::next(
        FaultEndpoint::Token,
        5,
        FaultKind::DropConnection,
    ));
    let err = app
        .acquire_token_by_username_password(
            &[USER_READ],
            "alice@managed.test",
            Secret::new("alice-password"),
            &CallOptions::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err:?}");
    assert!(err.correlation().is_some());
    assert!(app.token_cache().cache().access_tokens().is_empty());
    assert!(app.get_accounts().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_token_answer_is_a_malformed_response_error() {
    let emulator = emulator().await;
    let app = secret_app(&emulator);
    emulator.inject_fault(FaultRule::next(
        FaultEndpoint::Token,
        1,
        FaultKind::MalformedJson,
    ));
    let err = app
        .acquire_token_for_client(&[GRAPH_DEFAULT], &CallOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MalformedResponse, "{err:?}");
    assert!(app.token_cache().cache().access_tokens().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_throttling_is_returned_as_throttled_with_the_wait() {
    let emulator = emulator().await;
    emulator.inject_fault(FaultRule::next(
        FaultEndpoint::Token,
        3,
        FaultKind::TooManyRequests {
            retry_after_secs: 60,
        },
    ));
    let err = secret_app(&emulator)
        .acquire_token_for_client(&[GRAPH_DEFAULT], &CallOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Throttled, "{err:?}");
    assert!(err.retry_after_duration().is_some());
}

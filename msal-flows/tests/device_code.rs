//! Device code flow end to end against the emulator.

mod common;

use std::time::{Duration, Instant};

use entra_emulator::{Emulator, EmulatorConfig, StartOptions};
use msal_core::ErrorKind;
use msal_flows::{CallOptions, DevicePoll, TokenSource};

use common::*;

const ALICE: &str = "alice@managed.test";

/// An emulator whose device codes ask for a one-second interval and answer `slow_down` to
/// faster polls.
async fn fast_emulator() -> Emulator {
    let config = EmulatorConfig {
        device_code_interval_secs: 1,
        device_code_slow_down: true,
        ..EmulatorConfig::default()
    };
    Emulator::start(StartOptions {
        config,
        ..StartOptions::default()
    })
    .await
    .expect("the emulator starts")
}

fn polls(emulator: &Emulator) -> usize {
    token_requests(emulator).len()
}

#[tokio::test]
async fn approved_device_code_returns_a_cached_user_token() {
    let emulator = fast_emulator().await;
    let app = public_app(&emulator);
    let flow = app
        .initiate_device_flow(&[USER_READ], &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(flow.interval, 1);
    assert!(flow.message.contains(&flow.user_code));
    let started = Instant::now();
    let approve = async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        emulator
            .approve_device_code(&flow.user_code, ALICE)
            .unwrap();
    };
    let options = CallOptions::new();
    let (result, ()) = tokio::join!(app.acquire_token_by_device_flow(&flow, &options), approve);
    let result = result.unwrap();
    assert_eq!(result.token_source, TokenSource::IdentityProvider);
    let account = result.account.clone().expect("an account");
    assert_eq!(account.username.as_deref(), Some(ALICE));
    assert_eq!(
        account.account_source.as_deref(),
        Some("urn:ietf:params:oauth:grant-type:device_code")
    );
    // Never faster than the interval: at most one poll per second elapsed.
    let elapsed = started.elapsed().as_secs_f64();
    assert!(
        (polls(&emulator) as f64) <= elapsed + 1.0,
        "{} polls in {elapsed}s",
        polls(&emulator)
    );
    let again = app
        .acquire_token_silent(&[USER_READ], &account, &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(again.token_source, TokenSource::Cache);
}

#[tokio::test]
async fn denied_device_code_is_authorization_declined() {
    let emulator = fast_emulator().await;
    let app = public_app(&emulator);
    let flow = app
        .initiate_device_flow(&[USER_READ], &CallOptions::new())
        .await
        .unwrap();
    emulator.deny_device_code(&flow.user_code).unwrap();
    let err = app
        .acquire_token_by_device_flow(&flow, &CallOptions::new().correlation_id("cid-deny"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AuthorizationDeclined, "{err}");
    assert_eq!(err.correlation(), Some("cid-deny"));
}

#[tokio::test]
async fn expired_device_code_is_expired_token() {
    let emulator = fast_emulator().await;
    let app = public_app(&emulator);
    let flow = app
        .initiate_device_flow(&[USER_READ], &CallOptions::new())
        .await
        .unwrap();
    emulator.expire_device_code(&flow.user_code).unwrap();
    let err = app
        .acquire_token_by_device_flow(&flow, &CallOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ExpiredToken, "{err}");
}

#[tokio::test]
async fn cancelled_device_flow_stops_polling() {
    let emulator = fast_emulator().await;
    let app = public_app(&emulator);
    let flow = app
        .initiate_device_flow(&[USER_READ], &CallOptions::new())
        .await
        .unwrap();
    let (cancel, cancelled) = tokio::sync::oneshot::channel::<()>();
    let poller = {
        let app = app.clone();
        let flow = flow.clone();
        tokio::spawn(async move {
            app.acquire_token_by_device_flow_until(
                &flow,
                async {
                    let _ = cancelled.await;
                },
                &CallOptions::new(),
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(1500)).await;
    cancel.send(()).unwrap();
    let err = tokio::time::timeout(Duration::from_secs(2), poller)
        .await
        .expect("cancellation is prompt")
        .unwrap()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    let sent = polls(&emulator);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(polls(&emulator), sent, "no poll after cancellation");
}

#[tokio::test]
async fn poll_once_is_pending_then_complete_after_approval() {
    let emulator = fast_emulator().await;
    let app = public_app(&emulator);
    let flow = app
        .initiate_device_flow(&[USER_READ], &CallOptions::new())
        .await
        .unwrap();
    let first = app
        .poll_device_flow_once(&flow, &CallOptions::new())
        .await
        .unwrap();
    let DevicePoll::Pending { retry_after } = first else {
        panic!("expected pending, got {first:?}");
    };
    assert!(retry_after >= Duration::from_secs(1));
    assert_eq!(polls(&emulator), 1, "exactly one request per poll");
    emulator
        .approve_device_code(&flow.user_code, ALICE)
        .unwrap();
    tokio::time::sleep(retry_after).await;
    match app
        .poll_device_flow_once(&flow, &CallOptions::new())
        .await
        .unwrap()
    {
        DevicePoll::Complete(result) => {
            assert_eq!(result.account.unwrap().username.as_deref(), Some(ALICE));
        }
        other => panic!("expected a result, got {other:?}"),
    }
    assert_eq!(polls(&emulator), 2);
}

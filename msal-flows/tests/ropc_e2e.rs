//! Username/password against the emulator over HTTPS: managed, federated, and each failure.
#![allow(missing_docs)]

mod common;

use common::*;
use msal_core::{ErrorKind, FailureReason, Secret};
use msal_flows::{CallOptions, TokenSource};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managed_user_gets_a_token_an_account_and_sends_the_upn_anchor() {
    let emulator = emulator().await;
    let app = public_app(&emulator);
    let result = app
        .acquire_token_by_username_password(
            &[USER_READ],
            "alice@managed.test",
            Secret::new("alice-password"),
            &CallOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(result.token_source, TokenSource::IdentityProvider);
    let account = result.account.expect("a user token has an account");
    assert_eq!(account.username.as_deref(), Some("alice@managed.test"));
    assert!(account.home_account_id.contains('.'));
    assert_eq!(
        result.tenant_id.as_deref(),
        Some(emulator.tenant_id().as_str())
    );
    let token = token_requests(&emulator);
    assert_eq!(token.len(), 1);
    assert_eq!(token[0].form_field("grant_type"), Some("password"));
    assert_eq!(
        token[0].header("x-anchormailbox"),
        Some("upn:alice@managed.test")
    );
    let scope = token[0].form_field("scope").unwrap();
    for s in ["offline_access", "openid", "profile", USER_READ] {
        assert!(scope.split(' ').any(|x| x == s), "{scope}");
    }
    assert!(
        emulator
            .requests()
            .iter()
            .any(|r| r.path.contains("/userrealm/"))
    );
}

async fn federated(username: &str, password: &str, wstrust_path: &str, expect_mex: bool) {
    let emulator = emulator().await;
    let app = public_app(&emulator);
    let result = app
        .acquire_token_by_username_password(
            &[USER_READ],
            username,
            Secret::new(password),
            &CallOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        result.account.and_then(|a| a.username).as_deref(),
        Some(username)
    );
    let log = emulator.requests();
    assert_eq!(log.iter().any(|r| r.path.ends_with("/mex")), expect_mex);
    assert!(
        log.iter()
            .any(|r| r.method == "POST" && r.path.ends_with(wstrust_path))
    );
    let token = token_requests(&emulator);
    assert_eq!(token.len(), 1);
    assert_eq!(
        token[0].form_field("grant_type"),
        Some("urn:ietf:params:oauth:grant-type:saml1_1-bearer")
    );
    assert_eq!(token[0].form_field("password"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn federated_user_goes_through_mex_and_wstrust_13() {
    federated(
        "bob@federated.test",
        "bob-password",
        "/trust/13/usernamemixed",
        true,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn federated_user_without_mex_uses_the_wstrust_2005_active_endpoint() {
    federated(
        "carol@federated2005.test",
        "carol-password",
        "/trust/2005/usernamemixed",
        false,
    )
    .await;
}

async fn failure(client_id: &str, username: &str, password: &str) -> msal_core::Error {
    let emulator = emulator().await;
    let app = public_builder(&emulator, client_id).build().unwrap();
    app.acquire_token_by_username_password(
        &[USER_READ],
        username,
        Secret::new(password),
        &CallOptions::new().correlation_id("6c1f4c1e-0000-4000-8000-000000000001"),
    )
    .await
    .unwrap_err()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_wrong_credentials_with_the_correlation_id() {
    let err = failure(PUBLIC_APP, "alice@managed.test", "not-the-password").await;
    assert_eq!(err.reason(), Some(FailureReason::WrongCredentials));
    assert_eq!(
        err.correlation(),
        Some("6c1f4c1e-0000-4000-8000-000000000001")
    );
    assert!(!format!("{err} {err:?}").contains("not-the-password"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_federated_password_is_a_typed_wstrust_failure() {
    let err = failure(PUBLIC_APP, "bob@federated.test", "not-bobs-password").await;
    assert_eq!(err.kind(), ErrorKind::WsTrust);
    assert_eq!(
        err.reason(),
        Some(FailureReason::FederatedCredentialsRejected)
    );
    assert!(!format!("{err} {err:?}").contains("not-bobs-password"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mfa_user_needs_interaction_and_gets_the_claims_challenge() {
    let err = failure(PUBLIC_APP, "mfa@managed.test", "mfa-password").await;
    assert_eq!(err.kind(), ErrorKind::InteractionRequired);
    assert_eq!(err.reason(), Some(FailureReason::MfaRequired));
    assert!(err.claims().is_some_and(|c| c.contains("access_token")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locked_user_is_account_locked() {
    let err = failure(PUBLIC_APP, "locked@managed.test", "locked-password").await;
    assert_eq!(err.reason(), Some(FailureReason::AccountLocked));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_without_public_client_flows_is_refused_with_its_reason() {
    let err = failure(CONFIDENTIAL_APP, "alice@managed.test", "alice-password").await;
    assert_eq!(err.reason(), Some(FailureReason::PublicClientFlowsDisabled));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_password_is_refused_before_any_request() {
    let emulator = emulator().await;
    let err = public_app(&emulator)
        .acquire_token_by_username_password(
            &[USER_READ],
            "alice@managed.test",
            Secret::new(""),
            &CallOptions::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.correlation().is_some());
    assert!(emulator.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scope_without_consent_is_consent_required() {
    let emulator = emulator().await;
    let err = public_app(&emulator)
        .acquire_token_by_username_password(
            &["api://not-consented-api/Read"],
            "alice@managed.test",
            Secret::new("alice-password"),
            &CallOptions::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.reason(),
        Some(FailureReason::ConsentRequired),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::InteractionRequired);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confidential_client_signs_users_in_with_its_secret_sent() {
    let emulator = emulator().await;
    let result = secret_app(&emulator)
        .acquire_token_by_username_password(
            &[USER_READ],
            "alice@managed.test",
            Secret::new("alice-password"),
            &CallOptions::new(),
        )
        .await;
    let token = token_requests(&emulator);
    assert_eq!(token.len(), 1);
    assert!(token[0].form_field("client_secret").is_some());
    assert!(result.is_ok(), "{result:?}");
}

//! Silent acquisition and accounts against the emulator.
#![allow(missing_docs)]

mod common;

use common::*;
use msal_core::{ErrorKind, Secret};
use msal_flows::{Account, CallOptions, PublicClientApplication, TokenSource};

async fn signed_in(app: &PublicClientApplication) -> Account {
    app.acquire_token_by_username_password(
        &[USER_READ],
        "alice@managed.test",
        Secret::new("alice-password"),
        &CallOptions::new(),
    )
    .await
    .unwrap()
    .account
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_after_sign_in_comes_from_the_cache_without_a_request() {
    let emulator = emulator().await;
    let app = public_app(&emulator);
    let account = signed_in(&app).await;
    emulator.clear_requests();
    let result = app
        .acquire_token_silent(&[USER_READ], &account, &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(result.token_source, TokenSource::Cache);
    assert_eq!(result.account.as_ref(), Some(&account));
    assert!(token_requests(&emulator).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_refresh_redeems_the_refresh_token_with_the_oid_anchor() {
    let emulator = emulator().await;
    let app = public_app(&emulator);
    let account = signed_in(&app).await;
    let cached = app
        .acquire_token_silent(&[USER_READ], &account, &CallOptions::new())
        .await
        .unwrap();
    emulator.clear_requests();
    let refreshed = app
        .acquire_token_silent(
            &[USER_READ],
            &account,
            &CallOptions::new().force_refresh(true),
        )
        .await
        .unwrap();
    assert_eq!(refreshed.token_source, TokenSource::IdentityProvider);
    assert_ne!(refreshed.access_token, cached.access_token);
    let token = token_requests(&emulator);
    assert_eq!(token.len(), 1);
    assert_eq!(token[0].form_field("grant_type"), Some("refresh_token"));
    assert!(
        token[0]
            .header("x-anchormailbox")
            .is_some_and(|h| h.starts_with("Oid:"))
    );
    // The rotated refresh token replaced the old secret: still one RT entry.
    assert_eq!(app.token_cache().cache().refresh_tokens().len(), 1);
    // And the next silent call is a cache hit again.
    let again = app
        .acquire_token_silent(&[USER_READ], &account, &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(again.token_source, TokenSource::Cache);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_with_an_unknown_account_needs_interaction() {
    let emulator = emulator().await;
    let app = public_app(&emulator);
    let stranger = Account::new("uid.utid", "127.0.0.1");
    let err = app
        .acquire_token_silent(&[USER_READ], &stranger, &CallOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InteractionRequired);
    assert!(err.correlation().is_some());
    assert!(
        emulator
            .requests()
            .iter()
            .all(|r| !r.path.ends_with("/token"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_refresh_token_is_kept_and_interaction_required() {
    let emulator = emulator().await;
    let app = public_app(&emulator);
    let account = signed_in(&app).await;
    emulator.revoke_refresh_tokens("alice@managed.test");
    let err = app
        .acquire_token_silent(
            &[USER_READ],
            &account,
            &CallOptions::new().force_refresh(true),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::InvalidGrant | ErrorKind::InteractionRequired
        ),
        "{err:?}"
    );
    assert_eq!(app.token_cache().cache().refresh_tokens().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_are_listed_found_and_removed() {
    let emulator = emulator().await;
    let app = public_app(&emulator);
    let account = signed_in(&app).await;
    let accounts = app.get_accounts().await.unwrap();
    assert_eq!(accounts, vec![account.clone()]);
    let found = app.get_account(&account.home_account_id).await.unwrap();
    assert_eq!(found.as_ref(), Some(&account));
    app.remove_account(&account).await.unwrap();
    assert!(app.get_accounts().await.unwrap().is_empty());
    let err = app
        .acquire_token_silent(&[USER_READ], &account, &CallOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InteractionRequired);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_token_from_another_library_is_redeemed_and_kept() {
    let emulator = emulator().await;
    let source = public_app(&emulator);
    signed_in(&source).await;
    let rt = source.token_cache().cache().refresh_tokens()[0]
        .secret
        .clone();
    let app = public_app(&emulator);
    let result = app
        .acquire_token_by_refresh_token(&[USER_READ], &rt, &CallOptions::new())
        .await
        .unwrap();
    let account = result.account.expect("an account");
    assert_eq!(app.token_cache().cache().refresh_tokens().len(), 1);
    let silent = app
        .acquire_token_silent(
            &[USER_READ],
            &account,
            &CallOptions::new().force_refresh(true),
        )
        .await
        .unwrap();
    assert_eq!(silent.token_source, TokenSource::IdentityProvider);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organizations_authority_caches_under_the_user_tenant_and_hits_silently() {
    let emulator = emulator().await;
    let app = public_builder(&emulator, PUBLIC_APP)
        .authority(emulator.authority("organizations"))
        .build()
        .unwrap();
    let first = app
        .acquire_token_by_username_password(
            &[USER_READ],
            "alice@managed.test",
            Secret::new("alice-password"),
            &CallOptions::new().correlation_id("d7c3a2b0-0000-4000-8000-00000000000a"),
        )
        .await
        .unwrap();
    let token = token_requests(&emulator);
    assert_eq!(
        token[0].header("client-request-id"),
        Some("d7c3a2b0-0000-4000-8000-00000000000a")
    );
    assert_eq!(first.correlation_id, "d7c3a2b0-0000-4000-8000-00000000000a");
    let account = first.account.unwrap();
    assert_eq!(
        account.tenant_id.as_deref(),
        Some(emulator.tenant_id().as_str())
    );
    let at = &app.token_cache().cache().access_tokens()[0];
    assert_eq!(at.realm.get(), Some(emulator.tenant_id().as_str()));
    let silent = app
        .acquire_token_silent(&[USER_READ], &account, &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(silent.token_source, TokenSource::Cache);
}

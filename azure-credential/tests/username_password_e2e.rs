//! UsernamePasswordCredential against the emulator: tokens, the cache, authenticate and
//! records, automatic authentication off, proactive refresh, CAE, tenants, single flight.
#![allow(missing_docs)]

mod common;

use std::sync::Arc;

use azure_credential::{
    AuthenticationRecord, TokenCachePersistenceOptions, UsernamePasswordCredential,
    UsernamePasswordCredentialOptions,
};
use common::*;
use entra_emulator::{Emulator, FaultEndpoint, FaultKind, FaultRule};
use msal_core::{ErrorKind, TokenCredential, TokenRequestOptions};

fn credential_with(
    emulator: &Emulator,
    password: &str,
    configure: impl FnOnce(&mut UsernamePasswordCredentialOptions),
) -> Arc<UsernamePasswordCredential> {
    let mut o = UsernamePasswordCredentialOptions::default();
    o.credential_options = options(emulator);
    o.tenant_id = Some(emulator.tenant_id());
    configure(&mut o);
    UsernamePasswordCredential::new(PUBLIC_APP, USERNAME, password, Some(o)).unwrap()
}

fn persisted(dir: &std::path::Path) -> TokenCachePersistenceOptions {
    let mut p = TokenCachePersistenceOptions::default();
    p.allow_unencrypted_storage = true;
    p.directory = Some(dir.to_path_buf());
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_call_signs_in_and_the_second_is_served_without_a_request() {
    let emulator = emulator().await;
    let credential = credential_with(&emulator, PASSWORD, |_| {});
    let first = credential
        .get_token_info(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    let second = credential
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    assert_eq!(first.token, second.token);
    let requests = token_requests(&emulator);
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].form_field("grant_type"), Some("password"));
    let record = credential
        .authentication_record()
        .expect("a record after sign-in");
    assert_eq!(record.username, USERNAME);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_from_authenticate_lets_a_rebuilt_credential_sign_in_silently_without_the_password()
{
    let emulator = emulator().await;
    let dir = temp_dir("record");
    let credential = credential_with(&emulator, PASSWORD, |o| {
        o.credential_options.cache_persistence = Some(persisted(&dir));
    });
    let record = credential
        .authenticate(&[GRAPH_DEFAULT], None)
        .await
        .unwrap();
    assert_eq!(record.client_id, PUBLIC_APP);
    assert_eq!(record.tenant_id, emulator.tenant_id());
    assert!(emulator.authority_host().ends_with(&record.authority));
    let json = record.serialize();
    let loaded = AuthenticationRecord::deserialize(&json).unwrap();
    assert_eq!(loaded, record);
    emulator.clear_requests();

    let rebuilt = credential_with(&emulator, "deliberately-wrong-password", |o| {
        o.credential_options.cache_persistence = Some(persisted(&dir));
        o.authentication_record = Some(loaded);
    });
    let token = rebuilt
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    assert!(!token.token.is_empty());
    assert!(
        token_requests(&emulator).is_empty(),
        "the cached token served; no password grant"
    );
    // Another scope: the refresh token serves, never the (wrong) password.
    rebuilt
        .get_token(
            &["https://graph.microsoft.com/User.Read"],
            TokenRequestOptions::default(),
        )
        .await
        .unwrap();
    let grants: Vec<_> = token_requests(&emulator)
        .iter()
        .map(|r| r.form_field("grant_type").unwrap_or("").to_owned())
        .collect();
    assert_eq!(grants, ["refresh_token"]);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_automatic_authentication_asks_for_authenticate_instead_of_the_password() {
    let emulator = emulator().await;
    let credential = credential_with(&emulator, PASSWORD, |o| {
        o.disable_automatic_authentication = true;
    });
    let err = credential
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AuthenticationRequired);
    assert!(err.message().contains(GRAPH_DEFAULT), "{err}");
    assert!(token_requests(&emulator).is_empty());
    // The emulator is no known cloud: authenticate cannot pick a default scope.
    let err = credential.authenticate(&[], None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CredentialUnavailable);
    credential
        .authenticate(&[GRAPH_DEFAULT], None)
        .await
        .unwrap();
    credential
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .expect("silent after authenticate");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aging_token_is_refreshed_with_the_refresh_token_and_a_failed_refresh_serves_it() {
    let emulator = emulator().await;
    let clock = ManualClock::new();
    let credential = credential_with(&emulator, PASSWORD, |o| {
        o.credential_options.clock = clock.clone();
        // msal-flows would throttle the identical request after the 5xx; this test is
        // about the credential's own 30-second rule.
        o.credential_options.http.pipeline = Some(
            msal_core::http::PipelineOptions::default()
                .retry_delay(std::time::Duration::ZERO)
                .throttling(false),
        );
    });
    let first = credential
        .get_token_info(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    // Under 5 minutes left: a refresh, which fails (the token endpoint is down).
    clock.set(first.expires_on - time::Duration::seconds(200));
    emulator.inject_fault(FaultRule::next(
        FaultEndpoint::Token,
        100,
        FaultKind::InternalServerError,
    ));
    let served = credential
        .get_token_info(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    assert_eq!(served.token, first.token, "the still-valid token is served");
    let after_failure = token_requests(&emulator).len();
    assert!(after_failure >= 2);
    // Within 30 s of that attempt: no new request.
    clock.advance(20);
    credential
        .get_token_info(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    assert_eq!(token_requests(&emulator).len(), after_failure);
    // 30 s later, with the endpoint back: a refresh-token grant gives a new token.
    emulator.clear_faults();
    clock.advance(11);
    let refreshed = credential
        .get_token_info(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    let log: Vec<_> = token_requests(&emulator)
        .iter()
        .map(|r| {
            (
                r.form_field("grant_type").unwrap_or("").to_owned(),
                r.status,
            )
        })
        .collect();
    assert_ne!(refreshed.token, first.token, "{log:?}");
    let last = token_requests(&emulator).pop().unwrap();
    assert_eq!(last.form_field("grant_type"), Some("refresh_token"));
    assert_eq!(last.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cae_and_non_cae_tokens_live_in_separate_caches() {
    let emulator = emulator().await;
    let dir = temp_dir("cae");
    let credential = credential_with(&emulator, PASSWORD, |o| {
        o.credential_options.cache_persistence = Some(persisted(&dir));
    });
    let plain = credential
        .get_token_info(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    let cae_options = TokenRequestOptions::builder().enable_cae(true).build();
    let cae = credential
        .get_token_info(&[GRAPH_DEFAULT], cae_options.clone())
        .await
        .unwrap();
    assert_ne!(plain.token, cae.token);
    assert!(
        cae.refresh_on.is_some(),
        "long-lived CAE tokens carry refresh_on"
    );
    let requests = token_requests(&emulator);
    assert_eq!(requests.len(), 2);
    assert!(requests[0].form_field("claims").is_none());
    assert!(
        requests[1]
            .form_field("claims")
            .unwrap_or("")
            .contains("CP1")
    );
    let nocae = std::fs::read_to_string(dir.join("msal.cache.nocae")).unwrap();
    let caefile = std::fs::read_to_string(dir.join("msal.cache.cae")).unwrap();
    assert!(nocae.contains(plain.token.expose()) && !nocae.contains(cae.token.expose()));
    assert!(caefile.contains(cae.token.expose()) && !caefile.contains(plain.token.expose()));
    // Both are cache hits from now on.
    credential
        .get_token_info(&[GRAPH_DEFAULT], cae_options)
        .await
        .unwrap();
    assert_eq!(token_requests(&emulator).len(), 2);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenant_is_refused_unless_allowed() {
    let emulator = emulator().await;
    let other = TokenRequestOptions::builder()
        .tenant_id("managed.test")
        .build();
    let strict = credential_with(&emulator, PASSWORD, |_| {});
    let err = strict
        .get_token(&[GRAPH_DEFAULT], other.clone())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.message().contains("additionally_allowed_tenants"));
    assert!(emulator.requests().is_empty(), "refused before any request");
    let open = credential_with(&emulator, PASSWORD, |o| {
        o.credential_options.additionally_allowed_tenants = vec!["*".into()];
    });
    open.get_token(&[GRAPH_DEFAULT], other).await.unwrap();
    assert!(
        emulator
            .requests()
            .iter()
            .any(|r| r.path.starts_with("/managed.test/")),
        "the other tenant's authority was used"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_calls_for_the_same_scopes_send_one_token_request() {
    let emulator = emulator().await;
    let credential = credential_with(&emulator, PASSWORD, |_| {});
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let credential = credential.clone();
            tokio::spawn(async move {
                credential
                    .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
                    .await
            })
        })
        .collect();
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(task.await.unwrap().unwrap().token);
    }
    assert!(tokens.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(token_requests(&emulator).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cae_token_past_its_refresh_on_is_refreshed_proactively() {
    let emulator = emulator().await;
    let clock = ManualClock::new();
    let credential = credential_with(&emulator, PASSWORD, |o| {
        o.credential_options.clock = clock.clone();
    });
    let cae = TokenRequestOptions::builder().enable_cae(true).build();
    let first = credential
        .get_token_info(&[GRAPH_DEFAULT], cae.clone())
        .await
        .unwrap();
    let refresh_on = first.refresh_on.expect("a CAE token has refresh_on");
    assert!(first.expires_on - refresh_on > time::Duration::seconds(300));
    clock.set(refresh_on - time::Duration::seconds(1));
    credential
        .get_token_info(&[GRAPH_DEFAULT], cae.clone())
        .await
        .unwrap();
    assert_eq!(token_requests(&emulator).len(), 1, "not yet");
    clock.set(refresh_on + time::Duration::seconds(1));
    let refreshed = credential
        .get_token_info(&[GRAPH_DEFAULT], cae)
        .await
        .unwrap();
    assert_ne!(refreshed.token, first.token);
    let requests = token_requests(&emulator);
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].form_field("grant_type"), Some("refresh_token"));
    assert!(
        requests[1]
            .form_field("claims")
            .unwrap_or("")
            .contains("CP1")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_challenge_is_passed_through_and_bypasses_the_remembered_token() {
    let emulator = emulator().await;
    let credential = credential_with(&emulator, PASSWORD, |_| {});
    let plain = credential
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    let challenge = r#"{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}"#;
    let with_claims = TokenRequestOptions::builder().claims(challenge).build();
    let claimed = credential
        .get_token(&[GRAPH_DEFAULT], with_claims)
        .await
        .unwrap();
    assert_ne!(plain.token, claimed.token);
    let last = token_requests(&emulator).pop().unwrap();
    assert!(
        last.form_field("claims").unwrap_or("").contains("nbf"),
        "{last:?}"
    );
}

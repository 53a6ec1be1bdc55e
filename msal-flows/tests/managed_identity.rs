//! Managed identity against the emulator over HTTPS: IMDS and App Service shapes, system and
//! user-assigned identities, the cache, retries, and unreachable or wrong endpoints.
#![allow(missing_docs)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use entra_emulator::{APP_SERVICE_IDENTITY_HEADER, Emulator, FaultEndpoint, FaultKind, FaultRule};
use msal_core::{ErrorKind, Secret};
use msal_flows::{
    CallOptions, ManagedIdentityClient, ManagedIdentityClientBuilder, ManagedIdentitySource,
    RetryPolicy, TokenSource, UserAssignedId,
};

const ARM: &str = "https://management.azure.com";
const SYSTEM_ID: &str = "66666666-6666-6666-6666-666666666666";
const USER_ID: &str = "77777777-7777-7777-7777-777777777777";
const USER_OBJECT_ID: &str = "00000000-0000-0000-0000-0000000007a1";
const USER_RESOURCE_ID: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/emulator-uami";
const IMDS_PATH: &str = "/metadata/identity/oauth2/token";

fn trusted(
    builder: ManagedIdentityClientBuilder,
    emulator: &Emulator,
) -> ManagedIdentityClientBuilder {
    builder
        .extra_ca_pem(emulator.ca_pem().unwrap_or_default().as_bytes().to_vec())
        .retry_policy(RetryPolicy::default().initial_delay(Duration::from_millis(10)))
}

fn imds(builder: ManagedIdentityClientBuilder, emulator: &Emulator) -> ManagedIdentityClient {
    let url = format!("{}{IMDS_PATH}", emulator.authority_host());
    trusted(builder.imds_endpoint(url.parse().unwrap()), emulator)
        .build()
        .unwrap()
}

fn app_service(
    builder: ManagedIdentityClientBuilder,
    emulator: &Emulator,
) -> ManagedIdentityClient {
    let url = format!("{}/msi/token", emulator.authority_host());
    trusted(
        builder.app_service(
            url.parse().unwrap(),
            Secret::new(APP_SERVICE_IDENTITY_HEADER),
        ),
        emulator,
    )
    .build()
    .unwrap()
}

/// The `azp` claim of a token: the identity that got it.
fn azp(token: &Secret) -> String {
    let claims = msal_core::token::jwt::decode_claims(token.expose()).unwrap();
    claims["azp"].as_str().unwrap().to_owned()
}

fn mi_requests(emulator: &Emulator, path: &str) -> usize {
    emulator
        .requests()
        .iter()
        .filter(|r| r.path == path)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imds_system_assigned_token_then_cache_hit() {
    let emulator = emulator().await;
    let client = imds(ManagedIdentityClient::system_assigned(), &emulator);
    assert!(matches!(
        client.source(),
        ManagedIdentitySource::Imds { .. }
    ));
    let first = client
        .acquire_token_for_resource("https://management.azure.com/.default", &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(first.token_source, TokenSource::IdentityProvider);
    assert_eq!(azp(&first.access_token), SYSTEM_ID);
    // The emulator's tokens live a day: refresh_on is synthesised at half of it.
    let half = first.refresh_on.expect("refresh_on") - time::OffsetDateTime::now_utc();
    assert!(half > time::Duration::hours(11) && half < time::Duration::hours(13));
    let second = client
        .acquire_token_for_resource(ARM, &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(second.token_source, TokenSource::Cache);
    assert_eq!(second.access_token, first.access_token);
    assert_eq!(mi_requests(&emulator, IMDS_PATH), 1);
    let logged = emulator.requests();
    let request = logged.iter().find(|r| r.path == IMDS_PATH).unwrap();
    assert_eq!(request.header("metadata"), Some("true"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imds_user_assigned_by_each_kind_of_id() {
    let emulator = emulator().await;
    for id in [
        UserAssignedId::ClientId(USER_ID.into()),
        UserAssignedId::ObjectId(USER_OBJECT_ID.into()),
        UserAssignedId::ResourceId(USER_RESOURCE_ID.into()),
    ] {
        let client = imds(ManagedIdentityClient::user_assigned(id.clone()), &emulator);
        let token = client
            .acquire_token_for_resource(ARM, &CallOptions::new())
            .await
            .unwrap_or_else(|e| panic!("{id:?}: {e}"));
        assert_eq!(azp(&token.access_token), USER_ID, "{id:?}");
    }
    let unknown = imds(
        ManagedIdentityClient::user_assigned(UserAssignedId::ClientId("not-assigned".into())),
        &emulator,
    );
    let err = unknown
        .acquire_token_for_resource(ARM, &CallOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CredentialUnavailable);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_service_system_and_user_assigned() {
    let emulator = emulator().await;
    let system = app_service(ManagedIdentityClient::system_assigned(), &emulator);
    let token = system
        .acquire_token_for_resource(ARM, &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(azp(&token.access_token), SYSTEM_ID);
    let cached = system
        .acquire_token_for_resource(ARM, &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(cached.token_source, TokenSource::Cache);
    assert_eq!(mi_requests(&emulator, "/msi/token"), 1);
    let logged = emulator.requests();
    // The emulator's log masks the header's value; the emulator checked it (401 otherwise).
    assert!(logged[0].header("x-identity-header").is_some());

    let user = app_service(
        ManagedIdentityClient::user_assigned(UserAssignedId::ClientId(USER_ID.into())),
        &emulator,
    );
    let token = user
        .acquire_token_for_resource(ARM, &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(azp(&token.access_token), USER_ID);

    let url = format!("{}/msi/token", emulator.authority_host());
    let wrong_header = trusted(
        ManagedIdentityClient::system_assigned()
            .app_service(url.parse().unwrap(), Secret::new("wrong-header")),
        &emulator,
    )
    .build()
    .unwrap();
    let err = wrong_header
        .acquire_token_for_resource(ARM, &CallOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service, "{err}");
    assert!(!err.to_string().contains("wrong-header"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imds_server_errors_are_retried() {
    let emulator = emulator().await;
    emulator.inject_fault(FaultRule::next(
        FaultEndpoint::Imds,
        2,
        FaultKind::InternalServerError,
    ));
    let client = imds(ManagedIdentityClient::system_assigned(), &emulator);
    let token = client
        .acquire_token_for_resource(ARM, &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(azp(&token.access_token), SYSTEM_ID);
    assert_eq!(mi_requests(&emulator, IMDS_PATH), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_imds_is_credential_unavailable_quickly() {
    // A port nothing listens on: the connection is refused.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let client = ManagedIdentityClient::system_assigned()
        .imds_endpoint(
            format!("http://127.0.0.1:{port}{IMDS_PATH}")
                .parse()
                .unwrap(),
        )
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client
        .acquire_token_for_resource(ARM, &CallOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CredentialUnavailable);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(err.correlation().is_some());
}

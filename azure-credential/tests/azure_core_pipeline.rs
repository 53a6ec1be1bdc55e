//! The `azure_core` feature: an Azure SDK pipeline's `BearerTokenAuthorizationPolicy` takes a
//! credential of this crate and authorizes requests with its token.
#![cfg(feature = "azure_core")]
#![allow(missing_docs)]

mod common;

use std::sync::{Arc, Mutex};

use azure_core::credentials::TokenCredential as SdkCredential;
use azure_core::http::headers::{AUTHORIZATION, Headers};
use azure_core::http::policies::auth::BearerTokenAuthorizationPolicy;
use azure_core::http::{
    AsyncRawResponse, ClientOptions, Context, HttpClient, Method, Pipeline, Request, StatusCode,
    Transport, Url,
};
use azure_credential::{ClientSecretCredential, ClientSecretCredentialOptions};
use common::*;

/// The service end of the pipeline: records the Authorization header of each request.
#[derive(Debug, Default)]
struct Service {
    authorization: Mutex<Vec<Option<String>>>,
}

#[async_trait::async_trait]
impl HttpClient for Service {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let header = request
            .headers()
            .get_optional_str(&AUTHORIZATION)
            .map(str::to_owned);
        self.authorization.lock().unwrap().push(header);
        Ok(AsyncRawResponse::from_bytes(
            StatusCode::Ok,
            Headers::new(),
            "{}",
        ))
    }
}

fn secret_credential(emulator: &entra_emulator::Emulator) -> Arc<ClientSecretCredential> {
    let mut o = ClientSecretCredentialOptions::default();
    o.credential_options = options(emulator);
    ClientSecretCredential::new(
        &emulator.tenant_id(),
        CONFIDENTIAL_APP,
        CLIENT_SECRET,
        Some(o),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_token_policy_sends_the_credentials_token_and_reuses_it() {
    let emulator = emulator().await;
    let credential: Arc<dyn SdkCredential> = secret_credential(&emulator);
    let expected = credential
        .get_token(&[GRAPH_DEFAULT], None)
        .await
        .unwrap()
        .token
        .secret()
        .to_owned();
    let service = Arc::new(Service::default());
    let options = ClientOptions {
        transport: Some(Transport::new(service.clone())),
        ..Default::default()
    };
    let policy = Arc::new(BearerTokenAuthorizationPolicy::new(
        credential,
        [GRAPH_DEFAULT],
    ));
    let pipeline = Pipeline::new(
        Some("azure-credential-test"),
        Some("0.0.0"),
        options,
        Vec::new(),
        vec![policy],
        None,
    );
    for _ in 0..2 {
        let url = Url::parse("https://service.example.test/items").unwrap();
        let mut request = Request::new(url, Method::Get);
        let response = pipeline
            .send(&Context::new(), &mut request, None)
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::Ok);
    }
    let seen = service.authorization.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    for header in seen {
        assert_eq!(
            header.as_deref(),
            Some(format!("Bearer {expected}").as_str())
        );
    }
    assert_eq!(
        token_requests(&emulator).len(),
        1,
        "one token for both requests"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_get_token_errors_are_credential_errors_without_the_secret() {
    let emulator = emulator().await;
    let mut o = ClientSecretCredentialOptions::default();
    o.credential_options = options(&emulator);
    let credential: Arc<dyn SdkCredential> = ClientSecretCredential::new(
        &emulator.tenant_id(),
        CONFIDENTIAL_APP,
        "wrong-secret-XYZZY",
        Some(o),
    )
    .unwrap();
    let err = credential
        .get_token(&[GRAPH_DEFAULT], None)
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), azure_core::error::ErrorKind::Credential);
    assert!(!format!("{err} {err:?}").contains("XYZZY"));
}

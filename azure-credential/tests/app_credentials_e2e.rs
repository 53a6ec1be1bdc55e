//! Application credentials against the emulator: secret, certificate, assertion callback,
//! workload identity, environment.
#![allow(missing_docs)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use azure_credential::{
    ClientAssertionCredential, ClientAssertionCredentialOptions, ClientCertificateCredential,
    ClientCertificateCredentialOptions, ClientSecretCredential, ClientSecretCredentialOptions, Env,
    EnvironmentCredential, EnvironmentCredentialOptions, WorkloadIdentityCredential,
    WorkloadIdentityCredentialOptions,
};
use common::*;
use entra_emulator::Emulator;
use msal_core::crypto::{AssertionSigner, ClientCertificate};
use msal_core::{ErrorKind, TokenCredential, TokenRequestOptions};

fn certificate_pem(emulator: &Emulator) -> Vec<u8> {
    let info = emulator.info();
    let app = info
        .apps
        .iter()
        .find(|a| a.client_id == CONFIDENTIAL_APP)
        .expect("the confidential app");
    let mut pem = std::fs::read(app.certificate_pem_path.as_ref().unwrap()).unwrap();
    pem.extend(std::fs::read(app.private_key_pem_path.as_ref().unwrap()).unwrap());
    pem
}

fn signed_assertion(emulator: &Emulator) -> String {
    let certificate = ClientCertificate::from_bytes(&certificate_pem(emulator), None).unwrap();
    let audience = format!(
        "{}/oauth2/v2.0/token",
        emulator.authority(&emulator.tenant_id())
    );
    AssertionSigner::new(certificate)
        .assertion(CONFIDENTIAL_APP, &audience)
        .unwrap()
        .expose()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_secret_gets_a_token_and_then_serves_it_from_the_cache() {
    let emulator = emulator().await;
    let mut o = ClientSecretCredentialOptions::default();
    o.credential_options = options(&emulator);
    let credential = ClientSecretCredential::new(
        &emulator.tenant_id(),
        CONFIDENTIAL_APP,
        CLIENT_SECRET,
        Some(o),
    )
    .unwrap();
    let first = credential
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    let second = credential
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    assert_eq!(first.token, second.token);
    let requests = token_requests(&emulator);
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].form_field("grant_type"),
        Some("client_credentials")
    );
    assert!(!format!("{credential:?}").contains(CLIENT_SECRET));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_secret_is_an_authentication_failure_not_unavailable() {
    let emulator = emulator().await;
    let mut o = ClientSecretCredentialOptions::default();
    o.credential_options = options(&emulator);
    let credential = ClientSecretCredential::new(
        &emulator.tenant_id(),
        CONFIDENTIAL_APP,
        "nope-secret-x",
        Some(o),
    )
    .unwrap();
    let err = credential
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidClient);
    assert!(!format!("{err} {err:?}").contains("nope-secret-x"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_pem_with_chain_gets_a_token() {
    let emulator = emulator().await;
    let mut o = ClientCertificateCredentialOptions::default();
    o.credential_options = options(&emulator);
    o.send_certificate_chain = true;
    let credential = ClientCertificateCredential::new(
        &emulator.tenant_id(),
        CONFIDENTIAL_APP,
        &certificate_pem(&emulator),
        Some(o),
    )
    .unwrap();
    credential
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    let request = &token_requests(&emulator)[0];
    assert_eq!(
        request.form_field("client_assertion_type"),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    assert!(format!("{credential:?}").contains("subject"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assertion_callback_is_called_per_request_not_per_cache_hit() {
    let emulator = emulator().await;
    let assertion = signed_assertion(&emulator);
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let mut o = ClientAssertionCredentialOptions::default();
    o.credential_options = options(&emulator);
    let credential = ClientAssertionCredential::new(
        &emulator.tenant_id(),
        CONFIDENTIAL_APP,
        move || {
            counter.fetch_add(1, Ordering::SeqCst);
            let a = assertion.clone();
            async move { Ok(msal_core::Secret::new(a)) }
        },
        Some(o),
    )
    .unwrap();
    for _ in 0..2 {
        credential
            .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
            .await
            .unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(token_requests(&emulator).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workload_identity_reads_the_token_file_for_each_request() {
    let emulator = emulator().await;
    let dir = temp_dir("workload");
    let file = dir.join("token");
    std::fs::write(&file, "not-a-valid-assertion").unwrap();
    let mut o = WorkloadIdentityCredentialOptions::default();
    o.credential_options = options(&emulator);
    o.credential_options.env = Env::from_pairs([
        ("AZURE_TENANT_ID", emulator.tenant_id()),
        ("AZURE_CLIENT_ID", CONFIDENTIAL_APP.to_owned()),
        ("AZURE_FEDERATED_TOKEN_FILE", file.display().to_string()),
    ]);
    let credential = WorkloadIdentityCredential::new(Some(o)).unwrap();
    let err = credential
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert_ne!(err.kind(), ErrorKind::CredentialUnavailable);
    // The platform rotates the file: the next request reads the new content.
    std::fs::write(&file, format!("{}\n", signed_assertion(&emulator))).unwrap();
    credential
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    let requests = token_requests(&emulator);
    assert_eq!(requests.last().unwrap().status, 200);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_with_a_secret_gets_an_app_token() {
    let emulator = emulator().await;
    let mut o = EnvironmentCredentialOptions::default();
    o.credential_options = options(&emulator);
    o.credential_options.env = Env::from_pairs([
        ("AZURE_TENANT_ID", emulator.tenant_id()),
        ("AZURE_CLIENT_ID", CONFIDENTIAL_APP.to_owned()),
        ("AZURE_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
    ]);
    let credential = EnvironmentCredential::new(Some(o)).unwrap();
    assert!(credential.is_configured());
    credential
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    assert_eq!(
        token_requests(&emulator)[0].form_field("grant_type"),
        Some("client_credentials")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_with_a_user_signs_in_with_the_password() {
    let emulator = emulator().await;
    let mut o = EnvironmentCredentialOptions::default();
    o.credential_options = options(&emulator);
    o.credential_options.env = Env::from_pairs([
        ("AZURE_TENANT_ID", emulator.tenant_id()),
        ("AZURE_CLIENT_ID", PUBLIC_APP.to_owned()),
        ("AZURE_USERNAME", USERNAME.to_owned()),
        ("AZURE_PASSWORD", PASSWORD.to_owned()),
    ]);
    let credential = EnvironmentCredential::new(Some(o)).unwrap();
    credential
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    assert_eq!(
        token_requests(&emulator)[0].form_field("grant_type"),
        Some("password")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_pfx_file_with_password_gets_a_token_and_a_wrong_password_does_not_load() {
    let emulator = emulator().await;
    let pem = certificate_pem(&emulator);
    let cert = openssl::x509::X509::from_pem(&pem).unwrap();
    let key = openssl::pkey::PKey::private_key_from_pem(&pem).unwrap();
    let pfx = openssl::pkcs12::Pkcs12::builder()
        .name("app")
        .pkey(&key)
        .cert(&cert)
        .build2("pfx-pass")
        .unwrap()
        .to_der()
        .unwrap();
    let dir = temp_dir("pfx");
    let path = dir.join("app.pfx");
    std::fs::write(&path, &pfx).unwrap();
    let build = |password: &str| {
        let mut o = ClientCertificateCredentialOptions::default();
        o.credential_options = options(&emulator);
        o.password = Some(msal_core::Secret::new(password));
        ClientCertificateCredential::from_path(
            &emulator.tenant_id(),
            CONFIDENTIAL_APP,
            &path,
            Some(o),
        )
    };
    let err = build("not-the-pfx-pass").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Crypto);
    assert!(!format!("{err} {err:?}").contains("not-the-pfx-pass"));
    build("pfx-pass")
        .unwrap()
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    assert_eq!(token_requests(&emulator)[0].status, 200);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_credential_tenant_is_validated_at_construction_and_per_request() {
    let emulator = emulator().await;
    let build = |tenant: &str, allowed: Vec<String>| {
        let mut o = ClientSecretCredentialOptions::default();
        o.credential_options = options(&emulator);
        o.credential_options.additionally_allowed_tenants = allowed;
        ClientSecretCredential::new(tenant, CONFIDENTIAL_APP, CLIENT_SECRET, Some(o))
    };
    assert_eq!(
        build("", vec![]).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        build("a/b", vec![]).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    let strict = build(&emulator.tenant_id(), vec![]).unwrap();
    let other = TokenRequestOptions::builder()
        .tenant_id("managed.test")
        .build();
    let err = strict
        .get_token(&[GRAPH_DEFAULT], other.clone())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let listed = build(&emulator.tenant_id(), vec!["managed.test".into()]).unwrap();
    listed.get_token(&[GRAPH_DEFAULT], other).await.unwrap();
    assert!(
        emulator
            .requests()
            .iter()
            .any(|r| r.path.starts_with("/managed.test/"))
    );
    let err = listed
        .get_token(&[], TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_emulator_needs_the_loopback_opt_in() {
    let emulator = entra_emulator::Emulator::start(entra_emulator::StartOptions {
        https: false,
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(emulator.authority_host().starts_with("http://"));
    let build = |allow: bool| {
        let mut o = ClientSecretCredentialOptions::default();
        o.credential_options = options(&emulator);
        o.credential_options.http.allow_loopback_http = allow;
        ClientSecretCredential::new(
            &emulator.tenant_id(),
            CONFIDENTIAL_APP,
            CLIENT_SECRET,
            Some(o),
        )
    };
    // Checked at construction, as azure-identity refuses non-https authorities up front.
    let err = build(false).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidAuthority);
    build(true)
        .unwrap()
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
}

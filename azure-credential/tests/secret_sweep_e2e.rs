//! Every credential, made to fail with a marked secret (client secret, password, assertion,
//! user assertion, authorization code, federated token, certificate bytes): the secret is in
//! no error's Display or Debug, no credential's Debug and no TRACE output.
#![allow(missing_docs)]

mod common;

use std::sync::Arc;

use azure_credential::{
    AuthorizationCodeCredential, AuthorizationCodeCredentialOptions, ClientAssertionCredential,
    ClientAssertionCredentialOptions, ClientCertificateCredential, ClientCredential,
    ClientSecretCredential, ClientSecretCredentialOptions, DefaultAzureCredential,
    DefaultAzureCredentialOptions, Env, EnvironmentCredential, EnvironmentCredentialOptions,
    OnBehalfOfCredential, OnBehalfOfCredentialOptions, UsernamePasswordCredential,
    UsernamePasswordCredentialOptions, WorkloadIdentityCredential,
    WorkloadIdentityCredentialOptions,
};
use common::*;
use msal_core::{Secret, TokenCredential, TokenRequestOptions};

const SECRETS: [&str; 9] = [
    "sweep-client-secret-Q1",
    "sweep-password-Q2",
    "sweep-assertion-Q3",
    "sweep-user-assertion-Q4",
    "sweep-obo-secret-Q5",
    "sweep-code-Q6",
    "sweep-env-secret-Q7",
    "sweep-federated-token-Q8",
    "sweep-certificate-Q9",
];

#[test]
fn no_credential_error_debug_or_trace_shows_a_secret() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let emulator = runtime.block_on(emulator());
    let dir = temp_dir("sweep");
    let token_file = dir.join("federated-token");
    std::fs::write(&token_file, SECRETS[7]).unwrap();
    let tenant = emulator.tenant_id();
    let capture = Capture::default();
    let shown = tracing::subscriber::with_default(capture.clone(), || {
        runtime.block_on(async {
            let mut credentials: Vec<Arc<dyn TokenCredential>> = Vec::new();
            let mut o = ClientSecretCredentialOptions::default();
            o.credential_options = options(&emulator);
            credentials.push(
                ClientSecretCredential::new(&tenant, CONFIDENTIAL_APP, SECRETS[0], Some(o))
                    .unwrap(),
            );
            let mut o = UsernamePasswordCredentialOptions::default();
            o.credential_options = options(&emulator);
            o.tenant_id = Some(tenant.clone());
            credentials.push(
                UsernamePasswordCredential::new(PUBLIC_APP, USERNAME, SECRETS[1], Some(o)).unwrap(),
            );
            let mut o = ClientAssertionCredentialOptions::default();
            o.credential_options = options(&emulator);
            credentials.push(
                ClientAssertionCredential::new(
                    &tenant,
                    CONFIDENTIAL_APP,
                    || async { Ok(Secret::new(SECRETS[2])) },
                    Some(o),
                )
                .unwrap(),
            );
            let mut o = OnBehalfOfCredentialOptions::default();
            o.credential_options = options(&emulator);
            credentials.push(
                OnBehalfOfCredential::with_secret(
                    &tenant,
                    CONFIDENTIAL_APP,
                    SECRETS[3],
                    SECRETS[4],
                    Some(o),
                )
                .unwrap(),
            );
            let mut o = AuthorizationCodeCredentialOptions::default();
            o.credential_options = options(&emulator);
            o.client_credential = Some(ClientCredential::Secret(SECRETS[4].into()));
            credentials.push(
                AuthorizationCodeCredential::new(
                    &tenant,
                    CONFIDENTIAL_APP,
                    SECRETS[5],
                    "http://localhost",
                    Some(o),
                )
                .unwrap(),
            );
            let env_pairs = vec![
                ("AZURE_TENANT_ID", tenant.clone()),
                ("AZURE_CLIENT_ID", CONFIDENTIAL_APP.to_owned()),
                ("AZURE_CLIENT_SECRET", SECRETS[6].to_owned()),
            ];
            let mut o = EnvironmentCredentialOptions::default();
            o.credential_options = options(&emulator);
            o.credential_options.env = Env::from_pairs(env_pairs.clone());
            credentials.push(EnvironmentCredential::new(Some(o)).unwrap());
            let mut o = DefaultAzureCredentialOptions::default();
            o.credential_options = options(&emulator);
            o.credential_options.env = Env::from_pairs(env_pairs);
            o.exclude_cli_credential = Some(true);
            o.exclude_managed_identity_credential = Some(true);
            credentials.push(DefaultAzureCredential::new(Some(o)).unwrap());
            let mut o = WorkloadIdentityCredentialOptions::default();
            o.credential_options = options(&emulator);
            o.tenant_id = Some(tenant.clone());
            o.client_id = Some(CONFIDENTIAL_APP.to_owned());
            o.token_file_path = Some(token_file.clone());
            credentials.push(WorkloadIdentityCredential::new(Some(o)).unwrap());

            let mut shown = String::new();
            for credential in &credentials {
                let err = credential
                    .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
                    .await
                    .expect_err("every secret is wrong");
                shown.push_str(&format!("{err}\n{err:?}\n{credential:?}\n"));
            }
            let bad_pem = format!("-----BEGIN CERTIFICATE-----\n{}\n", SECRETS[8]);
            match ClientCertificateCredential::new(
                &tenant,
                CONFIDENTIAL_APP,
                bad_pem.as_bytes(),
                None,
            ) {
                Ok(c) => shown.push_str(&format!("{c:?}")),
                Err(e) => shown.push_str(&format!("{e}\n{e:?}\n")),
            }
            shown
        })
    });
    let trace = capture.text.lock().unwrap().clone();
    assert!(
        trace.contains("msal.acquire_token"),
        "the trace was captured"
    );
    assert!(shown.lines().count() >= 16, "{shown}");
    for secret in SECRETS {
        assert!(!shown.contains(secret), "{secret} shown: {shown}");
        assert!(!trace.contains(secret), "{secret} in the trace");
    }
    std::fs::remove_dir_all(dir).ok();
}

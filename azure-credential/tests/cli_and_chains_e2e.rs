//! The Azure CLI credential with a fake `az`, and the default chain's order, stickiness and
//! `AZURE_TOKEN_CREDENTIALS`, against the emulator.
#![allow(missing_docs)]

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use azure_credential::{
    AzureCliCredential, AzureCliCredentialOptions, DefaultAzureCredential,
    DefaultAzureCredentialOptions, DefaultCredentialKind, Env,
};
use common::*;
use msal_core::{ErrorKind, TokenCredential, TokenRequestOptions};

/// Writes an executable `az` that logs its arguments to `args.log` and runs `body`.
fn fake_az(dir: &Path, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("az");
    let script = format!(
        "#!/bin/sh\necho \"$@\" >> '{}'\n{body}\n",
        dir.join("args.log").display()
    );
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

const TOKEN_JSON: &str = r#"echo '{"accessToken":"cli-token","expiresOn":"2099-01-01 00:00:00.000000","expires_on":4070908800,"subscription":"s","tenant":"t","tokenType":"Bearer"}'"#;

fn cli(program: PathBuf, tenant: Option<&str>) -> std::sync::Arc<AzureCliCredential> {
    let mut o = AzureCliCredentialOptions::default();
    o.program = program;
    o.tenant_id = tenant.map(str::to_owned);
    o.process_timeout = Duration::from_secs(2);
    o.credential_options.env = Env::from_pairs::<[(&str, &str); 0], &str, &str>([]);
    AzureCliCredential::new(Some(o)).unwrap()
}

#[tokio::test]
async fn cli_token_is_parsed_and_cached_and_arguments_are_right() {
    let dir = temp_dir("az-ok");
    let credential = cli(fake_az(&dir, TOKEN_JSON), Some("my-tenant"));
    for _ in 0..2 {
        let token = credential
            .get_token(
                &["https://management.azure.com/.default"],
                TokenRequestOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(token.token.expose(), "cli-token");
        assert_eq!(token.expires_on.unix_timestamp(), 4_070_908_800);
    }
    let log = std::fs::read_to_string(dir.join("args.log")).unwrap();
    assert_eq!(
        log,
        "account get-access-token --output json --resource https://management.azure.com --tenant my-tenant\n",
        "one run for two calls"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn missing_cli_not_logged_in_and_timeout_are_unavailable_but_other_errors_are_not() {
    let dir = temp_dir("az-fail");
    let scope = ["https://management.azure.com/.default"];
    let missing = cli(dir.join("no-such-az"), None);
    let err = missing
        .get_token(&scope, TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CredentialUnavailable);
    let login = cli(
        fake_az(
            &dir,
            "echo \"ERROR: Please run 'az login' to setup account.\" >&2; exit 1",
        ),
        None,
    );
    let err = login
        .get_token(&scope, TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CredentialUnavailable);
    assert!(err.message().contains("az login"));
    let slow = cli(fake_az(&dir, "sleep 5"), None);
    let started = std::time::Instant::now();
    let err = slow
        .get_token(&scope, TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CredentialUnavailable);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the timeout applies"
    );
    let broken = cli(
        fake_az(&dir, "echo 'ERROR: AADSTS70043 expired' >&2; exit 1"),
        None,
    );
    let err = broken
        .get_token(&scope, TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service);
    std::fs::remove_dir_all(dir).ok();
}

fn default_options(
    emulator: &entra_emulator::Emulator,
    env: Vec<(&str, String)>,
    az: PathBuf,
) -> DefaultAzureCredentialOptions {
    let mut o = DefaultAzureCredentialOptions::default();
    o.credential_options = options(emulator);
    o.credential_options.env = Env::from_pairs(env);
    o.azure_cli.program = az;
    // No managed identity here: nothing listens on the discard port.
    o.managed_identity_endpoint = Some(
        "http://127.0.0.1:9/metadata/identity/oauth2/token"
            .parse()
            .unwrap(),
    );
    o
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_uses_the_environment_first_and_then_only_the_one_that_worked() {
    let emulator = emulator().await;
    let dir = temp_dir("dac-env");
    let az = fake_az(&dir, TOKEN_JSON);
    let env = vec![
        ("AZURE_TENANT_ID", emulator.tenant_id()),
        ("AZURE_CLIENT_ID", CONFIDENTIAL_APP.to_owned()),
        ("AZURE_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
    ];
    let credential =
        DefaultAzureCredential::new(Some(default_options(&emulator, env, az))).unwrap();
    let token = credential
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    assert_ne!(token.token.expose(), "cli-token");
    assert_eq!(
        credential.selected(),
        Some(DefaultCredentialKind::Environment)
    );
    assert!(!dir.join("args.log").exists(), "the CLI never ran");
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_falls_through_to_the_cli_and_sticks_to_it() {
    let emulator = emulator().await;
    let dir = temp_dir("dac-cli");
    let az = fake_az(&dir, TOKEN_JSON);
    let credential =
        DefaultAzureCredential::new(Some(default_options(&emulator, vec![], az))).unwrap();
    assert_eq!(
        credential.kinds(),
        [
            DefaultCredentialKind::Environment,
            DefaultCredentialKind::ManagedIdentity,
            DefaultCredentialKind::AzureCli
        ]
    );
    let token = credential
        .get_token(
            &["https://management.azure.com/.default"],
            TokenRequestOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(token.token.expose(), "cli-token");
    assert_eq!(credential.selected(), Some(DefaultCredentialKind::AzureCli));
    assert!(emulator.requests().is_empty());
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_credentials_dev_skips_a_configured_environment() {
    let emulator = emulator().await;
    let dir = temp_dir("dac-dev");
    let az = fake_az(&dir, TOKEN_JSON);
    let env = vec![
        ("AZURE_TENANT_ID", emulator.tenant_id()),
        ("AZURE_CLIENT_ID", CONFIDENTIAL_APP.to_owned()),
        ("AZURE_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
        ("AZURE_TOKEN_CREDENTIALS", "dev".to_owned()),
    ];
    let credential =
        DefaultAzureCredential::new(Some(default_options(&emulator, env, az))).unwrap();
    let token = credential
        .get_token(
            &["https://management.azure.com/.default"],
            TokenRequestOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(token.token.expose(), "cli-token");
    assert!(emulator.requests().is_empty());
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_configured_credential_stops_the_default_chain() {
    let emulator = emulator().await;
    let dir = temp_dir("dac-fail");
    let az = fake_az(&dir, TOKEN_JSON);
    let env = vec![
        ("AZURE_TENANT_ID", emulator.tenant_id()),
        ("AZURE_CLIENT_ID", CONFIDENTIAL_APP.to_owned()),
        ("AZURE_CLIENT_SECRET", "wrong-secret".to_owned()),
    ];
    let credential =
        DefaultAzureCredential::new(Some(default_options(&emulator, env, az))).unwrap();
    let err = credential
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidClient);
    assert!(err.message().contains("EnvironmentCredential"), "{err}");
    assert!(
        !dir.join("args.log").exists(),
        "the chain stopped before the CLI"
    );
    assert_eq!(credential.selected(), None);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn cli_passes_an_allowed_request_tenant_and_takes_one_scope_only() {
    let dir = temp_dir("az-tenant");
    let mut o = AzureCliCredentialOptions::default();
    o.program = fake_az(&dir, TOKEN_JSON);
    o.tenant_id = Some("home".into());
    o.credential_options.env = Env::from_pairs::<[(&str, &str); 0], &str, &str>([]);
    o.credential_options.additionally_allowed_tenants = vec!["guest.example".into()];
    let credential = AzureCliCredential::new(Some(o)).unwrap();
    let scope = ["https://graph.microsoft.com/User.Read"];
    let guest = TokenRequestOptions::builder()
        .tenant_id("guest.example")
        .build();
    credential.get_token(&scope, guest).await.unwrap();
    let other = TokenRequestOptions::builder()
        .tenant_id("other.example")
        .build();
    let err = credential.get_token(&scope, other).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let two = ["a/.default", "b/.default"];
    let err = credential
        .get_token(&two, TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let log = std::fs::read_to_string(dir.join("args.log")).unwrap();
    assert_eq!(
        log,
        "account get-access-token --output json --scope https://graph.microsoft.com/User.Read --tenant guest.example\n"
    );
    std::fs::remove_dir_all(dir).ok();
}

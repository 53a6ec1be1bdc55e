//! Interop with azure-identity's recorded caches (`azid_*.cache.json`): they load in
//! msal-cache, and this crate's persistence finds their accounts and tokens. The recorded
//! access tokens have expired by now, so the user case asserts that the recorded account and
//! its refresh token are found and used (the refresh token grant is sent).
#![allow(missing_docs)]

mod common;

use std::path::PathBuf;

use azure_credential::{
    AuthenticationRecord, DeviceCodeCredential, DeviceCodeCredentialOptions,
    TokenCachePersistenceOptions,
};
use common::*;
use msal_cache::TokenCache;
use msal_core::{ErrorKind, TokenCredential, TokenRequestOptions};

fn wire(name: &str) -> PathBuf {
    let local = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference/wire");
    let dir = if local.exists() {
        local
    } else {
        PathBuf::from("/work/shared/reference/wire")
    };
    dir.join(name)
}

const CACHES: [&str; 9] = [
    "azid_certificate",
    "azid_certificate_pfx",
    "azid_certificate_send_chain",
    "azid_client_secret",
    "azid_client_secret_cae",
    "azid_device_code",
    "azid_on_behalf_of",
    "azid_username_password",
    "azid_username_password_federated",
];

#[test]
fn every_recorded_azure_identity_cache_loads_with_its_tokens() {
    for name in CACHES {
        let bytes = std::fs::read(wire(&format!("{name}.cache.json"))).unwrap();
        let cache = TokenCache::from_json(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let tokens = cache.access_tokens();
        assert_eq!(tokens.len(), 1, "{name}");
        assert_eq!(tokens[0].environment, "127.0.0.1", "{name}");
        let user = !cache.accounts().is_empty();
        assert_eq!(user, !cache.refresh_tokens().is_empty(), "{name}");
        // Loading and saving keeps every entry.
        let again = TokenCache::from_json(&cache.to_json().unwrap()).unwrap();
        assert_eq!(again.access_tokens().len(), 1, "{name}");
        assert_eq!(again.accounts().len(), cache.accounts().len(), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_code_credential_finds_the_recorded_account_and_its_refresh_token() {
    let emulator = emulator().await;
    let dir = temp_dir("azid-interop");
    std::fs::copy(
        wire("azid_device_code.cache.json"),
        dir.join("msal.cache.nocae"),
    )
    .unwrap();
    let recorded =
        TokenCache::from_json(&std::fs::read(dir.join("msal.cache.nocae")).unwrap()).unwrap();
    let account = recorded.accounts()[0].clone();
    assert_eq!(account.username.or_empty(), USERNAME);
    let host = emulator
        .authority_host()
        .split_once("://")
        .unwrap()
        .1
        .to_owned();
    let record = AuthenticationRecord::new(
        host,
        PUBLIC_APP,
        account.home_account_id.clone(),
        account.realm.or_empty(),
        account.username.or_empty(),
    );
    let mut persistence = TokenCachePersistenceOptions::default();
    persistence.allow_unencrypted_storage = true;
    persistence.directory = Some(dir.clone());
    let mut o = DeviceCodeCredentialOptions::default();
    o.credential_options = options(&emulator);
    o.credential_options.cache_persistence = Some(persistence);
    o.authentication_record = Some(record);
    o.disable_automatic_authentication = true;
    let credential = DeviceCodeCredential::new(Some(o)).unwrap();
    let outcome = credential
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await;
    // The recorded refresh token came from another emulator run: this one may refuse it,
    // and then no device code is started (automatic authentication is disabled).
    if let Err(e) = &outcome {
        assert_eq!(e.kind(), ErrorKind::AuthenticationRequired, "{e}");
    }
    let sent = token_requests(&emulator);
    assert_eq!(sent.len(), 1, "one refresh token grant, nothing else");
    assert_eq!(sent[0].form_field("grant_type"), Some("refresh_token"));
    assert_eq!(sent[0].form_field("client_id"), Some(PUBLIC_APP));
    assert!(
        !emulator
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/devicecode")),
        "no device code flow"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_record_names_the_same_account_as_azure_identitys_cache_and_reads_back() {
    let emulator = entra_emulator::Emulator::start(entra_emulator::StartOptions {
        auto_approve_device_codes: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let mut o = DeviceCodeCredentialOptions::default();
    o.credential_options = options(&emulator);
    o.client_id = Some(PUBLIC_APP.to_owned());
    o.tenant_id = Some(emulator.tenant_id());
    o.prompt_callback = Some(std::sync::Arc::new(
        |_: &azure_credential::DeviceCodeInfo| {},
    ));
    let credential = DeviceCodeCredential::new(Some(o)).unwrap();
    let record = credential
        .authenticate(&[GRAPH_DEFAULT], None)
        .await
        .unwrap();
    let recorded =
        TokenCache::from_json(&std::fs::read(wire("azid_device_code.cache.json")).unwrap())
            .unwrap();
    let account = recorded.accounts()[0].clone();
    assert_eq!(record.home_account_id, account.home_account_id.as_str());
    assert_eq!(record.tenant_id, account.realm.or_empty());
    assert_eq!(record.username, account.username.or_empty());
    // azure-identity's format: the five camelCase members and version "1.0".
    let json: serde_json::Value = serde_json::from_str(&record.serialize()).unwrap();
    let mut keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "authority",
            "clientId",
            "homeAccountId",
            "tenantId",
            "username",
            "version"
        ]
    );
    assert_eq!(json["version"], "1.0");
    assert_eq!(
        AuthenticationRecord::deserialize(&record.serialize()).unwrap(),
        record
    );
}

//! Part B credentials against the emulator: device code, interactive browser, on-behalf-of
//! and managed identity (alone and in the default chain).
#![allow(missing_docs)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use azure_credential::{
    AuthenticationRecord, AuthorizationCodeCredential, AuthorizationCodeCredentialOptions,
    ClientCredential, DefaultAzureCredential, DefaultAzureCredentialOptions, DefaultCredentialKind,
    DeviceCodeCredential, DeviceCodeCredentialOptions, DeviceCodeInfo,
    InteractiveBrowserCredential, InteractiveBrowserCredentialOptions, ManagedIdentityCredential,
    ManagedIdentityCredentialOptions, OnBehalfOfCredential, TokenCachePersistenceOptions,
    UserAssignedId, UsernamePasswordCredential,
};
use common::*;
use entra_emulator::{Emulator, StartOptions};
use msal_core::{ErrorKind, TokenCredential, TokenRequestOptions};
use url::Url;

const ARM_DEFAULT: &str = "https://management.azure.com/.default";
const API_SCOPE: &str = "api://33333333-3333-3333-3333-333333333333/access_as_user";
const MIDDLE_TIER: &str = "33333333-3333-3333-3333-333333333333";
const USER_MI: &str = "77777777-7777-7777-7777-777777777777";

async fn emulator_with(auto_approve: bool) -> Emulator {
    let mut start = StartOptions {
        auto_approve_device_codes: auto_approve,
        ..Default::default()
    };
    start.config.device_code_interval_secs = 1;
    Emulator::start(start).await.expect("the emulator starts")
}

fn persisted(dir: &std::path::Path) -> TokenCachePersistenceOptions {
    let mut p = TokenCachePersistenceOptions::default();
    p.allow_unencrypted_storage = true;
    p.directory = Some(dir.to_path_buf());
    p
}

fn device_options(
    emulator: &Emulator,
    seen: Arc<Mutex<Vec<DeviceCodeInfo>>>,
) -> DeviceCodeCredentialOptions {
    let mut o = DeviceCodeCredentialOptions::default();
    o.credential_options = options(emulator);
    o.client_id = Some(PUBLIC_APP.to_owned());
    o.tenant_id = Some(emulator.tenant_id());
    o.prompt_callback = Some(Arc::new(move |info: &DeviceCodeInfo| {
        seen.lock().unwrap().push(info.clone());
    }));
    o
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_code_prompts_authenticates_then_a_rebuilt_credential_is_silent() {
    let emulator = emulator_with(true).await;
    let dir = temp_dir("device-code");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut o = device_options(&emulator, seen.clone());
    o.credential_options.cache_persistence = Some(persisted(&dir));
    let credential = DeviceCodeCredential::new(Some(o)).unwrap();
    let record = credential
        .authenticate(&[GRAPH_DEFAULT], None)
        .await
        .unwrap();
    assert_eq!(record.username, USERNAME);
    assert_eq!(record.client_id, PUBLIC_APP);
    {
        let prompts = seen.lock().unwrap();
        assert_eq!(prompts.len(), 1);
        let info = &prompts[0];
        assert_eq!(info.user_code.len(), 9);
        assert!(info.message.contains(&info.user_code), "{}", info.message);
        assert!(info.verification_uri.contains("devicelogin"));
    }
    // Served from the cache: no second device code.
    credential
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    assert_eq!(seen.lock().unwrap().len(), 1);

    let json = serde_json::to_string(&record).unwrap();
    let loaded: AuthenticationRecord = serde_json::from_str(&json).unwrap();
    let seen2 = Arc::new(Mutex::new(Vec::new()));
    let mut o = device_options(&emulator, seen2.clone());
    o.credential_options.cache_persistence = Some(persisted(&dir));
    o.authentication_record = Some(loaded);
    o.disable_automatic_authentication = true;
    let rebuilt = DeviceCodeCredential::new(Some(o)).unwrap();
    rebuilt
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    assert!(
        seen2.lock().unwrap().is_empty(),
        "no prompt for a known account"
    );
    let err = rebuilt
        .get_token(
            &["https://storage.azure.com/.default"],
            TokenRequestOptions::default(),
        )
        .await;
    // A new scope is served by the refresh token, still without a prompt.
    assert!(err.is_ok(), "{err:?}");
    assert!(seen2.lock().unwrap().is_empty());
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_code_timeout_is_a_typed_timeout_error() {
    let emulator = emulator_with(false).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut o = device_options(&emulator, seen.clone());
    o.timeout = Some(Duration::from_millis(1500));
    let credential = DeviceCodeCredential::new(Some(o)).unwrap();
    let err = credential
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(
        err.to_string().contains("timed out waiting for the user"),
        "{err}"
    );
    assert_eq!(seen.lock().unwrap().len(), 1, "the user was prompted once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_code_disabled_automatic_authentication_requires_authenticate() {
    let emulator = emulator_with(true).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut o = device_options(&emulator, seen.clone());
    o.disable_automatic_authentication = true;
    let credential = DeviceCodeCredential::new(Some(o)).unwrap();
    let err = credential
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AuthenticationRequired);
    assert!(seen.lock().unwrap().is_empty());
}

/// An `open_browser` callback that signs in at the emulator (login hint, no UI) and follows
/// the redirect to the loopback listener.
fn fake_browser(
    emulator: &Emulator,
    opened: Arc<Mutex<Vec<Url>>>,
) -> azure_credential_open::OpenBrowser {
    let ca = reqwest::Certificate::from_pem(emulator.ca_pem().unwrap().as_bytes()).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(ca)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    Arc::new(move |url: &Url| {
        opened.lock().unwrap().push(url.clone());
        let (client, url) = (client.clone(), url.clone());
        tokio::spawn(async move {
            let answer = client.get(url).send().await.unwrap();
            let location = answer.headers()["location"].to_str().unwrap().to_owned();
            let mut redirect = Url::parse(&location).unwrap();
            redirect.set_host(Some("127.0.0.1")).unwrap();
            client.get(redirect).send().await.unwrap();
        });
        Ok(())
    })
}

mod azure_credential_open {
    pub use msal_flows::OpenBrowser;
}

fn browser_options(
    emulator: &Emulator,
    opened: Arc<Mutex<Vec<Url>>>,
) -> InteractiveBrowserCredentialOptions {
    let mut o = InteractiveBrowserCredentialOptions::default();
    o.credential_options = options(emulator);
    o.client_id = Some(PUBLIC_APP.to_owned());
    o.tenant_id = Some(emulator.tenant_id());
    o.login_hint = Some(USERNAME.to_owned());
    o.timeout = Some(Duration::from_secs(20));
    o.open_browser = Some(fake_browser(emulator, opened));
    o
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interactive_browser_signs_in_with_the_hint_then_serves_silently() {
    let emulator = emulator().await;
    let opened = Arc::new(Mutex::new(Vec::new()));
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let mut o = browser_options(&emulator, opened.clone());
    o.redirect_port = Some(port);
    let credential = InteractiveBrowserCredential::new(Some(o)).unwrap();
    let record = credential
        .authenticate(&[GRAPH_DEFAULT], None)
        .await
        .unwrap();
    assert_eq!(record.username, USERNAME);
    let url = opened.lock().unwrap()[0].clone();
    let hint = url
        .query_pairs()
        .find(|(k, _)| k == "login_hint")
        .unwrap()
        .1;
    assert_eq!(hint, USERNAME);
    let redirect = url
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .unwrap()
        .1;
    assert_eq!(redirect, format!("http://localhost:{port}"));
    credential
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    credential
        .get_token(
            &["https://storage.azure.com/.default"],
            TokenRequestOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(opened.lock().unwrap().len(), 1, "the browser opened once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interactive_browser_timeout_is_a_typed_timeout_error() {
    let emulator = emulator().await;
    let mut o = browser_options(&emulator, Arc::new(Mutex::new(Vec::new())));
    o.open_browser = Some(Arc::new(|_: &Url| Ok(())));
    o.timeout = Some(Duration::from_secs(1));
    let credential = InteractiveBrowserCredential::new(Some(o)).unwrap();
    let err = credential
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(
        err.to_string().contains("timed out waiting for the user"),
        "{err}"
    );
}

async fn user_assertion(emulator: &Emulator) -> String {
    let mut o = azure_credential::UsernamePasswordCredentialOptions::default();
    o.credential_options = options(emulator);
    o.tenant_id = Some(emulator.tenant_id());
    let user = UsernamePasswordCredential::new(PUBLIC_APP, USERNAME, PASSWORD, Some(o)).unwrap();
    let token = user
        .get_token(&[API_SCOPE], TokenRequestOptions::default())
        .await
        .unwrap();
    token.token.expose().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_behalf_of_exchanges_the_user_token_and_caches_it() {
    let emulator = emulator().await;
    let assertion = user_assertion(&emulator).await;
    let mut o = azure_credential::OnBehalfOfCredentialOptions::default();
    o.credential_options = options(&emulator);
    let credential = OnBehalfOfCredential::with_secret(
        &emulator.tenant_id(),
        MIDDLE_TIER,
        assertion,
        CLIENT_SECRET,
        Some(o),
    )
    .unwrap();
    let first = credential
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    let obo = |e: &Emulator| {
        token_requests(e)
            .iter()
            .filter(|r| r.form_field("requested_token_use") == Some("on_behalf_of"))
            .count()
    };
    assert_eq!(obo(&emulator), 1);
    let claims = msal_core::token::jwt::decode_claims(first.token.expose()).unwrap();
    assert_eq!(
        claims["upn"]
            .as_str()
            .or(claims["preferred_username"].as_str()),
        Some(USERNAME)
    );
    let again = credential
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    assert_eq!(again.token.expose(), first.token.expose());
    assert_eq!(obo(&emulator), 1, "served from the cache");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_behalf_of_with_a_foreign_assertion_fails_with_invalid_grant() {
    let emulator = emulator().await;
    let mut o = azure_credential::OnBehalfOfCredentialOptions::default();
    o.credential_options = options(&emulator);
    let credential = OnBehalfOfCredential::with_secret(
        &emulator.tenant_id(),
        MIDDLE_TIER,
        "not-a-jwt-XYZZY",
        CLIENT_SECRET,
        Some(o),
    )
    .unwrap();
    let err = credential
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert_ne!(err.kind(), ErrorKind::CredentialUnavailable);
    assert!(!format!("{err} {err:?}").contains("XYZZY"));
}

fn imds_url(emulator: &Emulator) -> Url {
    format!(
        "{}/metadata/identity/oauth2/token",
        emulator.authority_host()
    )
    .parse()
    .unwrap()
}

fn mi_options(emulator: &Emulator, id: Option<UserAssignedId>) -> ManagedIdentityCredentialOptions {
    let mut o = ManagedIdentityCredentialOptions::default();
    o.credential_options = options(emulator);
    o.user_assigned_id = id;
    o.endpoint = Some(imds_url(emulator));
    o
}

fn azp(token: &str) -> String {
    let claims = msal_core::token::jwt::decode_claims(token).unwrap();
    claims["azp"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managed_identity_system_and_user_assigned_tokens_then_cache() {
    let emulator = emulator().await;
    let system = ManagedIdentityCredential::new(Some(mi_options(&emulator, None))).unwrap();
    let token = system
        .get_token(&[ARM_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    assert_eq!(
        azp(token.token.expose()),
        "66666666-6666-6666-6666-666666666666"
    );
    let user = ManagedIdentityCredential::new(Some(mi_options(
        &emulator,
        Some(UserAssignedId::ClientId(USER_MI.into())),
    )))
    .unwrap();
    let token = user
        .get_token(&[ARM_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    assert_eq!(azp(token.token.expose()), USER_MI);
    let imds_calls = || {
        emulator
            .requests()
            .iter()
            .filter(|r| r.path.contains("/metadata/identity"))
            .count()
    };
    assert_eq!(imds_calls(), 2);
    user.get_token(&[ARM_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    assert_eq!(
        imds_calls(),
        2,
        "the second request is served from the cache"
    );
    let err = user
        .get_token(
            &[ARM_DEFAULT, GRAPH_DEFAULT],
            TokenRequestOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_chain_uses_managed_identity_and_skips_an_absent_one() {
    let emulator = emulator().await;
    let mut o = DefaultAzureCredentialOptions::default();
    o.credential_options = options(&emulator);
    o.exclude_cli_credential = Some(true);
    o.managed_identity_endpoint = Some(imds_url(&emulator));
    let credential = DefaultAzureCredential::new(Some(o)).unwrap();
    credential
        .get_token(&[ARM_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    assert_eq!(
        credential.selected(),
        Some(DefaultCredentialKind::ManagedIdentity)
    );

    // Nothing listens there: inside the chain that is "unavailable", the chain's error.
    let mut o = DefaultAzureCredentialOptions::default();
    o.credential_options = options(&emulator);
    o.exclude_cli_credential = Some(true);
    o.managed_identity_endpoint = Some(
        "http://127.0.0.1:9/metadata/identity/oauth2/token"
            .parse()
            .unwrap(),
    );
    let credential = DefaultAzureCredential::new(Some(o)).unwrap();
    let err = credential
        .get_token(&[ARM_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CredentialUnavailable, "{err}");
}

/// A code from the emulator's authorize endpoint (the login hint signs in without UI), as
/// the application's own redirect handling would receive it.
async fn authorization_code(emulator: &Emulator, client_id: &str, redirect_uri: &str) -> String {
    let ca = reqwest::Certificate::from_pem(emulator.ca_pem().unwrap().as_bytes()).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(ca)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    let mut url = Url::parse(&format!(
        "{}/{}/oauth2/v2.0/authorize",
        emulator.authority_host(),
        emulator.tenant_id()
    ))
    .unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", redirect_uri)
        .append_pair(
            "scope",
            &format!("{GRAPH_DEFAULT} openid profile offline_access"),
        )
        .append_pair("state", "s")
        .append_pair("login_hint", USERNAME);
    let answer = client.get(url).send().await.unwrap();
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    let redirect = Url::parse(&location).unwrap();
    redirect
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap_or_else(|| panic!("no code in {location}"))
        .1
        .into_owned()
}

fn code_requests(emulator: &Emulator) -> usize {
    token_requests(emulator)
        .iter()
        .filter(|r| r.form_field("grant_type") == Some("authorization_code"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_code_confidential_redeems_once_then_serves_silently() {
    let emulator = emulator().await;
    let redirect = "http://localhost/getAToken";
    let code = authorization_code(&emulator, CONFIDENTIAL_APP, redirect).await;
    let mut o = AuthorizationCodeCredentialOptions::default();
    o.credential_options = options(&emulator);
    o.client_credential = Some(ClientCredential::Secret(CLIENT_SECRET.into()));
    let credential = AuthorizationCodeCredential::new(
        &emulator.tenant_id(),
        CONFIDENTIAL_APP,
        code,
        redirect,
        Some(o),
    )
    .unwrap();
    let first = credential
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    assert_eq!(code_requests(&emulator), 1);
    let again = credential
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    assert_eq!(again.token.expose(), first.token.expose());
    // Another scope: the refresh token, not the (single-use) code again.
    credential
        .get_token(
            &["https://storage.azure.com/.default"],
            TokenRequestOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(code_requests(&emulator), 1);
    let sent = token_requests(&emulator);
    assert_eq!(
        sent.last().unwrap().form_field("grant_type"),
        Some("refresh_token")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_code_public_redeems_once_and_a_bad_code_is_invalid_grant() {
    let emulator = emulator().await;
    let redirect = "http://localhost:8400";
    let code = authorization_code(&emulator, PUBLIC_APP, redirect).await;
    let mut o = AuthorizationCodeCredentialOptions::default();
    o.credential_options = options(&emulator);
    let credential = AuthorizationCodeCredential::new(
        &emulator.tenant_id(),
        PUBLIC_APP,
        code,
        redirect,
        Some(o.clone()),
    )
    .unwrap();
    credential
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap();
    credential
        .get_token(
            &["https://storage.azure.com/.default"],
            TokenRequestOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(code_requests(&emulator), 1);

    let bad = AuthorizationCodeCredential::new(
        &emulator.tenant_id(),
        PUBLIC_APP,
        "bogus-code-XYZZY",
        redirect,
        Some(o),
    )
    .unwrap();
    let err = bad
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidGrant, "{err}");
    assert!(!format!("{err} {err:?}").contains("XYZZY"));
    // The code is spent: no second redemption is attempted.
    let err = bad
        .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AuthenticationRequired, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managed_identity_from_app_service_variables_by_object_and_resource_id() {
    let emulator = emulator().await;
    let mut o = ManagedIdentityCredentialOptions::default();
    o.credential_options = options(&emulator);
    o.credential_options.env = azure_credential::Env::from_pairs([
        (
            "IDENTITY_ENDPOINT",
            format!("{}/msi/token", emulator.authority_host()),
        ),
        (
            "IDENTITY_HEADER",
            entra_emulator::APP_SERVICE_IDENTITY_HEADER.to_owned(),
        ),
    ]);
    for id in [
        UserAssignedId::ObjectId("00000000-0000-0000-0000-0000000007a1".into()),
        UserAssignedId::ResourceId("/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/emulator-uami".into()),
    ] {
        let mut o = o.clone();
        o.user_assigned_id = Some(id);
        let credential = ManagedIdentityCredential::new(Some(o)).unwrap();
        assert!(format!("{credential:?}").contains("AppService"));
        let token = credential
            .get_token(&[ARM_DEFAULT], TokenRequestOptions::default())
            .await
            .unwrap();
        assert_eq!(azp(token.token.expose()), USER_MI);
    }
    assert!(
        emulator.requests().iter().all(|r| r.path == "/msi/token"),
        "the App Service endpoint only"
    );
}

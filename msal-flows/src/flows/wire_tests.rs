//! Flow tests with a fake HTTP client: the token requests are pinned to what MSAL Python sent
//! in the reference recordings, and the cache rules (buffer, refresh_on, FOCI) are checked.

use msal_cache::{TokenCache, TokenResponseEvent};
use msal_core::http::Method;
use msal_core::{ErrorKind, FailureReason, Secret};

use crate::flows::silent::refresh_candidates;
use crate::result::now_unix;
use crate::test_support::*;
use crate::{CallOptions, TokenSource};

const USER_READ: &str = "https://graph.microsoft.com/User.Read";
const GRAPH_DEFAULT: &str = "https://graph.microsoft.com/.default";

fn recorded_form(name: &str) -> Vec<(String, String)> {
    let r = recorded(name, "POST", "/oauth2/v2.0/token");
    form(r["body"].as_str().unwrap().as_bytes())
}

#[tokio::test]
async fn ropc_managed_sends_the_token_request_msal_python_sent() {
    let fake = FakeHttp::from_recording("msal_ropc_managed");
    let result = public_app(&fake)
        .acquire_token_by_username_password(
            &[USER_READ],
            "alice@managed.test",
            Secret::new("alice-password"),
            &CallOptions::new(),
        )
        .await
        .unwrap();
    assert!(result.account.is_some());
    let sent = fake.sent_to("/oauth2/v2.0/token");
    assert_eq!(sent.len(), 1);
    assert_eq!(form(&sent[0].body), recorded_form("msal_ropc_managed"));
    assert_eq!(
        sent[0].header_value("X-AnchorMailbox"),
        Some("upn:alice@managed.test")
    );
}

#[tokio::test]
async fn ropc_federated_redeems_the_saml_assertion_as_msal_python_did() {
    let fake = FakeHttp::from_recording("msal_ropc_federated");
    public_app(&fake)
        .acquire_token_by_username_password(
            &[USER_READ],
            "bob@federated.test",
            Secret::new("bob-password"),
            &CallOptions::new(),
        )
        .await
        .unwrap();
    let sent = fake.sent_to("/oauth2/v2.0/token");
    assert_eq!(form(&sent[0].body), recorded_form("msal_ropc_federated"));
    assert_eq!(fake.sent_to("/trust/13/usernamemixed").len(), 1);
}

#[tokio::test]
async fn client_credentials_secret_request_matches_the_recording() {
    let fake = FakeHttp::from_recording("msal_client_credentials_secret");
    confidential_app(&fake)
        .acquire_token_for_client(&[GRAPH_DEFAULT], &CallOptions::new())
        .await
        .unwrap();
    let sent = fake.sent_to("/oauth2/v2.0/token");
    assert_eq!(
        form(&sent[0].body),
        recorded_form("msal_client_credentials_secret")
    );
}

#[tokio::test]
async fn personal_account_is_refused_before_the_password_is_sent() {
    let fake = FakeHttp::from_recording("msal_ropc_managed");
    fake.route(
        Method::Get,
        "/userrealm/someone@live.com",
        200,
        r#"{"ver":"1.0","account_type":"Federated","domain_name":"live.com","federation_protocol":"WSTrust","cloud_instance_name":"microsoftonline.com"}"#,
    );
    let err = public_app(&fake)
        .acquire_token_by_username_password(
            &[USER_READ],
            "someone@live.com",
            Secret::new("msa-password"),
            &CallOptions::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.reason(),
        Some(FailureReason::PersonalAccountNotSupported)
    );
    assert!(err.correlation().is_some());
    for request in fake.sent() {
        assert!(!String::from_utf8_lossy(&request.body).contains("msa-password"));
    }
    assert!(fake.sent_to("/oauth2/v2.0/token").is_empty());
}

#[tokio::test]
async fn unreachable_federation_metadata_is_its_own_failure() {
    let fake = FakeHttp::from_recording("msal_ropc_federated");
    fake.route(Method::Get, "/adfs/services/trust/mex", 503, "down");
    let err = public_app(&fake)
        .acquire_token_by_username_password(
            &[USER_READ],
            "bob@federated.test",
            Secret::new("bob-password"),
            &CallOptions::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.reason(),
        Some(FailureReason::FederationMetadataUnreachable)
    );
    assert!(fake.sent_to("/usernamemixed").is_empty());
}

/// Puts an app token for graph in `cache`, expiring in `expires_in` and to be refreshed in
/// `refresh_in` seconds.
fn seed_app_token(cache: &TokenCache, expires_in: i64, refresh_in: Option<i64>) {
    let mut event = TokenResponseEvent::new(
        CONFIDENTIAL_APP,
        "127.0.0.1",
        "aaaabbbb-0000-cccc-1111-dddd2222eeee",
        now_unix(),
    );
    event.scopes = vec![GRAPH_DEFAULT.to_owned()];
    event.access_token = Some(Secret::new("seeded-token"));
    event.expires_in = Some(expires_in);
    event.refresh_in = refresh_in;
    cache.write_response(&event);
}

#[tokio::test]
async fn aging_app_token_is_returned_when_its_refresh_fails() {
    let fake = FakeHttp::from_recording("msal_client_credentials_secret");
    fake.route(
        Method::Post,
        "/oauth2/v2.0/token",
        400,
        r#"{"error":"invalid_request"}"#,
    );
    let app = confidential_app(&fake);
    seed_app_token(app.token_cache().cache(), 3600, Some(-10));
    let result = app
        .acquire_token_for_client(&[GRAPH_DEFAULT], &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(result.token_source, TokenSource::Cache);
    assert_eq!(result.access_token.expose(), "seeded-token");
    assert_eq!(
        fake.sent_to("/oauth2/v2.0/token").len(),
        1,
        "a refresh was tried"
    );
}

#[tokio::test]
async fn aging_app_token_is_replaced_when_its_refresh_succeeds() {
    let fake = FakeHttp::from_recording("msal_client_credentials_secret");
    let app = confidential_app(&fake);
    seed_app_token(app.token_cache().cache(), 3600, Some(-10));
    let result = app
        .acquire_token_for_client(&[GRAPH_DEFAULT], &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(result.token_source, TokenSource::IdentityProvider);
    assert_ne!(result.access_token.expose(), "seeded-token");
}

#[tokio::test]
async fn app_token_inside_the_five_minute_buffer_is_not_used() {
    let fake = FakeHttp::from_recording("msal_client_credentials_secret");
    let app = confidential_app(&fake);
    seed_app_token(app.token_cache().cache(), 299, None);
    let result = app
        .acquire_token_for_client(&[GRAPH_DEFAULT], &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(result.token_source, TokenSource::IdentityProvider);
    let fresh = FakeHttp::from_recording("msal_client_credentials_secret");
    let app = confidential_app(&fresh);
    seed_app_token(app.token_cache().cache(), 301 + 5, None);
    let hit = app
        .acquire_token_for_client(&[GRAPH_DEFAULT], &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(hit.token_source, TokenSource::Cache);
    assert!(fresh.sent().is_empty());
}

#[tokio::test]
async fn force_refresh_is_refused_for_client_credentials() {
    let fake = FakeHttp::from_recording("msal_client_credentials_secret");
    let err = confidential_app(&fake)
        .acquire_token_for_client(&[GRAPH_DEFAULT], &CallOptions::new().force_refresh(true))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

/// Writes a user response with a refresh token for `client_id` (family `family`) at `now`.
fn seed_rt(cache: &TokenCache, client_id: &str, family: Option<&str>, secret: &str, now: i64) {
    let mut event = TokenResponseEvent::new(client_id, "127.0.0.1", "tenant", now);
    event.client_info_uid = Some("uid".into());
    event.client_info_utid = Some("utid".into());
    event.refresh_token = Some(Secret::new(secret));
    event.family_id = family.map(str::to_owned);
    cache.write_response(&event);
}

#[test]
fn app_never_seen_uses_the_newest_family_token_of_other_apps() {
    let cache = TokenCache::new();
    seed_rt(&cache, "other-a", Some("1"), "frt-old", 1_000);
    seed_rt(&cache, "other-b", Some("1"), "frt-new", 2_000);
    let order: Vec<String> = refresh_candidates(&cache, "uid.utid", "127.0.0.1", "me")
        .iter()
        .map(|c| c.token.secret.expose().to_owned())
        .collect();
    // The newer family token supersedes the older one in the cache.
    assert_eq!(order, ["frt-new"]);
}

#[test]
fn app_known_outside_a_family_uses_only_its_own_token() {
    let cache = TokenCache::new();
    seed_rt(&cache, "other", Some("1"), "frt", 1_000);
    seed_rt(&cache, "me", None, "mine", 1_000);
    let order: Vec<String> = refresh_candidates(&cache, "uid.utid", "127.0.0.1", "me")
        .iter()
        .map(|c| c.token.secret.expose().to_owned())
        .collect();
    assert_eq!(order, ["mine"]);
}

#[tokio::test]
async fn azure_region_sends_client_credentials_to_the_regional_host() {
    let tid = "aaaabbbb-0000-cccc-1111-dddd2222eeee";
    let fake = FakeHttp::default();
    let base = format!("https://login.microsoftonline.com/{tid}");
    let discovery = serde_json::json!({
        "issuer": format!("{base}/v2.0"),
        "authorization_endpoint": format!("{base}/oauth2/v2.0/authorize"),
        "token_endpoint": format!("{base}/oauth2/v2.0/token"),
        "jwks_uri": format!("https://login.microsoftonline.com/{tid}/discovery/v2.0/keys"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
    });
    fake.route(
        Method::Get,
        "/v2.0/.well-known/openid-configuration",
        200,
        &discovery.to_string(),
    );
    let recorded = recorded(
        "msal_client_credentials_secret",
        "POST",
        "/oauth2/v2.0/token",
    );
    fake.route(
        Method::Post,
        "/oauth2/v2.0/token",
        200,
        recorded["response"].as_str().unwrap(),
    );
    let app = crate::ConfidentialClientApplication::builder(CONFIDENTIAL_APP)
        .authority(base.clone())
        .client_secret(SECRET)
        .azure_region("westus2")
        .http_client(std::sync::Arc::new(fake.clone()))
        .build()
        .unwrap();
    app.acquire_token_for_client(&[GRAPH_DEFAULT], &CallOptions::new())
        .await
        .unwrap();
    let sent = fake.sent_to("/oauth2/v2.0/token");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].url.host_str(), Some("westus2.login.microsoft.com"));
}

#[test]
fn apps_are_send_sync_and_their_futures_send() {
    fn send<T: Send>(_: T) {}
    fn shared<T: Send + Sync + Clone + 'static>() {}
    shared::<crate::PublicClientApplication>();
    shared::<crate::ConfidentialClientApplication>();
    let fake = FakeHttp::default();
    let public = public_app(&fake);
    let confidential = confidential_app(&fake);
    let account = crate::Account::new("u.t", "127.0.0.1");
    let options = CallOptions::new();
    let rt = Secret::new("rt");
    send(public.acquire_token_by_username_password(&[], "u", Secret::new("p"), &options));
    send(public.acquire_token_silent(&[], &account, &options));
    send(public.acquire_token_by_refresh_token(&[], &rt, &options));
    send(public.get_accounts());
    send(public.remove_account(&account));
    send(confidential.acquire_token_for_client(&[], &options));
}

/// A user token (refresh in the past) and a refresh token for the public app.
fn seed_aging_user_token(cache: &TokenCache) {
    let mut event = TokenResponseEvent::new(
        PUBLIC_APP,
        "127.0.0.1",
        "aaaabbbb-0000-cccc-1111-dddd2222eeee",
        now_unix(),
    );
    event.client_info_uid = Some("uid".into());
    event.client_info_utid = Some("utid".into());
    event.scopes = vec![USER_READ.to_owned()];
    event.access_token = Some(Secret::new("aging-user-token"));
    event.expires_in = Some(3600);
    event.refresh_in = Some(-10);
    event.refresh_token = Some(Secret::new("user-rt"));
    cache.write_response(&event);
}

#[tokio::test]
async fn silent_aging_user_token_is_refreshed_and_kept_when_the_refresh_fails() {
    let fake = FakeHttp::from_recording("msal_ropc_managed");
    fake.route(
        Method::Post,
        "/oauth2/v2.0/token",
        400,
        r#"{"error":"invalid_grant","error_codes":[50173]}"#,
    );
    let app = public_app(&fake);
    seed_aging_user_token(app.token_cache().cache());
    let account = crate::Account::new("uid.utid", "127.0.0.1");
    let result = app
        .acquire_token_silent(&[USER_READ], &account, &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(result.token_source, TokenSource::Cache);
    assert_eq!(result.access_token.expose(), "aging-user-token");
    let sent = fake.sent_to("/oauth2/v2.0/token");
    assert_eq!(sent.len(), 1);
    let form = form(&sent[0].body);
    assert!(form.contains(&("grant_type".to_owned(), "refresh_token".to_owned())));
    assert!(form.contains(&("refresh_token".to_owned(), "user-rt".to_owned())));
    assert_eq!(
        sent[0].header_value("X-AnchorMailbox"),
        Some("Oid:uid@utid")
    );
    assert_eq!(
        app.token_cache().cache().refresh_tokens().len(),
        1,
        "RT kept"
    );
}

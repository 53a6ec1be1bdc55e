//! Managed identity with a scripted HTTP client: requests per source, cache, refresh_on
//! synthesis, retry policy, unreachable IMDS, source detection.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use msal_core::endpoint::imds::{ManagedIdentitySource, UserAssignedId};
use msal_core::http::{HttpClient, HttpRequest, HttpResponse};
use msal_core::{Error, ErrorKind, Result, Secret};

use super::*;
use crate::{CallOptions, TokenSource};

const ARM: &str = "https://management.azure.com";
const IMDS_URL: &str = "http://127.0.0.1:9/metadata/identity/oauth2/token";

/// Answers from a script, then with a one-day token; keeps every request.
#[derive(Debug, Default, Clone)]
struct Scripted {
    answers: Arc<Mutex<VecDeque<Result<HttpResponse>>>>,
    sent: Arc<Mutex<Vec<HttpRequest>>>,
    delay: Duration,
}

impl Scripted {
    fn with(answers: Vec<Result<HttpResponse>>) -> Self {
        Self {
            answers: Arc::new(Mutex::new(answers.into())),
            ..Self::default()
        }
    }

    fn sent(&self) -> Vec<HttpRequest> {
        self.sent.lock().unwrap().clone()
    }
}

fn token_body(access_token: &str, lifetime: i64, refresh_in: Option<i64>) -> String {
    let mut body = serde_json::json!({
        "access_token": access_token,
        "expires_on": (now_unix() + lifetime).to_string(),
        "resource": ARM,
        "token_type": "Bearer",
    });
    if let Some(r) = refresh_in {
        body["refresh_in"] = r.into();
    }
    body.to_string()
}

fn ok(access_token: &str, lifetime: i64) -> Result<HttpResponse> {
    Ok(HttpResponse::new(
        200,
        token_body(access_token, lifetime, None),
    ))
}

fn status(code: u16) -> Result<HttpResponse> {
    Ok(HttpResponse::new(
        code,
        r#"{"error":"e","error_description":"d"}"#,
    ))
}

#[async_trait::async_trait]
impl HttpClient for Scripted {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse> {
        self.sent.lock().unwrap().push(request);
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        let next = self.answers.lock().unwrap().pop_front();
        next.unwrap_or_else(|| ok("default-token", 86_400))
    }
}

fn quick() -> RetryPolicy {
    RetryPolicy::default().initial_delay(Duration::ZERO)
}

fn imds_client(id: Option<UserAssignedId>, http: &Scripted) -> ManagedIdentityClient {
    let builder = match id {
        Some(id) => ManagedIdentityClient::user_assigned(id),
        None => ManagedIdentityClient::system_assigned(),
    };
    builder
        .imds_endpoint(IMDS_URL.parse().unwrap())
        .http_client(Arc::new(http.clone()))
        .retry_policy(quick())
        .build()
        .unwrap()
}

async fn get(client: &ManagedIdentityClient, resource: &str) -> Result<AuthenticationResult> {
    client
        .acquire_token_for_resource(resource, &CallOptions::new())
        .await
}

fn query(request: &HttpRequest) -> Vec<(String, String)> {
    request.url.query_pairs().into_owned().collect()
}

fn pair(k: &str, v: &str) -> (String, String) {
    (k.to_owned(), v.to_owned())
}

#[tokio::test]
async fn imds_request_for_system_and_user_assigned_identities() {
    let http = Scripted::default();
    get(
        &imds_client(None, &http),
        "https://management.azure.com/.default",
    )
    .await
    .unwrap();
    let cid = UserAssignedId::ClientId("77777777-7777-7777-7777-777777777777".into());
    get(&imds_client(Some(cid), &http), ARM).await.unwrap();
    let sent = http.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].url.path(), "/metadata/identity/oauth2/token");
    assert_eq!(
        query(&sent[0]),
        [pair("api-version", "2018-02-01"), pair("resource", ARM)]
    );
    assert_eq!(sent[0].header_value("Metadata"), Some("true"));
    assert!(query(&sent[1]).contains(&pair("client_id", "77777777-7777-7777-7777-777777777777")));
}

#[tokio::test]
async fn app_service_request_sends_the_identity_header() {
    let http = Scripted::default();
    let client = ManagedIdentityClient::user_assigned(UserAssignedId::ObjectId("oid-1".into()))
        .app_service(
            "http://127.0.0.1:41741/msi/token".parse().unwrap(),
            Secret::new("identity-header-value"),
        )
        .http_client(Arc::new(http.clone()))
        .build()
        .unwrap();
    assert!(!format!("{client:?}").contains("identity-header-value"));
    get(&client, ARM).await.unwrap();
    let sent = http.sent();
    assert_eq!(
        sent[0].header_value("X-IDENTITY-HEADER"),
        Some("identity-header-value")
    );
    assert!(!sent[0].has_header("Metadata"));
    assert_eq!(
        query(&sent[0]),
        [
            pair("api-version", "2019-08-01"),
            pair("resource", ARM),
            pair("object_id", "oid-1")
        ]
    );
}

#[tokio::test]
async fn second_call_is_a_cache_hit_keyed_by_identity_and_resource() {
    let http = Scripted::default();
    let client = imds_client(None, &http);
    let first = get(&client, ARM).await.unwrap();
    assert_eq!(first.token_source, TokenSource::IdentityProvider);
    let second = get(&client, "https://management.azure.com/.default")
        .await
        .unwrap();
    assert_eq!(second.token_source, TokenSource::Cache);
    assert_eq!(second.access_token, first.access_token);
    assert_eq!(http.sent().len(), 1);
    let at = client.token_cache().access_tokens();
    assert_eq!(at[0].client_id, SYSTEM_ASSIGNED_CACHE_ID);
    assert_eq!(at[0].environment, MANAGED_IDENTITY_ENVIRONMENT);
    get(&client, "https://vault.azure.net").await.unwrap();
    assert_eq!(http.sent().len(), 2);
    let forced = client
        .acquire_token_for_resource(ARM, &CallOptions::new().force_refresh(true))
        .await
        .unwrap();
    assert_eq!(forced.token_source, TokenSource::IdentityProvider);
}

#[tokio::test]
async fn refresh_on_is_half_the_lifetime_of_long_lived_tokens_only() {
    let cases = [
        (86_400, None, Some(43_200)),
        (7_200, None, Some(3_600)),
        (3_600, None, None),
        (86_400, Some(600), Some(600)),
    ];
    for (lifetime, refresh_in, expected) in cases {
        let http = Scripted::with(vec![Ok(HttpResponse::new(
            200,
            token_body("t", lifetime, refresh_in),
        ))]);
        let result = get(&imds_client(None, &http), ARM).await.unwrap();
        let now = now_unix();
        let got = result.refresh_on.map(|r| r.unix_timestamp() - now);
        match expected {
            Some(e) => assert!(
                got.is_some_and(|g| (g - e).abs() <= 2),
                "{lifetime}: {got:?}"
            ),
            None => assert_eq!(got, None, "{lifetime}"),
        }
    }
}

/// A client whose cache holds a token past its `refresh_on` but valid for an hour.
fn aging_client(http: &Scripted) -> ManagedIdentityClient {
    let client = imds_client(None, http);
    let now = now_unix();
    let mut event = TokenResponseEvent::new(
        SYSTEM_ASSIGNED_CACHE_ID,
        MANAGED_IDENTITY_ENVIRONMENT,
        MANAGED_IDENTITY_ENVIRONMENT,
        now - 100,
    );
    event.scopes = vec![ARM.to_owned()];
    event.access_token = Some(Secret::new("aging-token"));
    event.expires_in = Some(3_700);
    event.refresh_in = Some(50);
    client.token_cache().write_response(&event);
    client
}

#[tokio::test]
async fn token_past_refresh_on_is_renewed_and_kept_when_renewal_fails() {
    let http = Scripted::with(vec![ok("renewed", 86_400)]);
    let renewed = get(&aging_client(&http), ARM).await.unwrap();
    assert_eq!(renewed.access_token.expose(), "renewed");
    assert_eq!(http.sent().len(), 1);

    let failing = Scripted::with(vec![status(500), status(500), status(500), status(500)]);
    let kept = get(&aging_client(&failing), ARM).await.unwrap();
    assert_eq!(kept.access_token.expose(), "aging-token");
    assert_eq!(kept.token_source, TokenSource::Cache);
}

#[tokio::test]
async fn transient_statuses_are_retried_within_the_budget() {
    let http = Scripted::with(vec![status(500), status(404), status(410), ok("t", 3600)]);
    let result = get(&imds_client(None, &http), ARM).await.unwrap();
    assert_eq!(result.access_token.expose(), "t");
    assert_eq!(http.sent().len(), 4);

    let always = Scripted::with(vec![status(503); 10]);
    let err = get(&imds_client(None, &always), ARM).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service);
    assert_eq!(always.sent().len(), 4, "1 attempt + 3 retries");
    assert!(err.correlation().is_some());
}

#[tokio::test]
async fn identity_not_assigned_is_not_retried() {
    let http = Scripted::with(vec![status(400)]);
    let err = get(&imds_client(None, &http), ARM).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CredentialUnavailable);
    assert_eq!(http.sent().len(), 1);
}

#[tokio::test]
async fn long_retry_after_ends_the_retries_as_throttled() {
    let mut throttled = HttpResponse::new(429, r#"{"error":"too_many_requests"}"#);
    throttled.headers.push(("Retry-After".into(), "60".into()));
    let http = Scripted::with(vec![Ok(throttled)]);
    let err = get(&imds_client(None, &http), ARM).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Throttled);
    assert_eq!(http.sent().len(), 1);
}

#[tokio::test]
async fn unreachable_imds_is_credential_unavailable_without_retries() {
    let http = Scripted::with(vec![Err(Error::new(ErrorKind::Transport, "no route"))]);
    let err = get(&imds_client(None, &http), ARM).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CredentialUnavailable);
    assert_eq!(http.sent().len(), 1);

    // Once IMDS has answered, a dropped connection is a transient failure: retried.
    let http = Scripted::with(vec![
        ok("first", 3600),
        Err(Error::new(ErrorKind::Transport, "reset")),
        ok("second", 3600),
    ]);
    let client = imds_client(None, &http);
    get(&client, ARM).await.unwrap();
    let second = get(&client, "https://vault.azure.net").await.unwrap();
    assert_eq!(second.access_token.expose(), "second");
    assert_eq!(http.sent().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_for_one_resource_send_one_request() {
    let http = Scripted {
        delay: Duration::from_millis(100),
        ..Scripted::default()
    };
    let client = imds_client(None, &http);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move { get(&client, ARM).await }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(http.sent().len(), 1);
}

fn detect(vars: &[(&str, &str)]) -> Result<ManagedIdentitySource> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    detect_managed_identity_source(|name| {
        vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    })
}

#[test]
fn source_detection_follows_the_environment() {
    let app_service = detect(&[
        ("IDENTITY_ENDPOINT", "http://127.0.0.1:41741/msi/token"),
        ("IDENTITY_HEADER", "h"),
        ("IMDS_ENDPOINT", "http://10.0.0.1"),
    ])
    .unwrap();
    assert!(matches!(
        app_service,
        ManagedIdentitySource::AppService { .. }
    ));

    let header_missing = detect(&[("IDENTITY_ENDPOINT", "http://127.0.0.1:41741/msi/token")]);
    assert_eq!(header_missing.unwrap(), ManagedIdentitySource::imds());

    let custom = detect(&[("IMDS_ENDPOINT", "http://10.0.0.1:8080")]).unwrap();
    assert_eq!(
        custom,
        ManagedIdentitySource::imds_at(
            "http://10.0.0.1:8080/metadata/identity/oauth2/token"
                .parse()
                .unwrap()
        )
    );
    assert_eq!(detect(&[]).unwrap(), ManagedIdentitySource::imds());

    let bad = detect(&[("IDENTITY_ENDPOINT", "not a url"), ("IDENTITY_HEADER", "h")]);
    assert_eq!(bad.unwrap_err().kind(), ErrorKind::InvalidArgument);
}

#[test]
fn empty_user_assigned_id_is_refused() {
    let err = ManagedIdentityClient::user_assigned(UserAssignedId::ClientId(" ".into()))
        .imds_endpoint(IMDS_URL.parse().unwrap())
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn retry_backoff_doubles_and_is_bounded() {
    let policy = RetryPolicy::default();
    assert_eq!(policy.delay(1), Duration::from_secs(2));
    assert_eq!(policy.delay(10), Duration::from_secs(10));
    assert_eq!(policy.delay(u32::MAX), Duration::from_secs(10));
}

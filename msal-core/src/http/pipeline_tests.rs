//! Unit tests of the pipeline with a scripted client: headers, retry and throttling rules.

use std::collections::VecDeque;
use std::sync::Mutex;

use async_trait::async_trait;
use url::Url;

use super::*;

/// Answers from a script, in order, and records every request it receives.
#[derive(Debug, Default)]
struct Scripted {
    answers: Mutex<VecDeque<Result<HttpResponse>>>,
    sent: Mutex<Vec<HttpRequest>>,
}

impl Scripted {
    fn new(answers: Vec<Result<HttpResponse>>) -> Arc<Self> {
        Arc::new(Self {
            answers: Mutex::new(answers.into()),
            sent: Mutex::default(),
        })
    }

    fn push(&self, answer: Result<HttpResponse>) {
        self.answers.lock().unwrap().push_back(answer);
    }

    fn sends(&self) -> usize {
        self.sent.lock().unwrap().len()
    }

    fn last(&self) -> HttpRequest {
        self.sent
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("a request was sent")
    }
}

#[async_trait]
impl HttpClient for Scripted {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse> {
        self.sent.lock().unwrap().push(request);
        let next = self.answers.lock().unwrap().pop_front();
        next.unwrap_or_else(|| Ok(HttpResponse::new(200, "{}")))
    }
}

const TOKEN_URL: &str = "https://login.example/tenant/oauth2/v2.0/token";

fn pipeline(client: &Arc<Scripted>) -> Pipeline {
    let options = PipelineOptions::default().retry_delay(Duration::ZERO);
    Pipeline::with_options(client.clone(), options)
}

fn form(pairs: &[(&str, &str)]) -> HttpRequest {
    HttpRequest::post_form(Url::parse(TOKEN_URL).unwrap(), pairs.iter().copied())
}

fn ropc(username: &str, password: &str) -> HttpRequest {
    form(&[
        ("client_id", "11111111-1111-1111-1111-111111111111"),
        ("grant_type", "password"),
        ("username", username),
        ("password", password),
        ("scope", "User.Read offline_access openid profile"),
    ])
}

fn device_code_poll() -> HttpRequest {
    form(&[
        ("client_id", "11111111-1111-1111-1111-111111111111"),
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", "DAQABAAEAAAD"),
    ])
}

fn answer(status: u16, retry_after: Option<&str>) -> Result<HttpResponse> {
    let mut response = HttpResponse::new(status, format!("{{\"status\":{status}}}"));
    if let Some(wait) = retry_after {
        response.headers.push(("Retry-After".into(), wait.into()));
    }
    Ok(response)
}

fn failure(kind: ErrorKind) -> Result<HttpResponse> {
    Err(Error::new(kind, "scripted failure"))
}

fn ctx() -> RequestContext {
    RequestContext::new("1d361ebd-93c6-4b93-a19a-268656a0457b")
}

fn count(request: &HttpRequest, name: &str) -> usize {
    let same = |(n, _): &&(String, String)| n.eq_ignore_ascii_case(name);
    request.headers.iter().filter(same).count()
}

#[tokio::test]
async fn form_posts_carry_the_headers_msal_python_sends() {
    let client = Scripted::new(vec![]);
    pipeline(&client)
        .send(ropc("alice", "pw"), &ctx())
        .await
        .unwrap();
    let sent = client.last();
    // Header names from /work/shared/reference/wire/msal_ropc_managed.json (token POST).
    for name in [
        "x-client-sku",
        "x-client-ver",
        "x-client-os",
        "x-ms-lib-capability",
        "client-request-id",
        "accept",
        "content-type",
    ] {
        assert_eq!(count(&sent, name), 1, "{name}");
    }
    assert_eq!(sent.header_value("x-client-SKU"), Some("MSAL.Rust"));
    assert_eq!(
        sent.header_value("x-client-Ver"),
        Some(env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(sent.header_value("x-client-OS"), Some(std::env::consts::OS));
    assert_eq!(
        sent.header_value("x-client-CPU"),
        Some(std::env::consts::ARCH)
    );
    assert_eq!(
        sent.header_value("x-ms-lib-capability"),
        Some("retry-after, h429")
    );
    assert_eq!(sent.header_value("accept"), Some("application/json"));
    assert_eq!(
        sent.header_value("client-request-id"),
        Some(ctx().correlation_id.as_str())
    );
}

#[tokio::test]
async fn gets_and_soap_posts_carry_only_the_client_request_id() {
    let client = Scripted::new(vec![]);
    let url = Url::parse("https://login.example/common/userrealm/a@b.test").unwrap();
    let soap = HttpRequest {
        method: Method::Post,
        url: url.clone(),
        headers: vec![(
            "Content-Type".into(),
            "application/soap+xml; charset=utf-8".into(),
        )],
        body: b"<s:Envelope/>".to_vec(),
    };
    for request in [HttpRequest::get(url), soap] {
        pipeline(&client).send(request, &ctx()).await.unwrap();
        let sent = client.last();
        assert_eq!(count(&sent, "client-request-id"), 1);
        assert_eq!(count(&sent, "x-client-SKU"), 0);
        assert_eq!(count(&sent, "x-ms-lib-capability"), 0);
    }
}

#[tokio::test]
async fn headers_the_caller_set_are_kept_and_not_duplicated() {
    let client = Scripted::new(vec![]);
    let request = ropc("alice", "pw")
        .header("Client-Request-Id", "caller-id")
        .header("X-Client-SKU", "MSAL.Custom");
    pipeline(&client).send(request, &ctx()).await.unwrap();
    let sent = client.last();
    assert_eq!(count(&sent, "client-request-id"), 1);
    assert_eq!(count(&sent, "x-client-sku"), 1);
    assert_eq!(sent.header_value("client-request-id"), Some("caller-id"));
    assert_eq!(sent.header_value("x-client-sku"), Some("MSAL.Custom"));
}

#[tokio::test(start_paused = true)]
async fn a_429_with_a_short_retry_after_is_retried_once_after_the_wait() {
    let client = Scripted::new(vec![answer(429, Some("2")), answer(200, None)]);
    let started = Instant::now();
    let response = pipeline(&client)
        .send(ropc("alice", "pw"), &ctx())
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(client.sends(), 2);
    assert!(started.elapsed() >= Duration::from_secs(2));
}

#[tokio::test]
async fn a_500_twice_is_sent_exactly_twice_and_the_500_returned() {
    let client = Scripted::new(vec![answer(500, None), answer(500, None)]);
    let response = pipeline(&client)
        .send(ropc("alice", "pw"), &ctx())
        .await
        .unwrap();
    assert_eq!(response.status, 500);
    assert_eq!(client.sends(), 2);
}

#[tokio::test(start_paused = true)]
async fn the_retry_after_a_5xx_waits_the_configured_delay() {
    let client = Scripted::new(vec![answer(503, None), answer(200, None)]);
    let started = Instant::now();
    let pipeline = Pipeline::new(client.clone());
    let response = pipeline.send(ropc("alice", "pw"), &ctx()).await.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(client.sends(), 2);
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[tokio::test]
async fn a_long_retry_after_is_returned_without_a_retry() {
    let client = Scripted::new(vec![answer(429, Some("30")), answer(200, None)]);
    let response = pipeline(&client)
        .send(ropc("alice", "pw"), &ctx())
        .await
        .unwrap();
    assert_eq!(response.status, 429);
    assert_eq!(client.sends(), 1);
}

#[tokio::test]
async fn transport_errors_are_retried_once_and_carry_the_correlation_id() {
    let client = Scripted::new(vec![
        failure(ErrorKind::Transport),
        failure(ErrorKind::Timeout),
    ]);
    let err = pipeline(&client)
        .send(ropc("alice", "pw"), &ctx())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(client.sends(), 2);
    assert_eq!(err.correlation(), Some(ctx().correlation_id.as_str()));
}

#[tokio::test]
async fn a_timeout_then_an_answer_returns_the_answer() {
    let client = Scripted::new(vec![failure(ErrorKind::Timeout), answer(200, None)]);
    let response = pipeline(&client)
        .send(ropc("alice", "pw"), &ctx())
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(client.sends(), 2);
}

#[tokio::test]
async fn other_client_errors_are_not_retried() {
    let client = Scripted::new(vec![failure(ErrorKind::MalformedResponse)]);
    let err = pipeline(&client)
        .send(ropc("alice", "pw"), &ctx())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MalformedResponse);
    assert_eq!(client.sends(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_throttled_request_is_refused_with_the_remaining_time_until_it_elapses() {
    let client = Scripted::new(vec![answer(429, Some("30"))]);
    let pipeline = pipeline(&client);
    pipeline.send(ropc("alice", "pw"), &ctx()).await.unwrap();
    tokio::time::advance(Duration::from_secs(10)).await;

    let err = pipeline
        .send(ropc("alice", "pw"), &ctx())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Throttled);
    assert_eq!(err.retry_after_duration(), Some(Duration::from_secs(20)));
    assert!(err.message().contains("not sent"), "{}", err.message());
    assert!(err.message().contains("20 s"), "{}", err.message());
    assert_eq!(err.correlation(), Some(ctx().correlation_id.as_str()));
    assert_eq!(client.sends(), 1);

    tokio::time::advance(Duration::from_secs(21)).await;
    let response = pipeline.send(ropc("alice", "pw"), &ctx()).await.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(client.sends(), 2);
}

#[tokio::test]
async fn a_different_username_is_not_throttled() {
    let client = Scripted::new(vec![answer(429, Some("30"))]);
    let pipeline = pipeline(&client);
    pipeline.send(ropc("alice", "pw"), &ctx()).await.unwrap();
    let response = pipeline.send(ropc("bob", "pw"), &ctx()).await.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(client.sends(), 2);
}

#[tokio::test]
async fn a_new_password_for_a_throttled_user_is_still_refused() {
    let client = Scripted::new(vec![answer(429, Some("30"))]);
    let pipeline = pipeline(&client);
    pipeline.send(ropc("alice", "pw"), &ctx()).await.unwrap();
    let err = pipeline
        .send(ropc("alice", "other"), &ctx())
        .await
        .unwrap_err();
    assert!(err.is_throttled());
    assert_eq!(client.sends(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_public_client_5xx_without_retry_after_blocks_for_60_seconds() {
    let client = Scripted::new(vec![answer(500, None), answer(500, None)]);
    let pipeline = pipeline(&client);
    pipeline.send(ropc("alice", "pw"), &ctx()).await.unwrap();
    let err = pipeline
        .send(ropc("alice", "pw"), &ctx())
        .await
        .unwrap_err();
    assert_eq!(err.retry_after_duration(), Some(Duration::from_secs(60)));
    tokio::time::advance(Duration::from_secs(60)).await;
    pipeline.send(ropc("alice", "pw"), &ctx()).await.unwrap();
    assert_eq!(client.sends(), 3);
}

#[tokio::test]
async fn a_confidential_client_5xx_blocks_for_5_seconds() {
    let client = Scripted::new(vec![answer(503, None), answer(503, None)]);
    let pipeline = pipeline(&client);
    let request = || {
        form(&[
            ("client_id", "app"),
            ("grant_type", "client_credentials"),
            ("client_secret", "s3cret"),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
    };
    pipeline.send(request(), &ctx()).await.unwrap();
    let err = pipeline.send(request(), &ctx()).await.unwrap_err();
    let wait = err.retry_after_duration().unwrap();
    assert!(
        wait <= Duration::from_secs(5) && wait > Duration::from_secs(4),
        "{wait:?}"
    );
}

#[tokio::test]
async fn a_retry_after_longer_than_an_hour_blocks_for_an_hour() {
    let client = Scripted::new(vec![answer(429, Some("999999"))]);
    let pipeline = pipeline(&client);
    pipeline.send(ropc("alice", "pw"), &ctx()).await.unwrap();
    let err = pipeline
        .send(ropc("alice", "pw"), &ctx())
        .await
        .unwrap_err();
    let wait = err.retry_after_duration().unwrap();
    assert!(
        wait <= Duration::from_secs(3600) && wait > Duration::from_secs(3599),
        "{wait:?}"
    );
}

#[tokio::test]
async fn a_throttled_error_keeps_the_first_answers_entra_error() {
    let mut response = HttpResponse::new(
        429,
        r#"{"error":"temporarily_unavailable","error_codes":[50196]}"#,
    );
    response.headers.push(("Retry-After".into(), "60".into()));
    let client = Scripted::new(vec![Ok(response)]);
    let pipeline = pipeline(&client);
    pipeline.send(ropc("alice", "pw"), &ctx()).await.unwrap();
    let err = pipeline
        .send(ropc("alice", "pw"), &ctx())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Throttled);
    assert_eq!(err.aadsts_codes(), &[50196]);
    assert_eq!(err.entra().unwrap().http_status, 429);
}

#[tokio::test(start_paused = true)]
async fn an_identical_400_is_replayed_for_60_seconds_without_a_second_send() {
    let body = r#"{"error":"invalid_grant","error_codes":[50126]}"#;
    let client = Scripted::new(vec![Ok(HttpResponse::new(400, body))]);
    let pipeline = pipeline(&client);
    let first = pipeline.send(ropc("alice", "wrong"), &ctx()).await.unwrap();
    let again = pipeline.send(ropc("alice", "wrong"), &ctx()).await.unwrap();
    assert_eq!(again, first);
    assert_eq!(client.sends(), 1);

    tokio::time::advance(Duration::from_secs(60)).await;
    let later = pipeline.send(ropc("alice", "wrong"), &ctx()).await.unwrap();
    assert_eq!(later.status, 200);
    assert_eq!(client.sends(), 2);
}

#[tokio::test]
async fn a_changed_body_is_sent_despite_a_remembered_400() {
    let client = Scripted::new(vec![Ok(HttpResponse::new(400, "{}"))]);
    let pipeline = pipeline(&client);
    pipeline.send(ropc("alice", "wrong"), &ctx()).await.unwrap();
    let response = pipeline.send(ropc("alice", "right"), &ctx()).await.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(client.sends(), 2);
}

#[tokio::test]
async fn device_code_polls_are_never_replayed() {
    let pending = r#"{"error":"authorization_pending"}"#;
    let client = Scripted::new(vec![
        Ok(HttpResponse::new(400, pending)),
        Ok(HttpResponse::new(400, pending)),
    ]);
    let pipeline = pipeline(&client);
    pipeline.send(device_code_poll(), &ctx()).await.unwrap();
    pipeline.send(device_code_poll(), &ctx()).await.unwrap();
    let done = pipeline.send(device_code_poll(), &ctx()).await.unwrap();
    assert_eq!(done.status, 200);
    assert_eq!(client.sends(), 3);
}

#[tokio::test]
async fn clones_share_the_throttling_memory() {
    let client = Scripted::new(vec![answer(429, Some("30"))]);
    let pipeline = pipeline(&client);
    let clone = pipeline.clone();
    pipeline.send(ropc("alice", "pw"), &ctx()).await.unwrap();
    let err = clone.send(ropc("alice", "pw"), &ctx()).await.unwrap_err();
    assert!(err.is_throttled());
}

#[tokio::test]
async fn with_throttling_off_every_request_is_sent() {
    let client = Scripted::new(vec![answer(429, Some("30")), answer(400, None)]);
    let options = PipelineOptions::default().throttling(false);
    let pipeline = Pipeline::with_options(client.clone(), options);
    pipeline.send(ropc("alice", "pw"), &ctx()).await.unwrap();
    pipeline.send(ropc("alice", "pw"), &ctx()).await.unwrap();
    pipeline.send(ropc("alice", "pw"), &ctx()).await.unwrap();
    assert_eq!(client.sends(), 3);
}

#[tokio::test]
async fn gets_are_retried_but_never_throttled() {
    let client = Scripted::new(vec![answer(500, None), answer(500, None)]);
    let pipeline = pipeline(&client);
    let url = Url::parse("https://login.example/tenant/v2.0/.well-known/openid-configuration");
    let get = || HttpRequest::get(url.clone().unwrap());
    assert_eq!(pipeline.send(get(), &ctx()).await.unwrap().status, 500);
    client.push(answer(200, None));
    assert_eq!(pipeline.send(get(), &ctx()).await.unwrap().status, 200);
    assert_eq!(client.sends(), 3);
}

/// Records the text of every tracing event (message and fields) at every level.
#[derive(Default)]
struct Recorder(Arc<Mutex<String>>);

impl tracing::Subscriber for Recorder {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Text<'a>(&'a mut String);
        impl tracing::field::Visit for Text<'_> {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0.push_str(&format!("{}={value:?} ", field.name()));
            }
        }
        let mut log = self.0.lock().unwrap();
        event.record(&mut Text(&mut log));
        log.push('\n');
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test(flavor = "current_thread")]
async fn logs_name_method_host_and_status_but_never_bodies_or_user_names() {
    let recorder = Recorder::default();
    let log = recorder.0.clone();
    let _guard = tracing::subscriber::set_default(recorder);
    let client = Scripted::new(vec![answer(500, None), answer(429, Some("30"))]);
    let pipeline = pipeline(&client);
    pipeline
        .send(ropc("alice@contoso.test", "hunter2"), &ctx())
        .await
        .unwrap();
    let throttled = pipeline
        .send(ropc("alice@contoso.test", "hunter2"), &ctx())
        .await;
    assert!(throttled.unwrap_err().is_throttled());

    let log = log.lock().unwrap().clone();
    assert!(log.contains("method=\"POST\""), "{log}");
    assert!(log.contains("host=\"login.example\""), "{log}");
    assert!(log.contains("status=429"), "{log}");
    assert!(log.contains("retries=1"), "{log}");
    assert!(log.contains("not sent"), "{log}");
    for secret in ["hunter2", "alice", "contoso", "User.Read"] {
        assert!(!log.contains(secret), "{secret} leaked into the log: {log}");
    }
}

fn wstrust_post() -> HttpRequest {
    HttpRequest {
        method: Method::Post,
        url: Url::parse("https://sts.contoso.test/adfs/services/trust/13/usernamemixed").unwrap(),
        headers: vec![(
            "Content-Type".into(),
            "application/soap+xml; charset=utf-8".into(),
        )],
        body: b"<s:Envelope>password inside</s:Envelope>".to_vec(),
    }
}

#[tokio::test(start_paused = true)]
async fn a_wstrust_500_is_not_resent_so_a_bad_password_counts_once_against_lockout() {
    // ADFS answers a wrong password with HTTP 500 and a SOAP fault.
    let client = Scripted::new(vec![answer(500, None), answer(200, None)]);
    let response = pipeline(&client)
        .send(wstrust_post(), &ctx())
        .await
        .unwrap();
    assert_eq!(response.status, 500);
    assert_eq!(client.sends(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_timed_out_wstrust_request_is_not_resent_but_a_refused_connection_is() {
    let client = Scripted::new(vec![failure(ErrorKind::Timeout), answer(200, None)]);
    let err = pipeline(&client)
        .send(wstrust_post(), &ctx())
        .await
        .unwrap_err();
    assert!(err.is_timeout());
    assert_eq!(client.sends(), 1);

    // A connection that was never made cannot have reached the identity provider.
    let client = Scripted::new(vec![failure(ErrorKind::Transport), answer(200, None)]);
    let response = pipeline(&client)
        .send(wstrust_post(), &ctx())
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(client.sends(), 2);
}

#[test]
fn logged_path_masks_the_username_of_user_realm_requests() {
    assert_eq!(
        loggable_path("/common/UserRealm/alice@contoso.com"),
        "/common/userrealm/***"
    );
    assert_eq!(
        loggable_path("/tenant/oauth2/v2.0/token"),
        "/tenant/oauth2/v2.0/token"
    );
}

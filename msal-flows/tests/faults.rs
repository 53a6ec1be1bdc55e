//! Fault injection from the emulator across ROPC, client credentials and silent refresh.
//!
//! For every fault each flow either gets its token within the pipeline's retry budget (one
//! retry at most) or returns the expected typed error; it never panics, never runs past the
//! configured HTTP timeout, sends at most two token requests per call, and leaves the
//! persisted cache file parseable and free of anything from the failed call.
#![allow(missing_docs)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use entra_emulator::{Emulator, FaultEndpoint, FaultKind, FaultRule};
use msal_cache::{FilePersistence, PersistentTokenCache};
use msal_core::http::{HttpClient, HttpOptions, HttpRequest, HttpResponse, ReqwestHttpClient};
use msal_core::{ErrorKind, FailureReason, Result, Secret};
use msal_flows::{
    AuthenticationResult, CallOptions, ConfidentialClientApplication, PublicClientApplication,
    TokenSource,
};

/// The HTTP timeout of the latency cases.
const SHORT_TIMEOUT: Duration = Duration::from_millis(400);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Ropc,
    ClientCredentials,
    SilentRefresh,
}

const FLOWS: [Flow; 3] = [Flow::Ropc, Flow::ClientCredentials, Flow::SilentRefresh];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// The token arrives from the identity provider.
    Token,
    /// This error kind.
    Error(ErrorKind),
}

/// One fault: what it is, how many token requests it hits, and what each flow must do.
struct Case {
    fault: FaultKind,
    times: u32,
    expect: Expect,
    /// Token requests the emulator must see per call.
    requests: usize,
    /// The longest a call may take.
    budget: Duration,
    http: Option<HttpOptions>,
    /// The emulator logs a request when its answer is ready; it never logs one whose client
    /// gave up (latency beyond the timeout), so those are counted on the client side only.
    logged_by_emulator: bool,
}

impl Case {
    fn new(fault: FaultKind, times: u32, expect: Expect, requests: usize) -> Self {
        Self {
            fault,
            times,
            expect,
            requests,
            budget: Duration::from_secs(10),
            http: None,
            logged_by_emulator: true,
        }
    }
}

/// The built-in HTTP client (trusting the emulator's CA), counting the token requests it sends.
#[derive(Debug)]
struct CountingClient {
    inner: ReqwestHttpClient,
    token_requests: AtomicUsize,
}

impl CountingClient {
    fn new(emulator: &Emulator, options: Option<HttpOptions>) -> Arc<Self> {
        let ca = emulator.ca_pem().unwrap_or_default().as_bytes().to_vec();
        let options = options.unwrap_or_default().extra_ca_pem(ca);
        Arc::new(Self {
            inner: ReqwestHttpClient::with_options(options).expect("the HTTP client"),
            token_requests: AtomicUsize::new(0),
        })
    }
}

#[async_trait::async_trait]
impl HttpClient for CountingClient {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse> {
        if request.url.path().ends_with("/oauth2/v2.0/token") {
            self.token_requests.fetch_add(1, Ordering::SeqCst);
        }
        self.inner.execute(request).await
    }
}

fn no_retry_delay() -> msal_core::http::PipelineOptions {
    msal_core::http::PipelineOptions::default().retry_delay(Duration::ZERO)
}

fn temp_cache_file() -> PathBuf {
    std::env::temp_dir()
        .join(format!("msal-flows-faults-{}", uuid::Uuid::new_v4()))
        .join("cache.json")
}

fn persistent(path: &Path) -> Arc<PersistentTokenCache> {
    Arc::new(PersistentTokenCache::new(Arc::new(FilePersistence::new(
        path, None,
    ))))
}

/// The access and refresh token secrets of a cache file (empty sets without a file); panics
/// when the file does not parse (a half-written cache).
fn persisted_secrets(path: &Path) -> (BTreeSet<String>, BTreeSet<String>) {
    let Ok(bytes) = std::fs::read(path) else {
        return Default::default();
    };
    let doc = msal_cache::parse_json_lenient(&bytes)
        .unwrap_or_else(|e| panic!("the cache file {} does not parse: {e}", path.display()));
    msal_cache::TokenCache::from_json(&bytes).expect("the cache file loads as a token cache");
    let secrets = |section: &str| -> BTreeSet<String> {
        doc[section]
            .as_object()
            .map(|m| {
                m.values()
                    .filter_map(|e| e["secret"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    (secrets("AccessToken"), secrets("RefreshToken"))
}

async fn sign_in(app: &PublicClientApplication) -> Result<AuthenticationResult> {
    app.acquire_token_by_username_password(
        &[USER_READ],
        "alice@managed.test",
        Secret::new("alice-password"),
        &CallOptions::new(),
    )
    .await
}

/// Runs one flow under the case's fault on a fresh persisted cache and checks the outcome.
async fn check_flow(emulator: &Emulator, case: &Case, flow: Flow) {
    let file = temp_cache_file();
    let client = CountingClient::new(emulator, case.http.clone());
    let public = PublicClientApplication::builder(PUBLIC_APP)
        .authority(emulator.authority(&emulator.tenant_id()))
        .instance_discovery(false)
        .pipeline_options(no_retry_delay())
        .http_client(client.clone())
        .token_cache(persistent(&file))
        .build()
        .expect("public app");
    let daemon = ConfidentialClientApplication::builder(CONFIDENTIAL_APP)
        .authority(emulator.authority(&emulator.tenant_id()))
        .instance_discovery(false)
        .pipeline_options(no_retry_delay())
        .http_client(client.clone())
        .client_secret(CLIENT_SECRET)
        .token_cache(persistent(&file))
        .build()
        .expect("confidential app");
    emulator.clear_faults();
    let account = match flow {
        Flow::SilentRefresh => Some(
            sign_in(&public)
                .await
                .expect("sign-in before the fault")
                .account
                .expect("an account"),
        ),
        _ => None,
    };
    let before = persisted_secrets(&file);
    emulator.clear_requests();
    client.token_requests.store(0, Ordering::SeqCst);
    emulator.inject_fault(FaultRule::next(
        FaultEndpoint::Token,
        case.times,
        case.fault.clone(),
    ));

    let started = Instant::now();
    let call = async {
        match (flow, &account) {
            (Flow::Ropc, _) => sign_in(&public).await,
            (Flow::ClientCredentials, _) => {
                daemon
                    .acquire_token_for_client(&[GRAPH_DEFAULT], &CallOptions::new())
                    .await
            }
            (Flow::SilentRefresh, Some(account)) => {
                public
                    .acquire_token_silent(
                        &[USER_READ],
                        account,
                        &CallOptions::new().force_refresh(true),
                    )
                    .await
            }
            (Flow::SilentRefresh, None) => unreachable!("signed in above"),
        }
    };
    let outcome = tokio::time::timeout(case.budget + Duration::from_secs(5), call)
        .await
        .unwrap_or_else(|_| panic!("{flow:?} under {:?} hung", case.fault));
    let elapsed = started.elapsed();
    emulator.clear_faults();
    assert!(
        elapsed <= case.budget,
        "{flow:?} under {:?} took {elapsed:?} (budget {:?})",
        case.fault,
        case.budget
    );
    let label = format!("{flow:?} under {:?} x{}", case.fault, case.times);
    match (case.expect, &outcome) {
        (Expect::Token, Ok(result)) => {
            assert_eq!(
                result.token_source,
                TokenSource::IdentityProvider,
                "{label}"
            );
        }
        (Expect::Error(kind), Err(error)) => {
            assert_eq!(error.kind(), kind, "{label}: {error:?}");
            assert!(error.correlation().is_some(), "{label}: no correlation id");
        }
        (expect, outcome) => panic!("{label}: expected {expect:?}, got {outcome:?}"),
    }
    let sent = client.token_requests.load(Ordering::SeqCst);
    assert_eq!(sent, case.requests, "{label}: token requests sent");
    if case.logged_by_emulator {
        assert_eq!(
            token_requests(emulator).len(),
            sent,
            "{label}: emulator's count"
        );
    }

    let after = persisted_secrets(&file);
    match (&outcome, flow) {
        (Ok(result), _) => assert!(
            after.0.contains(result.access_token.expose()),
            "{label}: the new token is not persisted"
        ),
        (Err(_), Flow::SilentRefresh) => {
            assert_eq!(
                after, before,
                "{label}: the failed refresh changed the cache"
            );
        }
        (Err(_), _) => assert!(after.0.is_empty(), "{label}: a failed call cached a token"),
    }
    if let Some(dir) = file.parent() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

async fn check_case(case: Case) {
    let emulator = emulator().await;
    for flow in FLOWS {
        check_flow(&emulator, &case, flow).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_retry_after_429_is_waited_out_and_retried_once() {
    let mut case = Case::new(
        FaultKind::TooManyRequests {
            retry_after_secs: 1,
        },
        1,
        Expect::Token,
        2,
    );
    case.budget = Duration::from_secs(5);
    check_case(case).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_retry_after_429_is_throttled_at_once_without_a_retry() {
    let mut case = Case::new(
        FaultKind::TooManyRequests {
            retry_after_secs: 120,
        },
        3,
        Expect::Error(ErrorKind::Throttled),
        1,
    );
    case.budget = Duration::from_secs(3);
    check_case(case).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_request_is_not_sent_again_within_retry_after() {
    let emulator = emulator().await;
    let daemon = secret_app(&emulator);
    emulator.inject_fault(FaultRule::next(
        FaultEndpoint::Token,
        1,
        FaultKind::TooManyRequests {
            retry_after_secs: 120,
        },
    ));
    for _ in 0..3 {
        let err = daemon
            .acquire_token_for_client(&[GRAPH_DEFAULT], &CallOptions::new())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Throttled, "{err:?}");
        let wait = err.retry_after_duration().expect("the wait");
        assert!(wait > Duration::from_secs(100) && wait <= Duration::from_secs(120));
    }
    assert_eq!(token_requests(&emulator).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_server_error_is_retried_and_the_token_arrives() {
    check_case(Case::new(
        FaultKind::InternalServerError,
        1,
        Expect::Token,
        2,
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_error_burst_is_a_service_error_after_one_retry() {
    check_case(Case::new(
        FaultKind::InternalServerError,
        5,
        Expect::Error(ErrorKind::Service),
        2,
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_unavailable_once_is_retried_and_the_token_arrives() {
    check_case(Case::new(
        FaultKind::ServiceUnavailable,
        1,
        Expect::Token,
        2,
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_unavailable_twice_is_a_service_error() {
    check_case(Case::new(
        FaultKind::ServiceUnavailable,
        2,
        Expect::Error(ErrorKind::Service),
        2,
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_dropped_connection_is_retried_and_the_token_arrives() {
    check_case(Case::new(FaultKind::DropConnection, 1, Expect::Token, 2)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connections_are_a_transport_error() {
    check_case(Case::new(
        FaultKind::DropConnection,
        2,
        Expect::Error(ErrorKind::Transport),
        2,
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_json_is_a_malformed_response_without_a_retry() {
    check_case(Case::new(
        FaultKind::TruncatedJson,
        1,
        Expect::Error(ErrorKind::MalformedResponse),
        1,
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_is_a_malformed_response_without_a_retry() {
    check_case(Case::new(
        FaultKind::MalformedJson,
        1,
        Expect::Error(ErrorKind::MalformedResponse),
        1,
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ok_answer_without_access_token_is_a_malformed_response() {
    check_case(Case::new(
        FaultKind::MissingAccessToken,
        1,
        Expect::Error(ErrorKind::MalformedResponse),
        1,
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_beyond_the_http_timeout_is_a_timeout_error_within_twice_the_timeout() {
    let mut case = Case::new(
        FaultKind::Latency { millis: 1_500 },
        2,
        Expect::Error(ErrorKind::Timeout),
        2,
    );
    case.http = Some(HttpOptions::default().timeout(SHORT_TIMEOUT));
    // Two attempts (one retry, zero delay in these tests) plus the other requests' time.
    case.budget = SHORT_TIMEOUT * 2 + Duration::from_millis(1_000);
    case.logged_by_emulator = false;
    check_case(case).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_loop_answer_is_throttled_with_its_reason() {
    let emulator = emulator().await;
    emulator.inject_fault(FaultRule::next(
        FaultEndpoint::Token,
        1,
        FaultKind::LoopDetected,
    ));
    let err = secret_app(&emulator)
        .acquire_token_for_client(&[GRAPH_DEFAULT], &CallOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Some(FailureReason::RequestLoop), "{err:?}");
    assert_eq!(token_requests(&emulator).len(), 1);
}

//! The pipeline every Entra request goes through: MSAL's headers, retry and throttling around
//! an [`HttpClient`].
//!
//! [`Pipeline::send`] does, in order:
//! 1. **Headers.** `client-request-id` (the [`RequestContext`]'s correlation id) on every
//!    request. On form POSTs (token and device code requests) also MSAL's client headers:
//!    `x-client-SKU: MSAL.Rust`, `x-client-Ver`, `x-client-OS`, `x-client-CPU`,
//!    `x-ms-lib-capability: retry-after, h429`, `return-client-request-id: true` and
//!    `Accept: application/json`. SOAP POSTs (WS-Trust) and GETs get none of these, as with
//!    MSAL Python. A header the caller already set is never added twice.
//! 2. **Throttling memory** (see the `throttle` module): a request the service asked us not to
//!    repeat is refused with [`ErrorKind::Throttled`] without being sent; an identical request
//!    that got a 400 in the last minute gets that answer again without being sent.
//! 3. **One retry at most** (see the `retry` module): after a 5xx without `Retry-After` or a
//!    transport error or timeout, after [`PipelineOptions::retry_delay`]; after a 429 or 5xx
//!    whose `Retry-After` is within [`PipelineOptions::max_retry_after_wait`], once it is over.
//!    Never for a SOAP POST (WS-Trust) that got an answer or timed out: it carries a password,
//!    ADFS answers a wrong one with HTTP 500, and a resend would count twice against the
//!    account's lockout threshold. Only a connection that was never made is retried there.
//! 4. **Logging.** One `debug` event per request (method, host, status, duration, retries) and
//!    the path at `trace` level only, since some paths carry a user name. Never a body, a query
//!    or a header value.
//!
//! Where this differs from MSAL Python, on purpose:
//! - Python retries only failed connections (urllib3 `max_retries=1`); we also retry once on
//!   a 5xx and on a short `Retry-After`, as MSAL .NET does.
//! - Python answers a blocked request with the same error answer again; we return
//!   [`ErrorKind::Throttled`] with the time left, the first answer's status and its Entra
//!   error body, and a message saying the request was not sent.
//! - Python also caches successful GETs (discovery, user realm) for a day; that belongs to the
//!   layers that own those documents, not to this pipeline.
//! - Python's key hashes `refresh_token`, `code` or `username`; ours also `device_code` and
//!   `assertion` (OBO, SAML bearer), so that two users' requests never share a block.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::retry::{delay_after_error, delay_after_response};
use super::throttle::{FormKeys, Hit, ThrottleCache, is_form};
use super::{HttpClient, HttpRequest, HttpResponse, Method};
use crate::{Error, ErrorKind, Result};

/// The SKU name sent as `x-client-SKU`.
pub const CLIENT_SKU: &str = "MSAL.Rust";
/// The capabilities sent as `x-ms-lib-capability`: this client honours `Retry-After` and 429.
pub const LIB_CAPABILITY: &str = "retry-after, h429";

/// Per-operation context of a request: the correlation id shared by every request of one
/// token acquisition.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestContext {
    /// Sent as `client-request-id`; Entra echoes it as `correlation_id`.
    pub correlation_id: String,
}

impl RequestContext {
    /// A context with the given correlation id.
    pub fn new(correlation_id: impl Into<String>) -> Self {
        Self {
            correlation_id: correlation_id.into(),
        }
    }

    /// A context with a fresh random correlation id.
    pub fn generate() -> Self {
        Self::new(uuid::Uuid::new_v4().to_string())
    }
}

/// How the [`Pipeline`] retries and throttles.
///
/// ```
/// use std::time::Duration;
/// use msal_core::http::PipelineOptions;
///
/// let options = PipelineOptions::default().retry_delay(Duration::ZERO).throttling(false);
/// assert_eq!(options.max_retry_after_wait, Duration::from_secs(5));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PipelineOptions {
    /// The wait before the single retry after a 5xx without `Retry-After`, a transport error
    /// or a timeout. Default 1 s.
    pub retry_delay: Duration,
    /// The longest `Retry-After` the pipeline waits out itself before its single retry; a
    /// longer one is returned to the caller at once. Default 5 s: long enough for the short
    /// waits Entra asks under load, short enough not to stall an interactive caller.
    pub max_retry_after_wait: Duration,
    /// Whether the throttling memory is used. Default `true`.
    pub throttling: bool,
    /// The most entries the throttling memory holds. Default 1024, as MSAL Python.
    pub throttle_capacity: usize,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        Self {
            retry_delay: Duration::from_secs(1),
            max_retry_after_wait: Duration::from_secs(5),
            throttling: true,
            throttle_capacity: 1024,
        }
    }
}

impl PipelineOptions {
    /// Sets [`retry_delay`](Self::retry_delay).
    #[must_use]
    pub fn retry_delay(mut self, delay: Duration) -> Self {
        self.retry_delay = delay;
        self
    }

    /// Sets [`max_retry_after_wait`](Self::max_retry_after_wait).
    #[must_use]
    pub fn max_retry_after_wait(mut self, wait: Duration) -> Self {
        self.max_retry_after_wait = wait;
        self
    }

    /// Sets [`throttling`](Self::throttling).
    #[must_use]
    pub fn throttling(mut self, enabled: bool) -> Self {
        self.throttling = enabled;
        self
    }

    /// Sets [`throttle_capacity`](Self::throttle_capacity).
    #[must_use]
    pub fn throttle_capacity(mut self, entries: usize) -> Self {
        self.throttle_capacity = entries;
        self
    }
}

/// Sends requests through an [`HttpClient`], adding what MSAL adds.
///
/// Clones share the client and the throttling memory: build one pipeline per application and
/// clone it where needed.
#[derive(Debug, Clone)]
pub struct Pipeline {
    client: Arc<dyn HttpClient>,
    options: PipelineOptions,
    throttle: Arc<ThrottleCache>,
}

impl Pipeline {
    /// A pipeline around the given client, with default options.
    pub fn new(client: Arc<dyn HttpClient>) -> Self {
        Self::with_options(client, PipelineOptions::default())
    }

    /// A pipeline around the given client, with the given options.
    pub fn with_options(client: Arc<dyn HttpClient>, options: PipelineOptions) -> Self {
        let throttle = Arc::new(ThrottleCache::new(options.throttle_capacity));
        Self {
            client,
            options,
            throttle,
        }
    }

    /// The client requests are sent with.
    pub fn client(&self) -> &Arc<dyn HttpClient> {
        &self.client
    }

    /// The options in use.
    pub fn options(&self) -> &PipelineOptions {
        &self.options
    }

    /// Sends the request and returns the server's answer, whatever its status.
    ///
    /// Returns `Err` only when no answer is available: [`ErrorKind::Transport`],
    /// [`ErrorKind::Timeout`] or [`ErrorKind::MalformedResponse`] from the client (after the
    /// retry), or [`ErrorKind::Throttled`] when the request was not sent because the service
    /// asked to wait (see the module docs). Errors carry the context's correlation id.
    pub async fn send(&self, request: HttpRequest, ctx: &RequestContext) -> Result<HttpResponse> {
        let request = add_headers(request, ctx);
        let keys = self
            .options
            .throttling
            .then(|| FormKeys::of(&request))
            .flatten();
        if let Some(keys) = &keys
            && let Some(hit) = self.throttle.lookup(keys, Instant::now())
        {
            return answer_from_memory(hit, &request, ctx);
        }
        let started = Instant::now();
        let (result, retries) = self.send_with_retry(&request).await;
        log_outcome(&request, &result, started.elapsed(), retries);
        if let (Some(keys), Ok(response)) = (&keys, &result) {
            self.throttle.record(keys, response, Instant::now());
        }
        result.map_err(|e| e.correlation_id(ctx.correlation_id.clone()))
    }

    /// Sends once, and a second time when the retry rules say so. Returns the final outcome
    /// and the number of retries made.
    async fn send_with_retry(&self, request: &HttpRequest) -> (Result<HttpResponse>, u32) {
        let first = self.client.execute(request.clone()).await;
        let delay = match &first {
            // A SOAP POST carries a password to a federated identity provider, which answers a
            // wrong one with HTTP 500: retrying would count twice against the account's lockout.
            Ok(_) if is_password_soap(request) => None,
            Ok(response) => delay_after_response(
                response,
                self.options.retry_delay,
                self.options.max_retry_after_wait,
            ),
            // A timed-out SOAP request may have reached the identity provider: not resent.
            Err(error) if is_password_soap(request) && error.kind() == ErrorKind::Timeout => None,
            Err(error) => delay_after_error(error, self.options.retry_delay),
        };
        let Some(delay) = delay else {
            return (first, 0);
        };
        tracing::debug!(
            method = request.method.as_str(),
            host = request.url.host_str().unwrap_or(""),
            status = first.as_ref().ok().map(|r| r.status),
            error_kind = first.as_ref().err().map(|e| e.kind().as_str()),
            delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            "retrying the request once"
        );
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        (self.client.execute(request.clone()).await, 1)
    }
}

/// Whether the request is a POST that is not a form: a WS-Trust request with a password.
fn is_password_soap(request: &HttpRequest) -> bool {
    request.method == Method::Post && !is_form(request)
}

/// Adds `client-request-id` to every request and MSAL's client headers to form POSTs.
fn add_headers(mut request: HttpRequest, ctx: &RequestContext) -> HttpRequest {
    let mut headers: Vec<(&str, &str)> = vec![("client-request-id", &ctx.correlation_id)];
    if request.method == Method::Post && is_form(&request) {
        headers.extend([
            ("Accept", "application/json"),
            ("x-client-SKU", CLIENT_SKU),
            ("x-client-Ver", env!("CARGO_PKG_VERSION")),
            ("x-client-OS", std::env::consts::OS),
            ("x-client-CPU", std::env::consts::ARCH),
            ("x-ms-lib-capability", LIB_CAPABILITY),
            ("return-client-request-id", "true"),
        ]);
    }
    for (name, value) in headers {
        if !request.has_header(name) {
            request.headers.push((name.to_owned(), value.to_owned()));
        }
    }
    request
}

/// The outcome of a request answered from the throttling memory.
fn answer_from_memory(
    hit: Hit,
    request: &HttpRequest,
    ctx: &RequestContext,
) -> Result<HttpResponse> {
    let host = request.url.host_str().unwrap_or("the service");
    match hit {
        Hit::Replay(response) => {
            tracing::debug!(
                method = request.method.as_str(),
                host,
                status = response.status,
                "HTTP 400 replayed from the last minute; request not sent"
            );
            Ok(response)
        }
        Hit::Blocked {
            remaining,
            status,
            entra,
        } => {
            // Round up, so that "0 s" is never shown for a wait still running.
            let secs = remaining.as_secs() + u64::from(remaining.subsec_nanos() > 0);
            tracing::debug!(
                method = request.method.as_str(),
                host,
                status,
                remaining_secs = secs,
                "request throttled; not sent"
            );
            let message = format!(
                "the request to {host} was not sent: the service answered the same request \
                 with HTTP {status} and asked to wait; try again in {secs} s"
            );
            let error = match entra {
                Some(entra) => Error::from_entra(ErrorKind::Throttled, message, *entra),
                None => Error::new(ErrorKind::Throttled, message),
            };
            Err(error
                .retry_after(remaining)
                .correlation_id(ctx.correlation_id.clone()))
        }
    }
}

/// One debug event per request; the path (which may name a user) only at trace level.
fn log_outcome(
    request: &HttpRequest,
    result: &Result<HttpResponse>,
    elapsed: Duration,
    retries: u32,
) {
    let method = request.method.as_str();
    let host = request.url.host_str().unwrap_or("");
    let duration_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
    match result {
        Ok(response) => tracing::debug!(
            method,
            host,
            status = response.status,
            duration_ms,
            retries,
            "HTTP request"
        ),
        Err(error) => tracing::debug!(
            method,
            host,
            error_kind = error.kind().as_str(),
            duration_ms,
            retries,
            "HTTP request failed"
        ),
    }
    tracing::trace!(method, host, path = %loggable_path(request.url.path()), "HTTP request path");
}

/// The path for logs: the username of a user realm request (`/common/userrealm/{username}`)
/// is personal data and is masked.
fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    let lower = path.to_ascii_lowercase();
    match lower.find("/userrealm/") {
        Some(at) => format!("{}/userrealm/***", path.get(..at).unwrap_or("")).into(),
        None => path.into(),
    }
}

#[cfg(test)]
#[path = "pipeline_tests.rs"]
mod tests;

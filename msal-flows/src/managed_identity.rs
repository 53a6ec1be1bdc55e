//! `ManagedIdentityClient`: tokens of an Azure managed identity from the host's endpoint
//! (IMDS on virtual machines, the identity endpoint of App Service and Functions), system- or
//! user-assigned, cached in memory per identity and resource.
//!
//! Behaviour, as MSAL and azure-identity do it:
//! - **Source detection** (at build time, unless an endpoint is given): App Service when
//!   `IDENTITY_ENDPOINT` and `IDENTITY_HEADER` are both set; else IMDS at `IMDS_ENDPOINT` or
//!   `AZURE_POD_IDENTITY_AUTHORITY_HOST` (a base URL) when set, else `169.254.169.254`.
//!   Service Fabric, Azure Arc and Cloud Shell are not supported.
//! - **Cache**: app-only entries keyed by the identity (its id, or
//!   `SYSTEM_ASSIGNED_MANAGED_IDENTITY`) as the client id, in environment and realm
//!   `managed_identity`, as MSAL Python writes them. A token is used while it has 5 minutes
//!   left. Tokens living 2 hours or more without a `refresh_in` get `refresh_on` at half
//!   their lifetime; once it passes, the token is renewed, and returned if renewal fails.
//! - **Retries** ([`RetryPolicy`]): after HTTP 404, 408, 410, 429 and 5xx, up to 3 more
//!   attempts after 1 s, 2 s, 4 s (or the `Retry-After` when longer, up to 10 s); at most
//!   4 requests per acquisition. A dropped connection or timeout is retried the same way,
//!   except for an IMDS that has never answered (below).
//! - **No managed identity**: when IMDS cannot be reached before it has ever answered, the
//!   error is [`ErrorKind::CredentialUnavailable`] at once, without retries. The built-in
//!   HTTP client connects with a 1 s limit ([`IMDS_PROBE_CONNECT_TIMEOUT`]) so that a host
//!   without IMDS is detected quickly.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use msal_cache::{AccessTokenQuery, Subject, TokenCache, TokenResponseEvent};
use msal_core::endpoint::imds::{
    ManagedIdentitySource, ManagedIdentityToken, UserAssignedId, is_retryable_status,
    parse_response, scope_to_resource,
};
use msal_core::http::{HttpClient, HttpRequest, RequestContext};
use msal_core::{Error, ErrorKind, Result};
use tracing::Instrument;
use tracing::field::Empty;

use crate::call::{CallContext, CallOptions, new_correlation_id};
use crate::flows::silent::EXPIRY_BUFFER_SECS;
use crate::result::{AuthenticationResult, TokenSource, from_unix, now_unix};
use crate::single_flight::{SingleFlight, flight_key};

mod builder;
mod source;
pub use builder::ManagedIdentityClientBuilder;
pub use source::detect_managed_identity_source;

/// The environment and realm of managed identity cache entries (as MSAL Python).
pub const MANAGED_IDENTITY_ENVIRONMENT: &str = "managed_identity";
/// The cache client id of the system-assigned identity (as MSAL Python).
pub const SYSTEM_ASSIGNED_CACHE_ID: &str = "SYSTEM_ASSIGNED_MANAGED_IDENTITY";
/// The connect timeout of the built-in HTTP client for IMDS: a host without IMDS fails fast.
pub const IMDS_PROBE_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// Tokens living at least this long get `refresh_on` at half their lifetime.
const LONG_LIVED_SECS: i64 = 2 * 3600;

/// How failed managed identity requests are retried.
///
/// ```
/// use std::time::Duration;
/// use msal_flows::RetryPolicy;
///
/// let policy = RetryPolicy::default();
/// assert_eq!(policy.max_retries, 3);
/// assert_eq!(policy.delay(0), Duration::from_secs(1));
/// assert_eq!(policy.delay(2), Duration::from_secs(4));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts after the first one. Default 3.
    pub max_retries: u32,
    /// The wait before the first retry, doubled for each further one. Default 1 s.
    pub initial_delay: Duration,
    /// The longest wait between attempts (a longer `Retry-After` ends the retries).
    /// Default 10 s.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// No retries.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Sets [`max_retries`](Self::max_retries).
    #[must_use]
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// Sets [`initial_delay`](Self::initial_delay).
    #[must_use]
    pub fn initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = delay;
        self
    }

    /// The backoff before retry number `retry` (0 for the first): `initial_delay * 2^retry`,
    /// at most [`max_delay`](Self::max_delay).
    pub fn delay(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(16)).unwrap_or(u32::MAX);
        self.initial_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }
}

/// Tokens of an Azure managed identity. Cheap to clone (clones share the cache and the
/// in-flight requests) and safe to share across tasks.
///
/// ```no_run
/// use msal_flows::{CallOptions, ManagedIdentityClient};
///
/// # async fn run() -> msal_core::Result<()> {
/// let client = ManagedIdentityClient::system_assigned().build()?;
/// let token = client
///     .acquire_token_for_resource("https://management.azure.com/.default", &CallOptions::new())
///     .await?;
/// println!("expires {}", token.expires_on);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ManagedIdentityClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    source: ManagedIdentitySource,
    id: Option<UserAssignedId>,
    cache_id: String,
    http: Arc<dyn HttpClient>,
    retry: RetryPolicy,
    cache: Arc<TokenCache>,
    flights: SingleFlight<Result<AuthenticationResult>>,
    /// IMDS answered once: later transport failures are not "no managed identity".
    imds_seen: AtomicBool,
}

impl ManagedIdentityClient {
    /// Starts building a client for the host's system-assigned identity.
    pub fn system_assigned() -> ManagedIdentityClientBuilder {
        ManagedIdentityClientBuilder::new(None)
    }

    /// Starts building a client for a user-assigned identity (client id, object id or
    /// resource id).
    pub fn user_assigned(id: UserAssignedId) -> ManagedIdentityClientBuilder {
        ManagedIdentityClientBuilder::new(Some(id))
    }

    /// The endpoint tokens come from (detected or given).
    pub fn source(&self) -> &ManagedIdentitySource {
        &self.inner.source
    }

    /// The in-memory token cache.
    pub fn token_cache(&self) -> &Arc<TokenCache> {
        &self.inner.cache
    }

    /// A token for one resource (`https://management.azure.com`) or its `.default` scope.
    /// The cache is used first (5-minute buffer; renewed after `refresh_on`, falling back to
    /// the cached token); concurrent requests for one resource share one request.
    /// `options.force_refresh` and `options.claims` skip the cache (claims are not sent:
    /// these endpoints take none).
    ///
    /// Errors: [`ErrorKind::CredentialUnavailable`] when the host has no managed identity
    /// endpoint or (IMDS HTTP 400) the identity is not assigned to it; `Service`,
    /// `Throttled` or `MalformedResponse` otherwise. Every error carries the correlation id.
    pub async fn acquire_token_for_resource(
        &self,
        resource_or_scope: &str,
        options: &CallOptions,
    ) -> Result<AuthenticationResult> {
        let correlation_id = options
            .correlation_id
            .clone()
            .filter(|id| !id.trim().is_empty())
            .unwrap_or_else(new_correlation_id);
        let span = tracing::info_span!(
            "msal.acquire_token",
            flow = "managed_identity",
            source = source_name(&self.inner.source),
            correlation_id = %correlation_id,
            token_source = Empty,
            duration_ms = Empty,
        );
        let ctx = CallContext {
            request: RequestContext::new(correlation_id.clone()),
            options: options.clone(),
        };
        let started = Instant::now();
        let outcome = self
            .inner
            .acquire(resource_or_scope, &ctx)
            .instrument(span.clone())
            .await;
        span.record(
            "duration_ms",
            u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        );
        match outcome {
            Ok(result) => {
                span.record("token_source", result.token_source.as_str());
                Ok(result)
            }
            Err(error) => {
                tracing::debug!(parent: &span, kind = error.kind().as_str(), "managed identity token failed");
                Err(error.correlation_id(correlation_id))
            }
        }
    }
}

fn source_name(source: &ManagedIdentitySource) -> &'static str {
    match source {
        ManagedIdentitySource::AppService { .. } => "app_service",
        _ => "imds",
    }
}

/// The cache client id of an identity: its id, or the system-assigned marker.
fn cache_id_of(id: Option<&UserAssignedId>) -> String {
    match id {
        Some(UserAssignedId::ClientId(v))
        | Some(UserAssignedId::ObjectId(v))
        | Some(UserAssignedId::ResourceId(v)) => v.clone(),
        _ => SYSTEM_ASSIGNED_CACHE_ID.to_owned(),
    }
}

enum Lookup {
    Fresh(Box<AuthenticationResult>),
    Aging(Box<AuthenticationResult>),
    Miss,
}

impl Inner {
    async fn acquire(
        &self,
        resource_or_scope: &str,
        ctx: &CallContext,
    ) -> Result<AuthenticationResult> {
        let resource = scope_to_resource(resource_or_scope)?;
        let bypass = ctx.options.force_refresh || ctx.options.claims.is_some();
        let aging = if bypass {
            None
        } else {
            match self.lookup(&resource, ctx) {
                Lookup::Fresh(hit) => return Ok(*hit),
                Lookup::Aging(hit) => Some(*hit),
                Lookup::Miss => None,
            }
        };
        let key = flight_key(&[
            &self.cache_id,
            &resource,
            if bypass { "bypass" } else { "" },
        ]);
        let outcome = self
            .flights
            .run(&key, || async {
                if !bypass
                    && aging.is_none()
                    && let Lookup::Fresh(hit) = self.lookup(&resource, ctx)
                {
                    return Ok(*hit);
                }
                let token = self.fetch(&resource, ctx).await?;
                Ok(self.store(&resource, token, ctx))
            })
            .await;
        match (outcome, aging) {
            (Ok(mut result), _) => {
                result.correlation_id = ctx.correlation_id().to_owned();
                Ok(result)
            }
            (Err(error), Some(cached)) => {
                tracing::debug!(
                    kind = error.kind().as_str(),
                    "managed identity renewal failed; using the cached token"
                );
                Ok(cached)
            }
            (Err(error), None) => Err(error),
        }
    }

    fn lookup(&self, resource: &str, ctx: &CallContext) -> Lookup {
        let now = now_unix();
        let scopes = [resource];
        let query = AccessTokenQuery::new(
            Subject::App,
            MANAGED_IDENTITY_ENVIRONMENT,
            &self.cache_id,
            MANAGED_IDENTITY_ENVIRONMENT,
            &scopes,
        )
        .valid_at(now.saturating_add(EXPIRY_BUFFER_SECS));
        let Some(at) = self.cache.find_access_token(&query) else {
            return Lookup::Miss;
        };
        let refresh_on = at.refresh_on.get();
        let result = Box::new(AuthenticationResult {
            access_token: at.secret.clone(),
            token_type: at.token_type().to_owned(),
            expires_on: from_unix(at.expires_on.get().unwrap_or(now)),
            refresh_on: refresh_on.map(from_unix),
            scopes: vec![resource.to_owned()],
            account: None,
            id_token_claims: None,
            tenant_id: None,
            token_source: TokenSource::Cache,
            correlation_id: ctx.correlation_id().to_owned(),
        });
        match refresh_on {
            Some(r) if r < now => Lookup::Aging(result),
            _ => Lookup::Fresh(result),
        }
    }

    /// Sends the token request, retrying per the policy.
    async fn fetch(&self, resource: &str, ctx: &CallContext) -> Result<ManagedIdentityToken> {
        let request = self
            .source
            .token_request(resource, self.id.as_ref())
            .header("client-request-id", ctx.correlation_id());
        let mut retry = 0;
        loop {
            let outcome = self.send_once(request.clone()).await;
            let wait = match &outcome {
                Ok(response) if response.is_success() => None,
                Ok(response) if is_retryable_status(response.status) => {
                    let after = response
                        .header("Retry-After")
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    Some(after.map_or(self.retry.delay(retry), |a| a.max(self.retry.delay(retry))))
                }
                Ok(_) => None,
                Err(error) if error.kind() == ErrorKind::CredentialUnavailable => None,
                Err(error) if error.is_transport() || error.is_timeout() => {
                    Some(self.retry.delay(retry))
                }
                Err(_) => None,
            };
            match wait {
                Some(wait) if retry < self.retry.max_retries && wait <= self.retry.max_delay => {
                    tracing::debug!(
                        retry = retry + 1,
                        wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        "retrying the managed identity request"
                    );
                    if !wait.is_zero() {
                        tokio::time::sleep(wait).await;
                    }
                    retry += 1;
                }
                _ => {
                    let response = outcome?;
                    return parse_response(&self.source, &response);
                }
            }
        }
    }

    /// One request; an IMDS that never answered and cannot be reached means no managed
    /// identity on this host.
    async fn send_once(&self, request: HttpRequest) -> Result<msal_core::http::HttpResponse> {
        let is_imds = matches!(self.source, ManagedIdentitySource::Imds { .. });
        match self.http.execute(request).await {
            Ok(response) => {
                if is_imds {
                    self.imds_seen.store(true, Ordering::Relaxed);
                }
                tracing::debug!(
                    status = response.status,
                    "managed identity endpoint answered"
                );
                Ok(response)
            }
            Err(e)
                if is_imds
                    && !self.imds_seen.load(Ordering::Relaxed)
                    && (e.is_transport() || e.is_timeout()) =>
            {
                Err(Error::with_source(
                    ErrorKind::CredentialUnavailable,
                    "no managed identity endpoint found: IMDS did not answer",
                    e,
                ))
            }
            Err(e) => Err(e),
        }
    }

    /// Writes the token to the cache (with a synthesised `refresh_in` for long-lived tokens)
    /// and returns the result.
    fn store(
        &self,
        resource: &str,
        token: ManagedIdentityToken,
        ctx: &CallContext,
    ) -> AuthenticationResult {
        let now = now_unix();
        let expires_on = token.expires_on.unix_timestamp();
        let lifetime = expires_on.saturating_sub(now);
        let refresh_in = refresh_in_of(&token, lifetime);
        let mut event = TokenResponseEvent::new(
            self.cache_id.clone(),
            MANAGED_IDENTITY_ENVIRONMENT,
            MANAGED_IDENTITY_ENVIRONMENT,
            now,
        );
        event.scopes = vec![resource.to_owned()];
        event.access_token = Some(token.access_token.clone());
        event.token_type = Some(token.token_type.clone());
        event.expires_in = Some(lifetime);
        event.refresh_in = refresh_in;
        self.cache.write_response(&event);
        AuthenticationResult {
            access_token: token.access_token,
            token_type: token.token_type,
            expires_on: from_unix(expires_on),
            refresh_on: refresh_in.map(|r| from_unix(now.saturating_add(r))),
            scopes: vec![resource.to_owned()],
            account: None,
            id_token_claims: None,
            tenant_id: None,
            token_source: TokenSource::IdentityProvider,
            correlation_id: ctx.correlation_id().to_owned(),
        }
    }
}

/// The endpoint's `refresh_in`, else half the lifetime for tokens living 2 hours or more
/// (MSAL .NET and Python), else none.
fn refresh_in_of(token: &ManagedIdentityToken, lifetime: i64) -> Option<i64> {
    match token.refresh_in.and_then(|r| i64::try_from(r).ok()) {
        Some(r) => Some(r),
        None if lifetime >= LONG_LIVED_SECS => Some(lifetime / 2),
        None => None,
    }
}

#[cfg(test)]
#[path = "managed_identity/tests.rs"]
mod tests;

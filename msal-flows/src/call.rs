//! Per-call options and context: the correlation id and the tracing span of one acquisition.

use std::cell::Cell;
use std::future::Future;
use std::time::Instant;

use msal_core::Result;
use msal_core::http::RequestContext;
use tracing::Instrument;
use tracing::field::Empty;

use crate::config::AppConfig;
use crate::result::AuthenticationResult;

/// Options of one token acquisition. Every field has a default; set the ones you need.
///
/// ```
/// use msal_flows::CallOptions;
///
/// let options = CallOptions::new()
///     .correlation_id("0b5f7ba8-2c2d-4a5c-9c68-16d1f9f3a5a1")
///     .force_refresh(true);
/// assert_eq!(options.correlation_id.as_deref(), Some("0b5f7ba8-2c2d-4a5c-9c68-16d1f9f3a5a1"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallOptions {
    /// The correlation id sent as `client-request-id` and attached to every error; a random
    /// one is generated when `None`.
    pub correlation_id: Option<String>,
    /// A claims challenge (JSON) from a resource; it bypasses cached access tokens.
    pub claims: Option<String>,
    /// Skip cached access tokens and ask the identity provider (silent flow only).
    pub force_refresh: bool,
}

impl CallOptions {
    /// The defaults: a generated correlation id, no claims, no forced refresh.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the correlation id.
    #[must_use]
    pub fn correlation_id(mut self, id: impl Into<String>) -> Self {
        self.correlation_id = Some(id.into());
        self
    }

    /// Sets the claims challenge.
    #[must_use]
    pub fn claims(mut self, claims: impl Into<String>) -> Self {
        self.claims = Some(claims.into()).filter(|c: &String| !c.trim().is_empty());
        self
    }

    /// Sets whether cached access tokens are skipped.
    #[must_use]
    pub fn force_refresh(mut self, force: bool) -> Self {
        self.force_refresh = force;
        self
    }
}

/// The context of one call, handed to a flow.
#[derive(Debug, Clone)]
pub(crate) struct CallContext {
    /// The pipeline context (correlation id) of every request of the call.
    pub request: RequestContext,
    /// The call's options.
    pub options: CallOptions,
}

impl CallContext {
    /// The call's correlation id.
    pub fn correlation_id(&self) -> &str {
        &self.request.correlation_id
    }
}

/// A fresh random (version 4) correlation id.
///
/// Correlation ids only need to be unique, not unpredictable, so after one seed from the
/// system's random source per thread they come from a xorshift generator: a cache hit stays
/// far below a microsecond instead of paying a system call per call.
pub(crate) fn new_correlation_id() -> String {
    thread_local! {
        static STATE: Cell<(u64, u64)> = Cell::new({
            let (a, b) = uuid::Uuid::new_v4().as_u64_pair();
            (a | 1, b | 1)
        });
    }
    let (hi, lo) = STATE.with(|state| {
        let (mut a, b) = state.get();
        // xorshift128+
        a ^= a << 23;
        let next = (b, a ^ b ^ (a >> 17) ^ (b >> 26));
        state.set(next);
        let hi = next.1.wrapping_add(b);
        let (mut c, d) = next;
        c ^= c << 23;
        let after = (d, c ^ d ^ (c >> 17) ^ (d >> 26));
        state.set(after);
        (hi, after.1.wrapping_add(d))
    });
    let bytes = ((u128::from(hi) << 64) | u128::from(lo)).to_le_bytes();
    let uuid = uuid::Builder::from_random_bytes(bytes).into_uuid();
    // Encoded into a stack buffer: one allocation, no formatting machinery.
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    uuid.hyphenated().encode_lower(&mut text).to_owned()
}

/// Runs one acquisition inside its tracing span: the span carries the flow, the authority,
/// the correlation id, the token source and the duration (and the username only when PII
/// logging is on); every error leaves with the correlation id.
pub(crate) async fn instrumented<F, Fut>(
    config: &AppConfig,
    flow: &'static str,
    options: &CallOptions,
    username: Option<&str>,
    run: F,
) -> Result<AuthenticationResult>
where
    F: FnOnce(CallContext) -> Fut,
    Fut: Future<Output = Result<AuthenticationResult>>,
{
    instrumented_or_cached(config, flow, options, username, || None, run).await
}

/// [`instrumented`] with a synchronous cache hit path tried first: `cached` runs inside the
/// span (entered, not awaited) and, when it returns a result, `run` is never called.
///
/// The flow future `run` builds (several kilobytes: it holds the whole network path) is
/// boxed, so the future of this function stays small: on a cache hit nothing that large is
/// created or moved. The duration is measured only when a subscriber listens to the span.
pub(crate) async fn instrumented_or_cached<C, F, Fut>(
    config: &AppConfig,
    flow: &'static str,
    options: &CallOptions,
    username: Option<&str>,
    cached: C,
    run: F,
) -> Result<AuthenticationResult>
where
    C: FnOnce() -> Option<AuthenticationResult>,
    F: FnOnce(CallContext) -> Fut,
    Fut: Future<Output = Result<AuthenticationResult>>,
{
    let correlation_id = match options.correlation_id.as_deref() {
        Some(id) if !id.trim().is_empty() => id.to_owned(),
        _ => new_correlation_id(),
    };
    let span = tracing::info_span!(
        "msal.acquire_token",
        flow,
        authority = %config.authority,
        correlation_id = %correlation_id,
        username = Empty,
        token_source = Empty,
        duration_ms = Empty,
    );
    if config.enable_pii_logging
        && !span.is_disabled()
        && let Some(name) = username
    {
        span.record("username", name);
    }
    let started = (!span.is_disabled()).then(Instant::now);
    let hit = span.in_scope(cached);
    let outcome = match hit {
        Some(mut result) => {
            result.correlation_id = correlation_id;
            Ok(result)
        }
        None => {
            let ctx = CallContext {
                request: RequestContext::new(correlation_id.clone()),
                options: options.clone(),
            };
            // Its own statement: a temporary of the awaiting statement would keep a slot of
            // the flow future's size in this future.
            let flow = Box::pin(run(ctx).instrument(span.clone()));
            flow.await
                .map_err(|error| error.correlation_id(correlation_id))
        }
    };
    if let Some(started) = started {
        let elapsed = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        span.record("duration_ms", elapsed);
    }
    match &outcome {
        Ok(result) => {
            span.record("token_source", result.token_source.as_str());
            tracing::debug!(parent: &span, token_source = result.token_source.as_str(), "token acquired");
        }
        Err(error) => {
            tracing::debug!(
                parent: &span,
                kind = error.kind().as_str(),
                codes = ?error.aadsts_codes(),
                "token acquisition failed"
            );
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_correlation_ids_are_distinct_version_4_uuids() {
        let ids: std::collections::HashSet<String> =
            (0..1000).map(|_| new_correlation_id()).collect();
        assert_eq!(ids.len(), 1000);
        for id in ids.iter().take(10) {
            let parsed = uuid::Uuid::parse_str(id).unwrap();
            assert_eq!(parsed.get_version_num(), 4);
        }
    }

    #[test]
    fn the_acquisition_future_stays_small_whatever_the_flow_holds() {
        let app = crate::PublicClientApplication::builder("client")
            .build()
            .unwrap();
        let config = app.config();
        let options = CallOptions::new();
        let big = [0u8; 16 * 1024];
        let future = instrumented_or_cached(
            config,
            "test",
            &options,
            None,
            || None,
            |_ctx| async move {
                std::hint::black_box(&big);
                Err(msal_core::Error::new(msal_core::ErrorKind::Cache, "x"))
            },
        );
        assert!(
            std::mem::size_of_val(&future) < 1024,
            "{}",
            std::mem::size_of_val(&future)
        );
    }

    #[test]
    fn blank_claims_are_no_claims() {
        assert_eq!(CallOptions::new().claims("  ").claims, None);
    }
}

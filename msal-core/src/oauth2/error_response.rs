//! Entra error answers: parse the body into an [`EntraError`] and classify it.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::http::HttpResponse;
use crate::{EntraError, Error, ErrorKind};

/// Turns a non-success answer of an Entra endpoint into an [`Error`].
///
/// The body's fields are kept in [`EntraError`]; the kind follows the OAuth2 `error` code, the
/// HTTP status (429 is [`ErrorKind::Throttled`] with its `Retry-After`) and the AADSTS numbers.
/// A body that is not a JSON object gives [`ErrorKind::Service`] for 5xx and 429 answers and
/// [`ErrorKind::MalformedResponse`] otherwise.
pub fn parse_error_response(response: &HttpResponse) -> Error {
    let retry_after = response
        .header("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body: Option<Map<String, Value>> = serde_json::from_slice(&response.body).ok();
    let Some(mut body) = body else {
        let kind = match response.status {
            429 => ErrorKind::Throttled,
            s if s >= 500 => ErrorKind::Service,
            _ => ErrorKind::MalformedResponse,
        };
        let err = Error::new(
            kind,
            format!(
                "the identity provider answered HTTP {} with a body that is not a JSON error",
                response.status
            ),
        );
        return match retry_after {
            Some(wait) => err.retry_after(wait),
            None => err,
        };
    };
    let mut take = |name: &str| match body.remove(name) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    let entra = EntraError {
        http_status: response.status,
        error: take("error").unwrap_or_default(),
        error_description: take("error_description"),
        suberror: take("suberror"),
        claims: take("claims"),
        correlation_id: take("correlation_id"),
        trace_id: take("trace_id"),
        timestamp: take("timestamp"),
        error_uri: take("error_uri"),
        error_codes: match body.remove("error_codes") {
            Some(Value::Array(codes)) => codes.iter().filter_map(Value::as_i64).collect(),
            _ => Vec::new(),
        },
        error_additional_info: Vec::new(),
        extra: body,
    };
    let kind = match (response.status, entra.error.as_str()) {
        (429, _) => ErrorKind::Throttled,
        (_, "invalid_grant") => ErrorKind::InvalidGrant,
        (_, "interaction_required" | "login_required" | "consent_required") => {
            ErrorKind::InteractionRequired
        }
        (_, "invalid_client") => ErrorKind::InvalidClient,
        (_, "authorization_pending") => ErrorKind::AuthorizationPending,
        (_, "slow_down") => ErrorKind::SlowDown,
        (_, "expired_token") => ErrorKind::ExpiredToken,
        (_, "authorization_declined" | "access_denied") => ErrorKind::AuthorizationDeclined,
        _ => ErrorKind::Service,
    };
    let message = match &entra.error_description {
        Some(d) => format!("{}: {d}", entra.error),
        None => format!("{} (HTTP {})", entra.error, response.status),
    };
    let err = Error::from_entra(kind, message, entra);
    match retry_after {
        Some(wait) => err.retry_after(wait),
        None => err,
    }
}

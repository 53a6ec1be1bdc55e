//! Entra error answers: parse the body into an [`EntraError`], classify it into an
//! [`ErrorKind`] and write a message that says what failed and what to do.
//!
//! Classification, in order:
//! 1. HTTP 429 is [`ErrorKind::Throttled`] (with `Retry-After` in seconds or as an HTTP
//!    date); any 5xx is [`ErrorKind::Service`] (retryable). A body that is not a JSON object
//!    is [`ErrorKind::MalformedResponse`] for every other status.
//! 2. Known AADSTS numbers (see [`known_code`]): e.g. 50055, 50076, 50079 and 65001 need
//!    interaction; 7000218 and 7000215 are client configuration errors; 50196 (request loop)
//!    is throttling. Refresh tokens that can no longer be used (700082 expired, 50173
//!    revoked, 70043 sign-in frequency) are [`ErrorKind::InteractionRequired`]: only a new
//!    sign-in helps. Other `invalid_grant` answers to a refresh stay
//!    [`ErrorKind::InvalidGrant`]; the silent flow (msal-flows) decides whether that means
//!    interaction, as MSAL does.
//! 3. The OAuth2 `error` string; `invalid_grant` with a user-actionable `suberror`
//!    (`basic_action`, `additional_action`, `message_only`, `consent_required`,
//!    `user_password_expired`) or with a `claims` challenge is
//!    [`ErrorKind::InteractionRequired`].

use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};

use super::MAX_JSON_BODY;
use crate::http::HttpResponse;
use crate::{EntraError, Error, ErrorKind};

/// Turns a non-success answer of an Entra endpoint into an [`Error`].
///
/// The body's fields are kept in [`EntraError`] (unknown ones in `extra`); the kind and the
/// message follow the HTTP status, the AADSTS numbers and the OAuth2 `error` code, as the
/// module documentation describes. The message never contains a secret: it is built from the
/// service's error fields only.
pub fn parse_error_response(response: &HttpResponse) -> Error {
    let retry_after = response.header("retry-after").and_then(parse_retry_after);
    let body: Option<Map<String, Value>> = (response.body.len() <= MAX_JSON_BODY)
        .then(|| serde_json::from_slice(&response.body).ok())
        .flatten();
    let err = match body {
        Some(body) => from_json_body(response.status, body),
        None => from_opaque_body(response),
    };
    match retry_after {
        Some(wait) => err.retry_after(wait),
        None => err,
    }
}

/// An answer whose body is not a JSON object (an HTML error page, plain text, nothing).
fn from_opaque_body(response: &HttpResponse) -> Error {
    let status = response.status;
    let (kind, what) = match status {
        429 => (
            ErrorKind::Throttled,
            "the identity provider is throttling this client (HTTP 429): wait before retrying",
        ),
        s if s >= 500 => (
            ErrorKind::Service,
            "the identity provider failed with a server error: try again later",
        ),
        _ => (
            ErrorKind::MalformedResponse,
            "the identity provider's error answer is not a JSON error body: check the authority \
             URL and any proxy in between",
        ),
    };
    let entra = EntraError {
        http_status: status,
        ..Default::default()
    };
    Error::from_entra(
        kind,
        format!("{what} (HTTP {status}, {} bytes)", response.body.len()),
        entra,
    )
}

fn from_json_body(status: u16, mut body: Map<String, Value>) -> Error {
    let mut take = |name: &str| match body.remove(name) {
        Some(Value::String(s)) => Some(s),
        Some(other) => {
            // Keep fields of an unexpected type rather than lose them.
            body.insert(name.to_owned(), other);
            None
        }
        None => None,
    };
    let error = take("error").unwrap_or_default();
    let error_description = take("error_description");
    let suberror = take("suberror");
    let claims = take("claims");
    let correlation_id = take("correlation_id");
    let trace_id = take("trace_id");
    let timestamp = take("timestamp");
    let error_uri = take("error_uri");
    let mut error_codes = match body.remove("error_codes") {
        Some(Value::Array(codes)) => codes.iter().filter_map(as_code).collect(),
        Some(other) => {
            body.insert("error_codes".into(), other);
            Vec::new()
        }
        None => Vec::new(),
    };
    if error_codes.is_empty() {
        error_codes = codes_in_description(error_description.as_deref().unwrap_or(""));
    }
    let error_additional_info = match body.remove("error_additional_info") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(Value::String(s)) => vec![s],
        Some(other) => {
            body.insert("error_additional_info".into(), other);
            Vec::new()
        }
        None => Vec::new(),
    };
    let entra = EntraError {
        http_status: status,
        error,
        error_description,
        error_codes,
        suberror,
        claims,
        correlation_id,
        trace_id,
        timestamp,
        error_uri,
        error_additional_info,
        extra: body,
    };
    let (kind, message) = classify(&entra);
    Error::from_entra(kind, message, entra)
}

/// An AADSTS number as sent (an integer, or a string holding one).
fn as_code(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The AADSTS numbers named in a description, for bodies without `error_codes`.
fn codes_in_description(description: &str) -> Vec<i64> {
    description
        .split("AADSTS")
        .skip(1)
        .filter_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect()
}

/// What the library knows about an AADSTS number: the kind, what failed and what to do.
///
/// Returns `None` for numbers without special handling.
pub fn known_code(code: i64) -> Option<(ErrorKind, &'static str, &'static str)> {
    use ErrorKind::*;
    Some(match code {
        50126 => (
            InvalidGrant,
            "the username or password is wrong",
            "check both and try again",
        ),
        50034 => (
            InvalidGrant,
            "the user account does not exist in this tenant",
            "check the username and the tenant of the authority",
        ),
        50053 => (
            InvalidGrant,
            "the account is locked after too many failed sign-ins (or sign-in was blocked from \
             this address)",
            "wait for the lockout to end or ask an administrator to unlock the account",
        ),
        50055 => (
            InteractionRequired,
            "the user's password has expired",
            "the user must change the password in an interactive sign-in",
        ),
        50057 => (
            InvalidGrant,
            "the user account is disabled",
            "ask an administrator to enable the account",
        ),
        50076 | 50079 | 50158 => (
            InteractionRequired,
            "the user must complete multi-factor authentication or another challenge",
            "sign in interactively, passing the claims challenge of this error",
        ),
        65001 => (
            InteractionRequired,
            "the user or administrator has not consented to the application's permissions",
            "sign in interactively to grant consent, or have an administrator grant it",
        ),
        700082 | 50173 | 70043 => (
            InteractionRequired,
            "the refresh token has expired or was revoked",
            "sign the user in again interactively",
        ),
        50196 => (
            Throttled,
            "the service detected a request loop: the same request was sent too often",
            "cache tokens and slow down before retrying",
        ),
        7000218 => (
            InvalidClient,
            "the application is not allowed to use public client flows without a client \
             credential",
            "enable 'Allow public client flows' in the app registration (Authentication), or \
             use a confidential client with a secret or certificate",
        ),
        7000215 => (
            InvalidClient,
            "the client secret is invalid",
            "send the secret's value, not its id, and check that it has not been replaced",
        ),
        7000222 => (
            InvalidClient,
            "the client secret has expired",
            "create a new client secret in the app registration",
        ),
        700027 | 700024 => (
            InvalidClient,
            "the client assertion was rejected (signature, certificate or validity time)",
            "check that the certificate is registered on the app and the clock is right",
        ),
        700016 => (
            InvalidClient,
            "the application (client id) was not found in the tenant",
            "check the client id and that the authority names the app's tenant",
        ),
        90002 => (
            InvalidAuthority,
            "the tenant was not found",
            "check the tenant id or domain in the authority and the cloud instance",
        ),
        70011 | 1002012 => (
            InvalidArgument,
            "the requested scope is not valid",
            "check the scopes; the client credentials grant needs one '{resource}/.default' \
             scope",
        ),
        70016 => (
            AuthorizationPending,
            "the user has not finished signing in with the device code yet",
            "keep polling",
        ),
        70020 => (
            ExpiredToken,
            "the device code expired before the user signed in",
            "start a new device code flow",
        ),
        _ => return None,
    })
}

/// The kind of an `error` string without a known AADSTS number.
fn kind_of_error(entra: &EntraError) -> ErrorKind {
    const USER_ACTION: [&str; 5] = [
        "basic_action",
        "additional_action",
        "message_only",
        "consent_required",
        "user_password_expired",
    ];
    match entra.error.as_str() {
        "invalid_grant"
            if entra.claims.is_some()
                || entra
                    .suberror
                    .as_deref()
                    .is_some_and(|s| USER_ACTION.contains(&s)) =>
        {
            ErrorKind::InteractionRequired
        }
        "invalid_grant" | "bad_verification_code" => ErrorKind::InvalidGrant,
        "interaction_required" | "login_required" | "consent_required" => {
            ErrorKind::InteractionRequired
        }
        "invalid_client" | "unauthorized_client" => ErrorKind::InvalidClient,
        "authorization_pending" => ErrorKind::AuthorizationPending,
        "slow_down" => ErrorKind::SlowDown,
        "expired_token" => ErrorKind::ExpiredToken,
        "authorization_declined" | "access_denied" => ErrorKind::AuthorizationDeclined,
        "invalid_scope" => ErrorKind::InvalidArgument,
        "invalid_tenant" | "invalid_instance" => ErrorKind::InvalidAuthority,
        _ => ErrorKind::Service,
    }
}

/// The kind and message of a JSON error answer.
fn classify(entra: &EntraError) -> (ErrorKind, String) {
    let said = service_said(entra);
    if entra.http_status == 429 {
        let m = format!(
            "the identity provider is throttling this client (HTTP 429): wait before retrying{said}"
        );
        return (ErrorKind::Throttled, m);
    }
    if entra.http_status >= 500 {
        let m = format!(
            "the identity provider failed with a server error (HTTP {}): try again later{said}",
            entra.http_status
        );
        return (ErrorKind::Service, m);
    }
    let known = entra
        .error_codes
        .iter()
        .find_map(|c| known_code(*c).map(|k| (*c, k)));
    if let Some((code, (kind, what, todo))) = known {
        return (kind, format!("{what} (AADSTS{code}): {todo}{said}"));
    }
    let kind = kind_of_error(entra);
    let code = entra
        .primary_code()
        .map(|c| format!(" (AADSTS{c})"))
        .unwrap_or_default();
    let error = if entra.error.is_empty() {
        "an error"
    } else {
        &entra.error
    };
    let todo = match kind {
        ErrorKind::InteractionRequired => ": sign in interactively",
        ErrorKind::InvalidClient => ": check the client id and the client credential",
        ErrorKind::AuthorizationDeclined => ": the user declined to sign in",
        ErrorKind::SlowDown => ": poll less often",
        ErrorKind::ExpiredToken => ": start a new device code flow",
        _ => "",
    };
    let m = format!(
        "the identity provider answered {error}{code} (HTTP {}){todo}{said}",
        entra.http_status
    );
    (kind, m)
}

/// `". The service said: ..."` with the description up to its trace-id trailer, plus the
/// suberror when there is one.
fn service_said(entra: &EntraError) -> String {
    let mut out = String::new();
    if let Some(d) = entra.error_description.as_deref() {
        let d = d.split(" Trace ID:").next().unwrap_or(d);
        let d = d.split("\r\nTrace ID:").next().unwrap_or(d).trim();
        if !d.is_empty() {
            out.push_str(". The service said: ");
            out.extend(d.chars().take(500));
        }
    }
    if let Some(sub) = entra.suberror.as_deref() {
        out.push_str(&format!(" [suberror: {sub}]"));
    }
    out
}

/// `Retry-After` as delta seconds or an HTTP date (a date in the past means no wait).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date = parse_http_date(value)?;
    Some(
        date.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form RFC 9110 requires senders to
/// use.
fn parse_http_date(value: &str) -> Option<SystemTime> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let at = time::PrimitiveDateTime::parse(value, format).ok()?;
    let secs = at.assume_utc().unix_timestamp();
    let secs = u64::try_from(secs).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

#[cfg(test)]
#[path = "error_response_tests.rs"]
mod tests;

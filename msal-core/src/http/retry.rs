//! When the pipeline sends a request a second time, and how long it waits first.
//!
//! One retry at most per [`Pipeline::send`](super::Pipeline::send):
//! - a 5xx answer without `Retry-After`, or a transport error or timeout: retry after the
//!   configured delay (MSAL .NET's rule; MSAL Python retries only failed connections);
//! - a 429 or 5xx answer with a `Retry-After` (seconds or an HTTP date) no longer than the
//!   configured bound: retry once that wait is over; a longer wait is left to the caller and
//!   to the throttling memory, and the answer is returned as it is;
//! - anything else: no retry.

use std::time::{Duration, SystemTime};

use time::PrimitiveDateTime;
use time::macros::format_description;

use crate::{Error, ErrorKind};

use super::HttpResponse;

/// Parses a `Retry-After` value: a number of seconds, or an HTTP date
/// (`Sun, 06 Nov 1994 08:49:37 GMT`) turned into the time left from `now` (zero when past).
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let date = PrimitiveDateTime::parse(value, &format).ok()?.assume_utc();
    let at = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(
        u64::try_from(date.unix_timestamp()).ok()?,
    ))?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The `Retry-After` of an answer, when it has a valid one.
pub(crate) fn retry_after_of(response: &HttpResponse) -> Option<Duration> {
    response
        .header("retry-after")
        .and_then(|v| parse_retry_after(v, SystemTime::now()))
}

/// How long to wait before retrying after this answer, or `None` not to retry.
pub(crate) fn delay_after_response(
    response: &HttpResponse,
    retry_delay: Duration,
    max_retry_after_wait: Duration,
) -> Option<Duration> {
    let status = response.status;
    if status != 429 && status < 500 {
        return None;
    }
    match retry_after_of(response) {
        Some(wait) if wait <= max_retry_after_wait => Some(wait),
        Some(_) => None,
        None if status >= 500 => Some(retry_delay),
        None => None,
    }
}

/// How long to wait before retrying after this error, or `None` not to retry.
pub(crate) fn delay_after_error(error: &Error, retry_delay: Duration) -> Option<Duration> {
    matches!(error.kind(), ErrorKind::Transport | ErrorKind::Timeout).then_some(retry_delay)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, retry_after: Option<&str>) -> HttpResponse {
        let mut r = HttpResponse::new(status, "");
        if let Some(v) = retry_after {
            r.headers.push(("Retry-After".into(), v.into()));
        }
        r
    }

    const SEC: Duration = Duration::from_secs(1);
    const BOUND: Duration = Duration::from_secs(5);

    #[test]
    fn retry_after_parses_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // 1994-11-06 08:49:37
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn server_errors_without_retry_after_retry_after_the_configured_delay() {
        assert_eq!(
            delay_after_response(&answer(500, None), SEC, BOUND),
            Some(SEC)
        );
        assert_eq!(
            delay_after_response(&answer(503, None), SEC, BOUND),
            Some(SEC)
        );
    }

    #[test]
    fn retry_after_within_the_bound_is_waited_and_longer_is_not() {
        let two = Duration::from_secs(2);
        assert_eq!(
            delay_after_response(&answer(429, Some("2")), SEC, BOUND),
            Some(two)
        );
        assert_eq!(
            delay_after_response(&answer(503, Some("2")), SEC, BOUND),
            Some(two)
        );
        assert_eq!(
            delay_after_response(&answer(429, Some("30")), SEC, BOUND),
            None
        );
        assert_eq!(
            delay_after_response(&answer(503, Some("30")), SEC, BOUND),
            None
        );
    }

    #[test]
    fn client_errors_and_429_without_retry_after_are_not_retried() {
        assert_eq!(delay_after_response(&answer(429, None), SEC, BOUND), None);
        assert_eq!(delay_after_response(&answer(400, None), SEC, BOUND), None);
        assert_eq!(
            delay_after_response(&answer(400, Some("1")), SEC, BOUND),
            None
        );
        assert_eq!(delay_after_response(&answer(200, None), SEC, BOUND), None);
    }

    #[test]
    fn only_transport_errors_and_timeouts_are_retried() {
        let err = |k| Error::new(k, "x");
        assert_eq!(
            delay_after_error(&err(ErrorKind::Transport), SEC),
            Some(SEC)
        );
        assert_eq!(delay_after_error(&err(ErrorKind::Timeout), SEC), Some(SEC));
        assert_eq!(
            delay_after_error(&err(ErrorKind::MalformedResponse), SEC),
            None
        );
        assert_eq!(
            delay_after_error(&err(ErrorKind::InvalidArgument), SEC),
            None
        );
    }
}

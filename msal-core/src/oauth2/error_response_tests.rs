use super::*;
use crate::oauth2::test_support::{json_response, requests, response_body};

fn body(status: u16, error: &str, code: i64, extra: &str) -> HttpResponse {
    let text = format!(
        r#"{{"error":"{error}","error_description":"AADSTS{code}: Something happened. Trace ID: t-1 Correlation ID: c-1 Timestamp: 2026-11-22 01:49:37Z","error_codes":[{code}],"trace_id":"t-1","correlation_id":"c-1"{extra}}}"#
    );
    json_response(status, text)
}

#[test]
fn recorded_wrong_password_is_invalid_grant_with_every_field() {
    let request = requests("msal_ropc_bad_password", "POST", "/oauth2/v2.0/token")
        .into_iter()
        .find(|r| r["status"] == 400)
        .unwrap();
    let err = parse_error_response(&json_response(400, response_body(&request)));
    assert_eq!(err.kind(), ErrorKind::InvalidGrant);
    assert_eq!(err.aadsts_codes(), &[50126]);
    let entra = err.entra().unwrap();
    assert_eq!(entra.error, "invalid_grant");
    assert_eq!(entra.http_status, 400);
    assert_eq!(
        entra.trace_id.as_deref(),
        Some("a7b8d95d-5854-4401-a8b8-6513cb293971")
    );
    assert_eq!(entra.timestamp.as_deref(), Some("2026-11-22 01:49:37Z"));
    assert_eq!(
        err.correlation(),
        Some("a9843a5f-6735-4542-818a-241aa83b318a")
    );
    assert!(
        err.message()
            .starts_with("the username or password is wrong (AADSTS50126)")
    );
    assert!(err.message().contains("Error validating credentials"));
    assert!(!err.is_retryable());
}

#[test]
fn recorded_unknown_tenant_without_error_codes_is_invalid_authority() {
    let request = requests("msal_nonexistent_tenant", "GET", "/openid-configuration").remove(0);
    let err = parse_error_response(&json_response(400, response_body(&request)));
    assert_eq!(err.kind(), ErrorKind::InvalidAuthority);
    assert_eq!(err.aadsts_codes(), &[90002]);
    assert!(
        err.message()
            .starts_with("the tenant was not found (AADSTS90002)")
    );
    assert!(err.message().contains("Tenant 'nonexistent' not found."));
}

#[test]
fn recorded_authorization_pending_is_authorization_pending() {
    let request = requests("msal_device_code", "POST", "/oauth2/v2.0/token")
        .into_iter()
        .find(|r| r["status"] == 400)
        .unwrap();
    let err = parse_error_response(&json_response(400, response_body(&request)));
    assert_eq!(err.kind(), ErrorKind::AuthorizationPending);
    assert_eq!(err.aadsts_codes(), &[70016]);
}

#[test]
fn each_named_aadsts_code_has_its_kind_and_a_helpful_message() {
    use ErrorKind::*;
    let cases: [(i64, &str, u16, ErrorKind, &str); 20] = [
        (
            50126,
            "invalid_grant",
            400,
            InvalidGrant,
            "password is wrong",
        ),
        (50034, "invalid_grant", 400, InvalidGrant, "does not exist"),
        (50053, "invalid_grant", 400, InvalidGrant, "locked"),
        (
            50055,
            "invalid_grant",
            400,
            InteractionRequired,
            "password has expired",
        ),
        (50057, "invalid_grant", 400, InvalidGrant, "disabled"),
        (
            50076,
            "invalid_grant",
            400,
            InteractionRequired,
            "multi-factor",
        ),
        (
            50079,
            "interaction_required",
            400,
            InteractionRequired,
            "multi-factor",
        ),
        (
            65001,
            "invalid_grant",
            400,
            InteractionRequired,
            "consented",
        ),
        (
            7000218,
            "invalid_client",
            401,
            InvalidClient,
            "Allow public client flows",
        ),
        (
            7000215,
            "invalid_client",
            401,
            InvalidClient,
            "secret's value, not its id",
        ),
        (
            700016,
            "unauthorized_client",
            400,
            InvalidClient,
            "was not found",
        ),
        (
            90002,
            "invalid_request",
            400,
            InvalidAuthority,
            "tenant was not found",
        ),
        (70011, "invalid_scope", 400, InvalidArgument, "scope"),
        (
            700082,
            "invalid_grant",
            400,
            InteractionRequired,
            "refresh token has expired",
        ),
        (50173, "invalid_grant", 400, InteractionRequired, "revoked"),
        (50196, "invalid_grant", 400, Throttled, "request loop"),
        (
            70016,
            "authorization_pending",
            400,
            AuthorizationPending,
            "keep polling",
        ),
        (
            70020,
            "expired_token",
            400,
            ExpiredToken,
            "device code expired",
        ),
        (
            70000,
            "invalid_grant",
            400,
            InvalidGrant,
            "invalid_grant (AADSTS70000)",
        ),
        (54005, "invalid_grant", 400, InvalidGrant, "AADSTS54005"),
    ];
    for (code, error, status, kind, words) in cases {
        let err = parse_error_response(&body(status, error, code, ""));
        assert_eq!(err.kind(), kind, "AADSTS{code}");
        assert!(
            err.message().contains(words),
            "AADSTS{code}: {}",
            err.message()
        );
        assert!(
            err.message().contains(&format!("AADSTS{code}")),
            "{}",
            err.message()
        );
        // The trace-id trailer of the description is not repeated in the message.
        assert!(!err.message().contains("Trace ID"), "{}", err.message());
        assert_eq!(err.correlation(), Some("c-1"));
    }
}

#[test]
fn mfa_error_carries_claims_and_suberror() {
    let claims = r#"{\"access_token\":{\"capolids\":{\"essential\":true,\"values\":[\"p\"]}}}"#;
    let extra = format!(r#","suberror":"basic_action","claims":"{claims}""#);
    let err = parse_error_response(&body(400, "invalid_grant", 50076, &extra));
    assert!(err.is_interaction_required());
    assert_eq!(
        err.claims(),
        Some(r#"{"access_token":{"capolids":{"essential":true,"values":["p"]}}}"#)
    );
    assert_eq!(
        err.entra().unwrap().suberror.as_deref(),
        Some("basic_action")
    );
    assert!(err.message().contains("[suberror: basic_action]"));
}

#[test]
fn invalid_grant_with_user_action_suberror_or_claims_needs_interaction() {
    for extra in [
        r#","suberror":"consent_required""#,
        r#","suberror":"message_only""#,
        r#","claims":"{}""#,
    ] {
        let err = parse_error_response(&body(400, "invalid_grant", 99999, extra));
        assert_eq!(err.kind(), ErrorKind::InteractionRequired, "{extra}");
    }
    for extra in [
        r#","suberror":"client_mismatch""#,
        r#","suberror":"bad_token""#,
        "",
    ] {
        let err = parse_error_response(&body(400, "invalid_grant", 99999, extra));
        assert_eq!(err.kind(), ErrorKind::InvalidGrant, "{extra}");
    }
}

#[test]
fn error_additional_info_is_kept_as_strings() {
    let extra = r#","suberror":"client_mismatch","error_additional_info":["client_mismatch"],"password_change_url":"https://x""#;
    let err = parse_error_response(&body(400, "invalid_grant", 70000, extra));
    let entra = err.entra().unwrap();
    assert_eq!(entra.error_additional_info, ["client_mismatch"]);
    assert_eq!(entra.extra["password_change_url"], "https://x");
}

#[test]
fn device_code_states_map_to_their_kinds_without_codes() {
    use ErrorKind::*;
    for (error, kind) in [
        ("authorization_pending", AuthorizationPending),
        ("slow_down", SlowDown),
        ("expired_token", ExpiredToken),
        ("authorization_declined", AuthorizationDeclined),
        ("access_denied", AuthorizationDeclined),
        ("bad_verification_code", InvalidGrant),
        ("interaction_required", InteractionRequired),
        ("invalid_client", InvalidClient),
        ("temporarily_unavailable", Service),
    ] {
        let err = parse_error_response(&json_response(400, format!(r#"{{"error":"{error}"}}"#)));
        assert_eq!(err.kind(), kind, "{error}");
        assert!(err.message().contains(error), "{}", err.message());
    }
}

#[test]
fn codes_are_read_from_the_description_when_error_codes_is_missing() {
    let err = parse_error_response(&json_response(
        400,
        r#"{"error":"invalid_grant","error_description":"AADSTS70002: Error validating credentials. AADSTS50126: bad"}"#,
    ));
    assert_eq!(err.aadsts_codes(), &[70002, 50126]);
    assert!(err.message().contains("AADSTS50126"));
}

#[test]
fn throttling_reads_retry_after_in_seconds_or_as_http_date() {
    let mut r = HttpResponse::new(429, "Too Many Requests");
    r.headers.push(("Retry-After".into(), "30".into()));
    let err = parse_error_response(&r);
    assert!(err.is_throttled());
    assert_eq!(err.retry_after_duration(), Some(Duration::from_secs(30)));
    assert!(err.is_retryable());

    let future = SystemTime::now() + Duration::from_secs(120);
    let date = httpdate(future);
    let mut r = json_response(429, r#"{"error":"temporarily_unavailable"}"#);
    r.headers.push(("retry-after".into(), date));
    let err = parse_error_response(&r);
    assert!(err.is_throttled());
    let wait = err.retry_after_duration().unwrap();
    assert!(
        wait > Duration::from_secs(100) && wait <= Duration::from_secs(120),
        "{wait:?}"
    );

    assert_eq!(
        parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
        Some(Duration::ZERO)
    );
    assert_eq!(parse_retry_after("soon"), None);
}

fn httpdate(at: SystemTime) -> String {
    let secs = at.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
    let dt = time::OffsetDateTime::from_unix_timestamp(secs as i64).unwrap();
    let f = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    dt.format(f).unwrap()
}

#[test]
fn server_errors_are_retryable_service_errors_json_or_not() {
    for r in [
        HttpResponse::new(503, "<html><body>Service Unavailable</body></html>"),
        json_response(500, r#"{"error":"server_error"}"#),
    ] {
        let err = parse_error_response(&r);
        assert_eq!(err.kind(), ErrorKind::Service);
        assert!(err.is_retryable());
        assert_eq!(err.entra().unwrap().http_status, r.status);
    }
}

#[test]
fn non_json_client_errors_are_malformed_and_never_panic() {
    let mut big = b"{\"error\":\"".to_vec();
    big.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    big.extend(b"\"}");
    let bodies: Vec<Vec<u8>> = vec![
        b"<!DOCTYPE html><html><body>Bad Request</body></html>".to_vec(),
        b"{\"error\":\"invalid_gr".to_vec(),
        b"[]".to_vec(),
        b"".to_vec(),
        vec![0xff, 0x00, 0xfe],
        big,
    ];
    for b in bodies {
        let err = parse_error_response(&HttpResponse::new(400, b));
        assert_eq!(err.kind(), ErrorKind::MalformedResponse);
        assert!(err.message().contains("HTTP 400"));
    }
}

#[test]
fn fields_of_unexpected_types_are_kept_not_fatal() {
    let err = parse_error_response(&json_response(
        400,
        r#"{"error":5,"error_codes":"50126","error_description":null,"claims":{"a":1}}"#,
    ));
    let entra = err.entra().unwrap();
    assert_eq!(entra.error, "");
    assert!(entra.error_codes.is_empty());
    assert_eq!(entra.extra["error"], 5);
    assert_eq!(entra.extra["claims"]["a"], 1);
    assert_eq!(err.kind(), ErrorKind::Service);
    let err = parse_error_response(&json_response(
        400,
        r#"{"error":"invalid_grant","error_codes":["50126", true, 1.5]}"#,
    ));
    assert_eq!(err.aadsts_codes(), &[50126]);
}

#[test]
fn failure_reason_follows_the_aadsts_code_of_the_answer() {
    use crate::FailureReason::*;
    for (code, error, reason) in [
        (50126, "invalid_grant", WrongCredentials),
        (50076, "invalid_grant", MfaRequired),
        (65001, "invalid_grant", ConsentRequired),
        (7000218, "invalid_client", PublicClientFlowsDisabled),
        (7000215, "invalid_client", InvalidClientSecret),
        (700082, "invalid_grant", RefreshTokenExpired),
        (90002, "invalid_tenant", UnknownTenant),
    ] {
        let body = format!(
            r#"{{"error":"{error}","error_description":"AADSTS{code}: x","error_codes":[{code}]}}"#
        );
        let err = parse_error_response(&HttpResponse::new(400, body));
        assert_eq!(err.reason(), Some(reason), "AADSTS{code}");
    }
    let other = parse_error_response(&HttpResponse::new(
        400,
        r#"{"error":"invalid_request","error_codes":[900144]}"#,
    ));
    assert_eq!(other.reason(), None);
}

use super::*;
use crate::oauth2::test_support::{recording, requests, response_body, wire_dir};

/// Every recording (MSAL Python and azure-identity), without the cache snapshots.
fn all_recordings() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(wire_dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json") && !n.ends_with(".cache.json"))
        .map(|n| n.trim_end_matches(".json").to_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn every_recorded_200_token_response_parses_with_all_fields() {
    let mut parsed = 0;
    for name in all_recordings() {
        for request in requests(&name, "POST", "/oauth2/v2.0/token") {
            if request["status"] != 200 {
                continue;
            }
            let body = response_body(&request);
            let raw: Value = serde_json::from_slice(&body).unwrap();
            let r = TokenResponse::from_json(&body).unwrap();
            assert_eq!(r.token_type, "Bearer");
            assert_eq!(
                r.access_token.expose(),
                raw["access_token"].as_str().unwrap()
            );
            assert_eq!(r.expires_in, raw["expires_in"].as_u64());
            assert_eq!(r.ext_expires_in, raw["ext_expires_in"].as_u64());
            assert_eq!(
                r.refresh_token.as_ref().map(Secret::expose),
                raw["refresh_token"].as_str()
            );
            assert_eq!(
                r.id_token.as_ref().map(Secret::expose),
                raw["id_token"].as_str()
            );
            assert_eq!(r.client_info.as_deref(), raw["client_info"].as_str());
            assert_eq!(r.scope.as_deref(), raw["scope"].as_str());
            // Unknown fields such as refresh_token_expires_in are kept.
            if let Some(v) = raw.get("refresh_token_expires_in") {
                assert_eq!(r.extra.get("refresh_token_expires_in"), Some(v));
            }
            parsed += 1;
        }
    }
    assert!(parsed >= 20, "only {parsed} responses parsed");
}

#[test]
fn user_token_response_exposes_granted_scopes_and_hides_tokens_in_debug() {
    let request = &requests("msal_ropc_managed", "POST", "/oauth2/v2.0/token")[0];
    let r = TokenResponse::from_json(&response_body(request)).unwrap();
    assert_eq!(
        r.granted_scopes().unwrap(),
        ["https://graph.microsoft.com/User.Read", "openid", "profile"]
    );
    assert!(!r.is_family());
    let shown = format!("{r:?}");
    assert!(!shown.contains(r.access_token.expose()));
    assert!(!shown.contains(r.refresh_token.as_ref().unwrap().expose()));
    assert!(!shown.contains(r.id_token.as_ref().unwrap().expose()));
    assert!(shown.contains("refresh_token_expires_in"));
}

#[test]
fn expiry_fields_accept_numbers_and_numeric_strings() {
    let r = TokenResponse::from_json(
        br#"{"access_token":"a","expires_in":"3599","ext_expires_in":7200,"refresh_in":"1800","foci":"1"}"#,
    )
    .unwrap();
    assert_eq!(
        (r.expires_in, r.ext_expires_in, r.refresh_in),
        (Some(3599), Some(7200), Some(1800))
    );
    assert!(r.is_family());
    let r = TokenResponse::from_json(br#"{"access_token":"a","expires_in":3599.0}"#).unwrap();
    assert_eq!(r.expires_in, Some(3599));
}

#[test]
fn managed_identity_style_expires_on_is_enough() {
    let r = TokenResponse::from_json(
        br#"{"access_token":"a","expires_on":"1795315778","resource":"https://vault.azure.net","token_type":"Bearer"}"#,
    )
    .unwrap();
    assert_eq!((r.expires_in, r.expires_on), (None, Some(1_795_315_778)));
    assert_eq!(r.extra["resource"], "https://vault.azure.net");
}

#[test]
fn missing_or_empty_access_token_is_malformed() {
    for body in [
        &br#"{"expires_in":3599}"#[..],
        br#"{"access_token":"","expires_in":3599}"#,
        br#"{"access_token":null,"expires_in":3599}"#,
    ] {
        let err = TokenResponse::from_json(body).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MalformedResponse);
        assert!(err.message().contains("access_token"));
    }
}

#[test]
fn missing_lifetime_is_malformed() {
    let err = TokenResponse::from_json(br#"{"access_token":"a"}"#).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MalformedResponse);
    assert!(err.message().contains("expires_in"));
}

#[test]
fn malformed_token_bodies_give_typed_errors_without_leaking_tokens() {
    let big = vec![b' '; 10 * 1024 * 1024];
    let mut big_valid = br#"{"access_token":""#.to_vec();
    big_valid.extend(std::iter::repeat_n(b'a', 10 * 1024 * 1024));
    big_valid.extend(br#"","expires_in":1}"#);
    let cases: Vec<&[u8]> = vec![
        br#"{"access_token":"secret-at","expires_in":35"#,
        b"",
        b"[]",
        b"null",
        b"<html><body>Service Unavailable</body></html>",
        br#"{"access_token":42,"expires_in":3599}"#,
        br#"{"access_token":"secret-at","expires_in":"soon"}"#,
        br#"{"access_token":"secret-at","expires_in":-5}"#,
        br#"{"access_token":"secret-at","expires_in":true}"#,
        br#"{"access_token":"secret-at","expires_in":1,"refresh_token":["x"]}"#,
        br#"{"access_token":"secret-at","expires_in":1,"scope":{}}"#,
        &[0xff, 0xfe, 0x00],
        &big,
        &big_valid,
    ];
    for body in cases {
        let err = TokenResponse::from_json(body).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MalformedResponse);
        assert!(!err.to_string().contains("secret-at"), "{err}");
    }
}

#[test]
fn recorded_device_code_response_parses() {
    let rec = recording("msal_device_code");
    let request = &requests("msal_device_code", "POST", "/devicecode")[0];
    let r = DeviceCodeResponse::from_json(&response_body(request)).unwrap();
    let flow = &rec["device_flow"];
    assert_eq!(r.user_code, flow["user_code"].as_str().unwrap());
    assert_eq!(
        r.device_code.expose(),
        flow["device_code"].as_str().unwrap()
    );
    assert_eq!(r.verification_uri, "https://microsoft.com/devicelogin");
    assert_eq!((r.expires_in, r.interval), (900, 1));
    assert_eq!(r.message.as_deref(), flow["message"].as_str());
    assert!(!format!("{r:?}").contains(r.device_code.expose()));
}

#[test]
fn device_code_response_accepts_legacy_url_and_applies_defaults() {
    let r = DeviceCodeResponse::from_json(
        br#"{"user_code":"ABC","device_code":"dc","verification_url":"https://aka.ms/devicelogin","verification_uri_complete":"https://x/?c=ABC"}"#,
    )
    .unwrap();
    assert_eq!(r.verification_uri, "https://aka.ms/devicelogin");
    assert_eq!(r.interval, DEFAULT_DEVICE_CODE_INTERVAL);
    assert_eq!(r.expires_in, DEFAULT_DEVICE_CODE_EXPIRES_IN);
    assert_eq!(r.message, None);
    assert!(r.extra.contains_key("verification_uri_complete"));
    let r = DeviceCodeResponse::from_json(
        br#"{"user_code":"A","device_code":"d","verification_uri":"u","interval":"0","expires_in":"600"}"#,
    )
    .unwrap();
    assert_eq!(
        (r.interval, r.expires_in),
        (DEFAULT_DEVICE_CODE_INTERVAL, 600)
    );
}

#[test]
fn device_code_response_without_required_fields_is_malformed() {
    for body in [
        &br#"{"device_code":"d","verification_uri":"u"}"#[..],
        br#"{"user_code":"A","verification_uri":"u"}"#,
        br#"{"user_code":"A","device_code":"d"}"#,
        br#"{"user_code":"A","device_code":"d","verification_uri":"u","interval":"x"}"#,
        br#"{"user_code":5,"device_code":"d","verification_uri":"u"}"#,
        b"{\"user_code\":",
    ] {
        let err = DeviceCodeResponse::from_json(body).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MalformedResponse);
    }
}

//! Form bodies compared parameter-for-parameter with what MSAL Python sent in the recordings.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use super::*;
use crate::http::Method;
use crate::oauth2::merge_claims;
use crate::oauth2::scope;
use crate::oauth2::test_support::{form_value, only_token_request, requests, sorted_form};

const PUBLIC_APP: &str = "11111111-1111-1111-1111-111111111111";
const CONFIDENTIAL_APP: &str = "22222222-2222-2222-2222-222222222222";
const GRAPH_USER_READ: &str = "https://graph.microsoft.com/User.Read";
const GRAPH_DEFAULT: &str = "https://graph.microsoft.com/.default";
const ALICE_OID: &str = "00000000-0000-0000-0000-00000000a11c";
const TENANT: &str = "aaaabbbb-0000-cccc-1111-dddd2222eeee";

fn endpoint() -> Url {
    Url::parse(&format!(
        "https://127.0.0.1:8443/{TENANT}/oauth2/v2.0/token"
    ))
    .unwrap()
}

fn user_scopes(scope: &str) -> Scopes {
    Scopes::for_user(&[scope], false).unwrap()
}

fn alice_anchor() -> AnchorMailbox {
    AnchorMailbox::Oid {
        uid: ALICE_OID.into(),
        utid: TENANT.into(),
    }
}

/// Asserts our request has the recorded form parameters (minus `skip`), the recorded
/// `Accept` and the recorded `X-AnchorMailbox` (or none when none was recorded).
fn assert_same_as_recorded(ours: &TokenRequest, recorded: &Value, skip: &[&str]) {
    let http = ours.to_http_request(&endpoint()).unwrap();
    assert_eq!(http.method, Method::Post);
    assert_eq!(http.url.path(), recorded["path"].as_str().unwrap());
    let mut expected = sorted_form(recorded["body"].as_str().unwrap().as_bytes());
    expected.retain(|(n, _)| !skip.contains(&n.as_str()));
    let mut ours = sorted_form(&http.body);
    ours.retain(|(n, _)| !skip.contains(&n.as_str()));
    assert_eq!(ours, expected);
    assert_eq!(
        http.header_value("Accept"),
        recorded["headers"]["Accept"].as_str()
    );
    assert_eq!(
        http.header_value("Content-Type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        http.header_value(ANCHOR_MAILBOX_HEADER),
        recorded["headers"]["X-AnchorMailbox"].as_str()
    );
}

#[test]
fn password_grant_matches_recorded_ropc_body_and_anchor() {
    for name in ["msal_ropc_managed", "msal_ropc_bad_password"] {
        let recorded = only_token_request(name);
        let request = TokenRequest::new(
            PUBLIC_APP,
            Grant::Password {
                username: "alice@managed.test".into(),
                password: Secret::new(form_value(&recorded, "password")),
            },
        )
        .scopes(user_scopes(GRAPH_USER_READ));
        assert_same_as_recorded(&request, &recorded, &[]);
    }
}

#[test]
fn saml_grant_matches_recorded_federated_body_with_unpadded_base64url() {
    for name in ["msal_ropc_federated", "msal_ropc_federated_wstrust2005"] {
        let recorded = only_token_request(name);
        let encoded = form_value(&recorded, "assertion");
        let xml = URL_SAFE_NO_PAD.decode(&encoded).unwrap();
        let request = TokenRequest::new(
            PUBLIC_APP,
            Grant::SamlBearer {
                version: SamlVersion::Saml11,
                assertion: Secret::new(String::from_utf8(xml).unwrap()),
            },
        )
        .scopes(user_scopes(GRAPH_USER_READ));
        assert_same_as_recorded(&request, &recorded, &[]);
    }
}

#[test]
fn saml2_grant_uses_the_saml2_grant_type() {
    let request = TokenRequest::new(
        PUBLIC_APP,
        Grant::SamlBearer {
            version: SamlVersion::Saml20,
            assertion: Secret::new("<a/>"),
        },
    );
    let http = request.to_http_request(&endpoint()).unwrap();
    let form = sorted_form(&http.body);
    assert!(form.contains(&(
        "grant_type".into(),
        "urn:ietf:params:oauth:grant-type:saml2-bearer".into()
    )));
    assert!(form.contains(&("assertion".into(), URL_SAFE_NO_PAD.encode("<a/>"))));
}

#[test]
fn device_code_poll_matches_recording_except_the_legacy_code_duplicate() {
    let polls = requests("msal_device_code", "POST", "/oauth2/v2.0/token");
    assert_eq!(polls.len(), 2);
    for recorded in polls {
        // Python also sends `code` (a copy of device_code); we deliberately do not.
        assert_eq!(
            form_value(&recorded, "code"),
            form_value(&recorded, "device_code")
        );
        let request = TokenRequest::new(
            PUBLIC_APP,
            Grant::DeviceCode {
                device_code: Secret::new(form_value(&recorded, "device_code")),
            },
        );
        assert_same_as_recorded(&request, &recorded, &["code"]);
        let http = request.to_http_request(&endpoint()).unwrap();
        assert!(!sorted_form(&http.body).iter().any(|(n, _)| n == "code"));
    }
}

#[test]
fn auth_code_grant_matches_recorded_public_and_confidential_bodies() {
    for (name, client_id, auth) in [
        ("msal_auth_code_public", PUBLIC_APP, false),
        ("msal_auth_code_confidential", CONFIDENTIAL_APP, true),
    ] {
        let recorded = only_token_request(name);
        let mut request = TokenRequest::new(
            client_id,
            Grant::AuthorizationCode {
                code: Secret::new(form_value(&recorded, "code")),
                redirect_uri: form_value(&recorded, "redirect_uri"),
                code_verifier: Some(Secret::new(form_value(&recorded, "code_verifier"))),
            },
        )
        .scopes(user_scopes(GRAPH_USER_READ))
        .anchor_mailbox(alice_anchor());
        if auth {
            request = request.client_auth(ClientAuth::Secret(Secret::new(form_value(
                &recorded,
                "client_secret",
            ))));
        }
        assert_same_as_recorded(&request, &recorded, &[]);
    }
}

#[test]
fn client_credentials_grant_matches_recorded_secret_and_assertion_bodies() {
    for name in [
        "msal_client_credentials_secret",
        "msal_validate_authority_false",
        "msal_client_credentials_cert_sha256",
        "msal_client_credentials_cert_thumbprint",
    ] {
        let recorded = only_token_request(name);
        let body = recorded["body"].as_str().unwrap();
        let auth = if body.contains("client_secret=") {
            ClientAuth::Secret(Secret::new(form_value(&recorded, "client_secret")))
        } else {
            ClientAuth::Assertion(Secret::new(form_value(&recorded, "client_assertion")))
        };
        let request = TokenRequest::new(CONFIDENTIAL_APP, Grant::ClientCredentials)
            .scopes(Scopes::for_client(&[GRAPH_DEFAULT]).unwrap())
            .client_auth(auth);
        assert_same_as_recorded(&request, &recorded, &[]);
    }
}

#[test]
fn client_credentials_with_capabilities_sends_equivalent_compact_claims() {
    let recorded = only_token_request("msal_client_credentials_cae");
    let claims = merge_claims(None, &["CP1"]).unwrap();
    let request = TokenRequest::new(CONFIDENTIAL_APP, Grant::ClientCredentials)
        .scopes(Scopes::for_client(&[GRAPH_DEFAULT]).unwrap())
        .client_auth(ClientAuth::Secret(Secret::new(form_value(
            &recorded,
            "client_secret",
        ))))
        .claims(claims);
    // Python writes JSON with spaces; we write it compact: compare the parsed values.
    assert_same_as_recorded(&request, &recorded, &["claims"]);
    let http = request.to_http_request(&endpoint()).unwrap();
    let ours = sorted_form(&http.body);
    let our_claims = &ours.iter().find(|(n, _)| n == "claims").unwrap().1;
    let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap();
    assert_eq!(parse(our_claims), parse(&form_value(&recorded, "claims")));
}

#[test]
fn on_behalf_of_grant_matches_recorded_obo_body() {
    let recorded = requests("msal_obo", "POST", "/oauth2/v2.0/token")
        .into_iter()
        .find(|r| r["body"].as_str().unwrap().contains("jwt-bearer"))
        .unwrap();
    let request = TokenRequest::new(
        CONFIDENTIAL_APP,
        Grant::OnBehalfOf {
            assertion: Secret::new(form_value(&recorded, "assertion")),
        },
    )
    .scopes(user_scopes(GRAPH_USER_READ))
    .client_auth(ClientAuth::Secret(Secret::new(form_value(
        &recorded,
        "client_secret",
    ))));
    assert_same_as_recorded(&request, &recorded, &[]);
}

#[test]
fn refresh_grant_matches_recorded_silent_refreshes_with_oid_anchor() {
    let refreshes: Vec<Value> = requests("msal_refresh_silent", "POST", "/oauth2/v2.0/token")
        .into_iter()
        .filter(|r| {
            r["body"]
                .as_str()
                .unwrap()
                .contains("grant_type=refresh_token")
        })
        .collect();
    assert_eq!(refreshes.len(), 2);
    for recorded in refreshes {
        let scope = form_value(&recorded, "scope");
        let asked: Vec<&str> = scope
            .split(' ')
            .filter(|s| !scope::is_reserved(s))
            .collect();
        let request = TokenRequest::new(
            PUBLIC_APP,
            Grant::RefreshToken {
                refresh_token: Secret::new(form_value(&recorded, "refresh_token")),
            },
        )
        .scopes(Scopes::for_user(&asked, false).unwrap())
        .anchor_mailbox(
            AnchorMailbox::from_home_account_id(&format!("{ALICE_OID}.{TENANT}")).unwrap(),
        );
        assert_same_as_recorded(&request, &recorded, &[]);
    }
}

#[test]
fn debug_of_requests_never_shows_secrets() {
    let grants = [
        Grant::Password {
            username: "u@x".into(),
            password: Secret::new("s3cret-pw"),
        },
        Grant::SamlBearer {
            version: SamlVersion::Saml11,
            assertion: Secret::new("s3cret-saml"),
        },
        Grant::DeviceCode {
            device_code: Secret::new("s3cret-dc"),
        },
        Grant::AuthorizationCode {
            code: Secret::new("s3cret-code"),
            redirect_uri: "http://localhost".into(),
            code_verifier: Some(Secret::new("s3cret-verifier")),
        },
        Grant::RefreshToken {
            refresh_token: Secret::new("s3cret-rt"),
        },
        Grant::OnBehalfOf {
            assertion: Secret::new("s3cret-obo"),
        },
    ];
    for grant in grants {
        for auth in [
            ClientAuth::Secret(Secret::new("s3cret-client")),
            ClientAuth::Assertion(Secret::new("s3cret-jwt")),
        ] {
            let request = TokenRequest::new(PUBLIC_APP, grant.clone())
                .client_auth(auth)
                .scopes(user_scopes("x"));
            let http = request.to_http_request(&endpoint()).unwrap();
            for shown in [
                format!("{request:?}"),
                format!("{request:#?}"),
                format!("{http:?}"),
            ] {
                assert!(!shown.contains("s3cret"), "{shown}");
            }
            // The secret does reach the wire.
            assert!(String::from_utf8_lossy(&http.body).contains("s3cret"));
        }
    }
}

#[test]
fn empty_required_values_are_invalid_argument() {
    let cases = [
        TokenRequest::new("", Grant::ClientCredentials),
        TokenRequest::new(
            PUBLIC_APP,
            Grant::Password {
                username: " ".into(),
                password: Secret::new("p"),
            },
        ),
        TokenRequest::new(
            PUBLIC_APP,
            Grant::Password {
                username: "u".into(),
                password: Secret::new(""),
            },
        ),
        TokenRequest::new(
            PUBLIC_APP,
            Grant::RefreshToken {
                refresh_token: Secret::default(),
            },
        ),
        // Client credentials without a credential, and without a scope.
        TokenRequest::new(CONFIDENTIAL_APP, Grant::ClientCredentials)
            .scopes(Scopes::for_client(&[GRAPH_DEFAULT]).unwrap()),
        TokenRequest::new(CONFIDENTIAL_APP, Grant::ClientCredentials)
            .client_auth(ClientAuth::Secret(Secret::new("s"))),
        TokenRequest::new(
            CONFIDENTIAL_APP,
            Grant::OnBehalfOf {
                assertion: Secret::new("a"),
            },
        ),
        TokenRequest::new(CONFIDENTIAL_APP, Grant::ClientCredentials)
            .scopes(Scopes::for_client(&[GRAPH_DEFAULT]).unwrap())
            .client_auth(ClientAuth::Secret(Secret::new(""))),
    ];
    for request in cases {
        let err = request.to_http_request(&endpoint()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{request:?}");
    }
}

#[test]
fn grant_type_parses_both_device_code_spellings_and_rejects_unknown() {
    assert_eq!(
        "device_code".parse::<GrantType>().unwrap(),
        GrantType::DeviceCode
    );
    assert_eq!(
        "urn:ietf:params:oauth:grant-type:device_code"
            .parse::<GrantType>()
            .unwrap(),
        GrantType::DeviceCode
    );
    for g in [
        GrantType::Password,
        GrantType::Saml11Bearer,
        GrantType::Saml2Bearer,
        GrantType::AuthorizationCode,
        GrantType::ClientCredentials,
        GrantType::RefreshToken,
        GrantType::JwtBearer,
    ] {
        assert_eq!(g.as_str().parse::<GrantType>().unwrap(), g);
    }
    assert!("implicit".parse::<GrantType>().is_err());
}

#[test]
fn anchor_mailbox_from_home_account_id_needs_both_parts() {
    assert_eq!(
        AnchorMailbox::from_home_account_id("uid.utid")
            .unwrap()
            .header_value(),
        "Oid:uid@utid"
    );
    assert!(AnchorMailbox::from_home_account_id("nodot").is_none());
    assert!(AnchorMailbox::from_home_account_id(".utid").is_none());
    assert_eq!(AnchorMailbox::Upn("a@b".into()).header_value(), "upn:a@b");
}

#[test]
fn explicit_anchor_replaces_the_password_default() {
    let request = TokenRequest::new(
        PUBLIC_APP,
        Grant::Password {
            username: "alice@x".into(),
            password: Secret::new("p"),
        },
    )
    .anchor_mailbox(alice_anchor());
    let http = request.to_http_request(&endpoint()).unwrap();
    assert_eq!(
        http.header_value(ANCHOR_MAILBOX_HEADER),
        Some(format!("Oid:{ALICE_OID}@{TENANT}").as_str())
    );
}

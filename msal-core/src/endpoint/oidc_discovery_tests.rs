//! Tests of OIDC discovery against the reference recordings and hand-made hostile documents.

use std::sync::Arc;

use serde_json::Value;

use super::*;
use crate::authority::test_support::{FakeClient, wire_exchange};

const TENANT: &str = "aaaabbbb-0000-cccc-1111-dddd2222eeee";

fn authority(url: &str) -> Authority {
    Authority::parse(url).expect(url)
}

fn pipeline_for(file: &str, index: usize) -> (Arc<FakeClient>, Pipeline) {
    let recorded = wire_exchange(file, index);
    let client =
        Arc::new(FakeClient::new().route(&recorded.path, recorded.status, &recorded.response));
    (client.clone(), Pipeline::new(client))
}

/// A document in the shape of the recorded one, with the given endpoint hosts and issuer.
fn document(endpoint_origin: &str, issuer: &str) -> String {
    serde_json::json!({
        "authorization_endpoint": format!("{endpoint_origin}/t/oauth2/v2.0/authorize"),
        "token_endpoint": format!("{endpoint_origin}/t/oauth2/v2.0/token"),
        "issuer": issuer,
    })
    .to_string()
}

#[tokio::test]
async fn fetch_parses_the_recorded_tenant_document() {
    let (client, pipeline) = pipeline_for("msal_validate_authority_false.json", 0);
    let a = authority(&format!("https://127.0.0.1:8443/{TENANT}"));
    let config = fetch(&pipeline, &a, &RequestContext::new("corr"))
        .await
        .expect("document");
    assert_eq!(
        config.token_endpoint.as_str(),
        format!("https://127.0.0.1:8443/{TENANT}/oauth2/v2.0/token")
    );
    assert_eq!(
        config
            .device_authorization_endpoint
            .as_ref()
            .map(Url::as_str),
        Some(format!("https://127.0.0.1:8443/{TENANT}/oauth2/v2.0/devicecode").as_str())
    );
    assert_eq!(
        config.issuer,
        format!("https://127.0.0.1:8443/{TENANT}/v2.0")
    );
    assert!(
        config
            .jwks_uri
            .as_deref()
            .is_some_and(|u| u.ends_with("/discovery/v2.0/keys"))
    );
    assert!(config.end_session_endpoint.is_some());
    assert_eq!(
        config.extra.get("tenant_region_scope"),
        Some(&Value::from("NA"))
    );
    assert_eq!(
        config.extra.get("request_uri_parameter_supported"),
        Some(&Value::Bool(false))
    );
    let sent = client.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, crate::http::Method::Get);
    assert_eq!(
        sent[0].url.path(),
        wire_exchange("msal_validate_authority_false.json", 0).path
    );
}

#[tokio::test]
async fn oidc_authority_fetches_without_v2_and_accepts_its_own_issuer() {
    let (client, pipeline) = pipeline_for("msal_oidc_authority.json", 0);
    let a = Authority::oidc(&format!("https://127.0.0.1:8443/{TENANT}")).expect("oidc");
    let config = fetch(&pipeline, &a, &RequestContext::generate())
        .await
        .expect("document");
    assert_eq!(config.issuer, format!("https://127.0.0.1:8443/{TENANT}/"));
    assert_eq!(
        client.requests()[0].url.path(),
        wire_exchange("msal_oidc_authority.json", 0).path
    );
}

#[tokio::test]
async fn unknown_tenant_is_an_invalid_authority_keeping_aadsts_90002() {
    let (_, pipeline) = pipeline_for("msal_nonexistent_tenant.json", 0);
    let a = authority("https://127.0.0.1:8443/nonexistent");
    let err = fetch(&pipeline, &a, &RequestContext::new("corr-1"))
        .await
        .expect_err("400");
    assert_eq!(err.kind(), ErrorKind::InvalidAuthority);
    assert_eq!(err.aadsts_codes(), &[90002]);
    assert_eq!(
        err.entra().map(|e| e.error.as_str()),
        Some("invalid_tenant")
    );
    assert_eq!(err.entra().map(|e| e.http_status), Some(400));
    assert!(
        err.message().contains("tenant 'nonexistent' was not found"),
        "{}",
        err.message()
    );
    assert_eq!(err.correlation(), Some("corr-1"));
}

#[tokio::test]
async fn missing_document_is_an_invalid_authority_naming_the_url() {
    let client = Arc::new(FakeClient::new());
    let a = authority("https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_nope");
    let err = fetch(&Pipeline::new(client), &a, &RequestContext::generate())
        .await
        .expect_err("404");
    assert_eq!(err.kind(), ErrorKind::InvalidAuthority);
    assert!(
        err.message()
            .contains("B2C_1_nope/v2.0/.well-known/openid-configuration")
    );
    assert!(err.message().contains("policy"));
}

#[tokio::test]
async fn server_errors_keep_their_retryable_kind() {
    let a = authority("https://login.microsoftonline.com/common");
    let client = Arc::new(FakeClient::new().route(
        "/common/v2.0/.well-known/openid-configuration",
        500,
        r#"{"error":"server_error"}"#,
    ));
    let err = fetch(&Pipeline::new(client), &a, &RequestContext::generate())
        .await
        .expect_err("500");
    assert_eq!(err.kind(), ErrorKind::Service);
}

#[test]
fn document_without_a_required_field_is_malformed() {
    let a = authority("https://login.microsoftonline.com/common");
    for missing in ["authorization_endpoint", "token_endpoint", "issuer"] {
        let mut doc: serde_json::Map<String, Value> = serde_json::from_str(&document(
            "https://login.microsoftonline.com",
            "https://login.microsoftonline.com/{tenantid}/v2.0",
        ))
        .expect("json");
        doc.remove(missing);
        let body = Value::Object(doc).to_string();
        let err = OidcConfiguration::from_json(body.as_bytes(), &a).expect_err(missing);
        assert_eq!(err.kind(), ErrorKind::MalformedResponse);
        assert!(err.message().contains(missing));
    }
    let err = OidcConfiguration::from_json(b"<html>", &a).expect_err("not json");
    assert_eq!(err.kind(), ErrorKind::MalformedResponse);
    let bad_url = r#"{"authorization_endpoint":"not a url","token_endpoint":"https://x/t","issuer":"https://x"}"#;
    let err = OidcConfiguration::from_json(bad_url.as_bytes(), &a).expect_err("bad url");
    assert_eq!(err.kind(), ErrorKind::MalformedResponse);
}

#[test]
fn tenant_placeholder_is_filled_but_tenantid_stays_literal() {
    let a = authority("https://login.microsoftonline.com/contoso.com");
    let body = document(
        "https://login.microsoftonline.com",
        "https://login.microsoftonline.com/{tenant}/v2.0",
    )
    .replace("/t/", "/{tenant}/");
    let config = OidcConfiguration::from_json(body.as_bytes(), &a).expect("document");
    assert_eq!(
        config.token_endpoint.as_str(),
        "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token"
    );
    assert_eq!(
        config.issuer,
        "https://login.microsoftonline.com/contoso.com/v2.0"
    );
    let common = authority("https://login.microsoftonline.com/common");
    let body = document(
        "https://login.microsoftonline.com",
        "https://login.microsoftonline.com/{tenantid}/v2.0",
    );
    let config = OidcConfiguration::from_json(body.as_bytes(), &common).expect("document");
    assert_eq!(
        config.issuer,
        "https://login.microsoftonline.com/{tenantid}/v2.0"
    );
    config
        .validate(&common, &[])
        .expect("{tenantid} issuer of common is accepted");
}

fn validate(authority_url: &str, endpoints: &str, issuer: &str, aliases: &[&str]) -> Result<()> {
    // Generic OIDC issuers in these tables live on issuer.example.com.
    let a = if authority_url.contains("issuer.example.com") {
        Authority::oidc(authority_url)
    } else {
        Authority::parse(authority_url)
    }
    .expect(authority_url);
    let config = OidcConfiguration::from_json(document(endpoints, issuer).as_bytes(), &a)?;
    let aliases: Vec<String> = aliases.iter().map(|s| (*s).to_owned()).collect();
    config.validate(&a, &aliases)
}

#[test]
fn validate_accepts_documents_of_the_authority_its_aliases_and_microsoft_issuers() {
    let ok = [
        (
            "https://127.0.0.1:8443/t",
            "https://127.0.0.1:8443",
            "https://127.0.0.1:8443/t/v2.0",
            vec![],
        ),
        (
            "https://login.microsoftonline.com/t",
            "https://login.windows.net",
            "https://sts.windows.net/t/",
            vec![],
        ),
        (
            "https://login.contoso.com/t",
            "https://login2.contoso.com",
            "https://login2.contoso.com/t/v2.0",
            vec!["login.contoso.com", "login2.contoso.com"],
        ),
        (
            "https://login.contoso.com/t",
            "https://login.contoso.com",
            "https://login.microsoftonline.com/t/v2.0",
            vec![],
        ),
        (
            "https://login.contoso.com/t",
            "https://login.contoso.com",
            "https://westus2.login.microsoft.com/t/v2.0",
            vec![],
        ),
        (
            "https://contoso.ciamlogin.com/t",
            "https://contoso.ciamlogin.com",
            "https://aaaabbbb.ciamlogin.com/t/v2.0",
            vec![],
        ),
        (
            "https://login.contoso.com/t/B2C_1_x",
            "https://login.contoso.com",
            "https://contoso.b2clogin.com/t/v2.0/",
            vec![],
        ),
        (
            "https://adfs.contoso.com/adfs",
            "https://adfs.contoso.com",
            "https://adfs.contoso.com/adfs",
            vec![],
        ),
        (
            "https://issuer.example.com/t",
            "https://tokens.example.net",
            "https://issuer.example.com/t/",
            vec![],
        ),
    ];
    for (authority, endpoints, issuer, aliases) in ok {
        validate(authority, endpoints, issuer, &aliases)
            .unwrap_or_else(|e| panic!("{authority} / {endpoints} / {issuer}: {e}"));
    }
    let regional = authority("https://login.microsoftonline.com/t")
        .regional("westus2")
        .expect("regional");
    let body = document(
        "https://westus2.login.microsoft.com",
        "https://login.microsoftonline.com/t/v2.0",
    );
    OidcConfiguration::from_json(body.as_bytes(), &regional)
        .expect("document")
        .validate(&regional, &[])
        .expect("regional document");
}

#[test]
fn validate_refuses_documents_that_point_elsewhere() {
    let refused = [
        // endpoints on another host, port or scheme
        (
            "https://127.0.0.1:8443/t",
            "https://evil.example.com",
            "https://127.0.0.1:8443/t/v2.0",
        ),
        (
            "https://127.0.0.1:8443/t",
            "https://127.0.0.1:9443",
            "https://127.0.0.1:8443/t/v2.0",
        ),
        (
            "https://login.contoso.com/t",
            "http://login.contoso.com",
            "https://login.contoso.com/t/v2.0",
        ),
        // issuer on a foreign host
        (
            "https://127.0.0.1:8443/t",
            "https://127.0.0.1:8443",
            "https://evil.example.com/t/v2.0",
        ),
        (
            "https://login.contoso.com/t",
            "https://login.contoso.com",
            "https://login.microsoftonline.com.evil.com/t",
        ),
        (
            "https://login.contoso.com/t",
            "https://login.contoso.com",
            "http://login.microsoftonline.com/t/v2.0",
        ),
        (
            "https://login.contoso.com/t",
            "https://login.contoso.com",
            "https://x.ciamlogin.com/t/v2.0",
        ),
        (
            "https://adfs.contoso.com/adfs",
            "https://adfs.contoso.com",
            "https://login.microsoftonline.com/adfs",
        ),
        (
            "https://login.contoso.com/t",
            "https://login.contoso.com",
            "not a url",
        ),
        // a generic OIDC issuer must publish exactly its own URL
        (
            "https://issuer.example.com/t",
            "https://issuer.example.com",
            "https://issuer.example.com/other",
        ),
        (
            "https://issuer.example.com/t",
            "https://issuer.example.com",
            "https://login.microsoftonline.com/t",
        ),
    ];
    for (authority, endpoints, issuer) in refused {
        let err = validate(authority, endpoints, issuer, &[]).expect_err(issuer);
        assert_eq!(
            err.kind(),
            ErrorKind::InvalidAuthority,
            "{authority} / {endpoints} / {issuer}"
        );
    }
}

#[tokio::test]
async fn fetch_refuses_a_recorded_document_served_for_another_host() {
    let recorded = wire_exchange("msal_validate_authority_false.json", 0);
    let client = Arc::new(FakeClient::new().route(&recorded.path, 200, &recorded.response));
    let a = authority(&format!("https://login.contoso.com/{TENANT}"));
    let err = fetch(&Pipeline::new(client), &a, &RequestContext::generate())
        .await
        .expect_err("document names 127.0.0.1:8443");
    assert_eq!(err.kind(), ErrorKind::InvalidAuthority);
    assert!(
        err.message()
            .contains("authorization_endpoint https://127.0.0.1"),
        "{}",
        err.message()
    );
}

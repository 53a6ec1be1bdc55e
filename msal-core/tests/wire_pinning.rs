//! Each endpoint call, through the real `ReqwestHttpClient` and `Pipeline`, against a mockito
//! server that answers only a request whose method, path, headers and form body match what the
//! reference client (MSAL Python 1.39) sent in `shared/reference/wire/`. The server's answer is
//! the recorded one, so the parsing side is pinned too.

use std::path::PathBuf;
use std::sync::Arc;

use mockito::{Matcher, Server};
use msal_core::endpoint::{device_code, token, user_realm};
use msal_core::http::{Pipeline, PipelineOptions, RequestContext, ReqwestHttpClient};
use msal_core::oauth2::{ClientAuth, Grant, Scopes, TokenRequest, TokenResponse};
use msal_core::{ErrorKind, FailureReason, Secret};
use serde_json::Value;
use url::Url;

const PUBLIC_APP: &str = "11111111-1111-1111-1111-111111111111";
const CONFIDENTIAL_APP: &str = "22222222-2222-2222-2222-222222222222";
const TENANT: &str = "aaaabbbb-0000-cccc-1111-dddd2222eeee";

fn wire_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MSAL_WIRE_DIR") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("shared/reference/wire"))
        .find(|dir| dir.is_dir())
        .expect("shared/reference/wire above the crate (or set MSAL_WIRE_DIR)")
}

/// The recorded requests of a flow with this method whose path ends with `path_end`.
fn recorded(flow: &str, method: &str, path_end: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(wire_dir().join(format!("{flow}.json"))).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] == method && r["path"].as_str().unwrap().ends_with(path_end))
        .cloned()
        .collect()
}

fn form_pairs(body: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

fn form_value(request: &Value, name: &str) -> String {
    form_pairs(request["body"].as_str().unwrap())
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("recorded body has no {name}"))
}

fn pipeline() -> Pipeline {
    Pipeline::with_options(
        Arc::new(ReqwestHttpClient::new().unwrap()),
        PipelineOptions::default().retry_delay(std::time::Duration::ZERO),
    )
}

/// A mock that answers the recorded response only to a request with the recorded method, path,
/// every recorded form parameter (minus `skip`), MSAL's capability header, our correlation id
/// and the recorded routing hint.
fn pin_form_post(
    server: &mut Server,
    recorded: &Value,
    correlation_id: &str,
    skip: &[&str],
) -> mockito::Mock {
    let body_matchers: Vec<Matcher> = form_pairs(recorded["body"].as_str().unwrap())
        .into_iter()
        .filter(|(n, _)| !skip.contains(&n.as_str()))
        .map(|(n, v)| Matcher::UrlEncoded(n, v))
        .collect();
    let headers = &recorded["headers"];
    let mut mock = server
        .mock("POST", recorded["path"].as_str().unwrap())
        .match_header("content-type", "application/x-www-form-urlencoded")
        .match_header("client-request-id", correlation_id)
        .match_header(
            "x-ms-lib-capability",
            headers["x-ms-lib-capability"].as_str().unwrap(),
        )
        .match_header("x-client-sku", "MSAL.Rust")
        .match_header("x-client-ver", Matcher::Regex(r"^\d+\.\d+\.\d+".into()))
        .match_header("x-client-os", std::env::consts::OS)
        .match_body(Matcher::AllOf(body_matchers));
    mock = match headers["X-AnchorMailbox"].as_str() {
        Some(anchor) => mock.match_header("x-anchormailbox", anchor),
        None => mock.match_header("x-anchormailbox", Matcher::Missing),
    };
    mock.with_status(recorded["status"].as_u64().unwrap() as usize)
        .with_header("content-type", "application/json")
        .with_body(recorded["response"].as_str().unwrap())
        .expect(1)
}

fn token_endpoint(server: &Server) -> Url {
    Url::parse(&format!("{}/{TENANT}/oauth2/v2.0/token", server.url())).unwrap()
}

fn user_scopes(scope: &str) -> Scopes {
    Scopes::for_user(&[scope], false).unwrap()
}

/// Replays the recorded ROPC token request of `flow` against a pinned mock and returns what
/// our client made of the recorded answer.
async fn replay_ropc(flow: &str, correlation_id: &str) -> msal_core::Result<TokenResponse> {
    let mut server = Server::new_async().await;
    let req = &recorded(flow, "POST", "/oauth2/v2.0/token")[0];
    let mock = pin_form_post(&mut server, req, correlation_id, &[])
        .create_async()
        .await;
    let request = TokenRequest::new(
        PUBLIC_APP,
        Grant::Password {
            username: "alice@managed.test".into(),
            password: Secret::new(form_value(req, "password")),
        },
    )
    .scopes(user_scopes("https://graph.microsoft.com/User.Read"));
    let result = token::request_token(
        &pipeline(),
        &token_endpoint(&server),
        &request,
        &RequestContext::new(correlation_id),
    )
    .await;
    mock.assert_async().await;
    result
}

#[tokio::test]
async fn ropc_token_request_is_pinned_to_the_recording_and_its_answer_parses() {
    let response = replay_ropc("msal_ropc_managed", "corr-ropc").await.unwrap();
    assert_eq!(response.token_type, "Bearer");
    assert!(response.refresh_token.is_some());
    assert!(response.client_info.is_some());
}

#[tokio::test]
async fn wrong_password_answer_is_pinned_and_classified_as_invalid_grant() {
    let err = replay_ropc("msal_ropc_bad_password", "corr-bad")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidGrant);
    assert!(err.aadsts_codes().contains(&50126));
    assert_eq!(err.reason(), Some(FailureReason::WrongCredentials));
    // The recorded password is the word "wrong", so a leak check on it would be meaningless
    // here (the oauth2 unit tests sweep for secrets); check the message helps instead.
    assert!(err.to_string().contains("50126"), "{err}");
    assert_eq!(
        err.correlation(),
        Some("a9843a5f-6735-4542-818a-241aa83b318a")
    );
}

#[tokio::test]
async fn client_credentials_with_secret_is_pinned_to_the_recording() {
    let mut server = Server::new_async().await;
    let req = &recorded(
        "msal_client_credentials_secret",
        "POST",
        "/oauth2/v2.0/token",
    )[0];
    let mock = pin_form_post(&mut server, req, "corr-cc", &[])
        .create_async()
        .await;
    let request = TokenRequest::new(CONFIDENTIAL_APP, Grant::ClientCredentials)
        .scopes(Scopes::for_client(&["https://graph.microsoft.com/.default"]).unwrap())
        .client_auth(ClientAuth::Secret(Secret::new(form_value(
            req,
            "client_secret",
        ))));
    let response = token::request_token(
        &pipeline(),
        &token_endpoint(&server),
        &request,
        &RequestContext::new("corr-cc"),
    )
    .await
    .unwrap();
    mock.assert_async().await;
    assert!(response.refresh_token.is_none());
    assert!(!response.access_token.is_empty());
}

#[tokio::test]
async fn device_code_initiation_and_poll_are_pinned_to_the_recording() {
    let mut server = Server::new_async().await;
    let init = &recorded("msal_device_code", "POST", "/oauth2/v2.0/devicecode")[0];
    let init_mock = server
        .mock("POST", init["path"].as_str().unwrap())
        .match_header("client-request-id", "corr-dc")
        .match_body(Matcher::AllOf(
            form_pairs(init["body"].as_str().unwrap())
                .into_iter()
                .map(|(n, v)| Matcher::UrlEncoded(n, v))
                .collect(),
        ))
        .with_status(200)
        .with_body(init["response"].as_str().unwrap())
        .expect(1)
        .create_async()
        .await;
    let endpoint =
        Url::parse(&format!("{}/{TENANT}/oauth2/v2.0/devicecode", server.url())).unwrap();
    let request = device_code::DeviceCodeRequest::new(
        PUBLIC_APP,
        user_scopes("https://graph.microsoft.com/User.Read"),
    );
    let flow = device_code::initiate(
        &pipeline(),
        &endpoint,
        &request,
        &RequestContext::new("corr-dc"),
    )
    .await
    .unwrap();
    init_mock.assert_async().await;
    assert_eq!(
        flow.interval, 1,
        "the recording's server asked for a 1 s interval"
    );
    assert!(
        flow.message
            .as_deref()
            .unwrap_or_default()
            .contains(&flow.user_code)
    );

    // The first recorded poll was answered `authorization_pending`. Python also sends a
    // duplicate `code` parameter; we deliberately do not.
    let poll = &recorded("msal_device_code", "POST", "/oauth2/v2.0/token")[0];
    let poll_mock = pin_form_post(&mut server, poll, "corr-dc", &["code"])
        .create_async()
        .await;
    let request = TokenRequest::new(
        PUBLIC_APP,
        Grant::DeviceCode {
            device_code: flow.device_code.clone(),
        },
    );
    let err = token::request_token(
        &pipeline(),
        &token_endpoint(&server),
        &request,
        &RequestContext::new("corr-dc"),
    )
    .await
    .unwrap_err();
    poll_mock.assert_async().await;
    assert_eq!(err.kind(), ErrorKind::AuthorizationPending);
}

#[tokio::test]
async fn user_realm_get_is_pinned_to_the_recorded_path_and_query() {
    let mut server = Server::new_async().await;
    let req = &recorded(
        "msal_ropc_federated",
        "GET",
        "/common/userrealm/bob@federated.test",
    )[0];
    let mock = server
        .mock("GET", req["path"].as_str().unwrap())
        .match_query(Matcher::UrlEncoded("api-version".into(), "1.0".into()))
        .match_header("accept", "application/json")
        .match_header("client-request-id", "corr-realm")
        .with_status(200)
        .with_body(req["response"].as_str().unwrap())
        .expect(1)
        .create_async()
        .await;
    let host = Url::parse(&server.url()).unwrap();
    let realm = user_realm::discover(
        &pipeline(),
        &host,
        "bob@federated.test",
        &RequestContext::new("corr-realm"),
    )
    .await
    .unwrap();
    mock.assert_async().await;
    assert_eq!(realm.account_type, user_realm::AccountType::Federated);
    assert!(realm.federation_metadata_url.is_some());
}

//! The user realm endpoint (`GET {scheme}://{host}[:port]/common/userrealm/{username}
//! ?api-version=1.0`): tells whether a username belongs to a managed or a federated domain,
//! before a username/password sign-in.
//!
//! Differences from MSAL Python, on purpose: the username is percent-escaped as one path
//! segment (Python formats it in raw), and the authority's port is kept (the recordings show
//! Python dropping it, which sends the request to port 443 of a test authority on another
//! port). As in Python, a 404 means the host has no user realm endpoint and gives
//! [`AccountType::Unknown`], so the caller falls back to a plain password grant.

use serde_json::{Map, Value};
use url::Url;

use crate::http::{HttpRequest, Pipeline, RequestContext};
use crate::oauth2::parse_error_response;
use crate::oauth2::response::{parse_object, take_string};
use crate::{Error, ErrorKind, Result};

/// The kind of account behind a username.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountType {
    /// A cloud (managed) account: send the password grant.
    Managed,
    /// A federated account: get a SAML assertion from the identity provider (WS-Trust).
    Federated,
    /// Unknown (including values this library does not know, and hosts without the
    /// endpoint).
    Unknown,
}

impl AccountType {
    fn parse(value: Option<&str>) -> Self {
        match value {
            Some(v) if v.eq_ignore_ascii_case("managed") => AccountType::Managed,
            Some(v) if v.eq_ignore_ascii_case("federated") => AccountType::Federated,
            _ => AccountType::Unknown,
        }
    }
}

/// The user realm answer.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct UserRealm {
    /// `ver`, such as `1.0`.
    pub ver: Option<String>,
    /// `account_type`, case-insensitive on the wire.
    pub account_type: AccountType,
    /// `domain_name`: the user's domain.
    pub domain_name: Option<String>,
    /// `federation_protocol`, such as `WSTrust` (federated only).
    pub federation_protocol: Option<String>,
    /// `federation_metadata_url`: the MEX document (federated only).
    pub federation_metadata_url: Option<String>,
    /// `federation_active_auth_url`: the WS-Trust endpoint (federated only).
    pub federation_active_auth_url: Option<String>,
    /// `cloud_audience_urn`, such as `urn:federation:MicrosoftOnline`.
    pub cloud_audience_urn: Option<String>,
    /// `cloud_instance_name`, such as `microsoftonline.com`.
    pub cloud_instance_name: Option<String>,
    /// Every other field, unchanged.
    pub extra: Map<String, Value>,
}

impl UserRealm {
    /// The answer for a host without a user realm endpoint: an unknown account type.
    pub fn unknown() -> Self {
        Self {
            ver: None,
            account_type: AccountType::Unknown,
            domain_name: None,
            federation_protocol: None,
            federation_metadata_url: None,
            federation_active_auth_url: None,
            cloud_audience_urn: None,
            cloud_instance_name: None,
            extra: Map::new(),
        }
    }

    /// Parses a user realm body. Fails with [`ErrorKind::MalformedResponse`] when it is not
    /// a JSON object or a known field is not a string.
    pub fn from_json(body: &[u8]) -> Result<Self> {
        let mut map = parse_object(body, "user realm response")?;
        let mut take = |name: &str| take_string(&mut map, name);
        let account_type = AccountType::parse(take("account_type")?.as_deref());
        Ok(Self {
            ver: take("ver")?,
            account_type,
            domain_name: take("domain_name")?,
            federation_protocol: take("federation_protocol")?,
            federation_metadata_url: take("federation_metadata_url")?,
            federation_active_auth_url: take("federation_active_auth_url")?,
            cloud_audience_urn: take("cloud_audience_urn")?,
            cloud_instance_name: take("cloud_instance_name")?,
            extra: map,
        })
    }
}

/// The user realm URL for a username on the authority's host (scheme, host and port kept;
/// path, query and fragment replaced). Fails with [`ErrorKind::InvalidArgument`] for an empty
/// username and [`ErrorKind::InvalidAuthority`] for a URL without a host.
pub fn user_realm_url(authority_host_url: &Url, username: &str) -> Result<Url> {
    if username.trim().is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "the username is empty",
        ));
    }
    if authority_host_url.cannot_be_a_base() || authority_host_url.host().is_none() {
        return Err(Error::new(
            ErrorKind::InvalidAuthority,
            format!("the authority URL {authority_host_url} has no host"),
        ));
    }
    let mut url = authority_host_url.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.set_path("");
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.clear().extend(["common", "userrealm", username]);
    }
    url.query_pairs_mut().append_pair("api-version", "1.0");
    Ok(url)
}

/// Asks the authority's host what kind of account `username` is.
///
/// A 2xx answer is parsed into a [`UserRealm`]; a 404 gives [`UserRealm::unknown`]; any
/// other answer is the classified error of [`parse_error_response`]. Errors carry the
/// correlation id of `ctx`.
pub async fn discover(
    pipeline: &Pipeline,
    authority_host_url: &Url,
    username: &str,
    ctx: &RequestContext,
) -> Result<UserRealm> {
    let with_id = |e: Error| e.correlation_id(ctx.correlation_id.clone());
    let url = user_realm_url(authority_host_url, username).map_err(with_id)?;
    let request = HttpRequest::get(url).header("Accept", "application/json");
    let response = pipeline.send(request, ctx).await.map_err(with_id)?;
    if response.status == 404 {
        return Ok(UserRealm::unknown());
    }
    if !response.is_success() {
        return Err(with_id(parse_error_response(&response)));
    }
    UserRealm::from_json(&response.body).map_err(with_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{HttpResponse, Method};
    use crate::oauth2::test_support::{FakeClient, json_response, requests, response_body};

    fn authority() -> Url {
        Url::parse("https://127.0.0.1:8443/aaaabbbb-0000-cccc-1111-dddd2222eeee/").unwrap()
    }

    #[tokio::test]
    async fn managed_and_federated_recordings_are_requested_and_parsed_like_python() {
        for (name, user, kind) in [
            (
                "msal_ropc_managed",
                "alice@managed.test",
                AccountType::Managed,
            ),
            (
                "msal_ropc_federated",
                "bob@federated.test",
                AccountType::Federated,
            ),
            (
                "msal_ropc_federated_wstrust2005",
                "carol@federated2005.test",
                AccountType::Federated,
            ),
        ] {
            let recorded = requests(name, "GET", &format!("/userrealm/{user}")).remove(0);
            let raw: Value = serde_json::from_slice(&response_body(&recorded)).unwrap();
            let client = FakeClient::answering(vec![json_response(200, response_body(&recorded))]);
            let ctx =
                RequestContext::new(recorded["headers"]["client-request-id"].as_str().unwrap());
            let realm = discover(&client.pipeline(), &authority(), user, &ctx)
                .await
                .unwrap();
            assert_eq!(realm.account_type, kind);
            assert_eq!(realm.domain_name.as_deref(), raw["domain_name"].as_str());
            assert_eq!(
                realm.federation_metadata_url.as_deref(),
                raw["federation_metadata_url"].as_str()
            );
            assert_eq!(
                realm.federation_active_auth_url.as_deref(),
                raw["federation_active_auth_url"].as_str()
            );
            assert_eq!(
                realm.cloud_audience_urn.as_deref(),
                raw["cloud_audience_urn"].as_str()
            );

            let sent = &client.seen()[0];
            assert_eq!(sent.method, Method::Get);
            assert_eq!(sent.url.path(), recorded["path"].as_str().unwrap());
            assert_eq!(sent.url.query(), recorded["raw_query"].as_str());
            // Deliberate difference: the authority's port is kept (Python went to 443).
            assert_eq!(sent.url.port(), Some(8443));
            assert_eq!(sent.header_value("Accept"), Some("application/json"));
            assert_eq!(
                sent.header_value("client-request-id"),
                recorded["headers"]["client-request-id"].as_str()
            );
            assert!(sent.body.is_empty());
        }
    }

    #[test]
    fn username_is_escaped_as_one_path_segment() {
        let url = user_realm_url(&authority(), "a/b?c#d e@x.com").unwrap();
        assert_eq!(
            url.as_str(),
            "https://127.0.0.1:8443/common/userrealm/a%2Fb%3Fc%23d%20e@x.com?api-version=1.0"
        );
        assert_eq!(
            user_realm_url(&authority(), "").unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
    }

    #[tokio::test]
    async fn not_found_means_unknown_account_type() {
        let client = FakeClient::answering(vec![HttpResponse::new(404, "Not Found")]);
        let realm = discover(
            &client.pipeline(),
            &authority(),
            "u@x",
            &RequestContext::new("c"),
        )
        .await
        .unwrap();
        assert_eq!(realm, UserRealm::unknown());
    }

    #[tokio::test]
    async fn other_failures_are_typed_errors_with_correlation_id() {
        let client = FakeClient::answering(vec![
            // A 500 is retried once by the pipeline, then classified.
            HttpResponse::new(500, "<html>oops</html>"),
            HttpResponse::new(500, "<html>oops</html>"),
            json_response(200, "{\"account_type\": 3}"),
            json_response(200, "not json"),
        ]);
        let ctx = RequestContext::new("cid");
        for kind in [
            ErrorKind::Service,
            ErrorKind::MalformedResponse,
            ErrorKind::MalformedResponse,
        ] {
            let err = discover(&client.pipeline(), &authority(), "u@x", &ctx)
                .await
                .unwrap_err();
            assert_eq!(err.kind(), kind);
            assert_eq!(err.correlation(), Some("cid"));
        }
    }

    #[test]
    fn account_type_is_case_insensitive_and_unknown_fields_are_kept() {
        let r = UserRealm::from_json(
            br#"{"ver":"1.0","account_type":"FEDERATED","is_consumer_domain":false}"#,
        )
        .unwrap();
        assert_eq!(r.account_type, AccountType::Federated);
        assert_eq!(r.extra["is_consumer_domain"], false);
        for other in ["\"Unknown\"", "\"Alien\"", "null"] {
            let body = format!(r#"{{"account_type":{other}}}"#);
            let r = UserRealm::from_json(body.as_bytes()).unwrap();
            assert_eq!(r.account_type, AccountType::Unknown);
        }
        let r = UserRealm::from_json(br#"{"account_type":"managed"}"#).unwrap();
        assert_eq!(r.account_type, AccountType::Managed);
    }
}

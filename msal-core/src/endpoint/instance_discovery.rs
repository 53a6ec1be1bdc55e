//! The instance discovery endpoint (protocol.md 8.3): asks Entra whether an authority host is
//! a Microsoft cloud, and which hosts are its aliases.
//!
//! `GET https://login.microsoftonline.com/common/discovery/instance?api-version=1.1&authorization_endpoint=...`
//! (or an application-given URL, to which the same two parameters are added). An unknown host
//! is answered with HTTP 400 `invalid_instance` (AADSTS50049), reported as
//! [`ErrorKind::InvalidAuthority`].

use serde::Deserialize;
use serde_json::{Map, Value};
use url::Url;

use crate::authority::{Authority, INSTANCE_DISCOVERY_HOST};
use crate::http::{HttpRequest, Pipeline, RequestContext};
use crate::oauth2::parse_error_response;
use crate::{Error, ErrorKind, Result};

/// The `api-version` sent to instance discovery.
pub const API_VERSION: &str = "1.1";

/// One cloud of the instance discovery answer: its hosts and which to use for what.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct InstanceMetadata {
    /// The host to send requests to.
    pub preferred_network: String,
    /// The host tokens are cached under (the cache `environment`).
    pub preferred_cache: String,
    /// Every host of the cloud.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Every other field, unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl InstanceMetadata {
    /// Metadata naming the given hosts; the first is both preferred hosts.
    pub fn new(preferred_network: &str, preferred_cache: &str, aliases: Vec<String>) -> Self {
        Self {
            preferred_network: preferred_network.to_owned(),
            preferred_cache: preferred_cache.to_owned(),
            aliases,
            extra: Map::new(),
        }
    }

    /// Metadata for a host nobody vouched for: the host is its only alias.
    pub fn single_host(host: &str) -> Self {
        Self::new(host, host, vec![host.to_owned()])
    }

    /// Whether the host (without port) is one of the aliases (case-insensitive).
    pub fn has_alias(&self, host: &str) -> bool {
        self.aliases.iter().any(|a| a.eq_ignore_ascii_case(host))
    }
}

/// The instance discovery answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct InstanceDiscoveryResponse {
    /// The OIDC discovery document URL of the authority that was asked about.
    pub tenant_discovery_endpoint: String,
    /// The `api-version` the service answered with.
    #[serde(rename = "api-version", default)]
    pub api_version: Option<String>,
    /// The clouds the service knows.
    #[serde(default)]
    pub metadata: Vec<InstanceMetadata>,
    /// Every other field, unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl InstanceDiscoveryResponse {
    /// The cloud whose aliases include the host (without port).
    pub fn metadata_for(&self, host: &str) -> Option<&InstanceMetadata> {
        self.metadata.iter().find(|m| m.has_alias(host))
    }
}

/// The default instance discovery URL: `https://login.microsoftonline.com/common/discovery/instance`.
pub fn default_endpoint() -> Url {
    // A constant, not input: it always parses (the unit tests call this).
    Url::parse(&format!(
        "https://{INSTANCE_DISCOVERY_HOST}/common/discovery/instance"
    ))
    .expect("the built-in instance discovery URL is valid")
}

/// The request URL: `endpoint` with `api-version` and `authorization_endpoint` added.
pub fn request_url(endpoint: &Url, authority: &Authority) -> Result<Url> {
    let authorize = authority.authorization_endpoint().ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "instance discovery applies to Entra ID authorities, not to a {} authority",
                authority.kind()
            ),
        )
    })?;
    let mut url = endpoint.clone();
    url.query_pairs_mut()
        .append_pair("api-version", API_VERSION)
        .append_pair("authorization_endpoint", authorize.as_str());
    Ok(url)
}

/// Asks instance discovery about the authority's host.
///
/// An unknown host (AADSTS50049) and every other 4xx answer are
/// [`ErrorKind::InvalidAuthority`] with the service's error kept; 5xx and 429 keep the kinds
/// [`parse_error_response`] gives them; a 200 answer without `tenant_discovery_endpoint` is
/// [`ErrorKind::MalformedResponse`].
pub async fn fetch(
    pipeline: &Pipeline,
    endpoint: &Url,
    authority: &Authority,
    ctx: &RequestContext,
) -> Result<InstanceDiscoveryResponse> {
    let url = request_url(endpoint, authority)?;
    tracing::debug!(authority = %authority, endpoint = %endpoint, "instance discovery");
    let request = HttpRequest::get(url).header("Accept", "application/json");
    let response = pipeline.send(request, ctx).await?;
    if !response.is_success() {
        return Err(discovery_error(parse_error_response(&response), authority)
            .correlation_id(ctx.correlation_id.clone()));
    }
    response.json("instance discovery answer")
}

/// Presents a failed instance discovery as an authority error when the client is to blame.
fn discovery_error(err: Error, authority: &Authority) -> Error {
    let Some(entra) = err.entra().cloned() else {
        return err;
    };
    if entra.http_status == 429 || entra.http_status >= 500 {
        return err;
    }
    let host = authority.host();
    let message = if entra.has_code(50049) || entra.error == "invalid_instance" {
        format!(
            "the authority host '{host}' is unknown to Microsoft Entra instance discovery \
             (AADSTS50049): check the host; if it is a private or test deployment, turn \
             instance discovery off (InstanceDiscovery::Disabled) or turn authority \
             validation off"
        )
    } else {
        format!(
            "instance discovery refused the authority host '{host}' (HTTP {}): {}",
            entra.http_status,
            err.message()
        )
    };
    Error::from_entra(ErrorKind::InvalidAuthority, message, entra)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::authority::test_support::{FakeClient, wire_exchange};

    const WIRE: &str = "msal_instance_discovery_custom.json";

    fn emulator() -> Authority {
        Authority::parse("https://127.0.0.1:8443/aaaabbbb-0000-cccc-1111-dddd2222eeee")
            .expect("authority")
    }

    #[test]
    fn default_endpoint_is_the_public_cloud_discovery_url() {
        assert_eq!(
            default_endpoint().as_str(),
            "https://login.microsoftonline.com/common/discovery/instance"
        );
    }

    #[test]
    fn request_url_carries_api_version_and_the_authorize_url_with_its_port() {
        let url = request_url(&default_endpoint(), &emulator()).expect("url");
        assert_eq!(
            url.query(),
            Some(
                "api-version=1.1&authorization_endpoint=https%3A%2F%2F127.0.0.1%3A8443%2F\
                 aaaabbbb-0000-cccc-1111-dddd2222eeee%2Foauth2%2Fv2.0%2Fauthorize"
            )
        );
    }

    #[tokio::test]
    async fn fetch_parses_the_recorded_custom_discovery_answer() {
        let recorded = wire_exchange(WIRE, 0);
        let client =
            Arc::new(FakeClient::new().route(&recorded.path, recorded.status, &recorded.response));
        let pipeline = Pipeline::new(client.clone());
        let endpoint = Url::parse("https://127.0.0.1:8443/common/discovery/instance").expect("url");
        let answer = fetch(
            &pipeline,
            &endpoint,
            &emulator(),
            &RequestContext::new("c1"),
        )
        .await
        .expect("discovery");
        assert_eq!(
            answer.tenant_discovery_endpoint,
            "https://127.0.0.1:8443/aaaabbbb-0000-cccc-1111-dddd2222eeee/v2.0/.well-known/openid-configuration"
        );
        assert_eq!(answer.api_version.as_deref(), Some("1.0"));
        let md = answer
            .metadata_for("127.0.0.1")
            .expect("metadata for the host");
        assert_eq!(md.preferred_cache, "127.0.0.1");
        assert!(answer.metadata_for("login.windows.net").is_none());
        let sent = client.requests();
        assert_eq!(sent.len(), 1);
        assert_eq!(
            sent[0].url.path(),
            recorded.path,
            "same path as MSAL Python"
        );
        assert_eq!(sent[0].header_value("client-request-id"), Some("c1"));
    }

    #[tokio::test]
    async fn fetch_keeps_unknown_fields_of_the_answer() {
        let body = r#"{"tenant_discovery_endpoint":"https://x/t/v2.0/.well-known/openid-configuration",
            "metadata":[{"preferred_network":"a","preferred_cache":"b","aliases":["a","b"],"new":1}],
            "future":true}"#;
        let client = Arc::new(FakeClient::new().route("/common/discovery/instance", 200, body));
        let answer = fetch(
            &Pipeline::new(client),
            &default_endpoint(),
            &emulator(),
            &RequestContext::generate(),
        )
        .await
        .expect("discovery");
        assert_eq!(answer.extra.get("future"), Some(&Value::Bool(true)));
        assert_eq!(answer.metadata[0].extra.get("new"), Some(&Value::from(1)));
    }

    #[tokio::test]
    async fn unknown_host_is_an_invalid_authority_that_suggests_turning_discovery_off() {
        let body = r#"{"error":"invalid_instance","error_description":"AADSTS50049: Unknown or invalid instance. Trace ID: t Correlation ID: c Timestamp: 2025-01-01 00:00:00Z","error_codes":[50049]}"#;
        let client = Arc::new(FakeClient::new().route("/common/discovery/instance", 400, body));
        let err = fetch(
            &Pipeline::new(client),
            &default_endpoint(),
            &emulator(),
            &RequestContext::generate(),
        )
        .await
        .expect_err("unknown host");
        assert_eq!(err.kind(), ErrorKind::InvalidAuthority);
        assert_eq!(err.aadsts_codes(), &[50049]);
        assert!(err.message().contains("'127.0.0.1'"));
        assert!(err.message().contains("InstanceDiscovery::Disabled"));
    }

    #[tokio::test]
    async fn server_errors_keep_their_retryable_kind() {
        let client = Arc::new(FakeClient::new().route(
            "/common/discovery/instance",
            503,
            r#"{"error":"temporarily_unavailable"}"#,
        ));
        let err = fetch(
            &Pipeline::new(client),
            &default_endpoint(),
            &emulator(),
            &RequestContext::generate(),
        )
        .await
        .expect_err("503");
        assert_eq!(err.kind(), ErrorKind::Service);
        assert!(err.is_retryable());
    }

    #[tokio::test]
    async fn answer_without_tenant_discovery_endpoint_is_malformed() {
        let client = Arc::new(FakeClient::new().route(
            "/common/discovery/instance",
            200,
            r#"{"metadata":[]}"#,
        ));
        let err = fetch(
            &Pipeline::new(client),
            &default_endpoint(),
            &emulator(),
            &RequestContext::generate(),
        )
        .await
        .expect_err("malformed");
        assert_eq!(err.kind(), ErrorKind::MalformedResponse);
    }
}

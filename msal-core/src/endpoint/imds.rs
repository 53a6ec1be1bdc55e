//! The managed identity token endpoints: the Azure Instance Metadata Service (IMDS) of virtual
//! machines, and the local identity endpoint of App Service and Functions.
//!
//! Both are plain `GET`s with the resource in the query and a header that proves the caller
//! runs on the host (`Metadata: true` for IMDS, `X-IDENTITY-HEADER` for App Service). They
//! answer with a JSON token whose expiry is `expires_on`, an epoch time sent as a string or a
//! number. The endpoint URL is injectable so that tests and emulators can stand in for the
//! host.
//!
//! ```
//! use msal_core::endpoint::imds::{ManagedIdentitySource, UserAssignedId, scope_to_resource};
//!
//! let resource = scope_to_resource("https://management.azure.com/.default")?;
//! let id = UserAssignedId::ClientId("11111111-2222-3333-4444-555555555555".into());
//! let request = ManagedIdentitySource::imds().token_request(&resource, Some(&id));
//! assert_eq!(request.header_value("Metadata"), Some("true"));
//! assert_eq!(
//!     request.url.as_str(),
//!     "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01\
//!      &resource=https%3A%2F%2Fmanagement.azure.com\
//!      &client_id=11111111-2222-3333-4444-555555555555"
//! );
//! # Ok::<(), msal_core::Error>(())
//! ```

use std::time::Duration;

use serde::Deserialize;
use time::OffsetDateTime;
use url::Url;

use crate::http::{HttpRequest, HttpResponse, Pipeline, RequestContext};
use crate::{EntraError, Error, ErrorKind, Result, Secret};

/// The IMDS token endpoint of Azure virtual machines.
pub const IMDS_TOKEN_URL: &str = "http://169.254.169.254/metadata/identity/oauth2/token";
/// The IMDS API version sent.
pub const IMDS_API_VERSION: &str = "2018-02-01";
/// The App Service identity endpoint API version sent.
pub const APP_SERVICE_API_VERSION: &str = "2019-08-01";

/// Which user-assigned identity to get a token for. Without one, the host's system-assigned
/// identity answers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UserAssignedId {
    /// The identity's client (application) id.
    ClientId(String),
    /// The identity's object (principal) id.
    ObjectId(String),
    /// The identity's Azure resource id (`/subscriptions/.../userAssignedIdentities/name`).
    ResourceId(String),
}

/// Where a managed identity token comes from.
///
/// `Debug` never shows the App Service identity header.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ManagedIdentitySource {
    /// The Instance Metadata Service of a virtual machine (or scale set, AKS node, ...).
    Imds {
        /// The token endpoint; [`IMDS_TOKEN_URL`] on Azure.
        endpoint: Url,
    },
    /// App Service and Functions: `IDENTITY_ENDPOINT` and `IDENTITY_HEADER`.
    AppService {
        /// `IDENTITY_ENDPOINT`.
        endpoint: Url,
        /// `IDENTITY_HEADER`: proves the caller runs inside the app.
        identity_header: Secret,
    },
}

impl ManagedIdentitySource {
    /// IMDS at its Azure address.
    pub fn imds() -> Self {
        // A constant, not input: it always parses (a unit test checks it).
        let endpoint = Url::parse(IMDS_TOKEN_URL).expect("IMDS_TOKEN_URL is a valid URL");
        Self::Imds { endpoint }
    }

    /// IMDS at another address (a test server, `AZURE_POD_IDENTITY_AUTHORITY_HOST`).
    pub fn imds_at(endpoint: Url) -> Self {
        Self::Imds { endpoint }
    }

    /// The App Service identity endpoint from `IDENTITY_ENDPOINT` and `IDENTITY_HEADER`.
    pub fn app_service(endpoint: Url, identity_header: Secret) -> Self {
        Self::AppService {
            endpoint,
            identity_header,
        }
    }

    /// The token request for `resource` (a resource URI such as
    /// `https://management.azure.com`, see [`scope_to_resource`]).
    pub fn token_request(&self, resource: &str, id: Option<&UserAssignedId>) -> HttpRequest {
        let (endpoint, api_version, resource_id_name) = match self {
            Self::Imds { endpoint } => (endpoint, IMDS_API_VERSION, "msi_res_id"),
            Self::AppService { endpoint, .. } => (endpoint, APP_SERVICE_API_VERSION, "mi_res_id"),
        };
        let mut url = endpoint.clone();
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("api-version", api_version)
                .append_pair("resource", resource);
            match id {
                Some(UserAssignedId::ClientId(v)) => query.append_pair("client_id", v),
                Some(UserAssignedId::ObjectId(v)) => query.append_pair("object_id", v),
                Some(UserAssignedId::ResourceId(v)) => query.append_pair(resource_id_name, v),
                None => &mut query,
            };
        }
        let request = HttpRequest::get(url);
        match self {
            Self::Imds { .. } => request.header("Metadata", "true"),
            Self::AppService {
                identity_header, ..
            } => request.header("X-IDENTITY-HEADER", identity_header.expose()),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Self::Imds { .. } => "IMDS",
            Self::AppService { .. } => "App Service identity endpoint",
        }
    }
}

/// The resource of a `.default` scope: `https://x/.default` becomes `https://x`. A scope
/// without the suffix is taken as the resource itself; an empty one is
/// [`ErrorKind::InvalidArgument`]. Managed identity takes exactly one resource.
pub fn scope_to_resource(scope: &str) -> Result<String> {
    let resource = scope.trim();
    let resource = resource.strip_suffix("/.default").unwrap_or(resource);
    if resource.is_empty() || resource.contains(char::is_whitespace) {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "managed identity needs exactly one scope, such as https://management.azure.com/.default",
        ));
    }
    Ok(resource.to_owned())
}

/// A managed identity token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ManagedIdentityToken {
    /// The access token.
    pub access_token: Secret,
    /// When the token expires.
    pub expires_on: OffsetDateTime,
    /// The token's lifetime in seconds, when the endpoint sent it.
    pub expires_in: Option<u64>,
    /// When to renew the token, in seconds from now, when the endpoint sent it.
    pub refresh_in: Option<u64>,
    /// The resource the token is for, as the endpoint echoed it.
    pub resource: Option<String>,
    /// The token type, `Bearer`.
    pub token_type: String,
    /// The client id of the identity that answered.
    pub client_id: Option<String>,
}

/// The JSON body as sent: numbers may come as strings.
#[derive(Deserialize)]
struct WireToken {
    access_token: Option<Secret>,
    expires_on: Option<serde_json::Value>,
    expires_in: Option<serde_json::Value>,
    refresh_in: Option<serde_json::Value>,
    resource: Option<String>,
    token_type: Option<String>,
    client_id: Option<String>,
}

/// Reads a token endpoint answer. A non-2xx answer becomes the error [`error_of`] describes.
pub fn parse_response(
    source: &ManagedIdentitySource,
    response: &HttpResponse,
) -> Result<ManagedIdentityToken> {
    if !response.is_success() {
        return Err(error_of(source, response));
    }
    let wire: WireToken = response.json("managed identity token answer")?;
    let malformed = |what: &str| {
        Error::new(
            ErrorKind::MalformedResponse,
            format!("the managed identity token answer has {what}"),
        )
    };
    let access_token = wire
        .access_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| malformed("no access_token"))?;
    let expires_in = wire
        .expires_in
        .as_ref()
        .map(seconds)
        .transpose()
        .map_err(|()| malformed("an expires_in that is not a number of seconds"))?;
    let refresh_in = wire
        .refresh_in
        .as_ref()
        .map(seconds)
        .transpose()
        .map_err(|()| malformed("a refresh_in that is not a number of seconds"))?;
    let expires_on = match (&wire.expires_on, expires_in) {
        (Some(on), _) => seconds(on)
            .ok()
            .and_then(|s| i64::try_from(s).ok())
            .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
            .ok_or_else(|| malformed("an expires_on that is not an epoch time"))?,
        (None, Some(lifetime)) => i64::try_from(lifetime)
            .ok()
            .and_then(|secs| OffsetDateTime::now_utc().checked_add(time::Duration::seconds(secs)))
            .ok_or_else(|| malformed("an expires_in too large to be a lifetime"))?,
        (None, None) => return Err(malformed("neither expires_on nor expires_in")),
    };
    Ok(ManagedIdentityToken {
        access_token,
        expires_on,
        expires_in,
        refresh_in,
        resource: wire.resource,
        token_type: wire.token_type.unwrap_or_else(|| "Bearer".to_owned()),
        client_id: wire.client_id,
    })
}

/// A non-negative whole number of seconds, sent as a JSON number or a decimal string.
fn seconds(value: &serde_json::Value) -> std::result::Result<u64, ()> {
    match value {
        serde_json::Value::Number(n) => n.as_u64().ok_or(()),
        serde_json::Value::String(s) => s.trim().parse().map_err(|_| ()),
        _ => Err(()),
    }
}

/// Whether the managed identity endpoints' retry policy sends a request again after this
/// status: 404 (IMDS not ready yet), 408, 410 (IMDS being upgraded), 429 and 5xx.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 404 | 408 | 410 | 429 | 500..=599)
}

/// The error of a non-2xx answer:
/// - IMDS 400: the requested identity is not assigned to this host,
///   [`ErrorKind::CredentialUnavailable`];
/// - 429: [`ErrorKind::Throttled`] with the `Retry-After` wait;
/// - anything else (404, 410, 5xx, App Service 400): [`ErrorKind::Service`]; see
///   [`is_retryable_status`] for which to retry.
///
/// The body's `error`/`error_description` (IMDS) or `message` (App Service) is kept in
/// [`Error::entra`].
pub fn error_of(source: &ManagedIdentitySource, response: &HttpResponse) -> Error {
    let entra = error_body(response);
    let detail = entra
        .error_description
        .clone()
        .unwrap_or_else(|| entra.error.clone());
    let status = response.status;
    let name = source.name();
    let (kind, message) = match (source, status) {
        (ManagedIdentitySource::Imds { .. }, 400) => (
            ErrorKind::CredentialUnavailable,
            format!(
                "the requested managed identity is not assigned to this resource ({name} HTTP 400: {detail})"
            ),
        ),
        (_, 429) => (
            ErrorKind::Throttled,
            format!("{name} is throttling token requests (HTTP 429): {detail}"),
        ),
        (_, 410) | (_, 503) => (
            ErrorKind::Service,
            format!("{name} is temporarily unavailable (HTTP {status}), try again: {detail}"),
        ),
        _ => (
            ErrorKind::Service,
            format!("{name} refused the token request (HTTP {status}): {detail}"),
        ),
    };
    let retry_after = response
        .header("Retry-After")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let error = Error::from_entra(kind, message, entra);
    match retry_after {
        Some(wait) => error.retry_after(wait),
        None => error,
    }
}

/// The error body of IMDS (`error`, `error_description`) or App Service (`message`,
/// `correlationId`, or `error: {code, message}`), as an [`EntraError`].
fn error_body(response: &HttpResponse) -> EntraError {
    let mut entra = EntraError {
        http_status: response.status,
        ..EntraError::default()
    };
    let Ok(serde_json::Value::Object(body)) = serde_json::from_slice(&response.body) else {
        entra.error = format!("http_{}", response.status);
        return entra;
    };
    let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(|s| truncate(s, 512));
    let nested = body.get("error").and_then(|e| e.as_object());
    entra.error = text(body.get("error"))
        .or_else(|| text(nested.and_then(|e| e.get("code"))))
        .unwrap_or_else(|| format!("http_{}", response.status));
    entra.error_description = text(body.get("error_description"))
        .or_else(|| text(body.get("message")))
        .or_else(|| text(nested.and_then(|e| e.get("message"))));
    entra.correlation_id =
        text(body.get("correlation_id")).or_else(|| text(body.get("correlationId")));
    entra
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Gets a managed identity token for `resource` from `source`.
///
/// When IMDS cannot be reached at all the host has no managed identity: that is
/// [`ErrorKind::CredentialUnavailable`] ("no managed identity endpoint found"), so that a
/// chain of credentials moves on. Other failures are those of [`parse_response`].
pub async fn request_token(
    pipeline: &Pipeline,
    source: &ManagedIdentitySource,
    resource: &str,
    id: Option<&UserAssignedId>,
    ctx: &RequestContext,
) -> Result<ManagedIdentityToken> {
    let request = source.token_request(resource, id);
    let response = match pipeline.send(request, ctx).await {
        Ok(response) => response,
        Err(e)
            if matches!(source, ManagedIdentitySource::Imds { .. })
                && (e.is_transport() || e.is_timeout()) =>
        {
            return Err(Error::with_source(
                ErrorKind::CredentialUnavailable,
                "no managed identity endpoint found: IMDS did not answer",
                e,
            ));
        }
        Err(e) => return Err(e),
    };
    parse_response(source, &response).map_err(|e| e.correlation_id(ctx.correlation_id.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Method;
    use crate::wstrust::fixtures::FakeClient;

    const RESOURCE: &str = "https://management.azure.com";

    use crate::test_support::block_on as run;

    fn app_service() -> ManagedIdentitySource {
        ManagedIdentitySource::app_service(
            "http://127.0.0.1:41741/msi/token".parse().unwrap(),
            Secret::new("identity-header-value"),
        )
    }

    fn query(request: &HttpRequest) -> Vec<(String, String)> {
        request.url.query_pairs().into_owned().collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn default_imds_endpoint_is_the_link_local_address() {
        let ManagedIdentitySource::Imds { endpoint } = ManagedIdentitySource::imds() else {
            panic!("not IMDS");
        };
        assert_eq!(endpoint.as_str(), IMDS_TOKEN_URL);
    }

    #[test]
    fn imds_request_for_system_assigned_identity() {
        let request = ManagedIdentitySource::imds().token_request(RESOURCE, None);
        assert_eq!(request.method, Method::Get);
        assert_eq!(
            request.url.as_str(),
            "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com"
        );
        assert_eq!(request.header_value("Metadata"), Some("true"));
        assert!(!request.has_header("X-IDENTITY-HEADER"));
        assert!(request.body.is_empty());
    }

    #[test]
    fn imds_request_names_user_assigned_identities_by_imds_parameter_names() {
        let source = ManagedIdentitySource::imds_at(
            "http://127.0.0.1:9/metadata/identity/oauth2/token"
                .parse()
                .unwrap(),
        );
        let cases = [
            (UserAssignedId::ClientId("cid".into()), "client_id", "cid"),
            (UserAssignedId::ObjectId("oid".into()), "object_id", "oid"),
            (
                UserAssignedId::ResourceId("/sub/rid".into()),
                "msi_res_id",
                "/sub/rid",
            ),
        ];
        for (id, name, value) in cases {
            let request = source.token_request(RESOURCE, Some(&id));
            assert_eq!(request.url.host_str(), Some("127.0.0.1"));
            assert_eq!(request.url.port(), Some(9));
            assert_eq!(
                query(&request),
                pairs(&[
                    ("api-version", "2018-02-01"),
                    ("resource", RESOURCE),
                    (name, value)
                ])
            );
        }
    }

    #[test]
    fn app_service_request_sends_the_identity_header_and_its_parameter_names() {
        let request = app_service().token_request(
            RESOURCE,
            Some(&UserAssignedId::ResourceId("/sub/rid".into())),
        );
        assert_eq!(request.url.path(), "/msi/token");
        assert_eq!(
            query(&request),
            pairs(&[
                ("api-version", "2019-08-01"),
                ("resource", RESOURCE),
                ("mi_res_id", "/sub/rid")
            ])
        );
        assert_eq!(
            request.header_value("X-IDENTITY-HEADER"),
            Some("identity-header-value")
        );
        assert!(!request.has_header("Metadata"));
        let object =
            app_service().token_request(RESOURCE, Some(&UserAssignedId::ObjectId("o".into())));
        assert!(query(&object).contains(&("object_id".to_owned(), "o".to_owned())));
    }

    #[test]
    fn source_debug_hides_the_identity_header() {
        assert!(!format!("{:?}", app_service()).contains("identity-header-value"));
    }

    #[test]
    fn default_scope_converts_to_its_resource() {
        assert_eq!(
            scope_to_resource("https://management.azure.com/.default").unwrap(),
            "https://management.azure.com"
        );
        assert_eq!(
            scope_to_resource("https://vault.azure.net").unwrap(),
            "https://vault.azure.net"
        );
        for bad in ["", "  ", "/.default", "a b"] {
            let err = scope_to_resource(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{bad:?}");
        }
    }

    #[test]
    fn token_with_expires_on_as_string_or_number() {
        let as_string = r#"{"access_token":"at-1","client_id":"cid","expires_in":"86399","expires_on":"1700000000","ext_expires_in":"86399","not_before":"1699913300","resource":"https://management.azure.com/","token_type":"Bearer"}"#;
        let as_number = r#"{"access_token":"at-1","expires_on":1700000000,"resource":"https://management.azure.com","token_type":"Bearer","client_id":"cid","refresh_in":43199}"#;
        for body in [as_string, as_number] {
            let token = parse_response(
                &ManagedIdentitySource::imds(),
                &HttpResponse::new(200, body),
            )
            .unwrap();
            assert_eq!(token.access_token.expose(), "at-1");
            assert_eq!(token.expires_on.unix_timestamp(), 1_700_000_000);
            assert_eq!(token.token_type, "Bearer");
            assert_eq!(token.client_id.as_deref(), Some("cid"));
            assert!(
                token
                    .resource
                    .unwrap()
                    .starts_with("https://management.azure.com")
            );
            assert!(
                !format!(
                    "{:?}",
                    parse_response(&app_service(), &HttpResponse::new(200, body))
                )
                .contains("at-1")
            );
        }
        let string_token =
            parse_response(&app_service(), &HttpResponse::new(200, as_string)).unwrap();
        assert_eq!(string_token.expires_in, Some(86399));
        assert_eq!(string_token.refresh_in, None);
        let number_token =
            parse_response(&app_service(), &HttpResponse::new(200, as_number)).unwrap();
        assert_eq!(number_token.refresh_in, Some(43199));
    }

    #[test]
    fn expires_in_alone_sets_expiry_from_now() {
        let body = r#"{"access_token":"at","expires_in":3600}"#;
        let before = OffsetDateTime::now_utc();
        let token = parse_response(
            &ManagedIdentitySource::imds(),
            &HttpResponse::new(200, body),
        )
        .unwrap();
        let lifetime = token.expires_on - before;
        assert!(
            lifetime >= time::Duration::seconds(3599) && lifetime <= time::Duration::seconds(3601)
        );
        assert_eq!(token.token_type, "Bearer");
    }

    #[test]
    fn malformed_tokens_are_rejected() {
        for body in [
            r#"{"expires_on":"1700000000"}"#,
            r#"{"access_token":"","expires_on":"1700000000"}"#,
            r#"{"access_token":"at","expires_on":"09/14/2017 00:00:00 PM +00:00"}"#,
            r#"{"access_token":"at","expires_on":-5}"#,
            r#"{"access_token":"at"}"#,
            r#"{"access_token":"at","expires_on":"1700000000","expires_in":"soon"}"#,
            r#"{"access_token":"at","expires_in":18446744073709551615}"#,
            r#"{"access_token":"at","expires_on":"99999999999999999"}"#,
            "<html>captive portal</html>",
        ] {
            let err = parse_response(
                &ManagedIdentitySource::imds(),
                &HttpResponse::new(200, body),
            )
            .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::MalformedResponse, "{body}");
        }
    }

    #[test]
    fn imds_400_means_the_identity_is_not_assigned() {
        let body = r#"{"error":"invalid_request","error_description":"Identity not found"}"#;
        let err = parse_response(
            &ManagedIdentitySource::imds(),
            &HttpResponse::new(400, body),
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CredentialUnavailable);
        assert!(err.message().contains("Identity not found"));
        let entra = err.entra().unwrap();
        assert_eq!(entra.error, "invalid_request");
        assert_eq!(entra.http_status, 400);
    }

    #[test]
    fn app_service_400_is_a_service_error_with_its_message() {
        let body = r#"{"statusCode":400,"message":"Unable to load the proper Managed Identity.","correlationId":"c-1"}"#;
        let err = parse_response(&app_service(), &HttpResponse::new(400, body)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Service);
        assert!(
            err.message()
                .contains("Unable to load the proper Managed Identity.")
        );
        assert_eq!(err.correlation(), Some("c-1"));
    }

    #[test]
    fn transient_statuses_are_typed_and_retryable() {
        let imds = ManagedIdentitySource::imds();
        let not_found = parse_response(&imds, &HttpResponse::new(404, "")).unwrap_err();
        assert_eq!(not_found.kind(), ErrorKind::Service);
        assert!(is_retryable_status(404));

        let upgrading = parse_response(&imds, &HttpResponse::new(410, "")).unwrap_err();
        assert_eq!(upgrading.kind(), ErrorKind::Service);
        assert!(upgrading.message().contains("temporarily unavailable"));
        assert!(is_retryable_status(410));

        let unavailable = parse_response(&imds, &HttpResponse::new(503, "")).unwrap_err();
        assert_eq!(unavailable.kind(), ErrorKind::Service);
        assert!(unavailable.is_retryable());
        assert!(is_retryable_status(503));

        let mut throttled = HttpResponse::new(429, r#"{"error":"too_many_requests"}"#);
        throttled.headers.push(("Retry-After".into(), "7".into()));
        let err = parse_response(&imds, &throttled).unwrap_err();
        assert!(err.is_throttled());
        assert_eq!(err.retry_after_duration(), Some(Duration::from_secs(7)));

        assert!(!is_retryable_status(400));
        assert!(!is_retryable_status(401));
    }

    #[test]
    fn request_token_sends_the_request_and_reads_the_token() {
        let body = r#"{"access_token":"at-2","expires_on":"1700000000","resource":"https://management.azure.com","token_type":"Bearer"}"#;
        let client = FakeClient::answering(Ok(HttpResponse::new(200, body)));
        let pipeline = Pipeline::new(client.clone());
        let source = ManagedIdentitySource::imds_at("http://127.0.0.1:9/token".parse().unwrap());
        let ctx = RequestContext::new("corr-mi");
        let token = run(request_token(&pipeline, &source, RESOURCE, None, &ctx)).unwrap();
        assert_eq!(token.access_token.expose(), "at-2");
        let sent = client.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].method, Method::Get);
        assert_eq!(
            sent[0].url.as_str(),
            "http://127.0.0.1:9/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com"
        );
        assert_eq!(sent[0].header_value("Metadata"), Some("true"));
    }

    #[test]
    fn unreachable_imds_means_no_managed_identity() {
        for cause in [ErrorKind::Transport, ErrorKind::Timeout] {
            let client = FakeClient::answering(Err(Error::new(cause, "no route to host")));
            let pipeline = Pipeline::new(client);
            let err = run(request_token(
                &pipeline,
                &ManagedIdentitySource::imds(),
                RESOURCE,
                None,
                &RequestContext::generate(),
            ))
            .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::CredentialUnavailable);
            assert!(err.message().contains("no managed identity endpoint found"));
            assert!(std::error::Error::source(&err).is_some());
        }
    }

    #[test]
    fn unreachable_app_service_endpoint_keeps_the_transport_error() {
        let client = FakeClient::answering(Err(Error::new(ErrorKind::Transport, "refused")));
        let pipeline = Pipeline::new(client);
        let err = run(request_token(
            &pipeline,
            &app_service(),
            RESOURCE,
            None,
            &RequestContext::generate(),
        ))
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Transport);
    }
}

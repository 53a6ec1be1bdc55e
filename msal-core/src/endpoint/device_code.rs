//! The device authorization endpoint (`POST {authority}/oauth2/v2.0/devicecode`), which
//! starts the device code flow. Polling goes to the token endpoint with
//! [`Grant::DeviceCode`](crate::oauth2::Grant::DeviceCode).
//!
//! Sent: `client_id`, the decorated `scope` and, unlike MSAL Python but like MSAL Go and
//! .NET, `claims` when there is a challenge or a client capability. MSAL Python sends
//! `Accept: */*` here; we send `Accept: application/json` as on every other JSON endpoint.

use url::Url;

use crate::http::{HttpRequest, Pipeline, RequestContext};
use crate::oauth2::{DeviceCodeResponse, Scopes, parse_error_response};
use crate::{Error, ErrorKind, Result};

/// What is sent to start a device code flow.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeviceCodeRequest {
    /// The application's client id.
    pub client_id: String,
    /// The scopes, decorated for a user flow ([`Scopes::for_user`]).
    pub scopes: Scopes,
    /// The `claims` parameter, when there is one.
    pub claims: Option<String>,
}

impl DeviceCodeRequest {
    /// A request for the application and (already decorated) scopes, without claims.
    pub fn new(client_id: impl Into<String>, scopes: Scopes) -> Self {
        Self {
            client_id: client_id.into(),
            scopes,
            claims: None,
        }
    }

    /// Sets the `claims` parameter.
    #[must_use]
    pub fn claims(mut self, claims: Option<String>) -> Self {
        self.claims = claims.filter(|c| !c.is_empty());
        self
    }

    /// The `POST` to the device authorization endpoint. Fails with
    /// [`ErrorKind::InvalidArgument`] when the client id is empty.
    pub fn to_http_request(&self, endpoint: &Url) -> Result<HttpRequest> {
        if self.client_id.trim().is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "the client id is empty",
            ));
        }
        let scope = self.scopes.to_wire();
        let pairs = [
            ("client_id", self.client_id.as_str()),
            ("scope", scope.as_str()),
            ("claims", self.claims.as_deref().unwrap_or("")),
        ];
        Ok(HttpRequest::post_form(endpoint.clone(), pairs).header("Accept", "application/json"))
    }
}

/// Starts a device code flow: posts the request and parses the answer.
///
/// A 2xx answer is parsed into a [`DeviceCodeResponse`] (malformed ones are
/// [`ErrorKind::MalformedResponse`]); any other answer is the classified error of
/// [`parse_error_response`] (a bad scope, an app without public client flows, ...). Errors
/// carry the correlation id of `ctx`.
pub async fn initiate(
    pipeline: &Pipeline,
    device_code_endpoint: &Url,
    request: &DeviceCodeRequest,
    ctx: &RequestContext,
) -> Result<DeviceCodeResponse> {
    let with_id = |e: Error| e.correlation_id(ctx.correlation_id.clone());
    let http = request
        .to_http_request(device_code_endpoint)
        .map_err(with_id)?;
    let response = pipeline.send(http, ctx).await.map_err(with_id)?;
    if !response.is_success() {
        return Err(with_id(parse_error_response(&response)));
    }
    DeviceCodeResponse::from_json(&response.body).map_err(with_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Method;
    use crate::oauth2::merge_claims;
    use crate::oauth2::test_support::{
        FakeClient, json_response, requests, response_body, sorted_form,
    };

    fn endpoint() -> Url {
        Url::parse(
            "https://127.0.0.1:8443/aaaabbbb-0000-cccc-1111-dddd2222eeee/oauth2/v2.0/devicecode",
        )
        .unwrap()
    }

    fn request() -> DeviceCodeRequest {
        DeviceCodeRequest::new(
            "11111111-1111-1111-1111-111111111111",
            Scopes::for_user(&["https://graph.microsoft.com/User.Read"], false).unwrap(),
        )
    }

    #[tokio::test]
    async fn initiation_sends_the_recorded_body_and_parses_the_recorded_answer() {
        let recorded = requests("msal_device_code", "POST", "/devicecode").remove(0);
        let client = FakeClient::answering(vec![json_response(200, response_body(&recorded))]);
        let ctx = RequestContext::new("6060a0d4-ada1-420f-874e-deb616bdd158");
        let flow = initiate(&client.pipeline(), &endpoint(), &request(), &ctx)
            .await
            .unwrap();
        assert_eq!(flow.user_code, "FAKE-CODE");
        assert_eq!(flow.interval, 1);

        let sent = &client.seen()[0];
        assert_eq!(sent.method, Method::Post);
        assert_eq!(sent.url.path(), recorded["path"].as_str().unwrap());
        assert_eq!(
            sorted_form(&sent.body),
            sorted_form(recorded["body"].as_str().unwrap().as_bytes())
        );
        assert_eq!(
            sent.header_value("Content-Type"),
            recorded["headers"]["Content-Type"].as_str()
        );
        assert_eq!(
            sent.header_value("client-request-id"),
            recorded["headers"]["client-request-id"].as_str()
        );
        assert_eq!(sent.header_value("Accept"), Some("application/json"));
    }

    #[tokio::test]
    async fn claims_are_sent_when_present() {
        let client = FakeClient::answering(vec![json_response(
            200,
            r#"{"user_code":"A","device_code":"d","verification_uri":"u"}"#,
        )]);
        let claims = merge_claims(None, &["CP1"]).unwrap();
        let req = request().claims(claims.clone());
        initiate(
            &client.pipeline(),
            &endpoint(),
            &req,
            &RequestContext::new("c"),
        )
        .await
        .unwrap();
        let form = sorted_form(&client.seen()[0].body);
        assert!(form.contains(&("claims".to_owned(), claims.unwrap())));
    }

    #[tokio::test]
    async fn error_answer_is_classified_with_correlation_id() {
        let client = FakeClient::answering(vec![json_response(
            400,
            r#"{"error":"invalid_scope","error_description":"AADSTS70011: The provided value for the input parameter 'scope' is not valid.","error_codes":[70011]}"#,
        )]);
        let err = initiate(
            &client.pipeline(),
            &endpoint(),
            &request(),
            &RequestContext::new("cid"),
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert_eq!(err.aadsts_codes(), &[70011]);
        assert_eq!(err.correlation(), Some("cid"));

        let client = FakeClient::answering(vec![json_response(200, "<html/>")]);
        let err = initiate(
            &client.pipeline(),
            &endpoint(),
            &request(),
            &RequestContext::new("cid"),
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MalformedResponse);
    }

    #[test]
    fn empty_client_id_is_invalid_argument() {
        let req = DeviceCodeRequest::new(" ", Scopes::default());
        assert_eq!(
            req.to_http_request(&endpoint()).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
    }
}

//! The token endpoint (`POST {authority}/oauth2/v2.0/token`): every grant goes through
//! [`request_token`].

use url::Url;

use crate::Result;
use crate::http::{Pipeline, RequestContext};
use crate::oauth2::{TokenRequest, TokenResponse, parse_error_response};

/// Posts the request to the token endpoint and parses the answer.
///
/// The body is the form of [`TokenRequest::to_http_request`] with `Accept: application/json`
/// and the routing hint. A 2xx answer is parsed into a [`TokenResponse`]; any other answer
/// becomes the classified error of [`parse_error_response`]. Every error carries the
/// correlation id of `ctx` (unless the service named its own).
///
/// Errors: [`ErrorKind::InvalidArgument`](crate::ErrorKind) for a request that cannot be sent,
/// the pipeline's transport errors, the service's classified errors, and
/// [`ErrorKind::MalformedResponse`](crate::ErrorKind) for a 2xx answer that is not a valid
/// token response.
pub async fn request_token(
    pipeline: &Pipeline,
    token_endpoint: &Url,
    request: &TokenRequest,
    ctx: &RequestContext,
) -> Result<TokenResponse> {
    let with_id = |e: crate::Error| e.correlation_id(ctx.correlation_id.clone());
    let http = request.to_http_request(token_endpoint).map_err(with_id)?;
    let response = pipeline.send(http, ctx).await.map_err(with_id)?;
    if !response.is_success() {
        return Err(with_id(parse_error_response(&response)));
    }
    TokenResponse::from_json(&response.body).map_err(with_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Method;
    use crate::oauth2::test_support::{
        FakeClient, form_value, json_response, only_token_request, response_body, sorted_form,
    };
    use crate::oauth2::{AnchorMailbox, Grant, Scopes};
    use crate::{ErrorKind, Secret};

    fn endpoint() -> Url {
        Url::parse("https://127.0.0.1:8443/aaaabbbb-0000-cccc-1111-dddd2222eeee/oauth2/v2.0/token")
            .unwrap()
    }

    fn ropc(password: &str) -> TokenRequest {
        TokenRequest::new(
            "11111111-1111-1111-1111-111111111111",
            Grant::Password {
                username: "alice@managed.test".into(),
                password: Secret::new(password),
            },
        )
        .scopes(Scopes::for_user(&["https://graph.microsoft.com/User.Read"], false).unwrap())
    }

    #[tokio::test]
    async fn ropc_exchange_sends_the_recorded_request_and_parses_the_recorded_answer() {
        let recorded = only_token_request("msal_ropc_managed");
        let client = FakeClient::answering(vec![json_response(200, response_body(&recorded))]);
        let ctx = RequestContext::new("1d361ebd-93c6-4b93-a19a-268656a0457b");
        let request = ropc(&form_value(&recorded, "password"));
        let token = request_token(&client.pipeline(), &endpoint(), &request, &ctx)
            .await
            .unwrap();
        assert!(token.refresh_token.is_some());

        let seen = client.seen();
        assert_eq!(seen.len(), 1);
        let sent = &seen[0];
        assert_eq!(sent.method, Method::Post);
        assert_eq!(sent.url.path(), recorded["path"].as_str().unwrap());
        assert_eq!(sent.url.port(), Some(8443));
        for header in [
            "Accept",
            "Content-Type",
            "X-AnchorMailbox",
            "client-request-id",
        ] {
            assert_eq!(
                sent.header_value(header),
                recorded["headers"][header].as_str(),
                "{header}"
            );
        }
        assert_eq!(
            sorted_form(&sent.body),
            sorted_form(recorded["body"].as_str().unwrap().as_bytes())
        );
    }

    #[tokio::test]
    async fn error_answer_is_classified_and_carries_the_correlation_id() {
        let recorded = only_token_request("msal_ropc_bad_password");
        let client = FakeClient::answering(vec![json_response(400, response_body(&recorded))]);
        let ctx = RequestContext::new("ours");
        let err = request_token(
            &client.pipeline(),
            &endpoint(),
            &ropc("Zq9-not-shown"),
            &ctx,
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidGrant);
        // The service's own correlation id wins.
        assert_eq!(
            err.correlation(),
            Some("a9843a5f-6735-4542-818a-241aa83b318a")
        );
        assert!(!err.to_string().contains("Zq9-not-shown"));

        // A 503 is retried once by the pipeline, then classified.
        let client = FakeClient::answering(vec![
            json_response(503, "<html>down</html>"),
            json_response(503, "<html>down</html>"),
        ]);
        let err = request_token(&client.pipeline(), &endpoint(), &ropc("pw"), &ctx)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Service);
        assert_eq!(err.correlation(), Some("ours"));
    }

    #[tokio::test]
    async fn malformed_success_answer_is_malformed_response_with_correlation_id() {
        let client = FakeClient::answering(vec![json_response(200, "{\"token_type\":\"Bearer\"")]);
        let ctx = RequestContext::new("cid");
        let err = request_token(&client.pipeline(), &endpoint(), &ropc("pw"), &ctx)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MalformedResponse);
        assert_eq!(err.correlation(), Some("cid"));
    }

    #[tokio::test]
    async fn invalid_request_is_refused_before_sending() {
        let client = FakeClient::answering(vec![]);
        let request = TokenRequest::new(
            "app",
            Grant::RefreshToken {
                refresh_token: Secret::new(""),
            },
        )
        .anchor_mailbox(AnchorMailbox::Upn("a@b".into()));
        let err = request_token(
            &client.pipeline(),
            &endpoint(),
            &request,
            &RequestContext::new("cid"),
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(client.seen().is_empty());
    }
}

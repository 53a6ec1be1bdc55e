//! The WS-Trust username/password endpoint of a federated domain's identity provider.
//!
//! The client posts the user's credentials in a SOAP envelope and receives a signed SAML
//! assertion, which it redeems at the token endpoint with a SAML bearer grant. The envelope
//! and the answer are owned by [`crate::wstrust`].

use crate::http::{Pipeline, RequestContext};
use crate::wstrust::{RstEnvelope, WsTrustEndpoint, WsTrustToken, response};
use crate::{Result, Secret};

/// Asks the identity provider at `endpoint` for a SAML assertion for `username`.
///
/// `cloud_audience_urn` is user realm discovery's `cloud_audience_urn`; `None` (or empty)
/// means `urn:federation:MicrosoftOnline`. The answer's HTTP status is not looked at: AD FS
/// reports a wrong password as HTTP 500 with a SOAP fault, which becomes an
/// [`ErrorKind::WsTrust`](crate::ErrorKind::WsTrust) error carrying the fault's reason. A
/// failure to reach the endpoint is the pipeline's own error (transport or timeout).
pub async fn request_token(
    pipeline: &Pipeline,
    endpoint: &WsTrustEndpoint,
    username: &str,
    password: &Secret,
    cloud_audience_urn: Option<&str>,
    ctx: &RequestContext,
) -> Result<WsTrustToken> {
    let envelope = RstEnvelope::new(endpoint.clone(), username, password, cloud_audience_urn);
    let answer = pipeline.send(envelope.to_request(), ctx).await?;
    response::parse_http_response(&answer, endpoint.version, password)
        .map_err(|e| e.correlation_id(ctx.correlation_id.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use crate::http::{HttpResponse, Method};
    use crate::wstrust::fixtures::{self, FakeClient};
    use crate::wstrust::{SamlVersion, WsTrustVersion};

    use crate::test_support::block_on as run;

    fn text_of(body: &[u8], namespace: &str, name: &str) -> String {
        let text = std::str::from_utf8(body).unwrap();
        let doc = roxmltree::Document::parse(text).unwrap();
        doc.descendants()
            .find(|n| n.has_tag_name((namespace, name)))
            .and_then(|n| n.text())
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn request_token_posts_the_envelope_msal_python_posted_and_reads_the_answer() {
        for (recording, path, version) in [
            (
                "msal_ropc_federated",
                "/trust/13/usernamemixed",
                WsTrustVersion::WsTrust13,
            ),
            (
                "msal_ropc_federated_wstrust2005",
                "/trust/2005/usernamemixed",
                WsTrustVersion::WsTrust2005,
            ),
        ] {
            let recorded = fixtures::exchange(recording, "POST", path);
            let recorded_username = text_of(
                recorded.body.as_bytes(),
                crate::wstrust::ns::WSSE,
                "Username",
            );
            let recorded_password = text_of(
                recorded.body.as_bytes(),
                crate::wstrust::ns::WSSE,
                "Password",
            );
            let client = FakeClient::answering(Ok(HttpResponse::new(
                recorded.status,
                recorded.response.clone(),
            )));
            let pipeline = Pipeline::new(client.clone());
            let endpoint = WsTrustEndpoint {
                url: format!("https://127.0.0.1:8443{}", recorded.path)
                    .parse()
                    .unwrap(),
                version,
            };
            let ctx = RequestContext::new("corr-ws");
            let token = run(request_token(
                &pipeline,
                &endpoint,
                &recorded_username,
                &Secret::new(recorded_password.clone()),
                None,
                &ctx,
            ))
            .unwrap();
            assert_eq!(token.version, SamlVersion::Saml11);
            assert!(token.assertion.expose().starts_with("<saml:Assertion "));

            let sent = client.sent();
            assert_eq!(sent.len(), 1);
            let request = &sent[0];
            assert_eq!(request.method, Method::Post);
            assert_eq!(request.url.path(), recorded.path);
            for header in ["SOAPAction", "Content-type"] {
                assert_eq!(
                    request.header_value(header),
                    recorded.headers[header].as_str(),
                    "{header}"
                );
            }
            assert_eq!(request.header_value("client-request-id"), Some("corr-ws"));
            let ns = crate::wstrust::ns::WSSE;
            assert_eq!(text_of(&request.body, ns, "Username"), recorded_username);
            assert_eq!(text_of(&request.body, ns, "Password"), recorded_password);
            let to = text_of(&request.body, crate::wstrust::ns::WSA10, "To");
            assert_eq!(
                to,
                text_of(recorded.body.as_bytes(), crate::wstrust::ns::WSA10, "To")
            );
        }
    }

    #[test]
    fn fault_with_http_500_is_a_wstrust_error_with_its_reason() {
        let fault = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value xmlns:a="urn:x">a:FailedAuthentication</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">ID3242: The security token could not be authenticated or authorized.</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>"#;
        let client = FakeClient::answering(Ok(HttpResponse::new(500, fault)));
        let pipeline = Pipeline::new(client);
        let endpoint = WsTrustEndpoint::from_active_auth_url(
            "https://sts.contoso.com/adfs/services/trust/13/usernamemixed",
        )
        .unwrap();
        let ctx = RequestContext::new("corr-fault");
        let err = run(request_token(
            &pipeline,
            &endpoint,
            "bob@contoso.com",
            &Secret::new("wrong-password"),
            Some("urn:federation:MicrosoftOnline"),
            &ctx,
        ))
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WsTrust);
        assert!(err.message().contains("ID3242"));
        assert_eq!(err.correlation(), Some("corr-fault"));
        let printed = format!("{err} {err:?}");
        assert!(!printed.contains("wrong-password"));
        assert!(
            !printed.contains("bob@contoso.com"),
            "no request content echoed"
        );
    }

    #[test]
    fn unreachable_endpoint_keeps_the_transport_error() {
        let client = FakeClient::answering(Err(crate::Error::new(ErrorKind::Transport, "reset")));
        let pipeline = Pipeline::new(client);
        let endpoint = WsTrustEndpoint::from_active_auth_url(
            "https://sts.contoso.com/adfs/services/trust/2005/usernamemixed",
        )
        .unwrap();
        let err = run(request_token(
            &pipeline,
            &endpoint,
            "bob",
            &Secret::new("pw"),
            None,
            &RequestContext::generate(),
        ))
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Transport);
    }
}

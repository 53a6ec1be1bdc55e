//! The federation metadata (MEX) endpoint of a federated domain's identity provider.
//!
//! User realm discovery names it (`federation_metadata_url`); the document it serves says
//! where the identity provider accepts a username and password. The document's format is
//! owned by [`crate::wstrust::mex`].

use url::Url;

use crate::http::{HttpRequest, Pipeline, RequestContext};
use crate::wstrust::MexDocument;
use crate::{Error, ErrorKind, FailureReason, Result};

/// Fetches and reads the federation metadata document at `mex_url`.
///
/// An identity provider that cannot be reached, or that answers with anything but 2xx, is a
/// [`ErrorKind::WsTrust`] error ("federation metadata unreachable") whose
/// [`source`](std::error::Error::source) is the cause; a document without a usable endpoint is
/// the [`ErrorKind::WsTrust`] error of [`MexDocument::parse`].
pub async fn fetch(
    pipeline: &Pipeline,
    mex_url: &Url,
    ctx: &RequestContext,
) -> Result<MexDocument> {
    let response = pipeline
        .send(HttpRequest::get(mex_url.clone()), ctx)
        .await
        .map_err(|e| {
            Error::with_source(
                ErrorKind::WsTrust,
                format!(
                    "federation metadata unreachable at {}: {e}",
                    origin(mex_url)
                ),
                e,
            )
            .with_reason(FailureReason::FederationMetadataUnreachable)
            .correlation_id(ctx.correlation_id.clone())
        })?;
    if !response.is_success() {
        return Err(Error::new(
            ErrorKind::WsTrust,
            format!(
                "federation metadata unreachable at {}: the identity provider answered HTTP {}",
                origin(mex_url),
                response.status
            ),
        )
        .with_reason(FailureReason::FederationMetadataUnreachable)
        .correlation_id(ctx.correlation_id.clone()));
    }
    MexDocument::parse(&response.body).map_err(|e| {
        e.with_reason(FailureReason::FederationMetadataUnreachable)
            .correlation_id(ctx.correlation_id.clone())
    })
}

/// The scheme, host and port of a URL, for messages (the path may carry tenant names, the
/// query anything).
fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{HttpResponse, Method};
    use crate::wstrust::fixtures::{self, FakeClient};

    const MEX_URL: &str = "https://127.0.0.1:8443/adfs/services/trust/mex";

    use crate::test_support::block_on as run;

    #[test]
    fn fetch_gets_the_document_and_finds_the_endpoints() {
        let recorded = fixtures::exchange("msal_ropc_federated", "GET", "/adfs/services/trust/mex");
        let client = FakeClient::answering(Ok(HttpResponse::new(200, recorded.response)));
        let pipeline = Pipeline::new(client.clone());
        let ctx = RequestContext::new("corr-1");
        let mex = run(fetch(&pipeline, &MEX_URL.parse().unwrap(), &ctx)).unwrap();
        assert!(mex.wstrust13.is_some() && mex.wstrust2005.is_some());

        let sent = client.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].method, Method::Get);
        assert_eq!(sent[0].url.as_str(), MEX_URL);
        assert_eq!(sent[0].url.path(), recorded.path);
        assert!(sent[0].body.is_empty());
        assert_eq!(sent[0].header_value("client-request-id"), Some("corr-1"));
    }

    #[test]
    fn non_2xx_answer_is_unreachable_metadata() {
        let client = FakeClient::answering(Ok(HttpResponse::new(404, "<html>not found</html>")));
        let pipeline = Pipeline::new(client);
        let ctx = RequestContext::new("corr-2");
        let err = run(fetch(&pipeline, &MEX_URL.parse().unwrap(), &ctx)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WsTrust);
        assert!(err.message().contains("federation metadata unreachable"));
        assert!(err.message().contains("404"));
        assert_eq!(err.correlation(), Some("corr-2"));
    }

    #[test]
    fn transport_failure_is_unreachable_metadata_keeping_the_cause() {
        let cause = Error::new(ErrorKind::Transport, "connection refused");
        let client = FakeClient::answering(Err(cause));
        let pipeline = Pipeline::new(client);
        let ctx = RequestContext::new("corr-3");
        let err = run(fetch(&pipeline, &MEX_URL.parse().unwrap(), &ctx)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WsTrust);
        assert!(err.message().contains("federation metadata unreachable"));
        assert_eq!(
            err.reason(),
            Some(FailureReason::FederationMetadataUnreachable)
        );
        let source = std::error::Error::source(&err).expect("cause kept");
        assert!(source.to_string().contains("connection refused"));
    }

    #[test]
    fn document_without_endpoint_is_a_wstrust_error() {
        let body = r#"<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"/>"#;
        let client = FakeClient::answering(Ok(HttpResponse::new(200, body)));
        let pipeline = Pipeline::new(client);
        let ctx = RequestContext::new("corr-4");
        let err = run(fetch(&pipeline, &MEX_URL.parse().unwrap(), &ctx)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WsTrust);
        assert!(!err.message().contains("unreachable"));
    }
}

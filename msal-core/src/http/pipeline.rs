//! The pipeline every Entra request goes through: MSAL's headers, retry and throttling around
//! an [`HttpClient`].

use std::sync::Arc;

use crate::Result;

use super::{HttpClient, HttpRequest, HttpResponse};

/// Per-operation context of a request: the correlation id shared by every request of one
/// token acquisition.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestContext {
    /// Sent as `client-request-id`; Entra echoes it as `correlation_id`.
    pub correlation_id: String,
}

impl RequestContext {
    /// A context with the given correlation id.
    pub fn new(correlation_id: impl Into<String>) -> Self {
        Self {
            correlation_id: correlation_id.into(),
        }
    }

    /// A context with a fresh random correlation id.
    pub fn generate() -> Self {
        Self::new(uuid::Uuid::new_v4().to_string())
    }
}

/// Sends requests through an [`HttpClient`], adding what MSAL adds.
#[derive(Debug, Clone)]
pub struct Pipeline {
    client: Arc<dyn HttpClient>,
}

impl Pipeline {
    /// A pipeline around the given client.
    pub fn new(client: Arc<dyn HttpClient>) -> Self {
        Self { client }
    }

    /// Sends the request and returns the server's answer, whatever its status.
    pub async fn send(&self, request: HttpRequest, ctx: &RequestContext) -> Result<HttpResponse> {
        let request = request.header("client-request-id", ctx.correlation_id.clone());
        self.client.execute(request).await
    }
}

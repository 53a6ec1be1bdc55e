//! Test doubles for the discovery tests: a routing fake [`HttpClient`] that records what it
//! receives, and the loader of the reference wire recordings.

use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;

use crate::Result;
use crate::http::{HttpClient, HttpRequest, HttpResponse};
use crate::test_support::wire_dir;

/// Answers by URL path with canned responses, after an optional delay, and records requests.
#[derive(Debug, Default)]
pub(crate) struct FakeClient {
    routes: Vec<(String, u16, String)>,
    delay: Option<Duration>,
    requests: Mutex<Vec<HttpRequest>>,
}

impl FakeClient {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Answers requests whose path is `path` with `status` and `body`.
    pub(crate) fn route(mut self, path: &str, status: u16, body: &str) -> Self {
        self.routes.push((path.to_owned(), status, body.to_owned()));
        self
    }

    /// Waits this long before answering (to make concurrent requests overlap).
    pub(crate) fn delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// Every request received so far.
    pub(crate) fn requests(&self) -> Vec<HttpRequest> {
        self.requests.lock().expect("lock").clone()
    }

    /// How many requests had this path.
    pub(crate) fn count(&self, path: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.url.path() == path)
            .count()
    }
}

#[async_trait]
impl HttpClient for FakeClient {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse> {
        self.requests.lock().expect("lock").push(request.clone());
        if let Some(delay) = self.delay {
            tokio::time::sleep(delay).await;
        }
        let found = self.routes.iter().find(|(p, _, _)| p == request.url.path());
        Ok(match found {
            Some((_, status, body)) => HttpResponse::new(*status, body.clone()),
            None => HttpResponse::new(404, format!("no route for {}", request.url.path())),
        })
    }
}

/// One recorded exchange of a reference wire file.
#[derive(Debug, Clone)]
pub(crate) struct WireExchange {
    pub(crate) path: String,
    pub(crate) raw_query: String,
    pub(crate) status: u16,
    pub(crate) response: String,
}

/// Exchange number `index` of the recording `file` (such as `msal_oidc_authority.json`).
pub(crate) fn wire_exchange(file: &str, index: usize) -> WireExchange {
    let path = wire_dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let json: serde_json::Value = serde_json::from_str(&text).expect("recording is JSON");
    let exchange = &json["requests"][index];
    let text_of = |name: &str| exchange[name].as_str().unwrap_or_default().to_owned();
    WireExchange {
        path: text_of("path"),
        raw_query: text_of("raw_query"),
        status: exchange["status"]
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
            .expect("status"),
        response: text_of("response"),
    }
}

//! Test helpers: the reference recordings of `shared/reference/wire` and a recording fake
//! `HttpClient`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::Value;

use crate::Result;
use crate::http::{HttpClient, HttpRequest, HttpResponse, Pipeline};

pub(crate) use crate::test_support::wire_dir;

/// One recording, parsed.
pub(crate) fn recording(name: &str) -> Value {
    let path = wire_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// The recorded requests of `name` whose method matches and whose path ends with `suffix`.
pub(crate) fn requests(name: &str, method: &str, suffix: &str) -> Vec<Value> {
    let rec = recording(name);
    rec["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] == method && r["path"].as_str().unwrap().ends_with(suffix))
        .cloned()
        .collect()
}

/// The single recorded token request of `name` (panics when there is not exactly one).
pub(crate) fn only_token_request(name: &str) -> Value {
    let mut all = requests(name, "POST", "/oauth2/v2.0/token");
    assert_eq!(all.len(), 1, "{name}: expected one token request");
    all.remove(0)
}

/// A form body as sorted name/value pairs.
pub(crate) fn sorted_form(body: &[u8]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(body)
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    pairs
}

/// The value of one form parameter of a recorded request.
pub(crate) fn form_value(request: &Value, name: &str) -> String {
    let body = request["body"].as_str().unwrap();
    url::form_urlencoded::parse(body.as_bytes())
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no {name} in recorded body"))
}

/// The recorded response body of a request.
pub(crate) fn response_body(request: &Value) -> Vec<u8> {
    request["response"].as_str().unwrap().as_bytes().to_vec()
}

/// An `HttpClient` that answers with canned responses, in order, and keeps every request.
#[derive(Debug, Default)]
pub(crate) struct FakeClient {
    answers: Mutex<VecDeque<HttpResponse>>,
    seen: Mutex<Vec<HttpRequest>>,
}

impl FakeClient {
    /// A client that will answer with these responses, then panic.
    pub(crate) fn answering(answers: Vec<HttpResponse>) -> Arc<Self> {
        Arc::new(Self {
            answers: Mutex::new(answers.into()),
            seen: Mutex::new(Vec::new()),
        })
    }

    /// The requests received so far.
    pub(crate) fn seen(&self) -> Vec<HttpRequest> {
        self.seen.lock().unwrap().clone()
    }

    /// A pipeline around this client: the real retry rules (one retry on 5xx and transport
    /// errors) with no delay, so tests script the answers the retry consumes.
    pub(crate) fn pipeline(self: &Arc<Self>) -> Pipeline {
        Pipeline::with_options(
            self.clone(),
            crate::http::PipelineOptions::default().retry_delay(std::time::Duration::ZERO),
        )
    }
}

#[async_trait]
impl HttpClient for FakeClient {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse> {
        self.seen.lock().unwrap().push(request);
        Ok(self
            .answers
            .lock()
            .unwrap()
            .pop_front()
            .expect("no canned answer left"))
    }
}

/// A JSON response with the given status and `Content-Type: application/json`.
pub(crate) fn json_response(status: u16, body: impl Into<Vec<u8>>) -> HttpResponse {
    let mut r = HttpResponse::new(status, body);
    r.headers
        .push(("Content-Type".into(), "application/json".into()));
    r
}

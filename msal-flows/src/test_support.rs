//! Test doubles: an `HttpClient` that answers from the reference recordings or given routes,
//! and keeps every request it was sent.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use msal_core::Result;
use msal_core::http::{HttpClient, HttpRequest, HttpResponse, Method, PipelineOptions};
use serde_json::Value;

use crate::{ConfidentialClientApplication, PublicClientApplication};

/// The authority of the recordings.
pub(crate) const AUTHORITY: &str = "https://127.0.0.1:8443/aaaabbbb-0000-cccc-1111-dddd2222eeee";
pub(crate) const PUBLIC_APP: &str = "11111111-1111-1111-1111-111111111111";
pub(crate) const CONFIDENTIAL_APP: &str = "22222222-2222-2222-2222-222222222222";
pub(crate) const SECRET: &str = "fake-client-secret~with.special_chars+/=";

fn wire_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("shared/reference/wire"))
        .find(|dir| dir.is_dir())
        .unwrap_or_else(|| PathBuf::from("/work/shared/reference/wire"))
}

/// The recorded exchanges of one recording.
pub(crate) fn recording(name: &str) -> Vec<Value> {
    let path = wire_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["requests"].as_array().unwrap().clone()
}

/// The recorded request `method path` of a recording.
pub(crate) fn recorded(name: &str, method: &str, path_suffix: &str) -> Value {
    recording(name)
        .into_iter()
        .find(|r| r["method"] == method && r["path"].as_str().unwrap().ends_with(path_suffix))
        .unwrap_or_else(|| panic!("{name}: no {method} {path_suffix}"))
}

/// A form body as sorted pairs.
pub(crate) fn form(body: &[u8]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    pairs.sort();
    pairs
}

#[derive(Debug, Clone)]
struct Route {
    method: Method,
    path_suffix: String,
    status: u16,
    body: String,
}

/// Answers by method and path suffix (the last matching route wins), 404 otherwise.
#[derive(Debug, Default, Clone)]
pub(crate) struct FakeHttp {
    routes: Arc<Mutex<Vec<Route>>>,
    sent: Arc<Mutex<Vec<HttpRequest>>>,
}

impl FakeHttp {
    /// Every exchange of a recording as a route.
    pub(crate) fn from_recording(name: &str) -> Self {
        let fake = Self::default();
        for r in recording(name) {
            let method = if r["method"] == "POST" {
                Method::Post
            } else {
                Method::Get
            };
            fake.route(
                method,
                r["path"].as_str().unwrap(),
                r["status"].as_u64().unwrap() as u16,
                r["response"].as_str().unwrap_or_default(),
            );
        }
        fake
    }

    pub(crate) fn route(&self, method: Method, path_suffix: &str, status: u16, body: &str) {
        self.routes.lock().unwrap().push(Route {
            method,
            path_suffix: path_suffix.to_owned(),
            status,
            body: body.to_owned(),
        });
    }

    pub(crate) fn sent(&self) -> Vec<HttpRequest> {
        self.sent.lock().unwrap().clone()
    }

    /// The requests sent to a path ending with `suffix`.
    pub(crate) fn sent_to(&self, suffix: &str) -> Vec<HttpRequest> {
        self.sent()
            .into_iter()
            .filter(|r| r.url.path().ends_with(suffix))
            .collect()
    }
}

#[async_trait::async_trait]
impl HttpClient for FakeHttp {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse> {
        self.sent.lock().unwrap().push(request.clone());
        let routes = self.routes.lock().unwrap();
        let found = routes
            .iter()
            .rev()
            .find(|r| r.method == request.method && request.url.path().ends_with(&r.path_suffix));
        Ok(match found {
            Some(r) => HttpResponse::new(r.status, r.body.clone().into_bytes()),
            None => HttpResponse::new(404, b"{}".to_vec()),
        })
    }
}

fn quick() -> PipelineOptions {
    PipelineOptions::default()
        .retry_delay(std::time::Duration::ZERO)
        .throttling(false)
}

pub(crate) fn public_app(fake: &FakeHttp) -> PublicClientApplication {
    PublicClientApplication::builder(PUBLIC_APP)
        .authority(AUTHORITY)
        .instance_discovery(false)
        .http_client(Arc::new(fake.clone()))
        .pipeline_options(quick())
        .build()
        .unwrap()
}

pub(crate) fn confidential_app(fake: &FakeHttp) -> ConfidentialClientApplication {
    ConfidentialClientApplication::builder(CONFIDENTIAL_APP)
        .authority(AUTHORITY)
        .instance_discovery(false)
        .client_secret(SECRET)
        .http_client(Arc::new(fake.clone()))
        .pipeline_options(quick())
        .build()
        .unwrap()
}

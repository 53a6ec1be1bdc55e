//! HTTP: the request and response types, the [`HttpClient`] trait that users can implement to
//! bring their own client, and the [`Pipeline`] that every Entra call goes through.
//!
//! The types here are deliberately small and independent of any HTTP crate, so a custom
//! client (hyper, a test double, a proxying client) needs nothing but this module.
//! [`ReqwestHttpClient`] is the default client; [`Pipeline`] wraps any client with MSAL's
//! headers, one retry and the throttling memory (its docs give the rules).
//!
//! ```no_run
//! use std::sync::Arc;
//! use msal_core::http::{HttpRequest, Pipeline, ReqwestHttpClient, RequestContext};
//!
//! # async fn run() -> msal_core::Result<()> {
//! let pipeline = Pipeline::new(Arc::new(ReqwestHttpClient::new()?));
//! let url = url::Url::parse("https://login.microsoftonline.com/common/discovery/instance")
//!     .expect("a valid URL");
//! let answer = pipeline.send(HttpRequest::get(url), &RequestContext::generate()).await?;
//! println!("HTTP {}", answer.status);
//! # Ok(())
//! # }
//! ```

use std::fmt;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use url::Url;

use crate::{Error, ErrorKind, Result};

mod pipeline;
mod reqwest_client;
mod retry;
mod throttle;

pub use pipeline::{CLIENT_SKU, LIB_CAPABILITY, Pipeline, PipelineOptions, RequestContext};
pub use reqwest_client::{HttpOptions, ReqwestHttpClient};

/// An HTTP method. Entra endpoints use only these two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`: discovery, user realm, MEX, IMDS.
    Get,
    /// `POST`: token, device code, WS-Trust.
    Post,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// An HTTP request about to be sent.
///
/// The body may hold secrets (a password, a client secret, a refresh token), so `Debug` shows
/// only its length, and the values of credential headers (`Authorization`,
/// `X-IDENTITY-HEADER`) as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// The full URL, query included.
    pub url: Url,
    /// Header names and values, in the order they are sent.
    pub headers: Vec<(String, String)>,
    /// The body; empty for `GET`.
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// A `GET` request with no headers.
    pub fn get(url: Url) -> Self {
        Self {
            method: Method::Get,
            url,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A `POST` request with an `application/x-www-form-urlencoded` body built from the pairs,
    /// in the order given. Pairs whose value is empty are dropped, as MSAL does.
    pub fn post_form<'a>(url: Url, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in pairs {
            if !value.is_empty() {
                form.append_pair(name, value);
            }
        }
        Self {
            method: Method::Post,
            url,
            headers: vec![(
                "Content-Type".to_owned(),
                "application/x-www-form-urlencoded".to_owned(),
            )],
            body: form.finish().into_bytes(),
        }
    }

    /// Adds a header.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The value of the first header with this name (case-insensitive).
    pub fn header_value(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// Whether a header with this name (case-insensitive) is present.
    pub fn has_header(&self, name: &str) -> bool {
        self.header_value(name).is_some()
    }
}

/// Headers whose values are credentials, shown as `***` by `Debug`.
const SECRET_HEADERS: [&str; 4] = [
    "authorization",
    "x-identity-header",
    "proxy-authorization",
    "cookie",
];

/// The headers with the values of credential headers replaced by `***`.
fn redacted_headers(headers: &[(String, String)]) -> Vec<(&str, &str)> {
    headers
        .iter()
        .map(|(name, value)| {
            let secret = SECRET_HEADERS.iter().any(|s| name.eq_ignore_ascii_case(s));
            (name.as_str(), if secret { "***" } else { value.as_str() })
        })
        .collect()
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url.as_str())
            .field("headers", &redacted_headers(&self.headers))
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// An HTTP response as received.
///
/// The body may hold tokens, so `Debug` shows only its length.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Header names and values as received.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A response with a status and body and no headers.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// The value of the first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Parses the body as JSON into `T`; a body that is not valid JSON for `T` is a
    /// [`ErrorKind::MalformedResponse`] naming `what` was expected.
    pub fn json<T: DeserializeOwned>(&self, what: &str) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::with_source(
                ErrorKind::MalformedResponse,
                format!(
                    "the {what} (HTTP {}) is not the expected JSON: {e}",
                    self.status
                ),
                e,
            )
        })
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Sends HTTP requests. Implement it to bring your own HTTP stack.
///
/// An implementation returns every answer the server gave, whatever its status, as
/// `Ok(HttpResponse)`; it returns `Err` only when no answer came back
/// ([`ErrorKind::Transport`], [`ErrorKind::Timeout`]) or the answer was over its size limit
/// ([`ErrorKind::MalformedResponse`]). Retries, throttling and MSAL's headers are added by the
/// [`Pipeline`] around it, so an implementation does none of that.
#[async_trait]
pub trait HttpClient: Send + Sync + fmt::Debug {
    /// Sends one request and returns the server's answer.
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_a_request_hides_the_body_and_credential_headers() {
        let url = Url::parse("https://login.example/t/oauth2/v2.0/token").unwrap();
        let request = HttpRequest::post_form(url, [("password", "hunter2")])
            .header("X-IDENTITY-HEADER", "identity-secret")
            .header("Authorization", "Bearer at-secret")
            .header("client-request-id", "visible-id");
        let shown = format!("{request:?}");
        for secret in ["hunter2", "identity-secret", "at-secret"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("visible-id"));
        assert!(shown.contains("body_len"));
    }

    #[test]
    fn post_form_drops_empty_values_and_encodes_the_rest() {
        let url = Url::parse("https://login.example/t").unwrap();
        let request = HttpRequest::post_form(url, [("a", "x y&z"), ("claims", "")]);
        assert_eq!(request.body, b"a=x+y%26z");
        assert_eq!(
            request.header_value("content-type"),
            Some("application/x-www-form-urlencoded")
        );
    }
}

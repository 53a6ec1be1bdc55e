//! The default [`HttpClient`]: reqwest with native TLS.
//!
//! One [`ReqwestHttpClient`] keeps one pool of connections; build it once and share it (it is
//! cheap to clone). It follows no redirect: a token request must never be replayed to another
//! host, so a 3xx comes back as an answer like any other. It uses the proxy of the environment
//! (`HTTPS_PROXY`, `NO_PROXY` and friends) unless told not to, trusts the system's roots plus
//! an optional extra CA (a local emulator's), and reads answers chunk by chunk up to a size
//! limit.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use url::Url;

use super::{HttpClient, HttpRequest, HttpResponse, Method};
use crate::{Error, ErrorKind, Result};

/// Options of a [`ReqwestHttpClient`].
///
/// ```
/// use std::time::Duration;
/// use msal_core::http::HttpOptions;
///
/// let options = HttpOptions::default()
///     .timeout(Duration::from_secs(10))
///     .max_response_size(1024 * 1024);
/// assert_eq!(options.connect_timeout, Duration::from_secs(10));
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpOptions {
    /// The limit for a whole request, from connecting to the last byte of the answer.
    /// Default 30 s.
    pub timeout: Duration,
    /// The limit for opening a connection (TCP and TLS). Default 10 s.
    pub connect_timeout: Duration,
    /// One or more PEM certificates trusted as roots in addition to the system's.
    pub extra_ca_pem: Option<Vec<u8>>,
    /// The largest answer body accepted, in bytes. Default 4 MiB.
    pub max_response_size: usize,
    /// Whether to use the proxy configured in the environment. Default `true`.
    pub use_system_proxy: bool,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            extra_ca_pem: None,
            max_response_size: 4 * 1024 * 1024,
            use_system_proxy: true,
        }
    }
}

impl HttpOptions {
    /// Sets [`timeout`](Self::timeout).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets [`connect_timeout`](Self::connect_timeout).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets [`extra_ca_pem`](Self::extra_ca_pem).
    #[must_use]
    pub fn extra_ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_ca_pem = Some(pem.into());
        self
    }

    /// Sets [`max_response_size`](Self::max_response_size).
    #[must_use]
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.max_response_size = bytes;
        self
    }

    /// Sets [`use_system_proxy`](Self::use_system_proxy).
    #[must_use]
    pub fn use_system_proxy(mut self, enabled: bool) -> Self {
        self.use_system_proxy = enabled;
        self
    }
}

impl fmt::Debug for HttpOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpOptions")
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field(
                "extra_ca_pem_len",
                &self.extra_ca_pem.as_ref().map(Vec::len),
            )
            .field("max_response_size", &self.max_response_size)
            .field("use_system_proxy", &self.use_system_proxy)
            .finish()
    }
}

/// An [`HttpClient`] over reqwest (native TLS, pooled connections, no redirects).
///
/// ```
/// use std::sync::Arc;
/// use msal_core::http::{HttpOptions, Pipeline, ReqwestHttpClient};
///
/// let client = ReqwestHttpClient::with_options(HttpOptions::default())?;
/// let pipeline = Pipeline::new(Arc::new(client));
/// # drop(pipeline);
/// # Ok::<(), msal_core::Error>(())
/// ```
#[derive(Clone)]
pub struct ReqwestHttpClient {
    client: reqwest::Client,
    timeout: Duration,
    max_response_size: usize,
}

impl fmt::Debug for ReqwestHttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestHttpClient")
            .field("timeout", &self.timeout)
            .field("max_response_size", &self.max_response_size)
            .finish_non_exhaustive()
    }
}

impl ReqwestHttpClient {
    /// A client with default options.
    pub fn new() -> Result<Self> {
        Self::with_options(HttpOptions::default())
    }

    /// A client with the given options. An extra CA that is not valid PEM is an
    /// [`ErrorKind::Crypto`] error; a TLS backend that cannot start is
    /// [`ErrorKind::Transport`].
    pub fn with_options(options: HttpOptions) -> Result<Self> {
        let mut builder = reqwest::Client::builder()
            .tls_backend_native()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(options.timeout)
            .connect_timeout(options.connect_timeout)
            .user_agent(concat!("msal-rust/", env!("CARGO_PKG_VERSION")));
        if !options.use_system_proxy {
            builder = builder.no_proxy();
        }
        if let Some(pem) = &options.extra_ca_pem {
            builder = builder.tls_certs_merge(parse_ca_pem(pem)?);
        }
        let client = builder.build().map_err(|e| {
            Error::with_source(
                ErrorKind::Transport,
                "could not set up the HTTP client (TLS backend or proxy settings)",
                e,
            )
        })?;
        Ok(Self {
            client,
            timeout: options.timeout,
            max_response_size: options.max_response_size,
        })
    }

    async fn read_body(&self, mut response: reqwest::Response, url: &Url) -> Result<Vec<u8>> {
        let limit = self.max_response_size;
        if response
            .content_length()
            .is_some_and(|len| len > limit as u64)
        {
            return Err(too_large(url, limit));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.map_error(e, url))? {
            if body.len() + chunk.len() > limit {
                return Err(too_large(url, limit));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Maps a reqwest error to a typed error naming the host only (never the query or body).
    fn map_error(&self, error: reqwest::Error, url: &Url) -> Error {
        let host = host_of(url);
        let error = error.without_url();
        if error.is_timeout() {
            let secs = self.timeout.as_secs_f64();
            Error::with_source(
                ErrorKind::Timeout,
                format!("the request to {host} timed out (limit {secs} s)"),
                error,
            )
        } else if error.is_connect() {
            Error::with_source(
                ErrorKind::Transport,
                format!("could not connect to {host} (DNS, TCP or TLS failure)"),
                error,
            )
        } else {
            Error::with_source(
                ErrorKind::Transport,
                format!("the connection to {host} failed"),
                error,
            )
        }
    }
}

#[async_trait]
impl HttpClient for ReqwestHttpClient {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse> {
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
        };
        let url = request.url.clone();
        let mut builder = self.client.request(method, url.clone());
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if !request.body.is_empty() {
            builder = builder.body(request.body);
        }
        let built = builder.build().map_err(|e| {
            Error::with_source(
                ErrorKind::InvalidArgument,
                format!(
                    "the request to {} has an invalid header name or value",
                    host_of(&url)
                ),
                e.without_url(),
            )
        })?;
        let response = self
            .client
            .execute(built)
            .await
            .map_err(|e| self.map_error(e, &url))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
                (n.as_str().to_owned(), value)
            })
            .collect();
        let body = self.read_body(response, &url).await?;
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

/// Parses one or more PEM certificates into reqwest roots.
fn parse_ca_pem(pem: &[u8]) -> Result<Vec<reqwest::Certificate>> {
    const INVALID: &str = "the extra CA certificate is not a valid PEM certificate";
    let certs = openssl::x509::X509::stack_from_pem(pem)
        .map_err(|e| Error::with_source(ErrorKind::Crypto, INVALID, e))?;
    if certs.is_empty() {
        return Err(Error::new(
            ErrorKind::Crypto,
            format!("{INVALID}: no certificate found"),
        ));
    }
    certs
        .iter()
        .map(|cert| {
            let der = cert
                .to_der()
                .map_err(|e| Error::with_source(ErrorKind::Crypto, INVALID, e))?;
            reqwest::Certificate::from_der(&der)
                .map_err(|e| Error::with_source(ErrorKind::Crypto, INVALID, e))
        })
        .collect()
}

fn host_of(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => "an unknown host".to_owned(),
    }
}

fn too_large(url: &Url, limit: usize) -> Error {
    Error::new(
        ErrorKind::MalformedResponse,
        format!(
            "the answer from {} is larger than the {limit}-byte limit (HttpOptions::max_response_size)",
            host_of(url)
        ),
    )
}

#[cfg(test)]
#[path = "reqwest_client_tests.rs"]
mod tests;

//! Emulator mode or real mode, and an HTTP client that counts what reaches the network.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use async_trait::async_trait;
use azure_credential::{AuthorityHost, CredentialOptions};
use entra_emulator::{Emulator, StartOptions};
use msal_core::http::{HttpClient, HttpOptions, HttpRequest, HttpResponse, ReqwestHttpClient};

use crate::BoxError;

/// The values of `vars` when every one is set and not empty: real mode. `None`: emulator mode.
pub fn real_env(vars: &[&str]) -> Option<Vec<String>> {
    vars.iter()
        .map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
        .collect()
}

/// An [`HttpClient`] that counts the requests it sends (every token, discovery or IMDS
/// request goes through it), so an example can say "served from the cache: no request".
#[derive(Debug)]
pub struct CountingHttpClient {
    inner: ReqwestHttpClient,
    sent: AtomicUsize,
    token_requests: AtomicUsize,
}

impl CountingHttpClient {
    /// A client trusting the system roots plus `extra_ca_pem` (the emulator's CA).
    pub fn new(extra_ca_pem: Option<&str>) -> Result<Arc<Self>, BoxError> {
        let mut options = HttpOptions::default();
        if let Some(pem) = extra_ca_pem {
            options = options.extra_ca_pem(pem.as_bytes().to_vec());
        }
        Ok(Arc::new(Self {
            inner: ReqwestHttpClient::with_options(options)?,
            sent: AtomicUsize::new(0),
            token_requests: AtomicUsize::new(0),
        }))
    }

    /// How many requests were sent so far.
    pub fn sent(&self) -> usize {
        self.sent.load(Ordering::SeqCst)
    }

    /// How many of them asked for a token (token, device code and managed identity
    /// endpoints); the rest are discovery.
    pub fn token_requests(&self) -> usize {
        self.token_requests.load(Ordering::SeqCst)
    }

    /// The underlying client, which counts nothing (for a browser's requests).
    pub fn inner(&self) -> &ReqwestHttpClient {
        &self.inner
    }

    /// A snapshot of both counters, to compare after a call.
    pub fn counts(&self) -> (usize, usize) {
        (self.sent(), self.token_requests())
    }
}

/// Whether a request asks for a token rather than metadata.
fn is_token_request(request: &HttpRequest) -> bool {
    let path = request.url.path();
    ["/token", "/devicecode", "/msi/token"]
        .iter()
        .any(|end| path.ends_with(end))
}

#[async_trait]
impl HttpClient for CountingHttpClient {
    async fn execute(&self, request: HttpRequest) -> msal_core::Result<HttpResponse> {
        self.sent.fetch_add(1, Ordering::SeqCst);
        if is_token_request(&request) {
            self.token_requests.fetch_add(1, Ordering::SeqCst);
        }
        self.inner.execute(request).await
    }
}

/// Where an example signs in: the in-process emulator, or real Entra ID.
#[derive(Debug)]
pub struct Sandbox {
    /// The emulator, in emulator mode.
    pub emulator: Option<Arc<Emulator>>,
    /// The HTTP client every credential and application of the example uses.
    pub http: Arc<CountingHttpClient>,
}

impl Sandbox {
    /// Real mode.
    pub fn real() -> Result<Self, BoxError> {
        println!("Mode: real Microsoft Entra ID (or the host's own endpoints), no emulator");
        Ok(Self {
            emulator: None,
            http: CountingHttpClient::new(None)?,
        })
    }

    /// Emulator mode with the built-in tenant, users and apps.
    pub async fn emulator() -> Result<Self, BoxError> {
        Self::emulator_with(StartOptions::default()).await
    }

    /// Emulator mode with these start options.
    pub async fn emulator_with(options: StartOptions) -> Result<Self, BoxError> {
        let started = Instant::now();
        let emulator = Emulator::start(options).await?;
        println!(
            "Mode: in-process Entra ID emulator at {} (started in {}; its CA is trusted by this process only)",
            emulator.authority_host(),
            crate::print::duration(started.elapsed())
        );
        let http = CountingHttpClient::new(emulator.ca_pem())?;
        Ok(Self {
            emulator: Some(Arc::new(emulator)),
            http,
        })
    }

    /// The emulator (emulator mode only).
    pub fn emu(&self) -> Result<&Emulator, BoxError> {
        self.emulator
            .as_deref()
            .ok_or_else(|| "this step needs the emulator".into())
    }

    /// Credential options for this mode: the counting HTTP client; in emulator mode also its
    /// authority host and no instance discovery.
    pub fn credential_options(&self) -> CredentialOptions {
        let mut options = CredentialOptions::default();
        options.http.client = Some(self.http.clone());
        if let Some(emulator) = &self.emulator {
            options.authority_host = Some(AuthorityHost::Custom(emulator.authority_host()));
            options.disable_instance_discovery = true;
        }
        options
    }

    /// The authority host URL: the emulator's, or `https://login.microsoftonline.com`
    /// (`AZURE_AUTHORITY_HOST` when set).
    pub fn authority_host(&self) -> String {
        match &self.emulator {
            Some(e) => e.authority_host(),
            None => std::env::var("AZURE_AUTHORITY_HOST")
                .map(|h| AuthorityHost::Custom(h).url())
                .unwrap_or_else(|_| AuthorityHost::Public.url()),
        }
    }

    /// The emulator's built-in tenant id.
    pub fn tenant_id(&self) -> Result<String, BoxError> {
        Ok(self.emu()?.tenant_id())
    }

    /// The first app of `kind` (`public`/`confidential`) whose client id starts with `prefix`.
    pub fn app(&self, prefix: &str) -> Result<entra_emulator::info::AppInfo, BoxError> {
        self.emu()?
            .info()
            .apps
            .into_iter()
            .find(|a| a.client_id.starts_with(prefix))
            .ok_or_else(|| format!("the emulator has no app {prefix}...").into())
    }

    /// A user by username.
    pub fn user(&self, username: &str) -> Result<entra_emulator::info::UserInfo, BoxError> {
        self.emu()?
            .info()
            .users
            .into_iter()
            .find(|u| u.username == username)
            .ok_or_else(|| format!("the emulator has no user {username}").into())
    }
}

/// The built-in public client of the emulator (public client flows allowed).
pub const EMULATOR_PUBLIC_APP: &str = "11111111";
/// The built-in confidential client of the emulator (a secret and a certificate).
pub const EMULATOR_CONFIDENTIAL_APP: &str = "22222222";
/// The built-in middle-tier API of the emulator (for on-behalf-of).
pub const EMULATOR_API_APP: &str = "33333333";
/// The built-in managed user.
pub const EMULATOR_USER: &str = "alice@managed.test";

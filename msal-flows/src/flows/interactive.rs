//! Interactive sign-in: the authorization code flow over a one-shot loopback listener on
//! `127.0.0.1` (random port, redirect URI `http://localhost:{port}`), opening the system
//! browser or handing the URL to a callback.
//!
//! The listener answers every request with a small page and accepts exactly one: the first
//! whose `state` matches the flow's. Requests without it (a favicon, a forged redirect) get an
//! error page and are ignored. Each connection is read concurrently with its own time limit,
//! so a browser's idle pre-connection cannot hold up the real redirect.

use std::collections::HashMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use msal_core::crypto::State;
use msal_core::endpoint::authorize::Prompt;
use msal_core::{Error, ErrorKind, Result};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use url::Url;

use crate::app::AppCore;
use crate::call::CallContext;
use crate::flows::auth_code::AuthCodeOptions;
use crate::result::AuthenticationResult;

/// Opens the authorize URL for the user (a browser, or anything else that reaches it).
pub type OpenBrowser = Arc<dyn Fn(&Url) -> Result<()> + Send + Sync>;

/// The longest request head the listener reads.
const MAX_REQUEST: usize = 16 * 1024;
/// How long one connection may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The default time the user has to sign in.
pub const DEFAULT_INTERACTIVE_TIMEOUT: Duration = Duration::from_secs(300);

/// Options of [`acquire_token_interactive`](crate::PublicClientApplication::acquire_token_interactive).
///
/// ```no_run
/// use std::time::Duration;
/// use msal_flows::{CallOptions, InteractiveOptions, PublicClientApplication};
///
/// # async fn run() -> msal_core::Result<()> {
/// let app = PublicClientApplication::builder("11111111-1111-1111-1111-111111111111")
///     .authority("https://login.microsoftonline.com/organizations")
///     .build()?;
/// let options = InteractiveOptions::new()
///     .login_hint("alice@contoso.com")
///     .timeout(Duration::from_secs(120))
///     // Print the URL instead of opening a browser (an SSH session, say).
///     .open_browser(|url| {
///         println!("Open {url} to sign in");
///         Ok(())
///     });
/// let result = app
///     .acquire_token_interactive(&["User.Read"], &options, &CallOptions::new())
///     .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct InteractiveOptions {
    /// `login_hint`: the user's UPN.
    pub login_hint: Option<String>,
    /// `prompt`.
    pub prompt: Option<Prompt>,
    /// `domain_hint`.
    pub domain_hint: Option<String>,
    /// Opens the URL; the system browser (`xdg-open`, `open`, `rundll32`) when `None`.
    pub open_browser: Option<OpenBrowser>,
    /// How long to wait for the redirect ([`DEFAULT_INTERACTIVE_TIMEOUT`] by default).
    pub timeout: Duration,
    /// The loopback port of the redirect (`http://localhost:{port}`); `None`: a free port
    /// chosen by the system.
    pub port: Option<u16>,
}

impl Default for InteractiveOptions {
    fn default() -> Self {
        Self {
            login_hint: None,
            prompt: None,
            domain_hint: None,
            open_browser: None,
            timeout: DEFAULT_INTERACTIVE_TIMEOUT,
            port: None,
        }
    }
}

impl fmt::Debug for InteractiveOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InteractiveOptions")
            .field("login_hint", &self.login_hint)
            .field("prompt", &self.prompt)
            .field("domain_hint", &self.domain_hint)
            .field("custom_browser", &self.open_browser.is_some())
            .field("timeout", &self.timeout)
            .field("port", &self.port)
            .finish()
    }
}

impl InteractiveOptions {
    /// The defaults: system browser, 5-minute timeout, no hint.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `login_hint`.
    #[must_use]
    pub fn login_hint(mut self, hint: impl Into<String>) -> Self {
        self.login_hint = Some(hint.into());
        self
    }

    /// Sets `prompt`.
    #[must_use]
    pub fn prompt(mut self, prompt: Prompt) -> Self {
        self.prompt = Some(prompt);
        self
    }

    /// Sets `domain_hint`.
    #[must_use]
    pub fn domain_hint(mut self, hint: impl Into<String>) -> Self {
        self.domain_hint = Some(hint.into());
        self
    }

    /// Hands the URL to `open` instead of the system browser.
    #[must_use]
    pub fn open_browser(
        mut self,
        open: impl Fn(&Url) -> Result<()> + Send + Sync + 'static,
    ) -> Self {
        self.open_browser = Some(Arc::new(open));
        self
    }

    /// Sets how long to wait for the redirect.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Listens for the redirect on this loopback port instead of a free one.
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }
}

impl AppCore {
    /// Runs the interactive flow (see the module docs).
    pub(crate) async fn interactive(
        &self,
        scopes: &[&str],
        options: &InteractiveOptions,
        ctx: &CallContext,
    ) -> Result<AuthenticationResult> {
        let listener = LoopbackListener::bind(options.port.unwrap_or(0)).await?;
        let redirect_uri = format!("http://localhost:{}", listener.local_addr().port());
        let mut code_options = AuthCodeOptions::new();
        code_options.login_hint = options.login_hint.clone();
        code_options.prompt = options.prompt;
        code_options.domain_hint = options.domain_hint.clone();
        code_options.claims = ctx.options.claims.clone();
        let flow = self
            .initiate_auth_code_flow(scopes, &redirect_uri, &code_options, ctx)
            .await?;
        let url = Url::parse(&flow.auth_uri).map_err(|e| {
            Error::new(
                ErrorKind::InvalidAuthority,
                format!("the authorize URL is not valid: {e}"),
            )
        })?;
        let wait = listener.wait_for(State::new(flow.state.as_str()), options.timeout);
        match &options.open_browser {
            Some(open) => open(&url)?,
            None => open_system_browser(url).await?,
        }
        let response = wait.await?;
        self.redeem_auth_code_flow(&flow, &response, ctx).await
    }
}

/// The one-shot redirect listener, bound to `127.0.0.1` only.
#[derive(Debug)]
pub(crate) struct LoopbackListener {
    listener: TcpListener,
}

impl LoopbackListener {
    /// Binds `127.0.0.1` on a port the system picks.
    pub(crate) async fn bind(port: u16) -> Result<Self> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
            .await
            .map_err(|e| {
                Error::new(
                    ErrorKind::Transport,
                    format!("could not listen on 127.0.0.1 for the redirect: {e}"),
                )
            })?;
        Ok(Self { listener })
    }

    /// The address it listens on.
    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
    }

    /// The query of the first request whose `state` matches, within `timeout`.
    pub(crate) async fn wait_for(
        self,
        state: State,
        timeout: Duration,
    ) -> Result<HashMap<String, String>> {
        let state = Arc::new(state);
        let (tx, mut rx) = mpsc::channel(1);
        let mut connections = JoinSet::new();
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                () = &mut deadline => {
                    return Err(Error::new(
                        ErrorKind::Timeout,
                        "no sign-in response reached the loopback redirect in time",
                    ));
                }
                Some(response) = rx.recv() => return Ok(response),
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        connections.spawn(serve(stream, state.clone(), tx.clone()));
                    }
                    // Out of descriptors, say: do not spin.
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
    }
}

/// Reads one request, answers it, and forwards its query when the state matches.
async fn serve(
    mut stream: TcpStream,
    state: Arc<State>,
    accepted: mpsc::Sender<HashMap<String, String>>,
) {
    let Ok(Some(head)) = tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await else {
        return;
    };
    let query = request_query(&head);
    let matches = query
        .as_ref()
        .and_then(|q| q.get("state"))
        .is_some_and(|s| state.matches(s));
    let (status, body) = if matches {
        ("200 OK", SUCCESS_PAGE)
    } else {
        ("400 Bad Request", IGNORED_PAGE)
    };
    let reply = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(reply.as_bytes()).await;
    let _ = stream.shutdown().await;
    if let (true, Some(query)) = (matches, query) {
        let _ = accepted.try_send(query);
    }
}

const SUCCESS_PAGE: &str = "<!DOCTYPE html><html><head><title>Signed in</title></head>\
<body><p>Authentication complete. You can close this window.</p></body></html>";
const IGNORED_PAGE: &str = "<!DOCTYPE html><html><head><title>Not accepted</title></head>\
<body><p>This response does not belong to the sign-in in progress and was ignored.</p></body></html>";

/// The request head (up to the blank line), or `None` when it is too long or cut short.
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(chunk.get(..n)?);
        if buf.len() > MAX_REQUEST {
            return None;
        }
    }
    String::from_utf8(buf).ok()
}

/// The query parameters of a `GET` request line.
fn request_query(head: &str) -> Option<HashMap<String, String>> {
    let line = head.lines().next()?;
    let mut parts = line.split(' ');
    let (method, target) = (parts.next()?, parts.next()?);
    if method != "GET" || !target.starts_with('/') {
        return None;
    }
    let url = Url::parse(&format!("http://localhost{target}")).ok()?;
    Some(url.query_pairs().into_owned().collect())
}

/// How long the system's browser launcher may take before it is assumed to have worked.
const LAUNCH_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens `url` in the system browser; a launcher that is missing or fails is an error.
async fn open_system_browser(url: Url) -> Result<()> {
    let launch = tokio::task::spawn_blocking(move || launch_browser(&url));
    match tokio::time::timeout(LAUNCH_TIMEOUT, launch).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(e)) => Err(no_browser(&e.to_string())),
        // Still running: some launchers stay with the browser they started.
        Err(_) => Ok(()),
    }
}

fn launch_browser(url: &Url) -> Result<()> {
    let mut command = if cfg!(target_os = "windows") {
        let mut c = std::process::Command::new("rundll32");
        c.arg("url.dll,FileProtocolHandler");
        c
    } else if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else {
        std::process::Command::new("xdg-open")
    };
    let status = command
        .arg(url.as_str())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(|e| no_browser(&e.to_string()))?;
    if status.success() {
        Ok(())
    } else {
        Err(no_browser(&format!("the launcher exited with {status}")))
    }
}

fn no_browser(why: &str) -> Error {
    Error::new(
        ErrorKind::CredentialUnavailable,
        format!(
            "could not open the system browser ({why}); pass an open_browser callback or use \
             the device code flow"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(addr: SocketAddr, target: &str) -> String {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }

    #[tokio::test]
    async fn listener_binds_loopback_ipv4_only_on_a_random_port() {
        let a = LoopbackListener::bind(0).await.unwrap();
        let b = LoopbackListener::bind(0).await.unwrap();
        assert_eq!(
            a.local_addr().ip(),
            std::net::IpAddr::V4(Ipv4Addr::LOCALHOST)
        );
        assert_ne!(a.local_addr().port(), 0);
        assert_ne!(a.local_addr().port(), b.local_addr().port());
    }

    #[tokio::test]
    async fn wrong_state_is_ignored_and_the_matching_one_accepted() {
        let listener = LoopbackListener::bind(0).await.unwrap();
        let addr = listener.local_addr();
        let wait = tokio::spawn(listener.wait_for(State::new("good"), Duration::from_secs(10)));
        // An idle connection must not hold up the others.
        let _idle = TcpStream::connect(addr).await.unwrap();
        let page = get(addr, "/?code=x&state=bad").await;
        assert!(page.starts_with("HTTP/1.1 400"), "{page}");
        let page = get(addr, "/favicon.ico").await;
        assert!(page.starts_with("HTTP/1.1 400"));
        let page = get(addr, "/?code=the-code&state=good").await;
        assert!(page.starts_with("HTTP/1.1 200"));
        let query = wait.await.unwrap().unwrap();
        assert_eq!(query.get("code").map(String::as_str), Some("the-code"));
    }

    #[tokio::test(start_paused = true)]
    async fn no_response_times_out() {
        let listener = LoopbackListener::bind(0).await.unwrap();
        let err = listener
            .wait_for(State::new("s"), Duration::from_secs(5))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout);
    }

    #[test]
    fn request_line_parsing_refuses_non_get_and_absolute_targets() {
        assert!(request_query("POST /?state=a HTTP/1.1\r\n").is_none());
        assert!(request_query("GET http://evil/?state=a HTTP/1.1\r\n").is_none());
        assert!(request_query("").is_none());
        let q = request_query("GET /?state=a%20b&code=c HTTP/1.1\r\n\r\n").unwrap();
        assert_eq!(q.get("state").map(String::as_str), Some("a b"));
    }
}

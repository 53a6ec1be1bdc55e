//! A minimal web app: sign-in with the authorization code flow (PKCE, confidential client),
//! and a page that calls an API with the user's token.
//!
//! ```sh
//! cargo run --example auth_code_web                 # emulator: drives itself once, exits
//! cargo run --example auth_code_web -- --serve      # keeps serving: open the printed URL
//! AZURE_TENANT_ID=... AZURE_CLIENT_ID=... AZURE_CLIENT_SECRET=... \
//!     cargo run --example auth_code_web -- --serve  # real Entra ID (register the redirect URI)
//! ```
//!
//! Routes: `/` (home), `/login` (redirects to the sign-in page), `/getAToken` (the redirect
//! URI: redeems the code), `/profile` (gets a token silently and calls `/api/me`),
//! `/api/me` (the API: validates the bearer token against the issuer's JWKS and answers with
//! its claims; it stands in for Microsoft Graph, which the emulator does not serve). One
//! signed-in session for the whole app: a real app keys sessions by a cookie.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use msal_core::http::{HttpClient, HttpRequest};
use msal_core::token::jwks::{Jwks, JwtValidation, validate_jwt};
use msal_examples::print::field;
use msal_examples::sandbox::{EMULATOR_CONFIDENTIAL_APP, EMULATOR_USER};
use msal_examples::{Args, BoxError, Sandbox, browser, real_env};
use msal_flows::{
    Account, AuthCodeFlow, AuthCodeOptions, CallOptions, ConfidentialClientApplication,
};
use serde_json::{Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::Url;

const SCOPE: &str = "https://graph.microsoft.com/User.Read";
const API_AUDIENCE: &str = "https://graph.microsoft.com";

struct Web {
    app: ConfidentialClientApplication,
    sandbox: Sandbox,
    authority: String,
    base: String,
    login_hint: Option<String>,
    flows: Mutex<HashMap<String, AuthCodeFlow>>,
    account: Mutex<Option<Account>>,
}

/// An answer: status, extra headers, body.
type Answer = (u16, Vec<(String, String)>, String);

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Args::from_env();
    if let Some(bad) = args.unknown(&["--serve"], &[]) {
        return Err(format!("unknown argument {bad:?}").into());
    }
    let serve = args.flag("--serve");
    let vars = ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"];
    let (sandbox, tenant, client_id, secret) = match real_env(&vars) {
        Some(v) => (Sandbox::real()?, v[0].clone(), v[1].clone(), v[2].clone()),
        None => {
            let sandbox = Sandbox::emulator().await?;
            let app = sandbox.app(EMULATOR_CONFIDENTIAL_APP)?;
            let tenant = sandbox.tenant_id()?;
            let secret = app.client_secret.ok_or("no secret")?;
            (sandbox, tenant, app.client_id, secret)
        }
    };
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let authority = format!("{}/{tenant}", sandbox.authority_host());
    let app = ConfidentialClientApplication::builder(client_id)
        .authority(authority.clone())
        .client_secret(secret)
        .http_client(sandbox.http.clone())
        .instance_discovery(sandbox.emulator.is_none())
        .build()?;
    let emulated = sandbox.emulator.is_some();
    let web = Arc::new(Web {
        app,
        sandbox,
        authority,
        base: format!("http://localhost:{port}"),
        login_hint: emulated.then(|| EMULATOR_USER.to_owned()),
        flows: Mutex::default(),
        account: Mutex::default(),
    });
    field(
        "web app",
        format!("{} (redirect URI {}/getAToken)", web.base, web.base),
    );
    let server = tokio::spawn(accept(listener, web.clone()));
    if serve || !emulated {
        println!("  Serving; open {}/ in a browser. Ctrl-C stops.", web.base);
        server.await?;
        return Ok(());
    }
    println!("\nEmulator mode: a stand-in browser signs alice in once (--serve keeps serving)");
    let start = Url::parse(&format!("{}/login", web.base))?;
    let (status, page) = browser::follow(&web.sandbox.http, start).await?;
    field("final page", format!("/profile answered {status}"));
    for line in page.lines().filter(|l| l.starts_with("  ")) {
        println!("{line}");
    }
    if status != 200 {
        return Err(format!("the sign-in did not reach the profile page: {page}").into());
    }
    Ok(())
}

async fn accept(listener: TcpListener, web: Arc<Web>) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(handle(stream, web.clone()));
    }
}

async fn handle(mut stream: TcpStream, web: Arc<Web>) {
    let mut buf = vec![0u8; 16 * 1024];
    let mut len = 0;
    while len < buf.len() {
        match stream.read(&mut buf[len..]).await {
            Ok(0) | Err(_) => break,
            Ok(n) => len += n,
        }
        if buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let head = String::from_utf8_lossy(&buf[..len]).into_owned();
    let target = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let bearer = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("Authorization: Bearer ")
                .or_else(|| l.strip_prefix("authorization: Bearer "))
        })
        .map(str::trim)
        .map(str::to_owned);
    let (status, headers, body) = route(&web, &target, bearer.as_deref())
        .await
        .unwrap_or_else(|e| (500, vec![], format!("error: {e}\n")));
    let mut out = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&body);
    let _ = stream.write_all(out.as_bytes()).await;
}

fn redirect(to: &str) -> Answer {
    (
        302,
        vec![("Location".to_owned(), to.to_owned())],
        String::new(),
    )
}

async fn route(web: &Web, target: &str, bearer: Option<&str>) -> Result<Answer, BoxError> {
    let url = Url::parse(&format!("{}{target}", web.base))?;
    let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
    match url.path() {
        "/" => {
            let who = web
                .account
                .lock()
                .ok()
                .and_then(|a| a.clone())
                .and_then(|a| a.username);
            let who = who.map_or("not signed in: /login".to_owned(), |u| {
                format!("signed in as {u}: /profile")
            });
            Ok((200, vec![], format!("auth_code_web\n  {who}\n")))
        }
        "/login" => {
            let mut options = AuthCodeOptions::new();
            if let Some(hint) = &web.login_hint {
                options = options.login_hint(hint.clone());
            }
            let redirect_uri = format!("{}/getAToken", web.base);
            let flow = web
                .app
                .initiate_auth_code_flow(&[SCOPE], &redirect_uri, &options)
                .await?;
            let to = flow.auth_uri.clone();
            web.flows
                .lock()
                .map_err(|_| "lock")?
                .insert(flow.state.clone(), flow);
            Ok(redirect(&to))
        }
        "/getAToken" => {
            let state = query.get("state").cloned().unwrap_or_default();
            let flow = web
                .flows
                .lock()
                .map_err(|_| "lock")?
                .remove(&state)
                .ok_or("unknown state")?;
            let result = web
                .app
                .acquire_token_by_auth_code_flow(&flow, &query, &CallOptions::new())
                .await?;
            *web.account.lock().map_err(|_| "lock")? = result.account;
            Ok(redirect("/profile"))
        }
        "/profile" => profile(web).await,
        "/api/me" => api_me(web, bearer).await,
        _ => Ok((404, vec![], "not found\n".to_owned())),
    }
}

/// Gets a token silently (the cache, else the refresh token) and calls the API with it.
async fn profile(web: &Web) -> Result<Answer, BoxError> {
    let Some(account) = web.account.lock().map_err(|_| "lock")?.clone() else {
        return Ok(redirect("/login"));
    };
    let token = web
        .app
        .acquire_token_silent(&[SCOPE], &account, &CallOptions::new())
        .await?;
    let url = Url::parse(&format!(
        "http://127.0.0.1:{}/api/me",
        web.base.rsplit(':').next().unwrap_or("")
    ))?;
    let request = HttpRequest::get(url).header(
        "Authorization",
        format!("Bearer {}", token.access_token.expose()),
    );
    let response = web.sandbox.http.inner().execute(request).await?;
    let api = String::from_utf8_lossy(&response.body).into_owned();
    Ok((
        200,
        vec![],
        format!(
            "profile\n  signed in as {}\n  token for {SCOPE} ({}, from the {})\n  /api/me answered {}:\n{api}",
            account.username.as_deref().unwrap_or("?"),
            msal_examples::print::expiry(token.expires_on),
            token.token_source.as_str(),
            response.status,
        ),
    ))
}

/// The API: validates the bearer token against the issuer's signing keys.
async fn api_me(web: &Web, bearer: Option<&str>) -> Result<Answer, BoxError> {
    let Some(token) = bearer else {
        return Ok((401, vec![], "  no bearer token\n".to_owned()));
    };
    let keys_url = Url::parse(&format!("{}/discovery/v2.0/keys", web.authority))?;
    let keys = web
        .sandbox
        .http
        .inner()
        .execute(HttpRequest::get(keys_url))
        .await?;
    let jwks = Jwks::parse(&String::from_utf8_lossy(&keys.body))?;
    let validation = JwtValidation::new(API_AUDIENCE, format!("{}/v2.0", web.authority));
    match validate_jwt::<Map<String, Value>>(token, &jwks, &validation) {
        Ok(claims) => {
            let get = |k: &str| {
                claims
                    .get(k)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned()
            };
            Ok((
                200,
                vec![],
                format!(
                    "  token valid (signature, audience, issuer, lifetime)\n  name {}\n  preferred_username {}\n  scp {}\n",
                    get("name"),
                    get("preferred_username"),
                    get("scp"),
                ),
            ))
        }
        Err(e) => Ok((401, vec![], format!("  invalid token: {e}\n"))),
    }
}

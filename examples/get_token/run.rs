//! Parsing the command line into a [`Request`] and acquiring the token over the network
//! (cache first, as MSAL does).

use std::path::PathBuf;
use std::sync::Arc;

use msal_cache::{FilePersistence, PersistentTokenCache};
use msal_core::crypto::certificate::ClientCertificate;
use msal_core::http::{HttpClient, HttpOptions, ReqwestHttpClient};
use msal_core::{Error, Secret};
use msal_examples::Args;
use msal_flows::{
    Account, AppTokenCache, AuthenticationResult, CallOptions, ConfidentialClientApplication,
    PublicClientApplication, TokenSource,
};
use serde_json::{Value, json};

use crate::{Failure, silent};

/// The grant a request uses when the cache cannot serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Password,
    DeviceCode,
    ClientSecret,
    ClientCertificate,
    OnBehalfOf,
    Refresh,
}

impl Flow {
    fn parse(s: &str) -> Result<Self, Failure> {
        Ok(match s {
            "password" => Flow::Password,
            "device-code" => Flow::DeviceCode,
            "client-secret" => Flow::ClientSecret,
            "client-certificate" => Flow::ClientCertificate,
            "on-behalf-of" => Flow::OnBehalfOf,
            "refresh" => Flow::Refresh,
            other => {
                return Err(Failure::new(
                    "invalid_argument",
                    format!(
                        "unknown --flow {other:?}: password, device-code, client-secret, client-certificate, on-behalf-of or refresh"
                    ),
                ));
            }
        })
    }

    /// Whether the token is a user's (found by account in the cache).
    pub fn is_user_flow(self) -> bool {
        matches!(self, Flow::Password | Flow::DeviceCode | Flow::Refresh)
    }

    /// Whether it is on-behalf-of.
    pub fn is_obo(self) -> bool {
        self == Flow::OnBehalfOf
    }
}

/// The parsed command line.
#[derive(Debug)]
pub struct Request {
    pub flow: Flow,
    pub authority: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub username: Option<String>,
    pub cache_file: Option<PathBuf>,
    pub show_token: bool,
    args: Args,
}

fn required(args: &Args, name: &str) -> Result<String, Failure> {
    args.value(name)
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| Failure::new("invalid_argument", format!("{name} is required")))
}

impl Request {
    fn parse(args: &Args) -> Result<Self, Failure> {
        let scopes = args.values("--scope");
        if scopes.is_empty() {
            return Err(Failure::new("invalid_argument", "--scope is required"));
        }
        Ok(Self {
            flow: Flow::parse(&required(args, "--flow")?)?,
            authority: required(args, "--authority")?
                .trim_end_matches('/')
                .to_owned(),
            client_id: required(args, "--client-id")?,
            scopes,
            username: args.value("--username"),
            cache_file: args.value("--cache-file").map(PathBuf::from),
            show_token: args.flag("--show-token"),
            args: args.clone(),
        })
    }

    /// A secret from the variable named by `option` (or `default`).
    fn secret_from_env(&self, option: &str, default: &str) -> Result<Secret, Failure> {
        let var = self
            .args
            .value(option)
            .unwrap_or_else(|| default.to_owned());
        std::env::var(&var)
            .ok()
            .filter(|v| !v.is_empty())
            .map(Secret::new)
            .ok_or_else(|| {
                Failure::new(
                    "invalid_argument",
                    format!("the variable {var} (see {option}) is not set"),
                )
            })
    }
}

/// Runs the command: the JSON to print, or the failure.
pub async fn run(args: &Args) -> Result<Value, Failure> {
    let request = Request::parse(args)?;
    if args.flag("--silent-only") {
        return silent::from_cache(&request).await;
    }
    let http = http_client(args)?;
    let cache = match &request.cache_file {
        Some(path) => AppTokenCache::from(Arc::new(PersistentTokenCache::new(Arc::new(
            FilePersistence::new(path, None),
        )))),
        None => AppTokenCache::default(),
    };
    let discovery = !args.flag("--no-instance-discovery");
    let loopback_http = request.authority.starts_with("http://");
    let result = if request.flow.is_user_flow() {
        let app = PublicClientApplication::builder(request.client_id.clone())
            .authority(request.authority.clone())
            .token_cache(cache)
            .http_client(http)
            .instance_discovery(discovery)
            .allow_loopback_http(loopback_http)
            .build()?;
        user_token(&request, &app).await?
    } else {
        let builder = ConfidentialClientApplication::builder(request.client_id.clone())
            .authority(request.authority.clone())
            .token_cache(cache)
            .http_client(http)
            .instance_discovery(discovery)
            .allow_loopback_http(loopback_http);
        let builder = match request.flow {
            Flow::ClientCertificate => {
                let path = required(args, "--certificate")?;
                builder.client_certificate(ClientCertificate::from_file(&path, None)?, false)
            }
            _ => builder.client_secret(
                request.secret_from_env("--client-secret-env", "AZURE_CLIENT_SECRET")?,
            ),
        };
        let app = builder.build()?;
        let scopes = scope_refs(&request);
        let call = CallOptions::new();
        if request.flow.is_obo() {
            let assertion = request.secret_from_env("--assertion-env", "AZURE_USER_ASSERTION")?;
            app.acquire_token_on_behalf_of(&scopes, assertion, &call)
                .await?
        } else {
            app.acquire_token_for_client(&scopes, &call).await?
        }
    };
    Ok(output(&result, request.show_token))
}

fn scope_refs(request: &Request) -> Vec<&str> {
    request.scopes.iter().map(String::as_str).collect()
}

fn http_client(args: &Args) -> Result<Arc<dyn HttpClient>, Failure> {
    let mut options = HttpOptions::default();
    if let Some(path) = args.value("--ca-file") {
        let pem = std::fs::read(&path)
            .map_err(|e| Failure::new("invalid_argument", format!("--ca-file {path}: {e}")))?;
        options = options.extra_ca_pem(pem);
    }
    Ok(Arc::new(ReqwestHttpClient::with_options(options)?))
}

/// Silent first (the cached access token, then the refresh token); then the flow's grant.
async fn user_token(
    request: &Request,
    app: &PublicClientApplication,
) -> Result<AuthenticationResult, Failure> {
    let scopes = scope_refs(request);
    let call = CallOptions::new();
    if let Some(account) = find_account(request, app).await? {
        match app.acquire_token_silent(&scopes, &account, &call).await {
            Ok(result) => return Ok(result),
            Err(e) if request.flow == Flow::Refresh => return Err(e.into()),
            Err(e) if e.is_interaction_required() => {}
            Err(e) => return Err(e.into()),
        }
    }
    match request.flow {
        Flow::Password => {
            let username = request.username.as_deref().ok_or_else(|| {
                Failure::new("invalid_argument", "--flow password needs --username")
            })?;
            let password = request.secret_from_env("--password-env", "AZURE_PASSWORD")?;
            Ok(app
                .acquire_token_by_username_password(&scopes, username, password, &call)
                .await?)
        }
        Flow::DeviceCode => {
            let flow = app.initiate_device_flow(&scopes, &call).await?;
            eprintln!("{}", flow.message);
            Ok(app.acquire_token_by_device_flow(&flow, &call).await?)
        }
        _ => Err(Failure::from(Error::new(
            msal_core::ErrorKind::InteractionRequired,
            "no account in the cache to refresh: sign in with another flow first",
        ))),
    }
}

async fn find_account(
    request: &Request,
    app: &PublicClientApplication,
) -> Result<Option<Account>, Failure> {
    let accounts = app.get_accounts().await?;
    let mut matching = accounts.into_iter().filter(|a| {
        request.username.as_deref().is_none_or(|u| {
            a.username
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(u))
        })
    });
    let first = matching.next();
    if first.is_some() && matching.next().is_some() {
        return Err(Failure::new(
            "invalid_argument",
            "several accounts in the cache: pass --username",
        ));
    }
    Ok(first)
}

fn output(result: &AuthenticationResult, show_token: bool) -> Value {
    let source = match result.token_source {
        TokenSource::Cache => "cache",
        _ => "identity_provider",
    };
    let mut out = json!({
        "token_type": result.token_type,
        "expires_on": result.expires_on.unix_timestamp(),
        "scopes": result.scopes,
        "source": source,
        "account": result.account.as_ref().map(|a| json!({
            "username": a.username,
            "home_account_id": a.home_account_id,
            "tenant_id": a.tenant_id,
        })),
    });
    if show_token {
        out["access_token"] = Value::from(result.access_token.expose());
    }
    out
}

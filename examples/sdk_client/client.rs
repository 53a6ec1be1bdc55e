//! `WhoAmIClient`: a small SDK-style client. Like an Azure SDK client it depends on
//! `msal-core` alone, takes an `Arc<dyn TokenCredential>` and never sees a flow or a cache:
//! any credential of `azure-credential` (or your own) plugs in.
//!
//! The emulator has no protected API to call, so this client does what such an API would do
//! with the bearer token: it fetches the issuer's signing keys (JWKS) and validates the token
//! (signature, audience, issuer, lifetime) with `msal_core::token::jwks`, then reports who the
//! token is for.

use std::sync::Arc;

use msal_core::http::{HttpClient, HttpRequest};
use msal_core::token::jwks::{Jwks, JwtValidation, validate_jwt};
use msal_core::{Error, ErrorKind, Result, TokenCredential, TokenRequestOptions};
use serde_json::{Map, Value};
use url::Url;

/// Who a validated token says the caller is.
#[derive(Debug, Clone)]
pub struct WhoAmI {
    /// `preferred_username` (users) or `azp`/`appid` (applications).
    pub subject: String,
    /// The tenant (`tid`).
    pub tenant: String,
    /// Delegated scopes (`scp`) or application roles (`roles`).
    pub permissions: String,
}

/// A client of a "who am I" API protected by Entra ID tokens of `audience`.
pub struct WhoAmIClient {
    credential: Arc<dyn TokenCredential>,
    http: Arc<dyn HttpClient>,
    authority: String,
    audience: String,
}

impl WhoAmIClient {
    /// A client for the API `audience` (a resource URI) whose tokens `authority` issues.
    pub fn new(
        credential: Arc<dyn TokenCredential>,
        http: Arc<dyn HttpClient>,
        authority: impl Into<String>,
        audience: impl Into<String>,
    ) -> Self {
        Self {
            credential,
            http,
            authority: authority.into(),
            audience: audience.into(),
        }
    }

    /// Gets a token from the credential and validates it as the API would.
    pub async fn who_am_i(&self) -> Result<WhoAmI> {
        let scope = format!("{}/.default", self.audience);
        let token = self
            .credential
            .get_token(&[scope.as_str()], TokenRequestOptions::default())
            .await?;
        let jwks = self.signing_keys().await?;
        let issuer = format!("{}/v2.0", self.authority);
        let validation = JwtValidation::new(self.audience.clone(), issuer);
        let claims: Map<String, Value> = validate_jwt(token.token.expose(), &jwks, &validation)
            .map_err(|e| {
                Error::new(ErrorKind::MalformedResponse, format!("token rejected: {e}"))
            })?;
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        let roles = claims.get("roles").and_then(Value::as_array).map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" ")
        });
        Ok(WhoAmI {
            subject: text("preferred_username")
                .or_else(|| text("azp"))
                .or_else(|| text("appid"))
                .unwrap_or_default(),
            tenant: text("tid").unwrap_or_default(),
            permissions: text("scp").or(roles).unwrap_or_default(),
        })
    }

    async fn signing_keys(&self) -> Result<Jwks> {
        let url = format!("{}/discovery/v2.0/keys", self.authority);
        let url = Url::parse(&url)
            .map_err(|e| Error::new(ErrorKind::InvalidArgument, format!("authority: {e}")))?;
        let response = self.http.execute(HttpRequest::get(url)).await?;
        if !response.is_success() {
            return Err(Error::new(
                ErrorKind::Service,
                format!("the JWKS endpoint answered {}", response.status),
            ));
        }
        Jwks::parse(&String::from_utf8_lossy(&response.body))
    }
}

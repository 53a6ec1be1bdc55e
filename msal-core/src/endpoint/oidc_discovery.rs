//! The OpenID Connect discovery endpoint (protocol.md 8.4): the authority's endpoints.
//!
//! `GET {authority}/v2.0/.well-known/openid-configuration` (ADFS and generic OIDC issuers:
//! `{authority}/.well-known/openid-configuration`), parsed into [`OidcConfiguration`] and
//! checked against the authority before anything is sent to the endpoints it names (see
//! [`OidcConfiguration::validate`]).

use serde::Deserialize;
use serde_json::{Map, Value};
use url::Url;

use crate::authority::{
    Authority, AuthorityKind, alias_group, is_b2c_host, is_ciam_host, is_known_host,
};
use crate::http::{HttpRequest, Pipeline, RequestContext};
use crate::oauth2::parse_error_response;
use crate::{Error, ErrorKind, Result};

/// An OIDC discovery document.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct OidcConfiguration {
    /// `authorization_endpoint` (required).
    pub authorization_endpoint: Url,
    /// `token_endpoint` (required).
    pub token_endpoint: Url,
    /// `device_authorization_endpoint`: the device code endpoint, when the issuer has one.
    pub device_authorization_endpoint: Option<Url>,
    /// `issuer` (required), as published: `{tenantid}` stays literal for multi-tenant
    /// authorities.
    pub issuer: String,
    /// `jwks_uri`: the token signing keys.
    pub jwks_uri: Option<String>,
    /// `end_session_endpoint`: browser sign-out.
    pub end_session_endpoint: Option<String>,
    /// Every other field, unchanged.
    pub extra: Map<String, Value>,
}

#[derive(Deserialize)]
struct RawConfiguration {
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    device_authorization_endpoint: Option<String>,
    issuer: Option<String>,
    jwks_uri: Option<String>,
    end_session_endpoint: Option<String>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

fn malformed(message: String) -> Error {
    Error::new(ErrorKind::MalformedResponse, message)
}

fn refused(message: String) -> Error {
    Error::new(ErrorKind::InvalidAuthority, message)
}

impl OidcConfiguration {
    /// Parses a discovery document of `authority`. A literal `{tenant}` in the endpoints and
    /// issuer is replaced with the authority's tenant (as MSAL Go does). Missing
    /// `authorization_endpoint`, `token_endpoint` or `issuer`, or an endpoint that is not an
    /// absolute URL, is [`ErrorKind::MalformedResponse`].
    pub fn from_json(body: &[u8], authority: &Authority) -> Result<Self> {
        let raw: RawConfiguration = serde_json::from_slice(body).map_err(|e| {
            Error::with_source(
                ErrorKind::MalformedResponse,
                format!("the OIDC discovery document of {authority} is not the expected JSON: {e}"),
                e,
            )
        })?;
        let fill = |s: String| match authority.tenant() {
            "" => s,
            tenant => s.replace("{tenant}", tenant),
        };
        let required = |value: Option<String>, name: &str| {
            value
                .filter(|v| !v.trim().is_empty())
                .map(fill)
                .ok_or_else(|| {
                    malformed(format!(
                        "the OIDC discovery document of {authority} has no {name}"
                    ))
                })
        };
        let endpoint = |value: String, name: &str| {
            Url::parse(&value).map_err(|e| {
                Error::with_source(
                    ErrorKind::MalformedResponse,
                    format!(
                        "the {name} of the OIDC discovery document of {authority} is not a URL"
                    ),
                    e,
                )
            })
        };
        let authorization = required(raw.authorization_endpoint, "authorization_endpoint")?;
        let token = required(raw.token_endpoint, "token_endpoint")?;
        let issuer = required(raw.issuer, "issuer")?;
        let device = raw
            .device_authorization_endpoint
            .filter(|v| !v.trim().is_empty())
            .map(|v| endpoint(fill(v), "device_authorization_endpoint"))
            .transpose()?;
        Ok(Self {
            authorization_endpoint: endpoint(authorization, "authorization_endpoint")?,
            token_endpoint: endpoint(token, "token_endpoint")?,
            device_authorization_endpoint: device,
            issuer,
            jwks_uri: raw.jwks_uri,
            end_session_endpoint: raw.end_session_endpoint,
            extra: raw.extra,
        })
    }

    /// Checks that the document belongs to the authority, given the hosts instance discovery
    /// (or the built-in table) names as its aliases. Refused with
    /// [`ErrorKind::InvalidAuthority`]:
    /// - a token or authorization endpoint that is not on the authority's scheme, host and
    ///   port, nor on an alias (generic OIDC issuers: not on the authority's scheme);
    /// - an issuer that is not the authority's URL and, for Entra, B2C and CIAM authorities,
    ///   not on its origin, an alias, a known Microsoft host, a regional variant of one, a
    ///   `*.ciamlogin.com` host (CIAM) or a B2C host (B2C); ADFS and dSTS issuers must be on
    ///   the authority's origin; a generic OIDC issuer must be exactly the authority's URL.
    pub fn validate(&self, authority: &Authority, aliases: &[String]) -> Result<()> {
        check_endpoint(
            "authorization_endpoint",
            &self.authorization_endpoint,
            authority,
            aliases,
        )?;
        check_endpoint("token_endpoint", &self.token_endpoint, authority, aliases)?;
        check_issuer(&self.issuer, authority, aliases)
    }
}

fn host_of(url: &Url) -> String {
    url.host_str().unwrap_or_default().to_ascii_lowercase()
}

fn same_origin(url: &Url, authority: &Authority) -> bool {
    url.scheme() == authority.scheme()
        && host_of(url) == authority.host()
        && url.port() == authority.port()
}

fn is_alias(host: &str, authority: &Authority, aliases: &[String]) -> bool {
    aliases.iter().any(|a| a.eq_ignore_ascii_case(host))
        || authority
            .central_host()
            .is_some_and(|c| c.eq_ignore_ascii_case(host))
        || alias_group(authority.host()).is_some_and(|g| g.aliases.contains(&host))
}

fn check_endpoint(name: &str, url: &Url, authority: &Authority, aliases: &[String]) -> Result<()> {
    let ok = if authority.kind() == AuthorityKind::Oidc {
        url.scheme() == authority.scheme()
    } else {
        same_origin(url, authority)
            || (url.scheme() == authority.scheme()
                && url.port().is_none()
                && is_alias(&host_of(url), authority, aliases))
    };
    if ok {
        return Ok(());
    }
    Err(refused(format!(
        "the OIDC discovery document of {authority} names the {name} {}://{}, which is neither \
         the authority's host nor one of its aliases: refusing to use it; check the authority URL",
        url.scheme(),
        url.host_str().unwrap_or_default()
    )))
}

/// Whether `host` is `{region}.{base}` with `base` a known host or the authority's host.
fn is_regional_variant(host: &str, authority: &Authority) -> bool {
    host.split_once('.')
        .is_some_and(|(_, base)| is_known_host(base) || base == authority.host())
}

fn check_issuer(issuer: &str, authority: &Authority, aliases: &[String]) -> Result<()> {
    let exact = issuer.trim_end_matches('/') == authority.url().as_str().trim_end_matches('/');
    let parsed = Url::parse(issuer).ok();
    let ok = exact
        || match (authority.kind(), &parsed) {
            (AuthorityKind::Oidc, _) | (_, None) => false,
            (AuthorityKind::Adfs | AuthorityKind::Dsts, Some(url)) => same_origin(url, authority),
            (kind, Some(url)) => {
                let host = host_of(url);
                same_origin(url, authority)
                    || (url.scheme() == "https"
                        && (is_alias(&host, authority, aliases)
                            || is_known_host(&host)
                            || is_regional_variant(&host, authority)
                            || (kind == AuthorityKind::Ciam && is_ciam_host(&host))
                            || (kind == AuthorityKind::B2c && is_b2c_host(&host))))
            }
        };
    if ok {
        return Ok(());
    }
    Err(refused(format!(
        "the OIDC discovery document of {authority} names the issuer '{}', which does not belong \
         to this authority: refusing it; check the authority URL",
        issuer.escape_default()
    )))
}

/// Fetches and checks the discovery document at the authority's
/// [discovery URL](Authority::discovery_url), with the built-in aliases only.
pub async fn fetch(
    pipeline: &Pipeline,
    authority: &Authority,
    ctx: &RequestContext,
) -> Result<OidcConfiguration> {
    fetch_url(pipeline, &authority.discovery_url(), authority, &[], ctx).await
}

/// Fetches the discovery document at `url` (such as instance discovery's
/// `tenant_discovery_endpoint`) and [validates](OidcConfiguration::validate) it for
/// `authority` and `aliases`.
///
/// A 4xx answer is [`ErrorKind::InvalidAuthority`], keeping the service's error (an unknown
/// tenant is AADSTS90002); 429 and 5xx keep the kinds
/// [`parse_error_response`] gives them.
pub async fn fetch_url(
    pipeline: &Pipeline,
    url: &Url,
    authority: &Authority,
    aliases: &[String],
    ctx: &RequestContext,
) -> Result<OidcConfiguration> {
    tracing::debug!(authority = %authority, url = %url, "OIDC discovery");
    let request = HttpRequest::get(url.clone()).header("Accept", "application/json");
    let response = pipeline.send(request, ctx).await?;
    if !response.is_success() {
        let err = parse_error_response(&response);
        return Err(discovery_error(err, response.status, url, authority)
            .correlation_id(ctx.correlation_id.clone()));
    }
    let config = OidcConfiguration::from_json(&response.body, authority)?;
    config.validate(authority, aliases)?;
    Ok(config)
}

/// Presents a failed discovery as an authority error when the authority is to blame.
fn discovery_error(err: Error, status: u16, url: &Url, authority: &Authority) -> Error {
    if status == 429 || status >= 500 || !(400..500).contains(&status) {
        return err;
    }
    // An answer without an OAuth2 `error` code is not Entra speaking: most likely a wrong URL.
    let Some(entra) = err.entra().filter(|e| !e.error.is_empty()).cloned() else {
        return Error::new(
            ErrorKind::InvalidAuthority,
            format!(
                "there is no OIDC discovery document at {url} (HTTP {status}): check the \
                 authority URL (host, tenant{})",
                if authority.kind() == AuthorityKind::B2c {
                    ", policy"
                } else {
                    ""
                }
            ),
        );
    };
    let message = if entra.has_code(90002) || entra.error == "invalid_tenant" {
        format!(
            "tenant '{}' was not found at {} (AADSTS90002): check the tenant id or domain, and \
             that the authority host is the cloud the tenant lives in",
            authority.tenant(),
            authority.host_with_port()
        )
    } else {
        format!(
            "OIDC discovery of {authority} was refused (HTTP {status}): {}",
            err.message()
        )
    };
    Error::from_entra(ErrorKind::InvalidAuthority, message, entra)
}

#[cfg(test)]
#[path = "oidc_discovery_tests.rs"]
mod tests;

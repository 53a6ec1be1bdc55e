//! Client authentication at the token endpoint: secret or signed client assertion.

use crate::config::{AppConfig, AppKind};
use crate::errors::{AadError, bad_assertion, bad_client_secret, public_client_with_credential};
use crate::http::Req;
use crate::jwt::{ParsedJwt, b64_any};
use crate::state::Shared;

use super::issue::now_secs;

/// `client_assertion_type` value for JWT client assertions.
pub(crate) const JWT_BEARER_ASSERTION: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const SKEW_SECS: f64 = 300.0;

/// How the client proved its identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientAuth {
    None,
    Secret,
    Certificate,
}

impl ClientAuth {
    /// The `azpacr` claim value.
    pub fn azpacr(self) -> &'static str {
        match self {
            ClientAuth::None => "0",
            ClientAuth::Secret => "1",
            ClientAuth::Certificate => "2",
        }
    }
}

/// `Authorization: Basic base64(urlencode(client_id):urlencode(secret))` (client_secret_basic).
pub(crate) fn basic_credentials(req: &Req) -> Option<(String, String)> {
    let value = req.header("authorization")?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = String::from_utf8(b64_any(encoded.trim())?).ok()?;
    let (id, secret) = raw.split_once(':')?;
    let decode = |s: &str| {
        crate::http::parse_pairs(format!("v={s}").as_bytes())
            .pop()
            .map(|(_, v)| v)
    };
    Some((decode(id)?, decode(secret)?))
}

/// Authenticates the client from the form fields (or HTTP Basic).
pub(crate) fn authenticate(
    sh: &Shared,
    req: &Req,
    app: &AppConfig,
    tenant: usize,
    seg: &str,
) -> Result<ClientAuth, AadError> {
    let basic = basic_credentials(req);
    let secret = req
        .f("client_secret")
        .or(basic.as_ref().map(|(_, s)| s.as_str()));
    let assertion = req.f("client_assertion");
    if (secret.is_some() || assertion.is_some()) && app.kind == AppKind::Public {
        return Err(public_client_with_credential());
    }
    if let Some(s) = secret {
        return if app.client_secrets.iter().any(|x| x == s) {
            Ok(ClientAuth::Secret)
        } else {
            Err(bad_client_secret(&app.client_id))
        };
    }
    if let Some(a) = assertion {
        if req.f("client_assertion_type") != Some(JWT_BEARER_ASSERTION) {
            return Err(AadError::new(
                "invalid_request",
                50027,
                "Invalid JWT token. The client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.",
            ));
        }
        verify_assertion(sh, req, app, tenant, seg, a)?;
        return Ok(ClientAuth::Certificate);
    }
    Ok(ClientAuth::None)
}

fn malformed(detail: &str) -> AadError {
    bad_assertion(
        50027,
        format!("JWT token is invalid or malformed. {detail}"),
    )
}

fn verify_assertion(
    sh: &Shared,
    req: &Req,
    app: &AppConfig,
    tenant: usize,
    seg: &str,
    token: &str,
) -> Result<(), AadError> {
    let jwt = ParsedJwt::parse(token).map_err(|e| malformed(&e))?;
    let alg = jwt
        .alg()
        .ok_or_else(|| bad_assertion(700027, "Client assertion contains an invalid signature. The signing algorithm must be RS256 or PS256.".into()))?;
    let certs = sh
        .certs
        .get(&app.client_id.to_ascii_lowercase())
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let s256 = jwt
        .header
        .get("x5t#S256")
        .and_then(|v| v.as_str())
        .and_then(b64_any);
    let s1 = jwt
        .header
        .get("x5t")
        .and_then(|v| v.as_str())
        .and_then(b64_any);
    let candidates: Vec<_> = certs
        .iter()
        .filter(|c| match (&s256, &s1) {
            (Some(h), _) => c.sha256 == *h,
            (None, Some(h)) => c.sha1 == *h,
            (None, None) => true,
        })
        .collect();
    if candidates.is_empty() {
        return Err(bad_assertion(
            700027,
            format!(
                "Client assertion failed signature validation. The certificate used to sign it is not registered on application '{}'.",
                app.client_id
            ),
        ));
    }
    let verified = candidates.iter().any(|c| {
        c.cert
            .public_key()
            .map(|k| jwt.verify(&k, alg))
            .unwrap_or(false)
    });
    if !verified {
        return Err(bad_assertion(
            700027,
            "Client assertion failed signature validation.".into(),
        ));
    }
    for claim in ["iss", "sub"] {
        if !jwt
            .str_claim(claim)
            .is_some_and(|v| v.eq_ignore_ascii_case(&app.client_id))
        {
            return Err(malformed(&format!(
                "The '{claim}' claim must be the client id."
            )));
        }
    }
    if !audience_ok(sh, req, tenant, seg, &jwt.claims) {
        return Err(malformed(
            "The 'aud' claim must be the token endpoint of this tenant.",
        ));
    }
    let now = now_secs() as f64;
    let exp = jwt
        .num_claim("exp")
        .ok_or_else(|| malformed("The 'exp' claim is missing."))?;
    let nbf = jwt.num_claim("nbf").unwrap_or(now);
    if exp + SKEW_SECS < now || nbf - SKEW_SECS > now {
        return Err(bad_assertion(
            700024,
            "Client assertion is not within its valid time range.".into(),
        ));
    }
    Ok(())
}

fn audience_ok(
    sh: &Shared,
    req: &Req,
    tenant: usize,
    seg: &str,
    claims: &serde_json::Value,
) -> bool {
    let auds: Vec<&str> = match claims.get("aud") {
        Some(serde_json::Value::String(s)) => vec![s.as_str()],
        Some(serde_json::Value::Array(a)) => a.iter().filter_map(|v| v.as_str()).collect(),
        _ => return false,
    };
    let mut tenants: Vec<String> = vec![seg.to_ascii_lowercase()];
    if let Some(t) = sh.tenant(tenant) {
        tenants.push(t.tenant_id.to_ascii_lowercase());
        tenants.extend(t.domains.iter().map(|d| d.to_ascii_lowercase()));
    }
    let req_host = req
        .base_url
        .split("://")
        .nth(1)
        .unwrap_or("")
        .split(':')
        .next()
        .unwrap_or("");
    auds.iter().any(|a| {
        let Ok(u) = url::Url::parse(a) else {
            return false;
        };
        let host = u.host_str().unwrap_or("");
        let host_ok =
            host == req_host || host == "127.0.0.1" || host == "localhost" || host == "[::1]";
        let path = u.path().trim_end_matches('/').to_ascii_lowercase();
        host_ok
            && tenants.iter().any(|t| {
                path == format!("/{t}/oauth2/v2.0/token") || path == format!("/{t}/oauth2/token")
            })
    })
}

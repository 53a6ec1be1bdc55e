//! Optional signature validation of a JWT (an id_token or an access token) against a JWKS
//! document, the key set an authority publishes at its `jwks_uri`.
//!
//! MSAL itself never verifies the id_tokens it receives from the token endpoint. This module
//! is for applications and resource servers that receive tokens from someone else. Fetching
//! the document is the caller's job: [`Jwks::parse`] takes its text, and
//! [`validate_jwt`] is a pure function over it. When it returns
//! [`TokenValidationError::UnknownKeyId`], the keys may have rolled over: fetch the document
//! again and retry once.

use std::str::FromStr;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{Error, ErrorKind, Result};

use super::{IdTokenClaims, TokenValidationError, jwt};

/// The longest JWKS document accepted, in bytes.
const MAX_JWKS_LEN: usize = 1024 * 1024;

/// One RSA public key of a key set.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct RsaJwk {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    n: String,
    #[serde(default)]
    e: String,
}

/// The RSA keys of a JWKS document (`{"keys":[…]}`). Keys of other types, and entries that
/// are not valid RSA keys, are skipped.
///
/// ```
/// use msal_core::token::Jwks;
///
/// let jwks = Jwks::parse(r#"{"keys":[{"kty":"RSA","kid":"k1","n":"sXch","e":"AQAB"},
///                                    {"kty":"EC","kid":"k2","crv":"P-256"}]}"#).unwrap();
/// assert_eq!(jwks.key_ids().collect::<Vec<_>>(), ["k1"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Jwks {
    keys: Vec<RsaJwk>,
}

impl Jwks {
    /// Parses a JWKS document. A document that is not JSON, or has no `keys` array, is
    /// [`ErrorKind::MalformedResponse`].
    pub fn parse(json: &str) -> Result<Self> {
        if json.len() > MAX_JWKS_LEN {
            return Err(Error::new(
                ErrorKind::MalformedResponse,
                format!("the JWKS document is longer than {MAX_JWKS_LEN} bytes"),
            ));
        }
        let doc: Value = serde_json::from_str(json).map_err(|e| {
            Error::with_source(
                ErrorKind::MalformedResponse,
                "the JWKS document is not JSON",
                e,
            )
        })?;
        let entries = doc.get("keys").and_then(Value::as_array).ok_or_else(|| {
            Error::new(
                ErrorKind::MalformedResponse,
                "the JWKS document has no `keys` array",
            )
        })?;
        let keys = entries
            .iter()
            .filter_map(|entry| RsaJwk::deserialize(entry).ok())
            .filter(|k| k.kty == "RSA" && !k.n.is_empty() && !k.e.is_empty())
            .collect();
        Ok(Self { keys })
    }

    /// The number of usable RSA keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set has no usable RSA key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key ids (`kid`) of the usable keys.
    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().filter_map(|k| k.kid.as_deref())
    }

    fn find(&self, kid: Option<&str>) -> Result<&RsaJwk, TokenValidationError> {
        match kid {
            Some(kid) => self
                .keys
                .iter()
                .find(|k| k.kid.as_deref() == Some(kid))
                .ok_or_else(|| TokenValidationError::UnknownKeyId(kid.to_owned())),
            None => match self.keys.as_slice() {
                [only] => Ok(only),
                _ => Err(TokenValidationError::MissingKeyId),
            },
        }
    }
}

/// What [`validate_jwt`] checks besides the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JwtValidation {
    /// Accepted audiences; the token's `aud` must name one. Empty: `aud` is not checked.
    pub audiences: Vec<String>,
    /// Accepted issuers; the token's `iss` must be one. Empty: `iss` is not checked.
    pub issuers: Vec<String>,
    /// Accepted `alg` values. Default: `RS256`, what Entra signs with.
    pub algorithms: Vec<String>,
    /// Clock skew allowed for `exp` and `nbf`. Default 120 s.
    pub leeway: Duration,
}

impl JwtValidation {
    /// Checks the audience and the issuer, with the defaults for the rest.
    pub fn new(audience: impl Into<String>, issuer: impl Into<String>) -> Self {
        Self {
            audiences: vec![audience.into()],
            issuers: vec![issuer.into()],
            algorithms: vec!["RS256".to_owned()],
            leeway: super::id_token::DEFAULT_CLOCK_SKEW,
        }
    }
}

/// Verifies a JWT's signature with the key its header names, then its `alg`, `aud`, `iss`,
/// `exp` and `nbf`, and returns its claims.
pub fn validate_jwt<T: DeserializeOwned>(
    token: &str,
    jwks: &Jwks,
    validation: &JwtValidation,
) -> Result<T, TokenValidationError> {
    let header = jwt::decode_header(token)?;
    let alg_name = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let alg = Algorithm::from_str(alg_name)
        .ok()
        .filter(|_| validation.algorithms.iter().any(|a| a == alg_name))
        .ok_or_else(|| TokenValidationError::UnsupportedAlgorithm(alg_name.to_owned()))?;
    let jwk = jwks.find(header.get("kid").and_then(Value::as_str))?;
    let key = DecodingKey::from_rsa_components(&jwk.n, &jwk.e)
        .map_err(|e| TokenValidationError::InvalidKey(e.to_string()))?;

    let mut checks = Validation::new(alg);
    checks.leeway = validation.leeway.as_secs();
    checks.validate_nbf = true;
    let mut required = vec!["exp"];
    if validation.audiences.is_empty() {
        checks.validate_aud = false;
    } else {
        checks.set_audience(&validation.audiences);
        required.push("aud");
    }
    if !validation.issuers.is_empty() {
        checks.set_issuer(&validation.issuers);
        required.push("iss");
    }
    checks.set_required_spec_claims(&required);

    jsonwebtoken::decode::<T>(token, &key, &checks)
        .map(|data| data.claims)
        .map_err(|e| explain(e, token, validation))
}

/// Verifies an id_token with [`validate_jwt`] (audience = the client id) and returns its
/// claims.
pub fn validate_id_token(
    id_token: &str,
    jwks: &Jwks,
    client_id: &str,
    issuer: &str,
) -> Result<IdTokenClaims, TokenValidationError> {
    let claims: serde_json::Map<String, Value> =
        validate_jwt(id_token, jwks, &JwtValidation::new(client_id, issuer))?;
    IdTokenClaims::from_claims(claims)
        .map_err(|e| TokenValidationError::Malformed(e.message().to_owned()))
}

/// Turns a jsonwebtoken error into the typed reason, with the claim values that explain it.
fn explain(
    err: jsonwebtoken::errors::Error,
    token: &str,
    validation: &JwtValidation,
) -> TokenValidationError {
    use jsonwebtoken::errors::ErrorKind as K;
    let claims = IdTokenClaims::decode(token).unwrap_or_default();
    let now = super::id_token::unix_seconds(std::time::SystemTime::now());
    let skew_secs = validation.leeway.as_secs();
    match err.kind() {
        K::InvalidSignature => TokenValidationError::InvalidSignature,
        K::InvalidAudience => TokenValidationError::AudienceMismatch {
            expected: validation.audiences.join(" "),
            found: claims.aud,
        },
        K::InvalidIssuer => TokenValidationError::IssuerMismatch {
            found: claims.iss.unwrap_or_default(),
        },
        K::ExpiredSignature => TokenValidationError::Expired {
            exp: claims.exp.unwrap_or_default(),
            now,
            skew_secs,
        },
        K::ImmatureSignature => TokenValidationError::NotYetValid {
            nbf: claims.nbf.unwrap_or_default(),
            now,
            skew_secs,
        },
        K::MissingRequiredClaim(name) => TokenValidationError::MissingClaim(match name.as_str() {
            "exp" => "exp",
            "aud" => "aud",
            "iss" => "iss",
            _ => "a required claim",
        }),
        K::InvalidRsaKey(_) | K::InvalidKeyFormat => {
            TokenValidationError::InvalidKey(err.to_string())
        }
        _ => TokenValidationError::Malformed(err.to_string()),
    }
}

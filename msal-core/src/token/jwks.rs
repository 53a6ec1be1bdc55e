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

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use jsonwebtoken::{EncodingKey, Header};
    use openssl::pkey::{PKey, Private};
    use serde_json::json;

    use super::*;
    use crate::crypto::test_support::{new_rsa_key, shared_key};

    const CLIENT_ID: &str = "11111111-1111-1111-1111-111111111111";
    const ISSUER: &str = "https://login.example/aaaabbbb-0000-cccc-1111-dddd2222eeee/v2.0";

    fn jwk(key: &PKey<Private>, kid: &str) -> Value {
        let rsa = key.rsa().unwrap();
        json!({
            "kty": "RSA", "use": "sig", "kid": kid, "x5t": kid, "issuer": ISSUER,
            "n": URL_SAFE_NO_PAD.encode(rsa.n().to_vec()),
            "e": URL_SAFE_NO_PAD.encode(rsa.e().to_vec()),
        })
    }

    fn sign(key: &PKey<Private>, kid: Option<&str>, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = kid.map(str::to_owned);
        let der = key.rsa().unwrap().private_key_to_der().unwrap();
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_rsa_der(&der)).unwrap()
    }

    fn claims() -> Value {
        let now = crate::token::id_token::unix_seconds(std::time::SystemTime::now());
        json!({"aud": CLIENT_ID, "iss": ISSUER, "sub": "s", "oid": "o", "nbf": now - 10,
               "iat": now - 10, "exp": now + 3600, "preferred_username": "a@b.c"})
    }

    fn jwks_for(keys: &[Value]) -> Jwks {
        Jwks::parse(&json!({ "keys": keys }).to_string()).unwrap()
    }

    #[test]
    fn accepts_a_token_signed_by_a_key_of_the_set() {
        let key = shared_key();
        let jwks = jwks_for(&[jwk(&new_rsa_key(), "other"), jwk(&key, "k1")]);
        let token = sign(&key, Some("k1"), &claims());
        let verified = validate_id_token(&token, &jwks, CLIENT_ID, ISSUER).unwrap();
        assert_eq!(verified.username(), Some("a@b.c"));
    }

    #[test]
    fn rejects_a_tampered_payload() {
        let key = shared_key();
        let jwks = jwks_for(&[jwk(&key, "k1")]);
        let token = sign(&key, Some("k1"), &claims());
        let mut parts: Vec<&str> = token.split('.').collect();
        let mut forged = claims();
        forged["preferred_username"] = json!("mallory@b.c");
        let forged = URL_SAFE_NO_PAD.encode(forged.to_string());
        parts[1] = &forged;
        let err = validate_id_token(&parts.join("."), &jwks, CLIENT_ID, ISSUER).unwrap_err();
        assert_eq!(err, TokenValidationError::InvalidSignature);
    }

    #[test]
    fn rejects_a_token_signed_by_a_key_outside_the_set() {
        let jwks = jwks_for(&[jwk(&shared_key(), "k1")]);
        let token = sign(&new_rsa_key(), Some("k1"), &claims());
        let err = validate_id_token(&token, &jwks, CLIENT_ID, ISSUER).unwrap_err();
        assert_eq!(err, TokenValidationError::InvalidSignature);
    }

    #[test]
    fn rejects_wrong_audience_and_issuer() {
        let key = shared_key();
        let jwks = jwks_for(&[jwk(&key, "k1")]);
        let token = sign(&key, Some("k1"), &claims());
        assert_eq!(
            validate_id_token(&token, &jwks, "someone-else", ISSUER).unwrap_err(),
            TokenValidationError::AudienceMismatch {
                expected: "someone-else".into(),
                found: vec![CLIENT_ID.into()]
            }
        );
        assert!(matches!(
            validate_id_token(&token, &jwks, CLIENT_ID, "https://evil/v2.0").unwrap_err(),
            TokenValidationError::IssuerMismatch { found } if found == ISSUER
        ));
    }

    #[test]
    fn unknown_or_missing_kid_is_reported_for_a_jwks_refresh() {
        let key = shared_key();
        let two = jwks_for(&[jwk(&key, "k1"), jwk(&new_rsa_key(), "k2")]);
        let token = sign(&key, Some("rolled"), &claims());
        assert_eq!(
            validate_id_token(&token, &two, CLIENT_ID, ISSUER).unwrap_err(),
            TokenValidationError::UnknownKeyId("rolled".into())
        );
        let no_kid = sign(&key, None, &claims());
        assert_eq!(
            validate_id_token(&no_kid, &two, CLIENT_ID, ISSUER).unwrap_err(),
            TokenValidationError::MissingKeyId
        );
        // With a single key, a token without kid is checked against it.
        let one = jwks_for(&[jwk(&key, "k1")]);
        assert!(validate_id_token(&no_kid, &one, CLIENT_ID, ISSUER).is_ok());
    }

    #[test]
    fn rejects_expired_tokens_and_other_algorithms() {
        let key = shared_key();
        let jwks = jwks_for(&[jwk(&key, "k1")]);
        let mut old = claims();
        old["exp"] = json!(1_000);
        let err = validate_id_token(&sign(&key, Some("k1"), &old), &jwks, CLIENT_ID, ISSUER);
        assert!(matches!(
            err,
            Err(TokenValidationError::Expired { exp: 1_000, .. })
        ));

        let unsigned = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"k1"}"#),
            URL_SAFE_NO_PAD.encode(claims().to_string())
        );
        assert_eq!(
            validate_id_token(&unsigned, &jwks, CLIENT_ID, ISSUER).unwrap_err(),
            TokenValidationError::UnsupportedAlgorithm("none".into())
        );
        let hs256 = jsonwebtoken::encode(
            &Header {
                kid: Some("k1".into()),
                ..Header::new(Algorithm::HS256)
            },
            &claims(),
            &EncodingKey::from_secret(b"k"),
        )
        .unwrap();
        assert_eq!(
            validate_id_token(&hs256, &jwks, CLIENT_ID, ISSUER).unwrap_err(),
            TokenValidationError::UnsupportedAlgorithm("HS256".into())
        );
    }

    #[test]
    fn malformed_tokens_and_documents_give_typed_errors() {
        let jwks = jwks_for(&[jwk(&shared_key(), "k1")]);
        for token in ["", "a.b", "a.b.c.d", "!!.!!.!!"] {
            assert!(matches!(
                validate_id_token(token, &jwks, CLIENT_ID, ISSUER),
                Err(TokenValidationError::Malformed(_))
            ));
        }
        for doc in ["", "[]", "{\"keys\":{}}", "not json"] {
            assert_eq!(
                Jwks::parse(doc).unwrap_err().kind(),
                ErrorKind::MalformedResponse
            );
        }
        let skipped = Jwks::parse(r#"{"keys":[{"kty":"RSA"},{"kty":"oct","k":"x"},7]}"#).unwrap();
        assert!(skipped.is_empty());
        assert_eq!(
            validate_id_token(
                &sign(&shared_key(), Some("k1"), &claims()),
                &skipped,
                CLIENT_ID,
                ISSUER
            )
            .unwrap_err(),
            TokenValidationError::UnknownKeyId("k1".into())
        );
    }
}

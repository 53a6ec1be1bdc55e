//! The claims of an id_token, decoded without verifying its signature (as every MSAL does:
//! the token came straight from the token endpoint over TLS), and the checks MSAL Python
//! makes on them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::{Error, ErrorKind, Result};

use super::{TokenValidationError, jwt};

/// The clock skew MSAL Python allows when it looks at `exp`, `nbf` and `auth_time`.
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(120);

/// The claims of an id_token that MSAL reads, plus every other claim in
/// [`extra`](Self::extra).
///
/// ```
/// use msal_core::token::IdTokenClaims;
///
/// // header {"alg":"none"}, payload {"aud":"app","oid":"o1","upn":"a@b.c","exp":"2000000000"}
/// let token = "eyJhbGciOiJub25lIn0.\
///     eyJhdWQiOiJhcHAiLCJvaWQiOiJvMSIsInVwbiI6ImFAYi5jIiwiZXhwIjoiMjAwMDAwMDAwMCJ9.";
/// let claims = IdTokenClaims::decode(token).unwrap();
/// assert_eq!(claims.username(), Some("a@b.c"));
/// assert_eq!(claims.local_account_id(), Some("o1"));
/// assert_eq!(claims.exp, Some(2_000_000_000));
/// assert!(claims.check_audience("app").is_ok());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct IdTokenClaims {
    /// `iss`: the issuer, `https://login.microsoftonline.com/{tid}/v2.0` for v2 tokens.
    #[serde(default)]
    pub iss: Option<String>,
    /// `sub`: the subject, pairwise per application.
    #[serde(default)]
    pub sub: Option<String>,
    /// `aud`: the audiences (the client id), whether the token wrote a string or an array.
    #[serde(default, deserialize_with = "string_or_array")]
    pub aud: Vec<String>,
    /// `oid`: the user's object id in the issuing tenant.
    #[serde(default)]
    pub oid: Option<String>,
    /// `tid`: the issuing tenant id (the resource tenant for a guest).
    #[serde(default)]
    pub tid: Option<String>,
    /// `preferred_username`: the sign-in name shown to the user (v2 tokens).
    #[serde(default)]
    pub preferred_username: Option<String>,
    /// `upn`: the user principal name (v1 tokens, ADFS).
    #[serde(default)]
    pub upn: Option<String>,
    /// `name`: the display name.
    #[serde(default)]
    pub name: Option<String>,
    /// `email`, with the `email` scope.
    #[serde(default)]
    pub email: Option<String>,
    /// `nonce`: copied from the authorization request.
    #[serde(default)]
    pub nonce: Option<String>,
    /// `exp`, seconds since the Unix epoch (a fractional value is truncated).
    #[serde(default, deserialize_with = "numeric")]
    pub exp: Option<i64>,
    /// `iat`, seconds since the Unix epoch.
    #[serde(default, deserialize_with = "numeric")]
    pub iat: Option<i64>,
    /// `nbf`, seconds since the Unix epoch.
    #[serde(default, deserialize_with = "numeric")]
    pub nbf: Option<i64>,
    /// `auth_time`, seconds since the Unix epoch, when the request set `max_age`.
    #[serde(default, deserialize_with = "numeric")]
    pub auth_time: Option<i64>,
    /// `ver`: the token version, `"1.0"` or `"2.0"`.
    #[serde(default, deserialize_with = "string_or_number")]
    pub ver: Option<String>,
    /// Every other claim, unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl IdTokenClaims {
    /// Decodes an id_token's payload without verifying its signature.
    ///
    /// A token that is not a JWT, or whose payload is not a JSON object with claims of the
    /// expected types, is [`ErrorKind::MalformedResponse`].
    pub fn decode(id_token: &str) -> Result<Self> {
        let claims = jwt::decode_claims(id_token).map_err(|e| {
            Error::with_source(
                ErrorKind::MalformedResponse,
                format!("the id_token in the response cannot be read: {e}"),
                e,
            )
        })?;
        Self::from_claims(claims)
    }

    /// Reads the claims from an already decoded payload.
    pub fn from_claims(claims: Map<String, Value>) -> Result<Self> {
        serde_json::from_value(Value::Object(claims)).map_err(|e| {
            Error::with_source(
                ErrorKind::MalformedResponse,
                "the id_token has a claim of the wrong type",
                e,
            )
        })
    }

    /// The account's username: `preferred_username`, else `upn`.
    pub fn username(&self) -> Option<&str> {
        non_empty(&self.preferred_username).or_else(|| non_empty(&self.upn))
    }

    /// The account's id in the issuing tenant: `oid`, else `sub`.
    pub fn local_account_id(&self) -> Option<&str> {
        non_empty(&self.oid).or_else(|| non_empty(&self.sub))
    }

    /// Checks that `aud` is, or contains, the client id (MSAL Python raises otherwise).
    pub fn check_audience(&self, client_id: &str) -> Result<(), TokenValidationError> {
        if self.aud.is_empty() {
            return Err(TokenValidationError::MissingClaim("aud"));
        }
        if self.aud.iter().any(|a| a == client_id) {
            Ok(())
        } else {
            Err(TokenValidationError::AudienceMismatch {
                expected: client_id.to_owned(),
                found: self.aud.clone(),
            })
        }
    }

    /// Checks the `nonce` claim against the raw nonce kept from the authorization request.
    ///
    /// MSAL Python sends the hex SHA-256 of its raw nonce on the request (see
    /// [`Nonce`](crate::crypto::random::Nonce)), and Entra copies that value into the token,
    /// so the claim must equal `hex(sha256(raw_nonce))`. A claim equal to the raw nonce
    /// itself is accepted too, for clients that send the nonce unhashed.
    pub fn check_nonce(&self, raw_nonce: &str) -> Result<(), TokenValidationError> {
        let claim = self
            .nonce
            .as_deref()
            .ok_or(TokenValidationError::MissingClaim("nonce"))?;
        let hashed = crate::crypto::random::hash_nonce(raw_nonce);
        if constant_time_eq(claim, &hashed) || constant_time_eq(claim, raw_nonce) {
            Ok(())
        } else {
            Err(TokenValidationError::NonceMismatch)
        }
    }

    /// Checks `exp` and `nbf` against the system clock, allowing `skew` either way.
    /// MSAL Python only logs these failures; callers decide whether to fail or warn.
    pub fn check_time(&self, skew: Duration) -> Result<(), TokenValidationError> {
        self.check_time_at(SystemTime::now(), skew)
    }

    /// Checks `exp` and `nbf` against `now`, allowing `skew` either way. Missing claims
    /// pass.
    pub fn check_time_at(
        &self,
        now: SystemTime,
        skew: Duration,
    ) -> Result<(), TokenValidationError> {
        let now = unix_seconds(now);
        let skew_secs = skew.as_secs();
        let skew_i = i64::try_from(skew_secs).unwrap_or(i64::MAX);
        if let Some(exp) = self.exp
            && now > exp.saturating_add(skew_i)
        {
            return Err(TokenValidationError::Expired {
                exp,
                now,
                skew_secs,
            });
        }
        if let Some(nbf) = self.nbf
            && now < nbf.saturating_sub(skew_i)
        {
            return Err(TokenValidationError::NotYetValid {
                nbf,
                now,
                skew_secs,
            });
        }
        Ok(())
    }

    /// When the authorization request set `max_age`, checks that `auth_time` is present
    /// and not older than `max_age` (with MSAL Python's 120 s skew).
    pub fn check_max_age(
        &self,
        max_age: Duration,
        now: SystemTime,
    ) -> Result<(), TokenValidationError> {
        let auth_time = self
            .auth_time
            .ok_or(TokenValidationError::MissingClaim("auth_time"))?;
        let max_age_secs = max_age.as_secs();
        let limit = auth_time
            .saturating_add(i64::try_from(max_age_secs).unwrap_or(i64::MAX))
            .saturating_add(DEFAULT_CLOCK_SKEW.as_secs() as i64);
        if unix_seconds(now) > limit {
            Err(TokenValidationError::MaxAgeExceeded {
                auth_time,
                max_age_secs,
            })
        } else {
            Ok(())
        }
    }
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && openssl::memcmp::eq(a.as_bytes(), b.as_bytes())
}

/// Seconds since the Unix epoch (negative before it).
pub(crate) fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

fn string_or_array<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::One(s)) => vec![s],
        Some(OneOrMany::Many(v)) => v,
    })
}

fn numeric<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    use serde::de::Error as _;
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| D::Error::custom("a time claim is out of range")),
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .ok()
            .or_else(|| {
                s.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(|f| f as i64)
            })
            .map(Some)
            .ok_or_else(|| D::Error::custom("a time claim is a string that is not a number")),
        Some(_) => Err(D::Error::custom(
            "a time claim is neither a number nor a string",
        )),
    }
}

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    use serde::de::Error as _;
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(D::Error::custom("`ver` is neither a string nor a number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn token_with(payload: &str) -> String {
        let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.sig", enc(r#"{"alg":"RS256"}"#), enc(payload))
    }

    /// The id_token the test authority returned to MSAL Python's auth code flow.
    fn recorded_id_token() -> String {
        let text = crate::crypto::test_support::reference_wire("msal_auth_code_public.json");
        let doc: Value = serde_json::from_str(&text).unwrap();
        doc["result"]["id_token"].as_str().unwrap().to_owned()
    }

    #[test]
    fn decodes_recorded_id_token_claims() {
        let claims = IdTokenClaims::decode(&recorded_id_token()).unwrap();
        assert_eq!(claims.aud, vec!["11111111-1111-1111-1111-111111111111"]);
        assert_eq!(claims.username(), Some("alice@managed.test"));
        assert_eq!(
            claims.local_account_id(),
            Some("00000000-0000-0000-0000-00000000a11c")
        );
        assert_eq!(
            claims.tid.as_deref(),
            Some("aaaabbbb-0000-cccc-1111-dddd2222eeee")
        );
        assert_eq!(claims.ver.as_deref(), Some("2.0"));
        assert_eq!(claims.exp, Some(1_795_315_779));
        assert_eq!(claims.extra["rh"], "0.fake.");
        assert_eq!(
            claims.nonce.as_deref(),
            Some("f3d100ab0182b416e49a653ecb6ebb70775b9be86a194e0694db572d90c34a55")
        );
        assert!(
            claims
                .check_audience("11111111-1111-1111-1111-111111111111")
                .is_ok()
        );
    }

    #[test]
    fn audience_may_be_an_array_and_must_contain_the_client_id() {
        let claims = IdTokenClaims::decode(&token_with(r#"{"aud":["a","b"]}"#)).unwrap();
        assert!(claims.check_audience("b").is_ok());
        assert_eq!(
            claims.check_audience("c"),
            Err(TokenValidationError::AudienceMismatch {
                expected: "c".into(),
                found: vec!["a".into(), "b".into()]
            })
        );
        let none = IdTokenClaims::decode(&token_with("{}")).unwrap();
        assert_eq!(
            none.check_audience("c"),
            Err(TokenValidationError::MissingClaim("aud"))
        );
    }

    #[test]
    fn times_accept_numbers_floats_and_numeric_strings() {
        let claims = IdTokenClaims::decode(&token_with(
            r#"{"exp":1700000000.9,"iat":"1600000000","nbf":"1600000000.5","auth_time":12,"ver":1}"#,
        ))
        .unwrap();
        assert_eq!(claims.exp, Some(1_700_000_000));
        assert_eq!(claims.iat, Some(1_600_000_000));
        assert_eq!(claims.nbf, Some(1_600_000_000));
        assert_eq!(claims.auth_time, Some(12));
        assert_eq!(claims.ver.as_deref(), Some("1"));
    }

    #[test]
    fn wrongly_typed_claims_are_malformed_responses() {
        for payload in [
            r#"{"exp":"soon"}"#,
            r#"{"exp":[1]}"#,
            r#"{"aud":5}"#,
            r#"{"sub":{}}"#,
            r#"{"ver":true}"#,
        ] {
            let err = IdTokenClaims::decode(&token_with(payload)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::MalformedResponse, "{payload}");
        }
    }

    #[test]
    fn malformed_id_tokens_are_malformed_responses() {
        let recorded = recorded_id_token();
        let truncated = &recorded[..recorded.len() / 3];
        let huge = token_with(&format!(r#"{{"x":"{}"}}"#, "a".repeat(200_000)));
        for token in ["", "a", "a.b", "a.b.c.d", "..", "!.!.!", truncated, &huge] {
            let err = IdTokenClaims::decode(token).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::MalformedResponse, "{token:.30}");
        }
    }

    #[test]
    fn username_prefers_preferred_username_then_upn() {
        let both = IdTokenClaims::decode(&token_with(
            r#"{"preferred_username":"p@x","upn":"u@x","sub":"s"}"#,
        ))
        .unwrap();
        assert_eq!(both.username(), Some("p@x"));
        assert_eq!(both.local_account_id(), Some("s"));
        let upn =
            IdTokenClaims::decode(&token_with(r#"{"preferred_username":"","upn":"u@x"}"#)).unwrap();
        assert_eq!(upn.username(), Some("u@x"));
        assert_eq!(upn.local_account_id(), None);
    }

    #[test]
    fn nonce_matches_hashed_or_raw_value_only() {
        let raw = "QZLvgRnwXpaiKmVD";
        let hashed = crate::crypto::random::hash_nonce(raw);
        let with = |n: &str| IdTokenClaims::decode(&token_with(&format!(r#"{{"nonce":"{n}"}}"#)));
        assert!(with(&hashed).unwrap().check_nonce(raw).is_ok());
        assert!(with(raw).unwrap().check_nonce(raw).is_ok());
        assert_eq!(
            with(&hashed).unwrap().check_nonce("other"),
            Err(TokenValidationError::NonceMismatch)
        );
        assert_eq!(
            IdTokenClaims::default().check_nonce(raw),
            Err(TokenValidationError::MissingClaim("nonce"))
        );
    }

    #[test]
    fn time_check_allows_skew_and_rejects_beyond_it() {
        let at = |s: u64| UNIX_EPOCH + Duration::from_secs(s);
        let claims = IdTokenClaims {
            nbf: Some(1_000),
            exp: Some(2_000),
            ..Default::default()
        };
        assert!(claims.check_time_at(at(1_500), DEFAULT_CLOCK_SKEW).is_ok());
        assert!(claims.check_time_at(at(2_120), DEFAULT_CLOCK_SKEW).is_ok());
        assert!(claims.check_time_at(at(880), DEFAULT_CLOCK_SKEW).is_ok());
        assert!(matches!(
            claims.check_time_at(at(2_121), DEFAULT_CLOCK_SKEW),
            Err(TokenValidationError::Expired {
                exp: 2_000,
                now: 2_121,
                ..
            })
        ));
        assert!(matches!(
            claims.check_time_at(at(879), DEFAULT_CLOCK_SKEW),
            Err(TokenValidationError::NotYetValid { nbf: 1_000, .. })
        ));
        assert!(
            IdTokenClaims::default()
                .check_time(DEFAULT_CLOCK_SKEW)
                .is_ok()
        );
    }

    #[test]
    fn max_age_needs_a_recent_auth_time() {
        let at = |s: u64| UNIX_EPOCH + Duration::from_secs(s);
        let claims = IdTokenClaims {
            auth_time: Some(10_000),
            ..Default::default()
        };
        let max_age = Duration::from_secs(600);
        assert!(claims.check_max_age(max_age, at(10_720)).is_ok());
        assert_eq!(
            claims.check_max_age(max_age, at(10_721)),
            Err(TokenValidationError::MaxAgeExceeded {
                auth_time: 10_000,
                max_age_secs: 600
            })
        );
        assert_eq!(
            IdTokenClaims::default().check_max_age(max_age, at(0)),
            Err(TokenValidationError::MissingClaim("auth_time"))
        );
    }
}

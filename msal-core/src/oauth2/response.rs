//! Success answers of the token and device authorization endpoints.
//!
//! Both keep every field they do not know in `extra`, so that nothing the service adds is
//! lost. Their `Debug` shows no token and only the names of the extra fields.

use std::fmt;

use serde_json::{Map, Value};

use super::MAX_JSON_BODY;
use crate::{Error, ErrorKind, Result, Secret};

/// A successful token endpoint answer.
///
/// `expires_in` (and `ext_expires_in`, `refresh_in`, `expires_on`) are accepted as a JSON
/// number or a string holding one, as Entra and managed identity endpoints send both.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct TokenResponse {
    /// `token_type`; `Bearer` when the service left it out.
    pub token_type: String,
    /// `access_token`, never empty.
    pub access_token: Secret,
    /// `expires_in` in seconds, when sent.
    pub expires_in: Option<u64>,
    /// `ext_expires_in` in seconds (extended lifetime during outages), when sent.
    pub ext_expires_in: Option<u64>,
    /// `refresh_in` in seconds: when to refresh proactively, when sent.
    pub refresh_in: Option<u64>,
    /// `expires_on` as Unix seconds (managed identity style), when sent.
    pub expires_on: Option<u64>,
    /// `refresh_token` (user flows with `offline_access`).
    pub refresh_token: Option<Secret>,
    /// `id_token` (user flows with `openid`).
    pub id_token: Option<Secret>,
    /// `client_info`: base64url JSON with the account's `uid` and `utid`.
    pub client_info: Option<String>,
    /// `scope`: the granted scopes, space-separated (absent for client credentials).
    pub scope: Option<String>,
    /// `foci`: `"1"` when the refresh token is a family refresh token.
    pub foci: Option<String>,
    /// Every other field, unchanged.
    pub extra: Map<String, Value>,
}

impl TokenResponse {
    /// Parses and validates a token endpoint body.
    ///
    /// Fails with [`ErrorKind::MalformedResponse`] when the body is over 1 MiB, is not a
    /// JSON object, has a field of the wrong type, has no (or an empty) `access_token`, or
    /// has neither `expires_in` nor `expires_on` (MSAL Python would assume 600 seconds; a
    /// token of unknown lifetime cannot be cached safely, so we refuse it as MSAL Go does).
    ///
    /// ```
    /// use msal_core::oauth2::TokenResponse;
    ///
    /// let r = TokenResponse::from_json(br#"{"token_type":"Bearer","access_token":"at","expires_in":"3599"}"#)?;
    /// assert_eq!(r.expires_in, Some(3599));
    /// assert!(TokenResponse::from_json(br#"{"expires_in":3599}"#).is_err());
    /// # Ok::<(), msal_core::Error>(())
    /// ```
    pub fn from_json(body: &[u8]) -> Result<Self> {
        let mut map = parse_object(body, "token response")?;
        let access_token = take_string(&mut map, "access_token")?.ok_or_else(|| {
            malformed("the token response has no access_token (or an empty one)".into())
        })?;
        let expires_in = take_seconds(&mut map, "expires_in")?;
        let expires_on = take_seconds(&mut map, "expires_on")?;
        if expires_in.is_none() && expires_on.is_none() {
            return Err(malformed(
                "the token response has neither expires_in nor expires_on, so the token's \
                 lifetime is unknown"
                    .into(),
            ));
        }
        Ok(Self {
            token_type: take_string(&mut map, "token_type")?.unwrap_or_else(|| "Bearer".into()),
            access_token: Secret::new(access_token),
            expires_in,
            expires_on,
            ext_expires_in: take_seconds(&mut map, "ext_expires_in")?,
            refresh_in: take_seconds(&mut map, "refresh_in")?,
            refresh_token: take_string(&mut map, "refresh_token")?.map(Secret::new),
            id_token: take_string(&mut map, "id_token")?.map(Secret::new),
            client_info: take_string(&mut map, "client_info")?,
            scope: take_string(&mut map, "scope")?,
            foci: take_string(&mut map, "foci")?,
            extra: map,
        })
    }

    /// The granted scopes, split on whitespace (`None` when the service sent no `scope`).
    pub fn granted_scopes(&self) -> Option<Vec<&str>> {
        self.scope
            .as_deref()
            .map(|s| s.split_whitespace().collect())
    }

    /// Whether the refresh token belongs to the family of Microsoft first-party apps.
    pub fn is_family(&self) -> bool {
        self.foci.as_deref() == Some("1")
    }
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("token_type", &self.token_type)
            .field("access_token", &self.access_token)
            .field("expires_in", &self.expires_in)
            .field("ext_expires_in", &self.ext_expires_in)
            .field("refresh_in", &self.refresh_in)
            .field("expires_on", &self.expires_on)
            .field("refresh_token", &self.refresh_token)
            .field("id_token", &self.id_token)
            .field("client_info", &self.client_info)
            .field("scope", &self.scope)
            .field("foci", &self.foci)
            .field("extra_fields", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The device authorization answer: what to show the user, and what to poll with.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct DeviceCodeResponse {
    /// The code the user types on the verification page.
    pub user_code: String,
    /// The code the application polls the token endpoint with.
    pub device_code: Secret,
    /// The page where the user signs in (`verification_uri`, or the legacy
    /// `verification_url`).
    pub verification_uri: String,
    /// Seconds until the codes expire (MSAL Python's default of 1800 when not sent).
    pub expires_in: u64,
    /// Seconds to wait between polls (5 when not sent).
    pub interval: u64,
    /// The sign-in instruction to show the user, when sent.
    pub message: Option<String>,
    /// Every other field, unchanged.
    pub extra: Map<String, Value>,
}

/// The default polling interval, in seconds (RFC 8628).
pub const DEFAULT_DEVICE_CODE_INTERVAL: u64 = 5;
/// The default device code lifetime, in seconds, when the service does not say.
pub const DEFAULT_DEVICE_CODE_EXPIRES_IN: u64 = 1800;

impl DeviceCodeResponse {
    /// Parses and validates a device authorization body. Fails with
    /// [`ErrorKind::MalformedResponse`] when it is over 1 MiB, not a JSON object, lacks
    /// `user_code`, `device_code` or a verification URI, or has a field of the wrong type.
    pub fn from_json(body: &[u8]) -> Result<Self> {
        let mut map = parse_object(body, "device code response")?;
        let mut required = |name: &str| {
            take_string(&mut map, name)?
                .ok_or_else(|| malformed(format!("the device code response has no {name}")))
        };
        let user_code = required("user_code")?;
        let device_code = Secret::new(required("device_code")?);
        let verification_uri = match take_string(&mut map, "verification_uri")? {
            Some(uri) => uri,
            None => take_string(&mut map, "verification_url")?.ok_or_else(|| {
                malformed("the device code response has no verification_uri".into())
            })?,
        };
        Ok(Self {
            user_code,
            device_code,
            verification_uri,
            expires_in: take_seconds(&mut map, "expires_in")?
                .unwrap_or(DEFAULT_DEVICE_CODE_EXPIRES_IN),
            interval: take_seconds(&mut map, "interval")?
                .filter(|i| *i > 0)
                .unwrap_or(DEFAULT_DEVICE_CODE_INTERVAL),
            message: take_string(&mut map, "message")?,
            extra: map,
        })
    }
}

impl fmt::Debug for DeviceCodeResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceCodeResponse")
            .field("user_code", &self.user_code)
            .field("device_code", &self.device_code)
            .field("verification_uri", &self.verification_uri)
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .field("message", &self.message)
            .field("extra_fields", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

fn malformed(message: String) -> Error {
    Error::new(ErrorKind::MalformedResponse, message)
}

/// Parses a body that must be a JSON object of at most [`MAX_JSON_BODY`] bytes.
pub(crate) fn parse_object(body: &[u8], what: &str) -> Result<Map<String, Value>> {
    if body.len() > MAX_JSON_BODY {
        return Err(malformed(format!(
            "the {what} is {} bytes, over the {MAX_JSON_BODY}-byte limit",
            body.len()
        )));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(malformed(format!("the {what} is JSON but not an object"))),
        Err(e) => Err(Error::with_source(
            ErrorKind::MalformedResponse,
            format!("the {what} is not valid JSON: {e}"),
            e,
        )),
    }
}

/// Removes a string field; `null` and `""` count as absent, any other type is an error.
pub(crate) fn take_string(map: &mut Map<String, Value>, name: &str) -> Result<Option<String>> {
    match map.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(malformed(format!(
            "the field {name} should be a string but is {}",
            type_name(&other)
        ))),
    }
}

/// Removes a duration/time field given as a non-negative integer, or a string holding one.
/// A float is truncated (some services send `3599.0`).
pub(crate) fn take_seconds(map: &mut Map<String, Value>, name: &str) -> Result<Option<u64>> {
    let bad = |shown: &str| {
        malformed(format!(
            "the field {name} should be a whole number of seconds but is {shown}"
        ))
    };
    match map.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match (n.as_u64(), n.as_f64()) {
            (Some(v), _) => Ok(Some(v)),
            (None, Some(f)) if f.is_finite() && f >= 0.0 && f <= u64::MAX as f64 => {
                Ok(Some(f as u64))
            }
            _ => Err(bad(&n.to_string())),
        },
        Some(Value::String(s)) => s.trim().parse::<u64>().map(Some).map_err(|_| {
            let shown: String = s.chars().take(40).collect();
            bad(&format!("{shown:?}"))
        }),
        Some(other) => Err(bad(type_name(&other))),
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
#[path = "response_tests.rs"]
mod tests;

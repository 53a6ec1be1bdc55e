//! Reading a compact JWT without verifying it: split, base64url-decode, parse JSON.
//!
//! Used for id_tokens (which MSAL never verifies) and for peeking at access tokens (their
//! `exp`, `tid` or `oid`). Every failure is a typed error; nothing here panics on input.

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Map, Value};

use super::TokenValidationError;

/// The longest token accepted, in bytes. Entra tokens are a few kilobytes; a token with a
/// group overage stays far below this.
pub const MAX_TOKEN_LEN: usize = 128 * 1024;

/// The URL-safe alphabet, with or without `=` padding.
const URL_SAFE_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes base64 text in either alphabet (URL-safe `-_` or standard `+/`), with or
/// without `=` padding, as the identity provider and other libraries variously write it.
/// Returns `None` when the text is not base64.
///
/// ```
/// use msal_core::token::jwt::decode_base64_any;
///
/// assert_eq!(decode_base64_any("-_8").as_deref(), Some(&[0xfb, 0xff][..]));
/// assert_eq!(decode_base64_any("+/8=").as_deref(), Some(&[0xfb, 0xff][..]));
/// assert_eq!(decode_base64_any("not base64!"), None);
/// ```
pub fn decode_base64_any(text: &str) -> Option<Vec<u8>> {
    let normalized: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            other => other,
        })
        .collect();
    URL_SAFE_ANY_PADDING.decode(normalized).ok()
}

/// Decodes one base64url part of a token into a JSON object.
pub(crate) fn decode_json_object(
    part: &str,
    what: &'static str,
) -> Result<Map<String, Value>, TokenValidationError> {
    if part.is_empty() {
        return Err(TokenValidationError::Malformed(format!(
            "the {what} is empty"
        )));
    }
    let bytes = decode_base64_any(part)
        .ok_or_else(|| TokenValidationError::Malformed(format!("the {what} is not base64url")))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(TokenValidationError::Malformed(format!(
            "the {what} is not a JSON object"
        ))),
        Err(_) => Err(TokenValidationError::Malformed(format!(
            "the {what} is not JSON"
        ))),
    }
}

/// The three parts of a compact JWS, split but not decoded.
#[derive(Clone, Copy)]
pub(crate) struct JwtParts<'a> {
    /// The base64url header.
    pub header: &'a str,
    /// The base64url payload.
    pub payload: &'a str,
}

/// Splits a compact JWT into its parts, checking its size and shape.
pub(crate) fn split(token: &str) -> Result<JwtParts<'_>, TokenValidationError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenValidationError::Malformed(format!(
            "the token is longer than {MAX_TOKEN_LEN} bytes"
        )));
    }
    let parts: Vec<&str> = token.trim().split('.').collect();
    match parts.as_slice() {
        [header, payload, _signature] => Ok(JwtParts { header, payload }),
        [_, _, _, _, _] => Err(TokenValidationError::Malformed(
            "the token is encrypted (JWE) and cannot be read".into(),
        )),
        other => Err(TokenValidationError::Malformed(format!(
            "a JWT has 3 dot-separated parts, this token has {}",
            other.len()
        ))),
    }
}

/// Decodes the header of a JWT without verifying anything.
pub fn decode_header(token: &str) -> Result<Map<String, Value>, TokenValidationError> {
    decode_json_object(split(token)?.header, "token header")
}

/// Decodes the payload (the claims) of a JWT without verifying its signature.
///
/// ```
/// use msal_core::token::jwt::decode_claims;
///
/// // {"alg":"none"} . {"sub":"x"} . (no signature)
/// let claims = decode_claims("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.").unwrap();
/// assert_eq!(claims["sub"], "x");
/// assert!(decode_claims("eyJhbGciOiJub25lIn0").is_err());
/// ```
pub fn decode_claims(token: &str) -> Result<Map<String, Value>, TokenValidationError> {
    decode_json_object(split(token)?.payload, "token payload")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn base64_any_accepts_both_alphabets_and_paddings() {
        let raw = [0xfbu8, 0xff, 0xbf, 0x00];
        let std_padded = base64::engine::general_purpose::STANDARD.encode(raw);
        let url_nopad = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
        assert!(std_padded.contains('+') || std_padded.contains('/'));
        assert_eq!(decode_base64_any(&std_padded).unwrap(), raw);
        assert_eq!(decode_base64_any(&url_nopad).unwrap(), raw);
        assert_eq!(decode_base64_any("*"), None);
    }

    #[test]
    fn malformed_tokens_give_typed_errors_not_panics() {
        let good_header = b64(r#"{"alg":"RS256"}"#);
        let cases: Vec<(String, &str)> = vec![
            (String::new(), "3 dot-separated parts"),
            ("abc".into(), "3 dot-separated parts"),
            (format!("{good_header}.x"), "3 dot-separated parts"),
            (format!("{good_header}.a.b.c"), "3 dot-separated parts"),
            ("a.b.c.d.e".into(), "encrypted"),
            (format!("{good_header}..sig"), "payload is empty"),
            (format!("{good_header}.!!!.sig"), "not base64url"),
            (format!("{good_header}.{}.sig", b64("not json")), "not JSON"),
            (
                format!("{good_header}.{}.sig", b64("[1,2]")),
                "not a JSON object",
            ),
            (
                format!("{good_header}.{}.sig", "A".repeat(MAX_TOKEN_LEN)),
                "longer than",
            ),
        ];
        for (token, expected) in cases {
            match decode_claims(&token) {
                Err(TokenValidationError::Malformed(msg)) => {
                    assert!(msg.contains(expected), "{msg:?} should say {expected:?}")
                }
                other => panic!("expected a malformed error for {token:.40}, got {other:?}"),
            }
        }
    }

    #[test]
    fn empty_header_is_reported_for_header_decoding() {
        let token = format!(".{}.", b64("{}"));
        assert!(decode_claims(&token).is_ok());
        assert!(matches!(
            decode_header(&token),
            Err(TokenValidationError::Malformed(m)) if m.contains("header is empty")
        ));
    }
}

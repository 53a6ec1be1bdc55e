//! `client_info`: the account's home identifiers, returned when a request sends
//! `client_info=1`.
//!
//! The value is base64url (Entra omits the padding) of `{"uid":"…","utid":"…"}`: `uid` is the
//! user's object id in their home tenant and `utid` that home tenant's id, even for a guest.
//! Together they form the cache's `home_account_id`.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::{Error, ErrorKind, Result};

use super::jwt::decode_base64_any;

/// The longest `client_info` accepted, in bytes (the real value is about 120).
const MAX_CLIENT_INFO_LEN: usize = 16 * 1024;

/// The decoded `client_info` of a token response or an authorization redirect.
///
/// ```
/// use msal_core::token::ClientInfo;
///
/// // base64url of {"uid":"u1","utid":"t1"}
/// let info = ClientInfo::decode("eyJ1aWQiOiJ1MSIsInV0aWQiOiJ0MSJ9").unwrap();
/// assert_eq!(info.home_account_id().as_deref(), Some("u1.t1"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ClientInfo {
    /// The user's object id in their home tenant (B2C: suffixed with the policy).
    #[serde(default)]
    pub uid: Option<String>,
    /// The user's home tenant id.
    #[serde(default)]
    pub utid: Option<String>,
    /// Every other field, unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ClientInfo {
    /// Decodes a `client_info` value: base64url or standard base64, padded or not, of a
    /// JSON object. Anything else is [`ErrorKind::MalformedResponse`].
    pub fn decode(encoded: &str) -> Result<Self> {
        let malformed = |why: &str| {
            Error::new(
                ErrorKind::MalformedResponse,
                format!("the client_info in the response {why}"),
            )
        };
        if encoded.len() > MAX_CLIENT_INFO_LEN {
            return Err(malformed("is too long"));
        }
        if encoded.trim().is_empty() {
            return Err(malformed("is empty"));
        }
        let bytes = decode_base64_any(encoded).ok_or_else(|| malformed("is not base64url"))?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
            Error::with_source(
                ErrorKind::MalformedResponse,
                "the client_info in the response is not JSON",
                e,
            )
        })?;
        if !value.is_object() {
            return Err(malformed("is not a JSON object"));
        }
        serde_json::from_value(value).map_err(|e| {
            Error::with_source(
                ErrorKind::MalformedResponse,
                "the client_info in the response has a field of the wrong type",
                e,
            )
        })
    }

    /// `"{uid}.{utid}"`, the account's home id in the token cache, when both parts are
    /// present and non-empty. Callers fall back to the id_token's `sub` otherwise (the ADFS
    /// case), as MSAL Python does.
    pub fn home_account_id(&self) -> Option<String> {
        match (self.uid.as_deref(), self.utid.as_deref()) {
            (Some(uid), Some(utid)) if !uid.is_empty() && !utid.is_empty() => {
                Some(format!("{uid}.{utid}"))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `client_info` Entra (here the test authority) returned to MSAL Python in
    /// wire/msal_ropc_managed.json.
    const RECORDED: &str = "eyJ1aWQiOiIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMGExMWMiLCJ1dGlkIjoiYWFhYWJiYmItMDAwMC1jY2NjLTExMTEtZGRkZDIyMjJlZWVlIn0";

    #[test]
    fn decodes_recorded_client_info_into_home_account_id() {
        let info = ClientInfo::decode(RECORDED).unwrap();
        assert_eq!(
            info.uid.as_deref(),
            Some("00000000-0000-0000-0000-00000000a11c")
        );
        assert_eq!(
            info.home_account_id().as_deref(),
            Some("00000000-0000-0000-0000-00000000a11c.aaaabbbb-0000-cccc-1111-dddd2222eeee")
        );
    }

    #[test]
    fn recorded_client_info_matches_the_cache_the_client_wrote() {
        let cache = crate::crypto::test_support::reference_wire("msal_ropc_managed.cache.json");
        let home = ClientInfo::decode(RECORDED)
            .unwrap()
            .home_account_id()
            .unwrap();
        assert!(cache.contains(&format!("\"home_account_id\": \"{home}\"")));
    }

    #[test]
    fn accepts_padding_and_standard_alphabet() {
        use base64::Engine;
        let json = br#"{"uid":"a?>","utid":"b~~~"}"#;
        let std = base64::engine::general_purpose::STANDARD.encode(json);
        assert!(std.contains('/') || std.contains('+'));
        let url = base64::engine::general_purpose::URL_SAFE.encode(json);
        for encoded in [std, url] {
            let info = ClientInfo::decode(&encoded).unwrap();
            assert_eq!(info.home_account_id().as_deref(), Some("a?>.b~~~"));
        }
    }

    #[test]
    fn keeps_unknown_fields_and_tolerates_missing_utid() {
        use base64::Engine;
        let encoded =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"uid":"u","x":1}"#);
        let info = ClientInfo::decode(&encoded).unwrap();
        assert_eq!(info.extra["x"], 1);
        assert_eq!(info.home_account_id(), None);
    }

    #[test]
    fn malformed_client_info_is_a_malformed_response() {
        use base64::Engine;
        let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let cases = [
            String::new(),
            "!!!!".to_owned(),
            enc("not json"),
            enc("[\"uid\"]"),
            enc(r#"{"uid":42}"#),
            "A".repeat(MAX_CLIENT_INFO_LEN + 1),
            RECORDED[..RECORDED.len() - 5].to_owned(),
        ];
        for case in cases {
            let err = ClientInfo::decode(&case).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::MalformedResponse, "{case:.30}");
        }
    }
}

//! The `claims` request parameter: a claims challenge from a resource, merged with the
//! client capabilities the application declares (such as `CP1` for Continuous Access
//! Evaluation).
//!
//! Capabilities are sent as `{"access_token":{"xms_cc":{"values":[...]}}}`. When a challenge
//! is given too, `access_token.xms_cc` is set in it (replacing any `xms_cc` the challenge
//! had, as MSAL Python does) and everything else in the challenge is kept. The output is
//! compact JSON; MSAL Python writes spaces after `,` and `:`, which the service ignores.

use serde_json::{Map, Value};

use crate::{Error, ErrorKind, Result};

/// The `claims` value to send, or `None` when there is neither a challenge nor a capability.
///
/// Fails with [`ErrorKind::InvalidArgument`] when the challenge is not a JSON object, or
/// when capabilities must be merged into a challenge whose `access_token` is not an object.
///
/// ```
/// use msal_core::oauth2::merge_claims;
///
/// let claims = merge_claims(None, &["CP1"])?;
/// assert_eq!(claims.as_deref(), Some(r#"{"access_token":{"xms_cc":{"values":["CP1"]}}}"#));
/// assert_eq!(merge_claims(None, &[] as &[&str])?, None);
/// # Ok::<(), msal_core::Error>(())
/// ```
pub fn merge_claims<S: AsRef<str>>(
    challenge: Option<&str>,
    capabilities: &[S],
) -> Result<Option<String>> {
    let challenge = challenge.map(str::trim).filter(|c| !c.is_empty());
    let mut root = match challenge {
        Some(text) => parse_challenge(text)?,
        None if capabilities.is_empty() => return Ok(None),
        None => Map::new(),
    };
    if !capabilities.is_empty() {
        let values: Vec<Value> = capabilities
            .iter()
            .map(|c| Value::String(c.as_ref().to_owned()))
            .collect();
        let access_token = root
            .entry("access_token")
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(access_token) = access_token else {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "the claims challenge has an 'access_token' member that is not a JSON object, \
                 so the client capabilities cannot be added to it",
            ));
        };
        let mut xms_cc = Map::new();
        xms_cc.insert("values".to_owned(), Value::Array(values));
        access_token.insert("xms_cc".to_owned(), Value::Object(xms_cc));
    }
    Ok(Some(Value::Object(root).to_string()))
}

fn parse_challenge(text: &str) -> Result<Map<String, Value>> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::new(
            ErrorKind::InvalidArgument,
            "the claims challenge is JSON but not a JSON object; pass the decoded 'claims' \
             value of the resource's WWW-Authenticate challenge",
        )),
        Err(e) => Err(Error::with_source(
            ErrorKind::InvalidArgument,
            "the claims challenge is not valid JSON; pass the base64-decoded 'claims' value \
             of the resource's WWW-Authenticate challenge",
            e,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Value {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn capabilities_alone_become_xms_cc_in_compact_json() {
        let c = merge_claims(None, &["CP1", "cp2"]).unwrap().unwrap();
        assert_eq!(c, r#"{"access_token":{"xms_cc":{"values":["CP1","cp2"]}}}"#);
    }

    #[test]
    fn nothing_to_send_gives_none() {
        assert_eq!(merge_claims::<&str>(None, &[]).unwrap(), None);
        assert_eq!(merge_claims::<&str>(Some("  "), &[]).unwrap(), None);
    }

    #[test]
    fn challenge_alone_is_validated_and_compacted() {
        let c = merge_claims::<&str>(
            Some(r#"{ "access_token": { "nbf": { "essential": true, "value": "1" } } }"#),
            &[],
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            c,
            r#"{"access_token":{"nbf":{"essential":true,"value":"1"}}}"#
        );
    }

    #[test]
    fn challenge_and_capabilities_are_merged_keeping_other_claims() {
        let challenge = r#"{"access_token":{"capolids":{"essential":true,"values":["p1"]},
            "xms_cc":{"values":["old"]}},"id_token":{"auth_time":{"essential":true}}}"#;
        let c = merge_claims(Some(challenge), &["CP1"]).unwrap().unwrap();
        assert_eq!(
            parse(&c),
            parse(
                r#"{"access_token":{"capolids":{"essential":true,"values":["p1"]},
                "xms_cc":{"values":["CP1"]}},"id_token":{"auth_time":{"essential":true}}}"#
            )
        );
    }

    #[test]
    fn invalid_challenge_json_is_invalid_argument() {
        for bad in ["{", "not json", "[1,2]", "\"str\"", "{\"access_token\":"] {
            let err = merge_claims(Some(bad), &["CP1"]).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{bad}");
        }
    }

    #[test]
    fn access_token_that_is_not_an_object_cannot_take_capabilities() {
        let err = merge_claims(Some(r#"{"access_token":5}"#), &["CP1"]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        // Without capabilities the challenge is sent as given.
        assert!(merge_claims::<&str>(Some(r#"{"access_token":5}"#), &[]).is_ok());
    }
}

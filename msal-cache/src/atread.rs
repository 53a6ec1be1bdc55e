//! A hand-written reader for access token entries, the bulk of every large cache.
//!
//! It reads the same members with the same rules as `AccessToken`'s `Deserialize`
//! implementation (strings, `null`, times as strings or numbers, `target` as an array),
//! scanning each string once; unknown members go to `extra` through `serde_json`.

use std::borrow::Cow;

use msal_core::Secret;
use serde_json::Value;

use crate::entity::{AccessToken, Extra};
use crate::field::{Text, Time};
use crate::scan::{Scan, Scanner};

#[cfg(test)]
fn access_token(text: &str) -> Scan<Option<AccessToken>> {
    let mut s = Scanner::new(text);
    let at = read(&mut s)?;
    if !s.at_end() {
        return Err(s.error("text follows the entry"));
    }
    Ok(at)
}

/// Reads the entry at the cursor; `Ok(None)` when it is JSON but not a valid access token (it
/// is then kept raw), `Err` when it is not JSON.
pub(crate) fn read(s: &mut Scanner<'_>) -> Scan<Option<AccessToken>> {
    if s.peek() != Some(b'{') {
        s.skip_value()?;
        return Ok(None);
    }
    let mut at = Parts::default();
    let mut valid = true;
    if s.open_object()? {
        loop {
            let name = s.member_name()?;
            if !at.member(s, &name)? {
                valid = false;
            }
            if !s.comma_or_end(b'}')? {
                break;
            }
        }
    }
    Ok(if valid { at.finish() } else { None })
}

#[derive(Default)]
struct Parts {
    credential_type: Option<String>,
    secret: Option<String>,
    environment: Option<String>,
    client_id: Option<String>,
    at: AccessTokenFields,
}

/// The optional members, as in `AccessToken`.
#[derive(Default)]
struct AccessTokenFields {
    home_account_id: Text,
    realm: Text,
    target: Text,
    cached_at: Time,
    expires_on: Time,
    extended_expires_on: Time,
    ext_expires_on: Time,
    refresh_on: Time,
    token_type: Text,
    key_id: Text,
    kid: Text,
    keyid: Text,
    user_assertion_hash: Text,
    user_assertion_hash_camel: Text,
    requested_claims: Text,
    client_info: Text,
    extra: Extra,
}

impl Parts {
    /// Reads the value of member `name`; `false` when its type is wrong for the member.
    fn member(&mut self, s: &mut Scanner<'_>, name: &str) -> Scan<bool> {
        let f = &mut self.at;
        let text = match name {
            "credential_type" => return required(s, &mut self.credential_type),
            "secret" => return required(s, &mut self.secret),
            "environment" => return required(s, &mut self.environment),
            "client_id" => return required(s, &mut self.client_id),
            "target" => return target(s, &mut f.target),
            "cached_at" => return time(s, &mut f.cached_at),
            "expires_on" => return time(s, &mut f.expires_on),
            "extended_expires_on" => return time(s, &mut f.extended_expires_on),
            "ext_expires_on" => return time(s, &mut f.ext_expires_on),
            "refresh_on" => return time(s, &mut f.refresh_on),
            "home_account_id" => &mut f.home_account_id,
            "realm" => &mut f.realm,
            "token_type" => &mut f.token_type,
            "key_id" => &mut f.key_id,
            "kid" => &mut f.kid,
            "keyid" => &mut f.keyid,
            "user_assertion_hash" => &mut f.user_assertion_hash,
            "userAssertionHash" => &mut f.user_assertion_hash_camel,
            "requested_claims" => &mut f.requested_claims,
            "client_info" => &mut f.client_info,
            _ => {
                let (start, end) = s.skip_value()?;
                return Ok(match serde_json::from_str::<Value>(s.slice(start, end)) {
                    Ok(v) => {
                        f.extra.insert(name.to_owned(), v);
                        true
                    }
                    Err(_) => false,
                });
            }
        };
        optional(s, text)
    }

    fn finish(self) -> Option<AccessToken> {
        let f = self.at;
        Some(AccessToken {
            credential_type: self.credential_type?,
            secret: Secret::new(self.secret?),
            home_account_id: f.home_account_id,
            environment: self.environment?,
            client_id: self.client_id?,
            realm: f.realm,
            target: f.target,
            cached_at: f.cached_at,
            expires_on: f.expires_on,
            extended_expires_on: f.extended_expires_on,
            ext_expires_on: f.ext_expires_on,
            refresh_on: f.refresh_on,
            token_type: f.token_type,
            key_id: f.key_id,
            kid: f.kid,
            keyid: f.keyid,
            user_assertion_hash: f.user_assertion_hash,
            user_assertion_hash_camel: f.user_assertion_hash_camel,
            requested_claims: f.requested_claims,
            client_info: f.client_info,
            extra: f.extra,
        })
    }
}

fn is_null(s: &mut Scanner<'_>) -> Scan<bool> {
    if s.peek() == Some(b'n') {
        let (start, end) = s.skip_value()?;
        return Ok(s.slice(start, end) == "null");
    }
    Ok(false)
}

/// A member that must be a string.
fn required(s: &mut Scanner<'_>, slot: &mut Option<String>) -> Scan<bool> {
    if s.peek() != Some(b'"') {
        s.skip_value()?;
        return Ok(false);
    }
    *slot = Some(s.string()?.into_owned());
    Ok(true)
}

/// A string or `null`.
fn optional(s: &mut Scanner<'_>, slot: &mut Text) -> Scan<bool> {
    match s.peek() {
        Some(b'"') => {
            *slot = Text::Value(s.string()?.into_owned());
            Ok(true)
        }
        Some(b'n') => {
            let null = is_null(s)?;
            if null {
                *slot = Text::Null;
            }
            Ok(null)
        }
        _ => {
            s.skip_value()?;
            Ok(false)
        }
    }
}

/// Scopes as a string, `null` or an array of strings (early MSAL Python).
fn target(s: &mut Scanner<'_>, slot: &mut Text) -> Scan<bool> {
    if s.peek() != Some(b'[') {
        return optional(s, slot);
    }
    let (start, end) = s.skip_value()?;
    Ok(
        match serde_json::from_str::<Vec<String>>(s.slice(start, end)) {
            Ok(scopes) => {
                *slot = Text::Value(scopes.join(" "));
                true
            }
            Err(_) => false,
        },
    )
}

/// A time: a string or number of seconds, or `null`.
fn time(s: &mut Scanner<'_>, slot: &mut Time) -> Scan<bool> {
    let number: Cow<'_, str> = match s.peek() {
        Some(b'"') => s.string()?,
        Some(b'n') => {
            let null = is_null(s)?;
            if null {
                *slot = Time::Null;
            }
            return Ok(null);
        }
        Some(b) if b == b'-' || b.is_ascii_digit() => {
            let (start, end) = s.skip_value()?;
            Cow::Borrowed(s.slice(start, end))
        }
        _ => {
            s.skip_value()?;
            return Ok(false);
        }
    };
    match parse_time(number.trim()) {
        Some(t) => {
            *slot = Time::Value(t);
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Whole seconds from an integer or a decimal (floored), as `Time`'s `Deserialize` reads them.
fn parse_time(v: &str) -> Option<i64> {
    if let Ok(n) = v.parse::<i64>() {
        return Some(n);
    }
    let f = v.parse::<f64>().ok()?;
    // Bounded above, so the cast cannot overflow.
    #[allow(clippy::cast_possible_truncation)]
    (f.is_finite() && f.abs() < 9.0e15).then(|| f.floor() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(json: &str) -> (Option<AccessToken>, Option<AccessToken>) {
        let ours = access_token(json).unwrap();
        let serde = serde_json::from_str::<AccessToken>(json).ok();
        (ours, serde)
    }

    #[test]
    fn reads_every_member_like_the_serde_implementation() {
        let json = r#"{"credential_type": "AccessToken", "secret": "s\"x\u00e9",
            "home_account_id": null, "environment": "e", "client_id": "c", "realm": "r",
            "target": ["a", "B"], "cached_at": 1548847834.0556107, "expires_on": "5",
            "extended_expires_on": 7, "ext_expires_on": null, "refresh_on": " 9 ",
            "token_type": "pop", "key_id": "k1", "kid": "k2", "keyid": "k3",
            "user_assertion_hash": "h", "userAssertionHash": "h2", "requested_claims": "{}",
            "client_info": "ci", "future": {"n": [1, 2]}, "flag": true}"#;
        let (ours, serde) = both(json);
        assert!(ours.is_some());
        assert_eq!(ours, serde);
    }

    #[test]
    fn entries_of_the_wrong_shape_are_not_access_tokens() {
        for json in [
            r#"{"foo": "bar"}"#,
            r#"{"credential_type": "AccessToken", "secret": null, "environment": "e", "client_id": "c"}"#,
            r#"{"credential_type": "AccessToken", "secret": "s", "environment": "e", "client_id": "c", "expires_on": "soon"}"#,
            r#"{"credential_type": "AccessToken", "secret": "s", "environment": "e", "client_id": "c", "realm": 5}"#,
            r#"[1, 2]"#,
            r#""text""#,
        ] {
            let (ours, serde) = both(json);
            assert_eq!(ours, None, "{json}");
            assert_eq!(serde, None, "{json}");
        }
    }

    #[test]
    fn malformed_json_is_an_error() {
        assert!(access_token(r#"{"secret": "s"#).is_err());
        assert!(access_token(r#"{"secret" "s"}"#).is_err());
    }
}

//! A hand-written JSON writer for access tokens, the bulk of every large cache.
//!
//! `serde_json` escapes strings byte by byte; tokens are long strings that never need
//! escaping. This writer checks a string in wide chunks and copies it whole when it is plain,
//! and falls back to `serde_json` when it is not, so the output is the same JSON.

use std::io;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::entity::AccessToken;
use crate::field::{Text, Time};

/// Whether `s` can be written between quotes as it is (no control character, `"` or `\\`).
/// Fixed-size chunks without early exit inside let the compiler use vector instructions.
fn plain(s: &[u8]) -> bool {
    let mut chunks = s.chunks_exact(32);
    for chunk in &mut chunks {
        let mut bad = 0u8;
        for &b in chunk {
            bad |= u8::from(b < 0x20) | u8::from(b == b'"') | u8::from(b == b'\\');
        }
        if bad != 0 {
            return false;
        }
    }
    chunks
        .remainder()
        .iter()
        .all(|&b| b >= 0x20 && b != b'"' && b != b'\\')
}

/// Writes `s` as a JSON string.
pub(crate) fn string(out: &mut Vec<u8>, s: &str) -> io::Result<()> {
    if plain(s.as_bytes()) {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        Ok(())
    } else {
        value(out, s)
    }
}

/// Writes any serializable value with `serde_json`.
pub(crate) fn value<T: Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) -> io::Result<()> {
    serde_json::to_writer(out, v).map_err(io::Error::other)
}

/// Writes the members of one JSON object, commas included.
pub(crate) struct Object<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Object<'a> {
    pub(crate) fn new(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Self { out, first: true }
    }

    /// Writes `"name":` (with the comma before it when needed).
    pub(crate) fn key(&mut self, name: &str) -> io::Result<&mut Vec<u8>> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        string(self.out, name)?;
        self.out.push(b':');
        Ok(self.out)
    }

    fn str(&mut self, name: &str, v: &str) -> io::Result<()> {
        let out = self.key(name)?;
        string(out, v)
    }

    fn text(&mut self, name: &str, v: &Text) -> io::Result<()> {
        match v {
            Text::Absent => Ok(()),
            Text::Null => {
                self.key(name)?.extend_from_slice(b"null");
                Ok(())
            }
            Text::Value(s) => self.str(name, s),
        }
    }

    fn time(&mut self, name: &str, v: Time) -> io::Result<()> {
        match v {
            Time::Absent => Ok(()),
            Time::Null => {
                self.key(name)?.extend_from_slice(b"null");
                Ok(())
            }
            Time::Value(t) => {
                let out = self.key(name)?;
                out.push(b'"');
                let mut buf = [0u8; 24];
                out.extend_from_slice(crate::field::format_int(t, &mut buf).as_bytes());
                out.push(b'"');
                Ok(())
            }
        }
    }

    fn extra(&mut self, extra: &Map<String, Value>) -> io::Result<()> {
        for (name, v) in extra {
            let out = self.key(name)?;
            value(out, v)?;
        }
        Ok(())
    }

    pub(crate) fn end(self) {
        self.out.push(b'}');
    }
}

/// Writes an access token entry: the same members as its `Serialize` implementation.
pub(crate) fn access_token(out: &mut Vec<u8>, at: &AccessToken) -> io::Result<()> {
    let mut o = Object::new(out);
    o.str("credential_type", &at.credential_type)?;
    o.str("secret", at.secret.expose())?;
    o.text("home_account_id", &at.home_account_id)?;
    o.str("environment", &at.environment)?;
    o.str("client_id", &at.client_id)?;
    o.text("realm", &at.realm)?;
    o.text("target", &at.target)?;
    o.time("cached_at", at.cached_at)?;
    o.time("expires_on", at.expires_on)?;
    o.time("extended_expires_on", at.extended_expires_on)?;
    o.time("ext_expires_on", at.ext_expires_on)?;
    o.time("refresh_on", at.refresh_on)?;
    o.text("token_type", &at.token_type)?;
    o.text("key_id", &at.key_id)?;
    o.text("kid", &at.kid)?;
    o.text("keyid", &at.keyid)?;
    o.text("user_assertion_hash", &at.user_assertion_hash)?;
    o.text("userAssertionHash", &at.user_assertion_hash_camel)?;
    o.text("requested_claims", &at.requested_claims)?;
    o.text("client_info", &at.client_info)?;
    o.extra(&at.extra)?;
    o.end();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_exactly_like_serde_json() {
        let long = "x".repeat(70);
        let cases = [
            "plain".to_owned(),
            String::new(),
            "quote\"d".to_owned(),
            "back\\slash".to_owned(),
            "tab\there".to_owned(),
            "ünï\u{1}".to_owned(),
            long.clone(),
            format!("{long}\"{long}"),
            format!("{}\n{long}", &long[..40]),
        ];
        for s in &cases {
            let mut out = Vec::new();
            string(&mut out, s).unwrap();
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn access_token_is_written_like_its_serialize_impl() {
        let at: AccessToken = serde_json::from_str(
            r#"{"credential_type": "AccessToken", "secret": "s\"x", "home_account_id": null,
                "environment": "e", "client_id": "c", "realm": "r", "target": "a b",
                "expires_on": 5, "kid": "k", "future": {"n": [1, 2]}}"#,
        )
        .unwrap();
        let mut out = Vec::new();
        access_token(&mut out, &at).unwrap();
        let ours: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(ours, serde_json::to_value(&at).unwrap());
        assert_eq!(ours["expires_on"], "5");
        assert_eq!(ours["home_account_id"], Value::Null);
    }
}

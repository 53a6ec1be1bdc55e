//! Random values for the authorization request: `state` (against CSRF) and `nonce`
//! (against token replay), drawn from OpenSSL's CSPRNG.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openssl::sha::sha256;

use crate::{Error, ErrorKind, Result};

/// Fills a buffer of `len` bytes from OpenSSL's CSPRNG.
pub fn random_bytes(len: usize) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    openssl::rand::rand_bytes(&mut buf).map_err(|e| {
        Error::with_source(ErrorKind::Crypto, "the random number generator failed", e)
    })?;
    Ok(buf)
}

/// A random string of `len` characters drawn uniformly from `alphabet` (at most 256
/// distinct ASCII characters), by rejection sampling so that no character is favoured.
pub(crate) fn random_string(len: usize, alphabet: &[u8]) -> Result<String> {
    if alphabet.is_empty() || alphabet.len() > 256 {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "alphabet size must be 1..=256",
        ));
    }
    // Largest multiple of the alphabet size that fits in a byte: bytes above it are redrawn.
    let limit = 256 - (256 % alphabet.len());
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for byte in random_bytes(len * 2)? {
            if usize::from(byte) < limit
                && let Some(&c) = alphabet.get(usize::from(byte) % alphabet.len())
            {
                out.push(char::from(c));
                if out.len() == len {
                    break;
                }
            }
        }
    }
    Ok(out)
}

/// The hex SHA-256 of a raw nonce: the value MSAL Python sends as the `nonce` parameter and
/// that comes back in the id_token's `nonce` claim.
///
/// ```
/// use msal_core::crypto::random::hash_nonce;
///
/// assert_eq!(
///     hash_nonce("abc"),
///     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/// );
/// ```
pub fn hash_nonce(raw_nonce: &str) -> String {
    super::hex_lower(&sha256(raw_nonce.as_bytes()))
}

/// The `state` of an authorization request: 16 random bytes, base64url without padding
/// (22 characters, URL-safe). The redirect must carry the same value back.
#[derive(Clone, PartialEq, Eq)]
pub struct State(String);

impl State {
    /// A new random state.
    pub fn generate() -> Result<Self> {
        Ok(Self(URL_SAFE_NO_PAD.encode(random_bytes(16)?)))
    }

    /// Wraps a state the application chose or stored.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value to send as the `state` parameter.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the `state` of a redirect is this one (compared in constant time).
    pub fn matches(&self, returned: &str) -> bool {
        self.0.len() == returned.len()
            && openssl::memcmp::eq(self.0.as_bytes(), returned.as_bytes())
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("State").field(&self.0).finish()
    }
}

/// An OpenID Connect nonce, kept raw by the application and sent hashed, as MSAL Python
/// does: the `nonce` parameter is [`hash_nonce`] of a random raw value, and the id_token
/// must carry that hash back
/// ([`IdTokenClaims::check_nonce`](crate::token::IdTokenClaims::check_nonce)).
///
/// ```
/// use msal_core::crypto::Nonce;
///
/// let nonce = Nonce::generate().unwrap();
/// assert_eq!(nonce.raw().len(), 32);
/// assert_eq!(nonce.wire_value().len(), 64);
/// assert_eq!(Nonce::from_raw(nonce.raw()).wire_value(), nonce.wire_value());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nonce {
    raw: String,
    hashed: String,
}

impl Nonce {
    /// A new random nonce: 32 characters from `[A-Za-z0-9]`.
    pub fn generate() -> Result<Self> {
        const ALPHANUMERIC: &[u8] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        Ok(Self::from_raw(random_string(32, ALPHANUMERIC)?))
    }

    /// Rebuilds a nonce from the raw value kept in the application's session.
    pub fn from_raw(raw: impl Into<String>) -> Self {
        let raw = raw.into();
        let hashed = hash_nonce(&raw);
        Self { raw, hashed }
    }

    /// The raw value, to keep until the token response arrives.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The value to send as the `nonce` parameter: the hex SHA-256 of the raw value.
    pub fn wire_value(&self) -> &str {
        &self.hashed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_is_22_url_safe_characters_and_differs_each_time() {
        let a = State::generate().unwrap();
        let b = State::generate().unwrap();
        assert_eq!(a.as_str().len(), 22);
        assert!(
            a.as_str()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_ne!(a, b);
        assert!(a.matches(a.as_str()));
        assert!(!a.matches(b.as_str()));
        assert!(!a.matches(""));
    }

    #[test]
    fn nonce_wire_value_is_hex_sha256_of_the_raw_value() {
        let nonce = Nonce::generate().unwrap();
        assert!(nonce.raw().bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(nonce.wire_value(), hash_nonce(nonce.raw()));
        assert!(
            nonce
                .wire_value()
                .bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(Nonce::generate().unwrap().raw(), nonce.raw());
    }

    #[test]
    fn random_string_uses_only_and_all_of_the_alphabet() {
        let s = random_string(2000, b"ab").unwrap();
        assert_eq!(s.len(), 2000);
        let a = s.bytes().filter(|&c| c == b'a').count();
        assert!(s.bytes().all(|c| c == b'a' || c == b'b'));
        assert!((800..1200).contains(&a), "{a} of 2000 is far from uniform");
        assert!(random_string(3, b"").is_err());
    }
}

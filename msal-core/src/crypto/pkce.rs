//! PKCE (RFC 7636) with the S256 method, the only one Entra and MSAL use.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openssl::sha::sha256;

use crate::{Error, ErrorKind, Result, Secret};

/// The characters RFC 7636 allows in a code verifier (`unreserved`).
const UNRESERVED: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

/// The length of a generated verifier, the minimum RFC 7636 allows and what MSAL Python and
/// MSAL Go produce.
const GENERATED_LEN: usize = 43;

/// A PKCE code verifier: kept by the client between the authorization request and the code
/// redemption, sent only to the token endpoint. It is a [`Secret`] and never prints.
///
/// ```
/// use msal_core::crypto::PkceCodeVerifier;
///
/// let verifier = PkceCodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
/// assert_eq!(verifier.challenge().as_str(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
/// assert_eq!(format!("{verifier:?}"), "PkceCodeVerifier(***)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct PkceCodeVerifier(Secret);

impl PkceCodeVerifier {
    /// A new verifier: 43 characters drawn uniformly from `[A-Za-z0-9-._~]` with OpenSSL's
    /// CSPRNG (about 260 bits of entropy).
    pub fn generate() -> Result<Self> {
        super::random::random_string(GENERATED_LEN, UNRESERVED).map(|v| Self(Secret::new(v)))
    }

    /// Wraps a verifier kept from an earlier request. It must be 43 to 128 characters of
    /// `[A-Za-z0-9-._~]` (RFC 7636 4.1), else [`ErrorKind::InvalidArgument`].
    pub fn new(verifier: impl Into<String>) -> Result<Self> {
        let verifier = Secret::new(verifier);
        let value = verifier.expose();
        if !(43..=128).contains(&value.len()) {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "a PKCE code verifier has 43 to 128 characters, this one has {}",
                    value.len()
                ),
            ));
        }
        if !value.bytes().all(|b| UNRESERVED.contains(&b)) {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "a PKCE code verifier may only contain A-Z a-z 0-9 - . _ ~",
            ));
        }
        Ok(Self(verifier))
    }

    /// The verifier, to send as `code_verifier` on the code redemption.
    pub fn secret(&self) -> &Secret {
        &self.0
    }

    /// The S256 challenge to send on the authorization request.
    pub fn challenge(&self) -> PkceCodeChallenge {
        PkceCodeChallenge(URL_SAFE_NO_PAD.encode(sha256(self.0.expose().as_bytes())))
    }
}

impl fmt::Debug for PkceCodeVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PkceCodeVerifier(***)")
    }
}

/// A PKCE S256 code challenge: base64url, without padding, of the SHA-256 of the verifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkceCodeChallenge(String);

impl PkceCodeChallenge {
    /// The value of the `code_challenge` parameter.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value of the `code_challenge_method` parameter: always `S256`.
    pub fn method(&self) -> &'static str {
        "S256"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_matches_rfc7636_appendix_b() {
        let verifier =
            PkceCodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        let challenge = verifier.challenge();
        assert_eq!(
            challenge.as_str(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(challenge.method(), "S256");
    }

    #[test]
    fn challenge_matches_what_msal_python_sent_for_its_verifier() {
        let text = super::super::test_support::reference_wire("msal_auth_code_public.json");
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let requests = doc["requests"].as_array().unwrap();
        let param = |s: &str, name: &str| {
            url::form_urlencoded::parse(s.as_bytes())
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
                .unwrap()
        };
        let authorize = requests
            .iter()
            .find(|r| r["path"].as_str().unwrap().ends_with("/authorize"))
            .unwrap();
        let token = requests
            .iter()
            .find(|r| r["path"].as_str().unwrap().ends_with("/token"))
            .unwrap();
        let verifier = param(token["body"].as_str().unwrap(), "code_verifier");
        let challenge = param(authorize["raw_query"].as_str().unwrap(), "code_challenge");
        assert_eq!(
            PkceCodeVerifier::new(verifier)
                .unwrap()
                .challenge()
                .as_str(),
            challenge
        );
    }

    #[test]
    fn generated_verifier_is_43_unreserved_characters_and_random() {
        let a = PkceCodeVerifier::generate().unwrap();
        let b = PkceCodeVerifier::generate().unwrap();
        assert_eq!(a.secret().len(), 43);
        assert!(a.secret().expose().bytes().all(|c| UNRESERVED.contains(&c)));
        assert_ne!(a, b);
        assert_ne!(a.challenge(), b.challenge());
        assert!(PkceCodeVerifier::new(a.secret().expose()).is_ok());
    }

    #[test]
    fn rejects_verifiers_of_wrong_length_or_characters() {
        for bad in [
            "short".to_owned(),
            "a".repeat(129),
            format!("{}+", "a".repeat(42)),
        ] {
            let err = PkceCodeVerifier::new(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        }
        assert!(PkceCodeVerifier::new("a".repeat(128)).is_ok());
    }

    #[test]
    fn verifier_never_prints() {
        let v = PkceCodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        assert!(!format!("{v:?}").contains("dBjft"));
    }
}

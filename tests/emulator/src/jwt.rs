//! RS256 token signing with the emulator's key, the JWKS document, and JWT parsing /
//! signature checks (own tokens, client assertions).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private, Public};
use openssl::rsa::{Padding, Rsa};
use openssl::sign::{RsaPssSaltlen, Signer, Verifier};
use serde_json::{Value, json};

use crate::error::EmulatorError;

/// Unpadded base64url.
pub fn b64url(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

/// Decodes base64 or base64url, padded or not.
pub fn b64_any(text: &str) -> Option<Vec<u8>> {
    let t = text.trim();
    URL_SAFE_NO_PAD
        .decode(t.trim_end_matches('='))
        .or_else(|_| STANDARD_NO_PAD.decode(t.trim_end_matches('=')))
        .or_else(|_| URL_SAFE.decode(t))
        .or_else(|_| STANDARD.decode(t))
        .ok()
}

/// The token signing key (RSA-2048, RS256) and its JWKS entry.
pub struct TokenSigner {
    key: PKey<Private>,
    public: PKey<Public>,
    kid: String,
    header_b64: String,
    jwks: Value,
}

impl TokenSigner {
    /// Generates a new RSA-2048 signing key.
    pub fn generate() -> Result<Self, EmulatorError> {
        let rsa = Rsa::generate(2048)?;
        let n = rsa.n().to_vec();
        let e = rsa.e().to_vec();
        let public = PKey::public_key_from_der(&rsa.public_key_to_der()?)?;
        let key = PKey::from_rsa(rsa)?;
        let digest = openssl::sha::sha256(&public.public_key_to_der()?);
        let kid = b64url(&digest[..15]);
        let header = json!({"typ": "JWT", "alg": "RS256", "kid": kid});
        let header_b64 = b64url(header.to_string().as_bytes());
        let jwks = json!({"keys": [{
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
            "n": b64url(&n), "e": b64url(&e),
        }]});
        Ok(TokenSigner {
            key,
            public,
            kid,
            header_b64,
            jwks,
        })
    }

    /// The key id (`kid`) of the signing key.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The JWKS document served at `/{tenant}/discovery/v2.0/keys`.
    pub fn jwks(&self) -> &Value {
        &self.jwks
    }

    /// Signs the claims as a compact RS256 JWT.
    pub fn sign(&self, claims: &Value) -> Result<String, EmulatorError> {
        let payload = b64url(claims.to_string().as_bytes());
        let signing_input = format!("{}.{}", self.header_b64, payload);
        let mut signer = Signer::new(MessageDigest::sha256(), &self.key)?;
        signer.update(signing_input.as_bytes())?;
        let sig = signer.sign_to_vec()?;
        Ok(format!("{signing_input}.{}", b64url(&sig)))
    }

    /// Verifies a token this emulator signed and returns its claims.
    pub fn verify(&self, token: &str) -> Result<Value, String> {
        let parsed = ParsedJwt::parse(token)?;
        if parsed.header.get("kid").and_then(Value::as_str) != Some(self.kid.as_str()) {
            return Err("token was not signed by this emulator (kid)".into());
        }
        if !parsed.verify(&self.public, JwsAlg::Rs256) {
            return Err("signature validation failed".into());
        }
        Ok(parsed.claims)
    }
}

/// Signature algorithms accepted for incoming JWTs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwsAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// RSASSA-PSS with SHA-256.
    Ps256,
}

/// A compact JWT split into header, claims and signature.
pub struct ParsedJwt {
    /// Header JSON.
    pub header: Value,
    /// Claims JSON.
    pub claims: Value,
    signing_input: String,
    signature: Vec<u8>,
}

impl ParsedJwt {
    /// Splits and decodes a compact JWT (no signature check).
    pub fn parse(token: &str) -> Result<Self, String> {
        let mut parts = token.trim().split('.');
        let (Some(h), Some(c), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("not a compact JWS (three segments expected)".into());
        };
        let decode_json = |seg: &str| -> Result<Value, String> {
            let bytes = b64_any(seg).ok_or("segment is not base64url")?;
            serde_json::from_slice(&bytes).map_err(|e| format!("segment is not JSON: {e}"))
        };
        let header = decode_json(h)?;
        let claims = decode_json(c)?;
        let signature = b64_any(s).ok_or("signature is not base64url")?;
        Ok(ParsedJwt {
            header,
            claims,
            signing_input: format!("{h}.{c}"),
            signature,
        })
    }

    /// The `alg` header as one of the accepted algorithms.
    pub fn alg(&self) -> Option<JwsAlg> {
        match self.header.get("alg").and_then(Value::as_str) {
            Some("RS256") => Some(JwsAlg::Rs256),
            Some("PS256") => Some(JwsAlg::Ps256),
            _ => None,
        }
    }

    /// Checks the signature with the public key.
    pub fn verify(&self, key: &PKey<Public>, alg: JwsAlg) -> bool {
        let run = || -> Result<bool, openssl::error::ErrorStack> {
            let mut v = Verifier::new(MessageDigest::sha256(), key)?;
            if alg == JwsAlg::Ps256 {
                v.set_rsa_padding(Padding::PKCS1_PSS)?;
                v.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)?;
            }
            v.update(self.signing_input.as_bytes())?;
            v.verify(&self.signature)
        };
        run().unwrap_or(false)
    }

    /// A numeric claim, accepting numbers, floats and numeric strings.
    pub fn num_claim(&self, name: &str) -> Option<f64> {
        match self.claims.get(name)? {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        }
    }

    /// A string claim.
    pub fn str_claim(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_token_verifies_and_tampering_fails() {
        let s = TokenSigner::generate().unwrap();
        let t = s.sign(&json!({"aud": "x", "n": 1})).unwrap();
        let claims = s.verify(&t).unwrap();
        assert_eq!(claims["aud"], "x");
        let mut tampered = t.clone();
        tampered.insert_str(t.find('.').unwrap() + 1, "eyJ");
        assert!(s.verify(&tampered).is_err());
        let other = TokenSigner::generate().unwrap();
        assert!(other.verify(&t).is_err());
        assert!(!t.contains('='));
    }

    #[test]
    fn jwks_names_the_kid() {
        let s = TokenSigner::generate().unwrap();
        assert_eq!(s.jwks()["keys"][0]["kid"], s.kid());
        assert_eq!(s.jwks()["keys"][0]["kty"], "RSA");
    }

    #[test]
    fn b64_any_accepts_all_alphabets_and_padding() {
        for t in ["+/A=", "+/A", "-_A=", "-_A"] {
            assert_eq!(b64_any(t).unwrap(), vec![0xfb, 0xf0], "{t}");
        }
        assert!(b64_any("%%%").is_none());
    }

    #[test]
    fn numeric_claims_accept_strings_and_floats() {
        let h = b64url(br#"{"alg":"PS256"}"#);
        let c = b64url(br#"{"exp":"1700000000","nbf":1699999999.5}"#);
        let p = ParsedJwt::parse(&format!("{h}.{c}.AAAA")).unwrap();
        assert_eq!(p.num_claim("exp"), Some(1_700_000_000.0));
        assert_eq!(p.num_claim("nbf"), Some(1_699_999_999.5));
        assert_eq!(p.alg(), Some(JwsAlg::Ps256));
        assert!(ParsedJwt::parse("a.b").is_err());
    }
}

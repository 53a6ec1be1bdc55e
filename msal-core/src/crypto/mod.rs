//! Cryptography the protocol needs: random `state` and `nonce` values, PKCE, client
//! certificates and the signed client assertion JWT.
//!
//! Everything goes through OpenSSL: its CSPRNG for random values, its PEM and PKCS#12
//! parsers for certificates, its RSA signer for assertions. Failures are
//! [`ErrorKind::Crypto`](crate::ErrorKind::Crypto) (or
//! [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) for bad caller input)
//! with a message that never contains key material.

pub mod assertion;
pub mod certificate;
pub mod pkce;
pub mod random;
#[cfg(test)]
pub(crate) mod test_support;

pub use assertion::{AssertionAlgorithm, AssertionSigner, ClientAssertionParams, SignedAssertion};
pub use certificate::ClientCertificate;
pub use pkce::{PkceCodeChallenge, PkceCodeVerifier};
pub use random::{Nonce, State};

/// Lower-case hex of `bytes`.
pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

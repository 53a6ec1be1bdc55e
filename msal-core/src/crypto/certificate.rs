//! A client certificate: an RSA private key and its X.509 certificate (with the chain, when
//! one is given), loaded from PEM or PKCS#12 (PFX) through OpenSSL.

use std::cell::Cell;
use std::fmt;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use openssl::hash::MessageDigest;
use openssl::pkcs12::Pkcs12;
use openssl::pkey::{Id, PKey, PKeyRef, Private};
use openssl::x509::X509;

use crate::{Error, ErrorKind, Result, Secret};

/// A certificate credential: the private key that signs client assertions and the
/// certificate chain (leaf first) registered with the application.
///
/// Only RSA keys are supported (what Entra accepts for client assertions). The `Debug`
/// output shows the subject and the SHA-1 thumbprint, never key material.
///
/// ```no_run
/// use msal_core::crypto::ClientCertificate;
/// use msal_core::Secret;
///
/// let cert = ClientCertificate::from_file("app.pfx", Some(&Secret::new("pfx password")))?;
/// println!("signing with {cert:?}, thumbprint {}", cert.thumbprint_sha1_hex());
/// # Ok::<(), msal_core::Error>(())
/// ```
#[derive(Clone)]
pub struct ClientCertificate {
    key: PKey<Private>,
    chain_der: Vec<Vec<u8>>,
    sha1: Vec<u8>,
    sha256: Vec<u8>,
    subject: String,
}

impl ClientCertificate {
    /// Loads a PEM bundle holding the private key (PKCS#8, PKCS#1 `RSA PRIVATE KEY`, or
    /// encrypted PKCS#8 with `passphrase`) and one or more certificates. The leaf is the
    /// certificate whose public key matches the private key; the others follow it as the
    /// chain, in the order given.
    pub fn from_pem(pem: &[u8], passphrase: Option<&Secret>) -> Result<Self> {
        Self::from_pem_parts(pem, pem, passphrase)
    }

    /// Loads the certificates and the private key from separate PEM texts (MSAL Python's
    /// `public_certificate` and `private_key`).
    pub fn from_pem_parts(
        certificates_pem: &[u8],
        private_key_pem: &[u8],
        passphrase: Option<&Secret>,
    ) -> Result<Self> {
        let key = read_pem_private_key(private_key_pem, passphrase)?;
        let certs = X509::stack_from_pem(certificates_pem)
            .map_err(|e| crypto_error_with("a certificate in the PEM data could not be read", e))?;
        Self::assemble(key, certs)
    }

    /// Loads a PKCS#12 (PFX) file's bytes: the private key, its certificate and the chain.
    pub fn from_pkcs12(der: &[u8], password: Option<&Secret>) -> Result<Self> {
        let password = password.map_or("", Secret::expose);
        if password.contains('\0') {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "the PKCS#12 password contains a NUL character",
            ));
        }
        let pfx = Pkcs12::from_der(der)
            .map_err(|e| crypto_error_with("the data is not a PKCS#12 (PFX) file", e))?;
        let parsed = pfx.parse2(password).map_err(|e| {
            crypto_error_with(
                "the PKCS#12 (PFX) file could not be opened: the password is wrong, or the \
                 file uses a legacy cipher (RC2, 3DES) that this OpenSSL does not load",
                e,
            )
        })?;
        let key = parsed.pkey.ok_or_else(|| {
            Error::new(
                ErrorKind::Crypto,
                "the PKCS#12 (PFX) file holds no private key",
            )
        })?;
        let certs = parsed
            .cert
            .into_iter()
            .chain(parsed.ca.into_iter().flatten())
            .collect();
        Self::assemble(key, certs)
    }

    /// Loads PEM or PKCS#12 bytes, whichever they are: PEM when they contain a
    /// `-----BEGIN` line.
    pub fn from_bytes(data: &[u8], password: Option<&Secret>) -> Result<Self> {
        if contains(data, b"-----BEGIN") {
            Self::from_pem(data, password)
        } else {
            Self::from_pkcs12(data, password)
        }
    }

    /// Reads a PEM or PKCS#12 file (see [`from_bytes`](Self::from_bytes)). This reads the
    /// file synchronously: call it when building a credential, not on an async hot path.
    pub fn from_file(path: impl AsRef<Path>, password: Option<&Secret>) -> Result<Self> {
        let path = path.as_ref();
        let data = std::fs::read(path).map_err(|e| {
            Error::with_source(
                ErrorKind::Crypto,
                format!("the certificate file {} could not be read", path.display()),
                e,
            )
        })?;
        Self::from_bytes(&data, password)
    }

    fn assemble(key: PKey<Private>, certs: Vec<X509>) -> Result<Self> {
        require_rsa(&key)?;
        if certs.is_empty() {
            return Err(Error::new(
                ErrorKind::Crypto,
                "no certificate found next to the private key",
            ));
        }
        let leaf_index = certs
            .iter()
            .position(|cert| cert.public_key().is_ok_and(|public| public.public_eq(&key)))
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Crypto,
                    "no certificate matches the private key: the key and the certificate do \
                     not belong together",
                )
            })?;
        let mut ordered: Vec<&X509> = Vec::with_capacity(certs.len());
        ordered.extend(certs.get(leaf_index));
        ordered.extend(
            certs
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != leaf_index)
                .map(|(_, c)| c),
        );
        let leaf = certs
            .get(leaf_index)
            .ok_or_else(|| crypto_error("no leaf certificate"))?;
        let digest = |md| {
            leaf.digest(md).map(|d| d.to_vec()).map_err(|e| {
                crypto_error_with("the certificate thumbprint could not be computed", e)
            })
        };
        let chain_der = ordered
            .iter()
            .map(|c| c.to_der())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| crypto_error_with("a certificate could not be encoded", e))?;
        Ok(Self {
            sha1: digest(MessageDigest::sha1())?,
            sha256: digest(MessageDigest::sha256())?,
            subject: subject_of(leaf),
            chain_der,
            key,
        })
    }

    /// The SHA-1 hash of the leaf certificate's DER (the thumbprint the Azure portal shows).
    pub fn thumbprint_sha1(&self) -> &[u8] {
        &self.sha1
    }

    /// The SHA-256 hash of the leaf certificate's DER.
    pub fn thumbprint_sha256(&self) -> &[u8] {
        &self.sha256
    }

    /// The SHA-1 thumbprint as upper-case hex, as the Azure portal writes it.
    pub fn thumbprint_sha1_hex(&self) -> String {
        super::hex_lower(&self.sha1).to_ascii_uppercase()
    }

    /// The `x5t` header value: base64url of the SHA-1 thumbprint, with `=` padding as MSAL
    /// Python writes it (Entra accepts it with or without padding).
    pub fn x5t(&self) -> String {
        encode_thumbprint(&self.sha1)
    }

    /// The `x5t#S256` header value: base64url of the SHA-256 thumbprint, padded like
    /// [`x5t`](Self::x5t).
    pub fn x5t_s256(&self) -> String {
        encode_thumbprint(&self.sha256)
    }

    /// The certificate chain in DER, leaf first.
    pub fn chain_der(&self) -> &[Vec<u8>] {
        &self.chain_der
    }

    /// The `x5c` header value: each certificate of the chain as standard base64 of its DER,
    /// leaf first.
    pub fn x5c(&self) -> Vec<String> {
        self.chain_der
            .iter()
            .map(|der| STANDARD.encode(der))
            .collect()
    }

    /// The leaf certificate's subject, such as `CN=my-app, O=Contoso`.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The private key, for signing.
    pub(crate) fn private_key(&self) -> &PKeyRef<Private> {
        &self.key
    }
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("subject", &self.subject)
            .field("thumbprint_sha1", &self.thumbprint_sha1_hex())
            .field("chain_len", &self.chain_der.len())
            .finish_non_exhaustive()
    }
}

/// A thumbprint as the `x5t` / `x5t#S256` headers carry it: base64url with `=` padding,
/// byte for byte what MSAL Python sends.
pub(crate) fn encode_thumbprint(hash: &[u8]) -> String {
    URL_SAFE.encode(hash)
}

/// Reads the first private key of a PEM text, never prompting on a terminal: an encrypted
/// key without a passphrase is an error.
fn read_pem_private_key(pem: &[u8], passphrase: Option<&Secret>) -> Result<PKey<Private>> {
    if !contains(pem, b"PRIVATE KEY-----") {
        return Err(crypto_error(
            "no private key found in the PEM data (expected a PRIVATE KEY, RSA PRIVATE KEY or \
             ENCRYPTED PRIVATE KEY block)",
        ));
    }
    let asked = Cell::new(false);
    let result = PKey::private_key_from_pem_callback(pem, |buf| {
        asked.set(true);
        let secret = passphrase.map_or(&[][..], |p| p.expose().as_bytes());
        let dest = buf
            .get_mut(..secret.len())
            .ok_or_else(openssl::error::ErrorStack::get)?;
        dest.copy_from_slice(secret);
        Ok(secret.len())
    });
    result.map_err(|e| {
        let message = match (asked.get(), passphrase.is_some()) {
            (true, false) => "the private key is encrypted: give its passphrase",
            (true, true) => "the private key could not be decrypted: the passphrase is wrong",
            (false, _) => "the private key in the PEM data could not be read",
        };
        crypto_error_with(message, e)
    })
}

fn require_rsa(key: &PKeyRef<Private>) -> Result<()> {
    let id = key.id();
    if id == Id::RSA {
        return Ok(());
    }
    let found = match id {
        Id::EC => "an EC key",
        Id::ED25519 | Id::ED448 => "an EdDSA key",
        Id::RSA_PSS => "an RSA-PSS-only key",
        Id::DSA => "a DSA key",
        _ => "a key of another type",
    };
    Err(crypto_error_with_owned(format!(
        "only RSA private keys are supported for client certificates, this is {found}"
    )))
}

fn subject_of(cert: &X509) -> String {
    cert.subject_name()
        .entries()
        .map(|entry| {
            let name = entry.object().nid().short_name().unwrap_or("?");
            let value = entry.data().to_string().unwrap_or_default();
            format!("{name}={value}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn crypto_error(message: &'static str) -> Error {
    Error::new(ErrorKind::Crypto, message)
}

fn crypto_error_with_owned(message: String) -> Error {
    Error::new(ErrorKind::Crypto, message)
}

fn crypto_error_with(message: &'static str, source: openssl::error::ErrorStack) -> Error {
    Error::with_source(ErrorKind::Crypto, message, source)
}

#[cfg(test)]
#[path = "certificate_tests.rs"]
pub(crate) mod tests;

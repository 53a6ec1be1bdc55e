//! Key and certificate material: the HTTPS CA and server certificate, app certificates.

use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName, SubjectKeyIdentifier,
};
use openssl::x509::{X509, X509NameBuilder};

use crate::error::EmulatorError;

/// PEM material for HTTPS: the CA clients trust and the server certificate (signed by
/// the CA, valid for `127.0.0.1` and `localhost`) with its private key.
#[derive(Clone)]
pub struct TlsMaterial {
    /// The CA certificate (PEM) that clients must trust.
    pub ca_cert_pem: String,
    /// The server certificate (PEM), optionally followed by intermediates.
    pub server_cert_pem: String,
    /// The server private key (PEM, PKCS#8 or traditional RSA).
    pub server_key_pem: String,
}

impl std::fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsMaterial")
            .field("server_key_pem", &"***")
            .finish_non_exhaustive()
    }
}

fn rsa_key() -> Result<PKey<Private>, EmulatorError> {
    Ok(PKey::from_rsa(Rsa::generate(2048)?)?)
}

fn serial() -> Result<openssl::asn1::Asn1Integer, EmulatorError> {
    let mut bn = BigNum::new()?;
    bn.rand(127, MsbOption::MAYBE_ZERO, false)?;
    Ok(bn.to_asn1_integer()?)
}

fn name(cn: &str) -> Result<openssl::x509::X509Name, EmulatorError> {
    let mut b = X509NameBuilder::new()?;
    b.append_entry_by_text("CN", cn)?;
    b.append_entry_by_text("O", "entra-emulator")?;
    Ok(b.build())
}

/// Builds a certificate; `issuer` None means self-signed.
fn build_cert(
    cn: &str,
    key: &PKey<Private>,
    issuer: Option<(&X509, &PKey<Private>)>,
    ca: bool,
    sans: bool,
) -> Result<X509, EmulatorError> {
    let mut b = X509::builder()?;
    b.set_version(2)?;
    let sn = serial()?;
    b.set_serial_number(&sn)?;
    let subject = name(cn)?;
    b.set_subject_name(&subject)?;
    match issuer {
        Some((cert, _)) => b.set_issuer_name(cert.subject_name())?,
        None => b.set_issuer_name(&subject)?,
    }
    b.set_pubkey(key)?;
    b.set_not_before(Asn1Time::days_from_now(0)?.as_ref())?;
    b.set_not_after(Asn1Time::days_from_now(365)?.as_ref())?;
    if ca {
        b.append_extension(BasicConstraints::new().critical().ca().build()?)?;
        b.append_extension(
            KeyUsage::new()
                .critical()
                .key_cert_sign()
                .crl_sign()
                .build()?,
        )?;
    } else {
        b.append_extension(BasicConstraints::new().build()?)?;
        b.append_extension(
            KeyUsage::new()
                .critical()
                .digital_signature()
                .key_encipherment()
                .build()?,
        )?;
    }
    if sans {
        b.append_extension(ExtendedKeyUsage::new().server_auth().build()?)?;
        let ctx = b.x509v3_context(issuer.map(|(c, _)| c.as_ref()), None);
        let san = SubjectAlternativeName::new()
            .ip("127.0.0.1")
            .dns("localhost")
            .build(&ctx)?;
        b.append_extension(san)?;
    }
    let ski = SubjectKeyIdentifier::new().build(&b.x509v3_context(None, None))?;
    b.append_extension(ski)?;
    let signer = issuer.map(|(_, k)| k).unwrap_or(key);
    b.sign(signer, MessageDigest::sha256())?;
    Ok(b.build())
}

fn pem(cert: &X509) -> Result<String, EmulatorError> {
    String::from_utf8(cert.to_pem()?).map_err(|e| EmulatorError::Crypto(e.to_string()))
}

fn key_pem(key: &PKey<Private>) -> Result<String, EmulatorError> {
    String::from_utf8(key.private_key_to_pem_pkcs8()?)
        .map_err(|e| EmulatorError::Crypto(e.to_string()))
}

impl TlsMaterial {
    /// Generates a fresh CA (CA:true, self-signed) and a server certificate for
    /// `127.0.0.1` and `localhost` signed by it.
    pub fn generate() -> Result<Self, EmulatorError> {
        // Two RSA keys: generate them in parallel (start-up time).
        let server_key = std::thread::spawn(rsa_key);
        let ca_key = rsa_key()?;
        let ca = build_cert("entra-emulator test CA", &ca_key, None, true, false)?;
        let key = server_key
            .join()
            .map_err(|_| EmulatorError::Crypto("key generation thread failed".into()))??;
        let cert = build_cert("localhost", &key, Some((&ca, &ca_key)), false, true)?;
        Ok(TlsMaterial {
            ca_cert_pem: pem(&ca)?,
            server_cert_pem: pem(&cert)?,
            server_key_pem: key_pem(&key)?,
        })
    }

    /// The acceptor identity for native-tls (key converted to PKCS#8).
    pub(crate) fn identity(&self) -> Result<native_tls::Identity, EmulatorError> {
        let key = PKey::private_key_from_pem(self.server_key_pem.as_bytes())?;
        let pkcs8 = key.private_key_to_pem_pkcs8()?;
        native_tls::Identity::from_pkcs8(self.server_cert_pem.as_bytes(), &pkcs8)
            .map_err(|e| EmulatorError::Crypto(e.to_string()))
    }
}

/// A generated (or loaded) app certificate for client assertions.
#[derive(Clone)]
pub struct AppCertificate {
    /// The certificate.
    pub cert: X509,
    /// Certificate PEM.
    pub cert_pem: String,
    /// Private key PEM when the emulator generated the certificate.
    pub key_pem: Option<String>,
    /// SHA-1 thumbprint (raw bytes).
    pub sha1: Vec<u8>,
    /// SHA-256 thumbprint (raw bytes).
    pub sha256: Vec<u8>,
}

impl AppCertificate {
    /// Generates a self-signed certificate with a new RSA-2048 key.
    pub fn generate(cn: &str) -> Result<Self, EmulatorError> {
        let key = rsa_key()?;
        let cert = build_cert(cn, &key, None, false, false)?;
        let mut c = Self::from_cert(cert)?;
        c.key_pem = Some(key_pem(&key)?);
        Ok(c)
    }

    /// Loads a certificate from PEM (the first certificate in the text).
    pub fn from_pem(text: &[u8]) -> Result<Self, EmulatorError> {
        Self::from_cert(X509::from_pem(text)?)
    }

    fn from_cert(cert: X509) -> Result<Self, EmulatorError> {
        let sha1 = cert.digest(MessageDigest::sha1())?.to_vec();
        let sha256 = cert.digest(MessageDigest::sha256())?.to_vec();
        Ok(AppCertificate {
            cert_pem: pem(&cert)?,
            cert,
            key_pem: None,
            sha1,
            sha256,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_server_cert_is_signed_by_the_ca_and_names_loopback() {
        let m = TlsMaterial::generate().unwrap();
        let ca = X509::from_pem(m.ca_cert_pem.as_bytes()).unwrap();
        let cert = X509::from_pem(m.server_cert_pem.as_bytes()).unwrap();
        assert!(cert.verify(&ca.public_key().unwrap()).unwrap());
        let sans = cert.subject_alt_names().unwrap();
        assert!(sans.iter().any(|n| n.dnsname() == Some("localhost")));
        assert!(
            sans.iter()
                .any(|n| n.ipaddress() == Some(&[127, 0, 0, 1][..]))
        );
        assert!(m.identity().is_ok());
        assert!(!format!("{m:?}").contains("PRIVATE"));
    }

    #[test]
    fn app_certificate_has_thumbprints_and_key() {
        let c = AppCertificate::generate("app").unwrap();
        assert_eq!(c.sha1.len(), 20);
        assert_eq!(c.sha256.len(), 32);
        assert!(c.key_pem.as_deref().unwrap_or("").contains("PRIVATE KEY"));
    }
}

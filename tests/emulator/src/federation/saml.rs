//! SAML 1.1 assertions: the issuer and its enveloped RSA-SHA256 XML signature.
//!
//! The assertion is written directly in exclusive-c14n form (sorted attributes, namespace
//! declarations first, no self-closing tags, canonical escaping), so the digest is computed
//! over the very bytes sent. Verification lives in [`super::verify`].

use super::xml::{c14n_attr, c14n_text, format_instant};
use super::{FederatedIdentity, FederationError};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::{MessageDigest, hash};
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::sign::{Signer, Verifier};
use openssl::x509::{X509, X509NameBuilder};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub(crate) const SAML1_NS: &str = "urn:oasis:names:tc:SAML:1.0:assertion";
pub(crate) const DS_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
pub(crate) const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
pub(crate) const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
pub(crate) const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
pub(crate) const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const UPN_NAMESPACE: &str = "http://schemas.xmlsoap.org/claims";
const IMMUTABLE_ID_NAMESPACE: &str = "http://schemas.microsoft.com/LiveID/Federation/2008/05";
const NAME_FORMAT: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
const BEARER: &str = "urn:oasis:names:tc:SAML:1.0:cm:bearer";
const PASSWORD_METHOD: &str = "urn:oasis:names:tc:SAML:1.0:am:password";
/// How long an issued assertion is valid (ADFS default: one hour).
pub(crate) const ASSERTION_LIFETIME: Duration = Duration::from_secs(3600);

/// Signs SAML 1.1 assertions as the emulated federation server.
///
/// Cheap to clone (the key is shared); the private key never appears in `Debug` output.
#[derive(Clone)]
pub struct SamlIssuer {
    inner: Arc<Inner>,
}

struct Inner {
    issuer_uri: String,
    key: PKey<Private>,
    certificate: X509,
    certificate_b64: String,
}

impl fmt::Debug for SamlIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SamlIssuer")
            .field("issuer_uri", &self.inner.issuer_uri)
            .finish_non_exhaustive()
    }
}

impl SamlIssuer {
    /// An issuer named `issuer_uri` (the assertion's `Issuer`, e.g.
    /// `https://127.0.0.1:8443/adfs/services/trust`) with a fresh 2048-bit RSA signing key and a
    /// self-signed certificate for it.
    pub fn new(issuer_uri: &str) -> Result<Self, FederationError> {
        let rsa = Rsa::generate(2048).map_err(|e| crypto_error("generate the signing key", e))?;
        let key = PKey::from_rsa(rsa).map_err(|e| crypto_error("wrap the signing key", e))?;
        Self::with_key(issuer_uri, key)
    }

    /// An issuer signing with the given RSA private key (PEM, PKCS#1 or PKCS#8).
    pub fn from_pem(issuer_uri: &str, private_key_pem: &[u8]) -> Result<Self, FederationError> {
        let key = PKey::private_key_from_pem(private_key_pem)
            .map_err(|e| crypto_error("read the signing key PEM", e))?;
        if key.rsa().is_err() {
            return Err(FederationError::new("the signing key must be an RSA key"));
        }
        Self::with_key(issuer_uri, key)
    }

    fn with_key(issuer_uri: &str, key: PKey<Private>) -> Result<Self, FederationError> {
        let certificate = self_signed(&key).map_err(|e| crypto_error("make the certificate", e))?;
        let der = certificate
            .to_der()
            .map_err(|e| crypto_error("encode the certificate", e))?;
        Ok(Self {
            inner: Arc::new(Inner {
                issuer_uri: issuer_uri.to_owned(),
                key,
                certificate,
                certificate_b64: STANDARD.encode(der),
            }),
        })
    }

    /// The `Issuer` written into (and required of) assertions.
    pub fn issuer_uri(&self) -> &str {
        &self.inner.issuer_uri
    }

    /// The signing certificate (self-signed) as PEM, as a relying party would import it.
    pub fn certificate_pem(&self) -> String {
        self.inner
            .certificate
            .to_pem()
            .map(|pem| String::from_utf8_lossy(&pem).into_owned())
            .unwrap_or_default()
    }

    /// A signed SAML 1.1 assertion for `identity`, restricted to `audience`, valid for one
    /// hour from `now`. The XML is already in exclusive-c14n form and has no XML declaration.
    pub fn issue(
        &self,
        identity: &FederatedIdentity,
        audience: &str,
        now: SystemTime,
    ) -> Result<String, FederationError> {
        let id = format!("_{}", uuid::Uuid::new_v4());
        let instant = format_instant(now);
        let end = now
            .checked_add(ASSERTION_LIFETIME)
            .ok_or_else(|| FederationError::new("the issue instant is out of range"))?;
        let expires = format_instant(end);
        let mut out = String::with_capacity(4096);
        open(
            &mut out,
            "saml:Assertion xmlns:saml=\"urn:oasis:names:tc:SAML:1.0:assertion\"",
            &[
                ("AssertionID", &id),
                ("IssueInstant", &instant),
                ("Issuer", self.issuer_uri()),
                ("MajorVersion", "1"),
                ("MinorVersion", "1"),
            ],
        );
        open(
            &mut out,
            "saml:Conditions",
            &[("NotBefore", &instant), ("NotOnOrAfter", &expires)],
        );
        open(&mut out, "saml:AudienceRestrictionCondition", &[]);
        leaf(&mut out, "saml:Audience", &[], audience);
        out.push_str("</saml:AudienceRestrictionCondition></saml:Conditions>");
        open(&mut out, "saml:AttributeStatement", &[]);
        subject(&mut out, &identity.immutable_id);
        attribute(&mut out, "UPN", UPN_NAMESPACE, &identity.upn);
        attribute(
            &mut out,
            "ImmutableID",
            IMMUTABLE_ID_NAMESPACE,
            &identity.immutable_id,
        );
        out.push_str("</saml:AttributeStatement>");
        open(
            &mut out,
            "saml:AuthenticationStatement",
            &[
                ("AuthenticationInstant", &instant),
                ("AuthenticationMethod", PASSWORD_METHOD),
            ],
        );
        subject(&mut out, &identity.immutable_id);
        out.push_str("</saml:AuthenticationStatement>");

        let digest = hash(
            MessageDigest::sha256(),
            format!("{out}</saml:Assertion>").as_bytes(),
        )
        .map_err(|e| crypto_error("digest the assertion", e))?;
        let signature = self.signature(&id, &STANDARD.encode(digest))?;
        out.push_str(&signature);
        out.push_str("</saml:Assertion>");
        Ok(out)
    }

    /// Whether `signature` is this issuer's RSA-SHA256 signature of `data`.
    pub(crate) fn signed(&self, data: &[u8], signature: &[u8]) -> bool {
        Verifier::new(MessageDigest::sha256(), &self.inner.key)
            .and_then(|mut v| {
                v.update(data)?;
                v.verify(signature)
            })
            .unwrap_or(false)
    }

    /// The `ds:Signature` element for an assertion with id `id` and content digest `digest`.
    fn signature(&self, id: &str, digest: &str) -> Result<String, FederationError> {
        let mut signed_info = String::new();
        leaf(
            &mut signed_info,
            "ds:CanonicalizationMethod",
            &[("Algorithm", EXC_C14N)],
            "",
        );
        leaf(
            &mut signed_info,
            "ds:SignatureMethod",
            &[("Algorithm", RSA_SHA256)],
            "",
        );
        open(
            &mut signed_info,
            "ds:Reference",
            &[("URI", &format!("#{id}"))],
        );
        signed_info.push_str("<ds:Transforms>");
        leaf(
            &mut signed_info,
            "ds:Transform",
            &[("Algorithm", ENVELOPED)],
            "",
        );
        leaf(
            &mut signed_info,
            "ds:Transform",
            &[("Algorithm", EXC_C14N)],
            "",
        );
        signed_info.push_str("</ds:Transforms>");
        leaf(
            &mut signed_info,
            "ds:DigestMethod",
            &[("Algorithm", SHA256)],
            "",
        );
        leaf(&mut signed_info, "ds:DigestValue", &[], digest);
        signed_info.push_str("</ds:Reference>");

        // Canonical SignedInfo on its own carries the ds declaration it inherits in place.
        let canonical =
            format!("<ds:SignedInfo xmlns:ds=\"{DS_NS}\">{signed_info}</ds:SignedInfo>");
        let mut signer = Signer::new(MessageDigest::sha256(), &self.inner.key)
            .map_err(|e| crypto_error("start signing", e))?;
        signer
            .update(canonical.as_bytes())
            .map_err(|e| crypto_error("sign", e))?;
        let value = signer.sign_to_vec().map_err(|e| crypto_error("sign", e))?;
        Ok(format!(
            "<ds:Signature xmlns:ds=\"{DS_NS}\"><ds:SignedInfo>{signed_info}</ds:SignedInfo>\
             <ds:SignatureValue>{}</ds:SignatureValue><ds:KeyInfo><ds:X509Data>\
             <ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>\
             </ds:Signature>",
            STANDARD.encode(value),
            self.inner.certificate_b64
        ))
    }
}

fn crypto_error(what: &str, error: openssl::error::ErrorStack) -> FederationError {
    FederationError::new(format!("cannot {what}: {error}"))
}

fn self_signed(key: &PKey<Private>) -> Result<X509, openssl::error::ErrorStack> {
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_text("CN", "entra-emulator ADFS token signing")?;
    let name = name.build();
    let mut serial = BigNum::new()?;
    serial.rand(127, MsbOption::MAYBE_ZERO, false)?;
    let mut builder = X509::builder()?;
    builder.set_version(2)?;
    let serial = serial.to_asn1_integer()?;
    builder.set_serial_number(&serial)?;
    builder.set_subject_name(&name)?;
    builder.set_issuer_name(&name)?;
    builder.set_pubkey(key)?;
    let not_before = Asn1Time::days_from_now(0)?;
    let not_after = Asn1Time::days_from_now(3650)?;
    builder.set_not_before(&not_before)?;
    builder.set_not_after(&not_after)?;
    builder.sign(key, MessageDigest::sha256())?;
    Ok(builder.build())
}

/// Writes a start tag; `head` is the qualified name plus any namespace declaration (which
/// canonical form puts first), `attrs` are unqualified attributes, sorted here by name.
fn open(out: &mut String, head: &str, attrs: &[(&str, &str)]) {
    let mut sorted = attrs.to_vec();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    out.push('<');
    out.push_str(head);
    for (name, value) in sorted {
        out.push(' ');
        out.push_str(name);
        out.push_str("=\"");
        c14n_attr(value, out);
        out.push('"');
    }
    out.push('>');
}

/// Writes an element with text content only (canonical form: never self-closing).
fn leaf(out: &mut String, qname: &str, attrs: &[(&str, &str)], text: &str) {
    open(out, qname, attrs);
    c14n_text(text, out);
    out.push_str("</");
    out.push_str(qname);
    out.push('>');
}

fn subject(out: &mut String, name_id: &str) {
    out.push_str("<saml:Subject>");
    leaf(
        out,
        "saml:NameIdentifier",
        &[("Format", NAME_FORMAT)],
        name_id,
    );
    out.push_str("<saml:SubjectConfirmation>");
    leaf(out, "saml:ConfirmationMethod", &[], BEARER);
    out.push_str("</saml:SubjectConfirmation></saml:Subject>");
}

fn attribute(out: &mut String, name: &str, namespace: &str, value: &str) {
    open(
        out,
        "saml:Attribute",
        &[("AttributeName", name), ("AttributeNamespace", namespace)],
    );
    leaf(out, "saml:AttributeValue", &[], value);
    out.push_str("</saml:Attribute>");
}

#[cfg(test)]
#[path = "saml_tests.rs"]
mod tests;

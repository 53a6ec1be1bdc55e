//! SAML 1.1 assertions: issuing (enveloped RSA-SHA256 XML signature) and verification.
//!
//! The assertion is written directly in exclusive-c14n form (sorted attributes, namespace
//! declarations first, no self-closing tags, canonical escaping), so the digest is computed
//! over the very bytes sent. Verification re-parses the XML and recomputes the canonical form
//! with [`super::xml::canonicalize`], so any change to the signed content is detected.

use super::xml::{c14n_attr, c14n_text, canonicalize, format_instant, parse_instant};
use super::{FederatedIdentity, FederationError, MICROSOFT_ONLINE_AUDIENCE};
use base64::Engine as _;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::{MessageDigest, hash};
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::sign::{Signer, Verifier};
use openssl::x509::{X509, X509NameBuilder};
use roxmltree::{Document, Node, ParsingOptions};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub(crate) const SAML1_NS: &str = "urn:oasis:names:tc:SAML:1.0:assertion";
const SAML2_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const DS_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const UPN_NAMESPACE: &str = "http://schemas.xmlsoap.org/claims";
const IMMUTABLE_ID_NAMESPACE: &str = "http://schemas.microsoft.com/LiveID/Federation/2008/05";
const NAME_FORMAT: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
const BEARER: &str = "urn:oasis:names:tc:SAML:1.0:cm:bearer";
const PASSWORD_METHOD: &str = "urn:oasis:names:tc:SAML:1.0:am:password";
/// Audiences the token endpoint accepts in an assertion.
const ACCEPTED_AUDIENCES: [&str; 2] = [
    MICROSOFT_ONLINE_AUDIENCE,
    "https://login.microsoftonline.com/extSTS.srf",
];
/// How long an issued assertion is valid (ADFS default: one hour).
pub(crate) const ASSERTION_LIFETIME: Duration = Duration::from_secs(3600);
/// Clock skew tolerated on both ends of the validity window.
const CLOCK_SKEW: Duration = Duration::from_secs(300);
/// Longest `assertion` parameter accepted (ours are about 4 KB).
const MAX_ENCODED_LEN: usize = 64 * 1024;

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
        let expires = format_instant(now + ASSERTION_LIFETIME);
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

/// Decodes base64 in either alphabet, with or without padding.
pub(crate) fn decode_base64_any(encoded: &str) -> Result<Vec<u8>, String> {
    const ANY_PADDING: GeneralPurpose = GeneralPurpose::new(
        &alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let normalized: String = encoded
        .trim()
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            other => other,
        })
        .collect();
    ANY_PADDING
        .decode(normalized)
        .map_err(|_| "the assertion is not valid base64".to_owned())
}

/// See [`super::verify_assertion`].
pub(crate) fn verify(
    encoded: &str,
    issuer: &SamlIssuer,
    now: SystemTime,
) -> Result<FederatedIdentity, String> {
    if encoded.len() > MAX_ENCODED_LEN {
        return Err("the assertion is too large".to_owned());
    }
    let bytes = decode_base64_any(encoded)?;
    let xml = std::str::from_utf8(&bytes).map_err(|_| "the assertion is not UTF-8".to_owned())?;
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: 10_000,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(xml, options)
        .map_err(|e| format!("the assertion is not well-formed XML: {e}"))?;
    let root = doc.root_element();
    if root.has_tag_name((SAML2_NS, "Assertion")) {
        return Err("SAML 2.0 assertions are not issued by this federation server".to_owned());
    }
    if !root.has_tag_name((SAML1_NS, "Assertion")) {
        return Err("the assertion is not a SAML 1.1 Assertion element".to_owned());
    }
    if root.attribute("MajorVersion") != Some("1") || root.attribute("MinorVersion") != Some("1") {
        return Err("the assertion is not SAML version 1.1".to_owned());
    }
    if root.attribute("Issuer") != Some(issuer.issuer_uri()) {
        return Err("the assertion was not issued by this federation server".to_owned());
    }
    let id = root
        .attribute("AssertionID")
        .ok_or("the assertion has no AssertionID")?;
    check_signature(root, id, issuer)?;
    check_conditions(root, now)?;
    identity(root)
}

/// Exactly one child element `{ns}local` of `node`.
fn only_child<'a, 'i>(node: Node<'a, 'i>, ns: &str, local: &str) -> Result<Node<'a, 'i>, String> {
    let mut found = node.children().filter(|c| c.has_tag_name((ns, local)));
    match (found.next(), found.next()) {
        (Some(one), None) => Ok(one),
        _ => Err(format!("the assertion needs exactly one {local} element")),
    }
}

fn algorithm_is(node: Node<'_, '_>, local: &str, expected: &str) -> Result<(), String> {
    if only_child(node, DS_NS, local)?.attribute("Algorithm") == Some(expected) {
        Ok(())
    } else {
        Err(format!(
            "the assertion's {local} algorithm is not supported"
        ))
    }
}

fn check_signature(root: Node<'_, '_>, id: &str, issuer: &SamlIssuer) -> Result<(), String> {
    let signature = only_child(root, DS_NS, "Signature")?;
    let signed_info = only_child(signature, DS_NS, "SignedInfo")?;
    algorithm_is(signed_info, "CanonicalizationMethod", EXC_C14N)?;
    algorithm_is(signed_info, "SignatureMethod", RSA_SHA256)?;
    let reference = only_child(signed_info, DS_NS, "Reference")?;
    if reference.attribute("URI") != Some(format!("#{id}").as_str()) {
        return Err("the signature does not reference the assertion".to_owned());
    }
    let transforms: Vec<_> = only_child(reference, DS_NS, "Transforms")?
        .children()
        .filter(|c| c.is_element())
        .map(|t| {
            (
                t.tag_name().namespace() == Some(DS_NS),
                t.attribute("Algorithm"),
            )
        })
        .collect();
    if transforms != [(true, Some(ENVELOPED)), (true, Some(EXC_C14N))] {
        return Err("the signature's transforms are not supported".to_owned());
    }
    algorithm_is(reference, "DigestMethod", SHA256)?;
    let digest_text = only_child(reference, DS_NS, "DigestValue")?
        .text()
        .unwrap_or("");
    let expected = decode_base64_any(digest_text).map_err(|_| "bad DigestValue".to_owned())?;

    let content = canonicalize(root, Some(signature.id()))?;
    let actual = hash(MessageDigest::sha256(), content.as_bytes())
        .map_err(|_| "cannot digest the assertion".to_owned())?;
    if expected.len() != actual.len() || !openssl::memcmp::eq(&expected, &actual) {
        return Err("the assertion's content does not match its signed digest".to_owned());
    }

    let value_text: String = only_child(signature, DS_NS, "SignatureValue")?
        .text()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let value = decode_base64_any(&value_text).map_err(|_| "bad SignatureValue".to_owned())?;
    let canonical_info = canonicalize(signed_info, None)?;
    let valid = Verifier::new(MessageDigest::sha256(), &issuer.inner.key)
        .and_then(|mut v| {
            v.update(canonical_info.as_bytes())?;
            v.verify(&value)
        })
        .unwrap_or(false);
    if valid {
        Ok(())
    } else {
        Err("the assertion's signature is not valid".to_owned())
    }
}

fn check_conditions(root: Node<'_, '_>, now: SystemTime) -> Result<(), String> {
    let conditions = only_child(root, SAML1_NS, "Conditions")?;
    let instant = |name: &str| {
        conditions
            .attribute(name)
            .and_then(parse_instant)
            .ok_or(format!("the assertion's Conditions need a valid {name}"))
    };
    let not_before = instant("NotBefore")?;
    let not_on_or_after = instant("NotOnOrAfter")?;
    if now
        .checked_add(CLOCK_SKEW)
        .is_some_and(|late| late < not_before)
    {
        return Err("the assertion is not yet valid".to_owned());
    }
    if not_on_or_after
        .checked_add(CLOCK_SKEW)
        .is_none_or(|end| now >= end)
    {
        return Err("the assertion has expired".to_owned());
    }
    let audience_ok = conditions
        .children()
        .filter(|c| c.has_tag_name((SAML1_NS, "AudienceRestrictionCondition")))
        .flat_map(|c| c.children())
        .filter(|a| a.has_tag_name((SAML1_NS, "Audience")))
        .any(|a| ACCEPTED_AUDIENCES.contains(&a.text().unwrap_or("").trim()));
    if audience_ok {
        Ok(())
    } else {
        Err("the assertion's audience is not urn:federation:MicrosoftOnline".to_owned())
    }
}

fn identity(root: Node<'_, '_>) -> Result<FederatedIdentity, String> {
    let statement = only_child(root, SAML1_NS, "AttributeStatement")?;
    let value = |name: &str| {
        statement
            .children()
            .filter(|c| c.has_tag_name((SAML1_NS, "Attribute")))
            .find(|c| c.attribute("AttributeName") == Some(name))
            .and_then(|c| only_child(c, SAML1_NS, "AttributeValue").ok())
            .and_then(|v| v.text())
            .map(str::to_owned)
            .filter(|v| !v.is_empty())
            .ok_or(format!("the assertion has no {name} attribute"))
    };
    Ok(FederatedIdentity {
        upn: value("UPN")?,
        immutable_id: value("ImmutableID")?,
    })
}

#[cfg(test)]
#[path = "saml_tests.rs"]
mod tests;

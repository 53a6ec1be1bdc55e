//! Verification of the SAML 1.1 assertions [`SamlIssuer`] issued: decoding, enveloped
//! signature (recomputing the exclusive-c14n form from the parsed XML, so any change to the
//! signed content is detected), issuer, audience and validity window.

use super::saml::{DS_NS, ENVELOPED, EXC_C14N, RSA_SHA256, SAML1_NS, SHA256, SamlIssuer};
use super::xml::{canonicalize, parse_instant};
use super::{FederatedIdentity, MICROSOFT_ONLINE_AUDIENCE};
use base64::Engine as _;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use openssl::hash::{MessageDigest, hash};
use roxmltree::{Document, Node, ParsingOptions};
use std::time::{Duration, SystemTime};

const SAML2_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// Audiences the token endpoint accepts in an assertion.
const ACCEPTED_AUDIENCES: [&str; 2] = [
    MICROSOFT_ONLINE_AUDIENCE,
    "https://login.microsoftonline.com/extSTS.srf",
];
/// Clock skew tolerated on both ends of the validity window.
pub(crate) const CLOCK_SKEW: Duration = Duration::from_secs(300);
/// Longest `assertion` parameter accepted (ours are about 4 KB).
pub(crate) const MAX_ENCODED_LEN: usize = 64 * 1024;

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
pub(crate) fn only_child<'a, 'i>(
    node: Node<'a, 'i>,
    ns: &str,
    local: &str,
) -> Result<Node<'a, 'i>, String> {
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
    if issuer.signed(canonical_info.as_bytes(), &value) {
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

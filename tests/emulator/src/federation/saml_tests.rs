use super::*;
use crate::federation::MICROSOFT_ONLINE_AUDIENCE;
use crate::federation::verify::{
    CLOCK_SKEW, MAX_ENCODED_LEN, decode_base64_any, only_child, verify,
};
use crate::federation::xml::canonicalize;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use roxmltree::Document;
use std::sync::OnceLock;
use std::time::UNIX_EPOCH;

const ISSUER: &str = "https://127.0.0.1:8443/adfs/services/trust";

/// One issuer for the whole module: RSA key generation is the slow part.
fn issuer() -> &'static SamlIssuer {
    static ISSUER_CELL: OnceLock<SamlIssuer> = OnceLock::new();
    ISSUER_CELL.get_or_init(|| SamlIssuer::new(ISSUER).unwrap())
}

fn bob() -> FederatedIdentity {
    FederatedIdentity {
        upn: "bob@federated.test".to_owned(),
        immutable_id: "MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwYjBi".to_owned(),
    }
}

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_795_312_177)
}

fn issue_bob() -> String {
    issuer()
        .issue(&bob(), MICROSOFT_ONLINE_AUDIENCE, now())
        .unwrap()
}

fn verify_xml(xml: &str, at: SystemTime) -> Result<FederatedIdentity, String> {
    verify(&URL_SAFE_NO_PAD.encode(xml), issuer(), at)
}

#[test]
fn issued_assertion_verifies_in_every_base64_spelling() {
    let xml = issue_bob();
    for encoded in [
        URL_SAFE_NO_PAD.encode(&xml),
        URL_SAFE.encode(&xml),
        STANDARD.encode(&xml),
        STANDARD_NO_PAD.encode(&xml),
    ] {
        assert_eq!(verify(&encoded, issuer(), now()), Ok(bob()));
    }
}

#[test]
fn decode_base64_any_accepts_both_alphabets_with_and_without_padding() {
    let bytes = [0xfbu8, 0xff, 0xfe, 0x01];
    for encoded in ["+//+AQ==", "+//+AQ", "-__-AQ==", "-__-AQ"] {
        assert_eq!(decode_base64_any(encoded).unwrap(), bytes, "{encoded}");
    }
    assert!(decode_base64_any("not base64!").is_err());
}

#[test]
fn issued_assertion_is_already_in_exclusive_canonical_form() {
    let xml = issue_bob();
    let doc = Document::parse(&xml).unwrap();
    assert_eq!(canonicalize(doc.root_element(), None).unwrap(), xml);
    assert!(
        !xml.contains("/>"),
        "no self-closing tags in canonical form"
    );
    assert!(!xml.starts_with("<?xml"));
}

#[test]
fn issued_assertion_has_the_saml11_shape_clients_expect() {
    let xml = issue_bob();
    assert!(xml.starts_with(
        "<saml:Assertion xmlns:saml=\"urn:oasis:names:tc:SAML:1.0:assertion\" AssertionID=\"_"
    ));
    let doc = Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.attribute("MajorVersion"), Some("1"));
    assert_eq!(root.attribute("MinorVersion"), Some("1"));
    assert_eq!(root.attribute("Issuer"), Some(ISSUER));
    assert_eq!(
        root.attribute("IssueInstant"),
        Some("2026-11-22T01:49:37.000Z")
    );
    let audience = doc
        .descendants()
        .find(|n| n.has_tag_name((SAML1_NS, "Audience")))
        .unwrap();
    assert_eq!(audience.text(), Some(MICROSOFT_ONLINE_AUDIENCE));
    let conditions = only_child(root, SAML1_NS, "Conditions").unwrap();
    assert_eq!(
        conditions.attribute("NotOnOrAfter"),
        Some("2026-11-22T02:49:37.000Z")
    );
    assert!(only_child(root, SAML1_NS, "AuthenticationStatement").is_ok());
    assert_eq!(
        root.last_element_child().unwrap().tag_name().name(),
        "Signature"
    );
}

#[test]
fn changed_content_fails_the_digest_check() {
    let xml = issue_bob().replace("bob@federated.test", "eve@federated.test");
    let err = verify_xml(&xml, now()).unwrap_err();
    assert!(err.contains("digest"), "{err}");
}

#[test]
fn changed_attribute_order_or_whitespace_outside_values_still_verifies() {
    // Canonicalization makes the check independent of attribute order and quoting.
    let xml = issue_bob().replacen(
        "<saml:Assertion xmlns:saml=\"urn:oasis:names:tc:SAML:1.0:assertion\" ",
        "<saml:Assertion MinorVersion='1' xmlns:saml=\"urn:oasis:names:tc:SAML:1.0:assertion\" ",
        1,
    );
    let xml = xml.replacen(" MinorVersion=\"1\"", "", 1);
    assert_eq!(verify_xml(&xml, now()), Ok(bob()));
}

#[test]
fn re_digested_content_fails_the_signature_check() {
    let xml = issue_bob().replace("bob@federated.test", "eve@federated.test");
    let doc = Document::parse(&xml).unwrap();
    let root = doc.root_element();
    let signature = only_child(root, DS_NS, "Signature").unwrap();
    let content = canonicalize(root, Some(signature.id())).unwrap();
    let digest = STANDARD.encode(hash(MessageDigest::sha256(), content.as_bytes()).unwrap());
    let old_digest = doc
        .descendants()
        .find(|n| n.has_tag_name((DS_NS, "DigestValue")))
        .unwrap()
        .text()
        .unwrap();
    let forged = xml.replace(old_digest, &digest);
    let err = verify_xml(&forged, now()).unwrap_err();
    assert!(err.contains("signature is not valid"), "{err}");
}

#[test]
fn assertion_from_another_key_or_issuer_is_rejected() {
    let other = SamlIssuer::new(ISSUER).unwrap();
    let xml = other
        .issue(&bob(), MICROSOFT_ONLINE_AUDIENCE, now())
        .unwrap();
    assert!(verify_xml(&xml, now()).unwrap_err().contains("signature"));
    let renamed = issue_bob().replace(ISSUER, "https://evil.test/adfs/services/trust");
    assert!(
        verify_xml(&renamed, now())
            .unwrap_err()
            .contains("not issued by")
    );
}

#[test]
fn issuer_from_pem_verifies_assertions_of_an_issuer_with_the_same_key() {
    let key = Rsa::generate(2048).unwrap().private_key_to_pem().unwrap();
    let a = SamlIssuer::from_pem(ISSUER, &key).unwrap();
    let b = SamlIssuer::from_pem(ISSUER, &key).unwrap();
    let xml = a.issue(&bob(), MICROSOFT_ONLINE_AUDIENCE, now()).unwrap();
    assert_eq!(verify(&STANDARD.encode(xml), &b, now()), Ok(bob()));
    assert!(
        a.certificate_pem()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    assert!(SamlIssuer::from_pem(ISSUER, b"not a key").is_err());
}

#[test]
fn expired_and_not_yet_valid_assertions_are_rejected() {
    let xml = issue_bob();
    let later = now() + ASSERTION_LIFETIME + CLOCK_SKEW;
    assert_eq!(
        verify_xml(&xml, later).unwrap_err(),
        "the assertion has expired"
    );
    assert!(verify_xml(&xml, later - Duration::from_secs(1)).is_ok());
    let earlier = now() - CLOCK_SKEW - Duration::from_secs(1);
    assert_eq!(
        verify_xml(&xml, earlier).unwrap_err(),
        "the assertion is not yet valid"
    );
}

#[test]
fn assertion_for_another_audience_is_rejected() {
    let xml = issuer().issue(&bob(), "urn:someone:else", now()).unwrap();
    assert!(verify_xml(&xml, now()).unwrap_err().contains("audience"));
    let extsts = issuer()
        .issue(
            &bob(),
            "https://login.microsoftonline.com/extSTS.srf",
            now(),
        )
        .unwrap();
    assert_eq!(verify_xml(&extsts, now()), Ok(bob()));
}

#[test]
fn values_with_markup_characters_are_escaped_and_round_trip() {
    let tricky = FederatedIdentity {
        upn: "o'<b>&\"x\"@federated.test".to_owned(),
        immutable_id: "a&b<c>".to_owned(),
    };
    let xml = issuer()
        .issue(&tricky, MICROSOFT_ONLINE_AUDIENCE, now())
        .unwrap();
    assert!(xml.contains("o'&lt;b&gt;&amp;\"x\"@federated.test"));
    assert_eq!(verify_xml(&xml, now()), Ok(tricky));
}

#[test]
fn unsigned_or_doubly_signed_assertions_are_rejected() {
    let xml = issue_bob();
    let start = xml.find("<ds:Signature").unwrap();
    let end = xml.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let unsigned = format!("{}{}", &xml[..start], &xml[end..]);
    assert!(verify_xml(&unsigned, now()).is_err());
    let doubled = format!("{}{}{}", &xml[..end], &xml[start..end], &xml[end..]);
    assert!(verify_xml(&doubled, now()).is_err());
}

#[test]
fn non_assertions_dtds_and_garbage_are_rejected() {
    let saml2 = "<saml:Assertion xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\"/>";
    assert!(verify_xml(saml2, now()).unwrap_err().contains("SAML 2.0"));
    let dtd = "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>";
    assert!(verify_xml(dtd, now()).unwrap_err().contains("well-formed"));
    assert!(verify(&"A".repeat(MAX_ENCODED_LEN + 1), issuer(), now()).is_err());
    assert!(verify("%%%", issuer(), now()).is_err());
    assert!(verify(&STANDARD.encode([0xff, 0xfe]), issuer(), now()).is_err());
}

#[test]
fn debug_output_does_not_show_the_key() {
    let text = format!("{:?}", issuer());
    assert!(text.contains(ISSUER));
    assert!(!text.contains("PRIVATE"));
}

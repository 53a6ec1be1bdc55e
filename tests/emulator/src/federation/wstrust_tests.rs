use super::*;
use crate::federation::verify_assertion;
use std::cell::Cell;
use std::sync::OnceLock;
use std::time::{Duration, UNIX_EPOCH};

const MSAL_PY_13: &str = include_str!("testdata/rst13_msal_python.xml");
const MSAL_PY_2005: &str = include_str!("testdata/rst2005_msal_python.xml");
const AZURE_IDENTITY_13: &str = include_str!("testdata/rst13_azure_identity.xml");

fn issuer() -> &'static SamlIssuer {
    static CELL: OnceLock<SamlIssuer> = OnceLock::new();
    CELL.get_or_init(|| SamlIssuer::new("https://127.0.0.1:8443/adfs/services/trust").unwrap())
}

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_795_312_177)
}

fn check(user: &str, password: &str) -> Option<FederatedIdentity> {
    let right = matches!(
        (user, password),
        ("bob@federated.test", "bob-password") | ("carol@federated2005.test", "carol-password")
    );
    right.then(|| FederatedIdentity {
        upn: user.to_owned(),
        immutable_id: format!("id-of-{user}"),
    })
}

fn run(body: &str, version: WsTrustVersion) -> RstOutcome {
    handle(body, version, issuer(), &check, now())
}

/// The raw inner text of the first `RequestedSecurityToken`, the way MSAL Python's regex
/// takes it (prefix-agnostic, byte-exact).
fn raw_token(body: &str) -> &str {
    const TAG: &str = "RequestedSecurityToken>";
    let open = body.find(TAG).unwrap() + TAG.len();
    let close_name = open + body[open..].find(TAG).unwrap();
    let close = body[..close_name].rfind("</").unwrap();
    &body[open..close]
}

/// (fault code, subcode, reason) of a SOAP 1.2 fault body.
fn fault_parts(body: &str) -> (String, String, String) {
    let doc = Document::parse(body).unwrap();
    let texts: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name((SOAP12, "Value")) || n.has_tag_name((SOAP12, "Text")))
        .map(|n| n.text().unwrap_or("").to_owned())
        .collect();
    (texts[0].clone(), texts[1].clone(), texts[2].clone())
}

#[test]
fn parse_rst_reads_the_recorded_msal_python_13_envelope() {
    let request = parse_rst(MSAL_PY_13, WsTrustVersion::V13).unwrap();
    assert_eq!(request.username, "bob@federated.test");
    assert_eq!(request.password, "bob-password");
    assert_eq!(request.applies_to, "urn:federation:MicrosoftOnline");
    assert_eq!(
        request.message_id.as_deref(),
        Some("urn:uuid:38a5d02e-928f-4021-a70c-d68b8a1a1d09")
    );
}

#[test]
fn parse_rst_reads_the_recorded_msal_python_2005_envelope() {
    let request = parse_rst(MSAL_PY_2005, WsTrustVersion::V2005).unwrap();
    assert_eq!(request.username, "carol@federated2005.test");
    assert_eq!(request.password, "carol-password");
    assert_eq!(request.applies_to, "urn:federation:MicrosoftOnline");
}

#[test]
fn parse_rst_reads_the_recorded_azure_identity_envelope() {
    let request = parse_rst(AZURE_IDENTITY_13, WsTrustVersion::V13).unwrap();
    assert_eq!(request.username, "bob@federated.test");
    assert_eq!(request.password, "bob-password");
}

#[test]
fn parse_rst_accepts_other_prefixes_casing_and_escaped_passwords() {
    // MSAL Go style: double quotes, messageID casing, its own prefixes and ids.
    let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:addr="http://www.w3.org/2005/08/addressing">
 <soap:Header>
  <addr:Action soap:mustUnderstand="1">http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue</addr:Action>
  <addr:messageID>urn:uuid:1</addr:messageID>
  <sec:Security xmlns:sec="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
       xmlns:util="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">
   <util:Timestamp util:Id="MSATimeStamp"><util:Created>2026-11-22T01:49:37.000Z</util:Created></util:Timestamp>
   <sec:UsernameToken util:Id="UnPwSecTok13-x">
    <sec:Username> bob@federated.test </sec:Username>
    <sec:Password>p&amp;&lt;w&apos;d</sec:Password>
   </sec:UsernameToken>
  </sec:Security>
 </soap:Header>
 <soap:Body>
  <trust:RequestSecurityToken xmlns:trust="http://docs.oasis-open.org/ws-sx/ws-trust/200512">
   <pol:AppliesTo xmlns:pol="http://schemas.xmlsoap.org/ws/2004/09/policy">
    <addr:EndpointReference><addr:Address>https://login.microsoftonline.com/extSTS.srf</addr:Address></addr:EndpointReference>
   </pol:AppliesTo>
   <trust:KeyType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/Bearer</trust:KeyType>
   <trust:RequestType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue</trust:RequestType>
  </trust:RequestSecurityToken>
 </soap:Body>
</soap:Envelope>"#;
    let request = parse_rst(body, WsTrustVersion::V13).unwrap();
    assert_eq!(request.username, "bob@federated.test");
    assert_eq!(request.password, "p&<w'd");
    assert_eq!(
        request.applies_to,
        "https://login.microsoftonline.com/extSTS.srf"
    );
    assert_eq!(request.message_id.as_deref(), Some("urn:uuid:1"));
}

#[test]
fn parse_rst_rejects_the_other_versions_request_and_missing_parts() {
    let err = parse_rst(MSAL_PY_2005, WsTrustVersion::V13).unwrap_err();
    assert!(err.contains("V2005"), "{err}");
    assert!(parse_rst(MSAL_PY_13, WsTrustVersion::V2005).is_err());
    let no_user = MSAL_PY_13.replace("<wsse:Username>bob@federated.test</wsse:Username>", "");
    assert!(
        parse_rst(&no_user, WsTrustVersion::V13)
            .unwrap_err()
            .contains("Username")
    );
    let validate = MSAL_PY_13.replace(
        "200512/Issue</wst:RequestType>",
        "200512/Validate</wst:RequestType>",
    );
    assert!(
        parse_rst(&validate, WsTrustVersion::V13)
            .unwrap_err()
            .contains("Issue")
    );
    let digest = MSAL_PY_13.replace(
        "<wsse:Password>",
        "<wsse:Password Type='http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest'>",
    );
    assert!(parse_rst(&digest, WsTrustVersion::V13).is_err());
    // The namespace decides, not the prefix: a wrong namespace with the right prefix fails.
    let wrong_ns = MSAL_PY_13.replace(
        "wss-wssecurity-secext-1.0.xsd",
        "wss-wssecurity-secext-9.9.xsd",
    );
    assert!(parse_rst(&wrong_ns, WsTrustVersion::V13).is_err());
}

#[test]
fn parse_error_never_echoes_the_password() {
    let body = MSAL_PY_13.replace("</s:Body>", "");
    let err = parse_rst(&body, WsTrustVersion::V13).unwrap_err();
    assert!(!err.contains("bob-password"));
}

#[test]
fn handle_answers_msal_python_13_with_a_collection_holding_a_verifiable_assertion() {
    let outcome = run(MSAL_PY_13, WsTrustVersion::V13);
    assert_eq!(outcome.status, 200, "{}", outcome.body);
    let doc = Document::parse(&outcome.body).unwrap();
    let t13 = trust(WsTrustVersion::V13).ns;
    let body = child(doc.root_element(), &[SOAP12], "Body").unwrap();
    let collection = child(body, &[t13], "RequestSecurityTokenResponseCollection").unwrap();
    let rstr = child(collection, &[t13], "RequestSecurityTokenResponse").unwrap();
    let token_type = child(rstr, &[t13], "TokenType").and_then(simple_text);
    assert_eq!(token_type.as_deref(), Some(SAML1_TOKEN_TYPE));
    let action = doc
        .descendants()
        .find(|n| n.has_tag_name((WSA[0], "Action")))
        .unwrap();
    assert_eq!(
        action.text(),
        Some(trust(WsTrustVersion::V13).response_action)
    );
    assert!(
        outcome
            .body
            .contains("<a:RelatesTo>urn:uuid:38a5d02e-928f-4021-a70c-d68b8a1a1d09</a:RelatesTo>")
    );

    let token = raw_token(&outcome.body);
    assert!(
        token.starts_with("<saml:Assertion xmlns:saml=\"urn:oasis:names:tc:SAML:1.0:assertion\"")
    );
    let encoded = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, token);
    let identity = verify_assertion(&encoded, issuer(), now()).unwrap();
    assert_eq!(identity.upn, "bob@federated.test");
    assert_eq!(identity.immutable_id, "id-of-bob@federated.test");
}

#[test]
fn handle_answers_2005_with_a_bare_response() {
    let outcome = run(MSAL_PY_2005, WsTrustVersion::V2005);
    assert_eq!(outcome.status, 200, "{}", outcome.body);
    let doc = Document::parse(&outcome.body).unwrap();
    let t2005 = trust(WsTrustVersion::V2005).ns;
    let body = child(doc.root_element(), &[SOAP12], "Body").unwrap();
    let rstr = body.first_element_child().unwrap();
    assert!(rstr.has_tag_name((t2005, "RequestSecurityTokenResponse")));
    assert!(!outcome.body.contains("Collection"));
    let key_type = child(rstr, &[t2005], "KeyType").and_then(simple_text);
    assert_eq!(
        key_type.as_deref(),
        Some(trust(WsTrustVersion::V2005).key_type)
    );
    let encoded = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        raw_token(&outcome.body),
    );
    assert_eq!(
        verify_assertion(&encoded, issuer(), now()).unwrap().upn,
        "carol@federated2005.test"
    );
}

#[test]
fn handle_answers_a_wrong_password_with_the_adfs_fault_and_500() {
    let body = MSAL_PY_13.replace("bob-password", "wrong-password");
    let outcome = run(&body, WsTrustVersion::V13);
    assert_eq!(outcome.status, 500);
    let (code, subcode, reason) = fault_parts(&outcome.body);
    assert_eq!(code, "s:Sender");
    assert_eq!(subcode, "a:FailedAuthentication");
    assert_eq!(
        reason,
        "ID3242: The security token could not be authenticated or authorized."
    );
    assert!(!outcome.body.contains("wrong-password"));
    let doc = Document::parse(&outcome.body).unwrap();
    let sub = doc
        .descendants()
        .find(|n| n.text() == Some("a:FailedAuthentication"))
        .unwrap();
    assert_eq!(sub.lookup_namespace_uri(Some("a")), Some(WSSE));
}

#[test]
fn handle_answers_malformed_requests_with_400_without_checking_credentials() {
    let called = Cell::new(false);
    let spy = |_: &str, _: &str| {
        called.set(true);
        None
    };
    for body in [
        "",
        "not xml",
        "<!DOCTYPE s [<!ENTITY x 'y'>]><s:Envelope xmlns:s='http://www.w3.org/2003/05/soap-envelope'/>",
        "<a/>",
        &MSAL_PY_13.replace("</wsse:UsernameToken>", "</wsse:UsernameTokenX>"),
    ] {
        let outcome = handle(body, WsTrustVersion::V13, issuer(), &spy, now());
        assert_eq!(outcome.status, 400, "{body}");
        let (code, _, reason) = fault_parts(&outcome.body);
        assert_eq!(code, "s:Sender");
        assert!(reason.starts_with("ID3035"), "{reason}");
    }
    assert!(!called.get());
}

#[test]
fn handle_refuses_unknown_relying_parties() {
    let body = MSAL_PY_13.replace(
        "<wsa:Address>urn:federation:MicrosoftOnline</wsa:Address>",
        "<wsa:Address>urn:evil&amp;&lt;rp</wsa:Address>",
    );
    let outcome = run(&body, WsTrustVersion::V13);
    assert_eq!(outcome.status, 400);
    let (_, _, reason) = fault_parts(&outcome.body);
    assert!(reason.contains("'urn:evil&<rp'"), "{reason}");
}

#[test]
fn handle_escapes_values_written_back() {
    let body = MSAL_PY_13.replace(
        "urn:uuid:38a5d02e-928f-4021-a70c-d68b8a1a1d09",
        "urn:uuid:&lt;/a:RelatesTo&gt;&amp;",
    );
    let outcome = run(&body, WsTrustVersion::V13);
    assert_eq!(outcome.status, 200);
    let doc = Document::parse(&outcome.body).unwrap();
    let relates = doc
        .descendants()
        .find(|n| n.has_tag_name((WSA[0], "RelatesTo")))
        .unwrap();
    assert_eq!(relates.text(), Some("urn:uuid:</a:RelatesTo>&"));
}

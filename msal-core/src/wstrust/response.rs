//! The WS-Trust answer: a token (RSTR) or a SOAP fault.
//!
//! WS-Trust 1.3 wraps its `RequestSecurityTokenResponse` in a
//! `RequestSecurityTokenResponseCollection`; WS-Trust 2005 sends it bare. Both are accepted
//! wherever they sit in the body, as long as they are in the namespace of the version asked
//! for. The assertion is cut out of the original text byte for byte, because its XML
//! signature covers those bytes.
//!
//! The HTTP status is not looked at: AD FS answers a wrong password with HTTP 500 and a SOAP
//! fault, and a token is a token whatever the status.

use super::{SamlVersion, WsTrustToken, WsTrustVersion, body_text, child, is, ns, parse_xml, path};
use crate::http::HttpResponse;
use crate::{EntraError, Error, ErrorKind, FailureReason, Result, Secret};

/// The longest fault reason kept in an error message, in characters.
const MAX_REASON_CHARS: usize = 512;

/// The SAML 1.1 token type of the WSS SAML token profile.
const SAML11_PROFILE: &str =
    "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV1.1";
/// The SAML 2.0 token type of the WSS SAML token profile.
const SAML20_PROFILE: &str =
    "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0";

/// Reads the token out of a WS-Trust answer, or the SOAP fault that came instead.
///
/// A fault is an [`ErrorKind::WsTrust`] error whose message carries the fault's reason (for
/// example AD FS's "ID3242: The security token could not be authenticated or authorized." for
/// a wrong password) and whose [`Error::entra`] holds the fault code as `error` and the reason
/// as `error_description`. A body that is not XML is [`ErrorKind::MalformedResponse`].
///
/// ```
/// use msal_core::ErrorKind;
/// use msal_core::wstrust::{WsTrustVersion, response::parse_response};
///
/// let fault = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>
///   <s:Fault><s:Code><s:Value>s:Sender</s:Value></s:Code>
///   <s:Reason><s:Text xml:lang="en-US">ID3242: not authenticated.</s:Text></s:Reason>
///   </s:Fault></s:Body></s:Envelope>"#;
/// let err = parse_response(fault.as_bytes(), WsTrustVersion::WsTrust13).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::WsTrust);
/// assert!(err.message().contains("ID3242"));
/// ```
pub fn parse_response(body: &[u8], version: WsTrustVersion) -> Result<WsTrustToken> {
    parse(body, version, 0, None)
}

/// [`parse_response`] for an HTTP answer: the status is kept in the fault error, and the
/// password is masked should the server have echoed it in its fault text.
pub(crate) fn parse_http_response(
    response: &HttpResponse,
    version: WsTrustVersion,
    password: &Secret,
) -> Result<WsTrustToken> {
    parse(&response.body, version, response.status, Some(password))
}

fn parse(
    body: &[u8],
    version: WsTrustVersion,
    http_status: u16,
    password: Option<&Secret>,
) -> Result<WsTrustToken> {
    let text = body_text(body, "WS-Trust answer")?;
    let doc = parse_xml(text, "WS-Trust answer")?;
    let mut unsupported = None;
    let responses = doc
        .descendants()
        .filter(|n| is(*n, version.namespace(), "RequestSecurityTokenResponse"));
    for rstr in responses {
        match token_of(text, rstr, version) {
            Some(Ok(token)) => return Ok(token),
            Some(Err(token_type)) => unsupported = Some(token_type),
            None => {}
        }
    }
    if let Some(fault) = SoapFault::find(&doc) {
        return Err(fault.into_error(http_status, password));
    }
    Err(match unsupported {
        Some(token_type) => Error::new(
            ErrorKind::WsTrust,
            format!(
                "the identity provider issued a token of an unsupported type ({}); only SAML \
                 1.1 and SAML 2.0 assertions can be redeemed",
                truncate(&token_type, 200)
            ),
        ),
        None => Error::new(
            ErrorKind::MalformedResponse,
            format!(
                "the {version} answer (HTTP {http_status}) holds neither a token nor a SOAP fault"
            ),
        ),
    })
}

/// The token of one `RequestSecurityTokenResponse`: `None` when it holds none, `Err` with the
/// token type when that type is not a SAML assertion.
fn token_of(
    text: &str,
    rstr: roxmltree::Node<'_, '_>,
    version: WsTrustVersion,
) -> Option<std::result::Result<WsTrustToken, String>> {
    let token = child(rstr, version.namespace(), "RequestedSecurityToken")?;
    let assertion = token.first_element_child()?;
    let raw = text
        .get(token.first_child()?.range().start..token.last_child()?.range().end)?
        .trim();
    let token_type = child(rstr, version.namespace(), "TokenType")
        .and_then(|t| t.text())
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let saml = match token_type {
        Some(t) => match saml_version_of_type(t) {
            Some(v) => v,
            None => return Some(Err(t.to_owned())),
        },
        None => match saml_version_of_element(assertion) {
            Some(v) => v,
            None => {
                return Some(Err(assertion
                    .tag_name()
                    .namespace()
                    .unwrap_or("")
                    .to_owned()));
            }
        },
    };
    Some(Ok(WsTrustToken {
        assertion: Secret::new(raw),
        version: saml,
    }))
}

/// The SAML version a `TokenType` names.
fn saml_version_of_type(token_type: &str) -> Option<SamlVersion> {
    match token_type {
        ns::SAML1_ASSERTION | SAML11_PROFILE => Some(SamlVersion::Saml11),
        ns::SAML2_ASSERTION | SAML20_PROFILE => Some(SamlVersion::Saml20),
        _ => None,
    }
}

/// The SAML version of an `Assertion` element, from its namespace.
fn saml_version_of_element(element: roxmltree::Node<'_, '_>) -> Option<SamlVersion> {
    if is(element, ns::SAML1_ASSERTION, "Assertion") {
        Some(SamlVersion::Saml11)
    } else if is(element, ns::SAML2_ASSERTION, "Assertion") {
        Some(SamlVersion::Saml20)
    } else {
        None
    }
}

/// A SOAP fault (SOAP 1.2 `Code`/`Subcode`/`Reason`, or SOAP 1.1 `faultcode`/`faultstring`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SoapFault {
    /// The fault code, such as `s:Sender` (SOAP 1.2) or `s:Client` (SOAP 1.1).
    pub code: Option<String>,
    /// The SOAP 1.2 subcode, such as AD FS's `a:FailedAuthentication`.
    pub subcode: Option<String>,
    /// The human-readable reason, such as "ID3242: The security token could not be
    /// authenticated or authorized."
    pub reason: Option<String>,
}

impl SoapFault {
    /// The fault of a SOAP envelope, if it is one.
    pub fn parse(body: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(body).ok()?;
        let doc = parse_xml(text, "SOAP answer").ok()?;
        Self::find(&doc)
    }

    fn find(doc: &roxmltree::Document<'_>) -> Option<Self> {
        let owned = |n: Option<roxmltree::Node<'_, '_>>| {
            n.and_then(|n| n.text())
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
        };
        if let Some(fault) = doc.descendants().find(|n| is(*n, ns::SOAP12_ENV, "Fault")) {
            let code = path(fault, &[(ns::SOAP12_ENV, "Code")]);
            return Some(Self {
                code: owned(code.and_then(|c| child(c, ns::SOAP12_ENV, "Value"))),
                subcode: owned(code.and_then(|c| {
                    path(c, &[(ns::SOAP12_ENV, "Subcode"), (ns::SOAP12_ENV, "Value")])
                })),
                reason: owned(path(
                    fault,
                    &[(ns::SOAP12_ENV, "Reason"), (ns::SOAP12_ENV, "Text")],
                )),
            });
        }
        let fault = doc
            .descendants()
            .find(|n| is(*n, ns::SOAP11_ENV, "Fault"))?;
        let unqualified = |name: &str| {
            fault
                .children()
                .find(|c| c.is_element() && c.tag_name().name() == name)
        };
        Some(Self {
            code: owned(unqualified("faultcode")),
            subcode: None,
            reason: owned(unqualified("faultstring")),
        })
    }

    /// The [`ErrorKind::WsTrust`] error that reports this fault. Text equal to `password` is
    /// masked, in case a server echoes what it was sent.
    fn into_error(self, http_status: u16, password: Option<&Secret>) -> Error {
        let mask = |s: String| match password {
            Some(p) if !p.is_empty() && s.contains(p.expose()) => s.replace(p.expose(), "***"),
            _ => s,
        };
        let reason = self.reason.map(|r| mask(truncate(&r, MAX_REASON_CHARS)));
        let code = self.subcode.or(self.code).map(|c| mask(truncate(&c, 200)));
        let message = format!(
            "the federated identity provider refused the request: {} (fault code {})",
            reason.as_deref().unwrap_or("no reason given"),
            code.as_deref().unwrap_or("none"),
        );
        let entra = EntraError {
            http_status,
            error: code.unwrap_or_else(|| "soap_fault".to_owned()),
            error_description: reason,
            ..EntraError::default()
        };
        let rejected = entra.error.ends_with("FailedAuthentication")
            || entra
                .error_description
                .as_deref()
                .is_some_and(|d| d.starts_with("ID3242"));
        let err = Error::from_entra(ErrorKind::WsTrust, message, entra);
        if rejected {
            err.with_reason(FailureReason::FederatedCredentialsRejected)
        } else {
            err
        }
    }
}

/// At most `max` characters of `s`.
fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wstrust::fixtures;
    use base64::Engine;

    const ADFS_BAD_PASSWORD: &str = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header><a:Action s:mustUnderstand="1">http://www.w3.org/2005/08/addressing/soap/fault</a:Action></s:Header><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value xmlns:a="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">a:FailedAuthentication</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">ID3242: The security token could not be authenticated or authorized.</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>"#;

    /// The recorded RSTR and the exact assertion text inside it.
    fn recorded(recording: &str, path: &str) -> (String, String) {
        let answer = fixtures::exchange(recording, "POST", path).response;
        let start = answer.find("<saml:Assertion").unwrap();
        let end = answer.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
        let assertion = answer[start..end].to_owned();
        (answer, assertion)
    }

    /// The assertion MSAL Python then sent in its SAML bearer grant, decoded.
    fn assertion_python_redeemed(recording: &str) -> String {
        let grant = fixtures::exchange(recording, "POST", "/oauth2/v2.0/token").body;
        let encoded = url::form_urlencoded::parse(grant.as_bytes())
            .find(|(k, _)| k == "assertion")
            .unwrap()
            .1
            .into_owned();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(encoded.trim_end_matches('='))
            .unwrap();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn recorded_wstrust13_answer_gives_the_assertion_byte_for_byte() {
        let (answer, assertion) = recorded("msal_ropc_federated", "/trust/13/usernamemixed");
        let token = parse_response(answer.as_bytes(), WsTrustVersion::WsTrust13).unwrap();
        assert_eq!(token.version, SamlVersion::Saml11);
        assert_eq!(token.assertion.expose(), assertion);
        assert_eq!(
            token.assertion.expose(),
            assertion_python_redeemed("msal_ropc_federated")
        );
    }

    #[test]
    fn recorded_wstrust2005_answer_gives_the_assertion_byte_for_byte() {
        let (answer, assertion) = recorded(
            "msal_ropc_federated_wstrust2005",
            "/trust/2005/usernamemixed",
        );
        let token = parse_response(answer.as_bytes(), WsTrustVersion::WsTrust2005).unwrap();
        assert_eq!(token.version, SamlVersion::Saml11);
        assert_eq!(token.assertion.expose(), assertion);
        assert_eq!(
            token.assertion.expose(),
            assertion_python_redeemed("msal_ropc_federated_wstrust2005")
        );
    }

    #[test]
    fn answer_in_the_other_version_namespace_is_not_taken() {
        let (answer, _) = recorded("msal_ropc_federated", "/trust/13/usernamemixed");
        let err = parse_response(answer.as_bytes(), WsTrustVersion::WsTrust2005).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MalformedResponse);
    }

    #[test]
    fn whitespace_around_the_assertion_is_dropped_but_inner_bytes_kept() {
        let (answer, assertion) = recorded("msal_ropc_federated", "/trust/13/usernamemixed");
        let spaced = answer
            .replace(
                "<trust:RequestedSecurityToken>",
                "<trust:RequestedSecurityToken>\n  ",
            )
            .replace(
                "</trust:RequestedSecurityToken>",
                "\n</trust:RequestedSecurityToken>",
            );
        let token = parse_response(spaced.as_bytes(), WsTrustVersion::WsTrust13).unwrap();
        assert_eq!(token.assertion.expose(), assertion);
    }

    #[test]
    fn saml2_token_type_is_detected() {
        let (answer, _) = recorded("msal_ropc_federated", "/trust/13/usernamemixed");
        for token_type in [
            "urn:oasis:names:tc:SAML:2.0:assertion",
            "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0",
        ] {
            let saml2 = answer.replace(
                "<trust:TokenType>urn:oasis:names:tc:SAML:1.0:assertion<",
                &format!("<trust:TokenType>{token_type}<"),
            );
            let token = parse_response(saml2.as_bytes(), WsTrustVersion::WsTrust13).unwrap();
            assert_eq!(token.version, SamlVersion::Saml20, "{token_type}");
        }
    }

    #[test]
    fn saml11_profile_token_type_is_detected() {
        let (answer, _) = recorded("msal_ropc_federated", "/trust/13/usernamemixed");
        let profile = answer.replace(
            "<trust:TokenType>urn:oasis:names:tc:SAML:1.0:assertion<",
            "<trust:TokenType>http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV1.1<",
        );
        let token = parse_response(profile.as_bytes(), WsTrustVersion::WsTrust13).unwrap();
        assert_eq!(token.version, SamlVersion::Saml11);
    }

    #[test]
    fn missing_token_type_falls_back_to_the_assertion_namespace() {
        let (answer, _) = recorded("msal_ropc_federated", "/trust/13/usernamemixed");
        let untyped = answer.replace(
            "<trust:TokenType>urn:oasis:names:tc:SAML:1.0:assertion</trust:TokenType>",
            "",
        );
        let token = parse_response(untyped.as_bytes(), WsTrustVersion::WsTrust13).unwrap();
        assert_eq!(token.version, SamlVersion::Saml11);
        let saml2 = untyped.replace(
            "xmlns:saml=\"urn:oasis:names:tc:SAML:1.0:assertion\"",
            "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\"",
        );
        let token = parse_response(saml2.as_bytes(), WsTrustVersion::WsTrust13).unwrap();
        assert_eq!(token.version, SamlVersion::Saml20);
    }

    #[test]
    fn unsupported_token_type_is_a_wstrust_error() {
        let (answer, _) = recorded("msal_ropc_federated", "/trust/13/usernamemixed");
        let jwt = answer.replace(
            "<trust:TokenType>urn:oasis:names:tc:SAML:1.0:assertion<",
            "<trust:TokenType>urn:ietf:params:oauth:token-type:jwt<",
        );
        let err = parse_response(jwt.as_bytes(), WsTrustVersion::WsTrust13).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WsTrust);
        assert!(err.message().contains("token-type:jwt"));
    }

    #[test]
    fn adfs_bad_password_fault_becomes_a_wstrust_error_with_its_reason() {
        let response = HttpResponse::new(500, ADFS_BAD_PASSWORD);
        let password = Secret::new("bob-password");
        let err = parse_http_response(&response, WsTrustVersion::WsTrust13, &password).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WsTrust);
        assert!(err.message().contains("ID3242"), "{}", err.message());
        assert_eq!(
            err.reason(),
            Some(FailureReason::FederatedCredentialsRejected)
        );
        assert!(err.message().contains("a:FailedAuthentication"));
        let entra = err.entra().unwrap();
        assert_eq!(entra.http_status, 500);
        assert_eq!(entra.error, "a:FailedAuthentication");
        assert!(
            entra
                .error_description
                .as_deref()
                .unwrap()
                .starts_with("ID3242")
        );
        assert!(!format!("{err:?}").contains("bob-password"));
    }

    #[test]
    fn soap11_fault_is_read_too() {
        let fault = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>MSIS7068: Access denied.</faultstring></soap:Fault></soap:Body></soap:Envelope>"#;
        let parsed = SoapFault::parse(fault.as_bytes()).unwrap();
        assert_eq!(parsed.code.as_deref(), Some("soap:Client"));
        assert_eq!(parsed.reason.as_deref(), Some("MSIS7068: Access denied."));
        let err = parse_response(fault.as_bytes(), WsTrustVersion::WsTrust2005).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WsTrust);
        assert!(err.message().contains("MSIS7068"));
    }

    #[test]
    fn a_fault_echoing_the_password_is_masked() {
        let echo = ADFS_BAD_PASSWORD.replace("ID3242:", "ID3242 for p&amp;ss-w0rd:");
        let response = HttpResponse::new(500, echo);
        let err = parse_http_response(
            &response,
            WsTrustVersion::WsTrust13,
            &Secret::new("p&ss-w0rd"),
        )
        .unwrap_err();
        assert!(!err.message().contains("p&ss-w0rd"), "{}", err.message());
        assert!(!format!("{err:?}").contains("p&ss-w0rd"));
        assert!(err.message().contains("***"));
    }

    #[test]
    fn truncated_answer_is_malformed() {
        let (answer, _) = recorded("msal_ropc_federated", "/trust/13/usernamemixed");
        let cut = &answer[..answer.len() / 2];
        let err = parse_response(cut.as_bytes(), WsTrustVersion::WsTrust13).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MalformedResponse);
    }

    #[test]
    fn envelope_with_neither_token_nor_fault_is_malformed() {
        let empty = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>"#;
        let err = parse_response(empty.as_bytes(), WsTrustVersion::WsTrust13).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MalformedResponse);
        assert!(SoapFault::parse(empty.as_bytes()).is_none());
    }

    #[test]
    fn token_debug_hides_the_assertion() {
        let (answer, _) = recorded("msal_ropc_federated", "/trust/13/usernamemixed");
        let token = parse_response(answer.as_bytes(), WsTrustVersion::WsTrust13).unwrap();
        assert!(!format!("{token:?}").contains("Assertion"));
    }
}

//! WS-Trust 1.3 / 2005 username-password endpoints: parse the RequestSecurityToken, check
//! the credentials, answer with an RSTR holding a signed SAML 1.1 assertion or a SOAP fault.
//!
//! Elements are matched by namespace URI and local name (ASCII case ignored), never by prefix:
//! MSAL Python, MSAL Go and MSAL .NET use different prefixes, quoting and casing.

use super::saml::ASSERTION_LIFETIME;
use super::xml::{child, escape, format_instant, simple_text};
use super::{FederatedIdentity, MICROSOFT_ONLINE_AUDIENCE, RstOutcome, SamlIssuer, WsTrustVersion};
use roxmltree::{Document, Node, ParsingOptions};
use std::time::SystemTime;

const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const WSA: [&str; 2] = [
    "http://www.w3.org/2005/08/addressing",
    "http://schemas.xmlsoap.org/ws/2004/08/addressing",
];
const WSSE: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
const WSU: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
const WSP: &str = "http://schemas.xmlsoap.org/ws/2004/09/policy";
const PASSWORD_TEXT: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText";
const SAML1_TOKEN_TYPE: &str = "urn:oasis:names:tc:SAML:1.0:assertion";
/// Relying parties the emulated federation server issues for (`AppliesTo`).
const KNOWN_RELYING_PARTIES: [&str; 2] = [
    MICROSOFT_ONLINE_AUDIENCE,
    "https://login.microsoftonline.com/extSTS.srf",
];
/// Largest RST accepted (MSAL's are about 2 KB).
const MAX_BODY_LEN: usize = 64 * 1024;

/// The namespace and URIs of one WS-Trust version.
struct Trust {
    ns: &'static str,
    prefix: &'static str,
    issue: &'static str,
    key_type: &'static str,
    response_action: &'static str,
}

fn trust(version: WsTrustVersion) -> Trust {
    match version {
        WsTrustVersion::V13 => Trust {
            ns: "http://docs.oasis-open.org/ws-sx/ws-trust/200512",
            prefix: "trust",
            issue: "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue",
            key_type: "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Bearer",
            response_action: "http://docs.oasis-open.org/ws-sx/ws-trust/200512/RSTRC/IssueFinal",
        },
        WsTrustVersion::V2005 => Trust {
            ns: "http://schemas.xmlsoap.org/ws/2005/02/trust",
            prefix: "t",
            issue: "http://schemas.xmlsoap.org/ws/2005/02/trust/Issue",
            key_type: "http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey",
            response_action: "http://schemas.xmlsoap.org/ws/2005/02/trust/RSTR/Issue",
        },
    }
}

/// What the server needs from a RequestSecurityToken.
#[derive(PartialEq, Eq)]
pub(crate) struct RstRequest {
    pub(crate) username: String,
    pub(crate) password: String,
    /// The requested relying party (`AppliesTo` address), defaulted to Microsoft Online.
    pub(crate) applies_to: String,
    pub(crate) message_id: Option<String>,
}

impl std::fmt::Debug for RstRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RstRequest")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("applies_to", &self.applies_to)
            .field("message_id", &self.message_id)
            .finish()
    }
}

/// See [`super::handle_rst`].
pub(crate) fn handle(
    body: &str,
    version: WsTrustVersion,
    issuer: &SamlIssuer,
    check: &dyn Fn(&str, &str) -> Option<FederatedIdentity>,
    now: SystemTime,
) -> RstOutcome {
    let request = match parse_rst(body, version) {
        Ok(request) => request,
        Err(reason) => return malformed(&reason),
    };
    if !KNOWN_RELYING_PARTIES.contains(&request.applies_to.as_str()) {
        return fault(
            400,
            None,
            "s:Sender",
            ("wst:InvalidRequest", trust(version).ns),
            &format!(
                "MSIS7007: The requested relying party trust '{}' is unspecified or unsupported.",
                request.applies_to
            ),
        );
    }
    let Some(identity) = check(&request.username, &request.password) else {
        return fault(
            500,
            request.message_id.as_deref(),
            "s:Sender",
            ("a:FailedAuthentication", WSSE),
            "ID3242: The security token could not be authenticated or authorized.",
        );
    };
    match issuer.issue(&identity, &request.applies_to, now) {
        Ok(assertion) => RstOutcome {
            status: 200,
            body: rstr(version, &request, &assertion, now),
        },
        Err(error) => fault(
            500,
            request.message_id.as_deref(),
            "s:Receiver",
            ("a:InternalError", WSSE),
            &error.to_string(),
        ),
    }
}

/// Parses an RST envelope for the endpoint of `version`. The error text names what is wrong,
/// never a value from the request.
pub(crate) fn parse_rst(body: &str, version: WsTrustVersion) -> Result<RstRequest, String> {
    if body.len() > MAX_BODY_LEN {
        return Err("the request is too large".to_owned());
    }
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: 10_000,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(body, options)
        .map_err(|e| format!("the request is not well-formed XML ({e})"))?;
    let envelope = doc.root_element();
    let soap = [SOAP12, SOAP11];
    if !super::xml::is_element(envelope, &soap, "Envelope") {
        return Err("the request is not a SOAP envelope".to_owned());
    }
    let header = child(envelope, &soap, "Header").ok_or("the envelope has no Header")?;
    let body = child(envelope, &soap, "Body").ok_or("the envelope has no Body")?;

    let message_id = child(header, &WSA, "MessageID").and_then(simple_text);
    let token = child(header, &[WSSE], "Security")
        .and_then(|s| child(s, &[WSSE], "UsernameToken"))
        .ok_or("the request has no wsse:Security/wsse:UsernameToken header")?;
    let username = child(token, &[WSSE], "Username")
        .and_then(simple_text)
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
        .ok_or("the UsernameToken has no Username")?;
    let password_node =
        child(token, &[WSSE], "Password").ok_or("the UsernameToken has no Password")?;
    if password_node
        .attribute("Type")
        .is_some_and(|t| t != PASSWORD_TEXT)
    {
        return Err("only PasswordText passwords are supported".to_owned());
    }
    let password = simple_text(password_node).ok_or("the Password is not text")?;

    let rst = rst_element(body, version)?;
    let t = trust(version);
    let request_type = child(rst, &[t.ns], "RequestType")
        .and_then(simple_text)
        .ok_or("the RequestSecurityToken has no RequestType")?;
    if request_type.trim() != t.issue {
        return Err("only the Issue request type is supported".to_owned());
    }
    let applies_to = match child(rst, &[WSP], "AppliesTo") {
        None => MICROSOFT_ONLINE_AUDIENCE.to_owned(),
        Some(applies) => child(applies, &WSA, "EndpointReference")
            .and_then(|r| child(r, &WSA, "Address"))
            .and_then(simple_text)
            .map(|a| a.trim().to_owned())
            .ok_or("AppliesTo has no EndpointReference/Address")?,
    };
    Ok(RstRequest {
        username,
        password,
        applies_to,
        message_id: message_id.map(|m| m.trim().to_owned()),
    })
}

/// The RequestSecurityToken of the body, in the namespace of `version`.
fn rst_element<'a, 'i>(
    body: Node<'a, 'i>,
    version: WsTrustVersion,
) -> Result<Node<'a, 'i>, String> {
    if let Some(rst) = child(body, &[trust(version).ns], "RequestSecurityToken") {
        return Ok(rst);
    }
    let other = match version {
        WsTrustVersion::V13 => WsTrustVersion::V2005,
        WsTrustVersion::V2005 => WsTrustVersion::V13,
    };
    if child(body, &[trust(other).ns], "RequestSecurityToken").is_some() {
        return Err(format!(
            "a {other:?} RequestSecurityToken was sent to the {version:?} endpoint"
        ));
    }
    Err("the Body has no RequestSecurityToken".to_owned())
}

/// The SOAP envelope carrying the RSTR (collection-wrapped for 1.3, bare for 2005).
fn rstr(version: WsTrustVersion, request: &RstRequest, assertion: &str, now: SystemTime) -> String {
    let t = trust(version);
    let p = t.prefix;
    let created = format_instant(now);
    // `issue` already succeeded with the same instant, so this cannot overflow.
    let expires = format_instant(now.checked_add(ASSERTION_LIFETIME).unwrap_or(now));
    let assertion_id = assertion_id(assertion);
    let reference = format!(
        "<o:SecurityTokenReference k:TokenType=\"http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV1.1\" \
         xmlns:o=\"{WSSE}\" xmlns:k=\"http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd\">\
         <o:KeyIdentifier ValueType=\"http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.0#SAMLAssertionID\">{}</o:KeyIdentifier>\
         </o:SecurityTokenReference>",
        escape(&assertion_id)
    );
    let open = match version {
        WsTrustVersion::V13 => "<trust:RequestSecurityTokenResponse>".to_owned(),
        WsTrustVersion::V2005 => format!("<t:RequestSecurityTokenResponse xmlns:t=\"{}\">", t.ns),
    };
    let response = format!(
        "{open}\
         <{p}:Lifetime><wsu:Created xmlns:wsu=\"{WSU}\">{created}</wsu:Created>\
         <wsu:Expires xmlns:wsu=\"{WSU}\">{expires}</wsu:Expires></{p}:Lifetime>\
         <wsp:AppliesTo xmlns:wsp=\"{WSP}\"><wsa:EndpointReference xmlns:wsa=\"{wsa}\">\
         <wsa:Address>{audience}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo>\
         <{p}:RequestedSecurityToken>{assertion}</{p}:RequestedSecurityToken>\
         <{p}:RequestedAttachedReference>{reference}</{p}:RequestedAttachedReference>\
         <{p}:RequestedUnattachedReference>{reference}</{p}:RequestedUnattachedReference>\
         <{p}:TokenType>{SAML1_TOKEN_TYPE}</{p}:TokenType>\
         <{p}:RequestType>{issue}</{p}:RequestType>\
         <{p}:KeyType>{key_type}</{p}:KeyType>\
         </{p}:RequestSecurityTokenResponse>",
        wsa = WSA[0],
        audience = escape(&request.applies_to),
        issue = t.issue,
        key_type = t.key_type,
    );
    let body = match version {
        WsTrustVersion::V13 => format!(
            "<trust:RequestSecurityTokenResponseCollection xmlns:trust=\"{}\">{response}\
             </trust:RequestSecurityTokenResponseCollection>",
            t.ns
        ),
        WsTrustVersion::V2005 => response,
    };
    let header = format!(
        "<a:Action s:mustUnderstand=\"1\">{}</a:Action>{}\
         <o:Security s:mustUnderstand=\"1\" xmlns:o=\"{WSSE}\"><u:Timestamp u:Id=\"_0\">\
         <u:Created>{created}</u:Created><u:Expires>{expires}</u:Expires></u:Timestamp></o:Security>",
        t.response_action,
        relates_to(request.message_id.as_deref()),
    );
    envelope(&header, &body)
}

/// The AssertionID of an assertion we issued (read back from its start tag).
fn assertion_id(assertion: &str) -> String {
    Document::parse(assertion)
        .ok()
        .and_then(|d| d.root_element().attribute("AssertionID").map(str::to_owned))
        .unwrap_or_default()
}

fn relates_to(message_id: Option<&str>) -> String {
    message_id
        .map(|id| format!("<a:RelatesTo>{}</a:RelatesTo>", escape(id)))
        .unwrap_or_default()
}

fn envelope(header: &str, body: &str) -> String {
    format!(
        "<s:Envelope xmlns:s=\"{SOAP12}\" xmlns:a=\"{}\" xmlns:u=\"{WSU}\">\
         <s:Header>{header}</s:Header><s:Body>{body}</s:Body></s:Envelope>",
        WSA[0]
    )
}

/// A 400 fault for a request that could not be understood.
fn malformed(reason: &str) -> RstOutcome {
    fault(
        400,
        None,
        "s:Sender",
        ("wst:InvalidRequest", trust(WsTrustVersion::V13).ns),
        &format!("ID3035: The request was not valid or is malformed: {reason}"),
    )
}

/// A SOAP 1.2 fault like ADFS writes: `code` is `s:Sender`/`s:Receiver`, `subcode` a
/// prefixed QName with the namespace of its prefix.
fn fault(
    status: u16,
    message_id: Option<&str>,
    code: &str,
    subcode: (&str, &str),
    reason: &str,
) -> RstOutcome {
    let (sub_qname, sub_ns) = subcode;
    let sub_prefix = sub_qname.split_once(':').map_or("", |(p, _)| p);
    let header = format!(
        "<a:Action s:mustUnderstand=\"1\">http://www.w3.org/2005/08/addressing/soap/fault</a:Action>{}",
        relates_to(message_id)
    );
    let body = format!(
        "<s:Fault><s:Code><s:Value>{code}</s:Value><s:Subcode>\
         <s:Value xmlns:{sub_prefix}=\"{sub_ns}\">{sub_qname}</s:Value></s:Subcode></s:Code>\
         <s:Reason><s:Text xml:lang=\"en-US\">{}</s:Text></s:Reason></s:Fault>",
        escape(reason)
    );
    RstOutcome {
        status,
        body: envelope(&header, &body),
    }
}

#[cfg(test)]
#[path = "wstrust_tests.rs"]
mod tests;

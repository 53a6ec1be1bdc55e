//! The federation metadata (MEX) document: where the identity provider takes a username and
//! password.
//!
//! A MEX document is a WSDL. The endpoint sought is a `wsdl:port` whose binding uses SOAP 1.2
//! over HTTP, issues tokens (`RST/Issue` of WS-Trust 1.3 or 2005), and references a security
//! policy that requires an HTTPS transport and a `WssUsernameToken10` supporting token.

use std::collections::{HashMap, HashSet};

use url::Url;

use super::{WsTrustEndpoint, WsTrustVersion, body_text, child, is, ns, parse_xml, path};
use crate::{Error, ErrorKind, Result};

/// The username/password endpoints a federation metadata document offers.
///
/// ```
/// use msal_core::wstrust::{MexDocument, WsTrustVersion};
///
/// let mex = MexDocument {
///     wstrust13: None,
///     wstrust2005: Some("https://sts.contoso.com/adfs/services/trust/2005/usernamemixed".parse()?),
/// };
/// assert_eq!(mex.preferred()?.version, WsTrustVersion::WsTrust2005);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MexDocument {
    /// The WS-Trust 1.3 username/password endpoint, if the document offers one.
    pub wstrust13: Option<Url>,
    /// The WS-Trust 2005 username/password endpoint, if the document offers one.
    pub wstrust2005: Option<Url>,
}

impl MexDocument {
    /// Finds the username/password endpoints in a metadata document.
    ///
    /// A document that is not XML (or declares a DTD) is [`ErrorKind::MalformedResponse`]; one
    /// that offers no https username/password endpoint is [`ErrorKind::WsTrust`].
    pub fn parse(body: &[u8]) -> Result<Self> {
        let text = body_text(body, "federation metadata document")?;
        let doc = parse_xml(text, "federation metadata document")?;
        let root = doc.root_element();
        let policies = username_password_policies(root);
        let bindings = issuing_bindings(root, &policies);
        let mut mex = MexDocument::default();
        for (version, url) in endpoints(root, &bindings) {
            let slot = match version {
                WsTrustVersion::WsTrust13 => &mut mex.wstrust13,
                WsTrustVersion::WsTrust2005 => &mut mex.wstrust2005,
            };
            slot.get_or_insert(url);
        }
        if mex.wstrust13.is_none() && mex.wstrust2005.is_none() {
            return Err(no_endpoint_error());
        }
        Ok(mex)
    }

    /// The endpoint to use: WS-Trust 1.3 when offered, else WS-Trust 2005.
    pub fn preferred(&self) -> Result<WsTrustEndpoint> {
        let (url, version) = match (&self.wstrust13, &self.wstrust2005) {
            (Some(url), _) => (url, WsTrustVersion::WsTrust13),
            (None, Some(url)) => (url, WsTrustVersion::WsTrust2005),
            (None, None) => return Err(no_endpoint_error()),
        };
        Ok(WsTrustEndpoint {
            url: url.clone(),
            version,
        })
    }
}

fn no_endpoint_error() -> Error {
    Error::new(
        ErrorKind::WsTrust,
        "the federation metadata (MEX) offers no WS-Trust endpoint that accepts a username and \
         password over https; this is expected for personal Microsoft accounts, which cannot \
         sign in with a password this way, and otherwise means the identity provider has \
         disabled its usernamemixed endpoints",
    )
}

/// The ids (as `#Id` references) of the policies that require an HTTPS transport and a
/// username token.
fn username_password_policies(root: roxmltree::Node<'_, '_>) -> HashSet<String> {
    root.descendants()
        .filter(|n| is(*n, ns::WSP, "Policy"))
        .filter_map(|policy| {
            let id = policy.attribute((ns::WSU, "Id"))?;
            let alternatives = child(policy, ns::WSP, "ExactlyOne")?;
            alternatives
                .children()
                .filter(|all| is(*all, ns::WSP, "All"))
                .any(requires_username_over_https)
                .then(|| format!("#{id}"))
        })
        .collect()
}

/// Whether one policy alternative has a transport binding and a WSS 1.0 username token.
fn requires_username_over_https(all: roxmltree::Node<'_, '_>) -> bool {
    let transport = child(all, ns::SP_200702, "TransportBinding").is_some()
        || child(all, ns::SP_2005, "TransportBinding").is_some();
    let username = |sp: &str, supporting: &str| {
        path(
            all,
            &[
                (sp, supporting),
                (ns::WSP, "Policy"),
                (sp, "UsernameToken"),
                (ns::WSP, "Policy"),
                (sp, "WssUsernameToken10"),
            ],
        )
        .is_some()
    };
    transport
        && (username(ns::SP_200702, "SignedEncryptedSupportingTokens")
            || username(ns::SP_2005, "SignedSupportingTokens"))
}

/// The names of the SOAP 1.2 over HTTP bindings that reference one of `policies`, with the
/// WS-Trust version of their issue operation.
fn issuing_bindings(
    root: roxmltree::Node<'_, '_>,
    policies: &HashSet<String>,
) -> HashMap<String, WsTrustVersion> {
    root.children()
        .filter(|n| is(*n, ns::WSDL, "binding"))
        .filter_map(|binding| {
            let name = binding.attribute("name")?;
            let policy = child(binding, ns::WSP, "PolicyReference")?.attribute("URI")?;
            let transport = child(binding, ns::WSDL_SOAP12, "binding")?.attribute("transport")?;
            if !policies.contains(policy) || transport != ns::SOAP_HTTP_TRANSPORT {
                return None;
            }
            let action = path(
                binding,
                &[(ns::WSDL, "operation"), (ns::WSDL_SOAP12, "operation")],
            )?
            .attribute("soapAction")?;
            let version = WsTrustVersion::from_soap_action(action)?;
            Some((name.to_owned(), version))
        })
        .collect()
}

/// The https addresses of the service ports whose binding is one of `bindings`, in document
/// order.
fn endpoints(
    root: roxmltree::Node<'_, '_>,
    bindings: &HashMap<String, WsTrustVersion>,
) -> Vec<(WsTrustVersion, Url)> {
    root.children()
        .filter(|n| is(*n, ns::WSDL, "service"))
        .flat_map(|service| service.children().filter(|n| is(*n, ns::WSDL, "port")))
        .filter_map(|port| {
            let binding = port.attribute("binding")?;
            // The binding is a QName; bindings are named without prefix.
            let local = binding.rsplit_once(':').map_or(binding, |(_, local)| local);
            let version = *bindings.get(local)?;
            let address = path(
                port,
                &[(ns::WSA10, "EndpointReference"), (ns::WSA10, "Address")],
            )?
            .text()?
            .trim();
            let url = Url::parse(address).ok()?;
            (url.scheme() == "https").then_some((version, url))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wstrust::fixtures;

    fn recorded_mex() -> String {
        fixtures::exchange("msal_ropc_federated", "GET", "/adfs/services/trust/mex").response
    }

    #[test]
    fn recorded_mex_gives_both_endpoints_and_prefers_13() {
        let mex = MexDocument::parse(recorded_mex().as_bytes()).unwrap();
        assert_eq!(
            mex.wstrust13.as_ref().map(Url::as_str),
            Some("https://127.0.0.1:8443/adfs/services/trust/13/usernamemixed")
        );
        assert_eq!(
            mex.wstrust2005.as_ref().map(Url::as_str),
            Some("https://127.0.0.1:8443/adfs/services/trust/2005/usernamemixed")
        );
        let preferred = mex.preferred().unwrap();
        assert_eq!(preferred.version, WsTrustVersion::WsTrust13);
        assert_eq!(preferred.url, mex.wstrust13.clone().unwrap());
    }

    #[test]
    fn azure_identity_recording_serves_the_same_endpoints() {
        let text = fixtures::exchange(
            "azid_username_password_federated",
            "GET",
            "/adfs/services/trust/mex",
        )
        .response;
        let mex = MexDocument::parse(text.as_bytes()).unwrap();
        assert!(mex.wstrust13.is_some() && mex.wstrust2005.is_some());
    }

    #[test]
    fn mex_with_only_a_2005_binding_prefers_2005() {
        // Drop the 1.3 port from the recorded document.
        let text = recorded_mex();
        let start = text
            .find("<wsdl:port name=\"UserNameWSTrustBinding_IWSTrust13Async\"")
            .unwrap();
        let end = start + text[start..].find("</wsdl:port>").unwrap() + "</wsdl:port>".len();
        let only_2005 = format!("{}{}", &text[..start], &text[end..]);
        let mex = MexDocument::parse(only_2005.as_bytes()).unwrap();
        assert_eq!(mex.wstrust13, None);
        let preferred = mex.preferred().unwrap();
        assert_eq!(preferred.version, WsTrustVersion::WsTrust2005);
        assert!(preferred.url.path().ends_with("/trust/2005/usernamemixed"));
    }

    #[test]
    fn prefixes_do_not_matter_only_namespaces() {
        let renamed = recorded_mex()
            .replace("wsdl:", "w:")
            .replace("xmlns:wsdl=", "xmlns:w=")
            .replace("wsp:", "pol:")
            .replace("xmlns:wsp=", "xmlns:pol=")
            .replace("wsa10:", "addr:")
            .replace("xmlns:wsa10=", "xmlns:addr=");
        let mex = MexDocument::parse(renamed.as_bytes()).unwrap();
        assert!(mex.wstrust13.is_some() && mex.wstrust2005.is_some());
    }

    #[test]
    fn a_right_prefix_in_the_wrong_namespace_does_not_match() {
        // Same prefixes, but `sp` now means something else: no policy qualifies.
        let text = recorded_mex()
            .replace(
                "xmlns:sp=\"http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702\"",
                "xmlns:sp=\"urn:not-security-policy\"",
            )
            .replace(
                "xmlns:sp2005=\"http://schemas.xmlsoap.org/ws/2005/07/securitypolicy\"",
                "xmlns:sp2005=\"urn:not-security-policy-2005\"",
            );
        let err = MexDocument::parse(text.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WsTrust);
    }

    #[test]
    fn http_addresses_are_ignored() {
        let text = recorded_mex().replace(
            "<wsa10:Address>https://127.0.0.1:8443/adfs/services/trust/13/",
            "<wsa10:Address>http://127.0.0.1:8443/adfs/services/trust/13/",
        );
        let mex = MexDocument::parse(text.as_bytes()).unwrap();
        assert_eq!(mex.wstrust13, None);
        assert!(mex.wstrust2005.is_some());
    }

    #[test]
    fn mex_without_username_endpoint_is_a_wstrust_error() {
        // An integrated-auth-only document: the policies ask for no username token.
        let text = recorded_mex()
            .replace("WssUsernameToken10", "WssKerberosV5ApReqToken11")
            .replace("<sp:UsernameToken ", "<sp:KerberosToken ")
            .replace("</sp:UsernameToken>", "</sp:KerberosToken>");
        let err = MexDocument::parse(text.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WsTrust);
        assert!(err.message().contains("personal Microsoft accounts"));
        assert_eq!(
            MexDocument::default().preferred().unwrap_err().kind(),
            ErrorKind::WsTrust
        );
    }

    #[test]
    fn entity_expansion_document_is_refused_without_expanding() {
        let bomb = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/">&lol4;</wsdl:definitions>"#;
        let err = MexDocument::parse(bomb.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MalformedResponse);
        assert!(err.message().contains("DTD"), "{}", err.message());
    }

    #[test]
    fn external_entity_is_refused() {
        let xxe = r#"<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>"#;
        let err = MexDocument::parse(xxe.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MalformedResponse);
    }

    #[test]
    fn not_xml_or_not_utf8_is_malformed() {
        for body in [&b"<html><body>Sign in"[..], &b"\xff\xfe<x/>"[..], &b""[..]] {
            let err = MexDocument::parse(body).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::MalformedResponse);
        }
    }
}

//! WS-Trust for federated accounts: the metadata (MEX) document, the request envelope (RST)
//! and the answer (RSTR) or SOAP fault.
//!
//! A federated user's password is not sent to Entra ID. The client reads the federation
//! metadata of the user's identity provider (usually AD FS) to find its username/password
//! endpoint ([`mex`]), sends the credentials there in a SOAP envelope ([`envelope`]), and
//! receives a signed SAML assertion ([`response`]) that it then exchanges at the token endpoint
//! with a SAML bearer grant. The HTTP calls live in [`crate::endpoint::mex`] and
//! [`crate::endpoint::wstrust`]; this module owns the XML.
//!
//! Every document is parsed with `roxmltree`, which refuses DTDs, so an entity-expansion
//! attack is a parse error rather than a memory blow-up. Elements are matched by namespace URI,
//! never by prefix.
//!
//! ```
//! use msal_core::wstrust::{WsTrustEndpoint, WsTrustVersion};
//!
//! // Without a metadata document, the version follows from the AD FS path.
//! let endpoint = WsTrustEndpoint::from_active_auth_url(
//!     "https://sts.contoso.com/adfs/services/trust/2005/usernamemixed",
//! )?;
//! assert_eq!(endpoint.version, WsTrustVersion::WsTrust2005);
//! # Ok::<(), msal_core::Error>(())
//! ```

use std::fmt;

use url::Url;

use crate::{Error, ErrorKind, Result, Secret};

pub mod envelope;
pub mod mex;
pub mod response;

#[cfg(test)]
pub(crate) mod fixtures;

pub use envelope::RstEnvelope;
pub use mex::MexDocument;
pub use response::SoapFault;

/// The audience asked for when user realm discovery names none: Microsoft's public cloud.
pub const DEFAULT_CLOUD_AUDIENCE_URN: &str = "urn:federation:MicrosoftOnline";

/// Namespace URIs of the documents this module reads and writes.
pub(crate) mod ns {
    pub const WSDL: &str = "http://schemas.xmlsoap.org/wsdl/";
    pub const WSDL_SOAP12: &str = "http://schemas.xmlsoap.org/wsdl/soap12/";
    pub const WSP: &str = "http://schemas.xmlsoap.org/ws/2004/09/policy";
    pub const WSU: &str =
        "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
    pub const WSSE: &str =
        "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
    pub const SP_200702: &str = "http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702";
    pub const SP_2005: &str = "http://schemas.xmlsoap.org/ws/2005/07/securitypolicy";
    pub const WSA10: &str = "http://www.w3.org/2005/08/addressing";
    pub const SOAP12_ENV: &str = "http://www.w3.org/2003/05/soap-envelope";
    pub const SOAP11_ENV: &str = "http://schemas.xmlsoap.org/soap/envelope/";
    pub const TRUST_13: &str = "http://docs.oasis-open.org/ws-sx/ws-trust/200512";
    pub const TRUST_2005: &str = "http://schemas.xmlsoap.org/ws/2005/02/trust";
    pub const SOAP_HTTP_TRANSPORT: &str = "http://schemas.xmlsoap.org/soap/http";
    pub const SAML1_ASSERTION: &str = "urn:oasis:names:tc:SAML:1.0:assertion";
    pub const SAML2_ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
}

/// The two WS-Trust versions AD FS serves for username/password sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WsTrustVersion {
    /// WS-Trust 1.3 (OASIS, 2005/12): AD FS's `/adfs/services/trust/13/usernamemixed`.
    WsTrust13,
    /// WS-Trust February 2005: AD FS's `/adfs/services/trust/2005/usernamemixed`.
    WsTrust2005,
}

impl WsTrustVersion {
    /// The `SOAPAction` (and `wsa:Action`) of an issue request in this version.
    pub fn soap_action(self) -> &'static str {
        match self {
            WsTrustVersion::WsTrust13 => {
                "http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue"
            }
            WsTrustVersion::WsTrust2005 => "http://schemas.xmlsoap.org/ws/2005/02/trust/RST/Issue",
        }
    }

    /// The WS-Trust namespace of `RequestSecurityToken` and its answer.
    pub fn namespace(self) -> &'static str {
        match self {
            WsTrustVersion::WsTrust13 => ns::TRUST_13,
            WsTrustVersion::WsTrust2005 => ns::TRUST_2005,
        }
    }

    /// The `KeyType` asked for: a bearer token, with no proof key.
    pub fn key_type(self) -> &'static str {
        match self {
            WsTrustVersion::WsTrust13 => "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Bearer",
            WsTrustVersion::WsTrust2005 => {
                "http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey"
            }
        }
    }

    /// The `RequestType`: issue a token.
    pub fn request_type(self) -> &'static str {
        match self {
            WsTrustVersion::WsTrust13 => "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue",
            WsTrustVersion::WsTrust2005 => "http://schemas.xmlsoap.org/ws/2005/02/trust/Issue",
        }
    }

    /// The version whose issue action this is, if any.
    pub fn from_soap_action(action: &str) -> Option<Self> {
        [WsTrustVersion::WsTrust13, WsTrustVersion::WsTrust2005]
            .into_iter()
            .find(|v| v.soap_action() == action)
    }
}

impl fmt::Display for WsTrustVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WsTrustVersion::WsTrust13 => "WS-Trust 1.3",
            WsTrustVersion::WsTrust2005 => "WS-Trust 2005",
        })
    }
}

/// A username/password WS-Trust endpoint and the version it speaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsTrustEndpoint {
    /// The endpoint's address (https).
    pub url: Url,
    /// The WS-Trust version it speaks.
    pub version: WsTrustVersion,
}

impl WsTrustEndpoint {
    /// The endpoint named by user realm discovery's `federation_active_auth_url`, used when
    /// there is no metadata document. The version is read from the AD FS path
    /// (`/trust/2005/usernamemixed` or `/trust/13/usernamemixed`), as MSAL Python does; any
    /// other path is a [`ErrorKind::WsTrust`] error.
    pub fn from_active_auth_url(address: &str) -> Result<Self> {
        let url = Url::parse(address).map_err(|e| {
            Error::with_source(
                ErrorKind::WsTrust,
                "the federation active auth URL is not a valid URL",
                e,
            )
        })?;
        let path = url.path();
        let version = if path.contains("/trust/2005/usernamemixed") {
            WsTrustVersion::WsTrust2005
        } else if path.contains("/trust/13/usernamemixed") {
            WsTrustVersion::WsTrust13
        } else {
            return Err(Error::new(
                ErrorKind::WsTrust,
                "cannot tell the WS-Trust version of the federation active auth URL (expected a \
                 .../trust/13/usernamemixed or .../trust/2005/usernamemixed path); ask the \
                 identity provider's administrator to publish its metadata (MEX)",
            ));
        };
        Ok(Self { url, version })
    }
}

/// The SAML version of an assertion, which decides the grant type used to redeem it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SamlVersion {
    /// SAML 1.1: redeemed with `urn:ietf:params:oauth:grant-type:saml1_1-bearer`.
    Saml11,
    /// SAML 2.0: redeemed with `urn:ietf:params:oauth:grant-type:saml2-bearer`.
    Saml20,
}

impl SamlVersion {
    /// The OAuth2 grant type that redeems an assertion of this version.
    pub fn grant_type(self) -> &'static str {
        match self {
            SamlVersion::Saml11 => "urn:ietf:params:oauth:grant-type:saml1_1-bearer",
            SamlVersion::Saml20 => "urn:ietf:params:oauth:grant-type:saml2-bearer",
        }
    }
}

/// The token the identity provider issued: a signed SAML assertion, byte for byte as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsTrustToken {
    /// The assertion XML, exactly as the identity provider wrote it (its signature covers it).
    pub assertion: Secret,
    /// The assertion's SAML version.
    pub version: SamlVersion,
}

/// The most nodes a WS-Trust document may have. Real metadata documents have a few thousand.
const NODES_LIMIT: u32 = 200_000;

/// Parses XML with DTDs refused and a node limit. `what` names the document in the error.
pub(crate) fn parse_xml<'a>(text: &'a str, what: &str) -> Result<roxmltree::Document<'a>> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: NODES_LIMIT,
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(text, options).map_err(|e| {
        Error::with_source(
            ErrorKind::MalformedResponse,
            format!("the {what} is not acceptable XML: {e}"),
            e,
        )
    })
}

/// Reads a body as UTF-8 text. `what` names the document in the error.
pub(crate) fn body_text<'a>(body: &'a [u8], what: &str) -> Result<&'a str> {
    std::str::from_utf8(body).map_err(|e| {
        Error::with_source(
            ErrorKind::MalformedResponse,
            format!("the {what} is not UTF-8 text"),
            e,
        )
    })
}

/// Whether a node is an element with this namespace URI and local name.
pub(crate) fn is(node: roxmltree::Node<'_, '_>, namespace: &str, name: &str) -> bool {
    node.is_element() && node.has_tag_name((namespace, name))
}

/// The first child element with this namespace URI and local name.
pub(crate) fn child<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    namespace: &str,
    name: &str,
) -> Option<roxmltree::Node<'a, 'i>> {
    node.children().find(|c| is(*c, namespace, name))
}

/// Follows a path of child elements; each step names its namespace URI and local name.
pub(crate) fn path<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    steps: &[(&str, &str)],
) -> Option<roxmltree::Node<'a, 'i>> {
    steps.iter().try_fold(node, |current, (namespace, name)| {
        child(current, namespace, name)
    })
}

/// Appends `value` to `out` with the five XML special characters escaped, so that it is safe
/// both as element text and inside a single- or double-quoted attribute.
pub(crate) fn push_escaped(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_auth_url_version_follows_the_adfs_path() {
        let v13 = WsTrustEndpoint::from_active_auth_url(
            "https://sts.contoso.com/adfs/services/trust/13/usernamemixed",
        )
        .unwrap();
        assert_eq!(v13.version, WsTrustVersion::WsTrust13);
        let v2005 = WsTrustEndpoint::from_active_auth_url(
            "https://sts.contoso.com/adfs/services/trust/2005/usernamemixed",
        )
        .unwrap();
        assert_eq!(v2005.version, WsTrustVersion::WsTrust2005);
    }

    #[test]
    fn active_auth_url_with_unknown_path_is_a_wstrust_error() {
        let err =
            WsTrustEndpoint::from_active_auth_url("https://sts.contoso.com/adfs/ls").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WsTrust);
        let err = WsTrustEndpoint::from_active_auth_url("not a url").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WsTrust);
    }

    #[test]
    fn soap_action_maps_back_to_its_version() {
        for v in [WsTrustVersion::WsTrust13, WsTrustVersion::WsTrust2005] {
            assert_eq!(WsTrustVersion::from_soap_action(v.soap_action()), Some(v));
        }
        assert_eq!(WsTrustVersion::from_soap_action("urn:other"), None);
    }

    #[test]
    fn escaping_covers_all_five_special_characters() {
        let mut out = String::new();
        push_escaped(&mut out, "a<b&c>d\"e'f");
        assert_eq!(out, "a&lt;b&amp;c&gt;d&quot;e&apos;f");
    }

    #[test]
    fn saml_versions_map_to_their_grant_types() {
        assert!(SamlVersion::Saml11.grant_type().ends_with("saml1_1-bearer"));
        assert!(SamlVersion::Saml20.grant_type().ends_with("saml2-bearer"));
    }
}

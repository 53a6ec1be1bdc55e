//! The emulator's own federated identity provider: an ADFS look-alike.
//!
//! Federated users sign in through WS-Trust: the client reads the MEX document
//! ([`mex_document`]), posts a RequestSecurityToken with the username and password to the
//! WS-Trust 1.3 or 2005 endpoint ([`handle_rst`]), receives a signed SAML 1.1 assertion, and
//! redeems it at the token endpoint with the `saml1_1-bearer` grant, where
//! [`verify_assertion`] checks it.
//!
//! Everything here is pure and synchronous: the HTTP layer maps routes to these functions.
//!
//! ```
//! use entra_emulator::federation::{
//!     handle_rst, verify_assertion, FederatedIdentity, SamlIssuer, WsTrustVersion,
//! };
//! use std::time::SystemTime;
//!
//! let issuer = SamlIssuer::new("https://127.0.0.1:8443/adfs/services/trust").unwrap();
//! let check = |user: &str, password: &str| {
//!     (user == "bob@federated.test" && password == "bob-password").then(|| FederatedIdentity {
//!         upn: user.to_owned(),
//!         immutable_id: "Ym9i".to_owned(),
//!     })
//! };
//! let rst = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header>
//!   <o:Security xmlns:o="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">
//!   <o:UsernameToken><o:Username>bob@federated.test</o:Username><o:Password>bob-password</o:Password>
//!   </o:UsernameToken></o:Security></s:Header><s:Body>
//!   <t:RequestSecurityToken xmlns:t="http://docs.oasis-open.org/ws-sx/ws-trust/200512">
//!   <t:RequestType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue</t:RequestType>
//!   </t:RequestSecurityToken></s:Body></s:Envelope>"#;
//! let outcome = handle_rst(rst, WsTrustVersion::V13, &issuer, &check);
//! assert_eq!(outcome.status, 200);
//!
//! let assertion = issuer
//!     .issue(&check("bob@federated.test", "bob-password").unwrap(), "urn:federation:MicrosoftOnline", SystemTime::now())
//!     .unwrap();
//! let encoded = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &assertion);
//! let who = verify_assertion(&encoded, &issuer, SystemTime::now()).unwrap();
//! assert_eq!(who.upn, "bob@federated.test");
//! ```

mod mex;
mod saml;
mod verify;
mod wstrust;
mod xml;

use std::fmt;
use std::time::SystemTime;

pub use saml::SamlIssuer;

/// Path of the MEX document.
pub const MEX_PATH: &str = "/adfs/services/trust/mex";
/// Path of the WS-Trust 1.3 username/password endpoint.
pub const WSTRUST13_PATH: &str = "/adfs/services/trust/13/usernamemixed";
/// Path of the WS-Trust 2005 username/password endpoint.
pub const WSTRUST2005_PATH: &str = "/adfs/services/trust/2005/usernamemixed";
/// Content type of the MEX document.
pub const MEX_CONTENT_TYPE: &str = "text/xml; charset=utf-8";
/// Content type of every WS-Trust answer (SOAP 1.2), success or fault.
pub const SOAP_CONTENT_TYPE: &str = "application/soap+xml; charset=utf-8";
/// The audience Entra ID asks federation servers for (`cloud_audience_urn`).
pub const MICROSOFT_ONLINE_AUDIENCE: &str = "urn:federation:MicrosoftOnline";

/// The WS-Trust protocol version of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WsTrustVersion {
    /// WS-Trust 1.3 (`http://docs.oasis-open.org/ws-sx/ws-trust/200512`), answered with a
    /// `RequestSecurityTokenResponseCollection`.
    V13,
    /// WS-Trust 2005 (`http://schemas.xmlsoap.org/ws/2005/02/trust`), answered with a bare
    /// `RequestSecurityTokenResponse`.
    V2005,
}

/// Who a federated sign-in authenticated: the claims the SAML assertion carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederatedIdentity {
    /// The user principal name, e.g. `bob@federated.test`.
    pub upn: String,
    /// The on-premises immutable id (sourceAnchor) Entra ID matches the user by.
    pub immutable_id: String,
}

/// The SOAP answer of a WS-Trust endpoint: HTTP status and body (content type
/// [`SOAP_CONTENT_TYPE`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RstOutcome {
    /// 200 with an RSTR, 500 with an ADFS-style fault for bad credentials, 400 with a fault for
    /// a malformed or unsupported request.
    pub status: u16,
    /// The SOAP 1.2 envelope.
    pub body: String,
}

/// Why the federation server could not be set up or could not issue an assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederationError(String);

impl FederationError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for FederationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "federation: {}", self.0)
    }
}

impl std::error::Error for FederationError {}

/// The MEX (WS-MetadataExchange) document advertising the WS-Trust 1.3 endpoint
/// `{base_url}/adfs/services/trust/13/usernamemixed` and the 2005 endpoint
/// `{base_url}/adfs/services/trust/2005/usernamemixed` (`base_url` like
/// `https://127.0.0.1:8443`, trailing slash allowed).
pub fn mex_document(base_url: &str) -> String {
    mex::document(base_url)
}

/// Answers a WS-Trust RequestSecurityToken posted to the endpoint of `version`.
///
/// `check(username, password)` returns the user's identity when the password is right. The
/// answer is a signed SAML 1.1 assertion inside an RSTR (200), the ADFS fault `ID3242` for bad
/// credentials (500), or a fault for a malformed or unsupported request (400). The body is
/// untrusted: DTDs are refused and every value written back is escaped.
pub fn handle_rst(
    body: &str,
    version: WsTrustVersion,
    issuer: &SamlIssuer,
    check: &dyn Fn(&str, &str) -> Option<FederatedIdentity>,
) -> RstOutcome {
    wstrust::handle(body, version, issuer, check, SystemTime::now())
}

/// Checks the `assertion` parameter of a `saml1_1-bearer` / `saml2-bearer` grant: decodes it
/// (standard or URL-safe base64, padded or not), then checks that it is a SAML 1.1 assertion
/// issued by `issuer` with a valid enveloped signature, an accepted audience and a time window
/// containing `now` (5 minutes of clock skew allowed). The error text never contains the
/// assertion.
pub fn verify_assertion(
    encoded: &str,
    issuer: &SamlIssuer,
    now: SystemTime,
) -> Result<FederatedIdentity, String> {
    verify::verify(encoded, issuer, now)
}

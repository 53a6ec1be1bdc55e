//! Token requests: one typed grant each, client authentication, and their form encoding.
//!
//! A [`TokenRequest`] is serialised to the exact form parameters MSAL Python 1.39 sends
//! (checked against the recordings in `shared/reference/wire`), with one deliberate
//! difference: the device code poll sends `device_code` only, not Python's legacy duplicate
//! `code` parameter (Entra's v2 endpoint reads `device_code`, as RFC 8628 names it).
//!
//! `Debug` never shows a secret: grants, client credentials and the form body hold them as
//! [`Secret`], and the built [`HttpRequest`] prints only the body length.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use url::Url;

use super::Scopes;
use crate::http::HttpRequest;
use crate::{Error, ErrorKind, Result, Secret};

/// The `client_assertion_type` of a JWT client assertion.
pub const CLIENT_ASSERTION_TYPE_JWT: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The `grant_type` of a token request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GrantType {
    /// `password` (username/password, managed user).
    Password,
    /// `urn:ietf:params:oauth:grant-type:saml1_1-bearer` (federated user, SAML 1.1).
    Saml11Bearer,
    /// `urn:ietf:params:oauth:grant-type:saml2-bearer` (federated user, SAML 2.0).
    Saml2Bearer,
    /// `urn:ietf:params:oauth:grant-type:device_code`; the short form `device_code` (sent by
    /// MSAL Go and .NET) is accepted when parsing.
    DeviceCode,
    /// `authorization_code`.
    AuthorizationCode,
    /// `client_credentials`.
    ClientCredentials,
    /// `refresh_token`.
    RefreshToken,
    /// `urn:ietf:params:oauth:grant-type:jwt-bearer` (on-behalf-of).
    JwtBearer,
}

impl GrantType {
    /// The value sent as `grant_type`.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::Password => "password",
            GrantType::Saml11Bearer => "urn:ietf:params:oauth:grant-type:saml1_1-bearer",
            GrantType::Saml2Bearer => "urn:ietf:params:oauth:grant-type:saml2-bearer",
            GrantType::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::RefreshToken => "refresh_token",
            GrantType::JwtBearer => "urn:ietf:params:oauth:grant-type:jwt-bearer",
        }
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for GrantType {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let all = [
            GrantType::Password,
            GrantType::Saml11Bearer,
            GrantType::Saml2Bearer,
            GrantType::DeviceCode,
            GrantType::AuthorizationCode,
            GrantType::ClientCredentials,
            GrantType::RefreshToken,
            GrantType::JwtBearer,
        ];
        if s == "device_code" {
            return Ok(GrantType::DeviceCode);
        }
        all.into_iter().find(|g| g.as_str() == s).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("unknown grant_type {s:?}"),
            )
        })
    }
}

/// The version of a SAML assertion obtained from a federated identity provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SamlVersion {
    /// SAML 1.1 (`urn:oasis:names:tc:SAML:1.0:assertion`), the usual ADFS answer.
    Saml11,
    /// SAML 2.0.
    Saml20,
}

/// What the application presents to get a token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Grant {
    /// Username and password of a managed user (`grant_type=password`).
    Password {
        /// The user's UPN, such as `alice@contoso.com`.
        username: String,
        /// The password.
        password: Secret,
    },
    /// A SAML assertion from a federated identity provider (WS-Trust). The assertion is
    /// the raw XML; it is sent base64url-encoded without padding, as MSAL Python does.
    SamlBearer {
        /// SAML 1.1 or 2.0: selects the `grant_type`.
        version: SamlVersion,
        /// The raw assertion XML.
        assertion: Secret,
    },
    /// A device code poll.
    DeviceCode {
        /// The `device_code` of the device authorization answer.
        device_code: Secret,
    },
    /// Authorization code redemption.
    AuthorizationCode {
        /// The `code` from the redirect.
        code: Secret,
        /// The `redirect_uri`, exactly as sent on the authorize request.
        redirect_uri: String,
        /// The PKCE `code_verifier` (always used by MSAL; optional for confidential web
        /// apps that did not send a challenge).
        code_verifier: Option<Secret>,
    },
    /// The application's own token (`grant_type=client_credentials`).
    ClientCredentials,
    /// A refresh token.
    RefreshToken {
        /// The refresh token.
        refresh_token: Secret,
    },
    /// On-behalf-of: exchange the token a web API received for a downstream token.
    OnBehalfOf {
        /// The incoming access token (the user assertion).
        assertion: Secret,
    },
}

impl Grant {
    /// The `grant_type` this grant sends.
    pub fn grant_type(&self) -> GrantType {
        match self {
            Grant::Password { .. } => GrantType::Password,
            Grant::SamlBearer {
                version: SamlVersion::Saml11,
                ..
            } => GrantType::Saml11Bearer,
            Grant::SamlBearer {
                version: SamlVersion::Saml20,
                ..
            } => GrantType::Saml2Bearer,
            Grant::DeviceCode { .. } => GrantType::DeviceCode,
            Grant::AuthorizationCode { .. } => GrantType::AuthorizationCode,
            Grant::ClientCredentials => GrantType::ClientCredentials,
            Grant::RefreshToken { .. } => GrantType::RefreshToken,
            Grant::OnBehalfOf { .. } => GrantType::JwtBearer,
        }
    }

    /// The grant's required values, named, for validation.
    fn required(&self) -> Vec<(&'static str, bool)> {
        match self {
            Grant::Password { username, password } => vec![
                ("username", username.trim().is_empty()),
                ("password", password.is_empty()),
            ],
            Grant::SamlBearer { assertion, .. } => vec![("SAML assertion", assertion.is_empty())],
            Grant::DeviceCode { device_code } => vec![("device code", device_code.is_empty())],
            Grant::AuthorizationCode {
                code, redirect_uri, ..
            } => vec![
                ("authorization code", code.is_empty()),
                ("redirect URI", redirect_uri.is_empty()),
            ],
            Grant::ClientCredentials => Vec::new(),
            Grant::RefreshToken { refresh_token } => {
                vec![("refresh token", refresh_token.is_empty())]
            }
            Grant::OnBehalfOf { assertion } => vec![("user assertion", assertion.is_empty())],
        }
    }
}

/// How a confidential client proves its identity on the token endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientAuth {
    /// A public client: nothing is sent.
    #[default]
    None,
    /// `client_secret` in the body.
    Secret(Secret),
    /// A signed JWT (`client_assertion`, with `client_assertion_type` jwt-bearer).
    Assertion(Secret),
}

/// The `X-AnchorMailbox` routing hint (Cache Credential Service), sent as a header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AnchorMailbox {
    /// `upn:{username}`: username/password requests.
    Upn(String),
    /// `Oid:{uid}@{utid}`: refresh and code redemption when the account is known.
    Oid {
        /// The user's object id (client_info `uid`).
        uid: String,
        /// The user's home tenant id (client_info `utid`).
        utid: String,
    },
}

impl AnchorMailbox {
    /// The hint for an account's `home_account_id` (`{uid}.{utid}`); `None` when it has no
    /// dot.
    pub fn from_home_account_id(home_account_id: &str) -> Option<Self> {
        let (uid, utid) = home_account_id.split_once('.')?;
        (!uid.is_empty() && !utid.is_empty()).then(|| AnchorMailbox::Oid {
            uid: uid.to_owned(),
            utid: utid.to_owned(),
        })
    }

    /// The header value: `upn:{username}` or `Oid:{uid}@{utid}`, as MSAL Python writes them.
    pub fn header_value(&self) -> String {
        match self {
            AnchorMailbox::Upn(upn) => format!("upn:{upn}"),
            AnchorMailbox::Oid { uid, utid } => format!("Oid:{uid}@{utid}"),
        }
    }
}

/// The header name of the routing hint, spelt as MSAL Python sends it.
pub const ANCHOR_MAILBOX_HEADER: &str = "X-AnchorMailbox";

/// A request to the token endpoint.
///
/// ```
/// use msal_core::oauth2::{Grant, Scopes, TokenRequest};
/// use msal_core::Secret;
///
/// let request = TokenRequest::new(
///     "11111111-1111-1111-1111-111111111111",
///     Grant::Password { username: "alice@contoso.com".into(), password: Secret::new("s3cr3t-pw") },
/// )
/// .scopes(Scopes::for_user(&["User.Read"], false)?);
/// let url = url::Url::parse("https://login.microsoftonline.com/contoso/oauth2/v2.0/token").unwrap();
/// let http = request.to_http_request(&url)?;
/// assert_eq!(http.header_value("X-AnchorMailbox"), Some("upn:alice@contoso.com"));
/// assert!(!format!("{request:?} {http:?}").contains("s3cr3t-pw"));
/// # Ok::<(), msal_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    client_id: String,
    grant: Grant,
    scopes: Option<Scopes>,
    claims: Option<String>,
    client_auth: ClientAuth,
    anchor_mailbox: Option<AnchorMailbox>,
}

impl TokenRequest {
    /// A request for the given application and grant, with no scope, no claims, no client
    /// authentication (a public client) and the default routing hint.
    pub fn new(client_id: impl Into<String>, grant: Grant) -> Self {
        Self {
            client_id: client_id.into(),
            grant,
            scopes: None,
            claims: None,
            client_auth: ClientAuth::None,
            anchor_mailbox: None,
        }
    }

    /// Sets the `scope` (decorated for user flows, see [`Scopes::for_user`]).
    #[must_use]
    pub fn scopes(mut self, scopes: Scopes) -> Self {
        self.scopes = Some(scopes);
        self
    }

    /// Sets the `claims` parameter (see [`merge_claims`](super::merge_claims)).
    #[must_use]
    pub fn claims(mut self, claims: Option<String>) -> Self {
        self.claims = claims.filter(|c| !c.is_empty());
        self
    }

    /// Sets the client authentication of a confidential client.
    #[must_use]
    pub fn client_auth(mut self, auth: ClientAuth) -> Self {
        self.client_auth = auth;
        self
    }

    /// Sets the `X-AnchorMailbox` routing hint. A password grant defaults to
    /// `upn:{username}`; other grants send none unless set.
    #[must_use]
    pub fn anchor_mailbox(mut self, anchor: AnchorMailbox) -> Self {
        self.anchor_mailbox = Some(anchor);
        self
    }

    /// The application's client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The grant.
    pub fn grant(&self) -> &Grant {
        &self.grant
    }

    /// The scopes, when set.
    pub fn scope_list(&self) -> Option<&Scopes> {
        self.scopes.as_ref()
    }

    /// The routing hint that will be sent, if any.
    pub fn effective_anchor_mailbox(&self) -> Option<AnchorMailbox> {
        self.anchor_mailbox.clone().or_else(|| match &self.grant {
            Grant::Password { username, .. } => Some(AnchorMailbox::Upn(username.clone())),
            _ => None,
        })
    }

    /// Checks that the request can be sent: a client id, the grant's values, a scope for
    /// the client credentials grant, and a client credential for the grants that need one.
    /// Fails with [`ErrorKind::InvalidArgument`].
    pub fn validate(&self) -> Result<()> {
        let invalid = |what: String| Err(Error::new(ErrorKind::InvalidArgument, what));
        if self.client_id.trim().is_empty() {
            return invalid("the client id is empty".to_owned());
        }
        if let Some((name, _)) = self.grant.required().into_iter().find(|(_, empty)| *empty) {
            return invalid(format!("the {name} of the token request is empty"));
        }
        let confidential_only = matches!(
            self.grant,
            Grant::ClientCredentials | Grant::OnBehalfOf { .. }
        );
        if confidential_only && self.client_auth == ClientAuth::None {
            return invalid(format!(
                "the {} grant needs a client secret or client assertion",
                self.grant.grant_type()
            ));
        }
        if matches!(self.grant, Grant::ClientCredentials)
            && self.scopes.as_ref().is_none_or(Scopes::is_empty)
        {
            return invalid(
                "the client credentials grant needs a scope such as \
                 'https://graph.microsoft.com/.default'"
                    .to_owned(),
            );
        }
        match &self.client_auth {
            ClientAuth::Secret(s) | ClientAuth::Assertion(s) if s.is_empty() => {
                invalid("the client secret or client assertion is empty".to_owned())
            }
            _ => Ok(()),
        }
    }

    /// The `POST` to the token endpoint: the form body, `Accept: application/json` and the
    /// routing hint. Fails with [`ErrorKind::InvalidArgument`] when [`validate`](Self::validate)
    /// does.
    pub fn to_http_request(&self, token_endpoint: &Url) -> Result<HttpRequest> {
        self.validate()?;
        // The encoded assertion lives in a Secret so that it is wiped after use.
        let saml = match &self.grant {
            Grant::SamlBearer { assertion, .. } => {
                Some(Secret::new(URL_SAFE_NO_PAD.encode(assertion.expose())))
            }
            _ => None,
        };
        let pairs = self.form_pairs(saml.as_ref());
        let mut request = HttpRequest::post_form(
            token_endpoint.clone(),
            pairs.iter().map(|(n, v)| (*n, v.as_ref())),
        )
        .header("Accept", "application/json");
        if let Some(anchor) = self.effective_anchor_mailbox() {
            request = request.header(ANCHOR_MAILBOX_HEADER, anchor.header_value());
        }
        Ok(request)
    }

    /// The form parameters, in the order MSAL Python sends them. Values are secrets:
    /// never log them.
    fn form_pairs<'a>(&'a self, saml: Option<&'a Secret>) -> Vec<(&'static str, Cow<'a, str>)> {
        let mut p: Vec<(&'static str, Cow<'a, str>)> = vec![
            ("client_id", self.client_id.as_str().into()),
            ("grant_type", self.grant.grant_type().as_str().into()),
            ("client_info", "1".into()),
        ];
        match &self.client_auth {
            ClientAuth::None => {}
            ClientAuth::Secret(s) => p.push(("client_secret", s.expose().into())),
            ClientAuth::Assertion(a) => {
                p.push(("client_assertion", a.expose().into()));
                p.push(("client_assertion_type", CLIENT_ASSERTION_TYPE_JWT.into()));
            }
        }
        match &self.grant {
            Grant::Password { username, password } => {
                p.push(("username", username.as_str().into()));
                p.push(("password", password.expose().into()));
            }
            Grant::SamlBearer { .. } => {
                if let Some(encoded) = saml {
                    p.push(("assertion", encoded.expose().into()));
                }
            }
            Grant::DeviceCode { device_code } => {
                p.push(("device_code", device_code.expose().into()));
            }
            Grant::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
            } => {
                if let Some(v) = code_verifier {
                    p.push(("code_verifier", v.expose().into()));
                }
                p.push(("code", code.expose().into()));
                p.push(("redirect_uri", redirect_uri.as_str().into()));
            }
            Grant::ClientCredentials => {}
            Grant::RefreshToken { refresh_token } => {
                p.push(("refresh_token", refresh_token.expose().into()));
            }
            Grant::OnBehalfOf { assertion } => {
                p.push(("requested_token_use", "on_behalf_of".into()));
                p.push(("assertion", assertion.expose().into()));
            }
        }
        if let Some(scopes) = &self.scopes {
            p.push(("scope", scopes.to_wire().into()));
        }
        if let Some(claims) = &self.claims {
            p.push(("claims", claims.as_str().into()));
        }
        p
    }
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;

//! Authorities: parsing and classification of authority URLs, national clouds and their
//! aliases, tenant and regional variants, and endpoint resolution through discovery.
//!
//! An authority is the URL of the token issuer an application signs users in with. It is
//! parsed once ([`Authority::parse`]) into a known-good value of one [`AuthorityKind`]:
//!
//! | Form | Kind | Meaning |
//! |---|---|---|
//! | `https://login.microsoftonline.com/{guid}` | [`Entra`](AuthorityKind::Entra), [`TenantKind::Id`] | one directory, by id |
//! | `https://login.microsoftonline.com/contoso.com` | `Entra`, [`TenantKind::Domain`] | one directory, by a verified domain; discovery answers with the id |
//! | `.../common`, `.../organizations`, `.../consumers` | `Entra`, multi-tenant | any tenant + personal accounts; any tenant; personal accounts only |
//! | `https://adfs.contoso.com/adfs` | [`Adfs`](AuthorityKind::Adfs) | an on-premises ADFS (2019+) farm |
//! | `https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin` | [`B2c`](AuthorityKind::B2c) | a B2C tenant and its policy (also `.cn/.us/.de`, or a custom domain whose 2nd segment starts with `b2c_`) |
//! | `https://contoso.ciamlogin.com[/{tenant}]` | [`Ciam`](AuthorityKind::Ciam) | Entra External ID; without a path the tenant is `contoso.onmicrosoft.com` |
//! | `https://{host}/dstsv2/{tenant}` | [`Dsts`](AuthorityKind::Dsts) | a distributed STS |
//! | [`Authority::oidc`]`("https://issuer.example/path")` | [`Oidc`](AuthorityKind::Oidc) | any OpenID Connect issuer; discovery at `{url}/.well-known/openid-configuration` |
//!
//! The host is lower-cased, a non-default port is kept, the tenant is kept as typed. Only
//! `https` is accepted, except that [`ParseOptions::allow_loopback_http`] lets tests and local
//! emulators use `http://127.0.0.1[:port]` and `http://localhost[:port]`.
//!
//! [`AuthorityResolver`] turns an authority into endpoints ([`ResolvedAuthority`]): instance
//! discovery when the host is unknown, then OIDC discovery, then checks on the document,
//! cached for 24 hours per process with one network round-trip per authority at a time.
//!
//! # Where this differs from MSAL Python
//! - Parsing is stricter and fails at once with [`ErrorKind::InvalidAuthority`](crate::ErrorKind):
//!   a query, a fragment, user credentials in the URL, an empty host, or a tenant or policy
//!   with characters other than letters, digits, `.`, `-`, `_` are rejected; a B2C host
//!   without a policy is rejected. Extra path segments after the tenant of an Entra authority
//!   are ignored, as in MSAL Python.
//! - IP literal hosts are accepted (MSAL Python accepts them too; the reference recordings use
//!   `https://127.0.0.1:8443`).
//! - Instance discovery uses `api-version=1.1` (MSAL Python's validation uses 1.0) and sends
//!   the authorization endpoint with its port (MSAL Python drops the port).
//! - With instance discovery left on, it is skipped for loopback hosts (the public discovery
//!   service cannot know them); an explicit custom discovery URL still runs for them.
//! - The discovery document is checked, as MSAL Go does: its token and authorization
//!   endpoints must be on the authority's origin or an alias, and its issuer must be the
//!   authority, on its origin, an alias, a known Microsoft host or a regional variant of one
//!   (for CIAM, any `*.ciamlogin.com`; for B2C, any B2C host). A generic OIDC issuer must
//!   publish exactly the configured issuer URL (OpenID Connect Discovery 1.0, section 4.3),
//!   and its endpoints may be on other hosts (as Google's are), but on the same scheme.
//!   `validate_authority = false` skips only instance discovery, never these checks.
//! - A 4xx answer of discovery is an [`ErrorKind::InvalidAuthority`](crate::ErrorKind) error
//!   keeping the service's [`EntraError`](crate::EntraError); 5xx and 429 keep their
//!   retryable kinds.

use std::fmt;
use std::str::FromStr;

use url::Url;

use crate::Result;

mod cloud;
mod parse;
mod resolver;
mod tenant;
#[cfg(test)]
pub(crate) mod test_support;
mod variants;

pub use cloud::{
    ALIAS_GROUPS, AUTHORITY_HOST_CHINA, AUTHORITY_HOST_PUBLIC, AUTHORITY_HOST_US_GOVERNMENT,
    AliasGroup, AzureCloud, B2C_HOST_SUFFIXES, CIAM_HOST_SUFFIX, INSTANCE_DISCOVERY_HOST,
    alias_group, is_known_host,
};
pub use parse::ParseOptions;
pub use resolver::{
    AuthorityResolver, InstanceDiscovery, RESOLUTION_TTL, ResolveOptions, ResolvedAuthority,
};
pub use tenant::{AuthorityKind, MSA_TENANT_ID, TenantKind};

pub(crate) use cloud::{is_b2c_host, is_ciam_host, is_loopback_host};

/// A parsed, validated authority.
///
/// ```
/// use msal_core::authority::{Authority, AuthorityKind, TenantKind};
///
/// let authority = Authority::parse("https://Login.MicrosoftOnline.com/Contoso.onmicrosoft.com")?;
/// assert_eq!(authority.kind(), AuthorityKind::Entra);
/// assert_eq!(authority.host(), "login.microsoftonline.com");
/// assert_eq!(authority.tenant(), "Contoso.onmicrosoft.com");
/// assert_eq!(authority.tenant_kind(), Some(TenantKind::Domain));
/// assert_eq!(
///     authority.to_string(),
///     "https://login.microsoftonline.com/Contoso.onmicrosoft.com/"
/// );
/// # Ok::<(), msal_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Authority {
    /// `scheme://host[:port]/`.
    origin: Url,
    /// Lower-cased host, without port.
    host: String,
    kind: AuthorityKind,
    /// The tenant as typed (`adfs` for ADFS, the first path segment or empty for OIDC).
    tenant: String,
    /// The B2C policy.
    policy: Option<String>,
    /// The canonical path without a trailing slash: `/tenant`, `/tenant/policy`, `/adfs`,
    /// `/dstsv2/tenant`, or the issuer's path.
    path: String,
    /// For a regional authority, the central host it was derived from.
    central_host: Option<String>,
}

impl Authority {
    /// Parses an authority URL and classifies it (see the [module docs](self)); only `https`.
    pub fn parse(url: &str) -> Result<Authority> {
        parse::parse(url, &ParseOptions::default())
    }

    /// Parses an authority URL with options, such as the loopback `http` opt-in.
    ///
    /// ```
    /// use msal_core::authority::{Authority, ParseOptions};
    ///
    /// let options = ParseOptions::new().allow_loopback_http(true);
    /// let local = Authority::parse_with("http://localhost:8080/my-tenant", &options)?;
    /// assert_eq!(local.host_with_port(), "localhost:8080");
    /// assert!(Authority::parse_with("http://example.com/t", &options).is_err());
    /// # Ok::<(), msal_core::Error>(())
    /// ```
    pub fn parse_with(url: &str, options: &ParseOptions) -> Result<Authority> {
        parse::parse(url, options)
    }

    /// A generic OpenID Connect issuer: discovery at `{url}/.well-known/openid-configuration`,
    /// no instance discovery.
    ///
    /// ```
    /// use msal_core::authority::{Authority, AuthorityKind};
    ///
    /// let issuer = Authority::oidc("https://accounts.example.com/tenant-a/")?;
    /// assert_eq!(issuer.kind(), AuthorityKind::Oidc);
    /// assert_eq!(
    ///     issuer.discovery_url().as_str(),
    ///     "https://accounts.example.com/tenant-a/.well-known/openid-configuration"
    /// );
    /// # Ok::<(), msal_core::Error>(())
    /// ```
    pub fn oidc(url: &str) -> Result<Authority> {
        parse::parse_oidc(url, &ParseOptions::default())
    }

    /// A generic OpenID Connect issuer, with parse options.
    pub fn oidc_with(url: &str, options: &ParseOptions) -> Result<Authority> {
        parse::parse_oidc(url, options)
    }

    /// The kind of authority.
    pub fn kind(&self) -> AuthorityKind {
        self.kind
    }

    /// The URL scheme: `https`, or `http` for an opted-in loopback authority.
    pub fn scheme(&self) -> &str {
        self.origin.scheme()
    }

    /// The lower-cased host, without port (the cache `environment`).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port when it is not the scheme's default.
    pub fn port(&self) -> Option<u16> {
        self.origin.port()
    }

    /// `host` or `host:port`.
    pub fn host_with_port(&self) -> String {
        match self.port() {
            Some(port) => format!("{}:{port}", self.host),
            None => self.host.clone(),
        }
    }

    /// The tenant as typed: a GUID, a domain, `common`, `organizations`, `consumers`; `adfs`
    /// for ADFS; for OIDC the issuer's first path segment (possibly empty).
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// What the tenant names, for Entra, B2C, CIAM and dSTS authorities.
    pub fn tenant_kind(&self) -> Option<TenantKind> {
        match self.kind {
            AuthorityKind::Adfs | AuthorityKind::Oidc => None,
            _ => Some(TenantKind::of(&self.tenant)),
        }
    }

    /// The B2C policy, for B2C authorities.
    pub fn policy(&self) -> Option<&str> {
        self.policy.as_deref()
    }

    /// Whether the tenant is `common`, `organizations` or `consumers` (a set of tenants, not
    /// one directory); the tenant of a token then comes from the token.
    pub fn is_multi_tenant(&self) -> bool {
        matches!(self.kind, AuthorityKind::Entra | AuthorityKind::Ciam)
            && TenantKind::of(&self.tenant).is_multi_tenant()
    }

    /// For a [regional](Authority::regional) authority, the central host it stands in for.
    pub fn central_host(&self) -> Option<&str> {
        self.central_host.as_deref()
    }

    /// Whether the host is the local machine (`127.0.0.1`, `localhost`, `[::1]`).
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(&self.host)
    }

    /// The canonical URL, `https://host[:port]/{path}/`.
    pub fn url(&self) -> Url {
        self.with_path(&format!("{}/", self.path))
    }

    /// The OIDC discovery document URL (protocol.md 8.4): `{authority}/v2.0/.well-known/...`
    /// for Entra, B2C, CIAM and dSTS; `{authority}/.well-known/...` for ADFS and OIDC.
    pub fn discovery_url(&self) -> Url {
        let suffix = match self.kind {
            AuthorityKind::Adfs | AuthorityKind::Oidc => "/.well-known/openid-configuration",
            _ => "/v2.0/.well-known/openid-configuration",
        };
        self.with_path(&format!("{}{suffix}", self.path))
    }

    /// The authorization endpoint before discovery (None for OIDC: only discovery knows).
    pub fn authorization_endpoint(&self) -> Option<Url> {
        self.endpoint("authorize")
    }

    /// The token endpoint before discovery (None for OIDC: only discovery knows).
    pub fn token_endpoint(&self) -> Option<Url> {
        self.endpoint("token")
    }

    /// The device authorization endpoint before discovery (None for OIDC).
    pub fn device_code_endpoint(&self) -> Option<Url> {
        self.endpoint("devicecode")
    }

    fn endpoint(&self, name: &str) -> Option<Url> {
        match self.kind {
            AuthorityKind::Oidc => None,
            AuthorityKind::Adfs => Some(self.with_path(&format!("{}/oauth2/{name}", self.path))),
            _ => Some(self.with_path(&format!("{}/oauth2/v2.0/{name}", self.path))),
        }
    }

    fn with_path(&self, path: &str) -> Url {
        let mut url = self.origin.clone();
        url.set_path(path);
        url
    }
}

impl fmt::Display for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.url().as_str())
    }
}

impl fmt::Debug for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Authority");
        d.field("url", &self.url().as_str())
            .field("kind", &self.kind)
            .field("tenant", &self.tenant);
        if let Some(policy) = &self.policy {
            d.field("policy", policy);
        }
        if let Some(central) = &self.central_host {
            d.field("central_host", central);
        }
        d.finish()
    }
}

impl FromStr for Authority {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self> {
        Authority::parse(s)
    }
}

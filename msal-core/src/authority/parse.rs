//! Parsing authority URLs into [`Authority`] values.

use url::Url;

use super::cloud::{is_b2c_host, is_ciam_host};
use super::{Authority, AuthorityKind};
use crate::{Error, ErrorKind, Result};

/// Options for [`Authority::parse_with`] and [`Authority::oidc_with`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ParseOptions {
    allow_loopback_http: bool,
}

impl ParseOptions {
    /// The defaults: `https` only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts `http://127.0.0.1[:port]` and `http://localhost[:port]` (for tests and local
    /// emulators). Every other `http://` authority is still rejected.
    #[must_use]
    pub fn allow_loopback_http(mut self, allow: bool) -> Self {
        self.allow_loopback_http = allow;
        self
    }

    /// Whether loopback `http` is accepted.
    pub fn allows_loopback_http(&self) -> bool {
        self.allow_loopback_http
    }
}

/// A URL that passed the checks common to every authority form.
struct Checked {
    origin: Url,
    host: String,
    segments: Vec<String>,
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidAuthority, message)
}

/// Parses the URL and checks scheme, host, and the absence of credentials, query, fragment.
fn check_url(input: &str, options: &ParseOptions, what: &str) -> Result<Checked> {
    let input = input.trim();
    if input.is_empty() {
        return Err(invalid(format!(
            "the {what} URL is empty: give a URL such as https://login.microsoftonline.com/<tenant>"
        )));
    }
    // URL parsing silently drops tabs and newlines; an authority holding any is a mistake.
    if input.chars().any(char::is_control) {
        return Err(invalid(format!(
            "the {what} URL contains control characters (such as a newline or tab): remove them"
        )));
    }
    // The parse error never echoes the input, which could hold credentials.
    let url = Url::parse(input).map_err(|e| {
        let hint = if e == url::ParseError::RelativeUrlWithoutBase {
            ": it has no scheme; write it as https://<host>/<tenant>"
        } else {
            ""
        };
        Error::with_source(
            ErrorKind::InvalidAuthority,
            format!("the {what} URL is not a valid absolute URL ({e}){hint}"),
            e,
        )
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(format!(
            "the {what} URL must not contain a user name or password"
        )));
    }
    if !matches!(url.scheme(), "https" | "http") {
        return Err(invalid(format!(
            "the {what} URL has the scheme '{}': only https:// authorities are supported",
            url.scheme()
        )));
    }
    let host = match url.host_str() {
        Some(h) if !h.is_empty() => h.to_ascii_lowercase(),
        _ => {
            return Err(invalid(format!(
                "the {what} URL has no host: write it as https://<host>/<tenant>"
            )));
        }
    };
    let shown = format!(
        "{}://{}{}",
        url.scheme(),
        host_port(&host, url.port()),
        url.path()
    );
    check_scheme(&url, &host, &shown, options, what)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(format!(
            "the {what} {shown} must not have a query or fragment: remove everything after '?' or '#'"
        )));
    }
    let segments = url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    let mut origin = url;
    origin.set_path("/");
    Ok(Checked {
        origin,
        host,
        segments,
    })
}

fn host_port(host: &str, port: Option<u16>) -> String {
    match port {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    }
}

fn check_scheme(
    url: &Url,
    host: &str,
    shown: &str,
    options: &ParseOptions,
    what: &str,
) -> Result<()> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if options.allow_loopback_http && matches!(host, "127.0.0.1" | "localhost") => {
            Ok(())
        }
        "http" if options.allow_loopback_http => Err(invalid(format!(
            "the {what} {shown} uses http://, which is allowed only for 127.0.0.1 and localhost: \
             use https://{host}"
        ))),
        "http" => Err(invalid(format!(
            "the {what} {shown} uses http://, but Microsoft Entra ID and MSAL require https://: \
             use https://; for a local test server on 127.0.0.1 or localhost opt in with \
             ParseOptions::allow_loopback_http(true)"
        ))),
        other => Err(invalid(format!(
            "the {what} URL has the scheme '{other}': only https:// authorities are supported"
        ))),
    }
}

/// Checks a tenant or policy segment: letters, digits, `.`, `-`, `_`, at most 256 chars.
pub(crate) fn check_segment(kind: ErrorKind, what: &str, value: &str) -> Result<()> {
    let ok = !value.is_empty()
        && value.len() <= 256
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            kind,
            format!(
                "the {what} '{}' is not valid: use only letters, digits, '.', '-' and '_'",
                value.escape_default()
            ),
        ))
    }
}

fn build(
    checked: Checked,
    kind: AuthorityKind,
    tenant: String,
    policy: Option<String>,
    path: String,
) -> Authority {
    Authority {
        origin: checked.origin,
        host: checked.host,
        kind,
        tenant,
        policy,
        path,
        central_host: None,
    }
}

/// Parses and classifies an authority URL (every form but generic OIDC).
pub(crate) fn parse(input: &str, options: &ParseOptions) -> Result<Authority> {
    let checked = check_url(input, options, "authority")?;
    let host = checked.host.clone();
    let first = checked.segments.first().cloned();
    let second = checked.segments.get(1).cloned();
    let tenant_err = |t: &str| check_segment(ErrorKind::InvalidAuthority, "tenant", t);

    if is_ciam_host(&host) {
        let tenant = match first {
            Some(t) => t,
            None => {
                let sub = host.split('.').next().unwrap_or_default();
                format!("{sub}.onmicrosoft.com")
            }
        };
        tenant_err(&tenant)?;
        let path = format!("/{tenant}");
        return Ok(build(checked, AuthorityKind::Ciam, tenant, None, path));
    }
    let b2c_policy = second
        .as_deref()
        .is_some_and(|s| s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("b2c_")));
    if is_b2c_host(&host) || b2c_policy {
        let (Some(tenant), Some(policy)) = (first, second) else {
            return Err(invalid(format!(
                "the B2C authority on {host} needs a tenant and a policy: write it as \
                 https://{host}/<tenant>.onmicrosoft.com/<policy>"
            )));
        };
        tenant_err(&tenant)?;
        check_segment(ErrorKind::InvalidAuthority, "B2C policy", &policy)?;
        let path = format!("/{tenant}/{policy}");
        return Ok(build(
            checked,
            AuthorityKind::B2c,
            tenant,
            Some(policy),
            path,
        ));
    }
    let Some(first) = first else {
        return Err(invalid(format!(
            "the authority https://{host}/ has no tenant: write it as https://{host}/<tenant>, \
             where the tenant is a directory id, a domain, common, organizations or consumers"
        )));
    };
    if first.eq_ignore_ascii_case("adfs") {
        let path = "/adfs".to_owned();
        return Ok(build(
            checked,
            AuthorityKind::Adfs,
            "adfs".into(),
            None,
            path,
        ));
    }
    if first.eq_ignore_ascii_case("dstsv2") {
        let Some(tenant) = second else {
            return Err(invalid(format!(
                "the dSTS authority on {host} has no tenant: write it as https://{host}/dstsv2/<tenant>"
            )));
        };
        tenant_err(&tenant)?;
        let path = format!("/dstsv2/{tenant}");
        return Ok(build(checked, AuthorityKind::Dsts, tenant, None, path));
    }
    tenant_err(&first)?;
    let path = format!("/{first}");
    Ok(build(checked, AuthorityKind::Entra, first, None, path))
}

/// Parses a generic OpenID Connect issuer URL.
pub(crate) fn parse_oidc(input: &str, options: &ParseOptions) -> Result<Authority> {
    let checked = check_url(input, options, "OIDC issuer")?;
    let tenant = checked.segments.first().cloned().unwrap_or_default();
    let path: String = checked.segments.iter().map(|s| format!("/{s}")).collect();
    Ok(build(checked, AuthorityKind::Oidc, tenant, None, path))
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;

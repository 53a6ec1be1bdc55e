//! Tenant resolution (azure-identity's `resolve_tenant`): which tenant a request may use.

use msal_core::{Error, ErrorKind, Result};

use crate::env::Env;

/// The variable that turns per-request tenants off.
pub const DISABLE_MULTITENANT_AUTH: &str = "AZURE_IDENTITY_DISABLE_MULTITENANTAUTH";

/// Checks that a tenant id only has the characters Entra tenant ids and domains use
/// (`[A-Za-z0-9.-]`), so it can go into a URL path or a command line.
pub fn validate_tenant_id(tenant: &str) -> Result<()> {
    if tenant.is_empty()
        || !tenant
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "the tenant id {tenant:?} is not valid: use a tenant id (GUID) or a domain \
                 (letters, digits, '.', '-')"
            ),
        ));
    }
    Ok(())
}

/// The tenant a request goes to.
///
/// The configured tenant, unless the request names another one that is allowed: by
/// `additionally_allowed` (or `"*"` in it), or because no tenant is configured. `adfs` and
/// [`DISABLE_MULTITENANT_AUTH`] pin the configured tenant. A tenant that is not allowed is an
/// [`ErrorKind::InvalidArgument`] error that says how to allow it.
///
/// ```
/// use azure_credential::{Env, resolve_tenant};
///
/// let env = Env::from_pairs::<[(&str, &str); 0], &str, &str>([]);
/// let allowed = vec!["fabrikam.com".to_string()];
/// assert_eq!(resolve_tenant("contoso.com", Some("fabrikam.com"), &allowed, &env)?, "fabrikam.com");
/// assert!(resolve_tenant("contoso.com", Some("other.com"), &allowed, &env).is_err());
/// # Ok::<(), msal_core::Error>(())
/// ```
pub fn resolve_tenant(
    configured: &str,
    requested: Option<&str>,
    additionally_allowed: &[String],
    env: &Env,
) -> Result<String> {
    let Some(requested) = requested.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(configured.to_owned());
    };
    if requested.eq_ignore_ascii_case(configured) {
        return Ok(configured.to_owned());
    }
    if configured.eq_ignore_ascii_case("adfs") || env.var(DISABLE_MULTITENANT_AUTH).is_some() {
        tracing::info!(
            "a token was requested for another tenant; multi-tenant authentication is \
             disabled, so the configured tenant is used"
        );
        return Ok(configured.to_owned());
    }
    validate_tenant_id(requested)?;
    if configured.is_empty()
        || additionally_allowed
            .iter()
            .any(|t| t == "*" || t.eq_ignore_ascii_case(requested))
    {
        return Ok(requested.to_owned());
    }
    Err(Error::new(
        ErrorKind::InvalidArgument,
        format!(
            "the credential is not configured to acquire tokens for tenant {requested}: add \
             it to additionally_allowed_tenants, or add \"*\" to allow any tenant"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> Env {
        Env::from_pairs::<[(&str, &str); 0], &str, &str>([])
    }

    #[test]
    fn no_request_or_the_same_tenant_gives_the_configured_one() {
        assert_eq!(resolve_tenant("a", None, &[], &none()).unwrap(), "a");
        assert_eq!(resolve_tenant("a", Some("A"), &[], &none()).unwrap(), "a");
    }

    #[test]
    fn another_tenant_needs_to_be_allowed_or_star() {
        let err = resolve_tenant("a", Some("b"), &[], &none()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(err.message().contains("additionally_allowed_tenants"));
        let star = vec!["*".to_owned()];
        assert_eq!(resolve_tenant("a", Some("b"), &star, &none()).unwrap(), "b");
        let listed = vec!["B".to_owned()];
        assert_eq!(
            resolve_tenant("a", Some("b"), &listed, &none()).unwrap(),
            "b"
        );
    }

    #[test]
    fn disable_variable_and_adfs_pin_the_configured_tenant() {
        let env = Env::from_pairs([(DISABLE_MULTITENANT_AUTH, "true")]);
        let star = vec!["*".to_owned()];
        assert_eq!(resolve_tenant("a", Some("b"), &star, &env).unwrap(), "a");
        assert_eq!(
            resolve_tenant("adfs", Some("b"), &star, &none()).unwrap(),
            "adfs"
        );
    }

    #[test]
    fn unconfigured_tenant_takes_the_requested_one_and_bad_ids_are_refused() {
        assert_eq!(resolve_tenant("", Some("b"), &[], &none()).unwrap(), "b");
        let star = vec!["*".to_owned()];
        let err = resolve_tenant("a", Some("b/../c"), &star, &none()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }
}

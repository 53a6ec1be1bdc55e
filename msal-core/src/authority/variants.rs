//! Authorities derived from another: a per-request tenant (protocol.md 8.1) and a regional
//! endpoint for confidential clients (8.6).

use super::cloud::is_public_cloud_host;
use super::parse::check_segment;
use super::{Authority, AuthorityKind, TenantKind};
use crate::{Error, ErrorKind, Result};

fn bad_argument(message: String) -> Error {
    Error::new(ErrorKind::InvalidArgument, message)
}

/// Whether `region` matches `^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$` (a DNS label).
fn is_valid_region(region: &str) -> bool {
    let bytes = region.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    bytes.len() <= 63
        && first.is_ascii_lowercase()
        && (last.is_ascii_lowercase() || last.is_ascii_digit())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

impl Authority {
    /// The same authority for another tenant, for a request that names its own tenant.
    ///
    /// Rejected ([`ErrorKind::InvalidArgument`]): `common`, `organizations` or `consumers` as
    /// the new tenant; any other tenant when this authority is ADFS, dSTS, B2C, OIDC, or
    /// `consumers`. Asking for the tenant the authority already has returns it unchanged.
    ///
    /// ```
    /// use msal_core::authority::Authority;
    ///
    /// let common = Authority::parse("https://login.microsoftonline.com/common")?;
    /// let contoso = common.with_tenant("contoso.onmicrosoft.com")?;
    /// assert_eq!(contoso.to_string(), "https://login.microsoftonline.com/contoso.onmicrosoft.com/");
    /// assert!(contoso.with_tenant("organizations").is_err());
    /// # Ok::<(), msal_core::Error>(())
    /// ```
    pub fn with_tenant(&self, tenant: &str) -> Result<Authority> {
        check_segment(ErrorKind::InvalidArgument, "tenant", tenant)?;
        if TenantKind::of(tenant).is_multi_tenant() {
            return Err(bad_argument(format!(
                "'{tenant}' cannot be used as a request tenant: name one tenant (its id or a \
                 domain); to use '{tenant}', configure it as the application's authority"
            )));
        }
        if tenant == self.tenant {
            return Ok(self.clone());
        }
        match self.kind {
            AuthorityKind::Entra | AuthorityKind::Ciam => {}
            other => {
                return Err(bad_argument(format!(
                    "a {other} authority has a fixed tenant: the request tenant '{tenant}' \
                     cannot replace it; create an application with the authority you need"
                )));
            }
        }
        if TenantKind::of(&self.tenant) == TenantKind::Consumers {
            return Err(bad_argument(format!(
                "the authority is 'consumers' (personal Microsoft accounts only), so the request \
                 tenant '{tenant}' cannot be used; configure 'common' or that tenant instead"
            )));
        }
        Ok(Authority {
            tenant: tenant.to_owned(),
            path: format!("/{tenant}"),
            ..self.clone()
        })
    }

    /// The regional (ESTS-R) authority of this Entra authority, for confidential clients'
    /// client-credentials requests: `{region}.login.microsoft.com` for public cloud hosts,
    /// `{region}.{host}` otherwise. The region must match
    /// `^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$`.
    ///
    /// ```
    /// use msal_core::authority::Authority;
    ///
    /// let central = Authority::parse("https://login.microsoftonline.com/contoso.com")?;
    /// let regional = central.regional("westus2")?;
    /// assert_eq!(regional.host(), "westus2.login.microsoft.com");
    /// assert_eq!(regional.central_host(), Some("login.microsoftonline.com"));
    /// assert!(central.regional("West US").is_err());
    /// # Ok::<(), msal_core::Error>(())
    /// ```
    pub fn regional(&self, region: &str) -> Result<Authority> {
        if !is_valid_region(region) {
            return Err(bad_argument(format!(
                "the Azure region '{}' is not valid: use a lower-case region name such as \
                 'westus2' (letters, digits and '-')",
                region.escape_default()
            )));
        }
        if self.kind != AuthorityKind::Entra {
            return Err(bad_argument(format!(
                "regional endpoints exist only for Entra ID tenants, not for a {} authority",
                self.kind
            )));
        }
        let central = self
            .central_host
            .clone()
            .unwrap_or_else(|| self.host.clone());
        if central.parse::<std::net::Ipv4Addr>().is_ok() || central.starts_with('[') {
            return Err(bad_argument(format!(
                "the authority host {central} is an IP address, which has no regional endpoints"
            )));
        }
        let host = if is_public_cloud_host(&central) {
            format!("{region}.login.microsoft.com")
        } else {
            format!("{region}.{central}")
        };
        let mut origin = self.origin.clone();
        origin.set_host(Some(&host)).map_err(|e| {
            Error::with_source(
                ErrorKind::InvalidArgument,
                format!("the regional host {host} is not a valid host name"),
                e,
            )
        })?;
        Ok(Authority {
            origin,
            host,
            central_host: Some(central),
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> Authority {
        Authority::parse(url).expect(url)
    }

    #[test]
    fn with_tenant_replaces_the_tenant_of_entra_and_ciam_authorities() {
        let a = parse("https://login.microsoftonline.com:8443/organizations");
        let t = a
            .with_tenant("72f988bf-86f1-41af-91ab-2d7cd011db47")
            .expect("ok");
        assert_eq!(
            t.to_string(),
            "https://login.microsoftonline.com:8443/72f988bf-86f1-41af-91ab-2d7cd011db47/"
        );
        assert_eq!(t.tenant_kind(), Some(TenantKind::Id));
        let ciam = parse("https://contoso.ciamlogin.com");
        let other = ciam.with_tenant("fabrikam.onmicrosoft.com").expect("ok");
        assert_eq!(other.kind(), AuthorityKind::Ciam);
        assert_eq!(other.tenant(), "fabrikam.onmicrosoft.com");
    }

    #[test]
    fn with_tenant_rejects_reserved_tenants_as_override() {
        let a = parse("https://login.microsoftonline.com/common");
        for reserved in ["common", "organizations", "Consumers"] {
            let err = a.with_tenant(reserved).expect_err(reserved);
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        }
        assert!(a.with_tenant("").is_err());
        assert!(a.with_tenant("a/b").is_err());
    }

    #[test]
    fn with_tenant_rejects_any_override_of_fixed_tenant_authorities() {
        for url in [
            "https://adfs.contoso.com/adfs",
            "https://dsts.core.windows.net/dstsv2/7a433bfc-2514-4697-b467-e0933190487f",
            "https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin",
            "https://login.microsoftonline.com/consumers",
        ] {
            let err = parse(url).with_tenant("contoso.com").expect_err(url);
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{url}");
        }
        let oidc = Authority::oidc("https://issuer.example.com/t").expect("oidc");
        assert!(oidc.with_tenant("other").is_err());
    }

    #[test]
    fn with_tenant_of_the_same_tenant_is_a_no_op_even_for_fixed_tenants() {
        let dsts =
            parse("https://dsts.core.windows.net/dstsv2/7a433bfc-2514-4697-b467-e0933190487f");
        let same = dsts
            .with_tenant("7a433bfc-2514-4697-b467-e0933190487f")
            .expect("ok");
        assert_eq!(same, dsts);
    }

    #[test]
    fn regional_uses_login_microsoft_com_for_every_public_alias() {
        for host in [
            "login.microsoftonline.com",
            "login.windows.net",
            "login.microsoft.com",
            "sts.windows.net",
        ] {
            let r = parse(&format!("https://{host}/contoso.com"))
                .regional("eastus")
                .expect(host);
            assert_eq!(r.host(), "eastus.login.microsoft.com");
            assert_eq!(r.central_host(), Some(host));
            assert_eq!(
                r.discovery_url().as_str(),
                "https://eastus.login.microsoft.com/contoso.com/v2.0/.well-known/openid-configuration"
            );
        }
    }

    #[test]
    fn regional_prefixes_other_hosts_and_keeps_the_port() {
        let r = parse("https://login.microsoftonline.us/t")
            .regional("usgovvirginia")
            .expect("ok");
        assert_eq!(r.host(), "usgovvirginia.login.microsoftonline.us");
        let local = parse("https://login.emulator.test:8443/t")
            .regional("westus")
            .expect("ok");
        assert_eq!(local.host_with_port(), "westus.login.emulator.test:8443");
        let again = local
            .regional("eastus")
            .expect("re-derived from the central host");
        assert_eq!(again.host(), "eastus.login.emulator.test");
    }

    #[test]
    fn regional_rejects_bad_regions_and_non_entra_authorities() {
        let a = parse("https://login.microsoftonline.com/common");
        for bad in [
            "",
            "West US",
            "westus-",
            "1westus",
            "west_us",
            &"a".repeat(64),
        ] {
            let err = a.regional(bad).expect_err(bad);
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{bad}");
        }
        assert!(a.regional(&"a".repeat(63)).is_ok());
        assert!(a.regional("w").is_ok());
        assert!(
            parse("https://adfs.contoso.com/adfs")
                .regional("westus")
                .is_err()
        );
        assert!(
            parse("https://127.0.0.1:8443/t")
                .regional("westus")
                .is_err()
        );
    }
}

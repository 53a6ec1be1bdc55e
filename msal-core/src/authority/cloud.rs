//! Azure clouds, their authority hosts, and the alias groups of protocol.md 8.2.

/// Authority host of the Azure public cloud.
pub const AUTHORITY_HOST_PUBLIC: &str = "login.microsoftonline.com";
/// Authority host of the Azure US Government cloud.
pub const AUTHORITY_HOST_US_GOVERNMENT: &str = "login.microsoftonline.us";
/// Authority host of Azure operated by 21Vianet (China), as Azure Identity names it.
pub const AUTHORITY_HOST_CHINA: &str = "login.chinacloudapi.cn";

/// The host that answers instance discovery for hosts outside the built-in list.
pub const INSTANCE_DISCOVERY_HOST: &str = AUTHORITY_HOST_PUBLIC;

/// Host suffixes of Azure AD B2C authorities (each preceded by a dot in a real host).
pub const B2C_HOST_SUFFIXES: [&str; 4] =
    ["b2clogin.com", "b2clogin.cn", "b2clogin.us", "b2clogin.de"];

/// Host suffix of Entra External ID (CIAM) authorities.
pub const CIAM_HOST_SUFFIX: &str = "ciamlogin.com";

/// The national clouds an application can target by name.
///
/// ```
/// use msal_core::authority::AzureCloud;
///
/// assert_eq!(AzureCloud::UsGovernment.authority_host(), "login.microsoftonline.us");
/// assert_eq!(AzureCloud::Public.authority_url("contoso.com"), "https://login.microsoftonline.com/contoso.com");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum AzureCloud {
    /// The Azure public cloud (`login.microsoftonline.com`).
    #[default]
    Public,
    /// Azure US Government (`login.microsoftonline.us`).
    UsGovernment,
    /// Azure operated by 21Vianet in China (`login.chinacloudapi.cn`).
    China,
}

impl AzureCloud {
    /// The cloud's authority host.
    pub fn authority_host(self) -> &'static str {
        match self {
            AzureCloud::Public => AUTHORITY_HOST_PUBLIC,
            AzureCloud::UsGovernment => AUTHORITY_HOST_US_GOVERNMENT,
            AzureCloud::China => AUTHORITY_HOST_CHINA,
        }
    }

    /// The authority URL of a tenant in this cloud, ready for
    /// [`Authority::parse`](super::Authority::parse).
    pub fn authority_url(self, tenant: &str) -> String {
        format!("https://{}/{tenant}", self.authority_host())
    }
}

/// One group of hosts that issue interchangeable tokens (one cloud).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AliasGroup {
    /// The host to send requests to.
    pub preferred_network: &'static str,
    /// The host tokens are cached under (the cache `environment`).
    pub preferred_cache: &'static str,
    /// Every host of the group, `preferred_network` included.
    pub aliases: &'static [&'static str],
}

/// The built-in alias groups (protocol.md 8.2). Hosts listed here are "known": instance
/// discovery is never run for them.
pub const ALIAS_GROUPS: &[AliasGroup] = &[
    AliasGroup {
        preferred_network: "login.microsoftonline.com",
        preferred_cache: "login.windows.net",
        aliases: &[
            "login.microsoftonline.com",
            "login.windows.net",
            "login.microsoft.com",
            "sts.windows.net",
        ],
    },
    AliasGroup {
        preferred_network: "login.partner.microsoftonline.cn",
        preferred_cache: "login.partner.microsoftonline.cn",
        aliases: &["login.partner.microsoftonline.cn", "login.chinacloudapi.cn"],
    },
    AliasGroup {
        preferred_network: "login.microsoftonline.de",
        preferred_cache: "login.microsoftonline.de",
        aliases: &["login.microsoftonline.de"],
    },
    AliasGroup {
        preferred_network: "login.microsoftonline.us",
        preferred_cache: "login.microsoftonline.us",
        aliases: &["login.microsoftonline.us", "login.usgovcloudapi.net"],
    },
    AliasGroup {
        preferred_network: "login-us.microsoftonline.com",
        preferred_cache: "login-us.microsoftonline.com",
        aliases: &["login-us.microsoftonline.com"],
    },
    AliasGroup {
        preferred_network: "login.sovcloud-identity.fr",
        preferred_cache: "login.sovcloud-identity.fr",
        aliases: &["login.sovcloud-identity.fr"],
    },
    AliasGroup {
        preferred_network: "login.sovcloud-identity.de",
        preferred_cache: "login.sovcloud-identity.de",
        aliases: &["login.sovcloud-identity.de"],
    },
    AliasGroup {
        preferred_network: "login.sovcloud-identity.sg",
        preferred_cache: "login.sovcloud-identity.sg",
        aliases: &["login.sovcloud-identity.sg"],
    },
    AliasGroup {
        preferred_network: "login.windows-ppe.net",
        preferred_cache: "login.windows-ppe.net",
        aliases: &[
            "login.windows-ppe.net",
            "sts.windows-ppe.net",
            "login.microsoft-ppe.com",
        ],
    },
];

/// The alias group a host belongs to (case-insensitive, host without port).
pub fn alias_group(host: &str) -> Option<&'static AliasGroup> {
    ALIAS_GROUPS
        .iter()
        .find(|g| g.aliases.iter().any(|a| a.eq_ignore_ascii_case(host)))
}

/// Whether the host (without port) is a built-in Microsoft authority host, for which instance
/// discovery is skipped and whose issuers are trusted.
///
/// ```
/// use msal_core::authority::is_known_host;
///
/// assert!(is_known_host("login.windows.net"));
/// assert!(is_known_host("LOGIN.microsoftonline.US"));
/// assert!(!is_known_host("login.contoso.com"));
/// ```
pub fn is_known_host(host: &str) -> bool {
    alias_group(host).is_some()
}

/// Whether the host is one of the public cloud's aliases, whose regional endpoints live under
/// `login.microsoft.com`.
pub(crate) fn is_public_cloud_host(host: &str) -> bool {
    ALIAS_GROUPS
        .first()
        .is_some_and(|g| g.aliases.iter().any(|a| a.eq_ignore_ascii_case(host)))
}

/// Whether `host` is `suffix` preceded by at least one label (`x.suffix`).
pub(crate) fn has_domain_suffix(host: &str, suffix: &str) -> bool {
    host.len() > suffix.len() + 1
        && host
            .get(host.len() - suffix.len()..)
            .is_some_and(|end| end.eq_ignore_ascii_case(suffix))
        && host.as_bytes().get(host.len() - suffix.len() - 1) == Some(&b'.')
}

/// Whether the host is a B2C host (`*.b2clogin.com` and its national variants).
pub(crate) fn is_b2c_host(host: &str) -> bool {
    B2C_HOST_SUFFIXES.iter().any(|s| has_domain_suffix(host, s))
}

/// Whether the host is a CIAM host (`*.ciamlogin.com`).
pub(crate) fn is_ciam_host(host: &str) -> bool {
    has_domain_suffix(host, CIAM_HOST_SUFFIX)
}

/// Whether the host names the local machine.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_hosts_cover_every_alias_of_every_group() {
        for group in ALIAS_GROUPS {
            assert!(group.aliases.contains(&group.preferred_network));
            for alias in group.aliases {
                assert!(is_known_host(alias), "{alias}");
            }
        }
        assert!(!is_known_host("127.0.0.1"));
        assert!(!is_known_host("evil-login.microsoftonline.com"));
    }

    #[test]
    fn public_group_prefers_windows_net_for_the_cache() {
        let group = alias_group("sts.windows.net").expect("public group");
        assert_eq!(group.preferred_network, "login.microsoftonline.com");
        assert_eq!(group.preferred_cache, "login.windows.net");
        assert!(is_public_cloud_host("login.microsoft.com"));
        assert!(!is_public_cloud_host("login.microsoftonline.us"));
    }

    #[test]
    fn domain_suffix_needs_a_label_and_a_dot() {
        assert!(is_b2c_host("contoso.b2clogin.com"));
        assert!(is_b2c_host("contoso.b2clogin.de"));
        assert!(!is_b2c_host("b2clogin.com"));
        assert!(!is_b2c_host("evilb2clogin.com"));
        assert!(is_ciam_host("contoso.ciamlogin.com"));
        assert!(!is_ciam_host("contosociamlogin.com"));
    }
}

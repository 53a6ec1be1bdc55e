//! Environment (authority host) aliases: hosts of one cloud find each other's tokens.

/// Alias groups of the well-known clouds; the first host of a group names the group.
const GROUPS: &[&[&str]] = &[
    &[
        "login.microsoftonline.com",
        "login.windows.net",
        "login.microsoft.com",
        "sts.windows.net",
    ],
    &["login.partner.microsoftonline.cn", "login.chinacloudapi.cn"],
    &["login.microsoftonline.us", "login.usgovcloudapi.net"],
    &[
        "login.windows-ppe.net",
        "sts.windows-ppe.net",
        "login.microsoft-ppe.com",
    ],
];

/// The name of the alias group of `environment`: the group's first host for a known cloud,
/// `environment` itself otherwise (ADFS, B2C, CIAM, test hosts). Compare results
/// case-insensitively.
pub fn group(environment: &str) -> &str {
    for group in GROUPS {
        if group.iter().any(|h| h.eq_ignore_ascii_case(environment)) {
            return group.first().copied().unwrap_or(environment);
        }
    }
    environment
}

/// Whether two environments are the same cloud.
pub fn same_cloud(a: &str, b: &str) -> bool {
    group(a).eq_ignore_ascii_case(group(b))
}

/// Every known alias of `environment` (just `environment` for an unknown host).
pub fn aliases(environment: &str) -> Vec<&str> {
    GROUPS
        .iter()
        .find(|g| g.iter().any(|h| h.eq_ignore_ascii_case(environment)))
        .map_or_else(|| vec![environment], |g| g.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_cloud_hosts_are_one_group_case_insensitively() {
        assert!(same_cloud("login.windows.net", "LOGIN.microsoftonline.com"));
        assert!(same_cloud("sts.windows.net", "login.microsoft.com"));
        assert!(same_cloud(
            "login.chinacloudapi.cn",
            "login.partner.microsoftonline.cn"
        ));
        assert!(same_cloud(
            "login.usgovcloudapi.net",
            "login.microsoftonline.us"
        ));
    }

    #[test]
    fn different_clouds_and_unknown_hosts_do_not_match() {
        assert!(!same_cloud(
            "login.microsoftonline.com",
            "login.microsoftonline.us"
        ));
        assert!(!same_cloud("adfs.contoso.com", "login.microsoftonline.com"));
        assert!(same_cloud("adfs.contoso.com", "ADFS.contoso.com"));
        assert_eq!(aliases("127.0.0.1"), vec!["127.0.0.1"]);
        assert_eq!(aliases("login.windows.net").len(), 4);
    }
}

//! Scope strings: OIDC scopes, resources, consent checks.

use crate::config::AppConfig;
use crate::errors::{AadError, invalid_scope};

/// Resource of short scope names such as `User.Read`.
pub(crate) const GRAPH: &str = "https://graph.microsoft.com";
const OIDC: &[&str] = &["openid", "profile", "email", "offline_access"];

/// A parsed `scope` parameter.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ScopeSet {
    /// OIDC scopes as sent (lower-cased).
    pub oidc: Vec<String>,
    /// Resource scopes as sent.
    pub other: Vec<String>,
}

/// Splits a resource scope into (resource, permission).
pub(crate) fn split(scope: &str) -> Option<(String, String)> {
    if scope.contains("://") || scope.starts_with("api:") || scope.contains('/') {
        let (res, name) = scope.rsplit_once('/')?;
        if res.is_empty() || name.is_empty() || res.ends_with(':') {
            return None;
        }
        Some((res.trim_end_matches('/').to_string(), name.to_string()))
    } else {
        Some((GRAPH.to_string(), scope.to_string()))
    }
}

fn well_formed(scope: &str) -> bool {
    scope
        .chars()
        .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
}

impl ScopeSet {
    /// Parses a space-separated scope string.
    pub fn parse(text: &str) -> ScopeSet {
        let mut s = ScopeSet::default();
        for part in text.split(' ').filter(|p| !p.is_empty()) {
            if OIDC.iter().any(|o| o.eq_ignore_ascii_case(part)) {
                s.oidc.push(part.to_ascii_lowercase());
            } else if !s.other.iter().any(|o| o == part) {
                s.other.push(part.to_string());
            }
        }
        s
    }

    /// Whether an OIDC scope was requested.
    pub fn has(&self, oidc: &str) -> bool {
        self.oidc.iter().any(|o| o == oidc)
    }

    /// The single resource of the resource scopes (Graph when there are none).
    pub fn resource(&self) -> Result<String, AadError> {
        let mut resource: Option<String> = None;
        for s in &self.other {
            if !well_formed(s) {
                return Err(invalid_scope(&format!("The scope '{s}' is malformed.")));
            }
            let (r, _) =
                split(s).ok_or_else(|| invalid_scope(&format!("The scope '{s}' is malformed.")))?;
            match &resource {
                Some(prev) if !prev.eq_ignore_ascii_case(&r) => {
                    return Err(AadError::new(
                        "invalid_scope",
                        28000,
                        format!(
                            "Provided value for the input parameter scope '{}' is not valid because it contains more than one resource. Scope {} is not valid.",
                            self.other.join(" "),
                            self.other.join(" ")
                        ),
                    ));
                }
                _ => resource = Some(r),
            }
        }
        Ok(resource.unwrap_or_else(|| GRAPH.to_string()))
    }

    /// The first resource scope the app was not granted, if any.
    pub fn first_not_granted(&self, app: &AppConfig) -> Option<String> {
        self.other.iter().find(|s| !granted(app, s)).cloned()
    }

    /// The `scp` claim: permission names (`.default` expands to the granted ones).
    pub fn scp(&self, app: &AppConfig, resource: &str) -> String {
        let mut names: Vec<String> = Vec::new();
        for s in &self.other {
            if let Some((_, n)) = split(s) {
                if n == ".default" {
                    for g in &app.granted_scopes {
                        if let Some((gr, gn)) = split(g)
                            && gr.eq_ignore_ascii_case(resource)
                            && gn != ".default"
                            && !names.contains(&gn)
                        {
                            names.push(gn);
                        }
                    }
                } else if !names.contains(&n) {
                    names.push(n);
                }
            }
        }
        if names.is_empty() {
            names.push(if resource == GRAPH {
                "User.Read".into()
            } else {
                "user_impersonation".into()
            });
        }
        names.join(" ")
    }

    /// The `scope` field of a user-token answer: resource scopes as requested plus the
    /// OIDC scopes except `offline_access`.
    pub fn response_scope(&self) -> String {
        let mut out: Vec<&str> = self.other.iter().map(String::as_str).collect();
        for o in ["openid", "profile", "email"] {
            if self.has(o) {
                out.push(o);
            }
        }
        out.join(" ")
    }
}

/// Whether the app was granted a scope (`res/.default` grants all of `res`).
pub(crate) fn granted(app: &AppConfig, scope: &str) -> bool {
    let Some((res, name)) = split(scope) else {
        return false;
    };
    app.granted_scopes
        .iter()
        .filter_map(|g| split(g))
        .any(|(gr, gn)| {
            gr.eq_ignore_ascii_case(&res)
                && (gn == ".default" || gn.eq_ignore_ascii_case(&name) || name == ".default")
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EmulatorConfig;

    fn app() -> AppConfig {
        EmulatorConfig::default().tenants[0].apps[0].clone()
    }

    #[test]
    fn parse_separates_oidc_scopes() {
        let s = ScopeSet::parse("User.Read offline_access openid profile");
        assert_eq!(s.other, vec!["User.Read"]);
        assert!(s.has("offline_access") && s.has("openid"));
        assert_eq!(s.response_scope(), "User.Read openid profile");
    }

    #[test]
    fn short_names_belong_to_graph_and_multiple_resources_fail() {
        assert_eq!(ScopeSet::parse("User.Read").resource().unwrap(), GRAPH);
        let r = ScopeSet::parse("https://graph.microsoft.com/User.Read api://x/y").resource();
        assert_eq!(r.unwrap_err().code, 28000);
        let bad = ScopeSet::parse("api:/").resource();
        assert_eq!(bad.unwrap_err().code, 70011);
    }

    #[test]
    fn default_grant_covers_resource_and_others_are_not_granted() {
        let a = app();
        assert!(granted(&a, "https://graph.microsoft.com/User.Read"));
        assert!(granted(&a, "User.Read"));
        assert!(!granted(&a, "https://unknown.example/Read"));
        let s = ScopeSet::parse("https://unknown.example/Read openid");
        assert_eq!(
            s.first_not_granted(&a).as_deref(),
            Some("https://unknown.example/Read")
        );
    }

    #[test]
    fn scp_uses_permission_names() {
        let a = app();
        let s = ScopeSet::parse(
            "https://graph.microsoft.com/User.Read https://graph.microsoft.com/Mail.Read",
        );
        assert_eq!(s.scp(&a, GRAPH), "User.Read Mail.Read");
    }
}

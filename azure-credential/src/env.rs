//! Where environment variables are read: the process environment, or a fixed map (tests,
//! configuration from elsewhere). Credentials never read `std::env` directly.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// A source of environment variables.
///
/// ```
/// use azure_credential::Env;
///
/// let env = Env::from_pairs([("AZURE_TENANT_ID", "contoso.com")]);
/// assert_eq!(env.var("AZURE_TENANT_ID").as_deref(), Some("contoso.com"));
/// assert_eq!(env.var("AZURE_CLIENT_ID"), None);
/// ```
#[derive(Clone, Default)]
pub struct Env {
    fixed: Option<Arc<HashMap<String, String>>>,
}

impl Env {
    /// The process environment (the default).
    pub fn process() -> Self {
        Self { fixed: None }
    }

    /// A fixed set of variables; nothing else is visible.
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let map = pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        Self {
            fixed: Some(Arc::new(map)),
        }
    }

    /// The value of `name`; an empty or non-UTF-8 value counts as unset.
    pub fn var(&self, name: &str) -> Option<String> {
        let value = match &self.fixed {
            Some(map) => map.get(name).cloned(),
            None => std::env::var(name).ok(),
        };
        value.filter(|v| !v.trim().is_empty())
    }
}

impl fmt::Debug for Env {
    /// Lists variable names only: values may be secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.fixed {
            None => f.write_str("Env::process"),
            Some(map) => {
                let mut names: Vec<&String> = map.keys().collect();
                names.sort();
                f.debug_tuple("Env::fixed").field(&names).finish()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_count_as_unset_and_debug_hides_values() {
        let env = Env::from_pairs([("A", " "), ("AZURE_CLIENT_SECRET", "s3cr3t-value")]);
        assert_eq!(env.var("A"), None);
        let shown = format!("{env:?}");
        assert!(shown.contains("AZURE_CLIENT_SECRET"));
        assert!(!shown.contains("s3cr3t-value"));
    }
}

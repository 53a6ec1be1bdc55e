//! Scopes: validation, the decoration of user flows with the reserved OIDC scopes, and the
//! wire format (one space-separated string).
//!
//! User flows (authorization code, device code, username/password, refresh, on-behalf-of)
//! send the caller's scopes plus `openid profile offline_access`, sorted by code point and
//! joined by spaces, as MSAL Python does. The caller may not name a reserved scope itself
//! (MSAL Python raises for that too); [`Scopes::for_user`] can leave `offline_access` out,
//! which means no refresh token comes back. The client credentials grant sends the scope
//! undecorated ([`Scopes::for_client`]).
//!
//! Differences from MSAL Python, on purpose: the reserved-scope check ignores case (Entra
//! does), scopes that are empty or contain whitespace are rejected (they would change the
//! wire string), and B2C's "client id as the only scope" special case is not handled here.

use std::fmt;

use crate::{Error, ErrorKind, Result};

/// `openid`: asks for an id token.
pub const OPENID: &str = "openid";
/// `profile`: asks for the user's profile claims in the id token.
pub const PROFILE: &str = "profile";
/// `offline_access`: asks for a refresh token.
pub const OFFLINE_ACCESS: &str = "offline_access";
/// The scopes MSAL adds to every user flow and that callers may not pass themselves.
pub const RESERVED_SCOPES: [&str; 3] = [OPENID, PROFILE, OFFLINE_ACCESS];

/// A validated list of scopes, kept in the order it is sent on the wire.
///
/// ```
/// use msal_core::oauth2::Scopes;
///
/// let user = Scopes::for_user(&["User.Read"], false)?;
/// assert_eq!(user.to_wire(), "User.Read offline_access openid profile");
///
/// let app = Scopes::for_client(&["https://graph.microsoft.com/.default"])?;
/// assert_eq!(app.to_wire(), "https://graph.microsoft.com/.default");
/// # Ok::<(), msal_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scopes(Vec<String>);

impl Scopes {
    /// The scopes of a user flow: the caller's scopes plus `openid profile offline_access`
    /// (without `offline_access` when `exclude_offline_access`), sorted by code point with
    /// duplicates removed. An empty list is allowed (only the reserved scopes are sent).
    ///
    /// Fails with [`ErrorKind::InvalidArgument`] when a scope is empty, contains whitespace
    /// or is one of the reserved scopes (in any case).
    pub fn for_user<S: AsRef<str>>(scopes: &[S], exclude_offline_access: bool) -> Result<Self> {
        let mut out = Vec::with_capacity(scopes.len() + RESERVED_SCOPES.len());
        for scope in scopes {
            let scope = validate(scope.as_ref())?;
            if is_reserved(scope) {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!(
                        "the scope '{scope}' is reserved: MSAL adds openid, profile and \
                         offline_access itself, so remove it from the requested scopes"
                    ),
                ));
            }
            out.push(scope.to_owned());
        }
        out.extend(
            RESERVED_SCOPES
                .iter()
                .filter(|s| !(exclude_offline_access && **s == OFFLINE_ACCESS))
                .map(|s| (*s).to_owned()),
        );
        out.sort();
        out.dedup();
        Ok(Self(out))
    }

    /// The scopes of the client credentials grant, sent as given (duplicates removed, order
    /// kept). Fails with [`ErrorKind::InvalidArgument`] when the list is empty or a scope is
    /// empty or contains whitespace.
    pub fn for_client<S: AsRef<str>>(scopes: &[S]) -> Result<Self> {
        if scopes.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "no scope given: the client credentials grant needs one scope of the form \
                 '{resource}/.default'",
            ));
        }
        let mut out: Vec<String> = Vec::with_capacity(scopes.len());
        for scope in scopes {
            let scope = validate(scope.as_ref())?;
            if !out.iter().any(|s| s == scope) {
                out.push(scope.to_owned());
            }
        }
        Ok(Self(out))
    }

    /// Splits a wire string (such as a token response's `scope`) on whitespace, without any
    /// validation or decoration.
    pub fn from_wire(value: &str) -> Self {
        Self(value.split_whitespace().map(str::to_owned).collect())
    }

    /// The scopes joined by single spaces, as sent in the `scope` parameter.
    pub fn to_wire(&self) -> String {
        self.0.join(" ")
    }

    /// The scopes, in wire order.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// Whether there is no scope.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the list contains the scope, ignoring ASCII case.
    pub fn contains_ignore_case(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s.eq_ignore_ascii_case(scope))
    }

    /// Whether every scope of `other` is in this list, ignoring ASCII case. Useful to test
    /// whether a cached token's scopes cover the requested ones.
    pub fn contains_all_ignore_case(&self, other: &Scopes) -> bool {
        other.0.iter().all(|s| self.contains_ignore_case(s))
    }

    /// The list without the reserved OIDC scopes (ignoring case): what the caller asked for.
    #[must_use]
    pub fn without_reserved(&self) -> Self {
        Self(self.0.iter().filter(|s| !is_reserved(s)).cloned().collect())
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_wire())
    }
}

/// Whether `scope` is one of `openid`, `profile`, `offline_access`, ignoring ASCII case.
pub fn is_reserved(scope: &str) -> bool {
    RESERVED_SCOPES
        .iter()
        .any(|r| r.eq_ignore_ascii_case(scope))
}

fn validate(scope: &str) -> Result<&str> {
    if scope.is_empty() || scope.chars().any(char::is_whitespace) {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "the scope {scope:?} is not valid: a scope is a non-empty string without \
                 spaces (pass several scopes as separate items)"
            ),
        ));
    }
    Ok(scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_scopes_are_decorated_and_sorted_by_code_point() {
        let s = Scopes::for_user(&["https://graph.microsoft.com/User.Read"], false).unwrap();
        assert_eq!(
            s.to_wire(),
            "https://graph.microsoft.com/User.Read offline_access openid profile"
        );
        // Upper case sorts before lower case, as in Python's sorted().
        let s = Scopes::for_user(&["mail.read", "User.Read"], false).unwrap();
        assert_eq!(
            s.to_wire(),
            "User.Read mail.read offline_access openid profile"
        );
    }

    #[test]
    fn user_scopes_can_exclude_offline_access() {
        let s = Scopes::for_user(&["User.Read"], true).unwrap();
        assert_eq!(s.to_wire(), "User.Read openid profile");
    }

    #[test]
    fn empty_user_scope_list_sends_only_reserved_scopes() {
        let s = Scopes::for_user::<&str>(&[], false).unwrap();
        assert_eq!(s.to_wire(), "offline_access openid profile");
    }

    #[test]
    fn reserved_scope_in_user_input_is_invalid_argument_in_any_case() {
        for reserved in ["openid", "Profile", "OFFLINE_ACCESS"] {
            let err = Scopes::for_user(&["User.Read", reserved], false).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{reserved}");
            assert!(err.message().contains("reserved"));
        }
    }

    #[test]
    fn blank_or_spaced_scopes_are_invalid_argument() {
        for bad in ["", " ", "a b", "a\tb"] {
            assert_eq!(
                Scopes::for_user(&[bad], false).unwrap_err().kind(),
                ErrorKind::InvalidArgument
            );
            assert_eq!(
                Scopes::for_client(&[bad]).unwrap_err().kind(),
                ErrorKind::InvalidArgument
            );
        }
    }

    #[test]
    fn duplicates_are_sent_once() {
        let s = Scopes::for_user(&["b", "a", "b"], true).unwrap();
        assert_eq!(s.to_wire(), "a b openid profile");
        let c = Scopes::for_client(&["x/.default", "x/.default"]).unwrap();
        assert_eq!(c.to_wire(), "x/.default");
    }

    #[test]
    fn client_scopes_are_not_decorated_and_must_not_be_empty() {
        let c = Scopes::for_client(&["https://graph.microsoft.com/.default"]).unwrap();
        assert_eq!(c.as_slice(), ["https://graph.microsoft.com/.default"]);
        let err = Scopes::for_client::<&str>(&[]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn case_insensitive_helpers_match_cache_targets() {
        let granted = Scopes::from_wire("https://graph.microsoft.com/User.Read openid  profile");
        assert_eq!(granted.as_slice().len(), 3);
        assert!(granted.contains_ignore_case("https://graph.microsoft.com/user.read"));
        assert!(!granted.contains_ignore_case("Mail.Read"));
        let asked = Scopes::from_wire("OPENID https://graph.microsoft.com/USER.READ");
        assert!(granted.contains_all_ignore_case(&asked));
        assert!(!asked.contains_all_ignore_case(&granted));
        assert_eq!(
            granted.without_reserved().to_wire(),
            "https://graph.microsoft.com/User.Read"
        );
    }
}

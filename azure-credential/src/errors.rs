//! The credential-level errors: "unavailable" (chains move on) and "authentication required".

use msal_core::{EntraError, Error, ErrorKind};

/// The credential cannot be used here (not configured, tool missing).
pub(crate) fn unavailable(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::CredentialUnavailable, message.into())
}

/// Automatic authentication is disabled and silent authentication failed.
pub(crate) fn authentication_required(
    scopes: &[&str],
    claims: Option<&str>,
    cause: Option<&Error>,
) -> Error {
    let message = format!(
        "interactive authentication is required to get a token for scopes [{}], and automatic \
         authentication is disabled: call authenticate() with these scopes{}",
        scopes.join(", "),
        if claims.is_some() {
            " and the claims carried by this error"
        } else {
            ""
        }
    );
    let mut entra = cause
        .and_then(Error::entra)
        .cloned()
        .unwrap_or_else(EntraError::default);
    if entra.claims.is_none() {
        entra.claims = claims.map(str::to_owned);
    }
    Error::from_entra(ErrorKind::AuthenticationRequired, message, entra)
}

/// Checks that a request names at least one scope.
pub(crate) fn check_scopes(scopes: &[&str]) -> msal_core::Result<()> {
    if scopes.is_empty() || scopes.iter().any(|s| s.trim().is_empty()) {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "at least one non-empty scope is required",
        ));
    }
    Ok(())
}

/// Checks a required constructor argument.
pub(crate) fn require(value: &str, what: &str) -> msal_core::Result<()> {
    if value.trim().is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("the {what} is empty"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authentication_required_names_the_scopes_and_carries_the_claims() {
        let err = authentication_required(&["a/.default", "b"], Some("{\"x\":1}"), None);
        assert_eq!(err.kind(), ErrorKind::AuthenticationRequired);
        assert!(err.message().contains("[a/.default, b]"));
        assert_eq!(err.claims(), Some("{\"x\":1}"));
    }
}

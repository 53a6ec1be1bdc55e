//! `ChainedTokenCredential`: tries credentials in order.

use std::fmt::Write as _;
use std::sync::Arc;

use async_trait::async_trait;
use msal_core::{AccessTokenInfo, Error, ErrorKind, Result, TokenCredential, TokenRequestOptions};

/// Tries each credential in order and returns the first token. It moves on only after
/// [`ErrorKind::CredentialUnavailable`]; any other failure stops the chain (the credential
/// was configured and authentication failed). Every call starts again from the first
/// credential, as azure-identity's chain does ([`DefaultAzureCredential`](crate::DefaultAzureCredential)
/// instead keeps the one that worked).
#[derive(Debug)]
pub struct ChainedTokenCredential {
    credentials: Vec<Arc<dyn TokenCredential>>,
}

impl ChainedTokenCredential {
    /// A chain of `credentials`. Errors: [`ErrorKind::InvalidArgument`] when empty.
    pub fn new(credentials: Vec<Arc<dyn TokenCredential>>) -> Result<Arc<Self>> {
        if credentials.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "a chained credential needs at least one credential",
            ));
        }
        Ok(Arc::new(Self { credentials }))
    }
}

#[async_trait]
impl TokenCredential for ChainedTokenCredential {
    async fn get_token_info(
        &self,
        scopes: &[&str],
        options: TokenRequestOptions,
    ) -> Result<AccessTokenInfo> {
        run_chain(
            "ChainedTokenCredential",
            &self.credentials,
            scopes,
            &options,
        )
        .await
        .map(|(token, _)| token)
    }
}

/// The short name of a credential (its `Debug` up to the first brace or parenthesis).
pub(crate) fn credential_name(credential: &dyn TokenCredential) -> String {
    let shown = format!("{credential:?}");
    shown
        .split(|c: char| c == '{' || c == '(' || c.is_whitespace())
        .next()
        .unwrap_or("credential")
        .to_owned()
}

/// Runs `credentials` in order; returns the token and the index of the one that gave it, or
/// an error listing every attempt.
pub(crate) async fn run_chain(
    chain: &str,
    credentials: &[Arc<dyn TokenCredential>],
    scopes: &[&str],
    options: &TokenRequestOptions,
) -> Result<(AccessTokenInfo, usize)> {
    let mut attempts = String::new();
    for (index, credential) in credentials.iter().enumerate() {
        let name = credential_name(credential.as_ref());
        match credential.get_token_info(scopes, options.clone()).await {
            Ok(token) => {
                tracing::debug!(chain, credential = %name, "credential returned a token");
                return Ok((token, index));
            }
            Err(error) => {
                let _ = write!(attempts, "\n\t{name}: {error}");
                if error.kind() != ErrorKind::CredentialUnavailable {
                    tracing::debug!(chain, credential = %name, kind = error.kind().as_str(), "credential failed; the chain stops");
                    let message = format!(
                        "{chain} failed: {name} failed to authenticate. Attempted credentials:{attempts}"
                    );
                    return Err(Error::with_source(error.kind(), message, error));
                }
                tracing::debug!(chain, credential = %name, "credential unavailable; trying the next");
            }
        }
    }
    Err(Error::new(
        ErrorKind::CredentialUnavailable,
        format!(
            "{chain} failed to retrieve a token from the included credentials. Attempted \
             credentials:{attempts}"
        ),
    ))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use msal_core::Secret;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use time::OffsetDateTime;

    /// A credential answering with a fixed outcome and counting its calls.
    #[derive(Debug)]
    pub(crate) struct Fixed {
        pub outcome: std::result::Result<&'static str, ErrorKind>,
        pub calls: AtomicUsize,
    }

    impl Fixed {
        pub(crate) fn new(outcome: std::result::Result<&'static str, ErrorKind>) -> Arc<Self> {
            Arc::new(Self {
                outcome,
                calls: AtomicUsize::new(0),
            })
        }
    }

    #[async_trait]
    impl TokenCredential for Fixed {
        async fn get_token_info(
            &self,
            _: &[&str],
            _: TokenRequestOptions,
        ) -> Result<AccessTokenInfo> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            match self.outcome {
                Ok(t) => Ok(AccessTokenInfo {
                    token: Secret::new(t),
                    expires_on: OffsetDateTime::now_utc() + time::Duration::hours(1),
                    token_type: "Bearer".into(),
                    refresh_on: None,
                }),
                Err(kind) => Err(Error::new(kind, format!("fixed {kind}"))),
            }
        }
    }

    #[tokio::test]
    async fn moves_on_after_unavailable_and_stops_after_a_failure() {
        let (a, b, c) = (
            Fixed::new(Err(ErrorKind::CredentialUnavailable)),
            Fixed::new(Err(ErrorKind::InvalidClient)),
            Fixed::new(Ok("c")),
        );
        let chain = ChainedTokenCredential::new(vec![a.clone(), b.clone(), c.clone()]).unwrap();
        let err = chain
            .get_token(&["s"], TokenRequestOptions::default())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidClient);
        assert!(err.message().contains("Attempted credentials"), "{err}");
        assert!(
            err.message()
                .contains("Fixed: fixed credential unavailable"),
            "{err}"
        );
        assert_eq!(c.calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn first_token_wins_and_the_chain_does_not_remember_it() {
        let (a, b) = (
            Fixed::new(Err(ErrorKind::CredentialUnavailable)),
            Fixed::new(Ok("b")),
        );
        let chain = ChainedTokenCredential::new(vec![a.clone(), b.clone()]).unwrap();
        for _ in 0..2 {
            let token = chain
                .get_token(&["s"], TokenRequestOptions::default())
                .await
                .unwrap();
            assert_eq!(token.token.expose(), "b");
        }
        assert_eq!(a.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn all_unavailable_is_unavailable_listing_each() {
        let chain = ChainedTokenCredential::new(vec![
            Fixed::new(Err(ErrorKind::CredentialUnavailable)),
            Fixed::new(Err(ErrorKind::CredentialUnavailable)),
        ])
        .unwrap();
        let err = chain
            .get_token(&["s"], TokenRequestOptions::default())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CredentialUnavailable);
        assert_eq!(err.message().matches("\n\tFixed").count(), 2);
        assert!(ChainedTokenCredential::new(vec![]).is_err());
    }
}

//! How a confidential client proves its identity: a secret, a certificate or an assertion
//! callback.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use msal_core::crypto::AssertionSigner;
use msal_core::oauth2::ClientAuth;
use msal_core::{Error, ErrorKind, Result, Secret};

/// A boxed, sendable future, the return type of an assertion callback.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A callback that produces a client assertion (a signed JWT, such as a federated workload
/// identity token). It is called once per token request.
pub type AssertionCallback = Arc<dyn Fn() -> BoxFuture<'static, Result<Secret>> + Send + Sync>;

/// The credential of a confidential client.
#[derive(Clone)]
#[non_exhaustive]
pub enum ClientCredential {
    /// A client secret, sent as `client_secret`.
    Secret(Secret),
    /// A certificate: each request carries a client assertion signed with its key.
    Certificate {
        /// Signs (and reuses while fresh) the assertion.
        signer: AssertionSigner,
    },
    /// An assertion from the application, asked for once per request.
    Assertion(AssertionCallback),
}

impl fmt::Debug for ClientCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientCredential::Secret(_) => f.write_str("ClientCredential::Secret(***)"),
            ClientCredential::Certificate { signer } => f
                .debug_struct("ClientCredential::Certificate")
                .field("subject", &signer.certificate().subject())
                .finish(),
            ClientCredential::Assertion(_) => f.write_str("ClientCredential::Assertion(callback)"),
        }
    }
}

impl ClientCredential {
    /// The client authentication of one request to `token_endpoint` (the assertion
    /// audience).
    pub async fn client_auth(&self, client_id: &str, token_endpoint: &str) -> Result<ClientAuth> {
        match self {
            ClientCredential::Secret(secret) => Ok(ClientAuth::Secret(secret.clone())),
            ClientCredential::Certificate { signer } => signer
                .assertion(client_id, token_endpoint)
                .map(ClientAuth::Assertion),
            ClientCredential::Assertion(callback) => {
                let assertion = callback().await?;
                if assertion.is_empty() {
                    return Err(Error::new(
                        ErrorKind::InvalidArgument,
                        "the client assertion callback returned an empty assertion",
                    ));
                }
                Ok(ClientAuth::Assertion(assertion))
            }
        }
    }
}

/// The client authentication of an optional credential (public clients have none).
pub(crate) async fn client_auth_of(
    credential: Option<&ClientCredential>,
    client_id: &str,
    token_endpoint: &str,
) -> Result<ClientAuth> {
    match credential {
        Some(c) => c.client_auth(client_id, token_endpoint).await,
        None => Ok(ClientAuth::None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn assertion_callback_is_called_for_every_request() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let credential = ClientCredential::Assertion(Arc::new(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move { Ok(Secret::new(format!("jwt-{n}"))) })
        }));
        for expected in ["jwt-0", "jwt-1"] {
            match credential
                .client_auth("c", "https://t/token")
                .await
                .unwrap()
            {
                ClientAuth::Assertion(a) => assert_eq!(a.expose(), expected),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn empty_assertion_from_the_callback_is_an_invalid_argument() {
        let credential =
            ClientCredential::Assertion(Arc::new(|| Box::pin(async { Ok(Secret::new("")) })));
        let err = credential
            .client_auth("c", "https://t/token")
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn debug_of_a_secret_credential_hides_the_secret() {
        let shown = format!("{:?}", ClientCredential::Secret(Secret::new("hunter2")));
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}

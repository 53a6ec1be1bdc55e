//! `EnvironmentCredential`: a credential configured by `AZURE_*` variables.

use std::sync::Arc;

use async_trait::async_trait;
use msal_core::{AccessTokenInfo, Result, Secret, TokenCredential, TokenRequestOptions};

use crate::client_certificate::{ClientCertificateCredential, ClientCertificateCredentialOptions};
use crate::client_secret::{ClientSecretCredential, ClientSecretCredentialOptions};
use crate::errors::unavailable;
use crate::options::CredentialOptions;
use crate::username_password::{UsernamePasswordCredential, UsernamePasswordCredentialOptions};

/// Options of [`EnvironmentCredential`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct EnvironmentCredentialOptions {
    /// Options every credential has; `env` is where the variables are read.
    pub credential_options: CredentialOptions,
}

/// A credential chosen by environment variables; the first complete set wins:
///
/// 1. `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`: [`ClientSecretCredential`];
/// 2. `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_CERTIFICATE_PATH` (PEM or PKCS#12;
///    `AZURE_CLIENT_CERTIFICATE_PASSWORD`, `AZURE_CLIENT_SEND_CERTIFICATE_CHAIN` optional):
///    [`ClientCertificateCredential`];
/// 3. `AZURE_CLIENT_ID`, `AZURE_USERNAME`, `AZURE_PASSWORD` (`AZURE_TENANT_ID` optional):
///    [`UsernamePasswordCredential`] (deprecated, see its docs).
///
/// `AZURE_AUTHORITY_HOST` picks the cloud. With no complete set, `get_token` fails with
/// [`ErrorKind::CredentialUnavailable`](msal_core::ErrorKind).
#[derive(Debug)]
pub struct EnvironmentCredential {
    inner: std::result::Result<Arc<dyn TokenCredential>, msal_core::Error>,
}

impl EnvironmentCredential {
    /// Reads the variables now. Construction fails only when a complete set is unusable (an
    /// unreadable certificate); incomplete sets make the credential unavailable.
    pub fn new(options: Option<EnvironmentCredentialOptions>) -> Result<Arc<Self>> {
        let options = options.unwrap_or_default().credential_options;
        let inner = select(options)?;
        Ok(Arc::new(Self { inner }))
    }

    /// Whether a complete set of variables was found.
    pub fn is_configured(&self) -> bool {
        self.inner.is_ok()
    }
}

fn select(
    options: CredentialOptions,
) -> Result<std::result::Result<Arc<dyn TokenCredential>, msal_core::Error>> {
    let env = options.env.clone();
    let var = |name: &str| env.var(name);
    let tenant = var("AZURE_TENANT_ID");
    let client = var("AZURE_CLIENT_ID");
    if let (Some(tenant), Some(client), Some(secret)) =
        (&tenant, &client, var("AZURE_CLIENT_SECRET"))
    {
        let o = ClientSecretCredentialOptions {
            credential_options: options,
        };
        return Ok(Ok(ClientSecretCredential::new(
            tenant,
            client,
            secret,
            Some(o),
        )?));
    }
    if let (Some(tenant), Some(client), Some(path)) =
        (&tenant, &client, var("AZURE_CLIENT_CERTIFICATE_PATH"))
    {
        let send_chain = var("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN")
            .is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"));
        let o = ClientCertificateCredentialOptions {
            credential_options: options,
            password: var("AZURE_CLIENT_CERTIFICATE_PASSWORD").map(Secret::new),
            send_certificate_chain: send_chain,
        };
        return Ok(Ok(ClientCertificateCredential::from_path(
            tenant,
            client,
            path,
            Some(o),
        )?));
    }
    if let (Some(client), Some(username), Some(password)) =
        (&client, var("AZURE_USERNAME"), var("AZURE_PASSWORD"))
    {
        let o = UsernamePasswordCredentialOptions {
            credential_options: options,
            tenant_id: tenant.clone(),
            ..Default::default()
        };
        return Ok(Ok(UsernamePasswordCredential::new(
            client.as_str(),
            username,
            Secret::new(password),
            Some(o),
        )?));
    }
    Ok(Err(unavailable(
        "EnvironmentCredential: environment variables are not fully configured; set \
         AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or \
         AZURE_CLIENT_CERTIFICATE_PATH)",
    )))
}

#[async_trait]
impl TokenCredential for EnvironmentCredential {
    async fn get_token_info(
        &self,
        scopes: &[&str],
        options: TokenRequestOptions,
    ) -> Result<AccessTokenInfo> {
        match &self.inner {
            Ok(credential) => credential.get_token_info(scopes, options).await,
            Err(error) => Err(error.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::Env;
    use msal_core::ErrorKind;

    fn with_env(pairs: &[(&str, &str)]) -> Arc<EnvironmentCredential> {
        let options = EnvironmentCredentialOptions {
            credential_options: CredentialOptions {
                env: Env::from_pairs(pairs.iter().copied()),
                ..Default::default()
            },
        };
        EnvironmentCredential::new(Some(options)).unwrap()
    }

    #[tokio::test]
    async fn incomplete_variables_make_it_unavailable() {
        let credential = with_env(&[("AZURE_TENANT_ID", "t"), ("AZURE_CLIENT_ID", "c")]);
        assert!(!credential.is_configured());
        let err = credential
            .get_token(&["s"], TokenRequestOptions::default())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CredentialUnavailable);
    }

    #[test]
    fn secret_set_wins_over_the_user_set() {
        let credential = with_env(&[
            ("AZURE_TENANT_ID", "t"),
            ("AZURE_CLIENT_ID", "c"),
            ("AZURE_CLIENT_SECRET", "s"),
            ("AZURE_USERNAME", "u"),
            ("AZURE_PASSWORD", "p"),
        ]);
        let shown = format!("{credential:?}");
        assert!(shown.contains("ClientSecretCredential"), "{shown}");
    }

    #[test]
    fn user_set_defaults_to_organizations() {
        let credential = with_env(&[
            ("AZURE_CLIENT_ID", "c"),
            ("AZURE_USERNAME", "u"),
            ("AZURE_PASSWORD", "p"),
        ]);
        let shown = format!("{credential:?}");
        assert!(shown.contains("UsernamePasswordCredential") && shown.contains("organizations"));
    }
}

//! `WorkloadIdentityCredential`: Kubernetes workload identity federation. The projected
//! service account token in `AZURE_FEDERATED_TOKEN_FILE` is the client assertion, read again
//! for every token request because the platform rotates it.

use std::path::PathBuf;
use std::sync::Arc;

use msal_core::{Error, ErrorKind, Result, Secret};
use msal_flows::{AssertionCallback, ClientCredential};

use crate::confidential::{ConfidentialCore, delegate_to_core};
use crate::errors::unavailable;
use crate::options::CredentialOptions;

/// The variable naming the federated token file.
pub const AZURE_FEDERATED_TOKEN_FILE: &str = "AZURE_FEDERATED_TOKEN_FILE";

/// Options of [`WorkloadIdentityCredential`]; unset values come from `AZURE_TENANT_ID`,
/// `AZURE_CLIENT_ID` and `AZURE_FEDERATED_TOKEN_FILE`.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct WorkloadIdentityCredentialOptions {
    /// Options every credential has.
    pub credential_options: CredentialOptions,
    /// The tenant.
    pub tenant_id: Option<String>,
    /// The application (client) id.
    pub client_id: Option<String>,
    /// The federated token file.
    pub token_file_path: Option<PathBuf>,
}

/// An application's own token, with the workload's federated token as the assertion.
pub struct WorkloadIdentityCredential {
    core: ConfidentialCore,
    token_file: PathBuf,
}

impl std::fmt::Debug for WorkloadIdentityCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkloadIdentityCredential")
            .field("tenant_id", &self.core.tenant_id)
            .field("client_id", &self.core.client_id)
            .field("token_file", &self.token_file)
            .finish_non_exhaustive()
    }
}

impl WorkloadIdentityCredential {
    /// A credential from the options and the environment.
    ///
    /// Errors: [`ErrorKind::CredentialUnavailable`] when the tenant, client id or token file
    /// is neither given nor in the environment.
    pub fn new(options: Option<WorkloadIdentityCredentialOptions>) -> Result<Arc<Self>> {
        let options = options.unwrap_or_default();
        let env = &options.credential_options.env;
        let missing = |what: &str, var: &str| {
            unavailable(format!(
                "WorkloadIdentityCredential needs {what}: set {var} or the option"
            ))
        };
        let tenant_id = options
            .tenant_id
            .clone()
            .or_else(|| env.var("AZURE_TENANT_ID"))
            .ok_or_else(|| missing("a tenant id", "AZURE_TENANT_ID"))?;
        let client_id = options
            .client_id
            .clone()
            .or_else(|| env.var("AZURE_CLIENT_ID"))
            .ok_or_else(|| missing("a client id", "AZURE_CLIENT_ID"))?;
        let token_file = options
            .token_file_path
            .clone()
            .or_else(|| env.var(AZURE_FEDERATED_TOKEN_FILE).map(PathBuf::from))
            .ok_or_else(|| missing("a federated token file", AZURE_FEDERATED_TOKEN_FILE))?;
        let path = token_file.clone();
        let callback: AssertionCallback = Arc::new(move || {
            let path = path.clone();
            Box::pin(async move { read_token(&path).await })
        });
        let core = ConfidentialCore::new(
            &tenant_id,
            &client_id,
            ClientCredential::Assertion(callback),
            options.credential_options,
        )?;
        Ok(Arc::new(Self { core, token_file }))
    }
}

/// Reads the federated token (trimmed); a missing or empty file is "unavailable".
async fn read_token(path: &std::path::Path) -> Result<Secret> {
    let text = tokio::fs::read_to_string(path).await.map_err(|e| {
        Error::with_source(
            ErrorKind::CredentialUnavailable,
            format!(
                "the federated token file {} could not be read",
                path.display()
            ),
            e,
        )
    })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(unavailable(format!(
            "the federated token file {} is empty",
            path.display()
        )));
    }
    Ok(Secret::new(token))
}

delegate_to_core!(WorkloadIdentityCredential);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::Env;

    #[test]
    fn missing_configuration_is_unavailable() {
        let options = WorkloadIdentityCredentialOptions {
            credential_options: CredentialOptions {
                env: Env::from_pairs([("AZURE_TENANT_ID", "t"), ("AZURE_CLIENT_ID", "c")]),
                ..Default::default()
            },
            ..Default::default()
        };
        let err = WorkloadIdentityCredential::new(Some(options)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CredentialUnavailable);
        assert!(err.message().contains(AZURE_FEDERATED_TOKEN_FILE));
    }
}

//! `DefaultAzureCredential`: the chain most applications start with.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use msal_core::{AccessTokenInfo, Error, ErrorKind, Result, TokenCredential, TokenRequestOptions};

use crate::azure_cli::{AzureCliCredential, AzureCliCredentialOptions};
use crate::chained::run_chain;
use crate::environment::{EnvironmentCredential, EnvironmentCredentialOptions};
use crate::managed_identity::{ManagedIdentityCredential, ManagedIdentityCredentialOptions};
use crate::options::CredentialOptions;
use crate::workload_identity::{WorkloadIdentityCredential, WorkloadIdentityCredentialOptions};
use msal_flows::UserAssignedId;

/// The variable that narrows the chain: `dev`, `prod` or one credential's name.
pub const AZURE_TOKEN_CREDENTIALS: &str = "AZURE_TOKEN_CREDENTIALS";

/// The credentials of the chain, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DefaultCredentialKind {
    /// [`EnvironmentCredential`].
    Environment,
    /// [`WorkloadIdentityCredential`].
    WorkloadIdentity,
    /// [`ManagedIdentityCredential`](crate::ManagedIdentityCredential).
    ManagedIdentity,
    /// [`AzureCliCredential`].
    AzureCli,
}

impl DefaultCredentialKind {
    /// Every kind, in chain order.
    pub const ALL: [DefaultCredentialKind; 4] = [
        DefaultCredentialKind::Environment,
        DefaultCredentialKind::WorkloadIdentity,
        DefaultCredentialKind::ManagedIdentity,
        DefaultCredentialKind::AzureCli,
    ];

    /// The credential's type name, as `AZURE_TOKEN_CREDENTIALS` spells it.
    pub fn name(self) -> &'static str {
        match self {
            DefaultCredentialKind::Environment => "EnvironmentCredential",
            DefaultCredentialKind::WorkloadIdentity => "WorkloadIdentityCredential",
            DefaultCredentialKind::ManagedIdentity => "ManagedIdentityCredential",
            DefaultCredentialKind::AzureCli => "AzureCliCredential",
        }
    }

    /// Whether it is a deployed-service (`prod`) credential rather than a developer one.
    pub fn is_production(self) -> bool {
        !matches!(self, DefaultCredentialKind::AzureCli)
    }
}

/// Which credentials `AZURE_TOKEN_CREDENTIALS` keeps: all (unset), or those it selects.
///
/// Errors: [`ErrorKind::InvalidArgument`] listing the valid values.
pub fn token_credentials_selection(value: Option<&str>) -> Result<Vec<DefaultCredentialKind>> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(DefaultCredentialKind::ALL.to_vec());
    };
    let all = DefaultCredentialKind::ALL;
    if value.eq_ignore_ascii_case("dev") {
        return Ok(all.into_iter().filter(|k| !k.is_production()).collect());
    }
    if value.eq_ignore_ascii_case("prod") {
        return Ok(all.into_iter().filter(|k| k.is_production()).collect());
    }
    if let Some(kind) = all
        .into_iter()
        .find(|k| k.name().eq_ignore_ascii_case(value))
    {
        return Ok(vec![kind]);
    }
    let names: Vec<&str> = all.iter().map(|k| k.name()).collect();
    Err(Error::new(
        ErrorKind::InvalidArgument,
        format!(
            "invalid value {value:?} for {AZURE_TOKEN_CREDENTIALS}: valid values are 'dev', \
             'prod', {}",
            names.join(", ")
        ),
    ))
}

/// Options of [`DefaultAzureCredential`]. An `exclude_*` set to `Some` overrides
/// `AZURE_TOKEN_CREDENTIALS` for that credential.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct DefaultAzureCredentialOptions {
    /// Options every credential of the chain gets (`env` is also where
    /// `AZURE_TOKEN_CREDENTIALS` is read).
    pub credential_options: CredentialOptions,
    /// Leave out [`EnvironmentCredential`].
    pub exclude_environment_credential: Option<bool>,
    /// Leave out [`WorkloadIdentityCredential`].
    pub exclude_workload_identity_credential: Option<bool>,
    /// Leave out [`ManagedIdentityCredential`](crate::ManagedIdentityCredential).
    pub exclude_managed_identity_credential: Option<bool>,
    /// Leave out [`AzureCliCredential`].
    pub exclude_cli_credential: Option<bool>,
    /// The tenant of the workload identity and CLI credentials.
    pub tenant_id: Option<String>,
    /// The workload identity's client id (default `AZURE_CLIENT_ID`).
    pub workload_identity_client_id: Option<String>,
    /// The managed identity's client id (default `AZURE_CLIENT_ID`).
    pub managed_identity_client_id: Option<String>,
    /// The managed identity's IMDS token URL instead of the environment's (tests).
    pub managed_identity_endpoint: Option<url::Url>,
    /// Options of the CLI credential (its `credential_options` are replaced by the above).
    pub azure_cli: AzureCliCredentialOptions,
}

/// Environment, workload identity, managed identity, then the Azure CLI; once one has given
/// a token, only that one is used. `AZURE_TOKEN_CREDENTIALS` narrows the chain (`dev`,
/// `prod` or a credential's name).
#[derive(Debug)]
pub struct DefaultAzureCredential {
    credentials: Vec<Arc<dyn TokenCredential>>,
    kinds: Vec<DefaultCredentialKind>,
    selected: AtomicUsize,
}

const NONE_SELECTED: usize = usize::MAX;

impl DefaultAzureCredential {
    /// Builds the chain from the options and the environment.
    ///
    /// Errors: [`ErrorKind::InvalidArgument`] for an invalid `AZURE_TOKEN_CREDENTIALS` or an
    /// unusable option; [`ErrorKind::CredentialUnavailable`] when everything is excluded.
    pub fn new(options: Option<DefaultAzureCredentialOptions>) -> Result<Arc<Self>> {
        let options = options.unwrap_or_default();
        let common = &options.credential_options;
        let selection =
            token_credentials_selection(common.env.var(AZURE_TOKEN_CREDENTIALS).as_deref())?;
        let included = |kind: DefaultCredentialKind, exclude: Option<bool>| match exclude {
            Some(excluded) => !excluded,
            None => selection.contains(&kind),
        };
        let mut credentials: Vec<Arc<dyn TokenCredential>> = Vec::new();
        let mut kinds = Vec::new();
        if included(
            DefaultCredentialKind::Environment,
            options.exclude_environment_credential,
        ) {
            let o = EnvironmentCredentialOptions {
                credential_options: common.clone(),
            };
            credentials.push(EnvironmentCredential::new(Some(o))?);
            kinds.push(DefaultCredentialKind::Environment);
        }
        if included(
            DefaultCredentialKind::WorkloadIdentity,
            options.exclude_workload_identity_credential,
        ) {
            let o = WorkloadIdentityCredentialOptions {
                credential_options: common.clone(),
                tenant_id: options.tenant_id.clone(),
                client_id: options.workload_identity_client_id.clone(),
                token_file_path: None,
            };
            match WorkloadIdentityCredential::new(Some(o)) {
                Ok(credential) => {
                    credentials.push(credential);
                    kinds.push(DefaultCredentialKind::WorkloadIdentity);
                }
                Err(e) if e.is_credential_unavailable() => {
                    tracing::debug!("WorkloadIdentityCredential is not configured; skipped");
                }
                Err(e) => return Err(e),
            }
        }
        if included(
            DefaultCredentialKind::ManagedIdentity,
            options.exclude_managed_identity_credential,
        ) && let Some(credential) = managed_identity(&options)?
        {
            credentials.push(credential);
            kinds.push(DefaultCredentialKind::ManagedIdentity);
        }
        if included(
            DefaultCredentialKind::AzureCli,
            options.exclude_cli_credential,
        ) {
            let mut o = options.azure_cli.clone();
            o.credential_options = common.clone();
            if o.tenant_id.is_none() {
                o.tenant_id = options.tenant_id.clone();
            }
            credentials.push(AzureCliCredential::new(Some(o))?);
            kinds.push(DefaultCredentialKind::AzureCli);
        }
        if credentials.is_empty() {
            return Err(Error::new(
                ErrorKind::CredentialUnavailable,
                "DefaultAzureCredential has no credential left: every credential is excluded",
            ));
        }
        Ok(Arc::new(Self {
            credentials,
            kinds,
            selected: AtomicUsize::new(NONE_SELECTED),
        }))
    }

    /// The credentials of the chain, in order.
    pub fn kinds(&self) -> &[DefaultCredentialKind] {
        &self.kinds
    }

    /// The credential that gave a token and is now the only one used.
    pub fn selected(&self) -> Option<DefaultCredentialKind> {
        self.kinds
            .get(self.selected.load(Ordering::Acquire))
            .copied()
    }
}

/// The managed identity slot of the chain: system-assigned, or the user-assigned identity
/// `managed_identity_client_id` (default `AZURE_CLIENT_ID`). Inside the chain an endpoint
/// that does not answer is [`ErrorKind::CredentialUnavailable`], so the chain moves on.
fn managed_identity(
    options: &DefaultAzureCredentialOptions,
) -> Result<Option<Arc<dyn TokenCredential>>> {
    let common = &options.credential_options;
    let client_id = options
        .managed_identity_client_id
        .clone()
        .or_else(|| common.env.var("AZURE_CLIENT_ID"))
        .filter(|id| !id.trim().is_empty());
    let o = ManagedIdentityCredentialOptions {
        credential_options: common.clone(),
        user_assigned_id: client_id.map(UserAssignedId::ClientId),
        endpoint: options.managed_identity_endpoint.clone(),
        retry_policy: None,
    };
    Ok(Some(Arc::new(ManagedIdentityCredential::build(o, true)?)))
}

#[async_trait]
impl TokenCredential for DefaultAzureCredential {
    async fn get_token_info(
        &self,
        scopes: &[&str],
        options: TokenRequestOptions,
    ) -> Result<AccessTokenInfo> {
        if let Some(credential) = self.credentials.get(self.selected.load(Ordering::Acquire)) {
            return credential.get_token_info(scopes, options).await;
        }
        let (token, index) = run_chain(
            "DefaultAzureCredential",
            &self.credentials,
            scopes,
            &options,
        )
        .await?;
        let _ = self.selected.compare_exchange(
            NONE_SELECTED,
            index,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::Env;

    #[test]
    fn selection_values_dev_prod_names_and_invalid() {
        use DefaultCredentialKind::*;
        assert_eq!(token_credentials_selection(None).unwrap().len(), 4);
        assert_eq!(
            token_credentials_selection(Some("dev")).unwrap(),
            vec![AzureCli]
        );
        assert_eq!(
            token_credentials_selection(Some("PROD")).unwrap(),
            vec![Environment, WorkloadIdentity, ManagedIdentity]
        );
        assert_eq!(
            token_credentials_selection(Some("workloadidentitycredential")).unwrap(),
            vec![WorkloadIdentity]
        );
        let err = token_credentials_selection(Some("browser")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(err.message().contains("AzureCliCredential"), "{err}");
    }

    fn options(env: &[(&str, &str)]) -> DefaultAzureCredentialOptions {
        DefaultAzureCredentialOptions {
            credential_options: CredentialOptions {
                env: Env::from_pairs(env.iter().copied()),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn order_and_narrowing_with_explicit_excludes_winning() {
        use DefaultCredentialKind::*;
        let full = [
            ("AZURE_TENANT_ID", "t"),
            ("AZURE_CLIENT_ID", "c"),
            ("AZURE_FEDERATED_TOKEN_FILE", "/nonexistent"),
        ];
        let all = DefaultAzureCredential::new(Some(options(&full))).unwrap();
        assert_eq!(
            all.kinds(),
            [Environment, WorkloadIdentity, ManagedIdentity, AzureCli]
        );
        let mut env = full.to_vec();
        env.push((AZURE_TOKEN_CREDENTIALS, "dev"));
        let dev = DefaultAzureCredential::new(Some(options(&env))).unwrap();
        assert_eq!(dev.kinds(), [AzureCli]);
        let mut o = options(&env);
        o.exclude_environment_credential = Some(false);
        let both = DefaultAzureCredential::new(Some(o)).unwrap();
        assert_eq!(both.kinds(), [Environment, AzureCli]);
        let unconfigured = DefaultAzureCredential::new(Some(options(&[]))).unwrap();
        assert_eq!(
            unconfigured.kinds(),
            [Environment, ManagedIdentity, AzureCli]
        );
        let mut none = options(&[]);
        none.exclude_environment_credential = Some(true);
        none.exclude_cli_credential = Some(true);
        none.exclude_managed_identity_credential = Some(true);
        assert_eq!(
            DefaultAzureCredential::new(Some(none)).unwrap_err().kind(),
            ErrorKind::CredentialUnavailable
        );
        let bad = options(&[(AZURE_TOKEN_CREDENTIALS, "nope")]);
        assert_eq!(
            DefaultAzureCredential::new(Some(bad)).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
    }
}

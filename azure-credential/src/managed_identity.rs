//! `ManagedIdentityCredential`: the token of the Azure host's managed identity, through
//! msal-flows' `ManagedIdentityClient`.

use std::sync::Arc;

use async_trait::async_trait;
use msal_core::{AccessTokenInfo, Error, ErrorKind, Result, TokenCredential, TokenRequestOptions};
use msal_flows::{
    CallOptions, ManagedIdentityClient, RetryPolicy, UserAssignedId, detect_managed_identity_source,
};
use url::Url;

use crate::errors::{check_scopes, require, unavailable};
use crate::options::CredentialOptions;
use crate::refresh::{Attempt, TokenKey, TokenPolicy, token_info};

/// Options of [`ManagedIdentityCredential`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ManagedIdentityCredentialOptions {
    /// Options every credential has (HTTP settings, environment, clock; the authority and
    /// tenant options do not apply).
    pub credential_options: CredentialOptions,
    /// A user-assigned identity (client id, object id or resource id); `None`: the host's
    /// system-assigned identity.
    pub user_assigned_id: Option<UserAssignedId>,
    /// The IMDS token URL (`.../metadata/identity/oauth2/token`) instead of the one the
    /// environment gives: a test endpoint.
    pub endpoint: Option<Url>,
    /// How failed requests are retried (default: 3 retries from 1 s).
    pub retry_policy: Option<RetryPolicy>,
}

/// The token of the host's managed identity (IMDS on virtual machines, the identity endpoint
/// of App Service and Functions), system- or user-assigned. One scope per request (the
/// resource's `.default`); tenants and claims do not apply.
///
/// ```no_run
/// use azure_credential::{ManagedIdentityCredential, ManagedIdentityCredentialOptions};
/// use msal_core::{TokenCredential, TokenRequestOptions};
/// use msal_flows::UserAssignedId;
///
/// # async fn run() -> msal_core::Result<()> {
/// let mut options = ManagedIdentityCredentialOptions::default();
/// options.user_assigned_id = Some(UserAssignedId::ClientId(
///     "77777777-7777-7777-7777-777777777777".into()));
/// let credential = ManagedIdentityCredential::new(Some(options))?;
/// let token = credential
///     .get_token(&["https://management.azure.com/.default"], TokenRequestOptions::default())
///     .await?;
/// # Ok(()) }
/// ```
pub struct ManagedIdentityCredential {
    client: ManagedIdentityClient,
    id: Option<UserAssignedId>,
    policy: TokenPolicy,
    /// In `DefaultAzureCredential`: an unreachable endpoint means "not here".
    in_chain: bool,
}

impl std::fmt::Debug for ManagedIdentityCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagedIdentityCredential")
            .field("user_assigned_id", &self.id)
            .field("source", &source_name(&self.client))
            .finish_non_exhaustive()
    }
}

fn source_name(client: &ManagedIdentityClient) -> &'static str {
    match client.source() {
        msal_flows::ManagedIdentitySource::AppService { .. } => "AppService",
        _ => "Imds",
    }
}

impl ManagedIdentityCredential {
    /// A credential for the system-assigned identity, or the user-assigned one of the
    /// options. The source comes from the environment (`IDENTITY_ENDPOINT` and
    /// `IDENTITY_HEADER`, `IMDS_ENDPOINT`) unless `endpoint` is given.
    ///
    /// Errors: [`ErrorKind::InvalidArgument`] for an empty user-assigned id or an invalid
    /// endpoint variable.
    pub fn new(options: Option<ManagedIdentityCredentialOptions>) -> Result<Arc<Self>> {
        Self::build(options.unwrap_or_default(), false).map(Arc::new)
    }

    pub(crate) fn build(options: ManagedIdentityCredentialOptions, in_chain: bool) -> Result<Self> {
        let id = options.user_assigned_id;
        if let Some(
            UserAssignedId::ClientId(v)
            | UserAssignedId::ObjectId(v)
            | UserAssignedId::ResourceId(v),
        ) = &id
        {
            require(v, "user-assigned identity id")?;
        }
        let common = &options.credential_options;
        let mut builder = match &id {
            Some(id) => ManagedIdentityClient::user_assigned(id.clone()),
            None => ManagedIdentityClient::system_assigned(),
        };
        builder = match &options.endpoint {
            Some(url) => builder.imds_endpoint(url.clone()),
            None => builder.source(detect_managed_identity_source(|n| common.env.var(n))?),
        };
        if let Some(client) = &common.http.client {
            builder = builder.http_client(client.clone());
        } else {
            if let Some(o) = &common.http.options {
                builder = builder.http_options(o.clone());
            }
            if let Some(pem) = &common.http.extra_ca_pem {
                builder = builder.extra_ca_pem(pem.clone());
            }
        }
        if let Some(retry) = options.retry_policy {
            builder = builder.retry_policy(retry);
        }
        Ok(Self {
            client: builder.build()?,
            id,
            policy: TokenPolicy::new(common.clock.clone()),
            in_chain,
        })
    }
}

/// Inside the default chain, failing to reach the endpoint means there is no managed
/// identity here: the chain moves on.
fn chain_error(e: Error) -> Error {
    match e.kind() {
        ErrorKind::Transport | ErrorKind::Timeout => unavailable(format!(
            "ManagedIdentityCredential: no managed identity endpoint answered ({e})"
        )),
        _ => e,
    }
}

#[async_trait]
impl TokenCredential for ManagedIdentityCredential {
    async fn get_token_info(
        &self,
        scopes: &[&str],
        options: TokenRequestOptions,
    ) -> Result<AccessTokenInfo> {
        check_scopes(scopes)?;
        let [scope] = scopes else {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "ManagedIdentityCredential takes exactly one scope",
            ));
        };
        let key = TokenKey {
            scopes: vec![(*scope).to_owned()],
            tenant: String::new(),
            claims: options.claims.clone(),
            cae: options.enable_cae,
        };
        let result = self
            .policy
            .get(key, |attempt| async move {
                let mut call = CallOptions::new().force_refresh(attempt == Attempt::Refresh);
                if let Some(id) = &options.correlation_id {
                    call = call.correlation_id(id.clone());
                }
                let result = self.client.acquire_token_for_resource(scope, &call).await?;
                Ok(token_info(&result))
            })
            .await;
        if self.in_chain {
            result.map_err(chain_error)
        } else {
            result
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_user_assigned_id_is_refused() {
        let options = ManagedIdentityCredentialOptions {
            user_assigned_id: Some(UserAssignedId::ObjectId(" ".into())),
            ..Default::default()
        };
        let err = ManagedIdentityCredential::new(Some(options)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn chain_maps_transport_failures_to_unavailable_only() {
        let e = chain_error(Error::new(ErrorKind::Transport, "refused"));
        assert_eq!(e.kind(), ErrorKind::CredentialUnavailable);
        let e = chain_error(Error::new(ErrorKind::Service, "bad"));
        assert_eq!(e.kind(), ErrorKind::Service);
    }
}

//! What every application credential shares: a confidential client per (tenant, CAE), the
//! client credentials grant, tenant resolution and the refresh policy. Adding a credential
//! is choosing its [`ClientCredential`].

use std::future::Future;

use async_trait::async_trait;
use msal_core::{AccessTokenInfo, Result, TokenCredential, TokenRequestOptions};
use msal_flows::{
    AuthenticationResult, CallOptions, ClientCredential, ConfidentialClientApplication,
};

use crate::apps::{Apps, configure};
use crate::errors::{check_scopes, require};
use crate::options::CredentialOptions;
use crate::refresh::{Attempt, TokenKey, TokenPolicy, token_info};
use crate::tenant::{resolve_tenant, validate_tenant_id};

/// The shared state of an application credential.
#[derive(Debug)]
pub(crate) struct ConfidentialCore {
    pub client_id: String,
    pub tenant_id: String,
    options: CredentialOptions,
    apps: Apps<ConfidentialClientApplication>,
    policy: TokenPolicy,
}

impl ConfidentialCore {
    /// Checks the ids and prepares the applications.
    pub(crate) fn new(
        tenant_id: &str,
        client_id: &str,
        credential: ClientCredential,
        options: CredentialOptions,
    ) -> Result<Self> {
        require(tenant_id, "tenant id")?;
        validate_tenant_id(tenant_id)?;
        require(client_id, "client id")?;
        let apps = Apps::new(
            client_id,
            options.resolved_authority_host().url(),
            &options,
            move |p| {
                configure!(
                    ConfidentialClientApplication::builder(p.client_id.clone()),
                    p
                )
                .client_credential(credential.clone())
                .build()
            },
        )?;
        // Build the configured tenant's application now: a bad authority fails here.
        apps.get(tenant_id, false)?;
        Ok(Self {
            client_id: client_id.trim().to_owned(),
            tenant_id: tenant_id.to_owned(),
            policy: TokenPolicy::new(options.clock.clone()),
            options,
            apps,
        })
    }
}

impl ConfidentialCore {
    /// `get_token_info` with another grant than client credentials (part B: on-behalf-of,
    /// authorization code): tenant resolution, the application of the tenant (CAE or not)
    /// and the refresh policy are applied around `grant`, which gets the application, the
    /// scopes, the call options (claims, correlation id) and whether this is a proactive
    /// refresh (then it should bypass cached access tokens when the flow can).
    pub(crate) async fn get_token_info_with<G, Fut>(
        &self,
        scopes: &[&str],
        options: TokenRequestOptions,
        grant: G,
    ) -> Result<AccessTokenInfo>
    where
        G: FnOnce(ConfidentialClientApplication, CallOptions, Attempt) -> Fut,
        Fut: Future<Output = Result<AuthenticationResult>>,
    {
        check_scopes(scopes)?;
        let tenant = resolve_tenant(
            &self.tenant_id,
            options.tenant_id.as_deref(),
            &self.options.additionally_allowed_tenants,
            &self.options.env,
        )?;
        let app = self.apps.get(&tenant, options.enable_cae)?;
        let key = TokenKey {
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            tenant,
            claims: options.claims.clone(),
            cae: options.enable_cae,
        };
        let mut call = CallOptions::new();
        if let Some(c) = &options.claims {
            call = call.claims(c.clone());
        }
        if let Some(id) = &options.correlation_id {
            call = call.correlation_id(id.clone());
        }
        self.policy
            .get(key, |attempt| async move {
                Ok(token_info(&grant(app, call, attempt).await?))
            })
            .await
    }
}

#[async_trait]
impl TokenCredential for ConfidentialCore {
    async fn get_token_info(
        &self,
        scopes: &[&str],
        options: TokenRequestOptions,
    ) -> Result<AccessTokenInfo> {
        // A refresh asks msal-flows again: its cache applies the same 5-minute buffer and
        // refresh_on rule (on the system clock), so an aging app token is renewed there.
        self.get_token_info_with(scopes, options, |app, call, _| async move {
            app.acquire_token_for_client(scopes, &call).await
        })
        .await
    }
}

/// Implements `TokenCredential` for a credential type holding `core: ConfidentialCore`.
macro_rules! delegate_to_core {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl msal_core::TokenCredential for $ty {
            async fn get_token_info(
                &self,
                scopes: &[&str],
                options: msal_core::TokenRequestOptions,
            ) -> msal_core::Result<msal_core::AccessTokenInfo> {
                self.core.get_token_info(scopes, options).await
            }
        }
    };
}
pub(crate) use delegate_to_core;

//! Username and password (ROPC): user realm discovery, then the password grant (managed and
//! unknown accounts) or MEX + WS-Trust + the SAML bearer grant (federated accounts).
//!
//! The password is borrowed for the one request that needs it and never stored, logged or put
//! in an error message.

use msal_core::authority::{AuthorityKind, ResolvedAuthority};
use msal_core::endpoint::user_realm::{AccountType, UserRealm};
use msal_core::endpoint::{mex, user_realm, wstrust};
use msal_core::oauth2::{Grant, SamlVersion, Scopes, TokenRequest, TokenResponse};
use msal_core::wstrust::{self as ws, WsTrustEndpoint};
use msal_core::{Error, ErrorKind, FailureReason, Result, Secret};
use url::Url;

use crate::app::{AppCore, StoreParams};
use crate::call::CallContext;
use crate::result::AuthenticationResult;

/// The domain user realm discovery names for personal Microsoft accounts.
const MSA_DOMAIN: &str = "live.com";

impl AppCore {
    /// Acquires a token with a username and password (see the module docs).
    pub(crate) async fn ropc(
        &self,
        scopes: &[&str],
        username: &str,
        password: &Secret,
        ctx: &CallContext,
    ) -> Result<AuthenticationResult> {
        if username.trim().is_empty() || password.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "the username and the password must not be empty",
            ));
        }
        let scopes = Scopes::for_user(scopes, false)?;
        let claims = self.claims(ctx.options.claims.as_deref())?;
        let resolved = self.resolve(ctx).await?;
        let realm = self.user_realm(&resolved, username, ctx).await?;
        let grant = match realm.account_type {
            AccountType::Federated => {
                self.federated_grant(&realm, username, password, ctx)
                    .await?
            }
            AccountType::Managed | AccountType::Unknown => Grant::Password {
                username: username.to_owned(),
                password: password.clone(),
            },
        };
        let request = TokenRequest::new(self.config.client_id.clone(), grant)
            .scopes(scopes.clone())
            .claims(claims.clone());
        let response: TokenResponse = self.redeem(request, &resolved.token_endpoint, ctx).await?;
        let params = StoreParams {
            scopes: scopes.without_reserved().as_slice().to_vec(),
            // MSAL Python records `password` for the managed and the federated path alike.
            grant_type: Some("password".to_owned()),
            username: Some(username.to_owned()),
            requested_claims: ctx.options.claims.clone(),
            ..StoreParams::default()
        };
        self.store(response, &resolved, params, ctx).await
    }

    /// User realm discovery, refusing personal Microsoft accounts. Skipped for authorities
    /// without the endpoint (ADFS, B2C, CIAM, OIDC), which take the password grant.
    async fn user_realm(
        &self,
        resolved: &ResolvedAuthority,
        username: &str,
        ctx: &CallContext,
    ) -> Result<UserRealm> {
        if self.config.authority.kind() != AuthorityKind::Entra {
            return Ok(UserRealm::unknown());
        }
        let realm = user_realm::discover(
            &self.pipeline,
            &resolved.authority.url(),
            username,
            &ctx.request,
        )
        .await?;
        if is_personal_account(&realm) {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "personal Microsoft accounts cannot sign in with a username and password; use \
                 the device code or interactive flow",
            )
            .with_reason(FailureReason::PersonalAccountNotSupported));
        }
        Ok(realm)
    }

    /// MEX (or the active endpoint), WS-Trust, and the SAML bearer grant it gives.
    async fn federated_grant(
        &self,
        realm: &UserRealm,
        username: &str,
        password: &Secret,
        ctx: &CallContext,
    ) -> Result<Grant> {
        let endpoint = self.wstrust_endpoint(realm, ctx).await?;
        let token = wstrust::request_token(
            &self.pipeline,
            &endpoint,
            username,
            password,
            realm.cloud_audience_urn.as_deref(),
            &ctx.request,
        )
        .await?;
        let version = match token.version {
            ws::SamlVersion::Saml11 => SamlVersion::Saml11,
            ws::SamlVersion::Saml20 => SamlVersion::Saml20,
        };
        Ok(Grant::SamlBearer {
            version,
            assertion: token.assertion,
        })
    }

    async fn wstrust_endpoint(
        &self,
        realm: &UserRealm,
        ctx: &CallContext,
    ) -> Result<WsTrustEndpoint> {
        let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        if let Some(mex_url) = nonempty(&realm.federation_metadata_url) {
            let url = Url::parse(&mex_url).map_err(|e| {
                unreachable_metadata(format!(
                    "the federation metadata URL from user realm discovery is not a URL: {e}"
                ))
            })?;
            return mex::fetch(&self.pipeline, &url, &ctx.request)
                .await?
                .preferred();
        }
        match nonempty(&realm.federation_active_auth_url) {
            Some(active) => WsTrustEndpoint::from_active_auth_url(&active),
            None => Err(unreachable_metadata(
                "user realm discovery says the account is federated but names neither a \
                 federation metadata URL nor an active authentication URL"
                    .to_owned(),
            )),
        }
    }
}

fn unreachable_metadata(message: String) -> Error {
    Error::new(ErrorKind::WsTrust, message)
        .with_reason(FailureReason::FederationMetadataUnreachable)
}

/// Whether user realm discovery describes a personal Microsoft account.
fn is_personal_account(realm: &UserRealm) -> bool {
    realm
        .domain_name
        .as_deref()
        .is_some_and(|d| d.eq_ignore_ascii_case(MSA_DOMAIN))
}

//! `acquire_token_by_refresh_token`: redeem a refresh token obtained elsewhere (migration
//! from another library) and keep it, or its successor, in the cache.

use msal_core::oauth2::{Grant, Scopes, TokenRequest};
use msal_core::{Result, Secret};

use crate::app::{AppCore, StoreParams};
use crate::call::CallContext;
use crate::result::AuthenticationResult;

impl AppCore {
    /// Redeems `refresh_token` for `scopes` and caches the result with the refresh token the
    /// service returned (or, when it returned none, the one given).
    pub(crate) async fn by_refresh_token(
        &self,
        scopes: &[&str],
        refresh_token: &Secret,
        ctx: &CallContext,
    ) -> Result<AuthenticationResult> {
        let scopes = Scopes::for_user(scopes, false)?;
        let claims = self.claims(ctx.options.claims.as_deref())?;
        let resolved = self.resolve(ctx).await?;
        let grant = Grant::RefreshToken {
            refresh_token: refresh_token.clone(),
        };
        let request = TokenRequest::new(self.config.client_id.clone(), grant)
            .scopes(scopes.clone())
            .claims(claims);
        let mut response = self.redeem(request, &resolved.token_endpoint, ctx).await?;
        if response.refresh_token.as_ref().is_none_or(Secret::is_empty) {
            response.refresh_token = Some(refresh_token.clone());
        }
        let params = StoreParams {
            scopes: scopes.without_reserved().as_slice().to_vec(),
            grant_type: Some("refresh_token".to_owned()),
            requested_claims: ctx.options.claims.clone(),
            ..StoreParams::default()
        };
        self.store(response, &resolved, params, ctx).await
    }
}

//! Client credentials: the application's own token, cache first, one request in flight per
//! identical request.

use msal_cache::Subject;
use msal_core::oauth2::{Grant, Scopes, TokenRequest};
use msal_core::{Error, ErrorKind, Result};

use crate::app::{AppCore, StoreParams};
use crate::call::{CallContext, CallOptions};
use crate::flows::silent::{CacheLookup, lookup_access_token};
use crate::result::AuthenticationResult;
use crate::single_flight::flight_key;

impl AppCore {
    /// The cache hit path of `acquire_token_for_client`, without awaiting or allocating for
    /// the scopes: a fresh cached token of an in-memory cache, once the authority is
    /// resolved. `None` sends the call down [`client_credentials`](Self::client_credentials),
    /// which looks again and does everything else (checks and their errors, a persisted
    /// cache's reload, the grant). The correlation id is left empty for the caller to fill.
    pub(crate) fn client_credentials_cached(
        &self,
        scopes: &[&str],
        options: &CallOptions,
    ) -> Option<AuthenticationResult> {
        let valid = !scopes.is_empty()
            && scopes
                .iter()
                .all(|s| !s.is_empty() && !s.contains(char::is_whitespace));
        if !valid
            || self.credential.is_none()
            || options.force_refresh
            || options.claims.is_some()
            || !self.cache.is_in_memory()
        {
            return None;
        }
        let resolved = self.resolved_fresh()?;
        match lookup_access_token(
            self,
            Subject::App,
            &resolved.tenant,
            scopes,
            None,
            String::new(),
        ) {
            CacheLookup::Fresh(hit) => Some(hit),
            CacheLookup::Aging(_) | CacheLookup::Miss => None,
        }
    }

    /// Acquires an app token: a cached one (5-minute buffer), else the grant, shared by
    /// concurrent identical requests; an aging token (`refresh_on` passed) is refreshed and
    /// returned when the refresh fails.
    pub(crate) async fn client_credentials(
        &self,
        scopes: &[&str],
        ctx: &CallContext,
    ) -> Result<AuthenticationResult> {
        if self.credential.is_none() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "the client credentials grant needs a confidential client",
            ));
        }
        if ctx.options.force_refresh {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "force_refresh is not supported by acquire_token_for_client: the cache is \
                 always used first (pass claims to bypass it)",
            ));
        }
        let scopes = Scopes::for_client(scopes)?;
        self.cache.load().await?;
        let resolved = self.resolve(ctx).await?;
        let wanted: Vec<&str> = scopes.as_slice().iter().map(String::as_str).collect();
        let challenge = ctx.options.claims.as_deref();
        let lookup = || {
            if challenge.is_some() {
                return CacheLookup::Miss;
            }
            let id = ctx.correlation_id().to_owned();
            lookup_access_token(self, Subject::App, &resolved.tenant, &wanted, None, id)
        };
        let aging = match lookup() {
            CacheLookup::Fresh(hit) => return Ok(hit),
            CacheLookup::Aging(hit) => Some(hit),
            CacheLookup::Miss => None,
        };
        let key = flight_key(&[
            "client_credentials",
            &self.config.authority.to_string(),
            &self.config.client_id,
            &scopes.to_wire(),
            challenge.unwrap_or(""),
        ]);
        let outcome = self
            .flights
            .run(&key, || async {
                if aging.is_none()
                    && let CacheLookup::Fresh(hit) = lookup()
                {
                    return Ok(hit);
                }
                self.client_credentials_grant(&scopes, ctx).await
            })
            .await;
        match (outcome, aging) {
            (Ok(mut result), _) => {
                result.correlation_id = ctx.correlation_id().to_owned();
                Ok(result)
            }
            (Err(error), Some(cached)) => {
                tracing::debug!(
                    kind = error.kind().as_str(),
                    "proactive refresh failed; using the cached token"
                );
                Ok(cached)
            }
            (Err(error), None) => Err(error),
        }
    }

    async fn client_credentials_grant(
        &self,
        scopes: &Scopes,
        ctx: &CallContext,
    ) -> Result<AuthenticationResult> {
        let resolved = self.resolve(ctx).await?;
        let claims = self.claims(ctx.options.claims.as_deref())?;
        let mut endpoint = resolved.token_endpoint.clone();
        if let Some(regional) = &self.config.regional_authority {
            endpoint.set_host(Some(regional.host())).map_err(|e| {
                Error::new(
                    ErrorKind::InvalidAuthority,
                    format!("the regional host is not valid: {e}"),
                )
            })?;
        }
        let request = TokenRequest::new(self.config.client_id.clone(), Grant::ClientCredentials)
            .scopes(scopes.clone())
            .claims(claims);
        let response = self.redeem(request, &endpoint, ctx).await?;
        let params = StoreParams {
            scopes: scopes.as_slice().to_vec(),
            grant_type: Some("client_credentials".to_owned()),
            requested_claims: ctx.options.claims.clone(),
            ..StoreParams::default()
        };
        self.store(response, &resolved, params, ctx).await
    }
}

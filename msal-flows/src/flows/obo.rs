//! On-behalf-of: a middle-tier API exchanges the user token it received for a token to a
//! downstream API. Results are cached per incoming assertion (its SHA-256 hash, as MSAL .NET
//! and Go key them): a cached access token first (5-minute buffer, `refresh_on`), then the
//! refresh token cached for that same assertion, then the jwt-bearer grant.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use msal_cache::{AccessToken, AccessTokenQuery, RefreshToken, Subject};
use msal_core::oauth2::{Grant, Scopes, TokenRequest};
use msal_core::{Error, ErrorKind, Result, Secret};

use crate::app::{AppCore, StoreParams};
use crate::call::CallContext;
use crate::flows::silent::EXPIRY_BUFFER_SECS;
use crate::result::{Account, AuthenticationResult, TokenSource, from_unix, now_unix};
use crate::single_flight::flight_key;

/// The `grant_type` of the on-behalf-of request.
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// The AADSTS codes of an incoming assertion the service rejected (bad signature, expired,
/// wrong audience).
const ASSERTION_REJECTED: [i64; 3] = [50013, 500133, 500131];

/// The cache key of an incoming assertion: base64url (unpadded, as MSAL .NET) of the SHA-256
/// of its UTF-8 bytes.
pub(crate) fn assertion_hash(assertion: &Secret) -> String {
    URL_SAFE_NO_PAD.encode(openssl::sha::sha256(assertion.expose().as_bytes()))
}

impl AppCore {
    /// `acquire_token_on_behalf_of`: cache first for this assertion, then its refresh token,
    /// then the jwt-bearer grant; one request in flight per (assertion, scopes, claims).
    pub(crate) async fn on_behalf_of(
        &self,
        scopes: &[&str],
        assertion: &Secret,
        ctx: &CallContext,
    ) -> Result<AuthenticationResult> {
        if self.credential.is_none() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "on-behalf-of needs a confidential client",
            ));
        }
        if assertion.expose().trim().is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "the user assertion (the incoming access token) is empty",
            ));
        }
        let decorated = Scopes::for_user(scopes, false)?;
        let hash = assertion_hash(assertion);
        self.cache.load().await?;
        let resolved = self.resolve(ctx).await?;
        let realm = self.obo_realm(assertion, &resolved.tenant);
        let bypass = ctx.options.force_refresh || ctx.options.claims.is_some();
        let aging = if bypass {
            None
        } else {
            match self.obo_cached(&hash, &realm, scopes, ctx) {
                OboLookup::Fresh(hit) => return Ok(*hit),
                OboLookup::Aging(hit) => Some(*hit),
                OboLookup::Miss => None,
            }
        };
        let key = flight_key(&[
            "obo",
            &self.config.authority.to_string(),
            &self.config.client_id,
            &hash,
            &decorated.to_wire(),
            ctx.options.claims.as_deref().unwrap_or(""),
            if ctx.options.force_refresh {
                "force"
            } else {
                ""
            },
        ]);
        let outcome = self
            .flights
            .run(&key, || async {
                if !bypass
                    && aging.is_none()
                    && let OboLookup::Fresh(hit) = self.obo_cached(&hash, &realm, scopes, ctx)
                {
                    return Ok(*hit);
                }
                self.obo_from_network(&decorated, assertion, &hash, &realm, ctx)
                    .await
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
                    "proactive on-behalf-of refresh failed; using the cached token"
                );
                Ok(cached)
            }
            (Err(error), None) => Err(error),
        }
    }

    /// The realm tokens are cached under: the authority's tenant, or for `common` and
    /// `organizations` the incoming token's `tid` (read, not verified: it only selects a
    /// cache partition).
    fn obo_realm(&self, assertion: &Secret, tenant: &str) -> String {
        if !self.config.authority.is_multi_tenant() {
            return tenant.to_owned();
        }
        msal_core::token::jwt::decode_claims(assertion.expose())
            .ok()
            .and_then(|c| c.get("tid").and_then(|t| t.as_str()).map(str::to_owned))
            .unwrap_or_else(|| tenant.to_owned())
    }

    /// The cached access token of this assertion (any expiry), the newest.
    fn obo_access_token(
        &self,
        hash: &str,
        realm: &str,
        scopes: &[&str],
    ) -> Option<Arc<AccessToken>> {
        let query = AccessTokenQuery::new(
            Subject::OnBehalfOf(hash),
            self.config.environment(),
            &self.config.client_id,
            realm,
            scopes,
        );
        self.cache.cache().find_access_token(&query)
    }

    fn obo_cached(&self, hash: &str, realm: &str, scopes: &[&str], ctx: &CallContext) -> OboLookup {
        let now = now_unix();
        let Some(at) = self.obo_access_token(hash, realm, scopes) else {
            return OboLookup::Miss;
        };
        let expires_on = at.expires_on.get().unwrap_or(now);
        if expires_on <= now.saturating_add(EXPIRY_BUFFER_SECS) {
            return OboLookup::Miss;
        }
        let refresh_on = at.refresh_on.get();
        let result = Box::new(AuthenticationResult {
            access_token: at.secret.clone(),
            token_type: at.token_type().to_owned(),
            expires_on: from_unix(expires_on),
            refresh_on: refresh_on.map(from_unix),
            scopes: at.scopes().map(str::to_owned).collect(),
            account: self.cached_account(at.home_account_id(), realm),
            id_token_claims: None,
            tenant_id: at.realm.get().map(str::to_owned),
            token_source: TokenSource::Cache,
            correlation_id: ctx.correlation_id().to_owned(),
        });
        match refresh_on {
            Some(r) if r < now => OboLookup::Aging(result),
            _ => OboLookup::Fresh(result),
        }
    }

    fn cached_account(&self, home: &str, realm: &str) -> Option<Account> {
        if home.is_empty() {
            return None;
        }
        let accounts = self.cache.cache().accounts_for(home);
        accounts
            .iter()
            .find(|a| a.realm.get().is_some_and(|r| r.eq_ignore_ascii_case(realm)))
            .or_else(|| accounts.first())
            .map(|a| Account::from_cache(a))
    }

    /// The refresh token cached for this assertion (MSAL .NET uses it before the assertion
    /// again), else the jwt-bearer grant.
    async fn obo_from_network(
        &self,
        scopes: &Scopes,
        assertion: &Secret,
        hash: &str,
        realm: &str,
        ctx: &CallContext,
    ) -> Result<AuthenticationResult> {
        if let Some(rt) = self.obo_refresh_token(hash, realm) {
            match self.obo_refresh(scopes, rt, hash, ctx).await {
                Ok(result) => return Ok(result),
                Err(error)
                    if matches!(
                        error.kind(),
                        ErrorKind::InvalidGrant | ErrorKind::InteractionRequired
                    ) =>
                {
                    tracing::debug!(
                        "the on-behalf-of refresh token was rejected; using the assertion"
                    );
                }
                Err(error) => return Err(error),
            }
        }
        self.obo_grant(scopes, assertion, hash, ctx).await
    }

    /// The refresh token written with this assertion's tokens, found through the account of
    /// its (possibly expired) access token.
    fn obo_refresh_token(&self, hash: &str, realm: &str) -> Option<Arc<RefreshToken>> {
        let at = self.obo_access_token(hash, realm, &[])?;
        let home = at.home_account_id();
        if home.is_empty() {
            return None;
        }
        let rt = self.cache.cache().refresh_token_for_client(
            home,
            self.config.environment(),
            &self.config.client_id,
        )?;
        let same = rt
            .user_assertion_hash
            .get()
            .is_some_and(|h| h.trim_end_matches('=') == hash.trim_end_matches('='));
        same.then_some(rt)
    }

    async fn obo_refresh(
        &self,
        scopes: &Scopes,
        rt: Arc<RefreshToken>,
        hash: &str,
        ctx: &CallContext,
    ) -> Result<AuthenticationResult> {
        let resolved = self.resolve(ctx).await?;
        let claims = self.claims(ctx.options.claims.as_deref())?;
        let grant = Grant::RefreshToken {
            refresh_token: rt.secret.clone(),
        };
        let request = TokenRequest::new(self.config.client_id.clone(), grant)
            .scopes(scopes.clone())
            .claims(claims);
        let response = self.redeem(request, &resolved.token_endpoint, ctx).await?;
        let params = StoreParams {
            scopes: scopes.without_reserved().as_slice().to_vec(),
            grant_type: Some("refresh_token".to_owned()),
            requested_claims: ctx.options.claims.clone(),
            user_assertion_hash: Some(hash.to_owned()),
            used_refresh_token: Some(rt),
            skip_account_creation: true,
            ..StoreParams::default()
        };
        self.store(response, &resolved, params, ctx).await
    }

    async fn obo_grant(
        &self,
        scopes: &Scopes,
        assertion: &Secret,
        hash: &str,
        ctx: &CallContext,
    ) -> Result<AuthenticationResult> {
        let resolved = self.resolve(ctx).await?;
        let claims = self.claims(ctx.options.claims.as_deref())?;
        let grant = Grant::OnBehalfOf {
            assertion: assertion.clone(),
        };
        let request = TokenRequest::new(self.config.client_id.clone(), grant)
            .scopes(scopes.clone())
            .claims(claims);
        let response = self
            .redeem(request, &resolved.token_endpoint, ctx)
            .await
            .map_err(assertion_rejected)?;
        let params = StoreParams {
            scopes: scopes.without_reserved().as_slice().to_vec(),
            grant_type: Some(JWT_BEARER.to_owned()),
            requested_claims: ctx.options.claims.clone(),
            user_assertion_hash: Some(hash.to_owned()),
            ..StoreParams::default()
        };
        self.store(response, &resolved, params, ctx).await
    }
}

/// What the on-behalf-of cache lookup found.
enum OboLookup {
    Fresh(Box<AuthenticationResult>),
    Aging(Box<AuthenticationResult>),
    Miss,
}

/// A rejected incoming assertion (AADSTS50013 and relatives) says so in its message; the
/// kind (`InvalidGrant`), the service's answer and the correlation id are kept.
fn assertion_rejected(error: Error) -> Error {
    if !error
        .aadsts_codes()
        .iter()
        .any(|c| ASSERTION_REJECTED.contains(c))
    {
        return error;
    }
    let message = format!(
        "the user assertion was rejected (expired, wrong audience or bad signature): \
         the caller must send a new token; {}",
        error.message()
    );
    let mut converted = match error.entra() {
        Some(entra) => Error::from_entra(error.kind(), message, entra.clone()),
        None => Error::new(error.kind(), message),
    };
    if let Some(reason) = error.reason() {
        converted = converted.with_reason(reason);
    }
    match error.correlation() {
        Some(id) => converted.correlation_id(id),
        None => converted,
    }
}

#[cfg(test)]
#[path = "obo_tests.rs"]
mod tests;

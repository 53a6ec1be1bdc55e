//! Silent acquisition (reference A3): a cached access token with a 5-minute buffer, else the
//! refresh tokens in FOCI order, else "interaction required".

use std::sync::Arc;

use msal_cache::{AccessTokenQuery, RefreshToken, Subject, TokenCache};
use msal_core::oauth2::scope::is_reserved;
use msal_core::oauth2::{AnchorMailbox, Grant, Scopes, TokenRequest};
use msal_core::{Error, ErrorKind, Result};

use crate::app::{AppCore, StoreParams};
use crate::call::{CallContext, CallOptions};
use crate::result::{Account, AuthenticationResult, TokenSource, from_unix, now_unix};
use crate::single_flight::flight_key;

/// An access token is used only while it has at least this long to live.
pub(crate) const EXPIRY_BUFFER_SECS: i64 = 300;

/// The family id of Microsoft's first-party app family.
const FAMILY_ID: &str = "1";

/// What the access token lookup found.
pub(crate) enum CacheLookup {
    /// A valid token whose `refresh_on` has not passed.
    Fresh(AuthenticationResult),
    /// A valid token whose `refresh_on` has passed: refresh, and fall back to it.
    Aging(AuthenticationResult),
    /// Nothing usable.
    Miss,
}

/// Looks up an access token for `subject` in `realm` with the expiry buffer; a result carries
/// `correlation_id`.
pub(crate) fn lookup_access_token(
    core: &AppCore,
    subject: Subject<'_>,
    realm: &str,
    scopes: &[&str],
    account: Option<&Account>,
    correlation_id: String,
) -> CacheLookup {
    let now = now_unix();
    let query = AccessTokenQuery::new(
        subject,
        core.config.environment(),
        &core.config.client_id,
        realm,
        scopes,
    )
    .valid_at(now.saturating_add(EXPIRY_BUFFER_SECS));
    let Some(at) = core.cache.cache().find_access_token(&query) else {
        return CacheLookup::Miss;
    };
    let refresh_on = at.refresh_on.get();
    let result = AuthenticationResult {
        access_token: at.secret.clone(),
        token_type: at.token_type().to_owned(),
        expires_on: from_unix(at.expires_on.get().unwrap_or(now)),
        refresh_on: refresh_on.map(from_unix),
        scopes: at.scopes().map(str::to_owned).collect(),
        account: account.cloned(),
        id_token_claims: None,
        tenant_id: at.realm.get().map(str::to_owned),
        token_source: TokenSource::Cache,
        correlation_id,
    };
    match refresh_on {
        Some(r) if r < now => CacheLookup::Aging(result),
        _ => CacheLookup::Fresh(result),
    }
}

/// Whether a scope would be refused or decorated by `Scopes::for_user`.
fn unusual_user_scope(scope: &str) -> bool {
    scope.is_empty() || is_reserved(scope) || scope.contains(char::is_whitespace)
}

impl AppCore {
    /// The cache hit path of `acquire_token_silent`, without awaiting: a fresh cached token
    /// of an in-memory cache, once the authority is resolved. `None` sends the call down
    /// [`silent`](Self::silent), which looks again and does everything else (a persisted
    /// cache's reload, the refresh, the errors). The result's correlation id is left empty
    /// for the caller to fill.
    pub(crate) fn silent_cached(
        &self,
        scopes: &[&str],
        account: &Account,
        options: &CallOptions,
    ) -> Option<AuthenticationResult> {
        if options.force_refresh
            || options.claims.is_some()
            || !self.cache.is_in_memory()
            || scopes.iter().any(|s| unusual_user_scope(s))
        {
            return None;
        }
        let resolved = self.resolved_fresh()?;
        let realm = match (&account.tenant_id, self.config.authority.is_multi_tenant()) {
            (Some(tid), true) => tid.as_str(),
            _ => resolved.tenant.as_str(),
        };
        let subject = Subject::Account(&account.home_account_id);
        match lookup_access_token(self, subject, realm, scopes, Some(account), String::new()) {
            CacheLookup::Fresh(hit) => Some(hit),
            CacheLookup::Aging(_) | CacheLookup::Miss => None,
        }
    }

    /// `acquire_token_silent` for a user account.
    pub(crate) async fn silent(
        &self,
        scopes: &[&str],
        account: &Account,
        ctx: &CallContext,
    ) -> Result<AuthenticationResult> {
        if scopes.iter().any(|s| unusual_user_scope(s)) {
            // Only to return its error; valid scopes skip the allocation on a cache hit.
            Scopes::for_user(scopes, false)?;
        }
        self.cache.load().await?;
        let resolved = self.resolve(ctx).await?;
        let realm = match (&account.tenant_id, self.config.authority.is_multi_tenant()) {
            (Some(tid), true) => tid.as_str(),
            _ => resolved.tenant.as_str(),
        };
        let bypass = ctx.options.force_refresh || ctx.options.claims.is_some();
        let subject = Subject::Account(&account.home_account_id);
        let aging = if bypass {
            None
        } else {
            let id = ctx.correlation_id().to_owned();
            match lookup_access_token(self, subject, realm, scopes, Some(account), id) {
                CacheLookup::Fresh(hit) => return Ok(hit),
                CacheLookup::Aging(hit) => Some(hit),
                CacheLookup::Miss => None,
            }
        };
        let decorated = Scopes::for_user(scopes, false)?;
        let key = flight_key(&[
            "silent",
            &self.config.authority.to_string(),
            &self.config.client_id,
            &account.home_account_id,
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
            .run(&key, || self.refresh_with_cache(&decorated, account, ctx))
            .await;
        match (outcome, aging) {
            (Ok(mut result), _) => {
                result.correlation_id = ctx.correlation_id().to_owned();
                Ok(result)
            }
            (Err(_), Some(cached)) => Ok(cached),
            (Err(error), None) => Err(needs_interaction(error)),
        }
    }

    /// Tries the account's refresh tokens in the order of reference A3.3.
    async fn refresh_with_cache(
        &self,
        scopes: &Scopes,
        account: &Account,
        ctx: &CallContext,
    ) -> Result<AuthenticationResult> {
        let candidates = refresh_candidates(
            self.cache.cache(),
            &account.home_account_id,
            self.config.environment(),
            &self.config.client_id,
        );
        if candidates.is_empty() {
            return Err(Error::new(
                ErrorKind::InteractionRequired,
                "no usable token in the cache for this account and scopes: the account has no \
                 refresh token for this application; sign the user in interactively (or with \
                 another flow) first",
            ));
        }
        let mut last_error = None;
        let mut skip_family = false;
        for candidate in candidates {
            if skip_family && candidate.family {
                continue;
            }
            match self
                .redeem_cached_rt(scopes, account, candidate.token, ctx)
                .await
            {
                Ok(result) => return Ok(result),
                Err(error) if is_network(&error) => return Err(error),
                Err(error) => {
                    if candidate.family && is_client_mismatch(&error) {
                        skip_family = true;
                    }
                    last_error = Some(error);
                }
            }
        }
        Err(last_error.unwrap_or_else(|| {
            Error::new(
                ErrorKind::InteractionRequired,
                "no refresh token could be used",
            )
        }))
    }

    async fn redeem_cached_rt(
        &self,
        scopes: &Scopes,
        account: &Account,
        rt: Arc<RefreshToken>,
        ctx: &CallContext,
    ) -> Result<AuthenticationResult> {
        let resolved = self.resolve(ctx).await?;
        let claims = self.claims(ctx.options.claims.as_deref())?;
        let grant = Grant::RefreshToken {
            refresh_token: rt.secret.clone(),
        };
        let mut request = TokenRequest::new(self.config.client_id.clone(), grant)
            .scopes(scopes.clone())
            .claims(claims);
        if let Some(anchor) = AnchorMailbox::from_home_account_id(&account.home_account_id) {
            request = request.anchor_mailbox(anchor);
        }
        let response = self.redeem(request, &resolved.token_endpoint, ctx).await?;
        let params = StoreParams {
            scopes: scopes.without_reserved().as_slice().to_vec(),
            grant_type: Some("refresh_token".to_owned()),
            requested_claims: ctx.options.claims.clone(),
            used_refresh_token: Some(rt),
            skip_account_creation: true,
            ..StoreParams::default()
        };
        let mut result = self.store(response, &resolved, params, ctx).await?;
        if result.account.is_none() {
            result.account = Some(account.clone());
        }
        Ok(result)
    }
}

/// A refresh token to try, and whether it was picked as a family token.
pub(crate) struct Candidate {
    pub token: Arc<RefreshToken>,
    pub family: bool,
}

/// The refresh tokens to try, in order (reference A3.3): for an app never seen, the family
/// `1` tokens; for a family member, its family's tokens; then the app's own token. Newest
/// first within a step; a token appears once.
pub(crate) fn refresh_candidates(
    cache: &TokenCache,
    home_account_id: &str,
    environment: &str,
    client_id: &str,
) -> Vec<Candidate> {
    let family = match cache.app_metadata(environment, client_id) {
        None => Some(FAMILY_ID.to_owned()),
        Some(meta) => meta.family_id().map(str::to_owned),
    };
    let mut out: Vec<Candidate> = Vec::new();
    if let Some(family) = family {
        for token in cache.family_refresh_tokens(home_account_id, environment, &family) {
            out.push(Candidate {
                token,
                family: true,
            });
        }
    }
    if let Some(own) = cache.refresh_token_for_client(home_account_id, environment, client_id)
        && !out.iter().any(|c| c.token.secret == own.secret)
    {
        out.push(Candidate {
            token: own,
            family: false,
        });
    }
    out
}

/// A rejected refresh token (`invalid_grant`) means the user must sign in again: the error
/// becomes [`ErrorKind::InteractionRequired`], keeping the service's answer (codes, claims,
/// reason) so callers match one kind for "go interactive".
fn needs_interaction(error: Error) -> Error {
    if error.kind() != ErrorKind::InvalidGrant {
        return error;
    }
    let message = format!(
        "the cached refresh token was rejected ({}); sign the user in interactively",
        error.message()
    );
    let mut converted = match error.entra() {
        Some(entra) => Error::from_entra(ErrorKind::InteractionRequired, message, entra.clone()),
        None => Error::new(ErrorKind::InteractionRequired, message),
    };
    if let Some(reason) = error.reason() {
        converted = converted.with_reason(reason);
    }
    match error.correlation() {
        Some(id) => converted.correlation_id(id),
        None => converted,
    }
}

fn is_network(error: &Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::Transport | ErrorKind::Timeout | ErrorKind::Throttled
    )
}

/// The service says the app is not a member of the token's family.
fn is_client_mismatch(error: &Error) -> bool {
    error.entra().is_some_and(|e| {
        e.suberror.as_deref() == Some("client_mismatch")
            || e.error_additional_info
                .iter()
                .any(|i| i.contains("client_mismatch"))
    })
}

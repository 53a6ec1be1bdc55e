//! The core shared by both application types: configuration, pipeline, cache, single flight,
//! and the three steps every flow uses (resolve, redeem, store).

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Instant;

use msal_cache::{RefreshToken, TokenResponseEvent};
use msal_core::authority::{AuthorityKind, AuthorityResolver, RESOLUTION_TTL, ResolvedAuthority};
use msal_core::endpoint::token::request_token;
use msal_core::http::Pipeline;
use msal_core::oauth2::{TokenRequest, TokenResponse, merge_claims};
use msal_core::token::{ClientInfo, IdTokenClaims};
use msal_core::{Error, ErrorKind, Result};
use serde_json::{Map, Value};
use url::Url;

use crate::cache_store::AppTokenCache;
use crate::call::CallContext;
use crate::client_credential::{ClientCredential, client_auth_of};
use crate::config::AppConfig;
use crate::result::{Account, AuthenticationResult, TokenSource, from_unix, now_unix};
use crate::single_flight::SingleFlight;

/// What a flow tells [`AppCore::store`] about the request a response answers.
#[derive(Debug, Default)]
pub(crate) struct StoreParams {
    /// The scopes asked for (used when the response names none).
    pub scopes: Vec<String>,
    /// The grant type (the account's `account_source`).
    pub grant_type: Option<String>,
    /// The username of a password grant.
    pub username: Option<String>,
    /// The claims sent with the request.
    pub requested_claims: Option<String>,
    /// On-behalf-of: the incoming assertion's hash.
    pub user_assertion_hash: Option<String>,
    /// A refresh token grant: the entry that was used (its secret is replaced).
    pub used_refresh_token: Option<Arc<RefreshToken>>,
    /// Do not write the account entry (silent refresh).
    pub skip_account_creation: bool,
}

/// Shared state of an application; both app types hold an `Arc` of it.
#[derive(Debug)]
pub(crate) struct AppCore {
    pub config: AppConfig,
    pub pipeline: Pipeline,
    pub cache: AppTokenCache,
    pub credential: Option<ClientCredential>,
    pub flights: SingleFlight<Result<AuthenticationResult>>,
    resolved: RwLock<Option<(Instant, Arc<ResolvedAuthority>)>>,
}

impl AppCore {
    pub(crate) fn new(
        config: AppConfig,
        pipeline: Pipeline,
        cache: AppTokenCache,
        credential: Option<ClientCredential>,
    ) -> Self {
        Self {
            config,
            pipeline,
            cache,
            credential,
            flights: SingleFlight::default(),
            resolved: RwLock::new(None),
        }
    }

    /// The authority's endpoints: resolved once per process (the global resolver), then
    /// kept by this application for the resolution lifetime.
    pub(crate) async fn resolve(&self, ctx: &CallContext) -> Result<Arc<ResolvedAuthority>> {
        if let Some(resolved) = self.resolved_fresh() {
            return Ok(resolved);
        }
        let resolved = AuthorityResolver::global()
            .resolve(
                &self.config.authority,
                &self.pipeline,
                &self.config.resolve_options(),
                &ctx.request,
            )
            .await?;
        let resolved = Arc::new(resolved);
        *self
            .resolved
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some((Instant::now(), resolved.clone()));
        Ok(resolved)
    }

    /// The endpoints this application resolved, while their resolution lifetime lasts
    /// (no request; the cache hit path uses it without awaiting).
    pub(crate) fn resolved_fresh(&self) -> Option<Arc<ResolvedAuthority>> {
        self.resolved
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .filter(|(at, _)| at.elapsed() < RESOLUTION_TTL)
            .map(|(_, resolved)| resolved.clone())
    }

    /// The claims to send: the challenge merged with the client capabilities.
    pub(crate) fn claims(&self, challenge: Option<&str>) -> Result<Option<String>> {
        merge_claims(challenge, &self.config.client_capabilities)
    }

    /// Sends a grant to `token_endpoint`, with the client's authentication added.
    pub(crate) async fn redeem(
        &self,
        request: TokenRequest,
        token_endpoint: &Url,
        ctx: &CallContext,
    ) -> Result<TokenResponse> {
        let auth = client_auth_of(
            self.credential.as_ref(),
            &self.config.client_id,
            token_endpoint.as_str(),
        )
        .await?;
        let request = request.client_auth(auth);
        request_token(&self.pipeline, token_endpoint, &request, &ctx.request).await
    }

    /// Writes a successful response to the cache (reference A2) and turns it into a result.
    pub(crate) async fn store(
        &self,
        response: TokenResponse,
        resolved: &ResolvedAuthority,
        params: StoreParams,
        ctx: &CallContext,
    ) -> Result<AuthenticationResult> {
        let now = now_unix();
        let claims_map = match &response.id_token {
            Some(idt) => Some(decode_claims(idt.expose())?),
            None => None,
        };
        let id_token_claims = match &claims_map {
            Some(map) => Some(IdTokenClaims::from_claims(map.clone())?),
            None => None,
        };
        let client_info = match response.client_info.as_deref() {
            Some(text) if !text.is_empty() => Some(ClientInfo::decode(text)?),
            _ => None,
        };
        let tid = id_token_claims.as_ref().and_then(|c| c.tid.clone());
        let realm = match (&tid, self.config.authority.is_multi_tenant()) {
            (Some(tid), true) => tid.clone(),
            _ => resolved.tenant.clone(),
        };
        let scopes: Vec<String> = match response.granted_scopes() {
            Some(granted) if !granted.is_empty() => {
                granted.into_iter().map(str::to_owned).collect()
            }
            _ => params.scopes.clone(),
        };
        let mut event = TokenResponseEvent::new(
            self.config.client_id.clone(),
            self.config.environment(),
            realm.clone(),
            now,
        );
        event.scopes = scopes.clone();
        event.access_token = Some(response.access_token.clone());
        event.token_type = Some(response.token_type.clone()).filter(|t| !t.is_empty());
        event.expires_in = response.expires_in.and_then(|v| i64::try_from(v).ok());
        event.expires_on = response.expires_on.and_then(|v| i64::try_from(v).ok());
        event.ext_expires_in = response.ext_expires_in.and_then(|v| i64::try_from(v).ok());
        event.refresh_in = response.refresh_in.and_then(|v| i64::try_from(v).ok());
        event.id_token = response.id_token.clone();
        event.id_token_claims = claims_map;
        event.client_info_uid = client_info.as_ref().and_then(|c| c.uid.clone());
        event.client_info_utid = client_info.as_ref().and_then(|c| c.utid.clone());
        event.family_id = response.foci.clone().filter(|f| !f.is_empty());
        event.requested_claims = params.requested_claims.clone();
        event.user_assertion_hash = params.user_assertion_hash.clone();
        event.grant_type = params.grant_type.clone();
        event.username = params.username.clone();
        event.authority_type = Some(self.authority_type().to_owned());
        event.skip_account_creation = params.skip_account_creation;
        let new_rt = response.refresh_token.clone();
        let used = params.used_refresh_token.clone();
        match (&used, &new_rt) {
            (Some(_), _) => {}
            (None, rt) => event.refresh_token = rt.clone(),
        }

        let result = self.result_of(&event, id_token_claims, tid, ctx);
        let write = event;
        self.cache
            .modify(move |cache| {
                cache.write_response(&write);
                if let (Some(used), Some(secret)) = (used, new_rt) {
                    cache.update_refresh_token(&used, secret, now);
                }
            })
            .await?;
        Ok(result)
    }

    fn authority_type(&self) -> &'static str {
        if self.config.authority.kind() == AuthorityKind::Adfs {
            "ADFS"
        } else {
            "MSSTS"
        }
    }

    fn result_of(
        &self,
        event: &TokenResponseEvent,
        id_token_claims: Option<IdTokenClaims>,
        tid: Option<String>,
        ctx: &CallContext,
    ) -> AuthenticationResult {
        let expires_on = match (event.expires_in, event.expires_on) {
            (Some(secs), _) => event.now.saturating_add(secs),
            (None, Some(at)) => at,
            (None, None) => event.now.saturating_add(600),
        };
        let account = event.home_account_id().map(|home| {
            let claims = id_token_claims.as_ref();
            let mut account = Account::new(home, self.config.environment());
            account.username = claims
                .and_then(|c| c.username().map(str::to_owned))
                .or_else(|| event.username.clone());
            account.local_account_id = claims.and_then(|c| c.local_account_id().map(str::to_owned));
            account.tenant_id = Some(event.realm.clone());
            account.authority_type = self.authority_type().to_owned();
            account.account_source = event.grant_type.clone();
            account
        });
        AuthenticationResult {
            access_token: event.access_token.clone().unwrap_or_default(),
            token_type: event
                .token_type
                .clone()
                .unwrap_or_else(|| "Bearer".to_owned()),
            expires_on: from_unix(expires_on),
            refresh_on: event
                .refresh_in
                .map(|r| from_unix(event.now.saturating_add(r))),
            scopes: event.scopes.clone(),
            account,
            id_token_claims,
            tenant_id: tid.or_else(|| Some(event.realm.clone())),
            token_source: TokenSource::IdentityProvider,
            correlation_id: ctx.correlation_id().to_owned(),
        }
    }
}

/// The claims of an id token, as a JSON object.
fn decode_claims(id_token: &str) -> Result<Map<String, Value>> {
    msal_core::token::jwt::decode_claims(id_token).map_err(|e| {
        Error::new(
            ErrorKind::MalformedResponse,
            format!("the id token of the response could not be decoded: {e}"),
        )
    })
}

//! `ConfidentialClientApplication`: web apps, web APIs and daemons (with a credential).

use std::sync::Arc;

use msal_core::Result;

use crate::app::AppCore;
use crate::builder::ConfidentialClientApplicationBuilder;
use crate::call::{CallOptions, instrumented, instrumented_or_cached};
use crate::result::AuthenticationResult;
use crate::shared::shared_methods;

/// An application that holds a credential (secret, certificate or assertion). Cheap to clone
/// (clones share the cache, the HTTP pipeline and the in-flight requests) and safe to share
/// across tasks.
#[derive(Debug, Clone)]
pub struct ConfidentialClientApplication {
    pub(crate) core: Arc<AppCore>,
}

shared_methods!(ConfidentialClientApplication);

impl ConfidentialClientApplication {
    /// Starts building an application with this client id.
    pub fn builder(client_id: impl Into<String>) -> ConfidentialClientApplicationBuilder {
        ConfidentialClientApplicationBuilder::new(client_id)
    }

    pub(crate) fn from_core(core: AppCore) -> Self {
        Self {
            core: Arc::new(core),
        }
    }

    /// The application's own token (client credentials), for scopes such as
    /// `https://graph.microsoft.com/.default`. The cache is used first (5-minute buffer);
    /// concurrent identical requests that miss it share one request; a token past its
    /// `refresh_on` is refreshed, and returned if the refresh fails. `options.claims`
    /// bypasses the cache; `options.force_refresh` is refused (as MSAL Python does).
    pub async fn acquire_token_for_client(
        &self,
        scopes: &[&str],
        options: &CallOptions,
    ) -> Result<AuthenticationResult> {
        instrumented_or_cached(
            &self.core.config,
            "client_credentials",
            options,
            None,
            || self.core.client_credentials_cached(scopes, options),
            |ctx| async move { self.core.client_credentials(scopes, &ctx).await },
        )
        .await
    }

    /// On-behalf-of: a web API exchanges the access token it received (`user_assertion`)
    /// for a token to a downstream API for the same user (decorated with `openid profile
    /// offline_access`). Results are cached per assertion (its SHA-256 hash, as MSAL .NET
    /// does): a cached token with 5 minutes left is returned (refreshed once its
    /// `refresh_on` passed, falling back to it), else the refresh token cached for this
    /// assertion is redeemed, else the jwt-bearer grant is sent. Two assertions never share
    /// a token. Concurrent identical requests share one request. `options.claims` and
    /// `options.force_refresh` skip the cached access token.
    ///
    /// Errors: kind `InvalidGrant` with AADSTS50013 (or 500133, 500131) when the incoming
    /// token is rejected; `InteractionRequired` with [`FailureReason`](msal_core::FailureReason)
    /// `MfaRequired` (the claims challenge in [`Error::claims`](msal_core::Error::claims),
    /// to send back to the client) or `ConsentRequired`.
    pub async fn acquire_token_on_behalf_of(
        &self,
        scopes: &[&str],
        user_assertion: msal_core::Secret,
        options: &CallOptions,
    ) -> Result<AuthenticationResult> {
        instrumented(
            &self.core.config,
            "on_behalf_of",
            options,
            None,
            |ctx| async move { self.core.on_behalf_of(scopes, &user_assertion, &ctx).await },
        )
        .await
    }
}

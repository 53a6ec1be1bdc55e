//! `ConfidentialClientApplication`: web apps, web APIs and daemons (with a credential).

use std::sync::Arc;

use msal_core::Result;

use crate::app::AppCore;
use crate::builder::ConfidentialClientApplicationBuilder;
use crate::call::{CallOptions, instrumented};
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
        instrumented(
            &self.core.config,
            "client_credentials",
            options,
            None,
            |ctx| async move { self.core.client_credentials(scopes, &ctx).await },
        )
        .await
    }
}

//! `PublicClientApplication`: desktop, mobile and command-line apps (no client secret).

use std::sync::Arc;

use msal_core::Result;

use crate::app::AppCore;
use crate::builder::PublicClientApplicationBuilder;
use crate::call::{CallOptions, instrumented};
use crate::flows::auth_code::with_context;
use crate::flows::device_code::{DeviceFlow, DevicePoll};
use crate::flows::interactive::InteractiveOptions;
use crate::result::AuthenticationResult;
use crate::shared::shared_methods;

/// An application that cannot keep a secret. Cheap to clone (clones share the cache, the
/// HTTP pipeline and the in-flight requests) and safe to share across tasks.
#[derive(Debug, Clone)]
pub struct PublicClientApplication {
    pub(crate) core: Arc<AppCore>,
}

shared_methods!(PublicClientApplication);

impl PublicClientApplication {
    /// Starts building an application with this client id.
    pub fn builder(client_id: impl Into<String>) -> PublicClientApplicationBuilder {
        PublicClientApplicationBuilder::new(client_id)
    }

    /// Starts a device code flow: show the returned [`DeviceFlow::message`] to the user,
    /// then call [`acquire_token_by_device_flow`](Self::acquire_token_by_device_flow).
    pub async fn initiate_device_flow(
        &self,
        scopes: &[&str],
        options: &CallOptions,
    ) -> Result<DeviceFlow> {
        with_context(options, |ctx| async move {
            self.core.initiate_device_flow(scopes, &ctx).await
        })
        .await
    }

    /// Polls until the user signs in, never faster than the flow's interval (5 seconds
    /// more after each `slow_down`). Errors: `ExpiredToken` when the code expires,
    /// `AuthorizationDeclined` when the user declines, or the service's error. Dropping the
    /// future stops polling; see [`acquire_token_by_device_flow_until`](Self::acquire_token_by_device_flow_until)
    /// for a cancellation signal.
    pub async fn acquire_token_by_device_flow(
        &self,
        flow: &DeviceFlow,
        options: &CallOptions,
    ) -> Result<AuthenticationResult> {
        self.acquire_token_by_device_flow_until(flow, std::future::pending(), options)
            .await
    }

    /// As [`acquire_token_by_device_flow`](Self::acquire_token_by_device_flow), stopping
    /// with [`ErrorKind::Cancelled`](msal_core::ErrorKind) as soon as `cancel` completes
    /// (for example `token.cancelled()` of a tokio-util `CancellationToken`, or a oneshot
    /// receiver).
    pub async fn acquire_token_by_device_flow_until<C>(
        &self,
        flow: &DeviceFlow,
        cancel: C,
        options: &CallOptions,
    ) -> Result<AuthenticationResult>
    where
        C: std::future::Future<Output = ()> + Send,
    {
        instrumented(
            &self.core.config,
            "device_code",
            options,
            None,
            |ctx| async move { self.core.device_flow_until(flow, cancel, &ctx).await },
        )
        .await
    }

    /// Polls once, without waiting: `Pending` (with the time to wait before the next poll)
    /// or the result. It sends one request, or none when called before the interval since
    /// the previous poll of this flow (or its clones) has passed: the service's interval,
    /// and `slow_down`, are kept even by a caller polling in a tight loop.
    pub async fn poll_device_flow_once(
        &self,
        flow: &DeviceFlow,
        options: &CallOptions,
    ) -> Result<DevicePoll> {
        with_context(options, |ctx| async move {
            self.core.poll_device_flow(flow, &ctx).await
        })
        .await
    }

    /// Signs the user in with the browser: a loopback listener on `127.0.0.1` (random port,
    /// redirect URI `http://localhost:{port}`), the authorize URL opened with
    /// `options.open_browser` (the system browser by default), then the code redeemed with
    /// PKCE and the id token's nonce checked. Errors: `Timeout` when no response arrives in
    /// `options.timeout`; the redirect's error (`AuthorizationDeclined`,
    /// `InteractionRequired`); `CredentialUnavailable` when no browser can be opened.
    pub async fn acquire_token_interactive(
        &self,
        scopes: &[&str],
        interactive: &InteractiveOptions,
        options: &CallOptions,
    ) -> Result<AuthenticationResult> {
        instrumented(
            &self.core.config,
            "interactive",
            options,
            interactive.login_hint.as_deref(),
            |ctx| async move { self.core.interactive(scopes, interactive, &ctx).await },
        )
        .await
    }

    pub(crate) fn from_core(core: AppCore) -> Self {
        Self {
            core: Arc::new(core),
        }
    }
}

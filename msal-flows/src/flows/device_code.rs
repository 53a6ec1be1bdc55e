//! Device code (RFC 8628): initiate, then poll the token endpoint at the service's interval
//! (5 seconds more after each `slow_down`) until the user signs in, declines, the code
//! expires, or the caller cancels.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use msal_core::endpoint::device_code::{DeviceCodeRequest, initiate};
use msal_core::oauth2::{Grant, GrantType, Scopes, TokenRequest};
use msal_core::{Error, ErrorKind, Result, Secret};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::app::{AppCore, StoreParams};
use crate::call::CallContext;
use crate::result::{AuthenticationResult, from_unix, now_unix};

/// Seconds added to the polling interval after each `slow_down` answer (RFC 8628).
const SLOW_DOWN_STEP: u64 = 5;

/// A started device code flow: show [`message`](Self::message) to the user, then poll with
/// `acquire_token_by_device_flow` (or `poll_device_flow_once`).
///
/// It serialises (serde), so a tool can keep it between runs. The serialised form holds the
/// `device_code`, which redeems the user's sign-in: store it like a password. `Debug` never
/// shows it.
///
/// ```no_run
/// use msal_flows::{CallOptions, PublicClientApplication};
///
/// # async fn run(stop: tokio::sync::oneshot::Receiver<()>) -> msal_core::Result<()> {
/// let app = PublicClientApplication::builder("11111111-1111-1111-1111-111111111111")
///     .authority("https://login.microsoftonline.com/organizations")
///     .build()?;
/// let flow = app.initiate_device_flow(&["User.Read"], &CallOptions::new()).await?;
/// println!("{}", flow.message);
/// // Polls every `flow.interval` seconds until the user signs in, or until `stop` fires.
/// let result = app
///     .acquire_token_by_device_flow_until(
///         &flow,
///         async { let _ = stop.await; },
///         &CallOptions::new(),
///     )
///     .await?;
/// println!("signed in as {:?}", result.account.and_then(|a| a.username));
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeviceFlow {
    /// The code the user types on the verification page.
    pub user_code: String,
    /// The page where the user enters the code.
    pub verification_uri: String,
    /// The instruction to show the user (the service's, or one built from the above).
    pub message: String,
    /// When the codes expire (Unix seconds; see [`expires_on`](Self::expires_on)).
    pub expires_at: i64,
    /// Seconds to wait between polls, as the service asked.
    pub interval: u64,
    /// The scopes asked for (as sent, reserved scopes included).
    pub scopes: Vec<String>,
    /// The claims sent at initiation.
    pub claims: Option<String>,
    #[serde(serialize_with = "crate::flows::auth_code::serialize_secret")]
    device_code: Secret,
    /// When the last poll went out and the interval now in force (shared by clones).
    #[serde(skip)]
    pace: Arc<Mutex<Pace>>,
}

/// The polling pace of one device code.
#[derive(Debug, Default)]
struct Pace {
    /// The last poll: the next one waits for `interval` after it.
    last: Option<tokio::time::Instant>,
    /// The interval in force, in seconds (0 before the first poll: the flow's own).
    interval: u64,
}

impl fmt::Debug for DeviceFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceFlow")
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .field("expires_at", &self.expires_at)
            .field("interval", &self.interval)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

impl DeviceFlow {
    /// When the codes expire.
    pub fn expires_on(&self) -> OffsetDateTime {
        from_unix(self.expires_at)
    }

    /// Whether the codes have expired.
    pub fn is_expired(&self) -> bool {
        now_unix() >= self.expires_at
    }

    /// The interval in force (the flow's, plus 5 seconds per `slow_down`), in seconds.
    fn current_interval(&self) -> u64 {
        let pace = self.pace.lock().unwrap_or_else(PoisonError::into_inner);
        pace.interval.max(self.interval).max(1)
    }

    /// How long until the next poll is allowed; before the first poll, `first` (zero for
    /// a single poll; the interval for the polling loop, which gives the user time to act).
    fn wait_before_poll(&self, first: Duration) -> Duration {
        let pace = self.pace.lock().unwrap_or_else(PoisonError::into_inner);
        let interval = Duration::from_secs(pace.interval.max(self.interval).max(1));
        match pace.last {
            Some(last) => (last + interval).saturating_duration_since(tokio::time::Instant::now()),
            None => first,
        }
    }

    /// Records a poll sent now, and the interval that follows it.
    fn record_poll(&self, interval: u64) {
        let mut pace = self.pace.lock().unwrap_or_else(PoisonError::into_inner);
        pace.last = Some(tokio::time::Instant::now());
        pace.interval = interval;
    }
}

/// The outcome of one poll ([`poll_device_flow_once`](crate::PublicClientApplication::poll_device_flow_once)).
#[derive(Debug)]
#[non_exhaustive]
pub enum DevicePoll {
    /// The user has not finished; poll again after `retry_after` (longer after `slow_down`).
    Pending {
        /// How long to wait before the next poll.
        retry_after: Duration,
    },
    /// The user signed in.
    Complete(Box<AuthenticationResult>),
}

impl AppCore {
    /// Starts a device code flow.
    pub(crate) async fn initiate_device_flow(
        &self,
        scopes: &[&str],
        ctx: &CallContext,
    ) -> Result<DeviceFlow> {
        let scopes = Scopes::for_user(scopes, false)?;
        let claims = self.claims(ctx.options.claims.as_deref())?;
        let resolved = self.resolve(ctx).await?;
        let endpoint = resolved
            .device_authorization_endpoint
            .clone()
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidAuthority,
                    "the authority has no device authorization endpoint",
                )
            })?;
        let request =
            DeviceCodeRequest::new(self.config.client_id.clone(), scopes.clone()).claims(claims);
        let answer = initiate(&self.pipeline, &endpoint, &request, &ctx.request).await?;
        let expires_in = i64::try_from(answer.expires_in).unwrap_or(i64::MAX);
        let message = answer.message.clone().unwrap_or_else(|| {
            format!(
                "To sign in, open {} and enter the code {}.",
                answer.verification_uri, answer.user_code
            )
        });
        Ok(DeviceFlow {
            user_code: answer.user_code,
            verification_uri: answer.verification_uri,
            message,
            expires_at: now_unix().saturating_add(expires_in),
            interval: answer.interval.max(1),
            scopes: scopes.as_slice().to_vec(),
            claims: ctx.options.claims.clone(),
            device_code: answer.device_code,
            pace: Arc::default(),
        })
    }

    /// Sends one poll, or none when the interval since the last one has not passed yet
    /// (then `Pending` with the time left).
    pub(crate) async fn poll_device_flow(
        &self,
        flow: &DeviceFlow,
        ctx: &CallContext,
    ) -> Result<DevicePoll> {
        if flow.is_expired() {
            return Err(expired());
        }
        let wait = flow.wait_before_poll(Duration::ZERO);
        if !wait.is_zero() {
            return Ok(DevicePoll::Pending { retry_after: wait });
        }
        let resolved = self.resolve(ctx).await?;
        let interval = flow.current_interval();
        flow.record_poll(interval);
        let grant = Grant::DeviceCode {
            device_code: flow.device_code.clone(),
        };
        let request = TokenRequest::new(self.config.client_id.clone(), grant);
        match self.redeem(request, &resolved.token_endpoint, ctx).await {
            Ok(response) => {
                let params = StoreParams {
                    scopes: Scopes::from_wire(&flow.scopes.join(" "))
                        .without_reserved()
                        .as_slice()
                        .to_vec(),
                    grant_type: Some(GrantType::DeviceCode.as_str().to_owned()),
                    requested_claims: flow.claims.clone(),
                    ..StoreParams::default()
                };
                let result = self.store(response, &resolved, params, ctx).await?;
                Ok(DevicePoll::Complete(Box::new(result)))
            }
            Err(e) if e.kind() == ErrorKind::AuthorizationPending => Ok(DevicePoll::Pending {
                retry_after: Duration::from_secs(interval),
            }),
            Err(e) if e.kind() == ErrorKind::SlowDown => {
                let slower = interval.saturating_add(SLOW_DOWN_STEP);
                flow.record_poll(slower);
                Ok(DevicePoll::Pending {
                    retry_after: Duration::from_secs(slower),
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Polls at the interval until a result, an error, expiry or `cancel` resolving.
    pub(crate) async fn device_flow_until<C: Future<Output = ()>>(
        &self,
        flow: &DeviceFlow,
        cancel: C,
        ctx: &CallContext,
    ) -> Result<AuthenticationResult> {
        tokio::select! {
            biased;
            () = cancel => Err(Error::new(ErrorKind::Cancelled, "the device code flow was cancelled")),
            outcome = self.device_flow_loop(flow, ctx) => outcome,
        }
    }

    async fn device_flow_loop(
        &self,
        flow: &DeviceFlow,
        ctx: &CallContext,
    ) -> Result<AuthenticationResult> {
        let remaining = u64::try_from(flow.expires_at.saturating_sub(now_unix())).unwrap_or(0);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(remaining);
        loop {
            let first = Duration::from_secs(flow.current_interval());
            let next = tokio::time::Instant::now() + flow.wait_before_poll(first);
            if next >= deadline {
                tokio::time::sleep_until(deadline).await;
                return Err(expired());
            }
            tokio::time::sleep_until(next).await;
            if let DevicePoll::Complete(result) = self.poll_device_flow(flow, ctx).await? {
                return Ok(*result);
            }
        }
    }
}

fn expired() -> Error {
    Error::new(
        ErrorKind::ExpiredToken,
        "the device code expired before the user signed in: start a new device code flow",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CallOptions;
    use crate::test_support::*;
    use msal_core::http::Method;

    const USER_READ: &str = "https://graph.microsoft.com/User.Read";

    fn recorded_response(path: &str, status: u64) -> String {
        recording("msal_device_code")
            .into_iter()
            .find(|r| r["path"].as_str().unwrap().ends_with(path) && r["status"] == status)
            .unwrap()["response"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    #[tokio::test]
    async fn initiation_sends_the_recorded_body_and_keeps_the_answer() {
        let fake = FakeHttp::from_recording("msal_device_code");
        let flow = public_app(&fake)
            .initiate_device_flow(&[USER_READ], &CallOptions::new())
            .await
            .unwrap();
        assert_eq!(flow.user_code, "FAKE-CODE");
        assert_eq!(flow.interval, 1);
        assert!(flow.message.contains("FAKE-CODE"));
        assert!((flow.expires_at - now_unix() - 900).abs() <= 2);
        let sent = fake.sent_to("/devicecode");
        let r = recorded("msal_device_code", "POST", "/devicecode");
        assert_eq!(
            form(&sent[0].body),
            form(r["body"].as_str().unwrap().as_bytes())
        );
        assert!(!format!("{flow:?}").contains("fake-devicecode"));
    }

    #[tokio::test(start_paused = true)]
    async fn polling_waits_the_interval_and_sends_the_recorded_body() {
        let fake = FakeHttp::from_recording("msal_device_code");
        let app = public_app(&fake);
        let flow = app
            .initiate_device_flow(&[USER_READ], &CallOptions::new())
            .await
            .unwrap();
        // First answer pending, then the token.
        fake.route(
            Method::Post,
            "/oauth2/v2.0/token",
            400,
            &recorded_response("/token", 400),
        );
        let poll = app.poll_device_flow_once(&flow, &CallOptions::new()).await;
        assert!(
            matches!(poll, Ok(DevicePoll::Pending { retry_after }) if retry_after == Duration::from_secs(1))
        );
        fake.route(
            Method::Post,
            "/oauth2/v2.0/token",
            200,
            &recorded_response("/token", 200),
        );
        let started = tokio::time::Instant::now();
        let result = app
            .acquire_token_by_device_flow(&flow, &CallOptions::new())
            .await
            .unwrap();
        assert!(started.elapsed() >= Duration::from_secs(1));
        assert!(result.account.is_some());
        let sent = fake.sent_to("/oauth2/v2.0/token");
        assert_eq!(sent.len(), 2);
        let recorded_body = recorded("msal_device_code", "POST", "/oauth2/v2.0/token");
        // MSAL Python also sends the device code as `code` (a legacy duplicate).
        let expected: Vec<_> = form(recorded_body["body"].as_str().unwrap().as_bytes())
            .into_iter()
            .filter(|(k, _)| k != "code")
            .collect();
        assert_eq!(form(&sent[1].body), expected);
    }

    #[tokio::test(start_paused = true)]
    async fn slow_down_adds_five_seconds_to_the_interval() {
        let fake = FakeHttp::from_recording("msal_device_code");
        let app = public_app(&fake);
        let flow = app
            .initiate_device_flow(&[USER_READ], &CallOptions::new())
            .await
            .unwrap();
        fake.route(
            Method::Post,
            "/oauth2/v2.0/token",
            400,
            r#"{"error":"slow_down","error_description":"slow down"}"#,
        );
        let task = {
            let app = app.clone();
            let flow = flow.clone();
            tokio::spawn(async move {
                app.acquire_token_by_device_flow(&flow, &CallOptions::new())
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(fake.sent_to("/oauth2/v2.0/token").len(), 1);
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(fake.sent_to("/oauth2/v2.0/token").len(), 1, "waits 1 + 5 s");
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(fake.sent_to("/oauth2/v2.0/token").len(), 2);
        task.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn expiry_stops_polling_with_expired_token() {
        let fake = FakeHttp::from_recording("msal_device_code");
        let app = public_app(&fake);
        let mut flow = app
            .initiate_device_flow(&[USER_READ], &CallOptions::new())
            .await
            .unwrap();
        flow.expires_at = now_unix() + 3;
        fake.route(
            Method::Post,
            "/oauth2/v2.0/token",
            400,
            &recorded_response("/token", 400),
        );
        let err = app
            .acquire_token_by_device_flow(&flow, &CallOptions::new())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ExpiredToken);
        assert!(fake.sent_to("/oauth2/v2.0/token").len() <= 3);
    }

    #[tokio::test(start_paused = true)]
    async fn polling_once_in_a_tight_loop_keeps_to_the_interval_and_slow_down() {
        let fake = FakeHttp::from_recording("msal_device_code");
        let app = public_app(&fake);
        let flow = app
            .initiate_device_flow(&[USER_READ], &CallOptions::new())
            .await
            .unwrap();
        fake.route(
            Method::Post,
            "/oauth2/v2.0/token",
            400,
            r#"{"error":"slow_down","error_description":"slow down"}"#,
        );
        let options = CallOptions::new();
        let first = app.poll_device_flow_once(&flow, &options).await.unwrap();
        assert!(
            matches!(first, DevicePoll::Pending { retry_after } if retry_after == Duration::from_secs(6))
        );
        for _ in 0..10 {
            let again = app
                .poll_device_flow_once(&flow.clone(), &options)
                .await
                .unwrap();
            assert!(
                matches!(again, DevicePoll::Pending { retry_after } if retry_after <= Duration::from_secs(6))
            );
        }
        assert_eq!(
            fake.sent_to("/oauth2/v2.0/token").len(),
            1,
            "no request before the interval"
        );
        tokio::time::sleep(Duration::from_secs(6)).await;
        app.poll_device_flow_once(&flow, &options).await.unwrap();
        assert_eq!(fake.sent_to("/oauth2/v2.0/token").len(), 2);
    }

    #[test]
    fn serialised_flow_round_trips_with_the_device_code() {
        let flow = DeviceFlow {
            user_code: "U".into(),
            verification_uri: "https://v".into(),
            message: "m".into(),
            expires_at: 10,
            interval: 5,
            scopes: vec!["openid".into()],
            claims: None,
            device_code: Secret::new("dc"),
            pace: Arc::default(),
        };
        let text = serde_json::to_string(&flow).unwrap();
        let back: DeviceFlow = serde_json::from_str(&text).unwrap();
        assert_eq!(back.device_code.expose(), "dc");
        assert_eq!(back.interval, 5);
    }
}

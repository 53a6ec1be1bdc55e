//! The `get_token_info` policy of Azure Identity: serve a remembered token while it is fresh,
//! refresh it proactively when its `refresh_on` has passed or under 5 minutes remain (serving
//! it if the refresh fails), try at most once per 30 seconds, and let concurrent calls for the
//! same request share one acquisition.

use std::collections::HashMap;
use std::fmt::Debug;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use msal_core::{AccessTokenInfo, Result};
use time::{Duration, OffsetDateTime};
use tokio::sync::OnceCell;

/// A token with less than this left is refreshed.
pub const REFRESH_OFFSET: Duration = Duration::seconds(300);
/// A refresh is attempted at most once in this period.
pub const RETRY_DELAY: Duration = Duration::seconds(30);

/// The time source of the refresh policy (injectable for tests).
pub trait Clock: Send + Sync + Debug {
    /// The current time.
    fn now(&self) -> OffsetDateTime;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// What identifies one token of a credential.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct TokenKey {
    pub scopes: Vec<String>,
    pub tenant: String,
    pub claims: Option<String>,
    pub cae: bool,
}

/// Why an acquisition runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// Nothing usable is remembered: a failure is the caller's error.
    Initial,
    /// A still-valid token is aging: bypass cached access tokens; a failure is not fatal.
    Refresh,
}

type Flight = Arc<OnceCell<Result<AccessTokenInfo>>>;

#[derive(Default)]
struct Slot {
    token: Option<AccessTokenInfo>,
    last_attempt: Option<OffsetDateTime>,
    flight: Option<Flight>,
}

/// Whether `token` should be refreshed at `now`, given the last attempt.
pub(crate) fn should_refresh(
    token: &AccessTokenInfo,
    now: OffsetDateTime,
    last_attempt: Option<OffsetDateTime>,
) -> bool {
    let aging =
        token.refresh_on.is_some_and(|r| now >= r) || token.expires_on - now <= REFRESH_OFFSET;
    aging && last_attempt.is_none_or(|last| now - last >= RETRY_DELAY)
}

/// The remembered tokens of one credential and the policy around them.
pub(crate) struct TokenPolicy {
    clock: Arc<dyn Clock>,
    slots: Mutex<HashMap<TokenKey, Slot>>,
}

impl Debug for TokenPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenPolicy")
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl TokenPolicy {
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// Forgets every remembered token (after `authenticate`, for instance).
    pub(crate) fn clear(&self) {
        self.slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// A token for `key`: the remembered one, or one from `acquire`, shared by every
    /// concurrent caller of the same key.
    pub(crate) async fn get<F, Fut>(&self, key: TokenKey, acquire: F) -> Result<AccessTokenInfo>
    where
        F: FnOnce(Attempt) -> Fut,
        Fut: Future<Output = Result<AccessTokenInfo>>,
    {
        let now = self.clock.now();
        let (valid, flight) = {
            let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
            let slot = slots.entry(key.clone()).or_default();
            let valid = slot.token.clone().filter(|t| t.expires_on > now);
            if let Some(token) = &valid
                && slot.flight.is_none()
                && !should_refresh(token, now, slot.last_attempt)
            {
                return Ok(token.clone());
            }
            if let Some(token) = &valid
                && slot.flight.is_some()
                && !token_expiring(token, now)
            {
                // A refresh is already running: keep serving the valid token meanwhile.
                return Ok(token.clone());
            }
            let flight = slot.flight.get_or_insert_with(Flight::default).clone();
            slot.last_attempt = Some(now);
            (valid, flight)
        };
        let attempt = if valid.is_some() {
            Attempt::Refresh
        } else {
            Attempt::Initial
        };
        // If this call is dropped mid-flight, the guard removes the abandoned flight so the
        // next call starts its own.
        let mut guard = FlightGuard {
            slots: &self.slots,
            key: &key,
            flight: &flight,
            armed: true,
        };
        let outcome = flight.get_or_init(|| acquire(attempt)).await.clone();
        guard.finish(outcome.as_ref().ok());
        match (outcome, valid) {
            (Ok(token), _) => Ok(token),
            (Err(error), Some(token)) => {
                tracing::warn!(
                    kind = error.kind().as_str(),
                    "refreshing a token failed; the cached token is still valid and is used"
                );
                Ok(token)
            }
            (Err(error), None) => Err(error),
        }
    }
}

/// Clears a slot's flight when the call that joined it ends, normally or by cancellation.
struct FlightGuard<'a> {
    slots: &'a Mutex<HashMap<TokenKey, Slot>>,
    key: &'a TokenKey,
    flight: &'a Flight,
    armed: bool,
}

impl FlightGuard<'_> {
    /// Ends the flight, remembering its token.
    fn finish(&mut self, token: Option<&AccessTokenInfo>) {
        self.armed = false;
        self.clear(token);
    }

    fn clear(&self, token: Option<&AccessTokenInfo>) {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = slots.get_mut(self.key)
            && slot
                .flight
                .as_ref()
                .is_some_and(|f| Arc::ptr_eq(f, self.flight))
        {
            slot.flight = None;
            if let Some(token) = token {
                slot.token = Some(token.clone());
            }
        }
    }
}

impl Drop for FlightGuard<'_> {
    fn drop(&mut self) {
        // Still armed: the call was dropped while the flight ran. An uninitialized flight is
        // abandoned unless another caller picks it up; removing it lets the next call start.
        if !self.armed || self.flight.initialized() {
            return;
        }
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = slots.get_mut(self.key)
            && slot.flight.as_ref().is_some_and(|f| Arc::ptr_eq(f, self.flight))
            // Held by the slot and this call only: nobody else will finish it.
            && Arc::strong_count(self.flight) <= 2
        {
            slot.flight = None;
        }
    }
}

/// Whether a token is so close to expiry that callers should rather wait for a refresh.
fn token_expiring(token: &AccessTokenInfo, now: OffsetDateTime) -> bool {
    token.expires_on - now <= Duration::seconds(5)
}

/// The token of an msal-flows result, as a credential returns it.
pub(crate) fn token_info(result: &msal_flows::AuthenticationResult) -> AccessTokenInfo {
    AccessTokenInfo {
        token: result.access_token.clone(),
        expires_on: result.expires_on,
        token_type: result.token_type.clone(),
        refresh_on: result.refresh_on,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use msal_core::{Error, ErrorKind, Secret};
    use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

    #[derive(Debug)]
    struct Manual(AtomicI64);

    impl Clock for Manual {
        fn now(&self) -> OffsetDateTime {
            OffsetDateTime::from_unix_timestamp(self.0.load(Ordering::SeqCst)).unwrap()
        }
    }

    const T0: i64 = 1_800_000_000;

    fn token(name: &str, expires: i64, refresh_on: Option<i64>) -> AccessTokenInfo {
        AccessTokenInfo {
            token: Secret::new(name),
            expires_on: OffsetDateTime::from_unix_timestamp(expires).unwrap(),
            token_type: "Bearer".into(),
            refresh_on: refresh_on.map(|r| OffsetDateTime::from_unix_timestamp(r).unwrap()),
        }
    }

    fn key() -> TokenKey {
        TokenKey {
            scopes: vec!["s".into()],
            tenant: "t".into(),
            claims: None,
            cae: false,
        }
    }

    fn setup() -> (Arc<Manual>, TokenPolicy) {
        let clock = Arc::new(Manual(AtomicI64::new(T0)));
        (clock.clone(), TokenPolicy::new(clock))
    }

    #[tokio::test]
    async fn fresh_token_is_served_without_acquiring() {
        let (_, policy) = setup();
        let calls = AtomicUsize::new(0);
        for _ in 0..3 {
            let got = policy
                .get(key(), |_| async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Ok(token("a", T0 + 3600, None))
                })
                .await
                .unwrap();
            assert_eq!(got.token.expose(), "a");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn passed_refresh_on_refreshes_and_failure_serves_the_valid_token_once_per_30s() {
        let (clock, policy) = setup();
        policy
            .get(key(), |_| async {
                Ok(token("a", T0 + 3600, Some(T0 + 1800)))
            })
            .await
            .unwrap();
        clock.0.store(T0 + 1801, Ordering::SeqCst);
        let attempts = AtomicUsize::new(0);
        let fail = |attempt: Attempt| {
            assert_eq!(attempt, Attempt::Refresh);
            attempts.fetch_add(1, Ordering::SeqCst);
            async { Err(Error::new(ErrorKind::Transport, "down")) }
        };
        assert_eq!(policy.get(key(), fail).await.unwrap().token.expose(), "a");
        clock.0.store(T0 + 1820, Ordering::SeqCst);
        assert_eq!(policy.get(key(), fail).await.unwrap().token.expose(), "a");
        assert_eq!(attempts.load(Ordering::SeqCst), 1, "no retry within 30 s");
        clock.0.store(T0 + 1832, Ordering::SeqCst);
        let got = policy
            .get(key(), |_| async { Ok(token("b", T0 + 7200, None)) })
            .await
            .unwrap();
        assert_eq!(got.token.expose(), "b");
    }

    #[tokio::test]
    async fn under_five_minutes_left_refreshes_and_expired_failure_is_an_error() {
        let (clock, policy) = setup();
        policy
            .get(key(), |_| async { Ok(token("a", T0 + 3600, None)) })
            .await
            .unwrap();
        clock.0.store(T0 + 3299, Ordering::SeqCst);
        let got = policy
            .get(key(), |_| async { Ok(token("b", T0 + 7200, None)) })
            .await
            .unwrap();
        assert_eq!(got.token.expose(), "a", "301 s left: not yet");
        clock.0.store(T0 + 3301, Ordering::SeqCst);
        let got = policy
            .get(key(), |_| async { Ok(token("b", T0 + 7200, None)) })
            .await
            .unwrap();
        assert_eq!(got.token.expose(), "b");
        clock.0.store(T0 + 7201, Ordering::SeqCst);
        let err = policy
            .get(key(), |a| async move {
                assert_eq!(a, Attempt::Initial);
                Err(Error::new(ErrorKind::Transport, "down"))
            })
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Transport);
    }

    #[tokio::test]
    async fn a_cancelled_refresh_does_not_block_later_refreshes() {
        let (clock, policy) = setup();
        policy
            .get(key(), |_| async {
                Ok(token("a", T0 + 3600, Some(T0 + 100)))
            })
            .await
            .unwrap();
        clock.0.store(T0 + 101, Ordering::SeqCst);
        let slow = policy.get(key(), |_| async {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            Ok(token("never", T0 + 3600, None))
        });
        let cancelled = tokio::time::timeout(std::time::Duration::from_millis(20), slow).await;
        assert!(cancelled.is_err());
        let flight = policy
            .slots
            .lock()
            .unwrap()
            .get(&key())
            .unwrap()
            .flight
            .is_some();
        assert!(!flight, "the abandoned flight was removed");
        clock.0.store(T0 + 140, Ordering::SeqCst);
        let got = policy
            .get(key(), |_| async { Ok(token("b", T0 + 7200, None)) })
            .await
            .unwrap();
        assert_eq!(got.token.expose(), "b");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_waiter_giving_up_leaves_the_running_acquisition_in_place() {
        let (_, policy) = setup();
        let policy = Arc::new(policy);
        let calls = Arc::new(AtomicUsize::new(0));
        let slow = |calls: Arc<AtomicUsize>| {
            move |_| async move {
                calls.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                Ok(token("a", T0 + 3600, None))
            }
        };
        let leader = {
            let (policy, calls) = (policy.clone(), calls.clone());
            tokio::spawn(async move { policy.get(key(), slow(calls)).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        let waiter = policy.get(key(), slow(calls.clone()));
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(30), waiter)
                .await
                .is_err()
        );
        assert_eq!(leader.await.unwrap().unwrap().token.expose(), "a");
        policy.get(key(), slow(calls.clone())).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_calls_share_one_acquisition() {
        let (_, policy) = setup();
        let policy = Arc::new(policy);
        let calls = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (policy, calls) = (policy.clone(), calls.clone());
                tokio::spawn(async move {
                    policy
                        .get(key(), |_| async {
                            calls.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                            Ok(token("a", T0 + 3600, None))
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap().token.expose(), "a");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}

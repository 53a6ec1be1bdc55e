//! The throttling memory: requests the service asked us not to repeat, and 400 answers that
//! an identical request would get again.
//!
//! It applies to form POSTs (token and device code requests) only, as MSAL Python's
//! `ThrottledHttpClient` does (protocol.md 10.1):
//! - **Blocked requests.** After an answer that is 429, 5xx or carries `Retry-After`, the same
//!   request is refused without sending until the wait is over. "The same" means the same URL,
//!   `client_id`, `scope` and grant (the first of `refresh_token`, `code`, `device_code`,
//!   `username`, `assertion`). The wait is `Retry-After` when valid, otherwise 60 s for public
//!   clients and 5 s for confidential ones (a body with `client_secret` or
//!   `client_assertion`), never more than an hour.
//! - **Replayed 400s.** A 400 answer without `Retry-After` is kept for 60 s and given back for
//!   a byte-identical request (same URL, same whole body): the same wrong password or dead
//!   refresh token is not sent again. Device code polls are exempt: their 400
//!   `authorization_pending` answers are the normal course of polling.
//!
//! Keys are SHA-256 digests of those fields, so no password, token or user name is kept.
//! Answers larger than 64 KiB are not kept. The memory holds at most `capacity` entries;
//! expired entries go first, then the oldest.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use openssl::sha::Sha256;
use tokio::time::Instant;

use super::retry::retry_after_of;
use super::{HttpRequest, HttpResponse, Method};
use crate::EntraError;
use crate::oauth2::parse_error_response;

/// How long a 400 answer is replayed.
pub(crate) const REPLAY_TTL: Duration = Duration::from_secs(60);
/// How long a public client's request is blocked when the service did not say.
pub(crate) const PUBLIC_CLIENT_DEFAULT: Duration = Duration::from_secs(60);
/// How long a confidential client's request is blocked when the service did not say.
pub(crate) const CONFIDENTIAL_CLIENT_DEFAULT: Duration = Duration::from_secs(5);
/// The longest block, whatever `Retry-After` says.
pub(crate) const MAX_BLOCK: Duration = Duration::from_secs(3600);
/// Larger answers are not kept.
const MAX_KEPT_BODY: usize = 64 * 1024;

const DEVICE_CODE_GRANTS: [&str; 2] = [
    "urn:ietf:params:oauth:grant-type:device_code",
    "device_code",
];
const GRANT_FIELDS: [&str; 5] = [
    "refresh_token",
    "code",
    "device_code",
    "username",
    "assertion",
];

/// What the throttling memory needs to know of a form POST.
#[derive(Clone)]
pub(crate) struct FormKeys {
    grant_key: [u8; 32],
    body_key: [u8; 32],
    confidential: bool,
    device_code_poll: bool,
}

impl FormKeys {
    /// The keys of a request, or `None` when the request is not a form POST.
    pub(crate) fn of(request: &HttpRequest) -> Option<Self> {
        if request.method != Method::Post || !is_form(request) {
            return None;
        }
        let field = |name: &str| {
            url::form_urlencoded::parse(&request.body)
                .find(|(n, _)| n == name)
                .map(|(_, v)| v)
        };
        let mut grant = Sha256::new();
        grant.update(b"blocked-request");
        put(&mut grant, request.url.as_str().as_bytes());
        put(
            &mut grant,
            field("client_id").unwrap_or_default().as_bytes(),
        );
        put(&mut grant, field("scope").unwrap_or_default().as_bytes());
        let secret = GRANT_FIELDS.iter().find_map(|name| field(name));
        put(&mut grant, secret.unwrap_or_default().as_bytes());

        let mut body = Sha256::new();
        body.update(b"replayed-400");
        put(&mut body, request.url.as_str().as_bytes());
        put(&mut body, &request.body);

        let grant_type = field("grant_type");
        Some(Self {
            grant_key: grant.finish(),
            body_key: body.finish(),
            confidential: field("client_secret").is_some() || field("client_assertion").is_some(),
            device_code_poll: grant_type.is_some_and(|g| DEVICE_CODE_GRANTS.contains(&g.as_ref())),
        })
    }
}

/// Whether a request carries a form body (`application/x-www-form-urlencoded`).
pub(crate) fn is_form(request: &HttpRequest) -> bool {
    request.header_value("content-type").is_some_and(|v| {
        v.trim_start()
            .to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    })
}

/// Feeds one length-prefixed field to the hash, so that field boundaries cannot shift.
fn put(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update(&(bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}

/// What the memory says of a request about to be sent.
#[derive(Debug)]
pub(crate) enum Hit {
    /// Do not send: the service asked to wait `remaining` more.
    Blocked {
        remaining: Duration,
        status: u16,
        entra: Option<Box<EntraError>>,
    },
    /// Do not send: this is the answer the identical request got.
    Replay(HttpResponse),
}

#[derive(Debug)]
enum Kept {
    Blocked {
        status: u16,
        entra: Option<Box<EntraError>>,
    },
    Replay(HttpResponse),
}

#[derive(Debug)]
struct Entry {
    expires: Instant,
    seq: u64,
    kept: Kept,
}

#[derive(Debug, Default)]
struct State {
    entries: HashMap<[u8; 32], Entry>,
    next_seq: u64,
}

/// The bounded, thread-safe throttling memory shared by clones of a pipeline.
#[derive(Debug)]
pub(crate) struct ThrottleCache {
    state: Mutex<State>,
    capacity: usize,
}

impl ThrottleCache {
    /// An empty memory holding at most `capacity` entries.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::default(),
            capacity,
        }
    }

    /// What to do instead of sending, if anything.
    pub(crate) fn lookup(&self, keys: &FormKeys, now: Instant) -> Option<Hit> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        for key in [&keys.grant_key, &keys.body_key] {
            let Some(entry) = state.entries.get(key) else {
                continue;
            };
            if entry.expires <= now {
                state.entries.remove(key);
                continue;
            }
            let remaining = entry.expires - now;
            return Some(match &entry.kept {
                Kept::Blocked { status, entra } => Hit::Blocked {
                    remaining,
                    status: *status,
                    entra: entra.clone(),
                },
                Kept::Replay(response) => Hit::Replay(response.clone()),
            });
        }
        None
    }

    /// Remembers the final answer to a request when the rules above say so.
    pub(crate) fn record(&self, keys: &FormKeys, response: &HttpResponse, now: Instant) {
        let has_retry_after = response.header("retry-after").is_some();
        if response.status == 429 || response.status >= 500 || has_retry_after {
            let default = if keys.confidential {
                CONFIDENTIAL_CLIENT_DEFAULT
            } else {
                PUBLIC_CLIENT_DEFAULT
            };
            let ttl = retry_after_of(response).unwrap_or(default).min(MAX_BLOCK);
            if ttl.is_zero() {
                // `Retry-After: 0` (or a past date) blocks nothing.
                return;
            }
            let entra = (response.body.len() <= MAX_KEPT_BODY)
                .then(|| {
                    parse_error_response(response)
                        .entra()
                        .cloned()
                        .map(Box::new)
                })
                .flatten();
            let kept = Kept::Blocked {
                status: response.status,
                entra,
            };
            self.insert(keys.grant_key, now, now + ttl, kept);
        } else if response.status == 400
            && !keys.device_code_poll
            && response.body.len() <= MAX_KEPT_BODY
        {
            let kept = Kept::Replay(response.clone());
            self.insert(keys.body_key, now, now + REPLAY_TTL, kept);
        }
    }

    fn insert(&self, key: [u8; 32], now: Instant, expires: Instant, kept: Kept) {
        if self.capacity == 0 {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if !state.entries.contains_key(&key) && state.entries.len() >= self.capacity {
            state.entries.retain(|_, e| e.expires > now);
            if state.entries.len() >= self.capacity {
                let oldest = state
                    .entries
                    .iter()
                    .min_by_key(|(_, e)| e.seq)
                    .map(|(k, _)| *k);
                if let Some(oldest) = oldest {
                    state.entries.remove(&oldest);
                }
            }
        }
        let seq = state.next_seq;
        state.next_seq += 1;
        state.entries.insert(key, Entry { expires, seq, kept });
    }

    /// The number of entries, expired ones included.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entries
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(username: &str) -> HttpRequest {
        let url = url::Url::parse("https://login.example/t/oauth2/v2.0/token").unwrap();
        HttpRequest::post_form(
            url,
            [
                ("client_id", "app"),
                ("grant_type", "password"),
                ("username", username),
                ("password", "hunter2-password"),
            ],
        )
    }

    fn keys(username: &str) -> FormKeys {
        FormKeys::of(&request(username)).expect("a form POST")
    }

    #[test]
    fn only_form_posts_have_keys() {
        let url = url::Url::parse("https://login.example/x").unwrap();
        assert!(FormKeys::of(&HttpRequest::get(url.clone())).is_none());
        let soap = HttpRequest::get(url)
            .header("Content-Type", "application/soap+xml")
            .header("X", "y");
        let soap = HttpRequest {
            method: Method::Post,
            ..soap
        };
        assert!(FormKeys::of(&soap).is_none());
        assert!(FormKeys::of(&request("alice")).is_some());
    }

    #[test]
    fn the_oldest_entry_is_evicted_when_the_memory_is_full() {
        let cache = ThrottleCache::new(2);
        let now = Instant::now();
        let blocked = HttpResponse::new(429, "");
        for user in ["a", "b", "c"] {
            cache.record(&keys(user), &blocked, now);
        }
        assert_eq!(cache.len(), 2);
        assert!(cache.lookup(&keys("a"), now).is_none());
        assert!(cache.lookup(&keys("b"), now).is_some());
        assert!(cache.lookup(&keys("c"), now).is_some());
    }

    #[test]
    fn expired_entries_are_evicted_before_live_ones() {
        let cache = ThrottleCache::new(2);
        let now = Instant::now();
        let mut short = HttpResponse::new(429, "");
        short.headers.push(("Retry-After".into(), "1".into()));
        cache.record(&keys("a"), &HttpResponse::new(429, ""), now);
        cache.record(&keys("b"), &short, now);
        let later = now + Duration::from_secs(2);
        cache.record(&keys("c"), &HttpResponse::new(429, ""), later);
        assert!(cache.lookup(&keys("a"), later).is_some());
        assert!(cache.lookup(&keys("c"), later).is_some());
    }

    #[test]
    fn a_zero_retry_after_blocks_nothing() {
        let cache = ThrottleCache::new(8);
        let mut response = HttpResponse::new(429, "");
        response.headers.push(("Retry-After".into(), "0".into()));
        cache.record(&keys("a"), &response, Instant::now());
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn the_memory_keeps_no_user_name_or_password() {
        let cache = ThrottleCache::new(8);
        let now = Instant::now();
        cache.record(
            &keys("alice@contoso.test"),
            &HttpResponse::new(429, ""),
            now,
        );
        cache.record(
            &keys("bob@contoso.test"),
            &HttpResponse::new(400, "{}"),
            now,
        );
        assert_eq!(cache.len(), 2);
        let dump = format!("{cache:?}");
        assert!(!dump.contains("contoso"), "{dump}");
        assert!(!dump.contains("hunter2"), "{dump}");
    }
}

//! The request log tests read, with secrets masked.

use serde::Serialize;
use std::collections::VecDeque;
use std::sync::Mutex;

/// What replaces a secret value in the log.
pub const MASK: &str = "***";

const SECRET_FIELDS: &[&str] = &[
    "password",
    "client_secret",
    "client_assertion",
    "assertion",
    "refresh_token",
    "code",
    "code_verifier",
    "device_code",
    "access_token",
    "id_token",
];

const SECRET_HEADERS: &[&str] = &["authorization", "x-identity-header", "secret", "cookie"];

/// Keep at most this many entries (oldest dropped first).
const CAPACITY: usize = 10_000;

/// One logged request.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LoggedRequest {
    /// HTTP method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Query parameters (decoded, secrets masked).
    pub query: Vec<(String, String)>,
    /// Headers (names lower-case, secrets masked).
    pub headers: Vec<(String, String)>,
    /// Form fields (decoded, secrets masked).
    pub form: Vec<(String, String)>,
    /// Status of the answer (0 when the connection was dropped).
    pub status: u16,
}

impl LoggedRequest {
    /// A form field's (possibly masked) value.
    pub fn form_field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A header's (possibly masked) value.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn mask(pairs: &[(String, String)], secret: &[&str]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| {
            let hidden = secret.iter().any(|s| k.eq_ignore_ascii_case(s));
            (k.clone(), if hidden { MASK.to_string() } else { v.clone() })
        })
        .collect()
}

/// Builds a masked log entry.
pub(crate) fn entry(
    method: &str,
    path: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    form: &[(String, String)],
    status: u16,
) -> LoggedRequest {
    LoggedRequest {
        method: method.to_string(),
        path: path.to_string(),
        query: mask(query, SECRET_FIELDS),
        headers: mask(headers, SECRET_HEADERS),
        form: mask(form, SECRET_FIELDS),
        status,
    }
}

/// Bounded, thread-safe log.
#[derive(Default)]
pub(crate) struct RequestLog {
    entries: Mutex<VecDeque<LoggedRequest>>,
}

impl RequestLog {
    pub fn push(&self, e: LoggedRequest) {
        if let Ok(mut g) = self.entries.lock() {
            if g.len() >= CAPACITY {
                g.pop_front();
            }
            g.push_back(e);
        }
    }

    pub fn snapshot(&self) -> Vec<LoggedRequest> {
        self.entries
            .lock()
            .map(|g| g.iter().cloned().collect())
            .unwrap_or_default()
    }

    pub fn clear(&self) {
        if let Ok(mut g) = self.entries.lock() {
            g.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn secrets_in_form_query_and_headers_are_masked() {
        let e = entry(
            "POST",
            "/t/oauth2/v2.0/token",
            &[p("code", "c0de")],
            &[
                p("authorization", "Bearer abc"),
                p("client-request-id", "x"),
            ],
            &[
                p("password", "hunter2"),
                p("client_secret", "s3"),
                p("username", "alice"),
                p("Refresh_Token", "rt"),
            ],
            200,
        );
        let text = format!("{e:?}");
        for s in ["c0de", "Bearer abc", "hunter2", "s3", "\"rt\""] {
            assert!(!text.contains(s), "{s} leaked");
        }
        assert_eq!(e.form_field("username"), Some("alice"));
        assert_eq!(e.header("Client-Request-Id"), Some("x"));
    }

    #[test]
    fn log_is_bounded() {
        let log = RequestLog::default();
        for _ in 0..(CAPACITY + 5) {
            log.push(entry("GET", "/", &[], &[], &[], 200));
        }
        assert_eq!(log.snapshot().len(), CAPACITY);
        log.clear();
        assert!(log.snapshot().is_empty());
    }
}

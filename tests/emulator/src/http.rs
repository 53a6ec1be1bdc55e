//! Framework-free request and response values the routes work on.

use bytes::Bytes;
use serde_json::Value;

/// A parsed incoming request.
#[derive(Debug, Clone)]
pub(crate) struct Req {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Percent-decoded path.
    pub path: String,
    /// Decoded query parameters.
    pub query: Vec<(String, String)>,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Decoded `application/x-www-form-urlencoded` body fields (empty otherwise).
    pub form: Vec<(String, String)>,
    /// The raw body.
    pub body: Bytes,
    /// `scheme://host[:port]` as the client addressed the emulator.
    pub base_url: String,
    /// Server request id (= `trace_id`, `x-ms-request-id`).
    pub trace_id: String,
    /// `client-request-id` if sent, else a fresh GUID.
    pub correlation_id: String,
}

fn first<'a>(list: &'a [(String, String)], name: &str) -> Option<&'a str> {
    list.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

impl Req {
    /// A query parameter.
    pub fn q(&self, name: &str) -> Option<&str> {
        first(&self.query, name)
    }

    /// A non-empty form field.
    pub fn f(&self, name: &str) -> Option<&str> {
        first(&self.form, name).filter(|v| !v.is_empty())
    }

    /// A header (name lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        first(&self.headers, name)
    }

    /// A form field or, failing that, a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.f(name)
            .or_else(|| self.q(name).filter(|v| !v.is_empty()))
    }

    /// Path segments (empty ones skipped).
    pub fn segments(&self) -> Vec<&str> {
        self.path.split('/').filter(|s| !s.is_empty()).collect()
    }
}

/// Parses `a=b&c=d` (form or query) into pairs.
pub(crate) fn parse_pairs(text: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(text)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// An answer to send.
#[derive(Debug, Clone)]
pub(crate) struct Resp {
    /// HTTP status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
    /// Body bytes.
    pub body: Bytes,
}

impl Resp {
    /// A JSON answer.
    pub fn json(status: u16, value: &Value) -> Resp {
        Resp {
            status,
            headers: vec![("content-type", "application/json; charset=utf-8".into())],
            body: Bytes::from(value.to_string()),
        }
    }

    /// A token-endpoint JSON answer (no-store caching headers).
    pub fn token_json(status: u16, value: &Value) -> Resp {
        Resp::json(status, value)
            .header("cache-control", "no-store, no-cache")
            .header("pragma", "no-cache")
            .header("expires", "-1")
    }

    /// An HTML page.
    pub fn html(status: u16, body: String) -> Resp {
        Resp {
            status,
            headers: vec![("content-type", "text/html; charset=utf-8".into())],
            body: Bytes::from(body),
        }
    }

    /// A body with the given content type.
    pub fn typed(status: u16, content_type: &str, body: String) -> Resp {
        Resp {
            status,
            headers: vec![("content-type", content_type.to_string())],
            body: Bytes::from(body),
        }
    }

    /// A 302 redirect.
    pub fn redirect(location: String) -> Resp {
        Resp {
            status: 302,
            headers: vec![("location", location)],
            body: Bytes::new(),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Resp {
        self.headers.push((name, value.into()));
        self
    }
}

/// Escapes text for HTML.
pub(crate) fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_percent_and_plus_decoded() {
        let p = parse_pairs(b"scope=a+b%2Fc&x=");
        assert_eq!(p[0], ("scope".into(), "a b/c".into()));
        assert_eq!(p[1], ("x".into(), "".into()));
    }

    #[test]
    fn html_escape_neutralises_markup() {
        assert_eq!(
            html_escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}

//! What every example prints, printed the same way: aligned, short, no secret.

use std::time::Duration;

use msal_core::Secret;
use time::OffsetDateTime;

/// How many characters of a token are shown.
pub const TOKEN_PREFIX: usize = 12;

/// A duration for people: `12 µs`, `3.4 ms`, `1.25 s`.
pub fn duration(d: Duration) -> String {
    let micros = d.as_micros();
    if micros < 1_000 {
        format!("{micros} µs")
    } else if micros < 1_000_000 {
        format!("{:.1} ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

/// A token cut short: its first characters and its length; the whole token with `show`.
pub fn token(secret: &Secret, show: bool) -> String {
    let value = secret.expose();
    if show {
        return value.to_owned();
    }
    let prefix: String = value.chars().take(TOKEN_PREFIX).collect();
    format!(
        "{prefix}... ({} characters; --show-token prints it)",
        value.len()
    )
}

/// An expiry as `2026-11-22 04:40:00 UTC (in 59 min)`.
pub fn expiry(at: OffsetDateTime) -> String {
    let left = at - OffsetDateTime::now_utc();
    let when = at
        .format(time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
        ))
        .unwrap_or_else(|_| at.to_string());
    format!("{when} (in {} min)", left.whole_minutes())
}

/// One aligned `label  value` line, indented.
pub fn field(label: &str, value: impl std::fmt::Display) {
    println!("  {label:<12} {value}");
}

/// Where a token came from, from the requests a call sent: `before` and `after` are
/// `(all requests, token requests)` of [`CountingHttpClient::counts`](crate::CountingHttpClient::counts).
pub fn source(before: (usize, usize), after: (usize, usize), took: Duration) -> String {
    let all = after.0.saturating_sub(before.0);
    let tokens = after.1.saturating_sub(before.1);
    let discovery = all.saturating_sub(tokens);
    let extra = match discovery {
        0 => String::new(),
        1 => " (+1 discovery request)".to_owned(),
        n => format!(" (+{n} discovery requests)"),
    };
    if tokens == 0 {
        format!(
            "cache, in {}: no token request reached the identity provider{extra}",
            duration(took)
        )
    } else {
        format!(
            "identity provider, in {}: {tokens} token request{}{extra}",
            duration(took),
            if tokens == 1 { "" } else { "s" }
        )
    }
}

/// A step heading.
pub fn step(text: &str) {
    println!("\n{text}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_cut_short_unless_asked() {
        let secret = Secret::new("eyJhbGciOiJSUzI1NiJ9.payload-that-must-not-show");
        let short = token(&secret, false);
        assert!(short.starts_with("eyJhbGciOiJS..."), "{short}");
        assert!(!short.contains("payload"), "{short}");
        assert!(short.contains("47 characters"), "{short}");
        assert_eq!(token(&secret, true), secret.expose());
    }

    #[test]
    fn durations_pick_a_readable_unit() {
        assert_eq!(duration(Duration::from_micros(12)), "12 µs");
        assert_eq!(duration(Duration::from_micros(3_400)), "3.4 ms");
        assert_eq!(duration(Duration::from_millis(1_250)), "1.25 s");
    }

    #[test]
    fn source_says_cache_only_when_nothing_was_sent() {
        let cached = source((3, 1), (4, 1), Duration::from_micros(5));
        assert!(
            cached.starts_with("cache") && cached.contains("+1 discovery"),
            "{cached}"
        );
        let fetched = source((0, 0), (3, 2), Duration::from_millis(5));
        assert!(fetched.starts_with("identity provider") && fetched.contains("2 token requests"));
    }
}

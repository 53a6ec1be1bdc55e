//! Fault injection: per endpoint, by count or by (deterministic) rate.

use serde::{Deserialize, Serialize};
use std::sync::Mutex;

/// Which endpoint a fault rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultEndpoint {
    /// `/{tenant}/oauth2/v2.0/token`.
    Token,
    /// `/{tenant}/oauth2/v2.0/devicecode`.
    DeviceCode,
    /// OIDC and instance discovery, JWKS.
    Discovery,
    /// `/common/userrealm/...`.
    UserRealm,
    /// The MEX document.
    Mex,
    /// The WS-Trust endpoints.
    WsTrust,
    /// Managed identity (IMDS and App Service).
    Imds,
    /// Any endpoint except the `/_emulator` admin endpoints.
    Any,
}

/// What happens to a request a rule catches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FaultKind {
    /// Wait, then answer normally.
    Latency {
        /// Added delay in milliseconds.
        millis: u64,
    },
    /// HTTP 429 with `Retry-After`.
    TooManyRequests {
        /// `Retry-After` seconds.
        retry_after_secs: u64,
    },
    /// HTTP 500 with an Entra-style JSON error body.
    InternalServerError,
    /// HTTP 503 with `Retry-After: 1`-less JSON error body.
    ServiceUnavailable,
    /// HTTP 400 `invalid_grant` AADSTS50196 (client request loop detected).
    LoopDetected,
    /// Close the connection without an answer.
    DropConnection,
    /// The normal answer with its body cut in half.
    TruncatedJson,
    /// HTTP 200 with a body that is not JSON.
    MalformedJson,
    /// HTTP 200 JSON without `access_token`.
    MissingAccessToken,
}

/// When a rule fires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FaultTrigger {
    /// The next `n` matching requests.
    Count {
        /// How many.
        n: u32,
    },
    /// Each matching request with this probability (deterministic from `seed`).
    Rate {
        /// Fraction in `[0, 1]`.
        fraction: f64,
        /// PRNG seed.
        seed: u64,
    },
}

/// One fault rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// Endpoint the rule applies to.
    pub endpoint: FaultEndpoint,
    /// What to do.
    pub kind: FaultKind,
    /// When.
    pub trigger: FaultTrigger,
}

impl FaultRule {
    /// A rule for the next `n` requests to `endpoint`.
    pub fn next(endpoint: FaultEndpoint, n: u32, kind: FaultKind) -> Self {
        FaultRule {
            endpoint,
            kind,
            trigger: FaultTrigger::Count { n },
        }
    }

    /// A rule firing for a fraction of the requests to `endpoint`.
    pub fn rate(endpoint: FaultEndpoint, fraction: f64, seed: u64, kind: FaultKind) -> Self {
        FaultRule {
            endpoint,
            kind,
            trigger: FaultTrigger::Rate { fraction, seed },
        }
    }
}

struct ActiveRule {
    rule: FaultRule,
    remaining: u32,
    rng: u64,
}

/// The set of active rules.
#[derive(Default)]
pub(crate) struct FaultSet {
    rules: Mutex<Vec<ActiveRule>>,
}

fn next_random(state: &mut u64) -> f64 {
    // xorshift64*: deterministic, good enough for test rates.
    let mut x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
}

impl FaultSet {
    pub fn add(&self, rule: FaultRule) {
        let (remaining, rng) = match &rule.trigger {
            FaultTrigger::Count { n } => (*n, 1),
            FaultTrigger::Rate { seed, .. } => {
                (u32::MAX, seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
            }
        };
        if let Ok(mut g) = self.rules.lock() {
            g.push(ActiveRule {
                rule,
                remaining,
                rng,
            });
        }
    }

    pub fn clear(&self) {
        if let Ok(mut g) = self.rules.lock() {
            g.clear();
        }
    }

    /// The fault (if any) for a request to `endpoint`; consumes counts.
    pub fn take(&self, endpoint: Option<FaultEndpoint>) -> Option<FaultKind> {
        let endpoint = endpoint?;
        let mut g = self.rules.lock().ok()?;
        let mut hit = None;
        for r in g.iter_mut() {
            if r.rule.endpoint != endpoint && r.rule.endpoint != FaultEndpoint::Any {
                continue;
            }
            let fires = match r.rule.trigger {
                FaultTrigger::Count { .. } => r.remaining > 0,
                FaultTrigger::Rate { fraction, .. } => next_random(&mut r.rng) < fraction,
            };
            if fires {
                if matches!(r.rule.trigger, FaultTrigger::Count { .. }) {
                    r.remaining -= 1;
                }
                hit = Some(r.rule.kind.clone());
                break;
            }
        }
        g.retain(|r| r.remaining > 0);
        hit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_rule_fires_exactly_n_times_for_its_endpoint() {
        let s = FaultSet::default();
        s.add(FaultRule::next(
            FaultEndpoint::Token,
            2,
            FaultKind::InternalServerError,
        ));
        assert_eq!(s.take(Some(FaultEndpoint::Discovery)), None);
        assert!(s.take(Some(FaultEndpoint::Token)).is_some());
        assert!(s.take(Some(FaultEndpoint::Token)).is_some());
        assert_eq!(s.take(Some(FaultEndpoint::Token)), None);
    }

    #[test]
    fn rate_rule_is_deterministic_and_close_to_fraction() {
        let run = || {
            let s = FaultSet::default();
            s.add(FaultRule::rate(
                FaultEndpoint::Any,
                0.3,
                42,
                FaultKind::DropConnection,
            ));
            (0..1000)
                .map(|_| s.take(Some(FaultEndpoint::Imds)).is_some())
                .collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        let hits = a.iter().filter(|x| **x).count();
        assert!((200..400).contains(&hits), "{hits}");
    }

    #[test]
    fn rule_json_shape_round_trips() {
        let r = FaultRule::next(
            FaultEndpoint::Token,
            1,
            FaultKind::TooManyRequests {
                retry_after_secs: 7,
            },
        );
        let j = serde_json::to_string(&r).unwrap();
        assert!(j.contains("\"too_many_requests\""));
        assert_eq!(serde_json::from_str::<FaultRule>(&j).unwrap(), r);
    }
}

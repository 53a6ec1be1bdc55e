//! Request routing, fault application and logging.

pub(crate) mod admin;
pub(crate) mod authorize;
pub(crate) mod devicecode;
pub(crate) mod discovery;
pub(crate) mod imds;
pub(crate) mod token;
pub(crate) mod userrealm;
pub(crate) mod wstrust;

use bytes::Bytes;
use serde_json::{Value, json};
use std::time::Duration;

use crate::errors::AadError;
use crate::faults::{FaultEndpoint, FaultKind};
use crate::federation::WsTrustVersion;
use crate::http::{Req, Resp};
use crate::log;
use crate::state::Shared;

/// What to do with the connection.
pub(crate) enum Outcome {
    Answer(Resp),
    Drop,
}

fn eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// The fault class of a path; `None` for the admin endpoints (never faulted).
fn endpoint_of(segs: &[&str]) -> Option<FaultEndpoint> {
    let last = segs.last().copied().unwrap_or("");
    Some(match segs {
        [first, ..] if *first == "_emulator" => return None,
        [.., "oauth2", "v2.0", t] if eq(t, "token") => FaultEndpoint::Token,
        [.., "oauth2", "v2.0", t] if eq(t, "devicecode") => FaultEndpoint::DeviceCode,
        [_, u, _] if eq(u, "userrealm") => FaultEndpoint::UserRealm,
        [.., "adfs", "services", "trust", m] if eq(m, "mex") => FaultEndpoint::Mex,
        [.., m] if eq(m, "usernamemixed") => FaultEndpoint::WsTrust,
        ["metadata", "identity", ..] | ["msi", "token"] => FaultEndpoint::Imds,
        _ if eq(last, "openid-configuration") || eq(last, "keys") || eq(last, "instance") => {
            FaultEndpoint::Discovery
        }
        _ => FaultEndpoint::Any,
    })
}

/// Routes a request to its handler.
fn dispatch(sh: &Shared, req: &Req) -> Resp {
    let segs = req.segments();
    let post = req.method == "POST";
    match segs.as_slice() {
        ["_emulator", rest @ ..] => admin::handle(sh, req, rest),
        ["metadata", "identity", "oauth2", "token"] => imds::imds(sh, req),
        ["msi", "token"] => imds::app_service(sh, req),
        ["adfs", "services", "trust", "mex"] => wstrust::mex(sh),
        ["adfs", "services", "trust", "13", "usernamemixed"] if post => {
            wstrust::rst(sh, req, WsTrustVersion::V13)
        }
        ["adfs", "services", "trust", "2005", "usernamemixed"] if post => {
            wstrust::rst(sh, req, WsTrustVersion::V2005)
        }
        [c, d, i] if eq(c, "common") && eq(d, "discovery") && eq(i, "instance") => {
            discovery::instance_discovery(sh, req)
        }
        [c, u, name] if eq(c, "common") && eq(u, "userrealm") => {
            userrealm::user_realm(sh, req, name)
        }
        ["devicelogin"] => devicecode::login_page(sh, req),
        [t, "v2.0", ".well-known", "openid-configuration"]
        | [t, ".well-known", "openid-configuration"] => discovery::openid_configuration(sh, req, t),
        [t, "discovery", "v2.0", "keys"] | [t, "discovery", "keys"] => discovery::jwks(sh, req, t),
        [t, "oauth2", "v2.0", "authorize"] => authorize::authorize(sh, req, t),
        [t, "oauth2", "v2.0", "token"] if post => token::handle(sh, req, t),
        [t, "oauth2", "v2.0", "devicecode"] if post => devicecode::initiate(sh, req, t),
        [_, "oauth2", "v2.0", "logout"] => Resp::html(200, "<p>You have signed out.</p>".into()),
        _ => discovery::not_found(req),
    }
}

fn server_error(req: &Req, status: u16, error: &'static str) -> Resp {
    let mut e = AadError::new(
        error,
        50000,
        "There was an error issuing a token or an issue with our sign-in service.",
    );
    e.status = status;
    Resp::json(status, &e.body(req))
}

/// Applies faults, answers, and logs.
pub(crate) async fn serve(sh: &Shared, req: &Req) -> Outcome {
    let segs = req.segments();
    let class = endpoint_of(&segs);
    let fault = sh.faults.take(class);
    let outcome = match fault {
        None => Outcome::Answer(dispatch(sh, req)),
        Some(FaultKind::Latency { millis }) => {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            Outcome::Answer(dispatch(sh, req))
        }
        Some(FaultKind::TooManyRequests { retry_after_secs }) => Outcome::Answer(
            server_error(req, 429, "temporarily_unavailable")
                .header("retry-after", retry_after_secs.to_string()),
        ),
        Some(FaultKind::InternalServerError) => {
            Outcome::Answer(server_error(req, 500, "server_error"))
        }
        Some(FaultKind::ServiceUnavailable) => {
            Outcome::Answer(server_error(req, 503, "temporarily_unavailable"))
        }
        Some(FaultKind::LoopDetected) => Outcome::Answer(
            AadError::new(
                "invalid_grant",
                50196,
                "The server terminated an operation because it encountered a client request loop. Please contact your app vendor.",
            )
            .to_resp(req),
        ),
        Some(FaultKind::DropConnection) => Outcome::Drop,
        Some(FaultKind::TruncatedJson) => {
            let mut r = dispatch(sh, req);
            let half = r.body.len() / 2;
            r.body = r.body.slice(..half);
            Outcome::Answer(r)
        }
        Some(FaultKind::MalformedJson) => Outcome::Answer(Resp::json(200, &Value::Null).tap_body(
            Bytes::from_static(b"<html><body>upstream proxy error</body></html>{\"access_token\":"),
        )),
        Some(FaultKind::MissingAccessToken) => {
            let r = dispatch(sh, req);
            let mut v: Value = serde_json::from_slice(&r.body).unwrap_or_else(|_| json!({}));
            if let Some(m) = v.as_object_mut() {
                for k in ["access_token", "error", "error_description", "error_codes"] {
                    m.remove(k);
                }
                m.entry("token_type").or_insert(json!("Bearer"));
                m.entry("expires_in").or_insert(json!(3599));
            }
            Outcome::Answer(Resp::token_json(200, &v))
        }
    };
    if class.is_some() {
        let status = match &outcome {
            Outcome::Answer(r) => r.status,
            Outcome::Drop => 0,
        };
        sh.log.push(log::entry(
            &req.method,
            &req.path,
            &req.query,
            &req.headers,
            &req.form,
            status,
        ));
    }
    outcome
}

impl Resp {
    fn tap_body(mut self, body: Bytes) -> Resp {
        self.body = body;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_classes() {
        assert_eq!(
            endpoint_of(&["t", "oauth2", "v2.0", "token"]),
            Some(FaultEndpoint::Token)
        );
        assert_eq!(
            endpoint_of(&["common", "UserRealm", "a@b"]),
            Some(FaultEndpoint::UserRealm)
        );
        assert_eq!(
            endpoint_of(&["t", "v2.0", ".well-known", "openid-configuration"]),
            Some(FaultEndpoint::Discovery)
        );
        assert_eq!(
            endpoint_of(&["metadata", "identity", "oauth2", "token"]),
            Some(FaultEndpoint::Imds)
        );
        assert_eq!(endpoint_of(&["_emulator", "faults"]), None);
        assert_eq!(
            endpoint_of(&["t", "oauth2", "v2.0", "authorize"]),
            Some(FaultEndpoint::Any)
        );
    }
}

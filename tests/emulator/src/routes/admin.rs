//! `/_emulator/...`: control endpoints for the binary and for scripts.
//!
//! - `POST /_emulator/faults` (JSON [`FaultRule`] or array), `DELETE /_emulator/faults`
//! - `POST /_emulator/device/{approve|deny|expire}` (`user_code`, `username`; JSON or form)
//! - `GET|DELETE /_emulator/requests` (the masked request log)
//! - `GET /_emulator/info` (the info JSON)

use serde_json::{Value, json};

use crate::faults::FaultRule;
use crate::http::{Req, Resp};
use crate::routes::devicecode;
use crate::state::Shared;

fn field(req: &Req, json_body: &Value, name: &str) -> Option<String> {
    json_body
        .get(name)
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| req.param(name).map(str::to_string))
}

fn result(r: Result<(), impl std::fmt::Display>) -> Resp {
    match r {
        Ok(()) => Resp::json(200, &json!({"ok": true})),
        Err(e) => Resp::json(400, &json!({"ok": false, "error": e.to_string()})),
    }
}

/// Dispatches an admin request (`rest` = segments after `_emulator`).
pub(crate) fn handle(sh: &Shared, req: &Req, rest: &[&str]) -> Resp {
    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    match (req.method.as_str(), rest) {
        ("POST", ["faults"]) => {
            let rules: Result<Vec<FaultRule>, _> = match &body {
                Value::Array(_) => serde_json::from_value(body.clone()),
                _ => serde_json::from_value(body.clone()).map(|r| vec![r]),
            };
            match rules {
                Ok(rules) => {
                    let n = rules.len();
                    rules.into_iter().for_each(|r| sh.faults.add(r));
                    Resp::json(200, &json!({"ok": true, "added": n}))
                }
                Err(e) => Resp::json(400, &json!({"ok": false, "error": e.to_string()})),
            }
        }
        ("DELETE", ["faults"]) => {
            sh.faults.clear();
            result(Ok::<(), String>(()))
        }
        ("POST", ["device", action]) => {
            let code = field(req, &body, "user_code").unwrap_or_default();
            match *action {
                "approve" => {
                    let user = field(req, &body, "username").unwrap_or_default();
                    result(devicecode::approve(sh, &code, &user))
                }
                "deny" => result(devicecode::deny(sh, &code)),
                "expire" => result(devicecode::expire(sh, &code)),
                _ => Resp::json(404, &json!({"ok": false, "error": "unknown device action"})),
            }
        }
        ("GET", ["requests"]) => Resp::json(200, &json!(sh.log.snapshot())),
        ("DELETE", ["requests"]) => {
            sh.log.clear();
            result(Ok::<(), String>(()))
        }
        ("GET", ["info"]) => Resp::json(200, sh.info.get().unwrap_or(&Value::Null)),
        _ => Resp::json(
            404,
            &json!({"ok": false, "error": "unknown admin endpoint"}),
        ),
    }
}

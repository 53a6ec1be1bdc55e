//! `POST /{tenant}/oauth2/v2.0/devicecode`, the `/devicelogin` page, and the approve /
//! deny / expire operations.

use serde_json::json;
use std::time::{Duration, Instant};

use crate::error::EmulatorError;
use crate::errors::{AadError, invalid_scope, missing_param, unknown_app, unknown_tenant};
use crate::http::{Req, Resp, html_escape};
use crate::scopes::ScopeSet;
use crate::state::{DeviceRecord, DeviceState, Shared, TenantSel, random_token};

const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

fn user_code() -> String {
    let mut buf = [0u8; 9];
    if openssl::rand::rand_bytes(&mut buf).is_err() {
        buf.copy_from_slice(&uuid::Uuid::new_v4().as_bytes()[..9]);
    }
    buf.iter()
        .map(|b| CODE_ALPHABET[(*b as usize) % CODE_ALPHABET.len()] as char)
        .collect()
}

/// Starts a device flow.
pub(crate) fn initiate(sh: &Shared, req: &Req, seg: &str) -> Resp {
    match start(sh, req, seg) {
        Ok(v) => Resp::token_json(200, &v),
        Err(e) => e.to_resp(req),
    }
}

fn start(sh: &Shared, req: &Req, seg: &str) -> Result<serde_json::Value, AadError> {
    let sel = sh.tenant_sel(seg).ok_or_else(|| unknown_tenant(seg))?;
    let client_id = req
        .f("client_id")
        .ok_or_else(|| missing_param("client_id"))?;
    let (app_tenant, app) = sh
        .find_app(sel, client_id)
        .ok_or_else(|| unknown_app(client_id, &sh.tenant_label(sel, seg)))?;
    let scope = req
        .f("scope")
        .ok_or_else(|| invalid_scope("The request must include a 'scope' input parameter."))?;
    ScopeSet::parse(scope).resource()?;
    let tenant = match sel {
        TenantSel::One(i) => i,
        _ => app_tenant,
    };
    let code = user_code();
    let device_code = format!("DAQABAAEAAAD{}", random_token(48));
    let lifetime = sh.config.device_code_lifetime_secs;
    let rec = DeviceRecord {
        client_id: app.client_id.clone(),
        tenant,
        scope: scope.to_string(),
        claims: req.f("claims").map(str::to_string),
        user_code: code.clone(),
        expires: Instant::now() + Duration::from_secs(lifetime),
        state: DeviceState::Pending,
        polls: 0,
        last_poll: None,
    };
    {
        let mut store = sh.store();
        store.prune();
        store.user_codes.insert(code.clone(), device_code.clone());
        store.devices.insert(device_code.clone(), rec);
    }
    let uri = format!("{}/devicelogin", req.base_url);
    Ok(json!({
        "user_code": code,
        "device_code": device_code,
        "verification_uri": uri,
        "expires_in": lifetime,
        "interval": sh.config.device_code_interval_secs,
        "message": format!("To sign in, use a web browser to open the page {uri} and enter the code {code} to authenticate."),
    }))
}

/// Sets the state of the device code with this user code.
fn set_state(
    sh: &Shared,
    user_code: &str,
    f: impl FnOnce(&DeviceRecord) -> Result<DeviceState, EmulatorError>,
) -> Result<(), EmulatorError> {
    let mut store = sh.store();
    let key = user_code.trim().to_ascii_uppercase();
    let dc = store
        .user_codes
        .get(&key)
        .cloned()
        .ok_or_else(|| EmulatorError::DeviceCode(format!("unknown user code {key}")))?;
    let rec = store
        .devices
        .get_mut(&dc)
        .ok_or_else(|| EmulatorError::DeviceCode(format!("unknown user code {key}")))?;
    rec.state = f(rec)?;
    Ok(())
}

/// Approves a pending device code as `username`.
pub(crate) fn approve(sh: &Shared, user_code: &str, username: &str) -> Result<(), EmulatorError> {
    set_state(sh, user_code, |rec| {
        sh.find_user(TenantSel::One(rec.tenant), username)
            .or_else(|| sh.find_user(TenantSel::Common, username))
            .map(DeviceState::Approved)
            .ok_or_else(|| EmulatorError::DeviceCode(format!("unknown user {username}")))
    })
}

/// Declines a device code (next poll: `authorization_declined`).
pub(crate) fn deny(sh: &Shared, user_code: &str) -> Result<(), EmulatorError> {
    set_state(sh, user_code, |_| Ok(DeviceState::Denied))
}

/// Expires a device code (next poll: `expired_token`).
pub(crate) fn expire(sh: &Shared, user_code: &str) -> Result<(), EmulatorError> {
    set_state(sh, user_code, |_| Ok(DeviceState::Expired))
}

fn page(message: &str) -> String {
    format!(
        "<!doctype html><html><head><title>Device sign-in</title></head><body>\
<h1>Enter code</h1><p>{}</p><form method=\"post\" action=\"/devicelogin\">\
<label>Code <input name=\"user_code\"></label><br><label>Username <input name=\"username\"></label><br>\
<label>Password <input type=\"password\" name=\"password\"></label><br>\
<button name=\"action\" value=\"approve\">Sign in</button> <button name=\"action\" value=\"deny\">Decline</button>\
</form></body></html>",
        html_escape(message)
    )
}

/// `GET|POST /devicelogin`: a minimal sign-in page for people.
pub(crate) fn login_page(sh: &Shared, req: &Req) -> Resp {
    if req.method != "POST" {
        return Resp::html(200, page("Enter the code shown on your device."));
    }
    let code = req.f("user_code").unwrap_or("");
    if req.f("action") == Some("deny") {
        return match deny(sh, code) {
            Ok(()) => Resp::html(
                200,
                "<p>Sign-in declined. You can close this window.</p>".into(),
            ),
            Err(e) => Resp::html(400, page(&e.to_string())),
        };
    }
    let username = req.f("username").unwrap_or("");
    let ok = sh
        .find_user(TenantSel::Common, username)
        .and_then(|u| sh.user(u))
        .is_some_and(|u| req.f("password") == Some(u.password.as_str()) && !u.locked);
    if !ok {
        return Resp::html(400, page("Your account or password is incorrect."));
    }
    match approve(sh, code, username) {
        Ok(()) => Resp::html(
            200,
            "<p>You have signed in. You can close this window.</p>".into(),
        ),
        Err(e) => Resp::html(400, page(&e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_are_nine_unambiguous_uppercase_characters() {
        let c = user_code();
        assert_eq!(c.len(), 9);
        assert!(c.bytes().all(|b| CODE_ALPHABET.contains(&b)));
    }
}

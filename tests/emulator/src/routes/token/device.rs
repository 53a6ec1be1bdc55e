//! Device code polling (`urn:ietf:params:oauth:grant-type:device_code` or `device_code`).

use serde_json::Value;
use std::time::{Duration, Instant};

use super::Ctx;
use super::issue::{UserIssue, user_tokens};
use crate::errors::AadError;
use crate::scopes::ScopeSet;
use crate::state::DeviceState;

fn pending() -> AadError {
    AadError::new(
        "authorization_pending",
        70016,
        "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
    )
}

fn expired() -> AadError {
    AadError::new(
        "expired_token",
        70020,
        "The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
    )
}

fn bad_code() -> AadError {
    AadError::new(
        "bad_verification_code",
        9002313,
        "The provided value for the input parameter 'device_code' is not valid.",
    )
}

/// One poll.
pub(super) fn poll(ctx: &Ctx) -> Result<Value, AadError> {
    ctx.require_public_flows()?;
    let dc = ctx.field("device_code")?;
    let sh = ctx.sh;
    let (user, scope, claims) = {
        let mut store = sh.store();
        let rec = store.devices.get_mut(dc).ok_or_else(bad_code)?;
        if !rec.client_id.eq_ignore_ascii_case(&ctx.app.client_id) {
            return Err(bad_code());
        }
        let now = Instant::now();
        if now > rec.expires || rec.state == DeviceState::Expired {
            rec.state = DeviceState::Expired;
            return Err(expired());
        }
        let interval = Duration::from_secs(sh.config.device_code_interval_secs);
        let too_fast = rec
            .last_poll
            .is_some_and(|t| now.duration_since(t) < interval);
        rec.polls += 1;
        rec.last_poll = Some(now);
        if sh.config.device_code_slow_down && too_fast && rec.state == DeviceState::Pending {
            return Err(AadError::new(
                "slow_down",
                70016,
                "OAuth 2.0 device flow error. Polling too frequently; slow down.",
            ));
        }
        match rec.state {
            DeviceState::Pending => {
                if sh.auto_approve
                    && rec.polls == 1
                    && let Some(u) = sh.first_managed_user(rec.tenant)
                {
                    rec.state = DeviceState::Approved(u);
                }
                return Err(pending());
            }
            DeviceState::Denied => {
                return Err(AadError::new(
                    "authorization_declined",
                    70000,
                    "The user declined the authorization request.",
                ));
            }
            DeviceState::Expired => return Err(expired()),
            DeviceState::Approved(u) => (u, rec.scope.clone(), rec.claims.clone()),
        }
    };
    let scopes = ScopeSet::parse(&scope);
    let claims = ctx.req.f("claims").map(str::to_string).or(claims);
    let result = user_tokens(
        ctx,
        UserIssue {
            user,
            scopes: &scopes,
            nonce: None,
            claims: claims.as_deref(),
        },
    );
    if result.is_ok() {
        let mut store = sh.store();
        if let Some(rec) = store.devices.remove(dc) {
            store.user_codes.remove(&rec.user_code);
        }
    }
    result
}

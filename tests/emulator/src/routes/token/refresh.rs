//! `grant_type=refresh_token`, with rotation and FOCI family tokens.
//!
//! Like Entra, a used refresh token stays valid until it expires or is revoked: every
//! redemption also returns a new one (rotation), but the old one is not invalidated.

use serde_json::Value;
use std::time::{Duration, Instant};

use super::Ctx;
use super::issue::{UserIssue, user_tokens};
use super::password::user_scopes;
use crate::errors::{AadError, client_mismatch, locked, malformed_grant, rt_expired, rt_revoked};

/// Redeems a refresh token.
pub(super) fn refresh(ctx: &Ctx) -> Result<Value, AadError> {
    ctx.require_client_if_confidential()?;
    let rt = ctx.field("refresh_token")?;
    let user = {
        let mut store = ctx.sh.store();
        let rec = store.refresh.get_mut(rt).ok_or_else(malformed_grant)?;
        if rec.revoked {
            return Err(rt_revoked());
        }
        if Instant::now() > rec.expires {
            return Err(rt_expired());
        }
        let same_client = rec.client_id.eq_ignore_ascii_case(&ctx.app.client_id);
        if !same_client {
            match (&rec.family_id, &ctx.app.family_id) {
                (Some(f), Some(g)) if f == g => {}
                (Some(_), _) => return Err(client_mismatch()),
                (None, _) => {
                    return Err(AadError::new(
                        "invalid_grant",
                        70000,
                        "The refresh token was issued to a different client application.",
                    ));
                }
            }
        }
        rec.expires =
            Instant::now() + Duration::from_secs(ctx.sh.config.refresh_token_lifetime_secs);
        rec.user
    };
    if ctx.sh.user(user).is_some_and(|u| u.locked) {
        return Err(locked());
    }
    let scopes = user_scopes(ctx)?;
    user_tokens(
        ctx,
        UserIssue {
            user,
            scopes: &scopes,
            nonce: None,
            claims: ctx.req.f("claims"),
        },
    )
}

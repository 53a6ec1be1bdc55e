//! Resource-owner password (ROPC) and the SAML bearer grants of federated users.

use serde_json::Value;
use std::time::SystemTime;

use super::Ctx;
use super::issue::{UserIssue, user_tokens};
use crate::config::UserKind;
use crate::errors::{
    AadError, invalid_scope, locked, mfa_required, password_expired, unknown_user, wrong_password,
};
use crate::scopes::ScopeSet;

/// The `scope` parameter, required for user grants.
pub(super) fn user_scopes(ctx: &Ctx) -> Result<ScopeSet, AadError> {
    let raw = ctx
        .req
        .f("scope")
        .ok_or_else(|| invalid_scope("The request must include a 'scope' input parameter."))?;
    let scopes = ScopeSet::parse(raw);
    if scopes.oidc.is_empty() && scopes.other.is_empty() {
        return Err(invalid_scope(
            "The request must include a 'scope' input parameter.",
        ));
    }
    scopes.resource()?;
    Ok(scopes)
}

/// `grant_type=password`.
pub(super) fn password(ctx: &Ctx) -> Result<Value, AadError> {
    ctx.require_public_flows()?;
    let username = ctx.field("username")?;
    let password = ctx.field("password")?;
    let scopes = user_scopes(ctx)?;
    let resource = scopes.resource()?;
    let user = ctx
        .sh
        .find_user(ctx.sel, username)
        .ok_or_else(|| unknown_user(username, &ctx.tenant_label()))?;
    let cfg = ctx
        .sh
        .user(user)
        .ok_or_else(|| unknown_user(username, &ctx.tenant_label()))?;
    if cfg.locked {
        return Err(locked());
    }
    // Federated users authenticate at their IdP (WS-Trust); Entra cannot check their
    // password itself when the IdP does not allow it, and answers like a wrong password.
    if cfg.kind == UserKind::Federated || cfg.password != password {
        return Err(wrong_password());
    }
    if cfg.password_expired {
        return Err(password_expired(&ctx.req.base_url));
    }
    if cfg.mfa_required {
        return Err(mfa_required(&resource));
    }
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

/// `saml1_1-bearer` / `saml2-bearer`: the assertion the emulator's WS-Trust IdP issued.
pub(super) fn saml(ctx: &Ctx) -> Result<Value, AadError> {
    ctx.require_public_flows()?;
    let assertion = ctx.field("assertion")?;
    let who = crate::federation::verify_assertion(assertion, &ctx.sh.saml, SystemTime::now())
        .map_err(|e| {
            AadError::new(
                "invalid_grant",
                50008,
                format!("SAML token is invalid. {e}"),
            )
        })?;
    let scopes = user_scopes(ctx)?;
    let user = ctx
        .sh
        .find_user(ctx.sel, &who.upn)
        .ok_or_else(|| unknown_user(&who.upn, &ctx.tenant_label()))?;
    let cfg = ctx
        .sh
        .user(user)
        .ok_or_else(|| unknown_user(&who.upn, &ctx.tenant_label()))?;
    if cfg.locked {
        return Err(locked());
    }
    if cfg.mfa_required {
        return Err(mfa_required(&scopes.resource()?));
    }
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

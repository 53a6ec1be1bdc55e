//! Confidential-client grants: client credentials and on-behalf-of.

use serde_json::Value;

use super::Ctx;
use super::issue::{UserIssue, app_token, now_secs, user_tokens};
use super::password::user_scopes;
use crate::errors::{AadError, invalid_scope, missing_param, unknown_user};
use crate::scopes::{ScopeSet, split};
use crate::state::TenantSel;

/// `grant_type=client_credentials`.
pub(super) fn client_credentials(ctx: &Ctx) -> Result<Value, AadError> {
    ctx.require_credential()?;
    let raw = ctx
        .req
        .f("scope")
        .ok_or_else(|| invalid_scope("The request must include a 'scope' input parameter."))?;
    let scopes = ScopeSet::parse(raw);
    let single = match scopes.other.as_slice() {
        [one] if one.ends_with("/.default") => split(one),
        _ => None,
    };
    let Some((resource, _)) = single else {
        return Err(AadError::new(
            "invalid_scope",
            1002012,
            format!(
                "The provided value for scope {raw} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        ));
    };
    app_token(ctx, &resource, ctx.req.f("claims"))
}

fn audience_matches(ctx: &Ctx, aud: &str) -> bool {
    let aud = aud.trim_end_matches('/');
    let id = &ctx.app.client_id;
    aud.eq_ignore_ascii_case(id)
        || aud.eq_ignore_ascii_case(&format!("api://{id}"))
        || ctx
            .app
            .identifier_uris
            .iter()
            .any(|u| u.trim_end_matches('/').eq_ignore_ascii_case(aud))
}

/// `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` with
/// `requested_token_use=on_behalf_of`.
pub(super) fn on_behalf_of(ctx: &Ctx) -> Result<Value, AadError> {
    ctx.require_credential()?;
    if ctx.req.f("requested_token_use") != Some("on_behalf_of") {
        return Err(missing_param("requested_token_use"));
    }
    let assertion = ctx.field("assertion")?;
    let claims = ctx.sh.signer.verify(assertion).map_err(|e| {
        AadError::new(
            "invalid_grant",
            50013,
            format!("Assertion failed signature validation. [Reason - {e}.]"),
        )
    })?;
    let exp = claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
    if exp < now_secs() {
        return Err(AadError::new(
            "invalid_grant",
            500133,
            "Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion.",
        ));
    }
    let aud = claims.get("aud").and_then(Value::as_str).unwrap_or("");
    if !audience_matches(ctx, aud) {
        return Err(AadError::new(
            "invalid_grant",
            500131,
            format!(
                "Assertion audience does not match the Client app presenting the assertion. The audience in the assertion was '{aud}' and the expected audience is '{}' or one of the Application Id Uris of this application.",
                ctx.app.client_id
            ),
        ));
    }
    let upn = claims.get("preferred_username").and_then(Value::as_str);
    let Some(upn) = upn.filter(|_| claims.get("idtyp").and_then(Value::as_str) != Some("app"))
    else {
        return Err(AadError::new(
            "invalid_grant",
            50013,
            "Assertion is not a user token; on-behalf-of needs a delegated user token.",
        ));
    };
    let user = ctx
        .sh
        .find_user(TenantSel::Common, upn)
        .ok_or_else(|| unknown_user(upn, &ctx.tenant_label()))?;
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

//! `grant_type=authorization_code`: single use, expiry, redirect_uri and PKCE checks.

use serde_json::Value;
use std::time::Instant;

use super::Ctx;
use super::issue::{UserIssue, user_tokens};
use crate::errors::{AadError, malformed_grant};
use crate::jwt::b64url;
use crate::scopes::ScopeSet;

/// Whether a PKCE verifier matches the stored challenge.
pub(crate) fn pkce_matches(challenge: &str, method: Option<&str>, verifier: &str) -> bool {
    match method.unwrap_or("plain") {
        m if m.eq_ignore_ascii_case("S256") => {
            b64url(&openssl::sha::sha256(verifier.as_bytes())) == challenge
        }
        _ => verifier == challenge,
    }
}

fn pkce_error() -> AadError {
    AadError::new(
        "invalid_grant",
        501481,
        "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
    )
}

/// Redeems a code.
pub(super) fn redeem(ctx: &Ctx) -> Result<Value, AadError> {
    ctx.require_client_if_confidential()?;
    let code = ctx.field("code")?;
    let redirect_uri = ctx.field("redirect_uri")?;
    let (user, stored_scope, nonce, claims) = {
        let mut store = ctx.sh.store();
        let rec = store.codes.get_mut(code).ok_or_else(malformed_grant)?;
        if rec.redeemed {
            return Err(AadError::new(
                "invalid_grant",
                54005,
                "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
            ));
        }
        if Instant::now() > rec.expires {
            return Err(AadError::new(
                "invalid_grant",
                70008,
                "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
            ));
        }
        if !rec.client_id.eq_ignore_ascii_case(&ctx.app.client_id) {
            return Err(AadError::new(
                "invalid_grant",
                700005,
                "Provided Authorization Code is intended to use against other tenant or application.",
            ));
        }
        if rec.redirect_uri != redirect_uri {
            return Err(AadError::new(
                "invalid_grant",
                50148,
                format!(
                    "The redirect_uri '{redirect_uri}' does not match the redirect URI used to obtain the authorization code."
                ),
            ));
        }
        if let Some(challenge) = &rec.challenge {
            let verifier = ctx.req.f("code_verifier").ok_or_else(pkce_error)?;
            if !pkce_matches(challenge, rec.challenge_method.as_deref(), verifier) {
                return Err(pkce_error());
            }
        }
        rec.redeemed = true;
        (
            rec.user,
            rec.scope.clone(),
            rec.nonce.clone(),
            rec.claims.clone(),
        )
    };
    let scope_text = ctx
        .req
        .f("scope")
        .map(str::to_string)
        .unwrap_or(stored_scope);
    let scopes = ScopeSet::parse(&scope_text);
    let claims = ctx.req.f("claims").map(str::to_string).or(claims);
    user_tokens(
        ctx,
        UserIssue {
            user,
            scopes: &scopes,
            nonce: nonce.as_deref(),
            claims: claims.as_deref(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_and_plain_pkce() {
        // RFC 7636 appendix B example.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches(challenge, Some("S256"), verifier));
        assert!(!pkce_matches(challenge, Some("S256"), "wrong"));
        assert!(pkce_matches("abc", None, "abc"));
    }
}

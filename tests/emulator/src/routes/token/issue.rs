//! Building token answers: access tokens, id_tokens, refresh tokens, client_info.

use serde_json::{Map, Value, json};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::Ctx;
use crate::config::AppConfig;
use crate::errors::{AadError, consent_required};
use crate::jwt::b64url;
use crate::scopes::ScopeSet;
use crate::state::{RtRecord, Shared, UserRef, derived_guid, random_token};

/// Seconds since the epoch.
pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Client capabilities (`xms_cc` values) from a `claims` parameter.
pub(crate) fn capabilities(claims: Option<&str>) -> Vec<String> {
    let Some(text) = claims else {
        return Vec::new();
    };
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    v.pointer("/access_token/xms_cc/values")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn is_cae(caps: &[String]) -> bool {
    caps.iter().any(|c| c.eq_ignore_ascii_case("cp1"))
}

/// (expires_in, refresh_in) for the capabilities.
fn lifetimes(sh: &Shared, caps: &[String]) -> (u64, Option<u64>) {
    if is_cae(caps) {
        let l = sh.config.long_lived_token_lifetime_secs;
        (l, Some(l / 2))
    } else {
        let l = sh.config.access_token_lifetime_secs;
        (l, if l >= 7200 { Some(l / 2) } else { None })
    }
}

/// Pairwise `sub` for a user and an app.
pub(crate) fn pairwise_sub(oid: &str, client_id: &str) -> String {
    b64url(&openssl::sha::sha256(
        format!("{oid}:{}", client_id.to_ascii_lowercase()).as_bytes(),
    ))
}

/// Unpadded base64url `{"uid":..,"utid":..}`.
pub(crate) fn client_info(oid: &str, tid: &str) -> String {
    b64url(json!({"uid": oid, "utid": tid}).to_string().as_bytes())
}

fn base_claims(ctx: &Ctx, aud: &str, tid: &str, lifetime: u64) -> Map<String, Value> {
    let now = now_secs();
    let mut m = Map::new();
    m.insert("aud".into(), json!(aud));
    m.insert(
        "iss".into(),
        json!(format!("{}/{tid}/v2.0", ctx.req.base_url)),
    );
    m.insert("iat".into(), json!(now));
    m.insert("nbf".into(), json!(now));
    m.insert("exp".into(), json!(now + lifetime));
    m.insert("tid".into(), json!(tid));
    m.insert("uti".into(), json!(random_token(16)));
    m.insert("ver".into(), json!("2.0"));
    m
}

/// What a user-token answer is built from.
pub(crate) struct UserIssue<'a> {
    pub user: UserRef,
    pub scopes: &'a ScopeSet,
    pub nonce: Option<&'a str>,
    pub claims: Option<&'a str>,
}

/// Checks consent, then builds the full user-token answer (AT, id_token, RT, client_info).
pub(crate) fn user_tokens(ctx: &Ctx, u: UserIssue) -> Result<Value, AadError> {
    let sh = ctx.sh;
    let app = ctx.app;
    let resource = u.scopes.resource()?;
    if u.scopes.first_not_granted(app).is_some() {
        return Err(consent_required(
            &app.client_id,
            app.display_name.as_deref().unwrap_or("app"),
        ));
    }
    let user = sh.user(u.user).ok_or_else(crate::errors::malformed_grant)?;
    let tid = sh
        .tenant(u.user.tenant)
        .map(|t| t.tenant_id.clone())
        .unwrap_or_default();
    let oid = sh.user_oid(u.user);
    let name = user
        .display_name
        .clone()
        .unwrap_or_else(|| user.username.split('@').next().unwrap_or("").to_string());
    let caps = capabilities(u.claims);
    let (lifetime, refresh_in) = lifetimes(sh, &caps);

    let mut at = base_claims(ctx, &resource, &tid, lifetime);
    at.insert("azp".into(), json!(app.client_id));
    at.insert("azpacr".into(), json!(ctx.auth.azpacr()));
    at.insert("name".into(), json!(name));
    at.insert("oid".into(), json!(oid));
    at.insert("preferred_username".into(), json!(user.username));
    at.insert("upn".into(), json!(user.username));
    at.insert("scp".into(), json!(u.scopes.scp(app, &resource)));
    at.insert("sub".into(), json!(pairwise_sub(&oid, &app.client_id)));
    at.insert("idtyp".into(), json!("user"));
    if !caps.is_empty() {
        at.insert("xms_cc".into(), json!(caps));
    }
    let access_token = sh
        .signer
        .sign(&Value::Object(at))
        .map_err(|_| crate::errors::malformed_grant())?;

    let mut body = Map::new();
    body.insert("token_type".into(), json!("Bearer"));
    body.insert("scope".into(), json!(u.scopes.response_scope()));
    body.insert("expires_in".into(), json!(lifetime));
    body.insert("ext_expires_in".into(), json!(lifetime));
    if let Some(r) = refresh_in {
        body.insert("refresh_in".into(), json!(r));
    }
    body.insert("access_token".into(), json!(access_token));
    if u.scopes.has("offline_access") {
        body.insert(
            "refresh_token".into(),
            json!(new_refresh_token(sh, app, u.user)),
        );
        if app.family_id.is_some() {
            body.insert("foci".into(), json!(app.family_id));
        }
    }
    if u.scopes.has("openid") {
        let mut id = base_claims(ctx, &app.client_id, &tid, 3600);
        id.insert("name".into(), json!(name));
        id.insert("oid".into(), json!(oid));
        id.insert("preferred_username".into(), json!(user.username));
        id.insert("rh".into(), json!(format!("0.{}.", random_token(12))));
        id.insert("sub".into(), json!(pairwise_sub(&oid, &app.client_id)));
        if u.scopes.has("email") {
            id.insert("email".into(), json!(user.username));
        }
        if let Some(n) = u.nonce {
            id.insert("nonce".into(), json!(n));
        }
        let id_token = sh
            .signer
            .sign(&Value::Object(id))
            .map_err(|_| crate::errors::malformed_grant())?;
        body.insert("id_token".into(), json!(id_token));
    }
    if ctx.req.f("client_info") == Some("1") {
        body.insert("client_info".into(), json!(client_info(&oid, &tid)));
    }
    Ok(Value::Object(body))
}

/// Issues and stores a new refresh token.
pub(crate) fn new_refresh_token(sh: &Shared, app: &AppConfig, user: UserRef) -> String {
    let rt = format!("1.A{}", random_token(48));
    let rec = RtRecord {
        client_id: app.client_id.clone(),
        family_id: app.family_id.clone(),
        user,
        expires: Instant::now() + Duration::from_secs(sh.config.refresh_token_lifetime_secs),
        revoked: false,
    };
    let mut store = sh.store();
    store.prune();
    store.refresh.insert(rt.clone(), rec);
    rt
}

/// The app-only answer (client credentials), reusing a token issued within the reuse window.
pub(crate) fn app_token(
    ctx: &Ctx,
    resource: &str,
    claims: Option<&str>,
) -> Result<Value, AadError> {
    let sh = ctx.sh;
    let app = ctx.app;
    let tid = sh
        .tenant(ctx.tenant)
        .map(|t| t.tenant_id.clone())
        .unwrap_or_default();
    let caps = capabilities(claims);
    let now = now_secs();
    let key = format!(
        "{tid}|{}|{resource}|{caps:?}|{}|{}",
        app.client_id,
        ctx.auth.azpacr(),
        ctx.req.base_url
    );
    let window = sh.config.app_token_reuse_secs;
    if window > 0
        && let Some((at, body)) = sh.store().app_tokens.get(&key)
        && now < at + window
    {
        return Ok(body.clone());
    }
    let (lifetime, refresh_in) = lifetimes(sh, &caps);
    let sp = derived_guid(&format!("sp:{}", app.client_id));
    let mut at = base_claims(ctx, resource, &tid, lifetime);
    at.insert("azp".into(), json!(app.client_id));
    at.insert("azpacr".into(), json!(ctx.auth.azpacr()));
    at.insert("oid".into(), json!(sp));
    at.insert("sub".into(), json!(sp));
    at.insert("idtyp".into(), json!("app"));
    at.insert("roles".into(), json!(app.roles));
    if !caps.is_empty() {
        at.insert("xms_cc".into(), json!(caps));
    }
    let token = sh
        .signer
        .sign(&Value::Object(at))
        .map_err(|_| crate::errors::malformed_grant())?;
    let mut body = json!({"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": token});
    if let (Some(r), Some(m)) = (refresh_in, body.as_object_mut()) {
        m.insert("refresh_in".into(), json!(r));
    }
    if window > 0 {
        let mut store = sh.store();
        if store.app_tokens.len() > 1000 {
            store.app_tokens.clear();
        }
        store.app_tokens.insert(key, (now, body.clone()));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_are_read_from_claims_json() {
        let c = capabilities(Some(r#"{"access_token": {"xms_cc": {"values": ["CP1"]}}}"#));
        assert_eq!(c, vec!["CP1"]);
        assert!(is_cae(&c));
        assert!(capabilities(Some("not json")).is_empty());
        assert!(capabilities(None).is_empty());
    }

    #[test]
    fn client_info_is_unpadded_base64url_json() {
        let ci = client_info("u", "t");
        assert!(!ci.contains('='));
        let raw = crate::jwt::b64_any(&ci).unwrap();
        let v: Value = serde_json::from_slice(&raw).unwrap();
        assert_eq!(v, json!({"uid": "u", "utid": "t"}));
    }

    #[test]
    fn pairwise_sub_differs_per_app() {
        assert_ne!(pairwise_sub("o", "a"), pairwise_sub("o", "b"));
        assert_eq!(pairwise_sub("o", "A"), pairwise_sub("o", "a"));
    }
}

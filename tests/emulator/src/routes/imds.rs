//! Managed identity: the IMDS shape (`/metadata/identity/oauth2/token`, header
//! `Metadata: true`) and the App Service shape (`/msi/token`, header `X-IDENTITY-HEADER`).

use serde_json::{Value, json};

use crate::config::{ManagedIdentityConfig, ManagedIdentityKind};
use crate::http::{Req, Resp};
use crate::routes::token::issue::now_secs;
use crate::state::{Shared, random_token};

/// The `X-IDENTITY-HEADER` value the App Service endpoint expects (`IDENTITY_HEADER`).
pub const APP_SERVICE_IDENTITY_HEADER: &str = "entra-emulator-identity-header";

fn bad(status: u16, error: &str, description: &str) -> Resp {
    Resp::json(
        status,
        &json!({"error": error, "error_description": description}),
    )
}

fn find<'a>(sh: &'a Shared, req: &Req) -> Option<&'a ManagedIdentityConfig> {
    let ids = &sh.config.managed_identities;
    let eq = |a: &str, b: &Option<String>| b.as_deref().is_some_and(|b| b.eq_ignore_ascii_case(a));
    if let Some(c) = req.q("client_id") {
        return ids.iter().find(|m| m.client_id.eq_ignore_ascii_case(c));
    }
    if let Some(o) = req.q("object_id").or_else(|| req.q("principal_id")) {
        return ids.iter().find(|m| m.object_id.eq_ignore_ascii_case(o));
    }
    if let Some(r) = req.q("msi_res_id").or_else(|| req.q("mi_res_id")) {
        return ids.iter().find(|m| eq(r, &m.resource_id));
    }
    ids.iter().find(|m| m.kind == ManagedIdentityKind::System)
}

fn sign(
    sh: &Shared,
    req: &Req,
    mi: &ManagedIdentityConfig,
    resource: &str,
) -> Option<(String, u64, u64)> {
    let tid = sh
        .config
        .tenants
        .first()
        .map(|t| t.tenant_id.clone())
        .unwrap_or_default();
    let now = now_secs();
    let life = sh.config.long_lived_token_lifetime_secs;
    let mut claims = json!({
        "aud": resource, "iss": format!("{}/{tid}/v2.0", req.base_url), "iat": now, "nbf": now,
        "exp": now + life, "azp": mi.client_id, "azpacr": "2", "oid": mi.object_id, "sub": mi.object_id,
        "tid": tid, "uti": random_token(16), "ver": "2.0", "idtyp": "app",
    });
    if let (Some(r), Some(m)) = (&mi.resource_id, claims.as_object_mut()) {
        m.insert("xms_mirid".into(), json!(r));
    }
    let token = sh.signer.sign(&claims).ok()?;
    Some((token, now, life))
}

/// `GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=...`.
pub(crate) fn imds(sh: &Shared, req: &Req) -> Resp {
    if !req
        .header("metadata")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        return bad(
            400,
            "invalid_request",
            "Required metadata header not specified",
        );
    }
    let Some(resource) = req.q("resource").filter(|r| !r.is_empty()) else {
        return bad(
            400,
            "invalid_request",
            "Required audience parameter not specified",
        );
    };
    let Some(mi) = find(sh, req) else {
        return bad(400, "invalid_request", "Identity not found");
    };
    let Some((token, now, life)) = sign(sh, req, mi, resource) else {
        return bad(500, "server_error", "signing failed");
    };
    let body: Value = json!({
        "access_token": token, "client_id": mi.client_id, "expires_in": life.to_string(),
        "expires_on": (now + life).to_string(), "ext_expires_in": life.to_string(),
        "not_before": now.to_string(), "resource": resource, "token_type": "Bearer",
    });
    Resp::json(200, &body)
}

/// `GET /msi/token?api-version=2019-08-01&resource=...` (App Service / Functions).
pub(crate) fn app_service(sh: &Shared, req: &Req) -> Resp {
    if req.header("x-identity-header") != Some(APP_SERVICE_IDENTITY_HEADER) {
        return Resp::json(
            401,
            &json!({"statusCode": 401, "message": "Unauthorized: the X-IDENTITY-HEADER is missing or wrong."}),
        );
    }
    let Some(resource) = req.q("resource").filter(|r| !r.is_empty()) else {
        return Resp::json(
            400,
            &json!({"statusCode": 400, "message": "Required query parameter 'resource' is missing."}),
        );
    };
    let Some(mi) = find(sh, req) else {
        return Resp::json(
            400,
            &json!({"statusCode": 400, "message": "No managed identity found for the specified id."}),
        );
    };
    let Some((token, now, life)) = sign(sh, req, mi, resource) else {
        return bad(500, "server_error", "signing failed");
    };
    Resp::json(
        200,
        &json!({
            "access_token": token, "expires_on": (now + life).to_string(), "resource": resource,
            "token_type": "Bearer", "client_id": mi.client_id,
        }),
    )
}

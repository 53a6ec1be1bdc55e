//! OIDC discovery, instance discovery and JWKS.

use serde_json::{Value, json};

use crate::errors::{AadError, unknown_tenant};
use crate::http::{Req, Resp};
use crate::state::{MSA_TENANT, Shared, TenantSel};

fn cached(r: Resp) -> Resp {
    r.header("cache-control", "max-age=86400, private")
        .header("access-control-allow-origin", "*")
}

/// The OIDC configuration document for a tenant segment.
pub(crate) fn openid_configuration(sh: &Shared, req: &Req, seg: &str) -> Resp {
    let Some(sel) = sh.tenant_sel(seg) else {
        return unknown_tenant(seg).to_resp(req);
    };
    let (tid, issuer_tid, region) = match sel {
        TenantSel::One(i) => {
            let id = sh
                .tenant(i)
                .map(|t| t.tenant_id.clone())
                .unwrap_or_default();
            (id.clone(), id, json!("NA"))
        }
        TenantSel::Consumers => (MSA_TENANT.to_string(), MSA_TENANT.to_string(), json!(null)),
        TenantSel::Common | TenantSel::Organizations => (
            seg.to_ascii_lowercase(),
            "{tenantid}".to_string(),
            json!(null),
        ),
    };
    let b = &req.base_url;
    let doc = json!({
        "token_endpoint": format!("{b}/{tid}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{b}/{tid}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{b}/{issuer_tid}/v2.0"),
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": format!("{b}/oidc/userinfo"),
        "authorization_endpoint": format!("{b}/{tid}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{b}/{tid}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{b}/{tid}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
            "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid",
            "ver", "at_hash", "c_hash", "email"],
        "kerberos_endpoint": format!("{b}/{tid}/kerberos"),
        "tenant_region_scope": region,
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    });
    cached(Resp::json(200, &doc))
}

/// `GET /common/discovery/instance?api-version=1.0|1.1&authorization_endpoint=...`.
pub(crate) fn instance_discovery(_sh: &Shared, req: &Req) -> Resp {
    let b = &req.base_url;
    let host = b.split("://").nth(1).unwrap_or(b).to_string();
    let tenant = req
        .q("authorization_endpoint")
        .and_then(|a| url::Url::parse(a).ok())
        .and_then(|u| {
            u.path_segments()
                .and_then(|mut s| s.next().map(str::to_string))
        })
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "common".to_string());
    let doc = json!({
        "tenant_discovery_endpoint": format!("{b}/{tenant}/v2.0/.well-known/openid-configuration"),
        "api-version": req.q("api-version").unwrap_or("1.1"),
        "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
    });
    cached(Resp::json(200, &doc))
}

/// The JWKS of the token signing key.
pub(crate) fn jwks(sh: &Shared, req: &Req, seg: &str) -> Resp {
    if sh.tenant_sel(seg).is_none() {
        return unknown_tenant(seg).to_resp(req);
    }
    cached(Resp::json(200, sh.signer.jwks()))
}

/// A generic 404 in Entra's JSON shape.
pub(crate) fn not_found(req: &Req) -> Resp {
    let mut e = AadError::new(
        "invalid_request",
        900561,
        format!(
            "The endpoint only accepts known paths; '{}' is not one.",
            req.path
        ),
    );
    e.status = 404;
    let mut body: Value = e.body(req);
    if let Some(m) = body.as_object_mut() {
        m.insert("path".into(), json!(req.path));
    }
    Resp::json(404, &body)
}

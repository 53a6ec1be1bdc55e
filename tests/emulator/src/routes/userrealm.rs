//! `GET /common/userrealm/{username}?api-version=1.0`.

use serde_json::{Map, Value, json};

use crate::config::UserKind;
use crate::federation::{MEX_PATH, MICROSOFT_ONLINE_AUDIENCE, WSTRUST2005_PATH};
use crate::http::{Req, Resp};
use crate::state::{Shared, TenantSel};

fn classify(sh: &Shared, username: &str, domain: &str) -> Option<(UserKind, bool)> {
    if let Some(u) = sh
        .find_user(TenantSel::Common, username)
        .and_then(|u| sh.user(u))
    {
        return Some((u.kind, u.federation_without_mex));
    }
    // Unknown user in a known domain: the domain's kind (federated if any federated user).
    let in_domain = |u: &&crate::config::UserConfig| {
        u.username
            .rsplit('@')
            .next()
            .is_some_and(|d| d.eq_ignore_ascii_case(domain))
    };
    let tenant = sh
        .config
        .tenants
        .iter()
        .find(|t| t.domains.iter().any(|d| d.eq_ignore_ascii_case(domain)))?;
    match tenant
        .users
        .iter()
        .filter(in_domain)
        .find(|u| u.kind == UserKind::Federated)
    {
        Some(f) => Some((UserKind::Federated, f.federation_without_mex)),
        None => Some((UserKind::Managed, false)),
    }
}

/// Answers user realm discovery (Managed, Federated or Unknown).
pub(crate) fn user_realm(sh: &Shared, _req: &Req, username: &str) -> Resp {
    let domain = username
        .rsplit_once('@')
        .map(|(_, d)| d.to_ascii_lowercase())
        .unwrap_or_default();
    let mut m = Map::new();
    m.insert("ver".into(), json!("1.0"));
    match classify(sh, username, &domain) {
        None => {
            m.insert("account_type".into(), json!("Unknown"));
            m.insert("cloud_instance_name".into(), json!("microsoftonline.com"));
        }
        Some((kind, without_mex)) => {
            let federated = kind == UserKind::Federated;
            m.insert(
                "account_type".into(),
                json!(if federated { "Federated" } else { "Managed" }),
            );
            m.insert("domain_name".into(), json!(domain));
            if federated {
                let b = &sh.authority_host;
                m.insert("federation_protocol".into(), json!("WSTrust"));
                if !without_mex {
                    m.insert(
                        "federation_metadata_url".into(),
                        json!(format!("{b}{MEX_PATH}")),
                    );
                }
                m.insert(
                    "federation_active_auth_url".into(),
                    json!(format!("{b}{WSTRUST2005_PATH}")),
                );
            }
            m.insert("cloud_instance_name".into(), json!("microsoftonline.com"));
            m.insert(
                "cloud_audience_urn".into(),
                json!(MICROSOFT_ONLINE_AUDIENCE),
            );
        }
    }
    Resp::json(200, &Value::Object(m))
}

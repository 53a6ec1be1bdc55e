//! The federated IdP's HTTP surface: MEX and the WS-Trust 1.3 / 2005 endpoints.

use base64::Engine;

use crate::config::UserKind;
use crate::federation::{
    FederatedIdentity, MEX_CONTENT_TYPE, SOAP_CONTENT_TYPE, WsTrustVersion, handle_rst,
    mex_document,
};
use crate::http::{Req, Resp};
use crate::state::{Shared, TenantSel};

/// `GET /adfs/services/trust/mex`.
pub(crate) fn mex(sh: &Shared) -> Resp {
    Resp::typed(200, MEX_CONTENT_TYPE, mex_document(&sh.authority_host))
}

/// The immutable id (sourceAnchor) of a federated user: base64 of its object id bytes.
pub(crate) fn immutable_id(sh: &Shared, oid: &str) -> String {
    let _ = sh;
    let bytes = uuid::Uuid::parse_str(oid)
        .map(|u| u.as_bytes().to_vec())
        .unwrap_or_else(|_| oid.as_bytes().to_vec());
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// `POST /adfs/services/trust/{13|2005}/usernamemixed`.
pub(crate) fn rst(sh: &Shared, req: &Req, version: WsTrustVersion) -> Resp {
    let body = String::from_utf8_lossy(&req.body);
    let check = |username: &str, password: &str| -> Option<FederatedIdentity> {
        let u = sh.find_user(TenantSel::Common, username)?;
        let cfg = sh.user(u)?;
        (cfg.kind == UserKind::Federated && cfg.password == password && !cfg.locked).then(|| {
            FederatedIdentity {
                upn: cfg.username.clone(),
                immutable_id: immutable_id(sh, &sh.user_oid(u)),
            }
        })
    };
    let outcome = handle_rst(&body, version, &sh.saml, &check);
    Resp::typed(outcome.status, SOAP_CONTENT_TYPE, outcome.body)
}

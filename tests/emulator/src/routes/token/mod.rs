//! `POST /{tenant}/oauth2/v2.0/token`: every grant.

mod app_grants;
pub(crate) mod client_auth;
mod code;
mod device;
pub(crate) mod issue;
mod password;
mod refresh;

use serde_json::Value;

use crate::config::{AppConfig, AppKind};
use crate::errors::{
    AadError, missing_param, public_client_not_allowed, unknown_app, unknown_tenant,
};
use crate::http::{Req, Resp};
use crate::state::{Shared, TenantSel};
use client_auth::ClientAuth;

/// Grant type of device code polling (long form).
pub(crate) const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// What every grant handler gets.
pub(crate) struct Ctx<'a> {
    pub sh: &'a Shared,
    pub req: &'a Req,
    pub sel: TenantSel,
    pub seg: &'a str,
    /// Tenant index of the app registration.
    pub tenant: usize,
    pub app: &'a AppConfig,
    pub auth: ClientAuth,
}

impl Ctx<'_> {
    /// A required form field.
    pub fn field(&self, name: &str) -> Result<&str, AadError> {
        self.req.f(name).ok_or_else(|| missing_param(name))
    }

    /// Public-client flows (ROPC, device code, SAML): a credential, or the app setting.
    pub fn require_public_flows(&self) -> Result<(), AadError> {
        if self.auth == ClientAuth::None && !self.app.allow_public_client_flows {
            return Err(public_client_not_allowed());
        }
        Ok(())
    }

    /// Redemption grants (auth code, refresh): confidential apps must authenticate.
    pub fn require_client_if_confidential(&self) -> Result<(), AadError> {
        if self.auth == ClientAuth::None
            && self.app.kind == AppKind::Confidential
            && !self.app.allow_public_client_flows
        {
            return Err(public_client_not_allowed());
        }
        Ok(())
    }

    /// App-only grants (client credentials, OBO): a credential is required.
    pub fn require_credential(&self) -> Result<(), AadError> {
        if self.auth == ClientAuth::None {
            return Err(public_client_not_allowed());
        }
        Ok(())
    }

    /// Tenant label for messages.
    pub fn tenant_label(&self) -> String {
        self.sh.tenant_label(self.sel, self.seg)
    }
}

/// Handles a token request.
pub(crate) fn handle(sh: &Shared, req: &Req, seg: &str) -> Resp {
    match run(sh, req, seg) {
        Ok(v) => Resp::token_json(200, &v),
        Err(e) => e.to_resp(req),
    }
}

/// The client id: the form field, or the `iss` of a client assertion.
fn client_id_of(req: &Req) -> Option<String> {
    if let Some(c) = req.f("client_id") {
        return Some(c.to_string());
    }
    if let Some((id, _)) = client_auth::basic_credentials(req) {
        return Some(id);
    }
    let a = req.f("client_assertion")?;
    let jwt = crate::jwt::ParsedJwt::parse(a).ok()?;
    jwt.str_claim("iss").map(str::to_string)
}

fn run(sh: &Shared, req: &Req, seg: &str) -> Result<Value, AadError> {
    let sel = sh.tenant_sel(seg).ok_or_else(|| {
        let mut e = unknown_tenant(seg);
        e.error = "invalid_request";
        e
    })?;
    let grant = req
        .f("grant_type")
        .ok_or_else(|| missing_param("grant_type"))?;
    let client_id = client_id_of(req).ok_or_else(|| missing_param("client_id"))?;
    let (tenant, app) = sh
        .find_app(sel, &client_id)
        .ok_or_else(|| unknown_app(&client_id, &sh.tenant_label(sel, seg)))?;
    let auth = client_auth::authenticate(sh, req, app, tenant, seg)?;
    let ctx = Ctx {
        sh,
        req,
        sel,
        seg,
        tenant,
        app,
        auth,
    };
    match grant {
        "password" => password::password(&ctx),
        "urn:ietf:params:oauth:grant-type:saml1_1-bearer"
        | "urn:ietf:params:oauth:grant-type:saml2-bearer" => password::saml(&ctx),
        "client_credentials" => app_grants::client_credentials(&ctx),
        "urn:ietf:params:oauth:grant-type:jwt-bearer" => app_grants::on_behalf_of(&ctx),
        "authorization_code" => code::redeem(&ctx),
        "refresh_token" => refresh::refresh(&ctx),
        DEVICE_CODE_GRANT | "device_code" => device::poll(&ctx),
        other => Err(AadError::new(
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{other}'."),
        )),
    }
}

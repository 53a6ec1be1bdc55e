//! `GET|POST /{tenant}/oauth2/v2.0/authorize`: signs in the `login_hint` user (or shows a
//! minimal form), issues a code bound to client, redirect_uri, PKCE challenge and nonce.

use std::time::{Duration, Instant};

use crate::config::AppConfig;
use crate::errors::{AadError, invalid_scope, unknown_app, unknown_tenant};
use crate::http::{Req, Resp, html_escape};
use crate::routes::token::issue::client_info;
use crate::scopes::ScopeSet;
use crate::state::{CodeRecord, Shared, UserRef, random_token};

const CODE_LIFETIME: Duration = Duration::from_secs(600);
const OWN_FIELDS: &[&str] = &["login_username", "login_password"];

/// Whether `given` matches a registered redirect URI (any port for loopback http).
pub(crate) fn redirect_ok(app: &AppConfig, given: &str) -> bool {
    let Ok(g) = url::Url::parse(given) else {
        return false;
    };
    app.redirect_uris.iter().any(|r| {
        if r == given {
            return true;
        }
        let Ok(r) = url::Url::parse(r) else {
            return false;
        };
        let loopback =
            |u: &url::Url| matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        r.scheme() == "http"
            && g.scheme() == "http"
            && loopback(&r)
            && r.host_str() == g.host_str()
            && r.path() == g.path()
    })
}

fn error_page(req: &Req, e: &AadError) -> Resp {
    let d = e.body(req);
    let text = d["error_description"].as_str().unwrap_or("").to_string();
    Resp::html(
        e.status,
        format!(
            "<!doctype html><html><body><h1>Sign in error</h1><p>{}</p></body></html>",
            html_escape(&text)
        ),
    )
}

/// Sends the result to the app: query redirect or auto-submitting form_post page.
fn respond(req: &Req, redirect_uri: &str, params: Vec<(&str, String)>) -> Resp {
    if req.param("response_mode") == Some("form_post") {
        let inputs: String = params
            .iter()
            .map(|(k, v)| {
                format!(
                    "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                    html_escape(k),
                    html_escape(v)
                )
            })
            .collect();
        return Resp::html(
            200,
            format!(
                "<!doctype html><html><body onload=\"document.forms[0].submit()\"><form method=\"post\" action=\"{}\">{inputs}<noscript><button>Continue</button></noscript></form></body></html>",
                html_escape(redirect_uri)
            ),
        );
    }
    match url::Url::parse(redirect_uri) {
        Ok(mut u) => {
            {
                let mut q = u.query_pairs_mut();
                for (k, v) in &params {
                    q.append_pair(k, v);
                }
            }
            Resp::redirect(u.to_string())
        }
        Err(_) => Resp::html(400, "invalid redirect_uri".into()),
    }
}

fn error_redirect(req: &Req, redirect_uri: &str, e: &AadError) -> Resp {
    let body = e.body(req);
    let mut params = vec![
        ("error", e.error.to_string()),
        (
            "error_description",
            body["error_description"].as_str().unwrap_or("").to_string(),
        ),
    ];
    if let Some(s) = req.param("state") {
        params.push(("state", s.to_string()));
    }
    respond(req, redirect_uri, params)
}

fn login_form(req: &Req, message: &str) -> Resp {
    let hidden: String = req
        .query
        .iter()
        .chain(req.form.iter())
        .filter(|(k, _)| !OWN_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                html_escape(k),
                html_escape(v)
            )
        })
        .collect();
    let hint = html_escape(req.param("login_hint").unwrap_or(""));
    Resp::html(
        200,
        format!(
            "<!doctype html><html><head><title>Sign in</title></head><body><h1>Sign in</h1><p>{}</p>\
<form method=\"post\" action=\"{}\">{hidden}<label>Username <input name=\"login_username\" value=\"{hint}\"></label><br>\
<label>Password <input type=\"password\" name=\"login_password\"></label><br><button>Sign in</button></form></body></html>",
            html_escape(message),
            html_escape(&req.path)
        ),
    )
}

/// Handles the authorize endpoint.
pub(crate) fn authorize(sh: &Shared, req: &Req, seg: &str) -> Resp {
    let Some(sel) = sh.tenant_sel(seg) else {
        return error_page(req, &unknown_tenant(seg));
    };
    let Some(client_id) = req.param("client_id") else {
        return error_page(req, &crate::errors::missing_param("client_id"));
    };
    let Some((_, app)) = sh.find_app(sel, client_id) else {
        return error_page(req, &unknown_app(client_id, &sh.tenant_label(sel, seg)));
    };
    let redirect_uri = req.param("redirect_uri").unwrap_or("");
    if !redirect_ok(app, redirect_uri) {
        let e = AadError::new(
            "invalid_request",
            50011,
            format!(
                "The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{}'.",
                app.client_id
            ),
        );
        return error_page(req, &e);
    }
    if req.param("response_type") != Some("code") {
        let e = AadError::new(
            "unsupported_response_type",
            700054,
            "The response_type must be 'code' for this emulator.",
        );
        return error_redirect(req, redirect_uri, &e);
    }
    let scope = req.param("scope").unwrap_or("");
    let scopes = ScopeSet::parse(scope);
    if scopes.oidc.is_empty() && scopes.other.is_empty() {
        return error_redirect(
            req,
            redirect_uri,
            &invalid_scope("The request must include a 'scope' input parameter."),
        );
    }
    if let Err(e) = scopes.resource() {
        return error_redirect(req, redirect_uri, &e);
    }
    let user = match signed_in_user(sh, req, sel) {
        Ok(u) => u,
        Err(SignIn::Form(msg)) => return login_form(req, msg),
        Err(SignIn::Error(e)) => return error_redirect(req, redirect_uri, &e),
    };
    issue_code(sh, req, app, redirect_uri, scope, user)
}

enum SignIn {
    Form(&'static str),
    Error(AadError),
}

fn signed_in_user(sh: &Shared, req: &Req, sel: crate::state::TenantSel) -> Result<UserRef, SignIn> {
    if let Some(name) = req.f("login_username") {
        let u = sh
            .find_user(sel, name)
            .ok_or(SignIn::Form("This account does not exist."))?;
        let cfg = sh
            .user(u)
            .ok_or(SignIn::Form("This account does not exist."))?;
        if cfg.locked {
            return Err(SignIn::Form("Your account is locked."));
        }
        if req.f("login_password") != Some(cfg.password.as_str()) {
            return Err(SignIn::Form("Your account or password is incorrect."));
        }
        return Ok(u);
    }
    let prompt_none = req.param("prompt") == Some("none");
    let hinted = req.param("login_hint").and_then(|h| sh.find_user(sel, h));
    match hinted {
        Some(u) if req.param("prompt") != Some("login") => Ok(u),
        _ if prompt_none => Err(SignIn::Error(
            AadError::new(
                "login_required",
                50058,
                "A silent sign-in request was sent but no user is signed in.",
            )
            .suberror("basic_action"),
        )),
        _ => Err(SignIn::Form("Sign in to continue.")),
    }
}

fn issue_code(
    sh: &Shared,
    req: &Req,
    app: &AppConfig,
    redirect_uri: &str,
    scope: &str,
    user: UserRef,
) -> Resp {
    let code = format!("1.A{}", random_token(48));
    let rec = CodeRecord {
        client_id: app.client_id.clone(),
        redirect_uri: redirect_uri.to_string(),
        challenge: req.param("code_challenge").map(str::to_string),
        challenge_method: req.param("code_challenge_method").map(str::to_string),
        nonce: req.param("nonce").map(str::to_string),
        scope: scope.to_string(),
        claims: req.param("claims").map(str::to_string),
        user,
        expires: Instant::now() + CODE_LIFETIME,
        redeemed: false,
    };
    {
        let mut store = sh.store();
        store.prune();
        store.codes.insert(code.clone(), rec);
    }
    let mut params = vec![("code", code)];
    if let Some(s) = req.param("state") {
        params.push(("state", s.to_string()));
    }
    if req.param("client_info") == Some("1") {
        let tid = sh
            .tenant(user.tenant)
            .map(|t| t.tenant_id.clone())
            .unwrap_or_default();
        params.push(("client_info", client_info(&sh.user_oid(user), &tid)));
    }
    params.push(("session_state", uuid::Uuid::new_v4().to_string()));
    respond(req, redirect_uri, params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EmulatorConfig;

    #[test]
    fn loopback_redirects_match_any_port_but_not_other_hosts() {
        let app = EmulatorConfig::default().tenants[0].apps[0].clone();
        assert!(redirect_ok(&app, "http://localhost"));
        assert!(redirect_ok(&app, "http://localhost:8400"));
        assert!(redirect_ok(&app, "http://localhost:8400/"));
        assert!(!redirect_ok(&app, "http://localhost:8400/other"));
        assert!(!redirect_ok(&app, "http://evil.example:8400"));
        assert!(!redirect_ok(&app, "https://localhost:8400"));
        let web = EmulatorConfig::default().tenants[0].apps[1].clone();
        assert!(redirect_ok(&web, "http://localhost:5000/getAToken"));
    }
}

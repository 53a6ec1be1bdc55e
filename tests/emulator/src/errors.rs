//! Entra (AADSTS) error bodies, built exactly like the service does.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::macros::format_description;

use crate::http::{Req, Resp};

/// An Entra OAuth error: `error`, AADSTS code, message and optional extras.
#[derive(Debug, Clone)]
pub(crate) struct AadError {
    pub status: u16,
    pub error: &'static str,
    pub code: u32,
    pub message: String,
    pub suberror: Option<&'static str>,
    pub claims: Option<String>,
    pub extra: Vec<(&'static str, Value)>,
}

/// `yyyy-MM-dd HH:mm:ssZ` (UTC).
pub(crate) fn entra_timestamp() -> String {
    let fmt = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z");
    OffsetDateTime::now_utc().format(&fmt).unwrap_or_default()
}

impl AadError {
    /// A 400 error with one AADSTS code.
    pub fn new(error: &'static str, code: u32, message: impl Into<String>) -> Self {
        AadError {
            status: 400,
            error,
            code,
            message: message.into(),
            suberror: None,
            claims: None,
            extra: Vec::new(),
        }
    }

    /// Sets the HTTP status.
    pub fn status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// Sets `suberror`.
    pub fn suberror(mut self, s: &'static str) -> Self {
        self.suberror = Some(s);
        self
    }

    /// Sets `claims` (a JSON string).
    pub fn claims(mut self, c: String) -> Self {
        self.claims = Some(c);
        self
    }

    /// Adds a top-level field.
    pub fn extra(mut self, name: &'static str, v: Value) -> Self {
        self.extra.push((name, v));
        self
    }

    /// The JSON body for this request (trace and correlation ids from the request).
    pub fn body(&self, req: &Req) -> Value {
        let ts = entra_timestamp();
        let code = self.code;
        let desc = format!(
            "AADSTS{code}: {} Trace ID: {} Correlation ID: {} Timestamp: {ts}",
            self.message, req.trace_id, req.correlation_id
        );
        let mut m = Map::new();
        m.insert("error".into(), json!(self.error));
        m.insert("error_description".into(), json!(desc));
        m.insert("error_codes".into(), json!([self.code]));
        m.insert("timestamp".into(), json!(ts));
        m.insert("trace_id".into(), json!(req.trace_id));
        m.insert("correlation_id".into(), json!(req.correlation_id));
        m.insert(
            "error_uri".into(),
            json!(format!("{}/error?code={code}", req.base_url)),
        );
        if let Some(s) = self.suberror {
            m.insert("suberror".into(), json!(s));
        }
        if let Some(c) = &self.claims {
            m.insert("claims".into(), json!(c));
        }
        for (k, v) in &self.extra {
            m.insert((*k).to_string(), v.clone());
        }
        Value::Object(m)
    }

    /// The HTTP answer (token-endpoint caching headers included).
    pub fn to_resp(&self, req: &Req) -> Resp {
        Resp::token_json(self.status, &self.body(req))
    }
}

// ---- the catalogue of errors the emulator produces -------------------------------------

pub(crate) fn unknown_tenant(t: &str) -> AadError {
    AadError::new(
        "invalid_tenant",
        90002,
        format!(
            "Tenant '{t}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
        ),
    )
}

pub(crate) fn unknown_app(client_id: &str, tenant: &str) -> AadError {
    AadError::new(
        "unauthorized_client",
        700016,
        format!(
            "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
        ),
    )
}

pub(crate) fn missing_param(name: &str) -> AadError {
    AadError::new(
        "invalid_request",
        900144,
        format!("The request body must contain the following parameter: '{name}'."),
    )
}

pub(crate) fn invalid_scope(detail: &str) -> AadError {
    AadError::new(
        "invalid_scope",
        70011,
        format!("The provided value for the input parameter 'scope' is not valid. {detail}"),
    )
}

pub(crate) fn public_client_not_allowed() -> AadError {
    AadError::new("invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
        .status(401)
}

pub(crate) fn bad_client_secret(client_id: &str) -> AadError {
    AadError::new("invalid_client", 7000215, format!("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."))
        .status(401)
}

pub(crate) fn public_client_with_credential() -> AadError {
    AadError::new(
        "invalid_client",
        700025,
        "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
    )
    .status(401)
}

pub(crate) fn bad_assertion(code: u32, message: String) -> AadError {
    AadError::new("invalid_client", code, message).status(401)
}

pub(crate) fn unknown_user(username: &str, tenant: &str) -> AadError {
    AadError::new(
        "invalid_grant",
        50034,
        format!(
            "The user account {username} does not exist in the {tenant} directory. To sign into this application, the account must be added to the directory."
        ),
    )
}

pub(crate) fn wrong_password() -> AadError {
    AadError::new(
        "invalid_grant",
        50126,
        "Error validating credentials due to invalid username or password.",
    )
}

pub(crate) fn locked() -> AadError {
    AadError::new(
        "invalid_grant",
        50053,
        "The account is locked, you've tried to sign in too many times with an incorrect user ID or password.",
    )
}

pub(crate) fn password_expired(base_url: &str) -> AadError {
    AadError::new("invalid_grant", 50055, "The password is expired.")
        .suberror("user_password_expired")
        .extra(
            "password_change_url",
            json!(format!("{base_url}/ChangePassword.aspx")),
        )
}

/// The claims challenge sent with MFA errors.
pub(crate) const MFA_CLAIMS: &str = r#"{"access_token":{"capolids":{"essential":true,"values":["c1a5f0ad-0000-4000-8000-00000000000a"]}}}"#;

pub(crate) fn mfa_required(resource: &str) -> AadError {
    AadError::new("invalid_grant", 50076, format!("Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '{resource}'."))
        .suberror("basic_action")
        .claims(MFA_CLAIMS.to_string())
}

pub(crate) fn consent_required(client_id: &str, name: &str) -> AadError {
    AadError::new("invalid_grant", 65001, format!("The user or administrator has not consented to use the application with ID '{client_id}' named '{name}'. Send an interactive authorization request for this user and resource."))
        .suberror("consent_required")
}

pub(crate) fn rt_expired() -> AadError {
    AadError::new(
        "invalid_grant",
        700082,
        "The refresh token has expired due to inactivity. The token was issued on a date and was inactive for 90.00:00:00.",
    )
}

pub(crate) fn rt_revoked() -> AadError {
    AadError::new(
        "invalid_grant",
        50173,
        "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.",
    )
}

pub(crate) fn malformed_grant() -> AadError {
    AadError::new(
        "invalid_grant",
        9002313,
        "Invalid request. Request is malformed or invalid.",
    )
}

pub(crate) fn client_mismatch() -> AadError {
    AadError::new("invalid_grant", 70000, "The refresh token was issued to a client that is not a member of the family of the requesting client.")
        .suberror("client_mismatch")
        .extra("error_additional_info", json!(["client_mismatch"]))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn req() -> Req {
        Req {
            method: "POST".into(),
            path: "/t/oauth2/v2.0/token".into(),
            query: vec![],
            headers: vec![],
            form: vec![],
            body: bytes::Bytes::new(),
            base_url: "https://127.0.0.1:1".into(),
            trace_id: "trace-1".into(),
            correlation_id: "corr-1".into(),
        }
    }

    #[test]
    fn body_has_every_entra_field_with_integer_codes() {
        let b = wrong_password().body(&req());
        assert_eq!(b["error"], "invalid_grant");
        assert_eq!(b["error_codes"], json!([50126]));
        let d = b["error_description"].as_str().unwrap();
        assert!(d.starts_with("AADSTS50126: Error validating"));
        assert!(d.contains("Trace ID: trace-1 Correlation ID: corr-1 Timestamp: "));
        assert_eq!(b["trace_id"], "trace-1");
        assert_eq!(b["correlation_id"], "corr-1");
        assert_eq!(b["error_uri"], "https://127.0.0.1:1/error?code=50126");
        let ts = b["timestamp"].as_str().unwrap();
        assert_eq!(ts.len(), 20);
        assert!(ts.ends_with('Z') && ts.as_bytes()[10] == b' ');
    }

    #[test]
    fn mfa_error_carries_suberror_and_claims_string() {
        let b = mfa_required("https://graph.microsoft.com").body(&req());
        assert_eq!(b["suberror"], "basic_action");
        let claims: Value = serde_json::from_str(b["claims"].as_str().unwrap()).unwrap();
        assert!(claims["access_token"]["capolids"].is_object());
    }

    #[test]
    fn invalid_client_errors_are_401() {
        assert_eq!(bad_client_secret("x").status, 401);
        assert_eq!(public_client_not_allowed().to_resp(&req()).status, 401);
        let b = client_mismatch().body(&req());
        assert_eq!(b["error_additional_info"], json!(["client_mismatch"]));
    }
}

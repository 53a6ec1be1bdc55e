//! Shared helpers of the integration tests: a started emulator and a reqwest client
//! trusting its CA.
#![allow(dead_code)]

use base64::Engine;
use entra_emulator::{Emulator, StartOptions};
use serde_json::Value;

pub const TENANT: &str = "aaaabbbb-0000-cccc-1111-dddd2222eeee";
pub const PUBLIC: &str = "11111111-1111-1111-1111-111111111111";
pub const CONF: &str = "22222222-2222-2222-2222-222222222222";
pub const API: &str = "33333333-3333-3333-3333-333333333333";
pub const FAM_A: &str = "44444444-4444-4444-4444-444444444444";
pub const FAM_B: &str = "55555555-5555-5555-5555-555555555555";
pub const SECRET: &str = "fake-client-secret~with.special_chars+/=";
pub const GRAPH_USER_SCOPES: &str =
    "https://graph.microsoft.com/User.Read offline_access openid profile";

pub struct Env {
    pub emu: Emulator,
    pub http: reqwest::Client,
}

pub async fn start() -> Env {
    start_with(StartOptions::default()).await
}

pub async fn start_with(options: StartOptions) -> Env {
    let emu = Emulator::start(options).await.expect("emulator starts");
    let mut b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy();
    if let Some(pem) = emu.ca_pem() {
        b = b.add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).expect("CA pem"));
    }
    Env {
        emu,
        http: b.build().expect("client"),
    }
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

impl Env {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emu.authority_host())
    }

    pub fn token_path(&self) -> String {
        format!("/{TENANT}/oauth2/v2.0/token")
    }

    pub async fn post(&self, path: &str, pairs: &[(&str, &str)]) -> Answer {
        self.post_with(path, pairs, &[]).await
    }

    pub async fn post_with(
        &self,
        path: &str,
        pairs: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut r = self
            .http
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(pairs));
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        finish(r.send().await.expect("request")).await
    }

    pub async fn token(&self, pairs: &[(&str, &str)]) -> Answer {
        self.post(&self.token_path(), pairs).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.get_with(path, &[]).await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        let mut r = self.http.get(self.url(path));
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        finish(r.send().await.expect("request")).await
    }

    /// ROPC as alice with the public app; returns the answer JSON (asserting 200).
    pub async fn ropc(&self, client_id: &str, scope: &str) -> Value {
        let a = self
            .token(&[
                ("grant_type", "password"),
                ("client_id", client_id),
                ("username", "alice@managed.test"),
                ("password", "alice-password"),
                ("scope", scope),
                ("client_info", "1"),
            ])
            .await;
        assert_eq!(a.status, 200, "{}", a.text);
        a.json()
    }
}

async fn finish(r: reqwest::Response) -> Answer {
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap_or_default();
    Answer {
        status,
        headers,
        text,
    }
}

/// The decoded payload of a JWT.
pub fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("three segments");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("unpadded base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

/// Asserts an Entra error body with this `error` and first code.
pub fn assert_aad(a: &Answer, status: u16, error: &str, code: u64) {
    assert_eq!(a.status, status, "{}", a.text);
    let v = a.json();
    assert_eq!(v["error"], error, "{}", a.text);
    assert_eq!(v["error_codes"][0].as_u64(), Some(code), "{}", a.text);
    let d = v["error_description"].as_str().unwrap_or("");
    assert!(d.starts_with(&format!("AADSTS{code}: ")), "{d}");
    assert!(
        v["trace_id"].is_string() && v["correlation_id"].is_string() && v["timestamp"].is_string()
    );
}

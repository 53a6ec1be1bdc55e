//! Fault injection, the masked request log, plain HTTP mode, TOML config, and the binary.

mod common;
use common::*;
use entra_emulator::{EmulatorConfig, FaultEndpoint, FaultKind, FaultRule, StartOptions};
use std::io::{BufRead, BufReader, Read};
use std::time::{Duration, Instant};

fn cc() -> Vec<(&'static str, &'static str)> {
    vec![
        ("grant_type", "client_credentials"),
        ("client_id", CONF),
        ("client_secret", SECRET),
        ("scope", "https://graph.microsoft.com/.default"),
    ]
}

#[tokio::test]
async fn status_faults_fire_for_count_then_stop() {
    let env = start().await;
    env.emu.inject_fault(FaultRule::next(
        FaultEndpoint::Token,
        1,
        FaultKind::TooManyRequests {
            retry_after_secs: 7,
        },
    ));
    env.emu.inject_fault(FaultRule::next(
        FaultEndpoint::Token,
        1,
        FaultKind::InternalServerError,
    ));
    env.emu.inject_fault(FaultRule::next(
        FaultEndpoint::Token,
        1,
        FaultKind::ServiceUnavailable,
    ));
    let a = env.token(&cc()).await;
    assert_eq!(a.status, 429);
    assert_eq!(a.header("retry-after").as_deref(), Some("7"));
    assert_eq!(env.token(&cc()).await.status, 500);
    assert_eq!(env.token(&cc()).await.status, 503);
    assert_eq!(env.token(&cc()).await.status, 200);
    // A token fault does not touch discovery.
    env.emu.inject_fault(FaultRule::next(
        FaultEndpoint::Token,
        1,
        FaultKind::InternalServerError,
    ));
    assert_eq!(
        env.get(&format!("/{TENANT}/v2.0/.well-known/openid-configuration"))
            .await
            .status,
        200
    );
    env.emu.clear_faults();
    assert_eq!(env.token(&cc()).await.status, 200);
}

#[tokio::test]
async fn body_faults_truncate_malform_or_drop_access_token() {
    let env = start().await;
    env.emu.inject_fault(FaultRule::next(
        FaultEndpoint::Token,
        1,
        FaultKind::TruncatedJson,
    ));
    let t = env.token(&cc()).await;
    assert_eq!(t.status, 200);
    assert!(serde_json::from_str::<serde_json::Value>(&t.text).is_err());
    env.emu.inject_fault(FaultRule::next(
        FaultEndpoint::Token,
        1,
        FaultKind::MalformedJson,
    ));
    let m = env.token(&cc()).await;
    assert!(serde_json::from_str::<serde_json::Value>(&m.text).is_err());
    env.emu.inject_fault(FaultRule::next(
        FaultEndpoint::Token,
        1,
        FaultKind::MissingAccessToken,
    ));
    let v = env.token(&cc()).await;
    assert_eq!(v.status, 200);
    assert!(v.json().get("access_token").is_none());
    assert_eq!(v.json()["token_type"], "Bearer");
}

#[tokio::test]
async fn dropped_connection_and_latency() {
    let env = start().await;
    env.emu.inject_fault(FaultRule::next(
        FaultEndpoint::Discovery,
        1,
        FaultKind::DropConnection,
    ));
    let r = env
        .http
        .get(env.url(&format!("/{TENANT}/v2.0/.well-known/openid-configuration")))
        .send()
        .await;
    assert!(r.is_err(), "expected a transport error");
    env.emu.inject_fault(FaultRule::next(
        FaultEndpoint::Any,
        1,
        FaultKind::Latency { millis: 300 },
    ));
    let t0 = Instant::now();
    assert_eq!(
        env.get("/common/userrealm/alice@managed.test").await.status,
        200
    );
    assert!(t0.elapsed() >= Duration::from_millis(300));
    assert_eq!(env.emu.requests().last().map(|r| r.status), Some(200));
}

#[tokio::test]
async fn rate_faults_hit_about_the_fraction_via_admin_endpoint() {
    let env = start().await;
    let rule = r#"{"endpoint":"userrealm","kind":{"type":"internal_server_error"},"trigger":{"type":"rate","fraction":0.5,"seed":7}}"#;
    let r = env
        .http
        .post(env.url("/_emulator/faults"))
        .body(rule)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let mut errors = 0;
    for _ in 0..40 {
        if env.get("/common/userrealm/alice@managed.test").await.status == 500 {
            errors += 1;
        }
    }
    assert!((8..=32).contains(&errors), "{errors}");
    let r = env
        .http
        .delete(env.url("/_emulator/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        env.get("/common/userrealm/alice@managed.test").await.status,
        200
    );
}

#[tokio::test]
async fn request_log_records_fields_and_masks_every_secret() {
    let env = start().await;
    let rt = env.ropc(PUBLIC, GRAPH_USER_SCOPES).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    env.token(&[
        ("grant_type", "refresh_token"),
        ("client_id", PUBLIC),
        ("refresh_token", &rt),
        ("scope", GRAPH_USER_SCOPES),
    ])
    .await;
    env.token(&cc()).await;
    env.post_with(
        &env.token_path(),
        &[
            ("grant_type", "authorization_code"),
            ("client_id", PUBLIC),
            ("code", "the-code"),
            ("code_verifier", "the-verifier"),
            ("redirect_uri", "http://localhost"),
        ],
        &[("Authorization", "Bearer top-secret")],
    )
    .await;
    let log = env.emu.requests();
    assert_eq!(log.len(), 4);
    let first = &log[0];
    assert_eq!(first.method, "POST");
    assert_eq!(first.path, env.token_path());
    assert_eq!(first.form_field("username"), Some("alice@managed.test"));
    assert_eq!(first.form_field("password"), Some("***"));
    assert_eq!(first.status, 200);
    let all = format!("{log:?}") + &serde_json::to_string(&log).unwrap();
    for secret in [
        "alice-password",
        rt.as_str(),
        SECRET,
        "the-code",
        "the-verifier",
        "top-secret",
    ] {
        assert!(!all.contains(secret), "secret {secret} leaked into the log");
    }
    // Same through the admin endpoint.
    let text = env.get("/_emulator/requests").await.text;
    assert!(text.contains("alice@managed.test") && !text.contains("alice-password"));
    env.emu.clear_requests();
    assert!(env.emu.requests().is_empty());
}

#[tokio::test]
async fn plain_http_mode_serves_without_tls() {
    let env = start_with(StartOptions {
        https: false,
        ..Default::default()
    })
    .await;
    assert!(env.emu.authority_host().starts_with("http://127.0.0.1:"));
    assert!(env.emu.ca_pem().is_none());
    let v = env
        .get(&format!("/{TENANT}/v2.0/.well-known/openid-configuration"))
        .await
        .json();
    assert!(v["issuer"].as_str().unwrap().starts_with("http://"));
    assert!(env.emu.info().ca_pem_path.is_none());
}

#[tokio::test]
async fn toml_config_file_round_trips_and_is_served() {
    let text = r#"
        [[tenants]]
        tenant_id = "12345678-1234-1234-1234-123456789012"
        domains = ["contoso.test"]
        [[tenants.users]]
        username = "dora@contoso.test"
        password = "dora-pw"
        [[tenants.apps]]
        client_id = "app-1"
        allow_public_client_flows = true
        granted_scopes = ["https://graph.microsoft.com/.default"]
    "#;
    let dir = std::env::temp_dir().join(format!("emu-toml-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tenants.toml");
    std::fs::write(&path, text).unwrap();
    let config = EmulatorConfig::from_file(&path).unwrap();
    let again = EmulatorConfig::from_toml_str(&config.to_toml_string().unwrap()).unwrap();
    assert_eq!(config, again);
    let env = start_with(StartOptions {
        config,
        ..Default::default()
    })
    .await;
    let a = env
        .post(
            "/contoso.test/oauth2/v2.0/token",
            &[
                ("grant_type", "password"),
                ("client_id", "app-1"),
                ("username", "dora@contoso.test"),
                ("password", "dora-pw"),
                ("scope", "User.Read openid"),
            ],
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        claims(a.json()["access_token"].as_str().unwrap())["tid"],
        "12345678-1234-1234-1234-123456789012"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn binary_starts_quickly_and_prints_info_json() {
    let dir = std::env::temp_dir().join(format!("emu-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let info_path = dir.join("info.json");
    let ca_path = dir.join("ca.pem");
    let t0 = Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_entra-emulator"))
        .args(["--listen", "127.0.0.1:0", "--info-out"])
        .arg(&info_path)
        .arg("--ca-out")
        .arg(&ca_path)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("binary runs");
    let mut out = String::new();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap_or(0) > 0 {
        out.push_str(&line);
        if line.starts_with('}') {
            break;
        }
        line.clear();
    }
    let elapsed = t0.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    let mut rest = String::new();
    let _ = reader.read_to_string(&mut rest);
    let printed: serde_json::Value = serde_json::from_str(&out).expect("info JSON on stdout");
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&info_path).unwrap()).unwrap();
    assert_eq!(printed, written);
    assert!(
        printed["authority_host"]
            .as_str()
            .unwrap()
            .starts_with("https://127.0.0.1:")
    );
    assert_eq!(printed["ca_pem_path"], ca_path.display().to_string());
    assert!(
        std::fs::read_to_string(&ca_path)
            .unwrap()
            .contains("BEGIN CERTIFICATE")
    );
    assert_eq!(printed["tenants"][0]["tenant_id"], TENANT);
    assert_eq!(printed["users"][0]["kind"], "managed");
    let conf = printed["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["client_id"] == CONF)
        .unwrap()
        .clone();
    assert_eq!(conf["kind"], "confidential");
    assert_eq!(conf["client_secret"], SECRET);
    assert!(conf["certificate_pem_path"].is_string() && conf["private_key_pem_path"].is_string());
    // Generous bound for loaded CI machines; the README reports the typical time.
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn binary_rejects_unknown_arguments() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_entra-emulator"))
        .arg("--bogus")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage"));
}

#[tokio::test]
async fn given_tls_material_is_used_and_admin_info_and_approve_work() {
    let tls = entra_emulator::TlsMaterial::generate().unwrap();
    let env = start_with(StartOptions {
        tls: Some(tls.clone()),
        ..Default::default()
    })
    .await;
    assert_eq!(env.emu.ca_pem(), Some(tls.ca_cert_pem.as_str()));
    let info = env.get("/_emulator/info").await.json();
    assert_eq!(info["authority_host"], env.emu.authority_host());
    let dc = env
        .post(
            &format!("/{TENANT}/oauth2/v2.0/devicecode"),
            &[("client_id", PUBLIC), ("scope", GRAPH_USER_SCOPES)],
        )
        .await
        .json();
    let body = serde_json::json!({"user_code": dc["user_code"], "username": "alice@managed.test"})
        .to_string();
    let r = env
        .http
        .post(env.url("/_emulator/device/approve"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let p = [
        ("grant_type", "device_code"),
        ("client_id", PUBLIC),
        ("device_code", dc["device_code"].as_str().unwrap()),
    ];
    assert_eq!(env.token(&p).await.status, 200);
    let unknown =
        serde_json::json!({"user_code": "NOPE", "username": "alice@managed.test"}).to_string();
    let r = env
        .http
        .post(env.url("/_emulator/device/approve"))
        .body(unknown)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    // Admin calls are not logged; the token calls are.
    assert!(
        env.emu
            .requests()
            .iter()
            .all(|r| !r.path.starts_with("/_emulator"))
    );
}

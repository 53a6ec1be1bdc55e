//! The `get_token` example as a user scripts it: `--silent-only --cache-file F` serves from a
//! cache file MSAL Python 1.39 wrote, sends no request, and fails as JSON with exit code 1
//! when the cache cannot serve.
//!
//! The MSAL Python half needs python3 (>= 3.8), PyPI for the first run (the shared venv
//! `<target>/msal-python-venv`, as `msal-flows/tests/interop_msal_python.rs` builds it, with
//! the same lock) and permission to bind 127.0.0.1:443 (MSAL Python sends user realm
//! discovery there). Without them it prints `SKIPPED` and passes, unless
//! `MSAL_REQUIRE_EXTERNAL=1`, which makes it fail. It reuses that test's MSAL Python driver.
#![allow(missing_docs)]

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use entra_emulator::{Emulator, StartOptions};
use serde_json::Value;

const PUBLIC: &str = "11111111-1111-1111-1111-111111111111";
const CONFIDENTIAL: &str = "22222222-2222-2222-2222-222222222222";
const USER_READ: &str = "https://graph.microsoft.com/User.Read";
const GRAPH_DEFAULT: &str = "https://graph.microsoft.com/.default";

/// Runs the built `get_token` example: (exit code, stdout JSON or null, stderr JSON or null).
fn get_token(args: &[&str], env: &[(&str, &str)]) -> (i32, Value, Value) {
    let exe = example_binary("get_token");
    let mut command = Command::new(&exe);
    command.args(args);
    for var in ["AZURE_CLIENT_SECRET", "AZURE_PASSWORD"] {
        command.env_remove(var);
    }
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()));
    let parse = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes);
        serde_json::from_str(text.trim()).unwrap_or(Value::Null)
    };
    (
        out.status.code().unwrap_or(-1),
        parse(&out.stdout),
        parse(&out.stderr),
    )
}

fn token_requests(emulator: &Emulator) -> usize {
    emulator
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/token"))
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn silent_only_with_an_empty_cache_fails_as_json_and_sends_no_request() {
    let emulator = Emulator::start(StartOptions::default()).await.unwrap();
    let work = TempDir::new("get-token-empty");
    let cache = work.path().join("empty.json");
    let ca = work.path().join("ca.pem");
    emulator.write_ca_pem(&ca).unwrap();
    let authority = emulator.authority(&emulator.tenant_id());
    for flow in [
        vec!["--flow", "client-secret"],
        vec!["--flow", "password", "--username", "alice@managed.test"],
    ] {
        let mut args = flow.clone();
        args.extend([
            "--authority",
            &authority,
            "--client-id",
            if flow[1] == "password" {
                PUBLIC
            } else {
                CONFIDENTIAL
            },
            "--scope",
            GRAPH_DEFAULT,
            "--cache-file",
            cache.to_str().unwrap(),
            "--ca-file",
            ca.to_str().unwrap(),
            "--no-instance-discovery",
            "--silent-only",
        ]);
        let (code, stdout, stderr) = get_token(
            &args,
            &[("AZURE_CLIENT_SECRET", "s"), ("AZURE_PASSWORD", "p")],
        );
        assert_eq!(code, 1, "{flow:?}: {stdout} {stderr}");
        assert_eq!(stdout, Value::Null, "{flow:?}: nothing on stdout");
        assert_eq!(stderr["error"], "cache_miss", "{flow:?}: {stderr}");
        assert!(stderr.get("correlation_id").is_some(), "{stderr}");
    }
    assert!(
        emulator.requests().is_empty(),
        "no request may reach the identity provider: {:?}",
        emulator.requests()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn network_call_then_silent_only_serves_the_same_cache_file() {
    let emulator = Emulator::start(StartOptions::default()).await.unwrap();
    let work = TempDir::new("get-token-own");
    let (cache, ca) = (work.path().join("app.json"), work.path().join("ca.pem"));
    emulator.write_ca_pem(&ca).unwrap();
    let authority = emulator.authority(&emulator.tenant_id());
    let secret = emulator
        .info()
        .apps
        .into_iter()
        .find(|a| a.client_id == CONFIDENTIAL)
        .unwrap();
    let secret = secret.client_secret.unwrap();
    let args = |silent: bool| {
        let mut a = vec![
            "--flow",
            "client-secret",
            "--authority",
            &authority,
            "--client-id",
            CONFIDENTIAL,
            "--scope",
            GRAPH_DEFAULT,
            "--cache-file",
            cache.to_str().unwrap(),
            "--ca-file",
            ca.to_str().unwrap(),
            "--no-instance-discovery",
        ];
        if silent {
            a.push("--silent-only");
        }
        a.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let env = [("AZURE_CLIENT_SECRET", secret.as_str())];
    let first = args(false);
    let first: Vec<&str> = first.iter().map(String::as_str).collect();
    let (code, out, err) = get_token(&first, &env);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out["source"], "identity_provider");
    assert_eq!(out["token_type"], "Bearer");
    assert!(
        out.get("access_token").is_none(),
        "no token without --show-token"
    );
    let seen = emulator.requests().len();
    let again = args(true);
    let again: Vec<&str> = again.iter().map(String::as_str).collect();
    let (code, out2, err) = get_token(&again, &env);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out2["source"], "cache");
    assert_eq!(out2["expires_on"], out["expires_on"]);
    assert_eq!(
        emulator.requests().len(),
        seen,
        "--silent-only sent a request"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn silent_only_serves_from_a_cache_msal_python_wrote() {
    let Some(vpy) = msal_python_or_skip() else {
        return;
    };
    let emulator = emulator_with_443().await;
    let work = TempDir::new("get-token-python");
    let (info, ca) = (work.path().join("info.json"), work.path().join("ca.pem"));
    emulator.write_ca_pem(&ca).unwrap();
    std::fs::write(&info, serde_json::to_vec(&emulator.info()).unwrap()).unwrap();
    let (user_cache, app_cache) = (work.path().join("user.json"), work.path().join("app.json"));
    let written = run_driver(&vpy, "write", &[&info, &ca, &user_cache, &app_cache])
        .unwrap_or_else(|e| panic!("MSAL Python could not write its caches: {e}"));
    assert_eq!(written["user"]["ok"], true, "{written}");
    assert_eq!(written["app"]["ok"], true, "{written}");
    let tokens_before = token_requests(&emulator);
    emulator.clear_requests();

    let authority = emulator.authority(&emulator.tenant_id());
    let common = |cache: &Path| {
        vec![
            "--authority".to_owned(),
            authority.clone(),
            "--cache-file".to_owned(),
            cache.display().to_string(),
            "--no-instance-discovery".to_owned(),
            "--silent-only".to_owned(),
        ]
    };
    let mut user: Vec<String> = [
        "--flow",
        "password",
        "--username",
        "alice@managed.test",
        "--client-id",
        PUBLIC,
        "--scope",
        USER_READ,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    user.extend(common(&user_cache));
    let user: Vec<&str> = user.iter().map(String::as_str).collect();
    let (code, out, err) = get_token(&user, &[]);
    assert_eq!(code, 0, "user token from MSAL Python's cache: {err}");
    assert_eq!(out["source"], "cache");
    assert_eq!(out["account"]["username"], "alice@managed.test");
    assert!(
        out["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == USER_READ),
        "{out}"
    );

    let mut app: Vec<String> = [
        "--flow",
        "client-secret",
        "--client-id",
        CONFIDENTIAL,
        "--scope",
        GRAPH_DEFAULT,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    app.extend(common(&app_cache));
    let app: Vec<&str> = app.iter().map(String::as_str).collect();
    let (code, out, err) = get_token(&app, &[]);
    assert_eq!(code, 0, "app token from MSAL Python's cache: {err}");
    assert_eq!(out["source"], "cache");
    assert_eq!(out["account"], Value::Null);

    assert!(
        tokens_before >= 2,
        "MSAL Python did sign in through the emulator"
    );
    assert!(
        emulator.requests().is_empty(),
        "get_token --silent-only sent a request"
    );
}

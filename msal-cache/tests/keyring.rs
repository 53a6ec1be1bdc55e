//! `KeyringPersistence` against a real Secret Service and without any (feature `keyring`).
//!
//! The tests re-execute their own binary: `secret_service_round_trip` runs the `child_*`
//! test inside `dbus-run-session` with a private, unlocked gnome-keyring; the no-store test
//! runs it with a session bus address that leads nowhere. Without `dbus-run-session` and
//! `gnome-keyring-daemon` the Secret Service test is skipped with a message (and fails when
//! `MSAL_REQUIRE_EXTERNAL=1`).
#![cfg(feature = "keyring")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use msal_cache::{
    AccessTokenQuery, CachePersistence, KeyringOptions, KeyringPersistence, PersistentTokenCache,
    Subject, TokenResponseEvent,
};
use msal_core::{ErrorKind, Secret};

const CHILD_ENV: &str = "MSAL_KEYRING_CHILD";

fn temp_dir(name: &str) -> PathBuf {
    let stamp = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "msal-keyring-{name}-{}-{stamp}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(tool).is_file()))
}

fn event() -> TokenResponseEvent {
    let mut ev = TokenResponseEvent::new(
        "client",
        "login.microsoftonline.com",
        "tenant",
        1_700_000_000,
    );
    ev.scopes = vec!["api://x/.default".into()];
    ev.access_token = Some(Secret::new("at-from-the-keyring"));
    ev.expires_in = Some(3600);
    ev
}

/// Runs the child test `name` of this binary with `env`, optionally under dbus-run-session.
fn run_child(name: &str, dbus: bool, env: &[(&str, &Path)], extra: &[(&str, &str)]) {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = if dbus {
        let mut c = Command::new("dbus-run-session");
        c.arg("--").arg(exe);
        c
    } else {
        Command::new(exe)
    };
    cmd.args(["--exact", name, "--nocapture", "--test-threads=1"]);
    cmd.env(CHILD_ENV, "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "child {name} failed:\n{log}");
    assert!(log.contains("1 passed"), "child {name} did not run:\n{log}");
}

#[test]
fn secret_service_round_trip() {
    let tools = ["dbus-run-session", "gnome-keyring-daemon"];
    if let Some(missing) = tools.iter().find(|t| !on_path(t)) {
        assert!(
            std::env::var("MSAL_REQUIRE_EXTERNAL").as_deref() != Ok("1"),
            "{missing} is not installed (Debian: dbus-daemon, gnome-keyring)"
        );
        eprintln!("skipped: {missing} is not installed (Debian: dbus-daemon, gnome-keyring)");
        return;
    }
    let home = temp_dir("home");
    let runtime = home.join("run");
    std::fs::create_dir_all(&runtime).unwrap();
    let env = [
        ("HOME", home.as_path()),
        ("XDG_DATA_HOME", &home.join("data")),
        ("XDG_RUNTIME_DIR", runtime.as_path()),
    ];
    let env: Vec<(&str, &Path)> = env.iter().map(|(k, v)| (*k, *v)).collect();
    run_child("child_secret_service", true, &env, &[]);
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn child_secret_service() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    // Returns once the daemon is initialised; it serves (also through D-Bus activation) with
    // the login keyring created and unlocked with this password, and exits with the bus.
    let mut daemon = Command::new("gnome-keyring-daemon")
        .args(["--daemonize", "--unlock", "--components=secrets"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    daemon
        .stdin
        .take()
        .unwrap()
        .write_all(b"test-password")
        .unwrap();
    assert!(
        daemon.wait().unwrap().success(),
        "gnome-keyring-daemon failed"
    );
    keyring_round_trip();
}

fn keyring_round_trip() {
    let dir = temp_dir("store");
    let fallback = dir.join("msal.cache");
    let options = || KeyringOptions::new("msal-cache-test", "msal.cache", &fallback);
    let first = KeyringPersistence::new(options());
    // The daemon registers on the bus shortly after it starts.
    let deadline = Instant::now() + Duration::from_secs(10);
    while let Err(e) = first.load() {
        assert!(
            Instant::now() < deadline,
            "the Secret Service did not come up: {e}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(first.is_encrypted(), Some(true));
    let cache = PersistentTokenCache::new(Arc::new(first));
    cache
        .modify_blocking(|c| c.write_response(&event()))
        .unwrap();
    assert!(!fallback.exists(), "nothing is written in plaintext");

    let second = Arc::new(PersistentTokenCache::new(Arc::new(
        KeyringPersistence::new(options()),
    )));
    second.load_blocking().unwrap();
    let scopes = ["api://x/.default"];
    let query = AccessTokenQuery::new(
        Subject::App,
        "login.microsoftonline.com",
        "client",
        "tenant",
        &scopes,
    );
    let token = second
        .cache()
        .find_access_token(&query)
        .expect("found in the keyring");
    assert_eq!(token.secret.expose(), "at-from-the-keyring");

    if on_path("secret-tool") {
        let out = Command::new("secret-tool")
            .args([
                "lookup",
                "service",
                "msal-cache-test",
                "username",
                "msal.cache",
            ])
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&out.stdout).contains("at-from-the-keyring"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn without_a_session_bus_the_fallback_needs_the_opt_in() {
    let home = temp_dir("nobus");
    let env = [("HOME", home.as_path())];
    run_child(
        "child_no_store",
        false,
        &env,
        &[
            ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus"),
            ("DISPLAY", ""),
        ],
    );
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn child_no_store() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let dir = temp_dir("child-nobus");
    let fallback = dir.join("msal.cache");
    let refusing =
        KeyringPersistence::new(KeyringOptions::new("msal-cache-test", "nobus", &fallback));
    let e = refusing.save(b"{}").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cache);
    assert!(e.to_string().contains("no OS secret store"), "{e}");
    assert!(!fallback.exists());

    let allowing = Arc::new(KeyringPersistence::new(
        KeyringOptions::new("msal-cache-test", "nobus", &fallback).allow_unencrypted_storage(true),
    ));
    let cache = PersistentTokenCache::new(allowing.clone());
    cache
        .modify_blocking(|c| c.write_response(&event()))
        .unwrap();
    assert_eq!(allowing.is_encrypted(), Some(false));
    let text = std::fs::read_to_string(&fallback).unwrap();
    assert!(text.contains("at-from-the-keyring"));
    let _ = std::fs::remove_dir_all(&dir);
}

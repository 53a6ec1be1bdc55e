//! Cache interop with MSAL Python 1.39, both directions, against the emulator over HTTPS:
//! a cache file written by this crate is used silently by MSAL Python (`token_source ==
//! "cache"`, no token request), and a cache file written by MSAL Python is used silently here
//! (and its refresh token refreshes from our side). The two libraries must also write the
//! same cache keys for the same sign-in.
//!
//! Needs python3 (>= 3.8), PyPI access for the first run (the virtual environment
//! `<target>/msal-python-venv` with `msal==1.39.0`, shared with the emulator's conformance
//! test and its lock), and permission to bind 127.0.0.1:443 (MSAL Python sends user realm
//! discovery there, port dropped). Without them the test prints why and passes, unless
//! `MSAL_REQUIRE_EXTERNAL=1`, which makes it fail.
#![allow(missing_docs)]

mod common;

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use entra_emulator::{Emulator, StartOptions};
use msal_cache::{FilePersistence, PersistentTokenCache};
use msal_core::Secret;
use msal_flows::{CallOptions, TokenSource};
use serde_json::Value;

const MSAL_VERSION: &str = "1.39.0";
const DRIVER_TIMEOUT: Duration = Duration::from_secs(90);
const ALICE: &str = "alice@managed.test";
const SECTIONS: [&str; 5] = [
    "AccessToken",
    "RefreshToken",
    "IdToken",
    "Account",
    "AppMetadata",
];

fn unavailable(reason: &str) {
    if std::env::var("MSAL_REQUIRE_EXTERNAL").as_deref() == Ok("1") {
        panic!("MSAL_REQUIRE_EXTERNAL=1 but {reason}");
    }
    eprintln!("SKIPPED interop_msal_python: {reason}");
}

fn run_quietly(command: &mut Command) -> Result<String, String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!(
            "{command:?} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

fn find_python() -> Result<PathBuf, String> {
    for candidate in ["python3", "python"] {
        let check = "import sys; print(sys.version_info >= (3, 8))";
        if let Ok(out) = run_quietly(Command::new(candidate).args(["-c", check]))
            && out.trim() == "True"
        {
            return Ok(PathBuf::from(candidate));
        }
    }
    Err("no python3 >= 3.8 on PATH".to_owned())
}

/// `<target>` from `<target>/<profile>/deps/<test binary>`.
fn target_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_path_buf()))
        .or_else(|| std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

fn venv_python(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

/// The shared venv's python (the emulator conformance test's location and lock), created
/// with msal on first use.
fn ensure_venv(python: &Path) -> Result<PathBuf, String> {
    let venv = target_dir().join("msal-python-venv");
    let vpy = venv_python(&venv);
    let has_msal = |vpy: &Path| {
        run_quietly(
            Command::new(vpy).args(["-c", "import msal, requests; print(msal.__version__)"]),
        )
    };
    if has_msal(&vpy).is_ok() {
        return Ok(vpy);
    }
    let _lock = VenvLock::acquire(&venv)?;
    if has_msal(&vpy).is_ok() {
        return Ok(vpy);
    }
    run_quietly(Command::new(python).arg("-m").arg("venv").arg(&venv))?;
    let pip = |spec: &str| {
        run_quietly(Command::new(&vpy).args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--quiet",
            spec,
        ]))
    };
    if pip(&format!("msal=={MSAL_VERSION}")).is_err() {
        pip("msal>=1,<2")?;
    }
    has_msal(&vpy).map(|_| vpy)
}

/// The lock directory `<venv>.lock` (as the conformance test takes it).
struct VenvLock(PathBuf);

impl VenvLock {
    fn acquire(venv: &Path) -> Result<VenvLock, String> {
        let path = venv.with_extension("lock");
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(VenvLock(path)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let abandoned = std::fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age > Duration::from_secs(600));
                    if abandoned {
                        let _ = std::fs::remove_dir(&path);
                    } else if Instant::now() > deadline {
                        return Err(format!("{} is held by another process", path.display()));
                    }
                    std::thread::sleep(Duration::from_millis(500));
                }
                Err(e) => return Err(format!("cannot create {}: {e}", path.display())),
            }
        }
    }
}

impl Drop for VenvLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// Whether 127.0.0.1:443 can be bound; waits up to 60 s while another process holds it.
fn can_bind_443() -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match std::net::TcpListener::bind("127.0.0.1:443") {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(250));
            }
            Err(e) => {
                return Err(format!(
                    "cannot bind 127.0.0.1:443 ({e}); run as root or grant CAP_NET_BIND_SERVICE"
                ));
            }
        }
    }
}

/// Starts the emulator with 443 too, retrying while a concurrent test holds the port.
async fn emulator_with_443() -> Emulator {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let options = StartOptions {
            also_listen_443: true,
            ..StartOptions::default()
        };
        match Emulator::start(options).await {
            Ok(emulator) => return emulator,
            Err(e) if Instant::now() < deadline => {
                eprintln!("emulator with port 443 did not start ({e}); retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => panic!("the emulator did not start with port 443: {e}"),
        }
    }
}

/// Runs `driver.py <mode>` and parses its JSON, killing it after [`DRIVER_TIMEOUT`].
fn run_driver(vpy: &Path, mode: &str, args: &[&Path]) -> Result<Value, String> {
    let driver = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/driver.py");
    let mut child = Command::new(vpy)
        .arg(&driver)
        .arg(mode)
        .args(args)
        .env_remove("REQUESTS_CA_BUNDLE")
        .env_remove("CURL_CA_BUNDLE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", driver.display()))?;
    let mut out_pipe = child.stdout.take().ok_or("no stdout pipe")?;
    let mut err_pipe = child.stderr.take().ok_or("no stderr pipe")?;
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = out_pipe.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = err_pipe.read_to_string(&mut text);
        text
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break Some(status);
        }
        if started.elapsed() > DRIVER_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let (stdout, stderr) = (
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default(),
    );
    match status {
        Some(s) if s.success() => serde_json::from_str(&stdout)
            .map_err(|e| format!("driver.py {mode} printed no JSON ({e}):\n{stdout}\n{stderr}")),
        Some(s) => Err(format!("driver.py {mode} exited with {s}:\n{stderr}")),
        None => Err(format!(
            "driver.py {mode} did not finish in {DRIVER_TIMEOUT:?}:\n{stderr}"
        )),
    }
}

fn sha256_hex(text: &str) -> String {
    openssl::sha::sha256(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn persistent(path: &Path) -> Arc<PersistentTokenCache> {
    Arc::new(PersistentTokenCache::new(Arc::new(FilePersistence::new(
        path, None,
    ))))
}

/// The keys of each section of a cache file.
fn keys(path: &Path) -> Vec<(String, BTreeSet<String>)> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let doc = msal_cache::parse_json_lenient(&bytes).expect("the cache file parses");
    SECTIONS
        .iter()
        .map(|s| {
            let set = doc[*s]
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            ((*s).to_owned(), set)
        })
        .collect()
}

fn token_request_count(emulator: &Emulator) -> usize {
    token_requests(emulator).len()
}

/// Our ROPC and client credentials into `user` and `app`; returns the tokens' SHA-256.
async fn rust_writes(emulator: &Emulator, user: &Path, app: &Path) -> (String, String) {
    let public = public_builder(emulator, PUBLIC_APP)
        .token_cache(persistent(user))
        .build()
        .expect("public app");
    let signed_in = public
        .acquire_token_by_username_password(
            &[USER_READ],
            ALICE,
            Secret::new("alice-password"),
            &CallOptions::new(),
        )
        .await
        .expect("our ROPC against the emulator");
    let daemon = confidential_builder(emulator)
        .client_secret(CLIENT_SECRET)
        .token_cache(persistent(app))
        .build()
        .expect("confidential app");
    let app_token = daemon
        .acquire_token_for_client(&[GRAPH_DEFAULT], &CallOptions::new())
        .await
        .expect("our client credentials against the emulator");
    (
        sha256_hex(signed_in.access_token.expose()),
        sha256_hex(app_token.access_token.expose()),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caches_written_by_either_library_are_used_silently_by_the_other() {
    let python = match find_python() {
        Ok(python) => python,
        Err(reason) => return unavailable(&reason),
    };
    if let Err(reason) = tokio::task::spawn_blocking(can_bind_443)
        .await
        .expect("thread")
    {
        return unavailable(&reason);
    }
    let vpy = match tokio::task::spawn_blocking(move || ensure_venv(&python)).await {
        Ok(Ok(vpy)) => vpy,
        Ok(Err(reason)) => return unavailable(&format!("no MSAL Python environment: {reason}")),
        Err(join) => panic!("venv setup panicked: {join}"),
    };
    let emulator = emulator_with_443().await;
    let work = target_dir().join(format!("msal-flows-interop-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("work directory");
    let (info, ca) = (work.join("info.json"), work.join("ca.pem"));
    emulator.write_ca_pem(&ca).expect("CA PEM");
    std::fs::write(&info, serde_json::to_vec(&emulator.info()).expect("info")).expect("info");

    // (a) Rust writes, MSAL Python reads.
    let (ours_user, ours_app) = (work.join("ours-user.json"), work.join("ours-app.json"));
    let (user_sha, app_sha) = rust_writes(&emulator, &ours_user, &ours_app).await;
    emulator.clear_requests();
    let (vpy2, args) = (
        vpy.clone(),
        [
            info.clone(),
            ca.clone(),
            ours_user.clone(),
            ours_app.clone(),
        ],
    );
    let read = tokio::task::spawn_blocking(move || {
        let refs: Vec<&Path> = args.iter().map(PathBuf::as_path).collect();
        run_driver(&vpy2, "read", &refs)
    })
    .await
    .expect("driver thread")
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        read["user"]["token_source"], "cache",
        "MSAL Python did not take our user token from our cache: {read:#}"
    );
    assert_eq!(
        read["user"]["access_token_sha256"],
        user_sha.as_str(),
        "{read:#}"
    );
    assert_eq!(
        read["app"]["token_source"], "cache",
        "MSAL Python did not take our app token from our cache: {read:#}"
    );
    assert_eq!(
        read["app"]["access_token_sha256"],
        app_sha.as_str(),
        "{read:#}"
    );
    assert_eq!(
        token_request_count(&emulator),
        0,
        "MSAL Python sent token requests while reading our cache"
    );

    // (b) MSAL Python writes, Rust reads.
    let (py_user, py_app) = (work.join("py-user.json"), work.join("py-app.json"));
    let (vpy3, args) = (
        vpy.clone(),
        [info.clone(), ca.clone(), py_user.clone(), py_app.clone()],
    );
    let wrote = tokio::task::spawn_blocking(move || {
        let refs: Vec<&Path> = args.iter().map(PathBuf::as_path).collect();
        run_driver(&vpy3, "write", &refs)
    })
    .await
    .expect("driver thread")
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        wrote["user"]["ok"], true,
        "MSAL Python ROPC failed: {wrote:#}"
    );
    assert_eq!(
        wrote["app"]["ok"], true,
        "MSAL Python client credentials failed: {wrote:#}"
    );
    emulator.clear_requests();

    let public = public_builder(&emulator, PUBLIC_APP)
        .token_cache(persistent(&py_user))
        .build()
        .expect("public app");
    let accounts = public
        .get_accounts()
        .await
        .expect("accounts of the Python cache");
    let alice = accounts
        .iter()
        .find(|a| a.username.as_deref() == Some(ALICE))
        .unwrap_or_else(|| panic!("no {ALICE} in the Python cache: {accounts:?}"))
        .clone();
    let silent = public
        .acquire_token_silent(&[USER_READ], &alice, &CallOptions::new())
        .await
        .expect("silent from the Python cache");
    assert_eq!(silent.token_source, TokenSource::Cache);
    assert_eq!(
        sha256_hex(silent.access_token.expose()),
        wrote["user"]["access_token_sha256"]
            .as_str()
            .unwrap_or_default()
    );
    let daemon = confidential_builder(&emulator)
        .client_secret(CLIENT_SECRET)
        .token_cache(persistent(&py_app))
        .build()
        .expect("confidential app");
    let app_token = daemon
        .acquire_token_for_client(&[GRAPH_DEFAULT], &CallOptions::new())
        .await
        .expect("client token from the Python cache");
    assert_eq!(app_token.token_source, TokenSource::Cache);
    assert_eq!(
        sha256_hex(app_token.access_token.expose()),
        wrote["app"]["access_token_sha256"]
            .as_str()
            .unwrap_or_default()
    );
    assert_eq!(
        token_request_count(&emulator),
        0,
        "we sent token requests while reading MSAL Python's cache"
    );

    // Python's refresh token works from our side.
    let refreshed = public
        .acquire_token_silent(
            &[USER_READ],
            &alice,
            &CallOptions::new().force_refresh(true),
        )
        .await
        .expect("refresh with MSAL Python's refresh token");
    assert_eq!(refreshed.token_source, TokenSource::IdentityProvider);
    let grants: Vec<_> = token_requests(&emulator)
        .into_iter()
        .map(|r| (r.form_field("grant_type").map(str::to_owned), r.status))
        .collect();
    assert_eq!(grants, [(Some("refresh_token".to_owned()), 200)]);

    // Same sign-in, same keys: MSAL Python's files against ours.
    let (ours, theirs) = (keys(&ours_user), keys(&py_user));
    for (section, set) in &ours {
        if section != "AppMetadata" {
            assert_eq!(
                set.len(),
                1,
                "our user cache should hold one {section}: {ours:?}"
            );
        }
    }
    assert_eq!(ours, theirs, "user cache keys differ (ours, MSAL Python's)");
    let (ours, theirs) = (keys(&ours_app), keys(&py_app));
    assert_eq!(ours, theirs, "app cache keys differ (ours, MSAL Python's)");
    let _ = std::fs::remove_dir_all(&work);
}

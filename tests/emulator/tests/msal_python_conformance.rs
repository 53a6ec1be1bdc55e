//! Conformance with the reference client: MSAL Python runs every flow against the emulator
//! over HTTPS and must get an access token and the expected cache entries each time.
//!
//! Needs python3 (>= 3.8), PyPI access for the first run (a virtual environment with
//! `msal==1.39.0` is created once under the target directory and reused), and permission to
//! bind 127.0.0.1:443 (MSAL Python sends user realm discovery there, port dropped). Without
//! them the test prints why and passes, unless `MSAL_REQUIRE_EXTERNAL=1`, which makes it fail.
//! `MSAL_DRIVER_DEBUG=1` turns on MSAL Python's debug log; `MSAL_DRIVER_FLOWS=a,b` runs only
//! those flows (for debugging: the test then reports the others as not run).

use entra_emulator::config::EmulatorConfig;
use entra_emulator::{Emulator, StartOptions};
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The MSAL Python version the reference recordings were made with.
const MSAL_VERSION: &str = "1.39.0";
/// Upper bound for the whole driver run (device code polling included).
const DRIVER_TIMEOUT: Duration = Duration::from_secs(100);
const USER_FLOWS: [&str; 7] = [
    "ropc_managed",
    "ropc_federated",
    "ropc_federated2005",
    "device_code",
    "refresh_silent",
    "on_behalf_of",
    "auth_code_pkce",
];
const APP_FLOWS: [&str; 3] = [
    "client_credentials_secret",
    "client_credentials_cert_thumbprint",
    "client_credentials_cert_sha256",
];
/// Driver checks: a wrong managed password gives AADSTS50126, a wrong federated password
/// the WS-Trust fault ID3242, and the assertion's XML signature verifies with Python's own
/// canonicalizer and RSA (independently of the emulator's code).
const CHECKS: [&str; 3] = [
    "ropc_bad_password_managed",
    "ropc_bad_password_federated",
    "wstrust_assertion_signature",
];

/// Reports a missing prerequisite: prints why (the caller then returns, skipping the test),
/// or fails when `MSAL_REQUIRE_EXTERNAL=1`.
fn unavailable(reason: &str) {
    if std::env::var("MSAL_REQUIRE_EXTERNAL").as_deref() == Ok("1") {
        panic!("MSAL_REQUIRE_EXTERNAL=1 but {reason}");
    }
    eprintln!("SKIPPED msal_python_conformance: {reason}");
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

/// A python3 >= 3.8 on PATH.
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

/// The cargo target directory this test binary was built into
/// (`<target>/<profile>/deps/<test binary>`).
fn target_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_path_buf()))
        .or_else(|| std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

fn venv_python(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

/// The virtual environment's python, creating the venv and installing msal on first use.
fn ensure_venv(python: &Path) -> Result<PathBuf, String> {
    let venv = target_dir().join("msal-python-venv");
    let vpy = venv_python(&venv);
    let has_msal = |vpy: &Path| {
        run_quietly(
            Command::new(vpy).args(["-c", "import msal, requests; print(msal.__version__)"]),
        )
    };
    if let Ok(version) = has_msal(&vpy) {
        eprintln!("reusing {} (msal {})", venv.display(), version.trim());
        return Ok(vpy);
    }
    let _lock = VenvLock::acquire(&venv)?;
    if let Ok(version) = has_msal(&vpy) {
        eprintln!(
            "{} was set up meanwhile (msal {})",
            venv.display(),
            version.trim()
        );
        return Ok(vpy);
    }
    eprintln!(
        "creating {} and installing msal=={MSAL_VERSION}",
        venv.display()
    );
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
    if let Err(pinned) = pip(&format!("msal=={MSAL_VERSION}")) {
        eprintln!("msal=={MSAL_VERSION} unavailable, trying the newest 1.x: {pinned}");
        pip("msal>=1,<2")?;
    }
    has_msal(&vpy).map(|_| vpy)
}

/// Serialises venv creation between concurrent test processes: a lock directory next to the
/// venv, removed on drop; a lock older than 10 minutes is considered abandoned.
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

/// Whether this process may listen on 127.0.0.1:443. Waits up to 30 s while another process
/// (e.g. a concurrent run of this test) holds the port.
fn can_bind_443() -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
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

struct DriverRun {
    stdout: String,
    stderr: String,
}

/// Runs driver.py, killing it after [`DRIVER_TIMEOUT`].
fn run_driver(vpy: &Path, info: &Path, ca: &Path) -> Result<DriverRun, String> {
    let driver = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/driver.py");
    let mut child = Command::new(vpy)
        .arg(&driver)
        .arg(info)
        .arg(ca)
        .env_remove("REQUESTS_CA_BUNDLE")
        .env_remove("CURL_CA_BUNDLE")
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", driver.display()))?;
    let mut out_pipe = child.stdout.take().ok_or("no stdout pipe")?;
    let mut err_pipe = child.stderr.take().ok_or("no stderr pipe")?;
    let out_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = out_pipe.read_to_string(&mut text);
        text
    });
    let err_reader = std::thread::spawn(move || {
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
        std::thread::sleep(Duration::from_millis(100));
    };
    let run = DriverRun {
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
    };
    match status {
        Some(s) if s.success() => Ok(run),
        Some(s) => Err(format!(
            "driver.py exited with {s}\n--- stderr ---\n{}",
            run.stderr
        )),
        None => Err(format!(
            "driver.py did not finish within {DRIVER_TIMEOUT:?}\n--- stderr ---\n{}",
            run.stderr
        )),
    }
}

/// Problems with one flow's report; empty when it is as expected.
fn check_flow(name: &str, report: &Value, user_flow: bool) -> Vec<String> {
    let mut problems = Vec::new();
    if report["ok"] != Value::Bool(true) || report["has_access_token"] != Value::Bool(true) {
        problems.push(format!(
            "{name}: no access token (error {}: {})",
            report["error"], report["error_description"]
        ));
        return problems;
    }
    let count = |section: &str| report["cache_counts"][section].as_u64().unwrap_or(0);
    if user_flow {
        for section in ["AccessToken", "RefreshToken", "IdToken", "Account"] {
            if count(section) < 1 {
                problems.push(format!(
                    "{name}: cache has no {section} ({})",
                    report["cache_counts"]
                ));
            }
        }
    } else if count("AccessToken") != 1
        || count("RefreshToken") != 0
        || count("Account") != 0
        || count("IdToken") != 0
    {
        problems.push(format!(
            "{name}: app-only cache should hold exactly 1 AccessToken and no RT/IdToken/Account, got {}",
            report["cache_counts"]
        ));
    }
    problems
}

/// Successful token requests with this grant type.
fn grant_count(emulator: &Emulator, grant: &str) -> usize {
    emulator
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/oauth2/v2.0/token") && r.status == 200)
        .filter(|r| r.form_field("grant_type") == Some(grant))
        .count()
}

/// Successful requests to a path (prefix).
fn path_count(emulator: &Emulator, method: &str, path: &str) -> usize {
    emulator
        .requests()
        .iter()
        .filter(|r| r.method == method && r.path.starts_with(path) && r.status == 200)
        .count()
}

/// Problems with the grants and federation calls the emulator saw.
fn check_request_log(emulator: &Emulator) -> Vec<String> {
    let expected_grants = [
        ("password", 3), // ropc_managed, refresh_silent and on_behalf_of sign in alice
        ("urn:ietf:params:oauth:grant-type:saml1_1-bearer", 2),
        ("urn:ietf:params:oauth:grant-type:device_code", 1),
        ("client_credentials", 3),
        ("refresh_token", 1),
        ("urn:ietf:params:oauth:grant-type:jwt-bearer", 1),
        ("authorization_code", 1),
    ];
    let mut problems = Vec::new();
    for (grant, at_least) in expected_grants {
        let seen = grant_count(emulator, grant);
        if seen < at_least {
            problems.push(format!(
                "request log: {seen} token requests with grant_type={grant}, expected >= {at_least}"
            ));
        }
    }
    let expected_calls = [
        ("GET", "/common/userrealm/"),
        ("GET", "/adfs/services/trust/mex"),
        ("POST", "/adfs/services/trust/13/usernamemixed"),
        ("POST", "/adfs/services/trust/2005/usernamemixed"),
    ];
    for (method, path) in expected_calls {
        if path_count(emulator, method, path) == 0 {
            problems.push(format!("request log: no {method} {path}"));
        }
    }
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn msal_python_gets_tokens_and_cache_entries_for_every_flow() {
    let python = match find_python() {
        Ok(python) => python,
        Err(reason) => return unavailable(&reason),
    };
    if let Err(reason) = tokio::task::spawn_blocking(can_bind_443)
        .await
        .expect("port check thread")
    {
        return unavailable(&reason);
    }
    let vpy = match tokio::task::spawn_blocking(move || ensure_venv(&python)).await {
        Ok(Ok(vpy)) => vpy,
        Ok(Err(reason)) => return unavailable(&format!("no MSAL Python environment: {reason}")),
        Err(join) => panic!("venv setup panicked: {join}"),
    };

    let options = StartOptions {
        // Poll every second so the device code flow takes one second, not five.
        config: EmulatorConfig {
            device_code_interval_secs: 1,
            ..EmulatorConfig::default()
        },
        https: true,
        also_listen_443: true,
        auto_approve_device_codes: true,
        ..StartOptions::default()
    };
    let emulator = Emulator::start(options)
        .await
        .unwrap_or_else(|e| panic!("the emulator did not start: {e}"));

    let work = target_dir().join(format!("msal-python-conformance-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("create the work directory");
    let info_path = work.join("info.json");
    let ca_path = work.join("ca.pem");
    emulator.write_ca_pem(&ca_path).expect("write the CA PEM");
    let info = serde_json::to_string_pretty(&emulator.info()).expect("serialise the info JSON");
    std::fs::write(&info_path, info).expect("write the info JSON");

    let (info_arg, ca_arg) = (info_path.clone(), ca_path.clone());
    let run = tokio::task::spawn_blocking(move || run_driver(&vpy, &info_arg, &ca_arg))
        .await
        .expect("driver thread")
        .unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_dir_all(&work);

    let result: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "driver.py printed no JSON ({e})\n--- stdout ---\n{}\n--- stderr ---\n{}",
            run.stdout, run.stderr
        )
    });
    let mut problems = Vec::new();
    for (name, user_flow) in USER_FLOWS
        .iter()
        .map(|n| (*n, true))
        .chain(APP_FLOWS.iter().map(|n| (*n, false)))
    {
        match result["flows"].get(name) {
            Some(report) => problems.extend(check_flow(name, report, user_flow)),
            None => problems.push(format!("{name}: the driver did not run it")),
        }
    }
    for name in CHECKS {
        let check = &result["checks"][name];
        if check["ok"] != Value::Bool(true) {
            problems.push(format!("check {name} failed: {}", check["detail"]));
        }
    }
    if result["flows"]["refresh_silent"]["token_source"] != "identity_provider" {
        problems.push(format!(
            "refresh_silent: force_refresh should reach the identity provider, token_source {}",
            result["flows"]["refresh_silent"]["token_source"]
        ));
    }
    problems.extend(check_request_log(&emulator));
    assert!(
        problems.is_empty(),
        "MSAL Python {} against the emulator:\n  {}\n--- driver stdout ---\n{}\n--- driver stderr ---\n{}",
        result["msal_version"],
        problems.join("\n  "),
        run.stdout,
        run.stderr
    );
    eprintln!("MSAL Python {} passed every flow", result["msal_version"]);
    for name in CHECKS {
        eprintln!("  check {name}: {}", result["checks"][name]["detail"]);
    }
}

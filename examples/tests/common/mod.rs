//! Helpers of the examples' integration tests: the built example binaries, a temporary
//! directory, and MSAL Python (the shared venv and driver of msal-flows' interop test).
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use entra_emulator::{Emulator, StartOptions};
use serde_json::Value;

const MSAL_VERSION: &str = "1.39.0";
const DRIVER_TIMEOUT: Duration = Duration::from_secs(90);

/// The example `name`, built now (`cargo build --example NAME`, a no-op when it is up to
/// date): `cargo test --test X` alone does not build the package's examples.
pub fn example_binary(name: &str) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "-p", "msal-examples", "--example", name])
        .env("CARGO_TARGET_DIR", target_dir())
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build --example {name} failed");
    let exe = target_dir().join("debug").join("examples").join(name);
    assert!(exe.exists(), "{} is missing", exe.display());
    exe
}

/// A directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir = std::env::temp_dir().join(format!(
            "msal-examples-{label}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The venv python with msal, or `None` after printing why the MSAL Python part is skipped
/// (a panic with `MSAL_REQUIRE_EXTERNAL=1`). Port 443 is checked too.
pub fn msal_python_or_skip() -> Option<PathBuf> {
    let ready = find_python()
        .and_then(|python| ensure_venv(&python))
        .and_then(|vpy| can_bind_443().map(|()| vpy));
    match ready {
        Ok(vpy) => Some(vpy),
        Err(reason) => {
            unavailable(&reason);
            None
        }
    }
}

pub fn unavailable(reason: &str) {
    if std::env::var("MSAL_REQUIRE_EXTERNAL").as_deref() == Ok("1") {
        panic!("MSAL_REQUIRE_EXTERNAL=1 but {reason}");
    }
    eprintln!("SKIPPED get_token_cli (MSAL Python part): {reason}");
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
pub fn target_dir() -> PathBuf {
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
pub async fn emulator_with_443() -> Emulator {
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
pub fn run_driver(vpy: &Path, mode: &str, args: &[&Path]) -> Result<Value, String> {
    let driver =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../msal-flows/tests/interop/driver.py");
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

//! [`FilePersistence`]: a plaintext cache file compatible with msal-extensions.
//!
//! The file is guarded by `<file>.lockfile` (see [`CrossProcessLock`]); writes go to a
//! temporary file in the same directory, are flushed to disk and renamed over the cache, so a
//! reader never sees half a file from this writer. The file is created with mode 0600 and its
//! directory with 0700 (Unix).

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use msal_core::{Error, ErrorKind, Result};

use crate::lock::{CrossProcessLock, LockOptions};
use crate::persistence::CachePersistence;

/// Options of a [`FilePersistence`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct FilePersistenceOptions {
    /// How the cross-process lock is taken.
    pub lock: LockOptions,
}

/// A cache file shared with MSAL Python (msal-extensions), MSAL .NET, the Azure CLI and
/// azure-identity.
#[derive(Debug, Clone)]
pub struct FilePersistence {
    path: PathBuf,
    lock_path: PathBuf,
    options: FilePersistenceOptions,
}

impl FilePersistence {
    /// The cache file at `path`, locked through `<path>.lockfile`.
    pub fn new(path: impl Into<PathBuf>, options: Option<FilePersistenceOptions>) -> Self {
        let path = path.into();
        let mut lock = OsString::from(path.as_os_str());
        lock.push(".lockfile");
        Self {
            path,
            lock_path: PathBuf::from(lock),
            options: options.unwrap_or_default(),
        }
    }

    /// The Azure CLI's cache: `$AZURE_CONFIG_DIR/msal_token_cache.json`, by default
    /// `~/.azure/msal_token_cache.json` (plaintext on Linux and macOS; on Windows the CLI
    /// encrypts `msal_token_cache.bin` with DPAPI, which this type does not read).
    pub fn azure_cli() -> Result<Self> {
        let dir = match std::env::var_os("AZURE_CONFIG_DIR").filter(|d| !d.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => home()?.join(".azure"),
        };
        Ok(Self::new(dir.join("msal_token_cache.json"), None))
    }

    /// azure-identity's persistent cache `~/.IdentityService/<name>.nocae` (or `.cae` for
    /// tokens with continuous access evaluation); `name` defaults to `msal.cache`. These are
    /// the files azure-identity writes in plaintext when `allow_unencrypted_storage` is set
    /// and no OS secret store is available. Older tools (Azure PowerShell, Visual Studio) use
    /// the unsuffixed `msal.cache`: open it with [`FilePersistence::new`].
    pub fn azure_identity(name: Option<&str>, cae: bool) -> Result<Self> {
        let suffix = if cae { ".cae" } else { ".nocae" };
        let file = format!("{}{suffix}", name.unwrap_or("msal.cache"));
        Ok(Self::new(home()?.join(".IdentityService").join(file), None))
    }

    /// The cache file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The lock file, `<path>.lockfile`.
    pub fn lock_path(&self) -> &Path {
        &self.lock_path
    }

    fn error(&self, what: &str, e: io::Error) -> Error {
        Error::with_source(
            ErrorKind::Cache,
            format!("could not {what} the token cache {}", self.path.display()),
            e,
        )
    }

    fn temp_path(&self) -> PathBuf {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let mut name = OsString::from(self.path.as_os_str());
        name.push(format!(".tmp-{}-{nanos}", std::process::id()));
        PathBuf::from(name)
    }

    fn write_atomically(&self, data: &[u8]) -> io::Result<()> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir)?;
        }
        let temp = self.temp_path();
        let result = (|| {
            let mut file = create_private_file(&temp)?;
            file.write_all(data)?;
            file.sync_all()?;
            fs::rename(&temp, &self.path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&temp);
        }
        result?;
        sync_parent(&self.path);
        Ok(())
    }
}

impl CachePersistence for FilePersistence {
    fn load(&self) -> Result<Option<Vec<u8>>> {
        match fs::read(&self.path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.error("read", e)),
        }
    }

    fn save(&self, data: &[u8]) -> Result<()> {
        self.write_atomically(data)
            .map_err(|e| self.error("write", e))
    }

    fn lock(&self) -> Result<Box<dyn Send>> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir).map_err(|e| self.error("create the directory of", e))?;
        }
        let lock = CrossProcessLock::acquire(&self.lock_path, &self.options.lock)?;
        Ok(Box::new(lock))
    }

    fn last_modified(&self) -> Option<SystemTime> {
        fs::metadata(&self.path).and_then(|m| m.modified()).ok()
    }

    fn quarantine(&self) -> Result<Option<String>> {
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let mut aside = OsString::from(self.path.as_os_str());
        aside.push(format!(".corrupt-{stamp}"));
        let aside = PathBuf::from(aside);
        match fs::rename(&self.path, &aside) {
            Ok(()) => Ok(Some(aside.display().to_string())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.error("move aside", e)),
        }
    }

    fn location(&self) -> String {
        self.path.display().to_string()
    }
}

fn home() -> Result<PathBuf> {
    std::env::home_dir().ok_or_else(|| {
        Error::new(
            ErrorKind::Cache,
            "the home directory is unknown (set HOME), so the default cache location is too",
        )
    })
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

#[cfg(unix)]
fn create_private_file(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private_file(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

/// Flushes the rename to disk (best effort; not every platform can open a directory).
fn sync_parent(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(d) = File::open(dir)
    {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = path;
}

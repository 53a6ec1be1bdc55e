//! The cross-process lock of msal-extensions: an exclusively created `<cache>.lockfile`.
//!
//! MSAL Python's msal-extensions, MSAL .NET's and MSAL Node's extensions all take the lock by
//! creating the lock file exclusively, writing the owner's pid into it, and deleting it on
//! release. This lock does the same, so a Rust process and those tools never write the cache
//! at the same time.
//!
//! Stale locks: a process that crashed while holding the lock leaves the file behind. A lock
//! file older than [`LockOptions::stale_after`] is taken to be stale, removed and the
//! acquisition retried; a cache write holds the lock for milliseconds, so the default
//! (60 s, the time MSAL .NET's extension waits before giving up) does not break a live lock.
//! Otherwise acquisition gives up after [`LockOptions::attempts`] tries, [`LockOptions::delay`]
//! apart, with an error that names the lock file.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use msal_core::{Error, ErrorKind, Result};

/// How a [`CrossProcessLock`] is acquired.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LockOptions {
    /// How many times to try creating the lock file (default 600).
    pub attempts: u32,
    /// The wait between attempts (default 100 ms; 600 × 100 ms is MSAL .NET's 60 s).
    pub delay: Duration,
    /// A lock file older than this is removed as stale (default 60 s).
    pub stale_after: Duration,
}

impl Default for LockOptions {
    fn default() -> Self {
        Self {
            attempts: 600,
            delay: Duration::from_millis(100),
            stale_after: Duration::from_secs(60),
        }
    }
}

/// A held cross-process lock; released (the lock file deleted) when dropped.
#[derive(Debug)]
pub struct CrossProcessLock {
    path: PathBuf,
}

impl CrossProcessLock {
    /// Takes the lock by creating `path` exclusively, waiting and retrying as `options` say.
    pub fn acquire(path: &Path, options: &LockOptions) -> Result<Self> {
        let attempts = options.attempts.max(1);
        for attempt in 0..attempts {
            match OpenOptions::new().write(true).create_new(true).open(path) {
                Ok(mut file) => {
                    let owner = std::env::args().next().unwrap_or_default();
                    // The content is informational (msal-extensions writes "<pid> <argv0>").
                    let _ = write!(file, "{} {}", std::process::id(), owner);
                    return Ok(Self {
                        path: path.to_path_buf(),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    if is_stale(path, options.stale_after) {
                        tracing::warn!(lock = %path.display(), "removing a stale cache lock file");
                        let _ = fs::remove_file(path);
                        continue;
                    }
                    if attempt + 1 < attempts {
                        std::thread::sleep(options.delay);
                    }
                }
                Err(e) => {
                    return Err(Error::with_source(
                        ErrorKind::Cache,
                        format!("could not create the cache lock file {}", path.display()),
                        e,
                    ));
                }
            }
        }
        Err(Error::new(
            ErrorKind::Cache,
            format!(
                "the token cache is locked by another process ({} still exists after {} \
                 attempts); if no other process is using the cache, delete that file",
                path.display(),
                attempts
            ),
        ))
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for CrossProcessLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

fn is_stale(path: &Path, stale_after: Duration) -> bool {
    let Ok(modified) = fs::metadata(path).and_then(|m| m.modified()) else {
        return false;
    };
    SystemTime::now()
        .duration_since(modified)
        .is_ok_and(|age| age > stale_after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("msal-cache-lock-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn second_acquire_times_out_while_held_and_succeeds_after_release() {
        let dir = temp_dir("held");
        let path = dir.join("c.json.lockfile");
        let quick = LockOptions {
            attempts: 3,
            delay: Duration::from_millis(5),
            ..LockOptions::default()
        };
        let held = CrossProcessLock::acquire(&path, &quick).unwrap();
        let content = fs::read_to_string(&path).unwrap();
        assert!(content.starts_with(&std::process::id().to_string()));
        let err = CrossProcessLock::acquire(&path, &quick).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Cache);
        assert!(err.message().contains("c.json.lockfile"));
        drop(held);
        assert!(!path.exists());
        assert!(CrossProcessLock::acquire(&path, &quick).is_ok());
    }

    #[test]
    fn stale_lock_file_is_removed_and_taken() {
        let dir = temp_dir("stale");
        let path = dir.join("c.json.lockfile");
        fs::write(&path, "99999 crashed").unwrap();
        let options = LockOptions {
            attempts: 2,
            delay: Duration::from_millis(5),
            stale_after: Duration::ZERO,
        };
        std::thread::sleep(Duration::from_millis(10));
        let lock = CrossProcessLock::acquire(&path, &options).unwrap();
        assert!(
            fs::read_to_string(lock.path())
                .unwrap()
                .starts_with(&std::process::id().to_string())
        );
    }
}

//! Eight processes add 200 tokens each to one cache file at the same time; none is lost.
//!
//! The test re-executes its own binary: with `MSAL_CACHE_CHILD` set, the `child_writer` test
//! becomes one writer process.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use msal_cache::{
    AccessTokenQuery, FilePersistence, FilePersistenceOptions, LockOptions, PersistentTokenCache,
    Subject, TokenCache, TokenResponseEvent,
};
use msal_core::Secret;

const PROCESSES: usize = 8;
const TOKENS: usize = 200;
const CHILD_ENV: &str = "MSAL_CACHE_CHILD";

fn persistence(path: &Path) -> FilePersistence {
    let mut lock = LockOptions::default();
    lock.attempts = 60_000;
    lock.delay = Duration::from_millis(2);
    let mut options = FilePersistenceOptions::default();
    options.lock = lock;
    FilePersistence::new(path, Some(options))
}

fn event(child: usize, i: usize) -> TokenResponseEvent {
    let mut ev = TokenResponseEvent::new(
        "client",
        "login.microsoftonline.com",
        "tenant",
        1_700_000_000,
    );
    ev.scopes = vec![format!("api://p{child}/t{i}")];
    ev.access_token = Some(Secret::new(format!("at-{child}-{i}")));
    ev.expires_in = Some(3600);
    ev
}

#[test]
fn child_writer() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (child, path) = spec.split_once(':').expect("child:path");
    let child: usize = child.parse().unwrap();
    let cache = PersistentTokenCache::new(Arc::new(persistence(Path::new(path))));
    // Saves in small batches (each a locked read-merge-write of the whole file), so the
    // writers interleave many times without the test taking minutes in a debug build.
    for batch in (0..TOKENS).collect::<Vec<_>>().chunks(5) {
        cache
            .modify_blocking(|c| {
                for &i in batch {
                    c.write_response(&event(child, i));
                }
            })
            .unwrap();
    }
}

#[test]
fn eight_processes_writing_one_file_lose_no_token() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("msal-cache-mp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path: PathBuf = dir.join("msal_token_cache.json");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..PROCESSES)
        .map(|child| {
            Command::new(&exe)
                .args(["--exact", "child_writer", "--test-threads=1"])
                .env(CHILD_ENV, format!("{child}:{}", path.display()))
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let bytes = std::fs::read(&path).unwrap();
    let _: serde_json::Value = serde_json::from_slice(&bytes).expect("the file is strict JSON");
    let cache = TokenCache::from_json(&bytes).unwrap();
    assert_eq!(cache.access_tokens().len(), PROCESSES * TOKENS);
    for child in 0..PROCESSES {
        for i in 0..TOKENS {
            let scope = format!("api://p{child}/t{i}");
            let scopes = [scope.as_str()];
            let q = AccessTokenQuery::new(
                Subject::App,
                "login.windows.net",
                "client",
                "tenant",
                &scopes,
            );
            let at = cache.find_access_token(&q).expect("token present");
            assert_eq!(at.secret.expose(), format!("at-{child}-{i}"));
        }
    }
    assert!(!persistence(&path).lock_path().exists());
    let _ = std::fs::remove_dir_all(&dir);
}

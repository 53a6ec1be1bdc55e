//! File persistence: read-merge-write, permissions, corrupt files, change counting, hooks.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use msal_cache::{
    CacheAccess, CacheAccessHook, CachePersistence, FilePersistence, PersistentTokenCache,
    TokenCache, TokenResponseEvent,
};
use msal_core::{ErrorKind, Secret};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("msal-cache-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn app_token(scope: &str) -> TokenResponseEvent {
    let mut ev = TokenResponseEvent::new(
        "client",
        "login.microsoftonline.com",
        "tenant",
        1_700_000_000,
    );
    ev.scopes = vec![scope.to_owned()];
    ev.access_token = Some(Secret::new(format!("token-for-{scope}")));
    ev.expires_in = Some(3600);
    ev
}

fn scopes_in(cache: &TokenCache) -> Vec<String> {
    let mut s: Vec<String> = cache
        .access_tokens()
        .iter()
        .map(|a| a.target.or_empty().to_owned())
        .collect();
    s.sort();
    s
}

#[tokio::test]
async fn two_caches_on_one_file_keep_each_others_tokens_and_removals() {
    let dir = temp_dir("merge");
    let path = dir.join("nested").join("cache.json");
    let a = Arc::new(PersistentTokenCache::new(Arc::new(FilePersistence::new(
        &path, None,
    ))));
    let b = Arc::new(PersistentTokenCache::new(Arc::new(FilePersistence::new(
        &path, None,
    ))));
    a.write_response(app_token("a1")).await.unwrap();
    b.write_response(app_token("b1")).await.unwrap();
    a.write_response(app_token("a2")).await.unwrap();
    assert_eq!(scopes_in(a.cache()), ["a1", "a2", "b1"]);
    b.load().await.unwrap();
    assert_eq!(scopes_in(b.cache()), ["a1", "a2", "b1"]);

    // A removal in one process is not undone by the other's next save.
    let b2 = b.clone();
    tokio::task::spawn_blocking(move || {
        b2.modify_blocking(|c| c.remove_app_tokens("login.microsoftonline.com", "client"))
    })
    .await
    .unwrap()
    .unwrap();
    a.write_response(app_token("a3")).await.unwrap();
    assert_eq!(scopes_in(a.cache()), ["a3"]);
    let on_disk = TokenCache::from_json(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(scopes_in(&on_disk), ["a3"]);
    assert!(!dir.join("nested").join("cache.json.lockfile").exists());

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.join("nested")), 0o700);
    }
}

#[derive(Debug, Default)]
struct CountingStore {
    data: Mutex<Option<Vec<u8>>>,
    saves: AtomicUsize,
}

impl CachePersistence for CountingStore {
    fn load(&self) -> msal_core::Result<Option<Vec<u8>>> {
        Ok(self.data.lock().unwrap().clone())
    }
    fn save(&self, data: &[u8]) -> msal_core::Result<()> {
        self.saves.fetch_add(1, Ordering::SeqCst);
        *self.data.lock().unwrap() = Some(data.to_vec());
        Ok(())
    }
    fn location(&self) -> String {
        "memory".into()
    }
}

#[derive(Debug, Default)]
struct RecordingHook(Mutex<Vec<String>>);

impl CacheAccessHook for RecordingHook {
    fn before_access(&self, _cache: &TokenCache, access: CacheAccess) {
        self.0.lock().unwrap().push(format!("before {access:?}"));
    }
    fn after_access(&self, _cache: &TokenCache, access: CacheAccess, changed: bool) {
        self.0
            .lock()
            .unwrap()
            .push(format!("after {access:?} {changed}"));
    }
}

#[tokio::test]
async fn unchanged_cache_is_not_saved_again_and_hooks_see_each_write() {
    let store = Arc::new(CountingStore::default());
    let hook = Arc::new(RecordingHook::default());
    let cache = Arc::new(PersistentTokenCache::new(store.clone()).hook(hook.clone()));
    cache.write_response(app_token("s")).await.unwrap();
    assert_eq!(store.saves.load(Ordering::SeqCst), 1);
    cache.save().await.unwrap();
    cache.save().await.unwrap();
    assert_eq!(
        store.saves.load(Ordering::SeqCst),
        1,
        "nothing changed, nothing written"
    );
    cache.write_response(app_token("t")).await.unwrap();
    assert_eq!(store.saves.load(Ordering::SeqCst), 2);
    assert_eq!(
        *hook.0.lock().unwrap(),
        [
            "before Write",
            "after Write true",
            "before Write",
            "after Write true"
        ]
    );
}

#[tokio::test]
async fn corrupt_file_is_moved_aside_and_reported_with_its_path() {
    let dir = temp_dir("corrupt");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cache.json");
    let truncated = br#"{"AccessToken": {"k": {"secret": "#;
    std::fs::write(&path, truncated).unwrap();
    let cache = Arc::new(PersistentTokenCache::new(Arc::new(FilePersistence::new(
        &path, None,
    ))));
    let err = cache.load().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cache);
    assert!(
        err.message().contains(&path.display().to_string()),
        "{}",
        err.message()
    );
    assert!(err.message().contains(".corrupt-"), "{}", err.message());
    assert!(!path.exists());
    let aside: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("cache.json.corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1);
    assert_eq!(
        std::fs::read(&aside[0]).unwrap(),
        truncated,
        "the data is kept, not deleted"
    );
}

#[tokio::test]
async fn corrupt_file_gives_an_empty_cache_when_the_caller_chooses() {
    let dir = temp_dir("corrupt-continue");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cache.json");
    std::fs::write(&path, b"not json at all").unwrap();
    let cache = Arc::new(
        PersistentTokenCache::new(Arc::new(FilePersistence::new(&path, None)))
            .continue_on_corrupt(true),
    );
    cache.load().await.unwrap();
    assert!(cache.cache().access_tokens().is_empty());
    cache.write_response(app_token("fresh")).await.unwrap();
    let on_disk = TokenCache::from_json(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(scopes_in(&on_disk), ["fresh"]);
}

#[tokio::test]
async fn loading_keeps_unsaved_local_changes_and_unknown_content() {
    let dir = temp_dir("load");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cache.json");
    std::fs::write(&path, br#"{"Future": {"x": 1}, "AccessToken": {}}"#).unwrap();
    let cache = Arc::new(PersistentTokenCache::new(Arc::new(FilePersistence::new(
        &path, None,
    ))));
    cache.cache().write_response(&app_token("local"));
    cache.load().await.unwrap();
    assert_eq!(scopes_in(cache.cache()), ["local"]);
    cache.save().await.unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(doc["Future"]["x"], 1);
}

#[test]
fn named_locations_follow_the_azure_tools() {
    let id = FilePersistence::azure_identity(None, false).unwrap();
    assert!(id.path().ends_with(".IdentityService/msal.cache.nocae"));
    let cae = FilePersistence::azure_identity(Some("myapp"), true).unwrap();
    assert!(cae.path().ends_with(".IdentityService/myapp.cae"));
    assert!(
        cae.lock_path()
            .ends_with(".IdentityService/myapp.cae.lockfile")
    );
    let cli = FilePersistence::azure_cli().unwrap();
    assert!(cli.path().ends_with("msal_token_cache.json"));
}

#[tokio::test]
async fn newer_persisted_token_wins_over_an_older_local_write_of_the_same_key() {
    let dir = temp_dir("newest");
    let path = dir.join("cache.json");
    let a = Arc::new(PersistentTokenCache::new(Arc::new(FilePersistence::new(
        &path, None,
    ))));
    let b = Arc::new(PersistentTokenCache::new(Arc::new(FilePersistence::new(
        &path, None,
    ))));
    let mut newer = app_token("s");
    newer.now += 100;
    newer.access_token = Some(Secret::new("newer"));
    a.write_response(newer).await.unwrap();
    let mut older = app_token("s");
    older.access_token = Some(Secret::new("older"));
    b.write_response(older).await.unwrap();
    for cache in [&a, &b] {
        cache.load().await.unwrap();
        let ats = cache.cache().access_tokens();
        assert_eq!(ats.len(), 1);
        assert_eq!(ats[0].secret.expose(), "newer");
    }
}

//! Test support shared by the unit tests of every module.

use std::future::Future;
use std::path::PathBuf;

/// The folder of the reference recordings: `$MSAL_WIRE_DIR`, else the first
/// `shared/reference/wire` above the crate (a checkout has `shared/` beside it).
pub(crate) fn wire_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MSAL_WIRE_DIR") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("shared/reference/wire"))
        .find(|dir| dir.is_dir())
        .expect("shared/reference/wire above the crate (or set MSAL_WIRE_DIR)")
}

/// Runs a future to completion on a fresh single-threaded runtime with timers.
pub(crate) fn block_on<T>(future: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("test runtime")
        .block_on(future)
}

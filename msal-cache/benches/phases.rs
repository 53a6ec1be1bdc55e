//! Plain timing of load, save and load + save of a 100,000-token file (minimum of several
//! runs), for profiling and for the README's comparison with MSAL Python; dropping the
//! results is not timed. `MSAL_CACHE_BENCH_FILE=path` reads that file instead of generating
//! one (so MSAL Python and this crate time the very same bytes).

use std::time::{Duration, Instant};

use msal_cache::TokenCache;

mod common;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let bytes = match std::env::var("MSAL_CACHE_BENCH_FILE") {
        Ok(path) if std::path::Path::new(&path).exists() => std::fs::read(path).expect("readable"),
        _ => common::cache(100_000, 1_500).to_json().expect("serializes"),
    };
    let runs = 7;
    let (mut load, mut save, mut both) = (Duration::MAX, Duration::MAX, Duration::MAX);
    let mut copy = Duration::MAX;
    for _ in 0..runs {
        // The floor: one copy of the file into fresh memory.
        let start = Instant::now();
        let input = bytes.clone();
        copy = copy.min(start.elapsed());
        drop(input);
        let input = bytes.clone();
        let start = Instant::now();
        let cache = TokenCache::from_json_vec(input).expect("loads");
        let loaded = start.elapsed();
        if std::env::var_os("MSAL_CACHE_LOAD_ONLY").is_some() {
            load = load.min(loaded);
            continue;
        }
        let out = cache.to_json().expect("saves");
        let total = start.elapsed();
        load = load.min(loaded);
        save = save.min(total - loaded);
        both = both.min(total);
        assert!(out.len() >= bytes.len() / 2);
        drop((cache, out));
    }
    println!(
        "{} bytes: load {load:?}, save {save:?}, load + save {both:?}; one copy {copy:?} \
         (min of {runs})",
        bytes.len()
    );
}

//! Load (parse and index) and save (serialize) of a 100,000-token cache file.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion};
use msal_cache::TokenCache;

mod common;

/// Tokens in the file.
const TOKENS: usize = 100_000;
/// Characters per access token secret (a typical Entra access token JWT is 1.2-2.5 KB).
const SECRET_LEN: usize = 1_500;

fn load_save(c: &mut Criterion) {
    let bytes = common::cache(TOKENS, SECRET_LEN)
        .to_json()
        .expect("serializes");
    if let Ok(path) = std::env::var("MSAL_CACHE_BENCH_FILE") {
        // Lets the same file be fed to MSAL Python for comparison.
        std::fs::write(path, &bytes).expect("writable");
    }
    let mut group = c.benchmark_group("file_100k_tokens");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    // The bytes are handed over as a persistence's `load` hands them (the copy is not timed).
    group.bench_function("load", |b| {
        b.iter_batched(
            || bytes.clone(),
            |bytes| TokenCache::from_json_vec(black_box(bytes)).expect("loads"),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("load_save", |b| {
        b.iter_batched(
            || bytes.clone(),
            |bytes| {
                let cache = TokenCache::from_json_vec(black_box(bytes)).expect("loads");
                let saved = cache.to_json().expect("saves");
                (cache, saved)
            },
            BatchSize::PerIteration,
        )
    });
    let cache = TokenCache::from_json_vec(bytes.clone()).expect("loads");
    group.bench_function("save", |b| {
        b.iter_with_large_drop(|| cache.to_json().expect("saves"))
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    load_save(&mut c);
    c.final_summary();
}

//! Memory per cached access token: resident memory growth while 1,000,000 tokens are added,
//! divided by the count (Linux `/proc/self/statm`), plus the inline struct sizes.

use std::time::Instant;

mod common;

fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument selects nothing here.
    const N: usize = 1_000_000;
    // One run per process: freed memory is not returned to the OS, so a second run would
    // reuse it and under-count. Secrets are 64 characters; add the real secret length.
    {
        let secret_len = 64usize;
        let before = resident_bytes();
        let start = Instant::now();
        let cache = common::cache(N, secret_len);
        let built = start.elapsed();
        let after = resident_bytes();
        match (before, after) {
            (Some(b), Some(a)) => println!(
                "memory/{N} tokens, {secret_len}-char secrets: {} bytes per token \
                 (resident growth {} MiB; built in {built:.2?})",
                a.saturating_sub(b) / N as u64,
                a.saturating_sub(b) >> 20
            ),
            _ => println!("memory: /proc/self/statm unavailable on this platform"),
        }
        drop(cache);
    }
    println!(
        "inline sizes: AccessToken {} bytes, Arc<str> key {} bytes",
        std::mem::size_of::<msal_cache::AccessToken>(),
        std::mem::size_of::<std::sync::Arc<str>>()
    );
}

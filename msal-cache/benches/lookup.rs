//! Access token lookup at 1, 10,000 and 1,000,000 cached tokens.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use msal_cache::{AccessTokenQuery, Subject};

mod common;

fn lookup(c: &mut Criterion) {
    let mut group = c.benchmark_group("access_token_lookup");
    group
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for n in [1usize, 10_000, 1_000_000] {
        let cache = common::cache(n, 64);
        // Query users spread over the whole cache, through an alias and in other case.
        let homes: Vec<String> = (0..1024).map(|k| common::home(k * 7919 % n)).collect();
        let scopes = ["https://graph.microsoft.com/user.read"];
        let mut k = 0usize;
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| {
                k = (k + 1) & 1023;
                let home = homes.get(k).map_or("", String::as_str);
                let q = AccessTokenQuery::new(
                    Subject::Account(home),
                    "login.windows.net",
                    common::CLIENT,
                    common::REALM,
                    &scopes,
                )
                .valid_at(1_700_000_300);
                let hit = cache.find_access_token(black_box(&q));
                assert!(hit.is_some());
                hit
            })
        });
    }
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    lookup(&mut c);
    c.final_summary();
}

//! Access token lookup at 1, 10,000 and 1,000,000 cached tokens (one per user), and
//! 100,000 app tokens of one client in one tenant (one per resource): fill and lookup.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use msal_cache::{AccessTokenQuery, Subject, TokenCache, TokenResponseEvent};
use msal_core::Secret;

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

/// The `.default` scope of resource `i`.
fn resource(i: usize) -> String {
    format!("api://{i:08x}-0000-4000-8000-000000000000/.default")
}

/// `n` app tokens of one client in one tenant, one per resource, written as token responses
/// (so each write runs the duplicate-scope cleanup).
fn app_cache(n: usize) -> TokenCache {
    let cache = TokenCache::new();
    for i in 0..n {
        let mut e =
            TokenResponseEvent::new(common::CLIENT, common::ENV, common::REALM, 1_700_000_000);
        e.scopes = vec![resource(i)];
        e.access_token = Some(Secret::new("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.e30.c2ln"));
        e.expires_in = Some(3600);
        cache.write_response(&e);
    }
    cache
}

fn app_tokens_one_tenant(c: &mut Criterion) {
    const N: usize = 100_000;
    let mut group = c.benchmark_group("app_tokens_one_tenant_100k");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    group.bench_function("fill", |b| b.iter(|| app_cache(black_box(N))));
    let cache = app_cache(N);
    assert_eq!(cache.access_tokens().len(), N);
    // Resources spread over the whole tenant, asked in another case.
    let scopes: Vec<String> = (0..1024)
        .map(|k| resource(k * 7919 % N).to_ascii_uppercase())
        .collect();
    let mut k = 0usize;
    group
        .sample_size(50)
        .measurement_time(Duration::from_secs(3));
    group.bench_function("lookup", |b| {
        b.iter(|| {
            k = (k + 1) & 1023;
            let scope = [scopes.get(k).map_or("", String::as_str)];
            let q = AccessTokenQuery::new(
                Subject::App,
                "login.windows.net",
                common::CLIENT,
                common::REALM,
                &scope,
            )
            .valid_at(1_700_000_300);
            let hit = cache.find_access_token(black_box(&q));
            assert!(hit.is_some());
            hit
        })
    });
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    lookup(&mut c);
    app_tokens_one_tenant(&mut c);
    c.final_summary();
}

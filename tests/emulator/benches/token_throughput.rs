//! Client-credentials token requests per second against an in-process emulator, client
//! and server on ONE current-thread tokio runtime (one core), plain HTTP over loopback.
//!
//! `cargo bench -p entra-emulator --bench token_throughput`

#![allow(missing_docs)] // criterion_group! generates undocumented functions

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use entra_emulator::{Emulator, EmulatorConfig, StartOptions};
use std::time::Duration;

const BODY: &str = "grant_type=client_credentials&client_id=22222222-2222-2222-2222-222222222222\
&client_secret=fake-client-secret~with.special_chars%2B%2F%3D&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&client_info=1";

fn bench_case(c: &mut Criterion, name: &str, reuse_secs: u64) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let config = EmulatorConfig {
        app_token_reuse_secs: reuse_secs,
        ..Default::default()
    };
    let options = StartOptions {
        config,
        https: false,
        ..Default::default()
    };
    let emulator = rt.block_on(Emulator::start(options)).expect("emulator");
    let url = format!(
        "{}/{}/oauth2/v2.0/token",
        emulator.authority_host(),
        emulator.tenant_id()
    );
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let one = || async {
        let r = client
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(BODY)
            .send()
            .await
            .expect("send");
        assert_eq!(r.status().as_u16(), 200);
        r.bytes().await.expect("body")
    };
    let mut group = c.benchmark_group("client_credentials");
    group.throughput(Throughput::Elements(1));
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    group.bench_function(name, |b| b.iter(|| rt.block_on(one())));
    group.finish();
    emulator.stop();
}

fn token_requests(c: &mut Criterion) {
    bench_case(c, "default (same-second app token reuse)", 1);
    bench_case(c, "fresh RS256 signature per request", 0);
}

criterion_group!(benches, token_requests);
criterion_main!(benches);

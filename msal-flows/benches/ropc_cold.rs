//! A cold username/password (ROPC) acquisition against the in-process emulator over HTTPS on
//! loopback: user realm discovery, then the password grant, the id token decoded and the
//! cache written. The authority's metadata is resolved once per process (as in an app), so a
//! "cold" call here is an application with an empty cache.
//!
//! Client and emulator share one current-thread tokio runtime (one core). Most of the time is
//! the emulator's: it signs an access token and an id token (RS256) per grant.

use std::time::Duration;

use criterion::Criterion;
use entra_emulator::{Emulator, StartOptions};
use msal_core::Secret;
use msal_flows::{CallOptions, PublicClientApplication, TokenSource};

const PUBLIC_APP: &str = "11111111-1111-1111-1111-111111111111";
const USER_READ: &str = "https://graph.microsoft.com/User.Read";

fn ropc(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let emulator = rt
        .block_on(Emulator::start(StartOptions::default()))
        .expect("the emulator starts");
    let authority = emulator.authority(&emulator.tenant_id());
    let ca = emulator.ca_pem().unwrap_or_default().as_bytes().to_vec();
    let new_app = || {
        PublicClientApplication::builder(PUBLIC_APP)
            .authority(authority.clone())
            .instance_discovery(false)
            .extra_ca_pem(ca.clone())
            .build()
            .expect("public app")
    };
    let options = CallOptions::new();
    let sign_in = |app: &PublicClientApplication| {
        let result = rt
            .block_on(app.acquire_token_by_username_password(
                &[USER_READ],
                "alice@managed.test",
                Secret::new("alice-password"),
                &options,
            ))
            .expect("ROPC against the emulator");
        assert_eq!(result.token_source, TokenSource::IdentityProvider);
        result
    };
    // Resolve the authority once for the process, as a long-running app would have.
    sign_in(&new_app());

    let mut group = c.benchmark_group("ropc_https_loopback");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    group.bench_function("new_app_new_connection", |b| b.iter(|| sign_in(&new_app())));
    let app = new_app();
    group.bench_function("same_app_kept_connection", |b| b.iter(|| sign_in(&app)));
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    ropc(&mut c);
    c.final_summary();
}

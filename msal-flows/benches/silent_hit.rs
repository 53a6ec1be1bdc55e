//! Silent cache hits with 100,000 access tokens in the application's cache:
//! `acquire_token_silent` (user tokens, one per user) and `acquire_token_for_client` (app
//! tokens, one per resource), each on a current-thread tokio runtime.
//!
//! The authority is the in-process emulator, resolved once before timing; every timed call is
//! a cache hit (asserted), so no request is sent while measuring.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::Criterion;
use entra_emulator::{Emulator, StartOptions};
use msal_cache::{TokenCache, TokenResponseEvent};
use msal_core::Secret;
use msal_flows::{
    Account, CallOptions, ConfidentialClientApplication, PublicClientApplication, TokenSource,
};

const TOKENS: usize = 100_000;
const PUBLIC_APP: &str = "11111111-1111-1111-1111-111111111111";
const CONFIDENTIAL_APP: &str = "22222222-2222-2222-2222-222222222222";
const SECRET: &str = "fake-client-secret~with.special_chars+/=";
const USER_READ: &str = "https://graph.microsoft.com/User.Read";
/// Callers spread over this many different users / resources.
const SPREAD: usize = 1024;

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn event(client_id: &str, environment: &str, tenant: &str) -> TokenResponseEvent {
    let mut event = TokenResponseEvent::new(client_id, environment, tenant, now());
    event.access_token = Some(Secret::new(
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoIn0.c2ln",
    ));
    event.token_type = Some("Bearer".to_owned());
    event.expires_in = Some(3600);
    event.ext_expires_in = Some(3600);
    event.skip_account_creation = true;
    event
}

fn uid(i: usize) -> String {
    format!("{i:08x}-0000-4000-8000-000000000000")
}

/// 100,000 user tokens for the public app, one per user.
fn user_cache(environment: &str, tenant: &str) -> Arc<TokenCache> {
    let cache = Arc::new(TokenCache::new());
    for i in 0..TOKENS {
        let mut e = event(PUBLIC_APP, environment, tenant);
        e.scopes = vec![USER_READ.to_owned(), "openid".into(), "profile".into()];
        e.client_info_uid = Some(uid(i));
        e.client_info_utid = Some(tenant.to_owned());
        cache.write_response(&e);
    }
    cache
}

fn resource(i: usize) -> String {
    format!("api://{}/.default", uid(i))
}

/// Resources the daemon asks for in its own tenant.
const APP_RESOURCES: usize = 16;

/// 100,000 app tokens for the confidential app: [`APP_RESOURCES`] resources in its own
/// tenant, and one token in each of 99,984 other tenants (a multi-tenant daemon sharing its
/// cache across per-tenant application objects).
///
/// (100,000 resources in one tenant is measured in msal-cache's `lookup` bench.)
fn app_cache(environment: &str, tenant: &str) -> Arc<TokenCache> {
    let cache = Arc::new(TokenCache::new());
    for i in 0..TOKENS {
        let other = uid(i);
        let (realm, scope) = if i < APP_RESOURCES {
            (tenant, resource(i))
        } else {
            (other.as_str(), resource(0))
        };
        let mut e = event(CONFIDENTIAL_APP, environment, realm);
        e.scopes = vec![scope];
        cache.write_response(&e);
    }
    cache
}

fn silent_hits(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let emulator = rt
        .block_on(Emulator::start(StartOptions::default()))
        .expect("the emulator starts");
    let tenant = emulator.tenant_id();
    let authority = emulator.authority(&tenant);
    let ca = emulator.ca_pem().unwrap_or_default().as_bytes().to_vec();
    let environment = "127.0.0.1";

    let started = std::time::Instant::now();
    let users = user_cache(environment, &tenant);
    eprintln!("user cache filled in {:?}", started.elapsed());
    let started = std::time::Instant::now();
    let apps = app_cache(environment, &tenant);
    eprintln!("app cache filled in {:?}", started.elapsed());
    let public = PublicClientApplication::builder(PUBLIC_APP)
        .authority(authority.clone())
        .instance_discovery(false)
        .extra_ca_pem(ca.clone())
        .token_cache(users)
        .build()
        .expect("public app");
    let daemon = ConfidentialClientApplication::builder(CONFIDENTIAL_APP)
        .authority(authority)
        .instance_discovery(false)
        .extra_ca_pem(ca)
        .client_secret(SECRET)
        .token_cache(apps)
        .build()
        .expect("confidential app");
    assert_eq!(public.token_cache().cache().access_tokens().len(), TOKENS);
    assert_eq!(daemon.token_cache().cache().access_tokens().len(), TOKENS);

    let accounts: Vec<Account> = (0..SPREAD)
        .map(|k| {
            let i = k * 7919 % TOKENS;
            Account::new(format!("{}.{tenant}", uid(i)), environment)
        })
        .collect();
    let resources: Vec<String> = (0..SPREAD).map(|k| resource(k % APP_RESOURCES)).collect();
    let options = CallOptions::new();

    let mut group = c.benchmark_group("silent_hit_100k");
    group
        .sample_size(100)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let mut k = 0usize;
    group.bench_function("acquire_token_silent", |b| {
        b.iter(|| {
            k = (k + 1) % SPREAD;
            let account = &accounts[k];
            let hit = rt
                .block_on(public.acquire_token_silent(&[USER_READ], black_box(account), &options))
                .expect("a cache hit");
            assert_eq!(hit.token_source, TokenSource::Cache);
            hit
        })
    });
    group.bench_function("acquire_token_for_client", |b| {
        b.iter(|| {
            k = (k + 1) % SPREAD;
            let scope = resources[k].as_str();
            let hit = rt
                .block_on(daemon.acquire_token_for_client(&[black_box(scope)], &options))
                .expect("a cache hit");
            assert_eq!(hit.token_source, TokenSource::Cache);
            hit
        })
    });
    // What the runtime alone costs per call, to read the numbers above against.
    group.bench_function("block_on_baseline", |b| {
        b.iter(|| rt.block_on(async { black_box(1) }))
    });
    group.finish();
    let sent = emulator
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/token"))
        .count();
    assert_eq!(sent, 0, "a timed call went to the network");
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    silent_hits(&mut c);
    c.final_summary();
}

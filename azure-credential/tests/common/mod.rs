//! Helpers of the end-to-end tests: an emulator, credential options pointed at it, a manual
//! clock and a capturing tracing subscriber.
#![allow(dead_code, missing_docs)]

use std::fmt::{Debug, Write as _};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use azure_credential::{AuthorityHost, Clock, CredentialOptions, Env, HttpSettings};
use entra_emulator::{Emulator, LoggedRequest, StartOptions};
use msal_core::http::PipelineOptions;
use time::OffsetDateTime;
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};

pub const PUBLIC_APP: &str = "11111111-1111-1111-1111-111111111111";
pub const CONFIDENTIAL_APP: &str = "22222222-2222-2222-2222-222222222222";
pub const CLIENT_SECRET: &str = "fake-client-secret~with.special_chars+/=";
pub const GRAPH_DEFAULT: &str = "https://graph.microsoft.com/.default";
pub const USERNAME: &str = "alice@managed.test";
pub const PASSWORD: &str = "alice-password";

pub async fn emulator() -> Emulator {
    Emulator::start(StartOptions::default())
        .await
        .expect("the emulator starts")
}

/// A clock that starts at the real time and moves only when told.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new() -> Arc<Self> {
        Arc::new(Self(AtomicI64::new(
            OffsetDateTime::now_utc().unix_timestamp(),
        )))
    }
    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
    pub fn set(&self, at: OffsetDateTime) {
        self.0.store(at.unix_timestamp(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(self.0.load(Ordering::SeqCst)).unwrap()
    }
}

/// Options pointing at the emulator: its CA trusted, no instance discovery, no retry delay,
/// an empty environment.
pub fn options(emulator: &Emulator) -> CredentialOptions {
    let mut http = HttpSettings::default();
    http.extra_ca_pem = emulator.ca_pem().map(|pem| pem.as_bytes().to_vec());
    http.pipeline = Some(PipelineOptions::default().retry_delay(std::time::Duration::ZERO));
    let mut options = CredentialOptions::default();
    options.authority_host = Some(AuthorityHost::Custom(emulator.authority_host()));
    options.disable_instance_discovery = true;
    options.http = http;
    options.env = Env::from_pairs::<[(&str, &str); 0], &str, &str>([]);
    options
}

pub fn token_requests(emulator: &Emulator) -> Vec<LoggedRequest> {
    emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/oauth2/v2.0/token"))
        .collect()
}

/// A subscriber that writes every span and event, with all fields, to a string.
#[derive(Clone, Default)]
pub struct Capture {
    pub text: Arc<Mutex<String>>,
    next: Arc<AtomicU64>,
}

struct Writer<'a>(&'a mut String);

impl Visit for Writer<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl Subscriber for Capture {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::always()
    }
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::TRACE)
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut text = self.text.lock().unwrap();
        let _ = write!(text, "\nspan {}", span.metadata().name());
        span.record(&mut Writer(&mut text));
        Id::from_u64(self.next.fetch_add(1, Ordering::SeqCst) + 1)
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut text = self.text.lock().unwrap();
        text.push_str("\nrecord");
        values.record(&mut Writer(&mut text));
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut text = self.text.lock().unwrap();
        let _ = write!(text, "\nevent {}", event.metadata().target());
        event.record(&mut Writer(&mut text));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// A fresh temporary directory.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "azure-credential-{name}-{}-{}",
        std::process::id(),
        OffsetDateTime::now_utc().unix_timestamp_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

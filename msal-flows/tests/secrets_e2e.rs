//! The password never reaches the cache file, an error or the tracing output (at TRACE), and
//! the username appears in tracing only with PII logging on.
#![allow(missing_docs)]

mod common;

use std::fmt::{Debug, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use common::*;
use msal_cache::{FilePersistence, PersistentTokenCache};
use msal_core::Secret;
use msal_flows::{CallOptions, PublicClientApplication};
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};

/// A subscriber that writes every span and event, with all fields, to a string.
#[derive(Clone, Default)]
struct Capture {
    text: Arc<Mutex<String>>,
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

const PASSWORD: &str = "alice-password";
const WRONG: &str = "wrong-Pa55word-9f3c";

/// Runs ROPC (right and wrong password) and a forced silent refresh under a capturing
/// subscriber; returns the captured text and the error texts.
fn run_captured(app: PublicClientApplication) -> (String, String) {
    let capture = Capture::default();
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let errors = tracing::subscriber::with_default(capture.clone(), || {
        client.block_on(async {
            let ok = app
                .acquire_token_by_username_password(
                    &[USER_READ],
                    "alice@managed.test",
                    Secret::new(PASSWORD),
                    &CallOptions::new(),
                )
                .await
                .unwrap();
            let account = ok.account.unwrap();
            app.acquire_token_silent(
                &[USER_READ],
                &account,
                &CallOptions::new().force_refresh(true),
            )
            .await
            .unwrap();
            let err = app
                .acquire_token_by_username_password(
                    &[USER_READ],
                    "alice@managed.test",
                    Secret::new(WRONG),
                    &CallOptions::new(),
                )
                .await
                .unwrap_err();
            format!("{err} {err:?}")
        })
    });
    let text = capture.text.lock().unwrap().clone();
    (text, errors)
}

fn server() -> (tokio::runtime::Runtime, entra_emulator::Emulator) {
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let emulator = server.block_on(emulator());
    (server, emulator)
}

#[test]
fn password_is_never_in_the_cache_file_an_error_or_trace_output() {
    let (_server, emulator) = server();
    let path =
        std::env::temp_dir().join(format!("msal-flows-secrets-{}.json", uuid::Uuid::new_v4()));
    let cache = Arc::new(PersistentTokenCache::new(Arc::new(FilePersistence::new(
        path.clone(),
        None,
    ))));
    let app = public_builder(&emulator, PUBLIC_APP)
        .token_cache(cache)
        .build()
        .unwrap();
    let (trace, errors) = run_captured(app);
    let file = std::fs::read_to_string(&path).expect("the cache was saved");
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(path.with_extension("json.lockfile"));
    assert!(
        file.contains("RefreshToken"),
        "the cache file has the tokens"
    );
    assert!(
        trace.contains("msal.acquire_token"),
        "the spans were captured: {trace}"
    );
    assert!(trace.contains("username_password"));
    for secret in [PASSWORD, WRONG] {
        assert!(!file.contains(secret), "password in the cache file");
        assert!(!trace.contains(secret), "password in the trace");
        assert!(!errors.contains(secret), "password in the error");
    }
    assert!(
        !trace.contains("alice@managed.test"),
        "username without PII logging: {trace}"
    );
}

#[test]
fn username_is_traced_only_with_pii_logging() {
    let (_server, emulator) = server();
    let app = public_builder(&emulator, PUBLIC_APP)
        .enable_pii_logging(true)
        .build()
        .unwrap();
    let (trace, _) = run_captured(app);
    assert!(trace.contains("alice@managed.test"), "{trace}");
    assert!(!trace.contains(PASSWORD));
}

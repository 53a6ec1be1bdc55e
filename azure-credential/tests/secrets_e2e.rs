//! The password never reaches the cache file, the tracing output (captured at TRACE) or an
//! error's text.
#![allow(missing_docs)]

mod common;

use azure_credential::{
    TokenCachePersistenceOptions, UsernamePasswordCredential, UsernamePasswordCredentialOptions,
};
use common::*;
use msal_core::{TokenCredential, TokenRequestOptions};

const WRONG: &str = "wrong-Pa55word-9f3c";

#[test]
fn password_is_never_in_the_cache_file_the_trace_or_an_error() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let emulator = runtime.block_on(emulator());
    let dir = temp_dir("secrets");
    let build = |password: &str| {
        let mut persistence = TokenCachePersistenceOptions::default();
        persistence.allow_unencrypted_storage = true;
        persistence.directory = Some(dir.clone());
        let mut o = UsernamePasswordCredentialOptions::default();
        o.credential_options = options(&emulator);
        o.credential_options.cache_persistence = Some(persistence);
        o.tenant_id = Some(emulator.tenant_id());
        UsernamePasswordCredential::new(PUBLIC_APP, USERNAME, password, Some(o)).unwrap()
    };
    let capture = Capture::default();
    let errors = tracing::subscriber::with_default(capture.clone(), || {
        runtime.block_on(async {
            let good = build(PASSWORD);
            good.get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
                .await
                .unwrap();
            good.authenticate(&[], None).await.unwrap_err();
            let cae = TokenRequestOptions::builder().enable_cae(true).build();
            good.get_token(&[GRAPH_DEFAULT], cae).await.unwrap();
            let bad = build(WRONG);
            let err = bad
                .get_token(&[GRAPH_DEFAULT], TokenRequestOptions::default())
                .await
                .unwrap_err();
            format!("{err} {err:?} {bad:?} {good:?}")
        })
    });
    let trace = capture.text.lock().unwrap().clone();
    assert!(
        trace.contains("msal.acquire_token"),
        "the trace was captured"
    );
    let mut files = String::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        files.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default());
    }
    assert!(files.contains("RefreshToken"), "the cache was written");
    assert!(
        !trace.contains(USERNAME),
        "the username is PII: not traced unless enable_pii_logging"
    );
    for secret in [PASSWORD, WRONG] {
        assert!(!trace.contains(secret), "password in the trace");
        assert!(!files.contains(secret), "password in the cache file");
        assert!(!errors.contains(secret), "password in an error: {errors}");
    }
    std::fs::remove_dir_all(dir).ok();
}

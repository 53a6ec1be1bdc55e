//! `username_password --cache-file PATH`: the first run signs in with the password and
//! persists the cache and the record; the second run signs in silently, without the
//! password, and no token request reaches the identity provider. The password is never
//! printed nor written.
#![allow(missing_docs)]

mod common;

use std::process::Command;

use common::{TempDir, example_binary};

fn run(cache: &std::path::Path) -> String {
    let exe = example_binary("username_password");
    let mut command = Command::new(&exe);
    command.arg("--cache-file").arg(cache);
    for var in [
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_USERNAME",
        "AZURE_PASSWORD",
    ] {
        command.env_remove(var);
    }
    let out = command.output().expect("the example runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "exit {}: {text}", out.status);
    text
}

#[test]
fn second_run_with_cache_file_signs_in_silently_without_the_password() {
    let work = TempDir::new("ropc-cache");
    let cache = work.path().join("demo");
    let first = run(&cache);
    assert!(first.contains("signs in with the password"), "{first}");
    assert!(first.contains("identity provider"), "{first}");
    assert!(!first.contains("Signed in silently"), "{first}");

    let second = run(&cache);
    assert!(second.contains("Signed in silently"), "{second}");
    assert!(
        second.contains("cache, in") && second.contains("no token request"),
        "{second}"
    );
    assert!(!second.contains("signs in with the password"), "{second}");

    let written = std::fs::read_to_string(work.path().join("demo.nocae")).unwrap();
    let record = std::fs::read_to_string(work.path().join("demo.record.json")).unwrap();
    for text in [&first, &second, &written, &record] {
        assert!(!text.contains("alice-password"), "the password leaked");
    }
    assert!(record.contains("alice@managed.test"));
}

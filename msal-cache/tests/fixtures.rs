//! Real caches written by MSAL Java, .NET, Go and Python load, are found by field queries,
//! and survive a save and reload unchanged.

use std::path::{Path, PathBuf};

use msal_cache::{AccessTokenQuery, Subject, TokenCache, parse_json_lenient};
use serde_json::Value;

const REFERENCE: &str = "/work/shared/reference";

fn fixture_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let fixtures = Path::new(REFERENCE).join("cache-fixtures");
    for dir in std::fs::read_dir(&fixtures).unwrap() {
        let dir = dir.unwrap().path();
        if dir.is_dir() {
            for f in std::fs::read_dir(&dir).unwrap() {
                let f = f.unwrap().path();
                if f.extension().is_some_and(|e| e == "json") {
                    files.push(f);
                }
            }
        }
    }
    let wire = Path::new(REFERENCE).join("wire");
    for f in std::fs::read_dir(&wire).unwrap() {
        let f = f.unwrap().path();
        if f.to_string_lossy().ends_with(".cache.json") {
            files.push(f);
        }
    }
    for f in std::fs::read_dir(wire.join("persisted_run")).unwrap() {
        let f = f.unwrap().path();
        if f.extension().is_some_and(|e| e == "json") {
            files.push(f);
        }
    }
    files.sort();
    files
}

fn skip_missing() -> bool {
    if Path::new(REFERENCE).exists() {
        return false;
    }
    eprintln!("reference files not present; skipping");
    true
}

#[test]
fn cache_from_the_future_round_trips_deep_equal() {
    if skip_missing() {
        return;
    }
    let path =
        Path::new(REFERENCE).join("cache-fixtures/dotnet-unit-resources/CacheFromTheFuture.json");
    let bytes = std::fs::read(path).unwrap();
    let cache = TokenCache::from_json(&bytes).unwrap();
    assert_eq!(cache.access_tokens().len(), 5);
    assert_eq!(cache.refresh_tokens().len(), 4);
    let saved = cache.to_json().unwrap();
    assert_eq!(
        parse_json_lenient(&saved).unwrap(),
        parse_json_lenient(&bytes).unwrap()
    );
}

#[test]
fn every_reference_cache_loads_and_saves_back_deep_equal() {
    if skip_missing() {
        return;
    }
    let files = fixture_files();
    assert!(files.len() > 40, "found {} files", files.len());
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        let cache =
            TokenCache::from_json(&bytes).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let saved = cache.to_json().unwrap();
        let original = parse_json_lenient(&bytes).unwrap();
        assert_eq!(
            parse_json_lenient(&saved).unwrap(),
            original,
            "{} changed on save",
            file.display()
        );
        let again = TokenCache::from_json(&saved).unwrap();
        assert_eq!(again.to_json().unwrap(), saved, "{}", file.display());
    }
}

#[test]
fn every_access_token_of_every_reference_cache_is_found_by_its_fields() {
    if skip_missing() {
        return;
    }
    let mut checked = 0;
    for file in fixture_files() {
        let cache = TokenCache::from_json(&std::fs::read(&file).unwrap()).unwrap();
        for at in cache.access_tokens() {
            let scopes: Vec<&str> = at.scopes().collect();
            let subject = match at.user_assertion_hash() {
                Some(h) => Subject::OnBehalfOf(h),
                None if at.home_account_id().is_empty() => Subject::App,
                None => Subject::Account(at.home_account_id()),
            };
            let realm = at.realm.or_empty();
            let mut query =
                AccessTokenQuery::new(subject, &at.environment, &at.client_id, realm, &scopes)
                    .with_token_type(at.token_type());
            if let Some(kid) = at.key_id() {
                query = query.with_key_id(kid);
            }
            let found = cache
                .find_access_token(&query)
                .unwrap_or_else(|| panic!("{}: token not found", file.display()));
            // Another token may answer too (caches hold duplicates); it must still match.
            assert!(found.client_id.eq_ignore_ascii_case(&at.client_id));
            checked += 1;
        }
    }
    assert!(checked > 30, "checked {checked}");
}

#[test]
fn junk_entries_and_unknown_sections_are_kept_but_not_typed() {
    if skip_missing() {
        return;
    }
    let path = Path::new(REFERENCE).join("cache-fixtures/java-cache_data/serialized_cache.json");
    let bytes = std::fs::read(path).unwrap();
    let cache = TokenCache::from_json(&bytes).unwrap();
    assert_eq!(cache.access_tokens().len(), 1);
    let saved: Value = serde_json::from_slice(&cache.to_json().unwrap()).unwrap();
    assert_eq!(saved["AccessToken"]["an-entry"]["foo"], "bar");
    assert_eq!(saved["unknownEntity"]["field2"], "whats");
    assert_eq!(
        saved["AppMetadata"]["appmetadata-login.windows.net-my_client_id"]["family_id"],
        Value::Null
    );
}

#[test]
fn go_idtoken_spelling_and_ext_expires_on_are_read() {
    if skip_missing() {
        return;
    }
    let go = Path::new(REFERENCE).join("cache-fixtures/go-integration/serialized_cache_1.1.1.json");
    let cache = TokenCache::from_json(&std::fs::read(go).unwrap()).unwrap();
    let home = "597f86cd-13f3-44c0-bece-a1e77ba43228.f645ad92-e38d-4d1a-b510-d1b09a74a8ca";
    let idt = cache
        .id_token(
            home,
            "login.windows.net",
            "4b0db8c2-9f26-4417-8bde-3f0e3656f8e0",
            None,
        )
        .expect("IDToken entry found through the alias");
    assert_eq!(idt.credential_type, "IDToken");
    assert!(
        cache
            .refresh_token_for_client(
                home,
                "login.microsoftonline.com",
                "4b0db8c2-9f26-4417-8bde-3f0e3656f8e0"
            )
            .is_some()
    );

    let obo = Path::new(REFERENCE)
        .join("cache-fixtures/dotnet-unit-resources/MultiTenantOBOTokenCache.json");
    let cache = TokenCache::from_json(&std::fs::read(obo).unwrap()).unwrap();
    let at = cache.access_tokens().into_iter().next().unwrap();
    assert!(at.user_assertion_hash().is_some());
    assert!(at.extended_expires_on().is_some());
}

//! The silent-path queries and the write rules of the in-memory cache.

use msal_cache::{AccessTokenQuery, Subject, TokenCache, TokenResponseEvent};
use msal_core::Secret;
use serde_json::{Map, Value, json};

const NOW: i64 = 1_700_000_000;
const CLIENT: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
const HOME: &str = "uid.utid";

fn user_event(env: &str, scopes: &[&str], token: &str) -> TokenResponseEvent {
    let mut ev = TokenResponseEvent::new(CLIENT, env, "utid", NOW);
    ev.scopes = scopes.iter().map(|s| s.to_string()).collect();
    ev.access_token = Some(Secret::new(token));
    ev.refresh_token = Some(Secret::new(format!("rt-{token}")));
    ev.expires_in = Some(3600);
    ev.id_token = Some(Secret::new("header.payload.sig"));
    let claims: Map<String, Value> = serde_json::from_value(json!({
        "oid": "object-id", "sub": "subject", "preferred_username": "alice@contoso.com", "tid": "utid"
    }))
    .unwrap();
    ev.id_token_claims = Some(claims);
    ev.client_info_uid = Some("uid".into());
    ev.client_info_utid = Some("utid".into());
    ev.grant_type = Some("password".into());
    ev
}

fn app_event(scopes: &[&str], token: &str) -> TokenResponseEvent {
    let mut ev = TokenResponseEvent::new(CLIENT, "login.microsoftonline.com", "tenant", NOW);
    ev.scopes = scopes.iter().map(|s| s.to_string()).collect();
    ev.access_token = Some(Secret::new(token));
    ev.expires_in = Some(3600);
    ev
}

fn find(
    cache: &TokenCache,
    subject: Subject<'_>,
    env: &str,
    realm: &str,
    scopes: &[&str],
) -> Option<String> {
    let query = AccessTokenQuery::new(subject, env, CLIENT, realm, scopes).valid_at(NOW + 300);
    cache
        .find_access_token(&query)
        .map(|at| at.secret.expose().to_owned())
}

#[test]
fn token_is_found_through_every_alias_of_its_cloud_but_not_another_cloud() {
    let cache = TokenCache::new();
    cache.write_response(&user_event(
        "login.microsoftonline.com",
        &["User.Read"],
        "at1",
    ));
    for env in [
        "login.windows.net",
        "LOGIN.MICROSOFT.COM",
        "sts.windows.net",
    ] {
        assert_eq!(
            find(&cache, Subject::Account(HOME), env, "utid", &["User.Read"]).as_deref(),
            Some("at1")
        );
    }
    assert_eq!(
        find(
            &cache,
            Subject::Account(HOME),
            "login.microsoftonline.us",
            "utid",
            &["User.Read"]
        ),
        None
    );
}

#[test]
fn scopes_match_as_a_case_insensitive_subset_ignoring_reserved_scopes() {
    let cache = TokenCache::new();
    cache.write_response(&user_event(
        "login.microsoftonline.com",
        &["User.Read", "Mail.Read", "openid"],
        "at1",
    ));
    let env = "login.microsoftonline.com";
    assert!(find(&cache, Subject::Account(HOME), env, "utid", &["user.read"]).is_some());
    assert!(
        find(
            &cache,
            Subject::Account(HOME),
            env,
            "utid",
            &["MAIL.READ", "offline_access", "profile"]
        )
        .is_some()
    );
    assert!(
        find(
            &cache,
            Subject::Account(HOME),
            env,
            "utid",
            &["User.Read", "Files.Read"]
        )
        .is_none()
    );
    assert!(
        find(
            &cache,
            Subject::Account(HOME),
            env,
            "other-tenant",
            &["User.Read"]
        )
        .is_none()
    );
    assert!(
        find(
            &cache,
            Subject::Account("other.user"),
            env,
            "utid",
            &["User.Read"]
        )
        .is_none()
    );
}

#[test]
fn app_tokens_and_user_tokens_never_answer_each_other() {
    let cache = TokenCache::new();
    cache.write_response(&app_event(&["https://graph.microsoft.com/.default"], "app"));
    let scopes = ["https://graph.microsoft.com/.default"];
    let env = "login.microsoftonline.com";
    assert_eq!(
        find(&cache, Subject::App, env, "tenant", &scopes).as_deref(),
        Some("app")
    );
    assert!(find(&cache, Subject::Account(HOME), env, "tenant", &scopes).is_none());
    // App-only entries are written with "home_account_id": null, as MSAL Python needs.
    let json: Value = serde_json::from_slice(&cache.to_json().unwrap()).unwrap();
    let at = json["AccessToken"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap();
    assert_eq!(at["home_account_id"], Value::Null);
    assert!(json.get("Account").is_none() && json.get("RefreshToken").is_none());
}

#[test]
fn expired_tokens_are_skipped_when_a_validity_time_is_given() {
    let cache = TokenCache::new();
    let mut ev = app_event(&["s"], "short");
    ev.expires_in = Some(200);
    cache.write_response(&ev);
    assert!(
        find(
            &cache,
            Subject::App,
            "login.microsoftonline.com",
            "tenant",
            &["s"]
        )
        .is_none()
    );
    let query = AccessTokenQuery::new(
        Subject::App,
        "login.microsoftonline.com",
        CLIENT,
        "tenant",
        &["s"],
    );
    assert!(cache.find_access_token(&query).is_some());
}

#[test]
fn token_type_and_key_id_must_match() {
    let cache = TokenCache::new();
    let mut ev = app_event(&["s"], "pop-token");
    ev.token_type = Some("pop".into());
    ev.key_id = Some("kid-1".into());
    cache.write_response(&ev);
    let env = "login.microsoftonline.com";
    let base = AccessTokenQuery::new(Subject::App, env, CLIENT, "tenant", &["s"]);
    assert!(
        cache.find_access_token(&base).is_none(),
        "a Bearer query must not get a PoP token"
    );
    assert!(
        cache
            .find_access_token(&base.with_token_type("POP"))
            .is_none(),
        "key id required"
    );
    let q = base.with_token_type("pop").with_key_id("kid-1");
    assert_eq!(
        cache.find_access_token(&q).unwrap().secret.expose(),
        "pop-token"
    );
    assert!(
        cache
            .find_access_token(&base.with_token_type("pop").with_key_id("kid-2"))
            .is_none()
    );
}

#[test]
fn key_id_is_read_under_every_library_spelling() {
    for name in ["key_id", "kid", "keyid"] {
        let json = format!(
            r#"{{"AccessToken": {{"k": {{"credential_type": "AccessToken", "secret": "s", "environment": "e",
            "client_id": "{CLIENT}", "realm": "t", "target": "a", "token_type": "ssh-cert", "{name}": "K",
            "expires_on": "4000000000"}}}}}}"#
        );
        let cache = TokenCache::from_json(json.as_bytes()).unwrap();
        let q = AccessTokenQuery::new(Subject::App, "e", CLIENT, "t", &["a"])
            .with_token_type("ssh-cert")
            .with_key_id("K");
        assert!(cache.find_access_token(&q).is_some(), "{name}");
        assert!(
            cache
                .to_json()
                .unwrap()
                .windows(name.len() + 2)
                .any(|w| w == format!("\"{name}\"").as_bytes())
        );
    }
}

#[test]
fn new_token_replaces_tokens_with_intersecting_scopes_and_keeps_disjoint_ones() {
    let cache = TokenCache::new();
    let env = "login.microsoftonline.com";
    cache.write_response(&user_event(env, &["User.Read", "Mail.Read"], "old"));
    cache.write_response(&user_event(
        "login.windows.net",
        &["Files.Read"],
        "disjoint",
    ));
    let keys_before = cache.to_json().unwrap();
    cache.write_response(&user_event("login.windows.net", &["mail.read"], "new"));
    let secrets: Vec<String> = cache
        .access_tokens()
        .iter()
        .map(|a| a.secret.expose().to_owned())
        .collect();
    assert_eq!(secrets.len(), 2, "{secrets:?}");
    assert!(secrets.contains(&"new".to_owned()) && secrets.contains(&"disjoint".to_owned()));
    assert!(find(&cache, Subject::Account(HOME), env, "utid", &["User.Read"]).is_none());
    assert!(!keys_before.is_empty());
    // Refresh tokens of the same account and client are replaced, not accumulated.
    assert_eq!(cache.refresh_tokens().len(), 1);
    assert_eq!(cache.accounts().len(), 1);
}

#[test]
fn rewriting_the_same_scopes_keeps_the_existing_key() {
    let json = format!(
        r#"{{"AccessToken": {{"Odd-Key-From-Another-Library": {{"credential_type": "AccessToken", "secret": "old",
        "home_account_id": "{HOME}", "environment": "login.windows.net", "client_id": "{CLIENT}",
        "realm": "utid", "target": "User.Read", "expires_on": "1"}}}}}}"#
    );
    let cache = TokenCache::from_json(json.as_bytes()).unwrap();
    let key = cache.add_access_token(cache.access_tokens()[0].as_ref().clone());
    assert_eq!(key, "Odd-Key-From-Another-Library");
    cache.write_response(&user_event(
        "login.microsoftonline.com",
        &["user.read"],
        "new",
    ));
    let doc: Value = serde_json::from_slice(&cache.to_json().unwrap()).unwrap();
    let ats = doc["AccessToken"].as_object().unwrap();
    assert_eq!(ats.len(), 1);
    assert_eq!(ats["Odd-Key-From-Another-Library"]["secret"], "new");
}

#[test]
fn on_behalf_of_tokens_are_found_by_assertion_hash_with_or_without_padding() {
    let cache = TokenCache::new();
    let mut ev = user_event(
        "login.microsoftonline.com",
        &["api://downstream/.default"],
        "obo",
    );
    ev.user_assertion_hash = Some("_JPLB-GtkomFJxAOWKHPHR5_ZemiZqb4fzyE_rVBx7M".into());
    cache.write_response(&ev);
    let env = "login.microsoftonline.com";
    let scopes = ["api://downstream/.default"];
    for hash in [
        "_JPLB-GtkomFJxAOWKHPHR5_ZemiZqb4fzyE_rVBx7M",
        "_JPLB-GtkomFJxAOWKHPHR5_ZemiZqb4fzyE_rVBx7M=",
    ] {
        assert_eq!(
            find(&cache, Subject::OnBehalfOf(hash), env, "utid", &scopes).as_deref(),
            Some("obo")
        );
    }
    assert!(find(&cache, Subject::OnBehalfOf("other"), env, "utid", &scopes).is_none());
    assert!(find(&cache, Subject::Account(HOME), env, "utid", &scopes).is_none());
}

#[test]
fn family_refresh_token_and_app_metadata_record_the_family() {
    let cache = TokenCache::new();
    let mut ev = user_event("login.microsoftonline.com", &["User.Read"], "at");
    ev.family_id = Some("1".into());
    cache.write_response(&ev);
    let frts = cache.family_refresh_tokens(HOME, "login.windows.net", "1");
    assert_eq!(frts.len(), 1);
    assert_eq!(frts[0].secret.expose(), "rt-at");
    assert_eq!(
        cache
            .app_metadata("login.windows.net", CLIENT)
            .unwrap()
            .family_id(),
        Some("1")
    );
    assert!(
        cache
            .family_refresh_tokens(HOME, "login.windows.net", "2")
            .is_empty()
    );
    let account = &cache.accounts_for(HOME)[0];
    assert_eq!(account.local_account_id.get(), Some("object-id"));
    assert_eq!(account.username.get(), Some("alice@contoso.com"));
    assert_eq!(account.account_source.get(), Some("password"));
    assert!(
        cache
            .id_token(HOME, "login.microsoftonline.com", CLIENT, Some("utid"))
            .is_some()
    );
}

#[test]
fn remove_account_removes_only_that_users_tokens() {
    let cache = TokenCache::new();
    cache.write_response(&user_event(
        "login.microsoftonline.com",
        &["User.Read"],
        "alice",
    ));
    let mut bob = user_event("login.microsoftonline.com", &["User.Read"], "bob");
    bob.client_info_uid = Some("bob".into());
    cache.write_response(&bob);
    cache.write_response(&app_event(&["s"], "app"));
    cache.remove_account(HOME, "login.windows.net", CLIENT);
    let left: Vec<String> = cache
        .access_tokens()
        .iter()
        .map(|a| a.secret.expose().to_owned())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(!left.contains(&"alice".to_owned()));
    assert!(
        cache
            .refresh_token_for_client(HOME, "login.microsoftonline.com", CLIENT)
            .is_none()
    );
    assert!(
        cache
            .refresh_token_for_client("bob.utid", "login.microsoftonline.com", CLIENT)
            .is_some()
    );
    assert!(cache.accounts_for(HOME).is_empty());
    assert!(
        cache
            .id_token(HOME, "login.microsoftonline.com", CLIENT, None)
            .is_none()
    );
    cache.remove_app_tokens("login.microsoftonline.com", CLIENT);
    let left: Vec<String> = cache
        .access_tokens()
        .iter()
        .map(|a| a.secret.expose().to_owned())
        .collect();
    assert_eq!(left, vec!["bob".to_owned()]);
}

#[test]
fn updating_a_used_refresh_token_keeps_its_key_and_unknown_fields() {
    let json = r#"{"RefreshToken": {"my-key": {"credential_type": "RefreshToken", "secret": "old",
        "home_account_id": "u.t", "environment": "login.windows.net", "client_id": "other-app",
        "family_id": "1", "x_future": {"a": 1}}}}"#;
    let cache = TokenCache::from_json(json.as_bytes()).unwrap();
    let used = cache.family_refresh_tokens("u.t", "login.microsoftonline.com", "1")[0].clone();
    let before = cache.change_count();
    assert!(cache.update_refresh_token(&used, Secret::new("new"), NOW));
    assert!(cache.change_count() > before);
    let doc: Value = serde_json::from_slice(&cache.to_json().unwrap()).unwrap();
    let rt = &doc["RefreshToken"]["my-key"];
    assert_eq!(rt["secret"], "new");
    assert_eq!(rt["client_id"], "other-app");
    assert_eq!(rt["x_future"]["a"], 1);
    assert_eq!(rt["last_modification_time"], NOW.to_string());
}

#[test]
fn debug_output_never_contains_secrets() {
    let cache = TokenCache::new();
    cache.write_response(&user_event(
        "login.microsoftonline.com",
        &["User.Read"],
        "top-secret-at",
    ));
    let at = &cache.access_tokens()[0];
    let rt = &cache.refresh_tokens()[0];
    let printed = format!("{at:?} {rt:?} {cache:?}");
    assert!(!printed.contains("top-secret-at"), "{printed}");
}

#[test]
fn readers_on_many_threads_see_the_same_token() {
    let cache = std::sync::Arc::new(TokenCache::new());
    cache.write_response(&app_event(&["s"], "shared"));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let cache = cache.clone();
            std::thread::spawn(move || {
                (0..1000)
                    .filter(|_| {
                        find(&cache, Subject::App, "login.windows.net", "tenant", &["s"]).is_some()
                    })
                    .count()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 1000);
    }
}

#[test]
fn one_access_token_can_be_removed_and_accounts_listed_per_cloud() {
    let cache = TokenCache::new();
    cache.write_response(&user_event(
        "login.microsoftonline.com",
        &["User.Read"],
        "a",
    ));
    cache.write_response(&user_event(
        "login.microsoftonline.com",
        &["Files.Read"],
        "b",
    ));
    let before = cache.change_count();
    let victim = cache
        .access_tokens()
        .into_iter()
        .find(|at| at.secret.expose() == "a")
        .unwrap();
    assert!(cache.remove_access_token(&victim));
    assert!(!cache.remove_access_token(&victim), "already gone");
    assert!(cache.change_count() > before);
    let left: Vec<String> = cache
        .access_tokens()
        .iter()
        .map(|a| a.secret.expose().to_owned())
        .collect();
    assert_eq!(left, ["b"]);
    assert_eq!(cache.accounts_in("login.windows.net").len(), 1);
    assert!(cache.accounts_in("login.microsoftonline.us").is_empty());
}

#[test]
fn large_sections_load_completely_with_junk_entries_kept() {
    let mut entries = Vec::new();
    for i in 0..10_000 {
        entries.push(format!(
            r#""k{i}": {{"credential_type": "AccessToken", "secret": "s{i}", "home_account_id": "u{i}.t",
            "environment": "login.windows.net", "client_id": "{CLIENT}", "realm": "t", "target": "a",
            "expires_on": "4000000000"}}"#
        ));
    }
    entries.push(r#""junk": {"foo": "bar"}"#.to_owned());
    let json = format!(r#"{{"AccessToken": {{{}}}}}"#, entries.join(","));
    let cache = TokenCache::from_json(json.as_bytes()).unwrap();
    assert_eq!(cache.access_tokens().len(), 10_000);
    let q = AccessTokenQuery::new(
        Subject::Account("u9999.t"),
        "login.microsoftonline.com",
        CLIENT,
        "t",
        &["a"],
    );
    assert_eq!(
        cache.find_access_token(&q).unwrap().secret.expose(),
        "s9999"
    );
    let saved: Value = serde_json::from_slice(&cache.to_json().unwrap()).unwrap();
    assert_eq!(saved["AccessToken"]["junk"]["foo"], "bar");
    assert_eq!(saved["AccessToken"].as_object().unwrap().len(), 10_001);
}

//! Resolver tests: when instance discovery runs, single flight, caching, effective tenant.

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::authority::test_support::{FakeClient, wire_exchange};

const TENANT: &str = "aaaabbbb-0000-cccc-1111-dddd2222eeee";
const OIDC_PATH: &str =
    "/aaaabbbb-0000-cccc-1111-dddd2222eeee/v2.0/.well-known/openid-configuration";
const INSTANCE_PATH: &str = "/common/discovery/instance";

fn emulator() -> Authority {
    Authority::parse(&format!("https://127.0.0.1:8443/{TENANT}")).expect("authority")
}

/// A client that serves the recorded tenant document of the emulator.
fn emulator_client() -> FakeClient {
    let doc = wire_exchange("msal_validate_authority_false.json", 0);
    FakeClient::new().route(&doc.path, doc.status, &doc.response)
}

async fn resolve(
    resolver: &AuthorityResolver,
    client: &Arc<FakeClient>,
    authority: &Authority,
    options: &ResolveOptions,
) -> Result<ResolvedAuthority> {
    let pipeline = Pipeline::new(client.clone());
    resolver
        .resolve(authority, &pipeline, options, &RequestContext::generate())
        .await
}

#[tokio::test]
async fn validate_authority_false_skips_instance_discovery_as_recorded() {
    let client = Arc::new(emulator_client());
    let options = ResolveOptions::new().validate_authority(false);
    let resolved = resolve(&AuthorityResolver::new(), &client, &emulator(), &options)
        .await
        .expect("resolved");
    let recorded = wire_exchange("msal_validate_authority_false.json", 0);
    let paths: Vec<String> = client
        .requests()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(
        paths,
        vec![recorded.path],
        "one OIDC discovery, nothing else"
    );
    assert_eq!(resolved.tenant, TENANT);
    assert_eq!(
        resolved.token_endpoint.as_str(),
        format!("https://127.0.0.1:8443/{TENANT}/oauth2/v2.0/token")
    );
    assert_eq!(resolved.instance.aliases, vec!["127.0.0.1".to_owned()]);
    assert_eq!(resolved.instance.preferred_cache, "127.0.0.1");
}

#[tokio::test]
async fn default_options_skip_public_instance_discovery_for_loopback_hosts() {
    let client = Arc::new(emulator_client());
    resolve(
        &AuthorityResolver::new(),
        &client,
        &emulator(),
        &ResolveOptions::default(),
    )
    .await
    .expect("resolved");
    assert_eq!(client.count(INSTANCE_PATH), 0);
    assert_eq!(client.count(OIDC_PATH), 1);
}

#[tokio::test]
async fn custom_instance_discovery_runs_then_follows_tenant_discovery_endpoint() {
    let discovery = wire_exchange("msal_instance_discovery_custom.json", 0);
    let doc = wire_exchange("msal_instance_discovery_custom.json", 1);
    let client = Arc::new(
        FakeClient::new()
            .route(&discovery.path, discovery.status, &discovery.response)
            .route(&doc.path, doc.status, &doc.response),
    );
    let custom = Url::parse("https://127.0.0.1:8443/common/discovery/instance").expect("url");
    let options = ResolveOptions::new().instance_discovery(InstanceDiscovery::Custom(custom));
    let resolved = resolve(&AuthorityResolver::new(), &client, &emulator(), &options)
        .await
        .expect("resolved");
    let sent = client.requests();
    let paths: Vec<&str> = sent.iter().map(|r| r.url.path()).collect();
    assert_eq!(
        paths,
        vec![discovery.path.as_str(), doc.path.as_str()],
        "same order as MSAL Python"
    );
    let query: Vec<(String, String)> = sent[0].url.query_pairs().into_owned().collect();
    assert!(query.contains(&(
        "authorization_endpoint".into(),
        format!("https://127.0.0.1:8443/{TENANT}/oauth2/v2.0/authorize")
    )));
    assert!(query.contains(&("api-version".into(), "1.1".into())));
    assert!(
        discovery.raw_query.contains("authorization_endpoint="),
        "recording has the parameter"
    );
    assert_eq!(resolved.instance.preferred_network, "127.0.0.1");
    assert_eq!(resolved.tenant, TENANT);
}

#[tokio::test]
async fn unknown_entra_host_runs_public_instance_discovery_and_50049_is_not_cached() {
    let body = r#"{"error":"invalid_instance","error_description":"AADSTS50049: Unknown or invalid instance.","error_codes":[50049]}"#;
    let client = Arc::new(FakeClient::new().route(INSTANCE_PATH, 400, body));
    let resolver = AuthorityResolver::new();
    let authority = Authority::parse("https://login.contoso.com/contoso.com").expect("authority");
    for attempt in 1..=2 {
        let err = resolve(&resolver, &client, &authority, &ResolveOptions::default())
            .await
            .expect_err("unknown host");
        assert_eq!(err.kind(), ErrorKind::InvalidAuthority);
        assert_eq!(err.aadsts_codes(), &[50049]);
        assert_eq!(
            client.count(INSTANCE_PATH),
            attempt,
            "failures are not cached"
        );
    }
    let sent = client.requests();
    assert_eq!(sent[0].url.host_str(), Some("login.microsoftonline.com"));
}

#[tokio::test]
async fn instance_discovery_never_runs_for_known_adfs_b2c_ciam_or_oidc_authorities() {
    let cases = [
        "https://login.microsoftonline.com/contoso.com",
        "https://adfs.contoso.com/adfs",
        "https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin",
        "https://contoso.ciamlogin.com",
    ];
    for url in cases {
        let authority = Authority::parse(url).expect(url);
        assert_eq!(
            discovery_endpoint(&authority, &ResolveOptions::default()),
            None,
            "{url}"
        );
    }
    let oidc = Authority::oidc("https://issuer.contoso.com/t").expect("oidc");
    assert_eq!(discovery_endpoint(&oidc, &ResolveOptions::default()), None);
    let unknown = Authority::parse("https://login.contoso.com/t").expect("entra");
    assert!(discovery_endpoint(&unknown, &ResolveOptions::default()).is_some());
    let off = ResolveOptions::new().instance_discovery(InstanceDiscovery::Disabled);
    assert_eq!(discovery_endpoint(&unknown, &off), None);
    let regional = unknown.regional("westus").expect("regional");
    assert_eq!(
        discovery_endpoint(&regional, &ResolveOptions::default()),
        None
    );
}

#[tokio::test]
async fn concurrent_resolutions_of_one_authority_share_one_request() {
    let client = Arc::new(emulator_client().delay(Duration::from_millis(50)));
    let resolver = AuthorityResolver::new();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (resolver, client) = (resolver.clone(), client.clone());
        tasks.spawn(async move {
            resolve(&resolver, &client, &emulator(), &ResolveOptions::default()).await
        });
    }
    while let Some(joined) = tasks.join_next().await {
        let resolved = joined.expect("task").expect("resolved");
        assert_eq!(resolved.tenant, TENANT);
    }
    assert_eq!(client.count(OIDC_PATH), 1);
}

#[tokio::test]
async fn second_resolution_is_a_cache_hit_and_other_options_are_another_key() {
    let client = Arc::new(emulator_client());
    let resolver = AuthorityResolver::new();
    let first = resolve(&resolver, &client, &emulator(), &ResolveOptions::default())
        .await
        .expect("1");
    let second = resolve(&resolver, &client, &emulator(), &ResolveOptions::default())
        .await
        .expect("2");
    assert_eq!(first, second);
    assert_eq!(client.requests().len(), 1);
    let off = ResolveOptions::new().validate_authority(false);
    resolve(&resolver, &client, &emulator(), &off)
        .await
        .expect("3");
    assert_eq!(client.requests().len(), 2);
    resolver.clear();
    resolve(&resolver, &client, &emulator(), &off)
        .await
        .expect("4");
    assert_eq!(client.requests().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn resolutions_expire_after_24_hours() {
    let client = Arc::new(emulator_client());
    let resolver = AuthorityResolver::new();
    let options = ResolveOptions::default();
    resolve(&resolver, &client, &emulator(), &options)
        .await
        .expect("1");
    tokio::time::advance(RESOLUTION_TTL - Duration::from_secs(1)).await;
    resolve(&resolver, &client, &emulator(), &options)
        .await
        .expect("2");
    assert_eq!(client.requests().len(), 1, "still fresh");
    tokio::time::advance(Duration::from_secs(2)).await;
    resolve(&resolver, &client, &emulator(), &options)
        .await
        .expect("3");
    assert_eq!(client.requests().len(), 2, "expired and fetched again");
}

#[tokio::test]
async fn domain_tenant_becomes_the_id_and_known_hosts_get_built_in_aliases() {
    let guid = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    let doc = serde_json::json!({
        "authorization_endpoint": format!("https://login.microsoftonline.com/{guid}/oauth2/v2.0/authorize"),
        "token_endpoint": format!("https://login.microsoftonline.com/{guid}/oauth2/v2.0/token"),
        "issuer": format!("https://login.microsoftonline.com/{guid}/v2.0"),
    });
    let client = Arc::new(FakeClient::new().route(
        "/contoso.com/v2.0/.well-known/openid-configuration",
        200,
        &doc.to_string(),
    ));
    let authority = Authority::parse("https://login.microsoftonline.com/contoso.com").expect("ok");
    let resolved = resolve(
        &AuthorityResolver::new(),
        &client,
        &authority,
        &ResolveOptions::default(),
    )
    .await
    .expect("resolved");
    assert_eq!(resolved.tenant, guid);
    assert_eq!(resolved.instance.preferred_cache, "login.windows.net");
    assert!(resolved.instance.has_alias("sts.windows.net"));
    assert_eq!(client.count(INSTANCE_PATH), 0, "known host");
}

#[test]
fn effective_tenant_keeps_common_and_reads_dsts_second_segment() {
    let common = Authority::parse("https://login.microsoftonline.com/common").expect("ok");
    let token =
        Url::parse("https://login.microsoftonline.com/common/oauth2/v2.0/token").expect("url");
    assert_eq!(effective_tenant(&common, &token), "common");
    let dsts =
        Authority::parse("https://d.example.com/dstsv2/7a433bfc-2514-4697-b467-e0933190487f")
            .expect("ok");
    let token = Url::parse(
        "https://d.example.com/dstsv2/7a433bfc-2514-4697-b467-e0933190487f/oauth2/v2.0/token",
    )
    .expect("url");
    assert_eq!(
        effective_tenant(&dsts, &token),
        "7a433bfc-2514-4697-b467-e0933190487f"
    );
    let oidc = Authority::oidc("https://accounts.example.com/t").expect("oidc");
    let token = Url::parse("https://oauth2.example.net/token").expect("url");
    assert_eq!(effective_tenant(&oidc, &token), "t");
}

#[test]
fn regional_metadata_names_both_hosts_and_caches_under_the_central_one() {
    let regional = Authority::parse("https://login.microsoftonline.com/t")
        .and_then(|a| a.regional("westus2"))
        .expect("regional");
    let md = local_metadata(&regional);
    assert_eq!(md.preferred_network, "westus2.login.microsoft.com");
    assert_eq!(md.preferred_cache, "login.microsoftonline.com");
    assert_eq!(
        md.aliases,
        vec!["westus2.login.microsoft.com", "login.microsoftonline.com"]
    );
}

#[test]
fn global_resolver_is_shared() {
    let a = AuthorityResolver::global();
    let b = AuthorityResolver::global();
    assert!(Arc::ptr_eq(&a.inner, &b.inner));
    assert!(!Arc::ptr_eq(&a.inner, &AuthorityResolver::new().inner));
}

#[tokio::test]
async fn adfs_resolves_from_its_own_discovery_path_with_tenant_adfs() {
    let doc = serde_json::json!({
        "authorization_endpoint": "https://adfs.contoso.com/adfs/oauth2/authorize/",
        "token_endpoint": "https://adfs.contoso.com/adfs/oauth2/token/",
        "issuer": "https://adfs.contoso.com/adfs",
    });
    let client = Arc::new(FakeClient::new().route(
        "/adfs/.well-known/openid-configuration",
        200,
        &doc.to_string(),
    ));
    let adfs = Authority::parse("https://adfs.contoso.com/adfs").expect("adfs");
    let resolved = resolve(
        &AuthorityResolver::new(),
        &client,
        &adfs,
        &ResolveOptions::default(),
    )
    .await
    .expect("resolved");
    assert_eq!(resolved.tenant, "adfs");
    assert_eq!(resolved.device_authorization_endpoint, None);
    assert_eq!(
        resolved.instance.aliases,
        vec!["adfs.contoso.com".to_owned()]
    );
    assert_eq!(client.requests().len(), 1, "no instance discovery for ADFS");
}

#[tokio::test]
async fn mismatched_document_fails_resolution_and_is_not_cached() {
    let recorded = wire_exchange("msal_validate_authority_false.json", 0);
    let client = Arc::new(FakeClient::new().route(&recorded.path, 200, &recorded.response));
    let resolver = AuthorityResolver::new();
    let other = Authority::parse(&format!("https://localhost:8443/{TENANT}")).expect("authority");
    for attempt in 1..=2 {
        let err = resolve(&resolver, &client, &other, &ResolveOptions::default())
            .await
            .expect_err("document names 127.0.0.1, not localhost");
        assert_eq!(err.kind(), ErrorKind::InvalidAuthority);
        assert_eq!(client.requests().len(), attempt);
    }
}

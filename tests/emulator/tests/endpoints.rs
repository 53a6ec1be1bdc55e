//! Discovery, user realm, JWKS, managed identity and routing over real HTTPS.

mod common;
use common::*;
use entra_emulator::APP_SERVICE_IDENTITY_HEADER;

#[tokio::test]
async fn oidc_discovery_serves_every_tenant_form_with_own_host() {
    let env = start().await;
    let host = env.emu.authority_host();
    for seg in [TENANT, "managed.test", "FEDERATED.test"] {
        let a = env
            .get(&format!("/{seg}/v2.0/.well-known/openid-configuration"))
            .await;
        assert_eq!(a.status, 200, "{seg}");
        let v = a.json();
        assert_eq!(
            v["token_endpoint"],
            format!("{host}/{TENANT}/oauth2/v2.0/token")
        );
        assert_eq!(v["issuer"], format!("{host}/{TENANT}/v2.0"));
        assert_eq!(
            v["device_authorization_endpoint"],
            format!("{host}/{TENANT}/oauth2/v2.0/devicecode")
        );
        assert_eq!(
            a.header("cache-control").as_deref(),
            Some("max-age=86400, private")
        );
    }
    for seg in ["common", "organizations"] {
        let v = env
            .get(&format!("/{seg}/v2.0/.well-known/openid-configuration"))
            .await
            .json();
        assert_eq!(v["issuer"], format!("{host}/{{tenantid}}/v2.0"));
        assert_eq!(
            v["authorization_endpoint"],
            format!("{host}/{seg}/oauth2/v2.0/authorize")
        );
        assert!(v["tenant_region_scope"].is_null());
    }
    let v = env
        .get("/consumers/v2.0/.well-known/openid-configuration")
        .await
        .json();
    assert_eq!(
        v["issuer"],
        format!("{host}/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0")
    );
    // OIDC-authority style (no v2.0 segment).
    let a = env
        .get(&format!("/{TENANT}/.well-known/openid-configuration"))
        .await;
    assert_eq!(a.status, 200);
}

#[tokio::test]
async fn unknown_tenant_discovery_is_400_aadsts90002() {
    let env = start().await;
    let a = env
        .get("/nonexistent/v2.0/.well-known/openid-configuration")
        .await;
    assert_aad(&a, 400, "invalid_tenant", 90002);
    assert!(
        a.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("Tenant 'nonexistent' not found")
    );
}

#[tokio::test]
async fn instance_discovery_names_the_emulator_as_its_own_alias() {
    let env = start().await;
    let host = env.emu.authority_host();
    let bare = host.trim_start_matches("https://").to_string();
    for v in ["1.0", "1.1"] {
        let path = format!(
            "/common/discovery/instance?api-version={v}&authorization_endpoint={host}/{TENANT}/oauth2/v2.0/authorize"
        );
        let j = env.get(&path).await.json();
        assert_eq!(
            j["tenant_discovery_endpoint"],
            format!("{host}/{TENANT}/v2.0/.well-known/openid-configuration")
        );
        assert_eq!(j["api-version"], v);
        assert_eq!(j["metadata"][0]["aliases"][0], bare);
        assert_eq!(j["metadata"][0]["preferred_network"], bare);
    }
}

#[tokio::test]
async fn user_realm_classifies_managed_federated_and_unknown() {
    let env = start().await;
    let m = env
        .get("/common/userrealm/alice@managed.test?api-version=1.0")
        .await
        .json();
    assert_eq!(m["account_type"], "Managed");
    for f in [
        "ver",
        "domain_name",
        "cloud_instance_name",
        "cloud_audience_urn",
    ] {
        assert!(m[f].is_string(), "{f} missing: {m}");
    }
    // Go spells UserRealm; the username may be percent-encoded.
    let f = env
        .get("/common/UserRealm/bob%40federated.test?api-version=1.0")
        .await
        .json();
    assert_eq!(f["account_type"], "Federated");
    assert_eq!(f["federation_protocol"], "WSTrust");
    assert_eq!(
        f["federation_metadata_url"],
        env.url("/adfs/services/trust/mex")
    );
    assert_eq!(
        f["federation_active_auth_url"],
        env.url("/adfs/services/trust/2005/usernamemixed")
    );
    let c = env
        .get("/common/userrealm/carol@federated2005.test?api-version=1.0")
        .await
        .json();
    assert_eq!(c["account_type"], "Federated");
    assert!(c.get("federation_metadata_url").is_none(), "{c}");
    let u = env
        .get("/common/userrealm/nobody@elsewhere.example?api-version=1.0")
        .await
        .json();
    assert_eq!(u["account_type"], "Unknown");
    assert_eq!(u["cloud_instance_name"], "microsoftonline.com");
}

#[tokio::test]
async fn jwks_publishes_the_signing_key_used_in_tokens() {
    let env = start().await;
    let jwks = env
        .get(&format!("/{TENANT}/discovery/v2.0/keys"))
        .await
        .json();
    let kid = jwks["keys"][0]["kid"].as_str().unwrap().to_string();
    let tok = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", CONF),
            ("client_secret", SECRET),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .await
        .json();
    let header = tok["access_token"]
        .as_str()
        .unwrap()
        .split('.')
        .next()
        .unwrap()
        .to_string();
    let h: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, header).unwrap(),
    )
    .unwrap();
    assert_eq!(h["kid"], kid);
    assert_eq!(h["alg"], "RS256");
}

#[tokio::test]
async fn mex_and_wstrust_are_served() {
    let env = start().await;
    let a = env.get("/adfs/services/trust/mex").await;
    assert_eq!(a.status, 200);
    assert!(a.text.contains("/adfs/services/trust/13/usernamemixed"));
    let bad = env.post("/adfs/services/trust/13/usernamemixed", &[]).await;
    assert!(bad.status >= 400, "{}", bad.status);
}

#[tokio::test]
async fn imds_requires_metadata_header_and_returns_string_expiry() {
    let env = start().await;
    let path = "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/";
    let a = env.get(path).await;
    assert_eq!(a.status, 400);
    let ok = env.get_with(path, &[("Metadata", "true")]).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let v = ok.json();
    assert!(v["expires_on"].is_string() && v["expires_in"].is_string());
    assert_eq!(v["client_id"], "66666666-6666-6666-6666-666666666666");
    assert_eq!(
        claims(v["access_token"].as_str().unwrap())["aud"],
        "https://management.azure.com/"
    );
    let user = env
        .get_with(
            &format!("{path}&client_id=77777777-7777-7777-7777-777777777777"),
            &[("Metadata", "true")],
        )
        .await
        .json();
    assert_eq!(
        claims(user["access_token"].as_str().unwrap())["oid"],
        "00000000-0000-0000-0000-0000000007a1"
    );
    let unknown = env
        .get_with(&format!("{path}&object_id=nope"), &[("Metadata", "true")])
        .await;
    assert_eq!(unknown.status, 400);
}

#[tokio::test]
async fn app_service_shape_checks_identity_header() {
    let env = start().await;
    let path = "/msi/token?api-version=2019-08-01&resource=https://vault.azure.net";
    assert_eq!(env.get(path).await.status, 401);
    let ok = env
        .get_with(path, &[("X-IDENTITY-HEADER", APP_SERVICE_IDENTITY_HEADER)])
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert!(ok.json()["expires_on"].is_string());
}

#[tokio::test]
async fn unknown_path_is_404_json() {
    let env = start().await;
    let a = env.get("/nothing/here").await;
    assert_eq!(a.status, 404);
    assert!(a.json()["error"].is_string());
}

//! Every token grant and its Entra errors, over real HTTPS.

mod common;
use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use common::*;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Signer};
use openssl::x509::X509;
use serde_json::{Value, json};

fn ropc_pairs<'a>(user: &'a str, password: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "password"),
        ("client_id", PUBLIC),
        ("username", user),
        ("password", password),
        ("scope", GRAPH_USER_SCOPES),
        ("client_info", "1"),
    ]
}

#[tokio::test]
async fn ropc_managed_user_gets_full_user_token_answer() {
    let env = start().await;
    let a = env
        .token(&ropc_pairs("alice@managed.test", "alice-password"))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        a.header("cache-control").as_deref(),
        Some("no-store, no-cache")
    );
    assert!(a.header("x-ms-request-id").is_some());
    let v = a.json();
    assert_eq!(v["token_type"], "Bearer");
    assert!(v["expires_in"].is_u64() && v["ext_expires_in"].is_u64());
    assert_eq!(
        v["scope"],
        "https://graph.microsoft.com/User.Read openid profile"
    );
    assert!(v["refresh_token"].is_string() && v.get("foci").is_none());
    let ci = v["client_info"].as_str().unwrap();
    assert!(!ci.contains('='));
    let ci: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(ci).unwrap()).unwrap();
    assert_eq!(
        ci,
        json!({"uid": "00000000-0000-0000-0000-00000000a11c", "utid": TENANT})
    );
    let at = claims(v["access_token"].as_str().unwrap());
    assert_eq!(at["aud"], "https://graph.microsoft.com");
    assert_eq!(at["scp"], "User.Read");
    assert_eq!(at["tid"], TENANT);
    assert_eq!(at["ver"], "2.0");
    assert_eq!(at["preferred_username"], "alice@managed.test");
    let id = claims(v["id_token"].as_str().unwrap());
    assert_eq!(id["aud"], PUBLIC);
    assert_eq!(
        id["iss"],
        format!("{}/{TENANT}/v2.0", env.emu.authority_host())
    );
    assert_eq!(id["oid"], "00000000-0000-0000-0000-00000000a11c");
}

#[tokio::test]
async fn client_info_only_when_requested() {
    let env = start().await;
    let mut pairs = ropc_pairs("alice@managed.test", "alice-password");
    pairs.retain(|(k, _)| *k != "client_info");
    let v = env.token(&pairs).await.json();
    assert!(v.get("client_info").is_none());
}

#[tokio::test]
async fn ropc_errors_match_entra_codes() {
    let env = start().await;
    let cases: &[(&str, &str, &str, u64)] = &[
        ("alice@managed.test", "wrong", "invalid_grant", 50126),
        ("nobody@managed.test", "x", "invalid_grant", 50034),
        (
            "locked@managed.test",
            "locked-password",
            "invalid_grant",
            50053,
        ),
        (
            "expired@managed.test",
            "expired-password",
            "invalid_grant",
            50055,
        ),
        ("mfa@managed.test", "mfa-password", "invalid_grant", 50076),
        ("bob@federated.test", "bob-password", "invalid_grant", 50126),
    ];
    for (user, pw, err, code) in cases {
        let a = env.token(&ropc_pairs(user, pw)).await;
        assert_aad(&a, 400, err, *code);
    }
    let mfa = env
        .token(&ropc_pairs("mfa@managed.test", "mfa-password"))
        .await
        .json();
    assert_eq!(mfa["suberror"], "basic_action");
    let challenge: Value = serde_json::from_str(mfa["claims"].as_str().unwrap()).unwrap();
    assert!(challenge["access_token"].is_object());
    let exp = env
        .token(&ropc_pairs("expired@managed.test", "expired-password"))
        .await
        .json();
    assert_eq!(exp["suberror"], "user_password_expired");
    assert!(exp["password_change_url"].is_string());
}

#[tokio::test]
async fn app_level_errors_match_entra_codes() {
    let env = start().await;
    // 65001: scope not granted.
    let mut p = ropc_pairs("alice@managed.test", "alice-password");
    p[4] = ("scope", "https://unknown.example/Read openid");
    let a = env.token(&p).await;
    assert_aad(&a, 400, "invalid_grant", 65001);
    assert_eq!(a.json()["suberror"], "consent_required");
    // 70011: no scope.
    let mut p = ropc_pairs("alice@managed.test", "alice-password");
    p.remove(4);
    assert_aad(&env.token(&p).await, 400, "invalid_scope", 70011);
    // 700016: unknown app.
    let mut p = ropc_pairs("alice@managed.test", "alice-password");
    p[1] = ("client_id", "99999999-9999-9999-9999-999999999999");
    assert_aad(&env.token(&p).await, 400, "unauthorized_client", 700016);
    // 7000218: confidential app without credential doing ROPC.
    let mut p = ropc_pairs("alice@managed.test", "alice-password");
    p[1] = ("client_id", CONF);
    assert_aad(&env.token(&p).await, 401, "invalid_client", 7000218);
    // 90002 at the token endpoint.
    let a = env
        .post(
            "/nonexistent.example/oauth2/v2.0/token",
            &ropc_pairs("alice@managed.test", "x"),
        )
        .await;
    assert_aad(&a, 400, "invalid_request", 90002);
    // correlation id echoes client-request-id.
    let a = env
        .post_with(
            &env.token_path(),
            &ropc_pairs("alice@managed.test", "bad"),
            &[("client-request-id", "cid-1")],
        )
        .await;
    assert_eq!(a.json()["correlation_id"], "cid-1");
    assert_eq!(a.header("client-request-id").as_deref(), Some("cid-1"));
    assert_eq!(
        a.header("x-ms-request-id").unwrap(),
        a.json()["trace_id"].as_str().unwrap()
    );
}

#[tokio::test]
async fn client_credentials_with_secret_returns_app_token_only() {
    let env = start().await;
    let a = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", CONF),
            ("client_secret", SECRET),
            ("scope", "https://graph.microsoft.com/.default"),
            ("client_info", "1"),
        ])
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let v = a.json();
    for absent in ["scope", "refresh_token", "id_token", "client_info"] {
        assert!(v.get(absent).is_none(), "{absent} present: {v}");
    }
    let at = claims(v["access_token"].as_str().unwrap());
    assert_eq!(at["idtyp"], "app");
    assert_eq!(at["azp"], CONF);
    let bad = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", CONF),
            ("client_secret", "nope"),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .await;
    assert_aad(&bad, 401, "invalid_client", 7000215);
    let none = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", CONF),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .await;
    assert_aad(&none, 401, "invalid_client", 7000218);
    let scope = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", CONF),
            ("client_secret", SECRET),
            ("scope", "User.Read"),
        ])
        .await;
    assert_aad(&scope, 400, "invalid_scope", 1002012);
}

#[tokio::test]
async fn cae_capabilities_give_long_lived_token_with_xms_cc_and_refresh_in() {
    let env = start().await;
    let claims_param = r#"{"access_token": {"xms_cc": {"values": ["CP1"]}}}"#;
    let v = env
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", CONF),
            ("client_secret", SECRET),
            ("scope", "https://graph.microsoft.com/.default"),
            ("claims", claims_param),
        ])
        .await
        .json();
    assert_eq!(v["expires_in"], 86399);
    assert!(v["refresh_in"].is_u64());
    assert_eq!(
        claims(v["access_token"].as_str().unwrap())["xms_cc"],
        json!(["CP1"])
    );
}

fn assertion(env: &Env, alg: &str, key_pem: Option<&[u8]>) -> String {
    let info = env.emu.info();
    let app = info.apps.iter().find(|a| a.client_id == CONF).unwrap();
    let cert = X509::from_pem(&std::fs::read(app.certificate_pem_path.as_ref().unwrap()).unwrap())
        .unwrap();
    let own_key = std::fs::read(app.private_key_pem_path.as_ref().unwrap()).unwrap();
    let key = PKey::private_key_from_pem(key_pem.unwrap_or(&own_key)).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let aud = env.url(&env.token_path());
    let (header, payload) = if alg == "PS256" {
        let t = URL_SAFE.encode(cert.digest(MessageDigest::sha256()).unwrap());
        // .NET style: exp/nbf as strings, unpadded thumbprint is also fine; here padded.
        (
            json!({"alg": "PS256", "typ": "JWT", "x5t#S256": t}),
            json!({"aud": aud, "iss": CONF, "sub": CONF, "jti": "j", "nbf": format!("{}", now as u64), "exp": format!("{}", now as u64 + 600)}),
        )
    } else {
        let t = URL_SAFE.encode(cert.digest(MessageDigest::sha1()).unwrap());
        (
            json!({"alg": "RS256", "typ": "JWT", "x5t": t}),
            json!({"aud": aud, "iss": CONF, "sub": CONF, "jti": "j", "iat": now, "exp": now + 600.0}),
        )
    };
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string())
    );
    let mut s = Signer::new(MessageDigest::sha256(), &key).unwrap();
    if alg == "PS256" {
        s.set_rsa_padding(Padding::PKCS1_PSS).unwrap();
        s.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH).unwrap();
    }
    s.update(input.as_bytes()).unwrap();
    format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(s.sign_to_vec().unwrap())
    )
}

async fn cc_with_assertion(env: &Env, jwt: &str) -> Answer {
    env.token(&[
        ("grant_type", "client_credentials"),
        ("client_id", CONF),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", jwt),
        ("scope", "https://graph.microsoft.com/.default"),
    ])
    .await
}

#[tokio::test]
async fn client_assertion_rs256_and_ps256_accepted_wrong_key_rejected() {
    let env = start().await;
    for alg in ["RS256", "PS256"] {
        let a = cc_with_assertion(&env, &assertion(&env, alg, None)).await;
        assert_eq!(a.status, 200, "{alg}: {}", a.text);
        assert_eq!(
            claims(a.json()["access_token"].as_str().unwrap())["azpacr"],
            "2"
        );
    }
    let other = openssl::rsa::Rsa::generate(2048)
        .unwrap()
        .private_key_to_pem()
        .unwrap();
    let a = cc_with_assertion(&env, &assertion(&env, "RS256", Some(&other))).await;
    assert_aad(&a, 401, "invalid_client", 700027);
}

async fn authorize(env: &Env, query: &[(&str, &str)]) -> Answer {
    env.get(&format!("/{TENANT}/oauth2/v2.0/authorize?{}", form(query)))
        .await
}

fn location_params(a: &Answer) -> Vec<(String, String)> {
    let loc = a.header("location").expect("redirect");
    url::Url::parse(&loc)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param<'a>(p: &'a [(String, String)], k: &str) -> Option<&'a str> {
    p.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

#[tokio::test]
async fn auth_code_with_pkce_is_single_use_and_checks_verifier() {
    let env = start().await;
    let q = [
        ("client_id", PUBLIC),
        ("response_type", "code"),
        ("redirect_uri", "http://localhost:8400"),
        ("scope", GRAPH_USER_SCOPES),
        ("state", "st8"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("nonce", "n0nce"),
        ("client_info", "1"),
        ("login_hint", "alice@managed.test"),
    ];
    let a = authorize(&env, &q).await;
    assert_eq!(a.status, 302, "{}", a.text);
    let p = location_params(&a);
    assert_eq!(param(&p, "state"), Some("st8"));
    assert!(param(&p, "client_info").is_some() && param(&p, "session_state").is_some());
    let code = param(&p, "code").unwrap().to_string();
    let redeem = |verifier: &'static str, code: String| {
        let env = &env;
        async move {
            env.token(&[
                ("grant_type", "authorization_code"),
                ("client_id", PUBLIC),
                ("code", &code),
                ("redirect_uri", "http://localhost:8400"),
                ("scope", GRAPH_USER_SCOPES),
                ("code_verifier", verifier),
                ("client_info", "1"),
            ])
            .await
        }
    };
    assert_aad(
        &redeem("wrong-verifier", code.clone()).await,
        400,
        "invalid_grant",
        501481,
    );
    let ok = redeem(VERIFIER, code.clone()).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(
        claims(ok.json()["id_token"].as_str().unwrap())["nonce"],
        "n0nce"
    );
    assert_aad(&redeem(VERIFIER, code).await, 400, "invalid_grant", 54005);
    assert_aad(
        &redeem(VERIFIER, "garbage".into()).await,
        400,
        "invalid_grant",
        9002313,
    );
}

#[tokio::test]
async fn authorize_checks_redirect_and_supports_form_post_and_prompt_none() {
    let env = start().await;
    let base = |redirect: &'static str| {
        vec![
            ("client_id", PUBLIC),
            ("response_type", "code"),
            ("redirect_uri", redirect),
            ("scope", "openid profile"),
        ]
    };
    let bad = authorize(&env, &base("https://evil.example/cb")).await;
    assert_eq!(bad.status, 400);
    assert!(bad.text.contains("AADSTS50011"));
    let mut q = base("http://localhost:1234");
    q.push(("prompt", "none"));
    q.push(("state", "s"));
    let p = location_params(&authorize(&env, &q).await);
    assert_eq!(param(&p, "error"), Some("login_required"));
    assert_eq!(param(&p, "state"), Some("s"));
    let mut q = base("http://localhost:1234");
    q.push(("response_mode", "form_post"));
    q.push(("login_hint", "alice@managed.test"));
    let a = authorize(&env, &q).await;
    assert_eq!(a.status, 200);
    assert!(
        a.text.contains("name=\"code\"") && a.text.contains("action=\"http://localhost:1234\"")
    );
    // No hint: the sign-in form.
    let form_page = authorize(&env, &base("http://localhost:1234")).await;
    assert_eq!(form_page.status, 200);
    assert!(form_page.text.contains("login_password"));
}

#[tokio::test]
async fn device_code_states_pending_approved_declined_expired_bad() {
    let env = start().await;
    let dc = env
        .post(
            &format!("/{TENANT}/oauth2/v2.0/devicecode"),
            &[("client_id", PUBLIC), ("scope", GRAPH_USER_SCOPES)],
        )
        .await
        .json();
    let user_code = dc["user_code"].as_str().unwrap().to_string();
    assert_eq!(user_code.len(), 9);
    assert_eq!(dc["expires_in"], 900);
    assert_eq!(dc["interval"], 5);
    assert_eq!(dc["verification_uri"], env.url("/devicelogin"));
    assert!(dc["message"].as_str().unwrap().contains(&user_code));
    let device_code = dc["device_code"].as_str().unwrap().to_string();
    let poll = |grant: &'static str, code: String| {
        let env = &env;
        async move {
            env.token(&[
                ("grant_type", grant),
                ("client_id", PUBLIC),
                ("device_code", &code),
                ("code", &code),
            ])
            .await
        }
    };
    let long = "urn:ietf:params:oauth:grant-type:device_code";
    assert_aad(
        &poll(long, device_code.clone()).await,
        400,
        "authorization_pending",
        70016,
    );
    env.emu
        .approve_device_code(&user_code, "alice@managed.test")
        .unwrap();
    let ok = poll("device_code", device_code.clone()).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert!(ok.json()["refresh_token"].is_string());
    assert_eq!(
        poll(long, device_code).await.json()["error"],
        "bad_verification_code"
    );

    for (action, error) in [
        ("deny", "authorization_declined"),
        ("expire", "expired_token"),
    ] {
        let dc = env
            .post(
                &format!("/{TENANT}/oauth2/v2.0/devicecode"),
                &[("client_id", PUBLIC), ("scope", GRAPH_USER_SCOPES)],
            )
            .await
            .json();
        let uc = dc["user_code"].as_str().unwrap();
        // Through the admin HTTP endpoint this time.
        let r = env
            .post(&format!("/_emulator/device/{action}"), &[("user_code", uc)])
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let a = poll(long, dc["device_code"].as_str().unwrap().to_string()).await;
        assert_eq!(a.status, 400);
        assert_eq!(a.json()["error"], error);
    }
    assert!(
        env.emu
            .approve_device_code("NOSUCHCOD", "alice@managed.test")
            .is_err()
    );
}

#[tokio::test]
async fn auto_approve_succeeds_on_second_poll() {
    let env = start_with(entra_emulator::StartOptions {
        auto_approve_device_codes: true,
        ..Default::default()
    })
    .await;
    let dc = env
        .post(
            &format!("/{TENANT}/oauth2/v2.0/devicecode"),
            &[("client_id", PUBLIC), ("scope", GRAPH_USER_SCOPES)],
        )
        .await
        .json();
    let code = dc["device_code"].as_str().unwrap();
    let p = [
        ("grant_type", "device_code"),
        ("client_id", PUBLIC),
        ("device_code", code),
    ];
    assert_eq!(env.token(&p).await.json()["error"], "authorization_pending");
    let ok = env.token(&p).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(
        claims(ok.json()["id_token"].as_str().unwrap())["preferred_username"],
        "alice@managed.test"
    );
}

async fn refresh(env: &Env, client_id: &str, rt: &str) -> Answer {
    env.token(&[
        ("grant_type", "refresh_token"),
        ("client_id", client_id),
        ("refresh_token", rt),
        ("scope", GRAPH_USER_SCOPES),
        ("client_info", "1"),
    ])
    .await
}

#[tokio::test]
async fn refresh_rotates_and_old_token_stays_valid_until_revoked_or_expired() {
    let env = start().await;
    let rt1 = env.ropc(PUBLIC, GRAPH_USER_SCOPES).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let a = refresh(&env, PUBLIC, &rt1).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let rt2 = a.json()["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(rt1, rt2);
    assert_eq!(
        refresh(&env, PUBLIC, &rt1).await.status,
        200,
        "Entra keeps used RTs valid"
    );
    assert_eq!(env.emu.revoke_refresh_tokens("alice@managed.test"), 3);
    assert_aad(
        &refresh(&env, PUBLIC, &rt2).await,
        400,
        "invalid_grant",
        50173,
    );
    let rt3 = env.ropc(PUBLIC, GRAPH_USER_SCOPES).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    env.emu.expire_refresh_tokens();
    assert_aad(
        &refresh(&env, PUBLIC, &rt3).await,
        400,
        "invalid_grant",
        700082,
    );
}

#[tokio::test]
async fn foci_family_token_serves_family_members_and_rejects_others() {
    let env = start().await;
    let v = env.ropc(FAM_A, GRAPH_USER_SCOPES).await;
    assert_eq!(v["foci"], "1");
    let rt = v["refresh_token"].as_str().unwrap();
    let b = refresh(&env, FAM_B, rt).await;
    assert_eq!(b.status, 200, "{}", b.text);
    assert_eq!(claims(b.json()["id_token"].as_str().unwrap())["aud"], FAM_B);
    let other = refresh(&env, PUBLIC, rt).await;
    assert_eq!(other.status, 400);
    let e = other.json();
    assert_eq!(e["error"], "invalid_grant");
    assert_eq!(e["suberror"], "client_mismatch");
    assert_eq!(e["error_additional_info"], json!(["client_mismatch"]));
}

#[tokio::test]
async fn on_behalf_of_checks_signature_and_audience() {
    let env = start().await;
    let api_scope = format!("api://{API}/access_as_user offline_access openid profile");
    let incoming = env.ropc(PUBLIC, &api_scope).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let obo = |client: &'static str, assertion: String| {
        let env = &env;
        async move {
            env.token(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("client_id", client),
                ("client_secret", SECRET),
                ("requested_token_use", "on_behalf_of"),
                ("assertion", &assertion),
                ("scope", GRAPH_USER_SCOPES),
                ("client_info", "1"),
            ])
            .await
        }
    };
    for middle in [API, CONF] {
        let ok = obo(middle, incoming.clone()).await;
        assert_eq!(ok.status, 200, "{middle}: {}", ok.text);
        let at = claims(ok.json()["access_token"].as_str().unwrap());
        assert_eq!(at["aud"], "https://graph.microsoft.com");
        assert_eq!(at["azp"], middle);
        assert_eq!(at["preferred_username"], "alice@managed.test");
    }
    // Token for Graph presented to the API: wrong audience.
    let graph_token = env.ropc(PUBLIC, GRAPH_USER_SCOPES).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_aad(&obo(API, graph_token).await, 400, "invalid_grant", 500131);
    let mut tampered = incoming.clone();
    tampered.truncate(incoming.len() - 4);
    tampered.push_str("AAAA");
    assert_aad(&obo(API, tampered).await, 400, "invalid_grant", 50013);
}

#[tokio::test]
async fn federated_user_via_wstrust_and_saml_grant() {
    let env = start().await;
    let endpoint = env.url("/adfs/services/trust/13/usernamemixed");
    let rst = format!(
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://www.w3.org/2005/08/addressing"><s:Header>
<wsa:Action s:mustUnderstand="1">http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue</wsa:Action><wsa:To s:mustUnderstand="1">{endpoint}</wsa:To>
<wsse:Security s:mustUnderstand="1" xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">
<wsse:UsernameToken><wsse:Username>bob@federated.test</wsse:Username><wsse:Password>bob-password</wsse:Password></wsse:UsernameToken></wsse:Security></s:Header>
<s:Body><wst:RequestSecurityToken xmlns:wst="http://docs.oasis-open.org/ws-sx/ws-trust/200512"><wsp:AppliesTo xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy"><wsa:EndpointReference><wsa:Address>urn:federation:MicrosoftOnline</wsa:Address></wsa:EndpointReference></wsp:AppliesTo>
<wst:KeyType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/Bearer</wst:KeyType><wst:RequestType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue</wst:RequestType></wst:RequestSecurityToken></s:Body></s:Envelope>"#
    );
    let r = env
        .http
        .post(&endpoint)
        .header("content-type", "application/soap+xml; charset=utf-8")
        .body(rst)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let text = r.text().await.unwrap();
    let start = text.find("<saml:Assertion").expect("assertion in RSTR");
    let end = text.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    let assertion = URL_SAFE_NO_PAD.encode(&text[start..end]);
    let a = env
        .token(&[
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:saml1_1-bearer",
            ),
            ("client_id", PUBLIC),
            ("assertion", &assertion),
            ("scope", GRAPH_USER_SCOPES),
            ("client_info", "1"),
        ])
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        claims(a.json()["id_token"].as_str().unwrap())["preferred_username"],
        "bob@federated.test"
    );
    let bad = env
        .token(&[
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:saml1_1-bearer",
            ),
            ("client_id", PUBLIC),
            ("assertion", "PHNhbWw+"),
            ("scope", GRAPH_USER_SCOPES),
        ])
        .await;
    assert_aad(&bad, 400, "invalid_grant", 50008);
}

#[tokio::test]
async fn fast_polling_gets_slow_down_when_enabled() {
    let config = entra_emulator::EmulatorConfig {
        device_code_slow_down: true,
        ..Default::default()
    };
    let env = start_with(entra_emulator::StartOptions {
        config,
        ..Default::default()
    })
    .await;
    let dc = env
        .post(
            &format!("/{TENANT}/oauth2/v2.0/devicecode"),
            &[("client_id", PUBLIC), ("scope", GRAPH_USER_SCOPES)],
        )
        .await
        .json();
    let p = [
        ("grant_type", "device_code"),
        ("client_id", PUBLIC),
        ("device_code", dc["device_code"].as_str().unwrap()),
    ];
    assert_eq!(env.token(&p).await.json()["error"], "authorization_pending");
    assert_eq!(env.token(&p).await.json()["error"], "slow_down");
}

#[tokio::test]
async fn devicelogin_page_signs_in_with_password() {
    let env = start().await;
    assert!(env.get("/devicelogin").await.text.contains("user_code"));
    let dc = env
        .post(
            &format!("/{TENANT}/oauth2/v2.0/devicecode"),
            &[("client_id", PUBLIC), ("scope", GRAPH_USER_SCOPES)],
        )
        .await
        .json();
    let uc = dc["user_code"].as_str().unwrap();
    let wrong = env
        .post(
            "/devicelogin",
            &[
                ("user_code", uc),
                ("username", "alice@managed.test"),
                ("password", "nope"),
                ("action", "approve"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 400);
    let ok = env
        .post(
            "/devicelogin",
            &[
                ("user_code", &uc.to_lowercase()),
                ("username", "alice@managed.test"),
                ("password", "alice-password"),
                ("action", "approve"),
            ],
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let p = [
        ("grant_type", "device_code"),
        ("client_id", PUBLIC),
        ("device_code", dc["device_code"].as_str().unwrap()),
    ];
    assert_eq!(env.token(&p).await.status, 200);
}

#[tokio::test]
async fn client_secret_basic_authenticates_confidential_client() {
    let env = start().await;
    let user = url::form_urlencoded::byte_serialize(CONF.as_bytes()).collect::<String>();
    let pass = url::form_urlencoded::byte_serialize(SECRET.as_bytes()).collect::<String>();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    );
    let pairs = [
        ("grant_type", "client_credentials"),
        ("scope", "https://graph.microsoft.com/.default"),
    ];
    let ok = env
        .post_with(&env.token_path(), &pairs, &[("Authorization", &basic)])
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let bad = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:wrong"))
    );
    assert_aad(
        &env.post_with(&env.token_path(), &pairs, &[("Authorization", &bad)])
            .await,
        401,
        "invalid_client",
        7000215,
    );
}

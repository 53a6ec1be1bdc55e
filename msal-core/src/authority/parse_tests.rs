//! Table tests of authority parsing: every accepted form and every rejection.

use crate::ErrorKind;
use crate::authority::{Authority, AuthorityKind, ParseOptions, TenantKind};

const GUID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

struct Case {
    input: &'static str,
    kind: AuthorityKind,
    host: &'static str,
    tenant: &'static str,
    url: &'static str,
    discovery: &'static str,
    token: Option<&'static str>,
}

fn accepted_cases() -> Vec<Case> {
    use AuthorityKind::*;
    vec![
        Case {
            input: "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47",
            kind: Entra,
            host: "login.microsoftonline.com",
            tenant: GUID,
            url: "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/",
            discovery: "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0/.well-known/openid-configuration",
            token: Some(
                "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token",
            ),
        },
        Case {
            input: "  https://LOGIN.MicrosoftOnline.COM/Contoso.onmicrosoft.com/  ",
            kind: Entra,
            host: "login.microsoftonline.com",
            tenant: "Contoso.onmicrosoft.com",
            url: "https://login.microsoftonline.com/Contoso.onmicrosoft.com/",
            discovery: "https://login.microsoftonline.com/Contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration",
            token: Some(
                "https://login.microsoftonline.com/Contoso.onmicrosoft.com/oauth2/v2.0/token",
            ),
        },
        Case {
            input: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
            kind: Entra,
            host: "login.microsoftonline.com",
            tenant: "common",
            url: "https://login.microsoftonline.com/common/",
            discovery: "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration",
            token: Some("https://login.microsoftonline.com/common/oauth2/v2.0/token"),
        },
        Case {
            input: "https://127.0.0.1:8443/aaaabbbb-0000-cccc-1111-dddd2222eeee",
            kind: Entra,
            host: "127.0.0.1",
            tenant: "aaaabbbb-0000-cccc-1111-dddd2222eeee",
            url: "https://127.0.0.1:8443/aaaabbbb-0000-cccc-1111-dddd2222eeee/",
            discovery: "https://127.0.0.1:8443/aaaabbbb-0000-cccc-1111-dddd2222eeee/v2.0/.well-known/openid-configuration",
            token: Some(
                "https://127.0.0.1:8443/aaaabbbb-0000-cccc-1111-dddd2222eeee/oauth2/v2.0/token",
            ),
        },
        Case {
            input: "https://[::1]:8443/common",
            kind: Entra,
            host: "[::1]",
            tenant: "common",
            url: "https://[::1]:8443/common/",
            discovery: "https://[::1]:8443/common/v2.0/.well-known/openid-configuration",
            token: Some("https://[::1]:8443/common/oauth2/v2.0/token"),
        },
        Case {
            input: "https://login.microsoftonline.com:443/organizations",
            kind: Entra,
            host: "login.microsoftonline.com",
            tenant: "organizations",
            url: "https://login.microsoftonline.com/organizations/",
            discovery: "https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration",
            token: Some("https://login.microsoftonline.com/organizations/oauth2/v2.0/token"),
        },
        Case {
            input: "https://ADFS.contoso.com/ADFS/",
            kind: Adfs,
            host: "adfs.contoso.com",
            tenant: "adfs",
            url: "https://adfs.contoso.com/adfs/",
            discovery: "https://adfs.contoso.com/adfs/.well-known/openid-configuration",
            token: Some("https://adfs.contoso.com/adfs/oauth2/token"),
        },
        Case {
            input: "https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_SignUpSignIn",
            kind: B2c,
            host: "contoso.b2clogin.com",
            tenant: "contoso.onmicrosoft.com",
            url: "https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_SignUpSignIn/",
            discovery: "https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_SignUpSignIn/v2.0/.well-known/openid-configuration",
            token: Some(
                "https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_SignUpSignIn/oauth2/v2.0/token",
            ),
        },
        Case {
            input: "https://contoso.b2clogin.cn/contoso.partner.onmschina.cn/custom_policy",
            kind: B2c,
            host: "contoso.b2clogin.cn",
            tenant: "contoso.partner.onmschina.cn",
            url: "https://contoso.b2clogin.cn/contoso.partner.onmschina.cn/custom_policy/",
            discovery: "https://contoso.b2clogin.cn/contoso.partner.onmschina.cn/custom_policy/v2.0/.well-known/openid-configuration",
            token: Some(
                "https://contoso.b2clogin.cn/contoso.partner.onmschina.cn/custom_policy/oauth2/v2.0/token",
            ),
        },
        Case {
            input: "https://login.contoso.com/contoso.onmicrosoft.com/B2C_1A_signin",
            kind: B2c,
            host: "login.contoso.com",
            tenant: "contoso.onmicrosoft.com",
            url: "https://login.contoso.com/contoso.onmicrosoft.com/B2C_1A_signin/",
            discovery: "https://login.contoso.com/contoso.onmicrosoft.com/B2C_1A_signin/v2.0/.well-known/openid-configuration",
            token: Some(
                "https://login.contoso.com/contoso.onmicrosoft.com/B2C_1A_signin/oauth2/v2.0/token",
            ),
        },
        Case {
            input: "https://contoso.ciamlogin.com",
            kind: Ciam,
            host: "contoso.ciamlogin.com",
            tenant: "contoso.onmicrosoft.com",
            url: "https://contoso.ciamlogin.com/contoso.onmicrosoft.com/",
            discovery: "https://contoso.ciamlogin.com/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration",
            token: Some("https://contoso.ciamlogin.com/contoso.onmicrosoft.com/oauth2/v2.0/token"),
        },
        Case {
            input: "https://contoso.ciamlogin.com/72f988bf-86f1-41af-91ab-2d7cd011db47",
            kind: Ciam,
            host: "contoso.ciamlogin.com",
            tenant: GUID,
            url: "https://contoso.ciamlogin.com/72f988bf-86f1-41af-91ab-2d7cd011db47/",
            discovery: "https://contoso.ciamlogin.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0/.well-known/openid-configuration",
            token: Some(
                "https://contoso.ciamlogin.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token",
            ),
        },
        Case {
            input: "https://dsts.core.windows.net/dstsv2/7a433bfc-2514-4697-b467-e0933190487f",
            kind: Dsts,
            host: "dsts.core.windows.net",
            tenant: "7a433bfc-2514-4697-b467-e0933190487f",
            url: "https://dsts.core.windows.net/dstsv2/7a433bfc-2514-4697-b467-e0933190487f/",
            discovery: "https://dsts.core.windows.net/dstsv2/7a433bfc-2514-4697-b467-e0933190487f/v2.0/.well-known/openid-configuration",
            token: Some(
                "https://dsts.core.windows.net/dstsv2/7a433bfc-2514-4697-b467-e0933190487f/oauth2/v2.0/token",
            ),
        },
    ]
}

#[test]
fn parse_classifies_every_accepted_form() {
    for case in accepted_cases() {
        let a = Authority::parse(case.input)
            .unwrap_or_else(|e| panic!("{} should parse: {e}", case.input));
        assert_eq!(a.kind(), case.kind, "{}", case.input);
        assert_eq!(a.host(), case.host, "{}", case.input);
        assert_eq!(a.tenant(), case.tenant, "{}", case.input);
        assert_eq!(a.to_string(), case.url, "{}", case.input);
        assert_eq!(a.discovery_url().as_str(), case.discovery, "{}", case.input);
        assert_eq!(
            a.token_endpoint().as_ref().map(url::Url::as_str),
            case.token,
            "{}",
            case.input
        );
        assert_eq!(a.scheme(), "https");
    }
}

#[test]
fn parse_keeps_a_non_default_port_in_every_url() {
    let a = Authority::parse("https://127.0.0.1:8443/nonexistent").expect("parses");
    assert_eq!(a.port(), Some(8443));
    assert_eq!(a.host_with_port(), "127.0.0.1:8443");
    assert_eq!(
        a.authorization_endpoint().expect("entra").as_str(),
        "https://127.0.0.1:8443/nonexistent/oauth2/v2.0/authorize"
    );
    assert_eq!(
        a.device_code_endpoint().expect("entra").as_str(),
        "https://127.0.0.1:8443/nonexistent/oauth2/v2.0/devicecode"
    );
    let default_port = Authority::parse("https://login.microsoftonline.com/common").expect("ok");
    assert_eq!(default_port.port(), None);
    assert_eq!(default_port.host_with_port(), "login.microsoftonline.com");
}

#[test]
fn tenant_kind_and_multi_tenant_follow_the_tenant_segment() {
    let cases = [
        (
            "https://login.microsoftonline.com/common",
            TenantKind::Common,
            true,
        ),
        (
            "https://login.microsoftonline.com/Organizations",
            TenantKind::Organizations,
            true,
        ),
        (
            "https://login.microsoftonline.com/consumers",
            TenantKind::Consumers,
            true,
        ),
        (
            "https://login.microsoftonline.com/contoso.com",
            TenantKind::Domain,
            false,
        ),
        (
            "https://login.microsoftonline.com/nonexistent",
            TenantKind::Domain,
            false,
        ),
        (
            "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47",
            TenantKind::Id,
            false,
        ),
    ];
    for (input, kind, multi) in cases {
        let a = Authority::parse(input).expect("parses");
        assert_eq!(a.tenant_kind(), Some(kind), "{input}");
        assert_eq!(a.is_multi_tenant(), multi, "{input}");
    }
    let adfs = Authority::parse("https://adfs.contoso.com/adfs").expect("parses");
    assert_eq!(adfs.tenant_kind(), None);
    assert!(!adfs.is_multi_tenant());
}

#[test]
fn b2c_keeps_the_policy_as_typed() {
    let a = Authority::parse("https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_SignIn")
        .expect("parses");
    assert_eq!(a.policy(), Some("B2C_1_SignIn"));
}

#[test]
fn oidc_issuer_discovery_appends_well_known_to_the_issuer_path() {
    let a = Authority::oidc("https://127.0.0.1:8443/aaaabbbb-0000-cccc-1111-dddd2222eeee")
        .expect("parses");
    assert_eq!(a.kind(), AuthorityKind::Oidc);
    assert_eq!(a.tenant(), "aaaabbbb-0000-cccc-1111-dddd2222eeee");
    assert_eq!(
        a.discovery_url().as_str(),
        "https://127.0.0.1:8443/aaaabbbb-0000-cccc-1111-dddd2222eeee/.well-known/openid-configuration"
    );
    assert_eq!(a.token_endpoint(), None);
    let root = Authority::oidc("https://accounts.example.com").expect("parses");
    assert_eq!(root.tenant(), "");
    assert_eq!(
        root.discovery_url().as_str(),
        "https://accounts.example.com/.well-known/openid-configuration"
    );
    assert_eq!(root.to_string(), "https://accounts.example.com/");
}

#[test]
fn parse_rejects_every_malformed_or_unsafe_form() {
    let rejected = [
        ("", "empty"),
        ("   ", "empty"),
        ("not a url", "no scheme"),
        ("login.microsoftonline.com/common", "no scheme"),
        ("http://login.microsoftonline.com/common", "require https"),
        ("http://127.0.0.1:8443/common", "allow_loopback_http"),
        ("ftp://login.microsoftonline.com/common", "scheme 'ftp'"),
        ("file:///etc/passwd", "scheme 'file'"),
        ("https://", "not a valid absolute URL"),
        // WHATWG URL parsing reads "common" as the host here.
        ("https:///common", "has no tenant"),
        ("https://login.microsoftonline.com", "has no tenant"),
        ("https://login.microsoftonline.com/", "has no tenant"),
        (
            "https://login.microsoftonline.com/common?x=1",
            "query or fragment",
        ),
        (
            "https://login.microsoftonline.com/common#frag",
            "query or fragment",
        ),
        (
            "https://user:pw@login.microsoftonline.com/common",
            "user name or password",
        ),
        ("https://login.microsoftonline.com/con%2Ftoso", "not valid"),
        ("https://login.microsoftonline.com/ten'ant", "not valid"),
        (
            "https://contoso.b2clogin.com/contoso.onmicrosoft.com",
            "tenant and a policy",
        ),
        ("https://contoso.b2clogin.com", "tenant and a policy"),
        ("https://dsts.core.windows.net/dstsv2", "dSTS"),
        ("https://bad host/common", "not a valid absolute URL"),
        ("https://300.1.1.1/common", "not a valid absolute URL"),
        (
            "https://login.microsoftonline.com/com\nmon",
            "control characters",
        ),
        (
            "https://login.microsoft\tonline.com/common",
            "control characters",
        ),
    ];
    for (input, fragment) in rejected {
        let err = Authority::parse(input).expect_err(input);
        assert_eq!(err.kind(), ErrorKind::InvalidAuthority, "{input}");
        assert!(
            err.message().contains(fragment),
            "{input}: message '{}' should contain '{fragment}'",
            err.message()
        );
    }
}

#[test]
fn rejection_messages_never_echo_credentials() {
    let err = Authority::parse("https://alice:hunter2@login.microsoftonline.com/common")
        .expect_err("credentials are rejected");
    assert!(!err.to_string().contains("hunter2"));
    let err = Authority::parse("https://alice:hunter2@bad host/common").expect_err("bad host");
    assert!(!err.to_string().contains("hunter2"));
}

#[test]
fn loopback_http_needs_the_opt_in_and_a_loopback_host() {
    let opt_in = ParseOptions::new().allow_loopback_http(true);
    for ok in [
        "http://127.0.0.1/common",
        "http://localhost:8080/tenant",
        "http://LOCALHOST/t",
    ] {
        let a = Authority::parse_with(ok, &opt_in).expect(ok);
        assert_eq!(a.scheme(), "http");
        assert!(a.is_loopback());
    }
    assert_eq!(
        Authority::parse_with("http://127.0.0.1:8080/t", &opt_in)
            .expect("ok")
            .to_string(),
        "http://127.0.0.1:8080/t/"
    );
    for bad in [
        "http://example.com/common",
        "http://127.0.0.2/common",
        "http://[::1]/common",
        "http://localhost.evil.com/common",
    ] {
        let err = Authority::parse_with(bad, &opt_in).expect_err(bad);
        assert_eq!(err.kind(), ErrorKind::InvalidAuthority);
        assert!(
            err.message().contains("only for 127.0.0.1 and localhost"),
            "{bad}"
        );
    }
    let oidc = Authority::oidc_with("http://localhost:9000/issuer", &opt_in).expect("oidc");
    assert_eq!(oidc.scheme(), "http");
    assert!(Authority::oidc("http://localhost:9000/issuer").is_err());
}

#[test]
fn authority_round_trips_through_from_str_and_compares_by_value() {
    let a: Authority = "https://login.microsoftonline.com/common"
        .parse()
        .expect("ok");
    let b = Authority::parse("https://LOGIN.microsoftonline.com/common/").expect("ok");
    assert_eq!(a, b);
    let c = Authority::parse("https://login.microsoftonline.com/Common").expect("ok");
    assert_ne!(a, c, "the tenant is kept as typed");
    assert!(format!("{a:?}").contains("https://login.microsoftonline.com/common/"));
}

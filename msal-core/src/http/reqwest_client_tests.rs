//! Tests of the reqwest client against local servers (mockito, raw TCP).

use std::sync::Arc;

use mockito::{Matcher, Server};
use tokio::net::TcpListener;

use super::*;
use crate::http::{Pipeline, PipelineOptions, RequestContext};

fn client(options: HttpOptions) -> ReqwestHttpClient {
    ReqwestHttpClient::with_options(options.use_system_proxy(false)).unwrap()
}

fn url(base: &str, path: &str) -> Url {
    Url::parse(&format!("{base}{path}")).unwrap()
}

const TOKEN_PATH: &str = "/aaaabbbb-0000-cccc-1111-dddd2222eeee/oauth2/v2.0/token";
const CORRELATION_ID: &str = "1d361ebd-93c6-4b93-a19a-268656a0457b";
/// The form body MSAL Python 1.39 sent (wire/msal_ropc_managed.json, token POST).
const ROPC_BODY: &str = "client_id=11111111-1111-1111-1111-111111111111&grant_type=password\
&client_info=1&username=alice%40managed.test&password=alice-password\
&scope=https%3A%2F%2Fgraph.microsoft.com%2FUser.Read+offline_access+openid+profile";

#[tokio::test]
async fn the_ropc_token_post_reaches_the_server_as_msal_python_sent_it() {
    let mut server = Server::new_async().await;
    let mock = server
        .mock("POST", TOKEN_PATH)
        .match_header("content-type", "application/x-www-form-urlencoded")
        .match_header("accept", "application/json")
        .match_header("x-client-sku", "MSAL.Rust")
        .match_header("x-client-ver", env!("CARGO_PKG_VERSION"))
        .match_header("x-client-os", std::env::consts::OS)
        .match_header("x-ms-lib-capability", "retry-after, h429")
        .match_header("client-request-id", CORRELATION_ID)
        .match_header("content-length", ROPC_BODY.len().to_string().as_str())
        .match_body(Matcher::Exact(ROPC_BODY.to_owned()))
        .with_status(200)
        .with_header("x-ms-request-id", "trace-1")
        .with_body(r#"{"token_type":"Bearer"}"#)
        .create_async()
        .await;
    let pairs = [
        ("client_id", "11111111-1111-1111-1111-111111111111"),
        ("grant_type", "password"),
        ("client_info", "1"),
        ("username", "alice@managed.test"),
        ("password", "alice-password"),
        (
            "scope",
            "https://graph.microsoft.com/User.Read offline_access openid profile",
        ),
    ];
    let request = HttpRequest::post_form(url(&server.url(), TOKEN_PATH), pairs);
    let options = PipelineOptions::default().retry_delay(Duration::ZERO);
    let pipeline = Pipeline::with_options(Arc::new(client(HttpOptions::default())), options);

    let response = pipeline
        .send(request, &RequestContext::new(CORRELATION_ID))
        .await
        .unwrap();

    mock.assert_async().await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("X-MS-Request-Id"), Some("trace-1"));
    assert_eq!(response.body, br#"{"token_type":"Bearer"}"#);
}

#[tokio::test]
async fn error_statuses_come_back_as_answers() {
    let mut server = Server::new_async().await;
    let _mock = server
        .mock("GET", "/x")
        .with_status(503)
        .with_header("Retry-After", "7")
        .with_body("busy")
        .create_async()
        .await;
    let response = client(HttpOptions::default())
        .execute(HttpRequest::get(url(&server.url(), "/x")))
        .await
        .unwrap();
    assert_eq!(response.status, 503);
    assert_eq!(response.header("retry-after"), Some("7"));
    assert_eq!(response.body, b"busy");
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_malformed_response() {
    let mut server = Server::new_async().await;
    let _sized = server
        .mock("GET", "/sized")
        .with_body(vec![b'a'; 2048])
        .create_async()
        .await;
    let _chunked = server
        .mock("GET", "/chunked")
        .with_chunked_body(|w| {
            for _ in 0..8 {
                w.write_all(&[b'b'; 512])?;
            }
            Ok(())
        })
        .create_async()
        .await;
    let client = client(HttpOptions::default().max_response_size(1024));
    for path in ["/sized", "/chunked"] {
        let err = client
            .execute(HttpRequest::get(url(&server.url(), path)))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MalformedResponse, "{path}");
        assert!(err.message().contains("1024"), "{}", err.message());
    }
}

#[tokio::test]
async fn a_body_at_the_limit_is_accepted() {
    let mut server = Server::new_async().await;
    let _mock = server
        .mock("GET", "/x")
        .with_body(vec![b'a'; 1024])
        .create_async()
        .await;
    let client = client(HttpOptions::default().max_response_size(1024));
    let response = client
        .execute(HttpRequest::get(url(&server.url(), "/x")))
        .await
        .unwrap();
    assert_eq!(response.body.len(), 1024);
}

#[tokio::test]
async fn a_server_that_never_answers_gives_a_timeout_naming_the_host_not_the_query() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            held.push(socket);
        }
    });
    let client = client(HttpOptions::default().timeout(Duration::from_millis(300)));
    let target = url(
        &format!("http://{addr}"),
        "/t?login_hint=alice%40contoso.test",
    );
    let err = client.execute(HttpRequest::get(target)).await.unwrap_err();
    silent.abort();

    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(
        err.message().contains(&addr.to_string()),
        "{}",
        err.message()
    );
    let everything = format!("{err:?} {err}");
    assert!(!everything.contains("alice"), "{everything}");
    assert!(std::error::Error::source(&err).is_some());
}

#[tokio::test]
async fn a_refused_connection_gives_a_transport_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = client(HttpOptions::default())
        .execute(HttpRequest::get(url(&format!("http://{addr}"), "/")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert!(
        err.message().contains(&addr.to_string()),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn redirects_are_returned_not_followed() {
    let mut server = Server::new_async().await;
    let elsewhere = format!("{}/elsewhere", server.url());
    let redirect = server
        .mock("POST", "/token")
        .with_status(307)
        .with_header("Location", &elsewhere)
        .create_async()
        .await;
    let target = server
        .mock("POST", "/elsewhere")
        .expect(0)
        .create_async()
        .await;
    let request = HttpRequest::post_form(url(&server.url(), "/token"), [("code", "abc")]);
    let response = client(HttpOptions::default())
        .execute(request)
        .await
        .unwrap();
    assert_eq!(response.status, 307);
    assert_eq!(response.header("location"), Some(elsewhere.as_str()));
    redirect.assert_async().await;
    target.assert_async().await;
}

#[test]
fn an_invalid_extra_ca_is_a_crypto_error() {
    for pem in [
        &b"not a certificate"[..],
        b"",
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    ] {
        let err =
            ReqwestHttpClient::with_options(HttpOptions::default().extra_ca_pem(pem)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Crypto);
    }
}

#[tokio::test]
async fn the_extra_ca_is_trusted_and_without_it_tls_fails_as_transport() {
    let (cert_pem, key_pem) = self_signed_ca();
    let port = serve_tls_once_per_connection(&cert_pem, &key_pem, 2);
    let target = url(&format!("https://127.0.0.1:{port}"), "/ok");

    let err = client(HttpOptions::default())
        .execute(HttpRequest::get(target.clone()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);

    let options = HttpOptions::default().extra_ca_pem(cert_pem.clone());
    assert!(format!("{options:?}").contains(&cert_pem.len().to_string()));
    let response = client(options)
        .execute(HttpRequest::get(target))
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.body, b"ok");
}

/// A TLS server on a thread answering `200 ok` on each of `connections` connections.
fn serve_tls_once_per_connection(cert_pem: &[u8], key_pem: &[u8], connections: usize) -> u16 {
    use openssl::pkey::PKey;
    use openssl::ssl::{SslAcceptor, SslMethod};
    use openssl::x509::X509;
    use std::io::{Read, Write};

    let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).unwrap();
    acceptor
        .set_private_key(&PKey::private_key_from_pem(key_pem).unwrap())
        .unwrap();
    acceptor
        .set_certificate(&X509::from_pem(cert_pem).unwrap())
        .unwrap();
    let acceptor = acceptor.build();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(connections) {
            let Ok(mut tls) = acceptor.accept(stream.unwrap()) else {
                continue; // the client refused our certificate
            };
            let mut buf = [0u8; 4096];
            let _ = tls.read(&mut buf);
            let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
            let _ = tls.write_all(answer);
            let _ = tls.shutdown();
        }
    });
    port
}

/// A self-signed CA certificate for 127.0.0.1, and its key, in PEM.
fn self_signed_ca() -> (Vec<u8>, Vec<u8>) {
    use openssl::asn1::Asn1Time;
    use openssl::bn::BigNum;
    use openssl::ec::{EcGroup, EcKey};
    use openssl::hash::MessageDigest;
    use openssl::nid::Nid;
    use openssl::pkey::PKey;
    use openssl::x509::extension::{BasicConstraints, SubjectAlternativeName};
    use openssl::x509::{X509, X509NameBuilder};

    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "127.0.0.1").unwrap();
    let name = name.build();
    let mut cert = X509::builder().unwrap();
    cert.set_version(2).unwrap();
    let serial = BigNum::from_u32(1).unwrap().to_asn1_integer().unwrap();
    cert.set_serial_number(&serial).unwrap();
    cert.set_subject_name(&name).unwrap();
    cert.set_issuer_name(&name).unwrap();
    cert.set_pubkey(&key).unwrap();
    cert.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    cert.set_not_after(&Asn1Time::days_from_now(1).unwrap())
        .unwrap();
    cert.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
        .unwrap();
    let san = SubjectAlternativeName::new()
        .ip("127.0.0.1")
        .build(&cert.x509v3_context(None, None))
        .unwrap();
    cert.append_extension(san).unwrap();
    cert.sign(&key, MessageDigest::sha256()).unwrap();
    (
        cert.build().to_pem().unwrap(),
        key.private_key_to_pem_pkcs8().unwrap(),
    )
}

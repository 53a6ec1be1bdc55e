use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkcs12::Pkcs12;
use openssl::stack::Stack;
use openssl::symm::Cipher;

use super::*;
use crate::crypto::test_support::{certificate, chain, new_rsa_key, shared_self_signed};

fn pem(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn pfx(key: &PKey<Private>, cert: &X509, ca: &[&X509], password: &str) -> Vec<u8> {
    let mut stack = Stack::new().unwrap();
    for c in ca {
        stack.push((*c).clone()).unwrap();
    }
    let mut builder = Pkcs12::builder();
    builder.name("msal-rs").pkey(key).cert(cert);
    if !ca.is_empty() {
        builder.ca(stack);
    }
    builder.build2(password).unwrap().to_der().unwrap()
}

fn assert_crypto_error(result: Result<ClientCertificate>, says: &str) {
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Crypto, "{err:?}");
    assert!(
        err.message().contains(says),
        "{:?} should say {says:?}",
        err.message()
    );
}

#[test]
fn loads_pkcs8_pem_with_thumbprints_of_the_leaf() {
    let (key, cert) = shared_self_signed();
    let data = pem(&[
        &cert.to_pem().unwrap(),
        &key.private_key_to_pem_pkcs8().unwrap(),
    ]);
    let loaded = ClientCertificate::from_pem(&data, None).unwrap();
    assert_eq!(
        loaded.thumbprint_sha1(),
        &cert.digest(MessageDigest::sha1()).unwrap()[..]
    );
    assert_eq!(
        loaded.thumbprint_sha256(),
        &cert.digest(MessageDigest::sha256()).unwrap()[..]
    );
    assert_eq!(loaded.chain_der(), &[cert.to_der().unwrap()]);
    assert_eq!(loaded.subject(), "CN=msal-rs-test");
    assert_eq!(loaded.thumbprint_sha1_hex().len(), 40);
    assert!(loaded.private_key().public_eq(&key));
}

#[test]
fn loads_pkcs1_rsa_private_key_pem() {
    let (key, cert) = shared_self_signed();
    let pkcs1 = key.rsa().unwrap().private_key_to_pem().unwrap();
    assert!(String::from_utf8_lossy(&pkcs1).contains("BEGIN RSA PRIVATE KEY"));
    let loaded =
        ClientCertificate::from_pem(&pem(&[&pkcs1, &cert.to_pem().unwrap()]), None).unwrap();
    assert!(loaded.private_key().public_eq(&key));
}

#[test]
fn loads_encrypted_pkcs8_only_with_the_right_passphrase() {
    let (key, cert) = shared_self_signed();
    let encrypted = key
        .private_key_to_pem_pkcs8_passphrase(Cipher::aes_256_cbc(), b"s3cret")
        .unwrap();
    assert!(String::from_utf8_lossy(&encrypted).contains("ENCRYPTED PRIVATE KEY"));
    let data = pem(&[&encrypted, &cert.to_pem().unwrap()]);
    let good = ClientCertificate::from_pem(&data, Some(&Secret::new("s3cret"))).unwrap();
    assert!(good.private_key().public_eq(&key));
    assert_crypto_error(
        ClientCertificate::from_pem(&data, Some(&Secret::new("wrong"))),
        "passphrase is wrong",
    );
    assert_crypto_error(
        ClientCertificate::from_pem(&data, None),
        "give its passphrase",
    );
}

#[test]
fn pem_chain_puts_the_leaf_first_whatever_the_order() {
    let (key, leaf, ca) = chain();
    let data = pem(&[
        &ca.to_pem().unwrap(),
        &key.private_key_to_pem_pkcs8().unwrap(),
        &leaf.to_pem().unwrap(),
    ]);
    let loaded = ClientCertificate::from_pem(&data, None).unwrap();
    assert_eq!(
        loaded.chain_der(),
        &[leaf.to_der().unwrap(), ca.to_der().unwrap()]
    );
    assert_eq!(loaded.subject(), "CN=msal-rs-test-leaf");
    assert_eq!(loaded.x5c().len(), 2);
}

#[test]
fn separate_pem_parts_load_like_one_bundle() {
    let (key, cert) = shared_self_signed();
    let loaded = ClientCertificate::from_pem_parts(
        &cert.to_pem().unwrap(),
        &key.private_key_to_pem_pkcs8().unwrap(),
        None,
    )
    .unwrap();
    assert_eq!(loaded.chain_der().len(), 1);
}

#[test]
fn loads_pkcs12_with_password_and_chain() {
    let (key, leaf, ca) = chain();
    let data = pfx(&key, &leaf, &[&ca], "pfx-pass");
    let loaded = ClientCertificate::from_pkcs12(&data, Some(&Secret::new("pfx-pass"))).unwrap();
    assert_eq!(
        loaded.chain_der(),
        &[leaf.to_der().unwrap(), ca.to_der().unwrap()]
    );
    let detected = ClientCertificate::from_bytes(&data, Some(&Secret::new("pfx-pass"))).unwrap();
    assert_eq!(detected.thumbprint_sha256(), loaded.thumbprint_sha256());
    assert_crypto_error(
        ClientCertificate::from_pkcs12(&data, Some(&Secret::new("nope"))),
        "password is wrong",
    );
}

#[test]
fn loads_pkcs12_without_password() {
    let (key, cert) = shared_self_signed();
    let data = pfx(&key, &cert, &[], "");
    let loaded = ClientCertificate::from_pkcs12(&data, None).unwrap();
    assert_eq!(loaded.chain_der().len(), 1);
}

#[test]
fn pkcs12_password_with_nul_is_an_invalid_argument_not_a_panic() {
    let err = ClientCertificate::from_pkcs12(b"x", Some(&Secret::new("a\0b"))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn from_file_reads_pem_and_reports_missing_files() {
    let (key, cert) = shared_self_signed();
    let dir = std::env::temp_dir().join(format!("msal-core-cert-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("app.pem");
    std::fs::write(
        &path,
        pem(&[
            &key.private_key_to_pem_pkcs8().unwrap(),
            &cert.to_pem().unwrap(),
        ]),
    )
    .unwrap();
    assert!(ClientCertificate::from_file(&path, None).is_ok());
    assert_crypto_error(
        ClientCertificate::from_file(dir.join("missing.pem"), None),
        "could not be read",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn key_and_certificate_that_do_not_match_are_rejected() {
    let (_, cert) = shared_self_signed();
    let other_key = new_rsa_key();
    let data = pem(&[
        &cert.to_pem().unwrap(),
        &other_key.private_key_to_pem_pkcs8().unwrap(),
    ]);
    assert_crypto_error(
        ClientCertificate::from_pem(&data, None),
        "do not belong together",
    );
}

#[test]
fn missing_key_or_certificate_is_reported() {
    let (key, cert) = shared_self_signed();
    assert_crypto_error(
        ClientCertificate::from_pem(&cert.to_pem().unwrap(), None),
        "no private key",
    );
    assert_crypto_error(
        ClientCertificate::from_pem(&key.private_key_to_pem_pkcs8().unwrap(), None),
        "no certificate",
    );
    assert_crypto_error(
        ClientCertificate::from_bytes(b"\x30\x03garbage", None),
        "not a PKCS#12",
    );
    assert_crypto_error(
        ClientCertificate::from_pem(
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            None,
        ),
        "could not be read",
    );
}

#[test]
fn ec_keys_are_not_supported() {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
    let cert = certificate(&key, "ec", None);
    let data = pem(&[
        &key.private_key_to_pem_pkcs8().unwrap(),
        &cert.to_pem().unwrap(),
    ]);
    assert_crypto_error(ClientCertificate::from_pem(&data, None), "only RSA");
}

#[test]
fn debug_shows_subject_and_thumbprint_but_no_key_material() {
    let (key, cert) = shared_self_signed();
    let key_pem = key.private_key_to_pem_pkcs8().unwrap();
    let loaded =
        ClientCertificate::from_pem(&pem(&[&key_pem, &cert.to_pem().unwrap()]), None).unwrap();
    let debug = format!("{loaded:?}");
    assert!(debug.contains("CN=msal-rs-test"), "{debug}");
    assert!(debug.contains(&loaded.thumbprint_sha1_hex()), "{debug}");
    let key_body: String = String::from_utf8_lossy(&key_pem)
        .lines()
        .nth(1)
        .unwrap()
        .to_owned();
    assert!(!debug.contains(&key_body[..20]));
    assert!(debug.len() < 300);
}

#[test]
fn thumbprint_encoding_matches_msal_python_for_the_recorded_certificate() {
    // The certificate MSAL Python sent in x5c, and the x5t / x5t#S256 it computed for it.
    let text = crate::crypto::test_support::reference_wire("azid_certificate_send_chain.json");
    let header = recorded_assertion_header(&text);
    let der = STANDARD.decode(header["x5c"][0].as_str().unwrap()).unwrap();
    let cert = X509::from_der(&der).unwrap();
    let sha1 = cert.digest(MessageDigest::sha1()).unwrap();
    assert_eq!(encode_thumbprint(&sha1), header["x5t"].as_str().unwrap());
    let sha256_doc =
        crate::crypto::test_support::reference_wire("msal_client_credentials_cert_sha256.json");
    let sha256 = cert.digest(MessageDigest::sha256()).unwrap();
    assert_eq!(
        encode_thumbprint(&sha256),
        recorded_assertion_header(&sha256_doc)["x5t#S256"]
            .as_str()
            .unwrap()
    );
}

/// The decoded header of the first client assertion in a recorded exchange.
pub(crate) fn recorded_assertion_header(
    recording: &str,
) -> serde_json::Map<String, serde_json::Value> {
    let assertion = recorded_assertion(recording);
    crate::token::jwt::decode_header(&assertion).unwrap()
}

/// The first client assertion in a recorded exchange.
pub(crate) fn recorded_assertion(recording: &str) -> String {
    let doc: serde_json::Value = serde_json::from_str(recording).unwrap();
    doc["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["body"].as_str())
        .flat_map(|body| {
            url::form_urlencoded::parse(body.as_bytes())
                .into_owned()
                .collect::<Vec<_>>()
        })
        .find(|(k, _)| k == "client_assertion")
        .map(|(_, v)| v)
        .unwrap()
}

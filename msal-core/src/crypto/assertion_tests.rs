use std::time::{Duration, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use openssl::pkey::{PKey, Public};
use openssl::sign::Verifier;

use super::*;
use crate::crypto::certificate::tests::{recorded_assertion, recorded_assertion_header};
use crate::crypto::test_support::{chain, reference_wire, shared_self_signed};
use crate::token::jwt::{decode_base64_any, decode_claims, decode_header};

const CLIENT_ID: &str = "22222222-2222-2222-2222-222222222222";
const AUDIENCE: &str =
    "https://127.0.0.1:8443/aaaabbbb-0000-cccc-1111-dddd2222eeee/oauth2/v2.0/token";

fn test_certificate() -> ClientCertificate {
    let (key, cert) = shared_self_signed();
    let pem = [
        cert.to_pem().unwrap(),
        key.private_key_to_pem_pkcs8().unwrap(),
    ]
    .concat();
    ClientCertificate::from_pem(&pem, None).unwrap()
}

fn public_key(cert: &ClientCertificate) -> PKey<Public> {
    let der = cert.private_key().public_key_to_der().unwrap();
    PKey::public_key_from_der(&der).unwrap()
}

fn sign(
    algorithm: AssertionAlgorithm,
    send_x5c: bool,
    now: SystemTime,
) -> (ClientCertificate, String) {
    let cert = test_certificate();
    let params = ClientAssertionParams::new(CLIENT_ID, AUDIENCE)
        .unwrap()
        .algorithm(algorithm)
        .send_x5c(send_x5c);
    let signed = sign_client_assertion(&cert, &params, now).unwrap();
    (cert, signed.jwt().expose().to_owned())
}

/// Verifies the JWT's signature with OpenSSL, as the service would.
fn openssl_verifies(cert: &ClientCertificate, jwt: &str, algorithm: AssertionAlgorithm) -> bool {
    let (input, signature) = jwt.rsplit_once('.').unwrap();
    let signature = decode_base64_any(signature).unwrap();
    let key = public_key(cert);
    let mut verifier = Verifier::new(MessageDigest::sha256(), &key).unwrap();
    if algorithm == AssertionAlgorithm::Ps256 {
        verifier.set_rsa_padding(Padding::PKCS1_PSS).unwrap();
        verifier
            .set_rsa_pss_saltlen(RsaPssSaltlen::custom(32))
            .unwrap();
        verifier.set_rsa_mgf1_md(MessageDigest::sha256()).unwrap();
    }
    verifier.update(input.as_bytes()).unwrap();
    verifier.verify(&signature).unwrap()
}

/// Verifies the JWT with jsonwebtoken, an independent implementation.
fn jsonwebtoken_claims(cert: &ClientCertificate, jwt: &str, alg: Algorithm) -> Map<String, Value> {
    let der = cert
        .private_key()
        .rsa()
        .unwrap()
        .public_key_to_der_pkcs1()
        .unwrap();
    let mut validation = Validation::new(alg);
    validation.set_audience(&[AUDIENCE]);
    validation.set_issuer(&[CLIENT_ID]);
    validation.validate_nbf = true;
    jsonwebtoken::decode::<Map<String, Value>>(jwt, &DecodingKey::from_rsa_der(&der), &validation)
        .unwrap()
        .claims
}

#[test]
fn rs256_assertion_has_x5t_and_verifies_with_openssl_and_jsonwebtoken() {
    let (cert, jwt) = sign(AssertionAlgorithm::Rs256, false, SystemTime::now());
    let header = decode_header(&jwt).unwrap();
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["typ"], "JWT");
    assert_eq!(header["x5t"], cert.x5t().as_str());
    assert_eq!(header.len(), 3, "{header:?}");
    assert!(openssl_verifies(&cert, &jwt, AssertionAlgorithm::Rs256));
    assert!(!openssl_verifies(&cert, &jwt, AssertionAlgorithm::Ps256));
    let claims = jsonwebtoken_claims(&cert, &jwt, Algorithm::RS256);
    assert_eq!(claims["sub"], CLIENT_ID);
}

#[test]
fn ps256_assertion_has_x5t_s256_and_verifies_with_openssl_and_jsonwebtoken() {
    let (cert, jwt) = sign(AssertionAlgorithm::Ps256, false, SystemTime::now());
    let header = decode_header(&jwt).unwrap();
    assert_eq!(header["alg"], "PS256");
    assert_eq!(header["x5t#S256"], cert.x5t_s256().as_str());
    assert!(!header.contains_key("x5t"));
    assert!(openssl_verifies(&cert, &jwt, AssertionAlgorithm::Ps256));
    assert!(!openssl_verifies(&cert, &jwt, AssertionAlgorithm::Rs256));
    jsonwebtoken_claims(&cert, &jwt, Algorithm::PS256);
}

#[test]
fn tampered_assertion_does_not_verify() {
    let (cert, jwt) = sign(AssertionAlgorithm::Rs256, false, SystemTime::now());
    let (header, rest) = jwt.split_once('.').unwrap();
    let (_, signature) = rest.split_once('.').unwrap();
    let forged_claims =
        URL_SAFE_NO_PAD.encode(br#"{"aud":"x","iss":"y","sub":"y","exp":9999999999}"#);
    let forged = format!("{header}.{forged_claims}.{signature}");
    assert!(!openssl_verifies(&cert, &forged, AssertionAlgorithm::Rs256));
}

#[test]
fn payload_has_integer_times_ten_minutes_apart_and_a_uuid_jti() {
    let now = UNIX_EPOCH + Duration::from_secs(1_795_312_178);
    let (_, jwt) = sign(AssertionAlgorithm::Rs256, false, now);
    let claims = decode_claims(&jwt).unwrap();
    assert_eq!(claims["aud"], AUDIENCE);
    assert_eq!(claims["iss"], CLIENT_ID);
    assert_eq!(claims["sub"], CLIENT_ID);
    assert_eq!(claims["iat"], 1_795_312_178);
    assert_eq!(claims["nbf"], 1_795_312_178);
    assert_eq!(claims["exp"], 1_795_312_778);
    let jti = uuid::Uuid::parse_str(claims["jti"].as_str().unwrap()).unwrap();
    assert_eq!(jti.get_version_num(), 4);
    let (_, second) = sign(AssertionAlgorithm::Rs256, false, now);
    assert_ne!(decode_claims(&second).unwrap()["jti"], claims["jti"]);
}

#[test]
fn x5c_carries_the_chain_leaf_first_in_standard_base64() {
    let (key, leaf, ca) = chain();
    let pem = [
        ca.to_pem().unwrap(),
        leaf.to_pem().unwrap(),
        key.private_key_to_pem_pkcs8().unwrap(),
    ]
    .concat();
    let cert = ClientCertificate::from_pem(&pem, None).unwrap();
    let params = ClientAssertionParams::new(CLIENT_ID, AUDIENCE)
        .unwrap()
        .send_x5c(true);
    let signed = sign_client_assertion(&cert, &params, SystemTime::now()).unwrap();
    let header = decode_header(signed.jwt().expose()).unwrap();
    let x5c: Vec<Vec<u8>> = header["x5c"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| STANDARD.decode(c.as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(x5c, vec![leaf.to_der().unwrap(), ca.to_der().unwrap()]);
}

#[test]
fn header_fields_and_encodings_match_msal_python_recordings() {
    // RS256 + x5t (MSAL Python thumbprint), PS256 + x5t#S256 + x5c (MSAL Python SHA-256
    // with the public certificate), RS256 + x5t + x5c (azure-identity send_certificate_chain).
    let cases = [
        (
            "msal_client_credentials_cert_thumbprint.json",
            AssertionAlgorithm::Rs256,
            false,
        ),
        (
            "msal_client_credentials_cert_sha256.json",
            AssertionAlgorithm::Ps256,
            true,
        ),
        (
            "azid_certificate_send_chain.json",
            AssertionAlgorithm::Rs256,
            true,
        ),
    ];
    for (file, algorithm, send_x5c) in cases {
        let recorded = recorded_assertion_header(&reference_wire(file));
        let (_, jwt) = sign(algorithm, send_x5c, SystemTime::now());
        let ours = decode_header(&jwt).unwrap();
        let names = |m: &Map<String, Value>| m.keys().cloned().collect::<Vec<_>>();
        assert_eq!(names(&ours), names(&recorded), "{file}");
        assert_eq!(ours["alg"], recorded["alg"], "{file}");
        assert_eq!(ours["typ"], recorded["typ"], "{file}");
        for thumb in ["x5t", "x5t#S256"] {
            if let (Some(a), Some(b)) = (ours.get(thumb), recorded.get(thumb)) {
                let (a, b) = (a.as_str().unwrap(), b.as_str().unwrap());
                assert_eq!(a.len(), b.len(), "{file} {thumb}: same length and padding");
                assert_eq!(a.ends_with('='), b.ends_with('='), "{file} {thumb}");
                assert!(!a.contains(['+', '/']), "{file} {thumb} is base64url");
            }
        }
        // The JSON header serialises its keys in the same order as PyJWT (sorted).
        let raw_header = |jwt: &str| {
            let part = jwt.split('.').next().unwrap();
            String::from_utf8(decode_base64_any(part).unwrap()).unwrap()
        };
        let order = |h: &str| {
            let mut keys: Vec<(usize, &str)> =
                ["\"alg\"", "\"typ\"", "\"x5c\"", "\"x5t\"", "\"x5t#S256\""]
                    .into_iter()
                    .filter_map(|k| h.find(k).map(|i| (i, k)))
                    .collect();
            keys.sort();
            keys.into_iter()
                .map(|(_, k)| k.to_owned())
                .collect::<Vec<_>>()
        };
        let recorded_jwt = recorded_assertion(&reference_wire(file));
        assert_eq!(
            order(&raw_header(&jwt)),
            order(&raw_header(&recorded_jwt)),
            "{file}"
        );
    }
}

#[test]
fn payload_claim_names_cover_what_msal_python_sends() {
    let recorded = decode_claims(&recorded_assertion(&reference_wire(
        "msal_client_credentials_cert_thumbprint.json",
    )))
    .unwrap();
    let (_, jwt) = sign(AssertionAlgorithm::Rs256, false, SystemTime::now());
    let ours = decode_claims(&jwt).unwrap();
    for name in recorded.keys() {
        assert!(ours.contains_key(name), "missing {name}");
    }
    // Same ten-minute lifetime as the recording (which writes floats).
    let lifetime = |m: &Map<String, Value>| m["exp"].as_f64().unwrap() - m["iat"].as_f64().unwrap();
    assert_eq!(lifetime(&ours), lifetime(&recorded).round());
    assert!(ours["exp"].is_i64());
}

#[test]
fn extra_claims_are_added_but_cannot_replace_registered_ones() {
    let mut extra = Map::new();
    extra.insert("xms_ksl".into(), "custom".into());
    let params = ClientAssertionParams::new(CLIENT_ID, AUDIENCE)
        .unwrap()
        .extra_claims(extra)
        .unwrap();
    let signed = sign_client_assertion(&test_certificate(), &params, SystemTime::now()).unwrap();
    assert_eq!(
        decode_claims(signed.jwt().expose()).unwrap()["xms_ksl"],
        "custom"
    );

    let mut reserved = Map::new();
    reserved.insert("aud".into(), "elsewhere".into());
    let err = ClientAssertionParams::new(CLIENT_ID, AUDIENCE)
        .unwrap()
        .extra_claims(reserved.clone())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let err = AssertionSigner::new(test_certificate())
        .extra_claims(reserved)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn empty_client_id_or_audience_is_an_invalid_argument() {
    for (client, aud) in [("", AUDIENCE), (CLIENT_ID, " ")] {
        let err = ClientAssertionParams::new(client, aud).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }
    let signer = AssertionSigner::new(test_certificate());
    assert_eq!(
        signer.assertion("", AUDIENCE).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
}

#[test]
fn signer_reuses_an_assertion_until_sixty_seconds_before_it_expires() {
    let signer = AssertionSigner::new(test_certificate()).algorithm(AssertionAlgorithm::Rs256);
    let t0 = UNIX_EPOCH + Duration::from_secs(2_000_000_000);
    let at = |s| t0 + Duration::from_secs(s);
    let first = signer.assertion_at(CLIENT_ID, AUDIENCE, t0).unwrap();
    assert_eq!(
        signer.assertion_at(CLIENT_ID, AUDIENCE, at(539)).unwrap(),
        first
    );
    let other_audience = signer
        .assertion_at(CLIENT_ID, "https://other/token", at(1))
        .unwrap();
    assert_ne!(other_audience, first);
    let renewed = signer.assertion_at(CLIENT_ID, AUDIENCE, at(540)).unwrap();
    assert_ne!(renewed, first);
    assert_eq!(
        decode_claims(renewed.expose()).unwrap()["iat"],
        2_000_000_540
    );
    // A clock that went backwards gets a new assertion, not one issued in its future.
    let earlier = signer.assertion_at(CLIENT_ID, AUDIENCE, at(100)).unwrap();
    assert_ne!(earlier, renewed);
}

#[test]
fn signer_is_shareable_and_never_prints_secrets() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<AssertionSigner>();
    let signer = AssertionSigner::new(test_certificate());
    let jwt = signer.assertion(CLIENT_ID, AUDIENCE).unwrap();
    let debug = format!("{signer:?} {jwt:?}");
    assert!(!debug.contains(&jwt.expose()[..20]), "{debug}");
    assert!(debug.contains("Ps256"));
}

//! Test fixtures: RSA keys and X.509 certificates generated at test time, and the recorded
//! exchanges of the reference client.

use std::sync::OnceLock;

use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::BasicConstraints;
use openssl::x509::{X509, X509Builder, X509NameBuilder};

/// Reads the recording `name` (a file name in `shared/reference/wire`).
pub(crate) fn reference_wire(name: &str) -> String {
    let path = crate::test_support::wire_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A new RSA 2048 key.
pub(crate) fn new_rsa_key() -> PKey<Private> {
    PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap()
}

/// One RSA key shared by the tests that do not care which key they use.
pub(crate) fn shared_key() -> PKey<Private> {
    static KEY: OnceLock<PKey<Private>> = OnceLock::new();
    KEY.get_or_init(new_rsa_key).clone()
}

/// A certificate for `key` with common name `cn`, signed by `issuer` (or self-signed).
pub(crate) fn certificate(
    key: &PKey<Private>,
    cn: &str,
    issuer: Option<(&X509, &PKey<Private>)>,
) -> X509 {
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", cn).unwrap();
    let name = name.build();
    let mut builder = X509Builder::new().unwrap();
    builder.set_version(2).unwrap();
    let serial = BigNum::from_u32(rand_u32())
        .unwrap()
        .to_asn1_integer()
        .unwrap();
    builder.set_serial_number(&serial).unwrap();
    builder.set_subject_name(&name).unwrap();
    builder.set_pubkey(key).unwrap();
    builder
        .set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    builder
        .set_not_after(&Asn1Time::days_from_now(30).unwrap())
        .unwrap();
    match issuer {
        Some((ca_cert, ca_key)) => {
            builder.set_issuer_name(ca_cert.subject_name()).unwrap();
            builder.sign(ca_key, MessageDigest::sha256()).unwrap();
        }
        None => {
            builder.set_issuer_name(&name).unwrap();
            builder
                .append_extension(BasicConstraints::new().critical().ca().build().unwrap())
                .unwrap();
            builder.sign(key, MessageDigest::sha256()).unwrap();
        }
    }
    builder.build()
}

/// A self-signed certificate for the shared key.
pub(crate) fn shared_self_signed() -> (PKey<Private>, X509) {
    static CERT: OnceLock<X509> = OnceLock::new();
    let key = shared_key();
    let cert = CERT
        .get_or_init(|| certificate(&shared_key(), "msal-rs-test", None))
        .clone();
    (key, cert)
}

/// A leaf (for the shared key) issued by a fresh CA: `(leaf_key, leaf, ca)`.
pub(crate) fn chain() -> (PKey<Private>, X509, X509) {
    let ca_key = new_rsa_key();
    let ca = certificate(&ca_key, "msal-rs-test-ca", None);
    let key = shared_key();
    let leaf = certificate(&key, "msal-rs-test-leaf", Some((&ca, &ca_key)));
    (key, leaf, ca)
}

fn rand_u32() -> u32 {
    let mut b = [0u8; 4];
    openssl::rand::rand_bytes(&mut b).unwrap();
    u32::from_be_bytes(b) >> 1
}

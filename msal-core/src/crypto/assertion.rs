//! The client assertion: a JWT signed with the application's certificate, sent as
//! `client_assertion` with
//! `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.
//!
//! Header: `alg` and `typ: JWT`, then either `x5t` (SHA-1 thumbprint, with `RS256`) or
//! `x5t#S256` (SHA-256 thumbprint, with `PS256`), and `x5c` (the chain, leaf first) when the
//! application uses subject name / issuer authentication. Thumbprints are base64url with
//! padding, as MSAL Python writes them. Payload: `aud` (the token endpoint), `iss` = `sub` =
//! the client id, a UUID v4 `jti`, `iat` = `nbf` = now and `exp` = now + 600 s, as integers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openssl::hash::MessageDigest;
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Signer};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::token::id_token::unix_seconds;
use crate::{Error, ErrorKind, Result, Secret};

use super::ClientCertificate;

/// How long a signed assertion is valid, in seconds.
pub const ASSERTION_LIFETIME_SECS: i64 = 600;

/// An assertion is signed anew when it has less than this many seconds left (MSAL Python
/// regenerates after 540 of its 600 seconds).
pub const ASSERTION_REFRESH_MARGIN_SECS: i64 = 60;

/// The claims a caller may not set through extra claims: the signer owns them.
const RESERVED_CLAIMS: [&str; 7] = ["aud", "iss", "sub", "jti", "iat", "nbf", "exp"];

/// At most this many (client id, audience) pairs are cached per signer.
const MAX_CACHED: usize = 32;

/// The signature algorithm of the assertion.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AssertionAlgorithm {
    /// RSA-PSS with SHA-256 (salt 32 bytes, MGF1-SHA256), with the `x5t#S256` header: what
    /// MSAL Go and .NET send to Entra ID, and MSAL Python when it knows the SHA-256
    /// thumbprint.
    #[default]
    Ps256,
    /// RSA PKCS#1 v1.5 with SHA-256, with the `x5t` header: required by ADFS, accepted by
    /// Entra ID.
    Rs256,
}

impl AssertionAlgorithm {
    /// The `alg` header value.
    pub fn as_str(self) -> &'static str {
        match self {
            AssertionAlgorithm::Ps256 => "PS256",
            AssertionAlgorithm::Rs256 => "RS256",
        }
    }
}

/// What a client assertion says, besides its signature.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientAssertionParams {
    client_id: String,
    audience: String,
    algorithm: AssertionAlgorithm,
    send_x5c: bool,
    extra_claims: Map<String, Value>,
}

impl ClientAssertionParams {
    /// An assertion for `client_id`, addressed to `audience` (the token endpoint URL).
    /// Either empty is [`ErrorKind::InvalidArgument`].
    pub fn new(client_id: impl Into<String>, audience: impl Into<String>) -> Result<Self> {
        let (client_id, audience) = (client_id.into(), audience.into());
        if client_id.trim().is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "the client id is empty",
            ));
        }
        if audience.trim().is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "the client assertion audience (the token endpoint) is empty",
            ));
        }
        Ok(Self {
            client_id,
            audience,
            algorithm: AssertionAlgorithm::default(),
            send_x5c: false,
            extra_claims: Map::new(),
        })
    }

    /// Sets the signature algorithm (default [`AssertionAlgorithm::Ps256`]).
    #[must_use]
    pub fn algorithm(mut self, algorithm: AssertionAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Sends the certificate chain in the `x5c` header (subject name / issuer
    /// authentication).
    #[must_use]
    pub fn send_x5c(mut self, send: bool) -> Self {
        self.send_x5c = send;
        self
    }

    /// Adds claims to the payload. The registered claims the signer sets (`aud`, `iss`,
    /// `sub`, `jti`, `iat`, `nbf`, `exp`) cannot be overridden: naming one is
    /// [`ErrorKind::InvalidArgument`].
    pub fn extra_claims(mut self, claims: Map<String, Value>) -> Result<Self> {
        check_extra_claims(&claims)?;
        self.extra_claims = claims;
        Ok(self)
    }
}

fn check_extra_claims(claims: &Map<String, Value>) -> Result<()> {
    match claims
        .keys()
        .find(|k| RESERVED_CLAIMS.contains(&k.as_str()))
    {
        Some(name) => Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("the `{name}` claim of a client assertion is set by the library"),
        )),
        None => Ok(()),
    }
}

/// A signed client assertion and its validity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedAssertion {
    jwt: Secret,
    issued_at: i64,
    expires_at: i64,
}

impl SignedAssertion {
    /// The JWT, to send as `client_assertion`.
    pub fn jwt(&self) -> &Secret {
        &self.jwt
    }

    /// `iat`, seconds since the Unix epoch.
    pub fn issued_at(&self) -> i64 {
        self.issued_at
    }

    /// `exp`, seconds since the Unix epoch.
    pub fn expires_at(&self) -> i64 {
        self.expires_at
    }

    /// Whether the assertion can still be sent at `now`: issued no later than `now` and with
    /// more than [`ASSERTION_REFRESH_MARGIN_SECS`] left.
    pub fn is_fresh_at(&self, now: SystemTime) -> bool {
        let now = unix_seconds(now);
        now >= self.issued_at && now < self.expires_at - ASSERTION_REFRESH_MARGIN_SECS
    }
}

#[derive(Serialize)]
struct Header {
    alg: &'static str,
    typ: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    x5c: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    x5t: Option<String>,
    #[serde(rename = "x5t#S256", skip_serializing_if = "Option::is_none")]
    x5t_s256: Option<String>,
}

/// Signs a client assertion with `certificate` at time `now`.
pub fn sign_client_assertion(
    certificate: &ClientCertificate,
    params: &ClientAssertionParams,
    now: SystemTime,
) -> Result<SignedAssertion> {
    let issued_at = unix_seconds(now);
    let expires_at = issued_at.saturating_add(ASSERTION_LIFETIME_SECS);
    let header = Header {
        alg: params.algorithm.as_str(),
        typ: "JWT",
        x5c: params.send_x5c.then(|| certificate.x5c()),
        x5t: (params.algorithm == AssertionAlgorithm::Rs256).then(|| certificate.x5t()),
        x5t_s256: (params.algorithm == AssertionAlgorithm::Ps256).then(|| certificate.x5t_s256()),
    };
    let mut claims = Map::new();
    claims.insert("aud".into(), params.audience.clone().into());
    claims.insert("iss".into(), params.client_id.clone().into());
    claims.insert("sub".into(), params.client_id.clone().into());
    claims.insert("jti".into(), uuid::Uuid::new_v4().to_string().into());
    claims.insert("iat".into(), issued_at.into());
    claims.insert("nbf".into(), issued_at.into());
    claims.insert("exp".into(), expires_at.into());
    for (name, value) in &params.extra_claims {
        claims.entry(name.clone()).or_insert_with(|| value.clone());
    }
    let signing_input = format!("{}.{}", base64url_json(&header)?, base64url_json(&claims)?);
    let signature = sign(certificate, params.algorithm, signing_input.as_bytes())?;
    Ok(SignedAssertion {
        jwt: Secret::new(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        )),
        issued_at,
        expires_at,
    })
}

fn base64url_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_vec(value)
        .map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
        .map_err(|e| Error::with_source(ErrorKind::Crypto, "the assertion could not be encoded", e))
}

fn sign(
    certificate: &ClientCertificate,
    algorithm: AssertionAlgorithm,
    input: &[u8],
) -> Result<Vec<u8>> {
    let failed = |e| {
        Error::with_source(
            ErrorKind::Crypto,
            "the client assertion could not be signed",
            e,
        )
    };
    let mut signer =
        Signer::new(MessageDigest::sha256(), certificate.private_key()).map_err(failed)?;
    if algorithm == AssertionAlgorithm::Ps256 {
        signer.set_rsa_padding(Padding::PKCS1_PSS).map_err(failed)?;
        signer
            .set_rsa_pss_saltlen(RsaPssSaltlen::custom(32))
            .map_err(failed)?;
        signer
            .set_rsa_mgf1_md(MessageDigest::sha256())
            .map_err(failed)?;
    }
    signer.update(input).map_err(failed)?;
    signer.sign_to_vec().map_err(failed)
}

/// Signs client assertions with one certificate and reuses each one, per (client id,
/// audience), until [`ASSERTION_REFRESH_MARGIN_SECS`] before it expires. Share it between
/// requests (it is `Send + Sync`).
///
/// ```no_run
/// use msal_core::crypto::{AssertionAlgorithm, AssertionSigner, ClientCertificate};
///
/// let cert = ClientCertificate::from_file("app.pem", None)?;
/// let signer = AssertionSigner::new(cert).algorithm(AssertionAlgorithm::Rs256);
/// let assertion = signer.assertion(
///     "22222222-2222-2222-2222-222222222222",
///     "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
/// )?;
/// # let _ = assertion;
/// # Ok::<(), msal_core::Error>(())
/// ```
#[derive(Clone)]
pub struct AssertionSigner {
    certificate: Arc<ClientCertificate>,
    algorithm: AssertionAlgorithm,
    send_x5c: bool,
    extra_claims: Map<String, Value>,
    cache: Arc<Mutex<HashMap<(String, String), SignedAssertion>>>,
}

impl AssertionSigner {
    /// A signer for `certificate`, with PS256 and no `x5c` by default.
    pub fn new(certificate: ClientCertificate) -> Self {
        Self {
            certificate: Arc::new(certificate),
            algorithm: AssertionAlgorithm::default(),
            send_x5c: false,
            extra_claims: Map::new(),
            cache: Arc::default(),
        }
    }

    /// Sets the signature algorithm.
    #[must_use]
    pub fn algorithm(mut self, algorithm: AssertionAlgorithm) -> Self {
        self.algorithm = algorithm;
        self.clear();
        self
    }

    /// Sends the certificate chain in `x5c`.
    #[must_use]
    pub fn send_x5c(mut self, send: bool) -> Self {
        self.send_x5c = send;
        self.clear();
        self
    }

    /// Adds claims to every assertion (see [`ClientAssertionParams::extra_claims`]).
    pub fn extra_claims(mut self, claims: Map<String, Value>) -> Result<Self> {
        check_extra_claims(&claims)?;
        self.extra_claims = claims;
        self.clear();
        Ok(self)
    }

    /// The certificate this signer uses.
    pub fn certificate(&self) -> &ClientCertificate {
        &self.certificate
    }

    /// An assertion for `client_id` and `audience`, reused while it is fresh.
    pub fn assertion(&self, client_id: &str, audience: &str) -> Result<Secret> {
        self.assertion_at(client_id, audience, SystemTime::now())
    }

    /// [`assertion`](Self::assertion) at a given time.
    pub fn assertion_at(&self, client_id: &str, audience: &str, now: SystemTime) -> Result<Secret> {
        let key = (client_id.to_owned(), audience.to_owned());
        if let Some(cached) = self.lock().get(&key).filter(|a| a.is_fresh_at(now)) {
            return Ok(cached.jwt.clone());
        }
        let params = ClientAssertionParams::new(client_id, audience)?
            .algorithm(self.algorithm)
            .send_x5c(self.send_x5c)
            .extra_claims(self.extra_claims.clone())?;
        let signed = sign_client_assertion(&self.certificate, &params, now)?;
        let jwt = signed.jwt.clone();
        let mut cache = self.lock();
        cache.retain(|_, a| a.is_fresh_at(now));
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(key, signed);
        Ok(jwt)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), SignedAssertion>> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn clear(&mut self) {
        // Settings changed: a fresh cache, so clones made before keep theirs.
        self.cache = Arc::default();
    }
}

impl std::fmt::Debug for AssertionSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssertionSigner")
            .field("certificate", &self.certificate)
            .field("algorithm", &self.algorithm)
            .field("send_x5c", &self.send_x5c)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
#[path = "assertion_tests.rs"]
mod tests;

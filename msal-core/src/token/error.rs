//! The typed reasons a token fails a check.

use crate::{Error, ErrorKind};

/// Why a token failed validation.
///
/// Messages name the claim and, for claims that are not secret (audience, issuer, times),
/// the values involved; they never contain the token itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenValidationError {
    /// The token is not a JWT that could be decoded (wrong number of parts, bad base64,
    /// payload not a JSON object, over the size limit).
    #[error("the token is malformed: {0}")]
    Malformed(String),
    /// A claim the check needs is missing.
    #[error("the token has no `{0}` claim")]
    MissingClaim(&'static str),
    /// `aud` is not (and does not contain) the expected audience.
    #[error("the token's audience {found:?} does not contain {expected:?}")]
    AudienceMismatch {
        /// The audience the caller expected (the client id).
        expected: String,
        /// The audiences the token names.
        found: Vec<String>,
    },
    /// `iss` is not one of the accepted issuers.
    #[error("the token's issuer {found:?} is not an accepted issuer")]
    IssuerMismatch {
        /// The issuer the token names (empty when it names none).
        found: String,
    },
    /// The `nonce` claim does not match the nonce sent on the authorization request.
    #[error("the id_token's nonce does not match the one sent on the authorization request")]
    NonceMismatch,
    /// The token expired (beyond the allowed clock skew).
    #[error("the token expired at {exp} (now {now}, skew {skew_secs} s)")]
    Expired {
        /// The `exp` claim, seconds since the Unix epoch.
        exp: i64,
        /// The time of the check, seconds since the Unix epoch.
        now: i64,
        /// The allowed clock skew in seconds.
        skew_secs: u64,
    },
    /// The token is not valid yet (`nbf` beyond the allowed clock skew).
    #[error("the token is not valid before {nbf} (now {now}, skew {skew_secs} s)")]
    NotYetValid {
        /// The `nbf` claim, seconds since the Unix epoch.
        nbf: i64,
        /// The time of the check, seconds since the Unix epoch.
        now: i64,
        /// The allowed clock skew in seconds.
        skew_secs: u64,
    },
    /// The user signed in longer ago than the `max_age` of the authorization request.
    #[error("the user signed in at {auth_time}, longer ago than max_age {max_age_secs} s")]
    MaxAgeExceeded {
        /// The `auth_time` claim, seconds since the Unix epoch.
        auth_time: i64,
        /// The `max_age` the request asked for, in seconds.
        max_age_secs: u64,
    },
    /// The token's `alg` is not one the validation accepts.
    #[error("the token is signed with {0:?}, which is not accepted")]
    UnsupportedAlgorithm(String),
    /// The token's header names no `kid` and the key set has more than one key.
    #[error("the token's header names no key id (kid)")]
    MissingKeyId,
    /// No key of the key set has the token's `kid`: the keys may have rolled over, fetch
    /// the JWKS document again.
    #[error("no key with id {0:?} in the key set; the signing keys may have rolled over")]
    UnknownKeyId(String),
    /// A key of the key set could not be used.
    #[error("the signing key is not usable: {0}")]
    InvalidKey(String),
    /// The signature does not verify with the key.
    #[error("the token's signature is not valid")]
    InvalidSignature,
}

impl From<TokenValidationError> for Error {
    /// Every validation failure is a [`ErrorKind::MalformedResponse`]: the service (or
    /// whoever handed over the token) gave a token that cannot be trusted. The typed reason
    /// is the error's `source()`.
    fn from(err: TokenValidationError) -> Self {
        Error::with_source(ErrorKind::MalformedResponse, err.to_string(), err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_into_malformed_response_with_the_typed_source() {
        let err: Error = TokenValidationError::NonceMismatch.into();
        assert_eq!(err.kind(), ErrorKind::MalformedResponse);
        let source = std::error::Error::source(&err).expect("source");
        assert_eq!(
            source.downcast_ref::<TokenValidationError>(),
            Some(&TokenValidationError::NonceMismatch)
        );
    }
}

//! The error type shared by every crate of the workspace.
//!
//! An [`Error`] has a [`kind`](Error::kind) that callers match on, a message that says what
//! failed and what to do, and, when the identity provider answered with an OAuth2 error, the
//! whole [`EntraError`] body (error code, AADSTS numbers, suberror, claims challenge,
//! correlation and trace ids). Messages never contain a secret: constructors take only text
//! that the caller has already judged safe, and [`Secret`](crate::Secret) cannot be formatted.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, for callers to match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// `invalid_grant`: the password, refresh token, code or assertion was rejected.
    InvalidGrant,
    /// The user must sign in interactively (MFA, conditional access, consent, a changed
    /// password). [`Error::claims`] carries the claims challenge when the service sent one.
    InteractionRequired,
    /// `invalid_client`: the client secret, certificate or assertion was rejected, or the
    /// application is unknown.
    InvalidClient,
    /// Device code flow: the user has not finished signing in yet; keep polling.
    AuthorizationPending,
    /// Device code flow: poll less often (add 5 seconds to the interval).
    SlowDown,
    /// Device code flow: the code expired before the user signed in.
    ExpiredToken,
    /// Device code or authorization code flow: the user declined.
    AuthorizationDeclined,
    /// The service is throttling this client; [`Error::retry_after`] says for how long when
    /// it is known.
    Throttled,
    /// Any other error answer of the identity provider (an OAuth2 error body or a 5xx).
    Service,
    /// The request did not reach the service or its answer did not come back: DNS, connect,
    /// TLS, reset connection.
    Transport,
    /// The request or the whole operation ran past its time limit.
    Timeout,
    /// The service answered with something that could not be understood: not JSON, missing
    /// a required field, a value of the wrong type, or over the size limit.
    MalformedResponse,
    /// The authority URL is not acceptable: malformed, not https, unknown to instance
    /// discovery, or a discovery document that points elsewhere.
    InvalidAuthority,
    /// An argument given by the caller is not valid (an empty client id, a reserved scope).
    InvalidArgument,
    /// A key or certificate could not be loaded or used for signing.
    Crypto,
    /// The federated identity provider (WS-Trust) refused the request or could not be used.
    WsTrust,
    /// The credential cannot be used in this environment (not configured, tool missing).
    /// Chained credentials move on to the next credential only after this kind.
    CredentialUnavailable,
    /// The credential needs an interactive sign-in, which the application has disabled.
    AuthenticationRequired,
    /// The caller cancelled the operation.
    Cancelled,
    /// The token cache could not be read or written.
    Cache,
}

impl ErrorKind {
    /// A short lower-case name for the kind, used in messages and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidGrant => "invalid grant",
            ErrorKind::InteractionRequired => "interaction required",
            ErrorKind::InvalidClient => "invalid client",
            ErrorKind::AuthorizationPending => "authorization pending",
            ErrorKind::SlowDown => "slow down",
            ErrorKind::ExpiredToken => "expired token",
            ErrorKind::AuthorizationDeclined => "authorization declined",
            ErrorKind::Throttled => "throttled",
            ErrorKind::Service => "service error",
            ErrorKind::Transport => "transport error",
            ErrorKind::Timeout => "timeout",
            ErrorKind::MalformedResponse => "malformed response",
            ErrorKind::InvalidAuthority => "invalid authority",
            ErrorKind::InvalidArgument => "invalid argument",
            ErrorKind::Crypto => "crypto error",
            ErrorKind::WsTrust => "WS-Trust error",
            ErrorKind::CredentialUnavailable => "credential unavailable",
            ErrorKind::AuthenticationRequired => "authentication required",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Cache => "token cache error",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an operation failed, finer than [`ErrorKind`], for the failures users meet and
/// handle differently. Set from the AADSTS code of the service's answer or by the client-side
/// step that failed (federation metadata, WS-Trust).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureReason {
    /// The username or password is wrong (AADSTS50126).
    WrongCredentials,
    /// The user does not exist in the tenant (AADSTS50034).
    UnknownUser,
    /// The account is locked after too many failed sign-ins (AADSTS50053).
    AccountLocked,
    /// The account is disabled (AADSTS50057).
    AccountDisabled,
    /// The password has expired (AADSTS50055).
    PasswordExpired,
    /// Multi-factor authentication or conditional access requires an interactive sign-in
    /// (AADSTS50076, 50079, 50158); [`Error::claims`] has the challenge.
    MfaRequired,
    /// The user or an administrator must consent to the permissions (AADSTS65001).
    ConsentRequired,
    /// The refresh token expired or was revoked (AADSTS700082, 50173, 70043).
    RefreshTokenExpired,
    /// The app registration does not allow public client flows (AADSTS7000218).
    PublicClientFlowsDisabled,
    /// The client secret is wrong (AADSTS7000215).
    InvalidClientSecret,
    /// The client secret has expired (AADSTS7000222).
    ClientSecretExpired,
    /// The client assertion or certificate was rejected (AADSTS700027, 700024).
    InvalidClientAssertion,
    /// The application is not registered in the tenant (AADSTS700016).
    UnknownApplication,
    /// The tenant does not exist (AADSTS90002).
    UnknownTenant,
    /// A requested scope is not valid (AADSTS70011).
    InvalidScope,
    /// A personal Microsoft account cannot use this flow (username/password).
    PersonalAccountNotSupported,
    /// The federated identity provider's metadata (MEX) could not be fetched or used.
    FederationMetadataUnreachable,
    /// The federated identity provider rejected the username or password (WS-Trust fault).
    FederatedCredentialsRejected,
    /// The service detected a request loop (AADSTS50196).
    RequestLoop,
}

impl FailureReason {
    /// The reason an AADSTS code stands for, when it is one callers handle.
    pub fn from_aadsts(code: i64) -> Option<Self> {
        use FailureReason::*;
        Some(match code {
            50126 => WrongCredentials,
            50034 => UnknownUser,
            50053 => AccountLocked,
            50057 => AccountDisabled,
            50055 => PasswordExpired,
            50076 | 50079 | 50158 => MfaRequired,
            65001 => ConsentRequired,
            700082 | 50173 | 70043 => RefreshTokenExpired,
            7000218 => PublicClientFlowsDisabled,
            7000215 => InvalidClientSecret,
            7000222 => ClientSecretExpired,
            700027 | 700024 => InvalidClientAssertion,
            700016 => UnknownApplication,
            90002 => UnknownTenant,
            70011 => InvalidScope,
            50196 => RequestLoop,
            _ => return None,
        })
    }
}

/// An OAuth2 error answer of Microsoft Entra ID, with every field the service sends.
///
/// Unknown fields are kept in [`extra`](Self::extra).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct EntraError {
    /// The HTTP status of the answer.
    pub http_status: u16,
    /// The OAuth2 `error` code, such as `invalid_grant`.
    pub error: String,
    /// `error_description`: starts with the AADSTS code, ends with trace id, correlation id
    /// and timestamp.
    pub error_description: Option<String>,
    /// `error_codes`: the AADSTS numbers, most specific last.
    pub error_codes: Vec<i64>,
    /// `suberror`, such as `basic_action` or `consent_required`.
    pub suberror: Option<String>,
    /// `claims`: a claims challenge (a JSON string) to send back on the next request.
    pub claims: Option<String>,
    /// `correlation_id`: the client's `client-request-id`, echoed back.
    pub correlation_id: Option<String>,
    /// `trace_id`: the service's request id.
    pub trace_id: Option<String>,
    /// `timestamp`, as the service wrote it (`yyyy-MM-dd HH:mm:ssZ`).
    pub timestamp: Option<String>,
    /// `error_uri`.
    pub error_uri: Option<String>,
    /// `error_additional_info`, such as `["client_mismatch"]` for family refresh tokens.
    pub error_additional_info: Vec<String>,
    /// Every other field of the body, unchanged.
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl EntraError {
    /// Whether the answer carries the given AADSTS number.
    pub fn has_code(&self, code: i64) -> bool {
        self.error_codes.contains(&code)
    }

    /// The first AADSTS number of the answer, the one Entra names in `error_description`.
    pub fn primary_code(&self) -> Option<i64> {
        self.error_codes.first().copied()
    }
}

/// The error type of every crate in this workspace.
///
/// ```
/// use msal_core::{Error, ErrorKind};
///
/// let err = Error::new(ErrorKind::InvalidArgument, "the client id is empty");
/// assert_eq!(err.kind(), ErrorKind::InvalidArgument);
/// assert!(!err.is_retryable());
/// ```
#[derive(Clone)]
pub struct Error {
    kind: ErrorKind,
    reason: Option<FailureReason>,
    message: Cow<'static, str>,
    entra: Option<Box<EntraError>>,
    retry_after: Option<Duration>,
    correlation_id: Option<String>,
    source: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// An error of the given kind with a message. The message must not contain a secret.
    pub fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            kind,
            reason: None,
            message: message.into(),
            entra: None,
            retry_after: None,
            correlation_id: None,
            source: None,
        }
    }

    /// An error of the given kind caused by another error. The cause's own message must not
    /// contain a secret (reqwest, serde_json and openssl errors do not).
    pub fn with_source(
        kind: ErrorKind,
        message: impl Into<Cow<'static, str>>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            source: Some(Arc::new(source)),
            ..Self::new(kind, message)
        }
    }

    /// An error built from an OAuth2 error answer of the identity provider.
    pub fn from_entra(
        kind: ErrorKind,
        message: impl Into<Cow<'static, str>>,
        entra: EntraError,
    ) -> Self {
        let correlation_id = entra.correlation_id.clone();
        let reason = entra
            .error_codes
            .iter()
            .find_map(|&code| FailureReason::from_aadsts(code));
        Self {
            reason,
            entra: Some(Box::new(entra)),
            correlation_id,
            ..Self::new(kind, message)
        }
    }

    /// Sets why the operation failed, replacing a reason derived from the service's answer.
    #[must_use]
    pub fn with_reason(mut self, reason: FailureReason) -> Self {
        self.reason = Some(reason);
        self
    }

    /// Sets how long the service asked the client to wait (`Retry-After`).
    #[must_use]
    pub fn retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// Attaches the correlation id of the operation that failed, unless the service already
    /// named one.
    #[must_use]
    pub fn correlation_id(mut self, id: impl Into<String>) -> Self {
        if self.correlation_id.is_none() {
            self.correlation_id = Some(id.into());
        }
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Why the operation failed, when it is a failure callers commonly handle.
    pub fn reason(&self) -> Option<FailureReason> {
        self.reason
    }

    /// The message, without the correlation id.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The identity provider's error answer, when there was one.
    pub fn entra(&self) -> Option<&EntraError> {
        self.entra.as_deref()
    }

    /// The AADSTS numbers of the service's answer (empty when there was none).
    pub fn aadsts_codes(&self) -> &[i64] {
        self.entra.as_deref().map_or(&[], |e| &e.error_codes)
    }

    /// The claims challenge to pass back on the next (interactive) request, if any.
    pub fn claims(&self) -> Option<&str> {
        self.entra.as_deref().and_then(|e| e.claims.as_deref())
    }

    /// How long the service asked the client to wait before trying again, if it said.
    pub fn retry_after_duration(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The correlation id of the failed operation, to quote when asking for support.
    pub fn correlation(&self) -> Option<&str> {
        self.correlation_id.as_deref()
    }

    /// Whether a time limit was exceeded.
    pub fn is_timeout(&self) -> bool {
        self.kind == ErrorKind::Timeout
    }

    /// Whether the service is throttling this client.
    pub fn is_throttled(&self) -> bool {
        self.kind == ErrorKind::Throttled
    }

    /// Whether the user must sign in interactively.
    pub fn is_interaction_required(&self) -> bool {
        self.kind == ErrorKind::InteractionRequired
    }

    /// Whether the grant (password, refresh token, code, assertion) was rejected.
    pub fn is_invalid_grant(&self) -> bool {
        self.kind == ErrorKind::InvalidGrant
    }

    /// Whether the request failed on the network.
    pub fn is_transport(&self) -> bool {
        self.kind == ErrorKind::Transport
    }

    /// Whether the credential is not usable here (chains move on after this).
    pub fn is_credential_unavailable(&self) -> bool {
        self.kind == ErrorKind::CredentialUnavailable
    }

    /// Whether sending the same request again later may succeed: transport errors, timeouts,
    /// throttling and 5xx answers.
    pub fn is_retryable(&self) -> bool {
        match self.kind {
            ErrorKind::Transport | ErrorKind::Timeout | ErrorKind::Throttled => true,
            ErrorKind::Service => self.entra.as_deref().is_some_and(|e| e.http_status >= 500),
            _ => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(id) = &self.correlation_id {
            write!(f, " (correlation id {id})")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind).field("message", &self.message);
        if let Some(reason) = &self.reason {
            d.field("reason", reason);
        }
        if let Some(entra) = &self.entra {
            d.field("entra", entra);
        }
        if let Some(wait) = &self.retry_after {
            d.field("retry_after", wait);
        }
        if let Some(id) = &self.correlation_id {
            d.field("correlation_id", id);
        }
        if let Some(source) = &self.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_includes_correlation_id_from_the_service() {
        let entra = EntraError {
            http_status: 400,
            error: "invalid_grant".into(),
            error_codes: vec![50126],
            correlation_id: Some("c0ffee".into()),
            ..Default::default()
        };
        let err = Error::from_entra(ErrorKind::InvalidGrant, "wrong password", entra)
            .correlation_id("ignored-because-service-named-one");
        assert_eq!(err.to_string(), "wrong password (correlation id c0ffee)");
        assert_eq!(err.aadsts_codes(), &[50126]);
        assert_eq!(err.reason(), Some(FailureReason::WrongCredentials));
        assert!(err.is_invalid_grant());
        assert!(!err.is_retryable());
    }

    #[test]
    fn service_errors_are_retryable_only_when_5xx() {
        let mk = |status| {
            Error::from_entra(
                ErrorKind::Service,
                "x",
                EntraError {
                    http_status: status,
                    ..Default::default()
                },
            )
        };
        assert!(mk(503).is_retryable());
        assert!(!mk(400).is_retryable());
    }

    #[test]
    fn source_chains_to_the_cause() {
        let cause = std::io::Error::other("disk on fire");
        let err = Error::with_source(ErrorKind::Cache, "could not save the cache", cause);
        let source = std::error::Error::source(&err).expect("source");
        assert_eq!(source.to_string(), "disk on fire");
    }
}

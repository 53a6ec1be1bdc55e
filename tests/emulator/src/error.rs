//! The library's error type.

/// Errors of starting or controlling the emulator (never of serving a request: those
/// become Entra-style HTTP answers).
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The configuration is invalid or unreadable.
    #[error("invalid emulator configuration: {0}")]
    Config(String),
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Key or certificate generation or loading failed.
    #[error("TLS / key material error: {0}")]
    Crypto(String),
    /// An I/O error (writing files).
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A device code operation named an unknown user code or user.
    #[error("device code error: {0}")]
    DeviceCode(String),
}

impl From<openssl::error::ErrorStack> for EmulatorError {
    fn from(e: openssl::error::ErrorStack) -> Self {
        EmulatorError::Crypto(e.to_string())
    }
}

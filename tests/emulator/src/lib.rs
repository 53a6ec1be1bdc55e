//! A local Microsoft Entra ID emulator that real MSAL clients accept.
//!
//! It serves OIDC and instance discovery, user realm discovery, a WS-Trust federated IdP
//! (MEX, 1.3 and 2005), `/authorize`, `/devicecode`, `/token` for every grant MSAL uses,
//! the managed identity endpoints, and Entra's exact error bodies; with fault injection
//! and a masked request log for tests. It imports none of the project's msal crates.
//!
//! ```no_run
//! # async fn demo() -> Result<(), entra_emulator::EmulatorError> {
//! use entra_emulator::{Emulator, StartOptions};
//! let emulator = Emulator::start(StartOptions::default()).await?;
//! let authority = emulator.authority(&emulator.tenant_id());
//! let ca_pem = emulator.ca_pem().unwrap_or_default();
//! println!("{authority} trusts {} bytes of CA", ca_pem.len());
//! # Ok(()) }
//! ```

pub mod config;
mod emulator;
pub mod error;
mod errors;
pub mod faults;
pub mod federation;
mod http;
pub mod info;
pub mod jwt;
pub mod log;
mod routes;
mod scopes;
mod server;
mod state;
pub mod tls;

pub use config::EmulatorConfig;
pub use emulator::{Emulator, StartOptions};
pub use error::EmulatorError;
pub use faults::{FaultEndpoint, FaultKind, FaultRule, FaultTrigger};
pub use info::EmulatorInfo;
pub use log::LoggedRequest;
pub use routes::imds::APP_SERVICE_IDENTITY_HEADER;
pub use tls::TlsMaterial;

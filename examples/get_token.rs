//! `get_token`: a scriptable token command, the Rust counterpart of
//! `az account get-access-token`. One JSON object on stdout; on failure a JSON error on stderr
//! and exit code 1.
//!
//! ```text
//! get_token --flow password|device-code|client-secret|client-certificate|on-behalf-of|refresh
//!           --authority URL --client-id ID --scope S [--scope S ...]
//!           [--username U] [--password-env VAR] [--client-secret-env VAR]
//!           [--certificate FILE] [--assertion-env VAR] [--cache-file PATH] [--ca-file PEM]
//!           [--no-instance-discovery] [--silent-only] [--show-token]
//! ```
//!
//! Output: `{"token_type", "expires_on" (Unix seconds), "scopes", "source":
//! "cache"|"identity_provider", "account"}` (`"access_token"` only with `--show-token`).
//! `--cache-file` is an MSAL unified cache file (the format MSAL Python, .NET and the Azure
//! CLI write). `--silent-only` reads that cache and sends no request at all (not even
//! discovery): a valid access token is printed, anything else fails. Defaults:
//! `--password-env AZURE_PASSWORD`, `--client-secret-env AZURE_CLIENT_SECRET`,
//! `--assertion-env AZURE_USER_ASSERTION`. With no emulator involved, this command talks to
//! whatever authority it is given.

#[path = "get_token/run.rs"]
mod run;
#[path = "get_token/silent.rs"]
mod silent;

use std::process::ExitCode;

use msal_examples::Args;
use serde_json::{Value, json};

/// Flags without a value.
const FLAGS: [&str; 3] = ["--no-instance-discovery", "--silent-only", "--show-token"];
/// Options with a value.
const OPTIONS: [&str; 12] = [
    "--flow",
    "--authority",
    "--client-id",
    "--scope",
    "--username",
    "--password-env",
    "--client-secret-env",
    "--certificate",
    "--assertion-env",
    "--cache-file",
    "--ca-file",
    "--help",
];

/// A failure as printed on stderr.
#[derive(Debug)]
pub struct Failure(pub Value);

impl From<msal_core::Error> for Failure {
    fn from(e: msal_core::Error) -> Self {
        let entra = e.entra();
        Failure(json!({
            "error": entra.map_or(e.kind().as_str().to_owned(), |x| x.error.clone()),
            "error_description": e.message(),
            "kind": e.kind().as_str(),
            "error_codes": e.aadsts_codes(),
            "correlation_id": e.correlation(),
            "trace_id": entra.and_then(|x| x.trace_id.clone()),
        }))
    }
}

impl Failure {
    /// A usage or local error.
    pub fn new(error: &str, description: impl Into<String>) -> Self {
        Failure(json!({
            "error": error,
            "error_description": description.into(),
            "error_codes": [],
            "correlation_id": null,
        }))
    }
}

fn main() -> ExitCode {
    let args = Args::from_env();
    let result = match args.unknown(&FLAGS, &OPTIONS) {
        Some(bad) => Err(Failure::new(
            "invalid_argument",
            format!("unknown argument {bad:?}"),
        )),
        None => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure::new("runtime", e.to_string()))
            .and_then(|rt| rt.block_on(run::run(&args))),
    };
    match result {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(Failure(err)) => {
            eprintln!("{err}");
            ExitCode::FAILURE
        }
    }
}

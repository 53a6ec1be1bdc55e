//! An SDK-style client (`client::WhoAmIClient`, which depends on `msal-core` only) used with
//! two different credentials: the application's (`ClientSecretCredential`) and a user's
//! (`UsernamePasswordCredential`). The client takes `Arc<dyn TokenCredential>`; the app
//! chooses the credential.
//!
//! ```sh
//! cargo run --example sdk_client      # in-process emulator
//! ```
//!
//! The emulator has no protected API, so the client validates each token itself against the
//! emulator's JWKS, as the API would (see `client.rs`).

mod client;

use std::sync::Arc;

use azure_credential::{
    ClientSecretCredential, ClientSecretCredentialOptions, UsernamePasswordCredential,
    UsernamePasswordCredentialOptions,
};
use client::WhoAmIClient;
use msal_core::TokenCredential;
use msal_examples::print::{field, step};
use msal_examples::sandbox::{EMULATOR_CONFIDENTIAL_APP, EMULATOR_PUBLIC_APP, EMULATOR_USER};
use msal_examples::{Args, BoxError, Sandbox};

const API: &str = "https://graph.microsoft.com";

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Args::from_env();
    if let Some(bad) = args.unknown(&[], &[]) {
        return Err(format!("unknown argument {bad:?}").into());
    }
    let sandbox = Sandbox::emulator().await?;
    let tenant = sandbox.tenant_id()?;
    let authority = format!("{}/{tenant}", sandbox.authority_host());

    let app = sandbox.app(EMULATOR_CONFIDENTIAL_APP)?;
    let mut o = ClientSecretCredentialOptions::default();
    o.credential_options = sandbox.credential_options();
    let daemon: Arc<dyn TokenCredential> = ClientSecretCredential::new(
        &tenant,
        app.client_id,
        app.client_secret.ok_or("no secret")?,
        Some(o),
    )?;

    let mut o = UsernamePasswordCredentialOptions::default();
    o.credential_options = sandbox.credential_options();
    o.tenant_id = Some(tenant.clone());
    let user: Arc<dyn TokenCredential> = UsernamePasswordCredential::new(
        sandbox.app(EMULATOR_PUBLIC_APP)?.client_id,
        EMULATOR_USER,
        sandbox.user(EMULATOR_USER)?.password,
        Some(o),
    )?;

    for (label, credential) in [
        ("ClientSecretCredential", daemon),
        ("UsernamePasswordCredential", user),
    ] {
        step(&format!("WhoAmIClient with {label}"));
        let client = WhoAmIClient::new(credential, sandbox.http.clone(), &authority, API);
        let me = client.who_am_i().await?;
        field("subject", &me.subject);
        field("tenant", &me.tenant);
        let none = "(none: no scp or roles claim)".to_owned();
        field(
            "permissions",
            if me.permissions.is_empty() {
                &none
            } else {
                &me.permissions
            },
        );
        field(
            "validated",
            "signature (emulator JWKS), audience, issuer, lifetime",
        );
    }
    Ok(())
}

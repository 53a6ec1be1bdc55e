//! An application's own token with a client secret (`ClientSecretCredential`, the client
//! credentials grant): daemons and services.
//!
//! ```sh
//! cargo run --example client_secret                         # in-process emulator
//! AZURE_TENANT_ID=... AZURE_CLIENT_ID=... AZURE_CLIENT_SECRET=... \
//!     cargo run --example client_secret                     # real Entra ID
//! ```
//!
//! Flags: `--scope S` (default `https://graph.microsoft.com/.default`: app tokens always
//! ask for a resource's `.default`), `--show-token`.

use azure_credential::{ClientSecretCredential, ClientSecretCredentialOptions};
use msal_examples::demo::get_twice;
use msal_examples::sandbox::EMULATOR_CONFIDENTIAL_APP;
use msal_examples::{Args, BoxError, Sandbox, real_env};

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Args::from_env();
    if let Some(bad) = args.unknown(&["--show-token"], &["--scope"]) {
        return Err(format!("unknown argument {bad:?}").into());
    }
    let scope = args
        .value("--scope")
        .unwrap_or_else(|| "https://graph.microsoft.com/.default".to_owned());
    let (sandbox, tenant, client_id, secret) =
        match real_env(&["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"]) {
            Some(v) => (Sandbox::real()?, v[0].clone(), v[1].clone(), v[2].clone()),
            None => {
                let sandbox = Sandbox::emulator().await?;
                let app = sandbox.app(EMULATOR_CONFIDENTIAL_APP)?;
                let secret = app.client_secret.ok_or("the emulator app has no secret")?;
                let tenant = sandbox.tenant_id()?;
                (sandbox, tenant, app.client_id, secret)
            }
        };
    let mut options = ClientSecretCredentialOptions::default();
    options.credential_options = sandbox.credential_options();
    let credential =
        ClientSecretCredential::new(&tenant, client_id.clone(), secret, Some(options))?;
    get_twice(
        credential.as_ref(),
        &sandbox.http,
        &[scope.as_str()],
        &format!("application {client_id} (app-only token, no user)"),
        args.flag("--show-token"),
    )
    .await?;
    println!(
        "\nThe secret never appears in output, logs or errors. Prefer a certificate (client_certificate) in production."
    );
    Ok(())
}

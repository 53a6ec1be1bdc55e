//! `DefaultAzureCredential`: the same code on a laptop and in Azure. It tries
//! `EnvironmentCredential` (the `AZURE_*` variables), workload identity, managed identity and
//! the Azure CLI, and keeps the first that works.
//!
//! ```sh
//! cargo run --example default_credential       # emulator: EnvironmentCredential fed from it
//! cargo run --example default_credential -- --real   # your environment as it is
//! ```
//!
//! In emulator mode the variables `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`
//! are given to the credential through `CredentialOptions::env` (the process environment is
//! not changed), so `EnvironmentCredential` picks `ClientSecretCredential`.

use azure_credential::{DefaultAzureCredential, DefaultAzureCredentialOptions, Env};
use msal_examples::demo::get_twice;
use msal_examples::print::field;
use msal_examples::sandbox::EMULATOR_CONFIDENTIAL_APP;
use msal_examples::{Args, BoxError, Sandbox};

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Args::from_env();
    if let Some(bad) = args.unknown(&["--show-token", "--real"], &["--scope"]) {
        return Err(format!("unknown argument {bad:?}").into());
    }
    let scope = args
        .value("--scope")
        .unwrap_or_else(|| "https://management.azure.com/.default".to_owned());
    let sandbox = if args.flag("--real") {
        Sandbox::real()?
    } else {
        Sandbox::emulator().await?
    };
    let mut options = DefaultAzureCredentialOptions::default();
    options.credential_options = sandbox.credential_options();
    if sandbox.emulator.is_some() {
        let app = sandbox.app(EMULATOR_CONFIDENTIAL_APP)?;
        let secret = app.client_secret.ok_or("the emulator app has no secret")?;
        let vars = [
            ("AZURE_TENANT_ID", sandbox.tenant_id()?),
            ("AZURE_CLIENT_ID", app.client_id),
            ("AZURE_CLIENT_SECRET", secret),
            ("AZURE_AUTHORITY_HOST", sandbox.authority_host()),
        ];
        println!(
            "  environment  AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_AUTHORITY_HOST (given to the credential only)"
        );
        options.credential_options.env = Env::from_pairs(vars);
        // Only the environment is configured here: leave out the Azure CLI so a developer's
        // own `az login` does not answer instead.
        options.exclude_cli_credential = Some(true);
        options.exclude_managed_identity_credential = Some(true);
    }
    let credential = DefaultAzureCredential::new(Some(options))?;
    let chain: Vec<&str> = credential.kinds().iter().map(|k| k.name()).collect();
    field("chain", chain.join(" -> "));
    get_twice(
        credential.as_ref(),
        &sandbox.http,
        &[scope.as_str()],
        "whatever the chain selects",
        args.flag("--show-token"),
    )
    .await?;
    let selected = credential.selected().map_or("none", |k| k.name());
    field(
        "selected",
        format!("{selected} (kept for every later call)"),
    );
    Ok(())
}

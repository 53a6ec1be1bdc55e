//! Managed identity (`ManagedIdentityCredential`): an Azure host's own identity, no secret
//! to manage. In emulator mode the credential is pointed at the emulator's IMDS endpoint
//! (`/metadata/identity/oauth2/token`); on an Azure VM, App Service or Functions host, pass
//! `--real` and it finds the endpoint itself.
//!
//! ```sh
//! cargo run --example managed_identity                 # emulator's IMDS
//! cargo run --example managed_identity -- --real       # on an Azure host
//! ```
//!
//! Flags: `--client-id ID` (a user-assigned identity), `--scope S`, `--show-token`.

use azure_credential::{
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId,
};
use msal_examples::demo::get_twice;
use msal_examples::print::field;
use msal_examples::{Args, BoxError, Sandbox};

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Args::from_env();
    if let Some(bad) = args.unknown(&["--show-token", "--real"], &["--scope", "--client-id"]) {
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
    let mut options = ManagedIdentityCredentialOptions::default();
    options.credential_options = sandbox.credential_options();
    if sandbox.emulator.is_some() {
        let endpoint = format!(
            "{}/metadata/identity/oauth2/token",
            sandbox.authority_host()
        );
        field("IMDS", &endpoint);
        options.endpoint = Some(endpoint.parse()?);
    }
    let identity = match args.value("--client-id") {
        Some(id) => {
            options.user_assigned_id = Some(UserAssignedId::ClientId(id.clone()));
            format!("user-assigned identity {id}")
        }
        None => "the host's system-assigned identity".to_owned(),
    };
    let credential = ManagedIdentityCredential::new(Some(options))?;
    get_twice(
        credential.as_ref(),
        &sandbox.http,
        &[scope.as_str()],
        &identity,
        args.flag("--show-token"),
    )
    .await?;
    Ok(())
}

//! An application's own token with a certificate (`ClientCertificateCredential`): the
//! credential signs a client assertion (RS256, `x5t#S256`) with the certificate's key.
//!
//! ```sh
//! cargo run --example client_certificate                    # in-process emulator
//! AZURE_TENANT_ID=... AZURE_CLIENT_ID=... AZURE_CLIENT_CERTIFICATE_PATH=cert.pem \
//!     cargo run --example client_certificate                # real Entra ID (PEM or PFX)
//! ```
//!
//! In emulator mode the emulator writes the app's generated certificate and key to files
//! (`Emulator::info()` names them); the example joins them into one PEM, as most users keep
//! theirs. Flags: `--scope S`, `--show-token`.

use azure_credential::{ClientCertificateCredential, ClientCertificateCredentialOptions};
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
    let vars = [
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_CERTIFICATE_PATH",
    ];
    let (sandbox, tenant, client_id, pem) = match real_env(&vars) {
        Some(v) => (
            Sandbox::real()?,
            v[0].clone(),
            v[1].clone(),
            std::fs::read(&v[2])?,
        ),
        None => {
            let sandbox = Sandbox::emulator().await?;
            let app = sandbox.app(EMULATOR_CONFIDENTIAL_APP)?;
            let cert = app.certificate_pem_path.ok_or("no certificate file")?;
            let key = app.private_key_pem_path.ok_or("no key file")?;
            println!("  certificate  {cert}\n  private key  {key}");
            let mut pem = std::fs::read(cert)?;
            pem.extend(std::fs::read(key)?);
            let tenant = sandbox.tenant_id()?;
            (sandbox, tenant, app.client_id, pem)
        }
    };
    let mut options = ClientCertificateCredentialOptions::default();
    options.credential_options = sandbox.credential_options();
    let credential =
        ClientCertificateCredential::new(&tenant, client_id.clone(), &pem, Some(options))?;
    get_twice(
        credential.as_ref(),
        &sandbox.http,
        &[scope.as_str()],
        &format!("application {client_id} (app-only token, no user)"),
        args.flag("--show-token"),
    )
    .await?;
    Ok(())
}

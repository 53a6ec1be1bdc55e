//! Interactive browser (`InteractiveBrowserCredential`): the credential opens the system
//! browser at the sign-in page and listens on `http://localhost:{port}` for the answer
//! (authorization code with PKCE).
//!
//! ```sh
//! cargo run --example interactive_browser      # emulator: it plays the browser
//! AZURE_TENANT_ID=... AZURE_CLIENT_ID=... cargo run --example interactive_browser   # real
//! ```
//!
//! In emulator mode the credential's `open_browser` callback prints the URL and hands it to
//! a stand-in browser that does the GET: the emulator signs alice in (the login hint) and
//! redirects to the credential's loopback listener. Flags: `--scope S`, `--show-token`.

use std::sync::Arc;

use azure_credential::{InteractiveBrowserCredential, InteractiveBrowserCredentialOptions};
use msal_examples::demo::get_twice;
use msal_examples::print::field;
use msal_examples::sandbox::{EMULATOR_PUBLIC_APP, EMULATOR_USER};
use msal_examples::{Args, BoxError, Sandbox, browser, real_env};
use url::Url;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Args::from_env();
    if let Some(bad) = args.unknown(&["--show-token"], &["--scope"]) {
        return Err(format!("unknown argument {bad:?}").into());
    }
    let scope = args
        .value("--scope")
        .unwrap_or_else(|| "https://graph.microsoft.com/User.Read".to_owned());
    let (sandbox, tenant, client_id) = match real_env(&["AZURE_TENANT_ID", "AZURE_CLIENT_ID"]) {
        Some(v) => (Sandbox::real()?, v[0].clone(), v[1].clone()),
        None => {
            let sandbox = Sandbox::emulator().await?;
            let tenant = sandbox.tenant_id()?;
            let client_id = sandbox.app(EMULATOR_PUBLIC_APP)?.client_id;
            (sandbox, tenant, client_id)
        }
    };
    let mut options = InteractiveBrowserCredentialOptions::default();
    options.credential_options = sandbox.credential_options();
    options.client_id = Some(client_id);
    options.tenant_id = Some(tenant);
    if sandbox.emulator.is_some() {
        options.login_hint = Some(EMULATOR_USER.to_owned());
        let http = sandbox.http.clone();
        options.open_browser = Some(Arc::new(move |url: &Url| {
            field(
                "browser",
                "opening the sign-in page (the emulator plays the browser):",
            );
            println!("  {url}");
            let (http, url) = (http.clone(), url.clone());
            tokio::spawn(async move {
                match browser::follow(&http, url).await {
                    Ok((status, _)) => {
                        field("redirect", format!("loopback listener answered {status}"))
                    }
                    Err(e) => eprintln!("the stand-in browser failed: {e}"),
                }
            });
            Ok(())
        }));
    }
    let credential = InteractiveBrowserCredential::new(Some(options))?;
    get_twice(
        credential.as_ref(),
        &sandbox.http,
        &[scope.as_str()],
        EMULATOR_USER,
        args.flag("--show-token"),
    )
    .await?;
    if let Some(record) = credential.authentication_record() {
        field("record", record.serialize());
    }
    Ok(())
}

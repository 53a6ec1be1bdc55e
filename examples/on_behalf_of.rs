//! On-behalf-of (`OnBehalfOfCredential`): a web API receives a user's token and exchanges it
//! for a token to call another API as that user.
//!
//! ```sh
//! cargo run --example on_behalf_of      # in-process emulator only
//! ```
//!
//! In emulator mode: alice signs in to the public app for the middle-tier API
//! (`api://33333333-.../.default`); that token is the incoming assertion; the middle tier
//! (`33333333-...`, with its secret) exchanges it for a Microsoft Graph token. In real mode
//! set `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET` (the middle tier) and
//! `AZURE_USER_ASSERTION` (the incoming token). Flags: `--show-token`.

use azure_credential::{
    ClientCredential, OnBehalfOfCredential, OnBehalfOfCredentialOptions,
    UsernamePasswordCredential, UsernamePasswordCredentialOptions,
};
use msal_core::{TokenCredential, TokenRequestOptions};
use msal_examples::demo::get_twice;
use msal_examples::print::{field, step};
use msal_examples::sandbox::{EMULATOR_API_APP, EMULATOR_PUBLIC_APP, EMULATOR_USER};
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
        "AZURE_CLIENT_SECRET",
        "AZURE_USER_ASSERTION",
    ];
    let (sandbox, tenant, api_id, secret, assertion) = match real_env(&vars) {
        Some(v) => (
            Sandbox::real()?,
            v[0].clone(),
            v[1].clone(),
            v[2].clone(),
            v[3].clone(),
        ),
        None => {
            let sandbox = Sandbox::emulator().await?;
            let tenant = sandbox.tenant_id()?;
            let api = sandbox.app(EMULATOR_API_APP)?;
            let secret = api.client_secret.ok_or("the emulator API has no secret")?;
            step(
                "0. the client app signs alice in for the middle-tier API (this token is what the API receives)",
            );
            let mut o = UsernamePasswordCredentialOptions::default();
            o.credential_options = sandbox.credential_options();
            o.tenant_id = Some(tenant.clone());
            let user = UsernamePasswordCredential::new(
                sandbox.app(EMULATOR_PUBLIC_APP)?.client_id,
                EMULATOR_USER,
                sandbox.user(EMULATOR_USER)?.password,
                Some(o),
            )?;
            let api_scope = format!("api://{}/.default", api.client_id);
            let incoming = user
                .get_token(&[api_scope.as_str()], TokenRequestOptions::default())
                .await?;
            field("audience", &api_scope);
            field("assertion", format!("{} characters", incoming.token.len()));
            let assertion = incoming.token.expose().to_owned();
            (sandbox, tenant, api.client_id, secret, assertion)
        }
    };
    let mut options = OnBehalfOfCredentialOptions::default();
    options.credential_options = sandbox.credential_options();
    let credential = OnBehalfOfCredential::new(
        &tenant,
        api_id.clone(),
        assertion,
        ClientCredential::Secret(secret.into()),
        Some(options),
    )?;
    get_twice(
        credential.as_ref(),
        &sandbox.http,
        &[scope.as_str()],
        &format!("the user of the incoming token, via middle tier {api_id}"),
        args.flag("--show-token"),
    )
    .await?;
    Ok(())
}

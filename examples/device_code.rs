//! Device code (`DeviceCodeCredential`): sign in on another device. The credential shows a
//! code and a URL, then polls until the user has signed in.
//!
//! ```sh
//! cargo run --example device_code                 # emulator: approved for alice after 1 s
//! AZURE_TENANT_ID=... AZURE_CLIENT_ID=... cargo run --example device_code   # real Entra ID
//! ```
//!
//! Flags: `--scope S`, `--show-token`.

use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use azure_credential::{DeviceCodeCredential, DeviceCodeCredentialOptions, DeviceCodeInfo};
use entra_emulator::{EmulatorConfig, StartOptions};
use msal_core::{TokenCredential, TokenRequestOptions};
use msal_examples::demo::{FIRST, print_first, second_call};
use msal_examples::print::step;
use msal_examples::sandbox::{EMULATOR_PUBLIC_APP, EMULATOR_USER};
use msal_examples::{Args, BoxError, Sandbox, real_env};

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
            // Poll every second instead of Entra's 5 s, so the example finishes quickly.
            let start = StartOptions {
                config: EmulatorConfig {
                    device_code_interval_secs: 1,
                    ..EmulatorConfig::default()
                },
                ..StartOptions::default()
            };
            let sandbox = Sandbox::emulator_with(start).await?;
            let tenant = sandbox.tenant_id()?;
            let client_id = sandbox.app(EMULATOR_PUBLIC_APP)?.client_id;
            (sandbox, tenant, client_id)
        }
    };
    let emulator = sandbox.emulator.clone();
    let spinner: Arc<std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>> = Arc::default();
    let spinner_slot = spinner.clone();
    let prompt = move |info: &DeviceCodeInfo| {
        println!("\n{}", info.message);
        if let Some(emulator) = &emulator {
            println!(
                "(emulator mode: the emulator approves code {} as {EMULATOR_USER} in 1 s)",
                info.user_code
            );
            let (emulator, code) = (emulator.clone(), info.user_code.clone());
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let _ = emulator.approve_device_code(&code, EMULATOR_USER);
            });
        }
        let task = tokio::spawn(async {
            let frames = ['|', '/', '-', '\\'];
            for i in 0usize.. {
                eprint!("\r{} waiting for the sign-in...", frames[i % frames.len()]);
                let _ = std::io::stderr().flush();
                tokio::time::sleep(Duration::from_millis(120)).await;
            }
        });
        if let Ok(mut slot) = spinner_slot.lock() {
            *slot = Some(task);
        }
    };
    let mut options = DeviceCodeCredentialOptions::default();
    options.credential_options = sandbox.credential_options();
    options.client_id = Some(client_id);
    options.tenant_id = Some(tenant);
    options.prompt_callback = Some(Arc::new(prompt));
    options.timeout = Some(Duration::from_secs(120));
    let credential = DeviceCodeCredential::new(Some(options))?;
    let scopes = [scope.as_str()];

    step(FIRST);
    let (before, started) = (sandbox.http.counts(), Instant::now());
    let token = credential
        .get_token_info(&scopes, TokenRequestOptions::default())
        .await;
    let took = started.elapsed();
    if let Some(task) = spinner.lock().ok().and_then(|mut s| s.take()) {
        task.abort();
        eprint!("\r{:40}\r", "");
    }
    let token = token?;
    let account = credential.authentication_record().map_or_else(
        || "the user who entered the code".to_owned(),
        |r| r.username,
    );
    let show = args.flag("--show-token");
    print_first(
        &token,
        &account,
        &scopes,
        before,
        sandbox.http.counts(),
        took,
        show,
    );
    second_call(credential.as_ref(), &sandbox.http, &scopes, &token).await?;
    Ok(())
}

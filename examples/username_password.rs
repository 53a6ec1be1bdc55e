//! Sign a user in with a username and password (`UsernamePasswordCredential`, ROPC), then
//! see the cache at work, `authenticate()` and the `AuthenticationRecord`.
//!
//! ```sh
//! cargo run --example username_password                               # in-process emulator
//! cargo run --example username_password -- --cache-file /tmp/demo     # run it twice
//! AZURE_TENANT_ID=... AZURE_CLIENT_ID=... AZURE_USERNAME=... AZURE_PASSWORD=... \
//!     cargo run --example username_password                           # real Entra ID
//! ```
//!
//! Flags: `--cache-file PATH` persists the token cache (`PATH.nocae`, azure-identity's file
//! naming) and the record (`PATH.record.json`): the next run signs in silently, with no
//! password. `--scope S` (default `https://graph.microsoft.com/User.Read`), `--show-token`.
//!
//! ROPC is discouraged: it cannot do multi-factor authentication and works only for work and
//! school accounts. It is here because it is the shortest way to see a token.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use azure_credential::{
    AuthenticationRecord, TokenCachePersistenceOptions, UsernamePasswordCredential,
    UsernamePasswordCredentialOptions,
};
use msal_cache::{FilePersistence, PersistentTokenCache};
use msal_core::{TokenCredential, TokenRequestOptions};
use msal_examples::print::{self, field, step};
use msal_examples::sandbox::{EMULATOR_PUBLIC_APP, EMULATOR_USER};
use msal_examples::{Args, BoxError, Sandbox, real_env};
use msal_flows::{AppTokenCache, CallOptions, PublicClientApplication};

const REAL_VARS: [&str; 4] = [
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_USERNAME",
    "AZURE_PASSWORD",
];

struct Who {
    tenant: String,
    client_id: String,
    username: String,
    password: String,
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = Args::from_env();
    if let Some(bad) = args.unknown(&["--show-token"], &["--cache-file", "--scope"]) {
        return Err(
            format!("unknown argument {bad:?}; see the top of username_password.rs").into(),
        );
    }
    let show = args.flag("--show-token");
    let scope = args
        .value("--scope")
        .unwrap_or_else(|| "https://graph.microsoft.com/User.Read".to_owned());
    let scopes = [scope.as_str()];
    let cache_file = args.value("--cache-file").map(PathBuf::from);

    let (sandbox, who) = match real_env(&REAL_VARS) {
        Some(v) => (
            Sandbox::real()?,
            Who {
                tenant: v[0].clone(),
                client_id: v[1].clone(),
                username: v[2].clone(),
                password: v[3].clone(),
            },
        ),
        None => {
            let sandbox = Sandbox::emulator().await?;
            let who = Who {
                tenant: sandbox.tenant_id()?,
                client_id: sandbox.app(EMULATOR_PUBLIC_APP)?.client_id,
                username: EMULATOR_USER.to_owned(),
                password: sandbox.user(EMULATOR_USER)?.password,
            };
            (sandbox, who)
        }
    };

    if let Some(path) = &cache_file
        && let Some(record) = read_record(path)?
    {
        match silent_sign_in(&sandbox, &record, path, &scopes, show).await {
            Ok(()) => return Ok(()),
            Err(e) => println!(
                "Silent sign-in from {} did not work ({e}); signing in with the password instead.",
                path.display()
            ),
        }
    }

    let mut options = UsernamePasswordCredentialOptions::default();
    options.credential_options = sandbox.credential_options();
    options.tenant_id = Some(who.tenant.clone());
    if let Some(path) = &cache_file {
        options.credential_options.cache_persistence = Some(persistence(path)?);
    }
    let credential = UsernamePasswordCredential::new(
        &who.client_id,
        &who.username,
        who.password,
        Some(options),
    )?;

    step("1. get_token: no token yet, so the credential signs in with the password (ROPC)");
    let (before, started) = (sandbox.http.counts(), Instant::now());
    let token = credential
        .get_token_info(&scopes, TokenRequestOptions::default())
        .await?;
    let took = started.elapsed();
    field("account", &who.username);
    field("scopes", scope.as_str());
    field("expires", print::expiry(token.expires_on));
    field("source", print::source(before, sandbox.http.counts(), took));
    field("token", print::token(&token.token, show));

    step("2. get_token again: the credential answers from its cache");
    let (before, started) = (sandbox.http.counts(), Instant::now());
    let again = credential
        .get_token_info(&scopes, TokenRequestOptions::default())
        .await?;
    let took = started.elapsed();
    field("source", print::source(before, sandbox.http.counts(), took));
    field(
        "same token",
        if again.token.expose() == token.token.expose() {
            "yes"
        } else {
            "no"
        },
    );

    step("3. authenticate(): signs in now and returns the AuthenticationRecord (no secret in it)");
    let record = credential.authenticate(&scopes, None).await?;
    println!("  {}", record.serialize());

    if let Some(path) = &cache_file {
        let record_path = record_file(path);
        std::fs::write(&record_path, record.serialize())?;
        step("4. persisted");
        field("token cache", cache_path(path).display());
        field("record", record_path.display());
        println!("  Run again with the same --cache-file: it signs in silently, with no password.");
    }
    println!(
        "\nNote: username/password (ROPC) cannot do MFA and is deprecated in Azure Identity; \
         prefer device_code or interactive_browser for people, client_certificate for services."
    );
    Ok(())
}

/// The second run: the record names the account, the persisted cache holds its tokens; an
/// application with that cache answers `acquire_token_silent` without any password.
async fn silent_sign_in(
    sandbox: &Sandbox,
    record: &AuthenticationRecord,
    path: &Path,
    scopes: &[&str],
    show: bool,
) -> Result<(), BoxError> {
    step(&format!(
        "Found {}: signing in silently as {} (no password)",
        record_file(path).display(),
        record.username
    ));
    let file = FilePersistence::new(cache_path(path), None);
    let cache = AppTokenCache::from(Arc::new(PersistentTokenCache::new(Arc::new(file))));
    let app = PublicClientApplication::builder(record.client_id.clone())
        .authority(format!("{}/{}", sandbox.authority_host(), record.tenant_id))
        .token_cache(cache)
        .http_client(sandbox.http.clone())
        .instance_discovery(sandbox.emulator.is_none())
        .build()?;
    let account = app
        .get_account(&record.home_account_id)
        .await?
        .ok_or("the account of the record is not in the cache file")?;
    let (before, started) = (sandbox.http.counts(), Instant::now());
    let result = app
        .acquire_token_silent(scopes, &account, &CallOptions::new())
        .await?;
    let took = started.elapsed();
    field("account", account.username.as_deref().unwrap_or("?"));
    field("scopes", result.scopes.join(" "));
    field("expires", print::expiry(result.expires_on));
    field(
        "source",
        format!(
            "{} ({})",
            print::source(before, sandbox.http.counts(), took),
            result.token_source.as_str()
        ),
    );
    field("token", print::token(&result.access_token, show));
    println!("  Signed in silently: the password was neither asked for nor sent.");
    Ok(())
}

fn persistence(path: &Path) -> Result<TokenCachePersistenceOptions, BoxError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or("--cache-file needs a file name")?;
    let mut options = TokenCachePersistenceOptions::default();
    options.name = name.to_owned();
    options.directory = Some(match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    });
    // The OS secret store is not wired into azure-credential yet: a file readable by the
    // user only.
    options.allow_unencrypted_storage = true;
    Ok(options)
}

/// azure-identity's naming: `<name>.nocae` (and `<name>.cae` for CAE tokens).
fn cache_path(path: &Path) -> PathBuf {
    with_suffix(path, ".nocae")
}

fn record_file(path: &Path) -> PathBuf {
    with_suffix(path, ".record.json")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn read_record(path: &Path) -> Result<Option<AuthenticationRecord>, BoxError> {
    match std::fs::read_to_string(record_file(path)) {
        Ok(json) if cache_path(path).exists() => {
            Ok(Some(AuthenticationRecord::deserialize(&json)?))
        }
        Ok(_) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

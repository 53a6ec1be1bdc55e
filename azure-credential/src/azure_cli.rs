//! `AzureCliCredential`: the token of the user signed in to the Azure CLI
//! (`az account get-access-token`).

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use msal_core::{
    AccessTokenInfo, Error, ErrorKind, Result, Secret, TokenCredential, TokenRequestOptions,
};
use serde::Deserialize;
use time::OffsetDateTime;
use time::macros::format_description;

use crate::errors::{check_scopes, unavailable};
use crate::options::CredentialOptions;
use crate::refresh::{TokenKey, TokenPolicy};
use crate::tenant::{resolve_tenant, validate_tenant_id};

/// Options of [`AzureCliCredential`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AzureCliCredentialOptions {
    /// Options every credential has (`additionally_allowed_tenants`, `env`, `clock` apply).
    pub credential_options: CredentialOptions,
    /// The tenant passed as `--tenant` (default: the CLI's current tenant).
    pub tenant_id: Option<String>,
    /// The subscription passed as `--subscription`.
    pub subscription: Option<String>,
    /// How long the CLI may run (default 10 seconds).
    pub process_timeout: Duration,
    /// The program to run (default `az`, found on `PATH`).
    pub program: PathBuf,
}

impl Default for AzureCliCredentialOptions {
    fn default() -> Self {
        Self {
            credential_options: CredentialOptions::default(),
            tenant_id: None,
            subscription: None,
            process_timeout: Duration::from_secs(10),
            program: PathBuf::from("az"),
        }
    }
}

/// Gets tokens from the Azure CLI. The CLI missing, not signed in or timing out makes the
/// credential unavailable (chains move on); a CLI error otherwise is a failure.
pub struct AzureCliCredential {
    options: AzureCliCredentialOptions,
    policy: TokenPolicy,
}

impl std::fmt::Debug for AzureCliCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AzureCliCredential")
            .field("tenant_id", &self.options.tenant_id)
            .field("subscription", &self.options.subscription)
            .field("program", &self.options.program)
            .field("process_timeout", &self.options.process_timeout)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CliToken {
    access_token: String,
    #[serde(default)]
    expires_on: Option<String>,
    #[serde(default, rename = "expires_on")]
    expires_on_unix: Option<i64>,
    #[serde(default)]
    token_type: Option<String>,
}

impl AzureCliCredential {
    /// A credential that runs the Azure CLI.
    ///
    /// Errors: [`ErrorKind::InvalidArgument`] for an invalid tenant id.
    pub fn new(options: Option<AzureCliCredentialOptions>) -> Result<Arc<Self>> {
        let options = options.unwrap_or_default();
        if let Some(tenant) = &options.tenant_id {
            validate_tenant_id(tenant)?;
        }
        Ok(Arc::new(Self {
            policy: TokenPolicy::new(options.credential_options.clock.clone()),
            options,
        }))
    }

    fn arguments(&self, scope: &str, tenant: &str) -> Vec<String> {
        let mut args: Vec<String> = ["account", "get-access-token", "--output", "json"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        match scope.strip_suffix("/.default") {
            Some(resource) => args.extend(["--resource".to_owned(), resource.to_owned()]),
            None => args.extend(["--scope".to_owned(), scope.to_owned()]),
        }
        if !tenant.is_empty() {
            args.extend(["--tenant".to_owned(), tenant.to_owned()]);
        }
        if let Some(sub) = &self.options.subscription {
            args.extend(["--subscription".to_owned(), sub.clone()]);
        }
        args
    }

    async fn run(&self, args: Vec<String>) -> Result<AccessTokenInfo> {
        let program = &self.options.program;
        let child = tokio::process::Command::new(program)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                Error::with_source(
                    ErrorKind::CredentialUnavailable,
                    "Azure CLI not found on path: install it (https://aka.ms/azure-cli) and run 'az login'",
                    e,
                )
            })?;
        let output = tokio::time::timeout(self.options.process_timeout, child.wait_with_output())
            .await
            .map_err(|_| unavailable("timed out waiting for the Azure CLI"))?
            .map_err(|e| {
                Error::with_source(
                    ErrorKind::CredentialUnavailable,
                    "the Azure CLI failed to run",
                    e,
                )
            })?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(cli_failure(output.status.code(), stderr.trim()));
        }
        parse_output(&output.stdout)
    }
}

/// The error of a CLI run that exited with a failure.
fn cli_failure(code: Option<i32>, stderr: &str) -> Error {
    let lower = stderr.to_ascii_lowercase();
    if code == Some(127)
        || lower.contains("not recognized")
        || lower.contains("not found") && lower.contains("az")
    {
        return unavailable("Azure CLI not found on path: install it and run 'az login'");
    }
    if lower.contains("az login") || lower.contains("az account set") {
        return unavailable("the Azure CLI is not signed in: run 'az login'");
    }
    let first = stderr
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(400)
        .collect::<String>();
    Error::new(
        ErrorKind::Service,
        format!("the Azure CLI could not get a token: {first}"),
    )
}

/// Parses the JSON of `az account get-access-token`.
fn parse_output(stdout: &[u8]) -> Result<AccessTokenInfo> {
    let token: CliToken = serde_json::from_slice(stdout).map_err(|e| {
        Error::with_source(
            ErrorKind::MalformedResponse,
            "the Azure CLI's output is not the expected JSON",
            e,
        )
    })?;
    let expires_on = match (token.expires_on_unix, token.expires_on.as_deref()) {
        (Some(unix), _) => OffsetDateTime::from_unix_timestamp(unix).ok(),
        (None, Some(text)) => parse_expires_on(text),
        (None, None) => None,
    }
    .ok_or_else(|| {
        Error::new(
            ErrorKind::MalformedResponse,
            "the Azure CLI's output has no valid expiry (expires_on / expiresOn)",
        )
    })?;
    Ok(AccessTokenInfo {
        token: Secret::new(token.access_token),
        expires_on,
        token_type: token.token_type.unwrap_or_else(|| "Bearer".to_owned()),
        refresh_on: None,
    })
}

/// `expiresOn` of older CLIs: `2024-01-01 12:00:00.000000`, read as UTC (newer CLIs also
/// write the unambiguous `expires_on`, which wins).
fn parse_expires_on(text: &str) -> Option<OffsetDateTime> {
    let with_fraction =
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond]");
    let without = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::PrimitiveDateTime::parse(text, with_fraction)
        .or_else(|_| time::PrimitiveDateTime::parse(text, without))
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
}

/// Checks a scope before it goes on a command line.
fn validate_scope(scope: &str) -> Result<()> {
    if scope
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_.:/-".contains(c))
    {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("the scope {scope:?} has characters the Azure CLI credential does not accept"),
        ))
    }
}

#[async_trait]
impl TokenCredential for AzureCliCredential {
    async fn get_token_info(
        &self,
        scopes: &[&str],
        options: TokenRequestOptions,
    ) -> Result<AccessTokenInfo> {
        check_scopes(scopes)?;
        let [scope] = scopes else {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "the Azure CLI credential takes exactly one scope",
            ));
        };
        validate_scope(scope)?;
        let common = &self.options.credential_options;
        let configured = self.options.tenant_id.clone().unwrap_or_default();
        let tenant = resolve_tenant(
            &configured,
            options.tenant_id.as_deref(),
            &common.additionally_allowed_tenants,
            &common.env,
        )?;
        let key = TokenKey {
            scopes: vec![(*scope).to_owned()],
            tenant: tenant.clone(),
            claims: None,
            cae: false,
        };
        let args = self.arguments(scope, &tenant);
        self.policy.get(key, |_| self.run(args)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_with_expires_on_unix_wins_over_the_local_text() {
        let json = br#"{"accessToken":"t","expiresOn":"2000-01-01 00:00:00.000000","expires_on":1800000000,"tokenType":"Bearer"}"#;
        let info = parse_output(json).unwrap();
        assert_eq!(info.expires_on.unix_timestamp(), 1_800_000_000);
        let json = br#"{"accessToken":"t","expiresOn":"2027-01-15 08:30:00.123456"}"#;
        let info = parse_output(json).unwrap();
        assert_eq!(info.expires_on.unix_timestamp(), 1_800_001_800);
        assert_eq!(
            parse_output(br#"{"accessToken":"t"}"#).unwrap_err().kind(),
            ErrorKind::MalformedResponse
        );
    }

    #[test]
    fn login_hints_are_unavailable_other_failures_are_errors() {
        let e = cli_failure(Some(1), "ERROR: Please run 'az login' to setup account.");
        assert_eq!(e.kind(), ErrorKind::CredentialUnavailable);
        let e = cli_failure(Some(127), "");
        assert_eq!(e.kind(), ErrorKind::CredentialUnavailable);
        let e = cli_failure(Some(1), "ERROR: AADSTS70043: The refresh token has expired");
        assert_eq!(e.kind(), ErrorKind::Service);
    }

    #[test]
    fn resource_or_scope_and_tenant_arguments() {
        let credential = AzureCliCredential::new(None).unwrap();
        let args = credential.arguments("https://management.azure.com/.default", "t1");
        assert_eq!(
            args[4..],
            [
                "--resource",
                "https://management.azure.com",
                "--tenant",
                "t1"
            ]
        );
        let args = credential.arguments("https://graph.microsoft.com/User.Read", "");
        assert_eq!(
            args[4..],
            ["--scope", "https://graph.microsoft.com/User.Read"]
        );
        assert!(validate_scope("https://x/.default; rm -rf /").is_err());
    }
}

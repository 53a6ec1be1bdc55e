//! Where managed identity tokens come from: source detection from the environment and the
//! built-in HTTP client.

use std::sync::Arc;

use msal_core::endpoint::imds::ManagedIdentitySource;
use msal_core::http::{HttpClient, HttpOptions, ReqwestHttpClient};
use msal_core::{Error, ErrorKind, Result, Secret};
use url::Url;

use super::IMDS_PROBE_CONNECT_TIMEOUT;

/// Detects the managed identity source from environment variables read through `var`:
/// App Service when `IDENTITY_ENDPOINT` and `IDENTITY_HEADER` are set, else IMDS at
/// `IMDS_ENDPOINT` or `AZURE_POD_IDENTITY_AUTHORITY_HOST` (a base URL), else IMDS at
/// `169.254.169.254`.
///
/// ```
/// use msal_core::endpoint::imds::ManagedIdentitySource;
/// use msal_flows::detect_managed_identity_source;
///
/// let source = detect_managed_identity_source(|name| match name {
///     "IDENTITY_ENDPOINT" => Some("http://127.0.0.1:41741/msi/token".into()),
///     "IDENTITY_HEADER" => Some("secret-header".into()),
///     _ => None,
/// })?;
/// assert!(matches!(source, ManagedIdentitySource::AppService { .. }));
/// # Ok::<(), msal_core::Error>(())
/// ```
///
/// Errors: [`ErrorKind::InvalidArgument`] when a variable is not a valid `http(s)` URL.
pub fn detect_managed_identity_source(
    var: impl Fn(&str) -> Option<String>,
) -> Result<ManagedIdentitySource> {
    let get = |name: &str| var(name).filter(|v| !v.trim().is_empty());
    if let (Some(endpoint), Some(header)) = (get("IDENTITY_ENDPOINT"), get("IDENTITY_HEADER")) {
        let url = parse_endpoint("IDENTITY_ENDPOINT", &endpoint)?;
        return Ok(ManagedIdentitySource::app_service(url, Secret::new(header)));
    }
    for name in ["IMDS_ENDPOINT", "AZURE_POD_IDENTITY_AUTHORITY_HOST"] {
        if let Some(base) = get(name) {
            let base = parse_endpoint(name, &base)?;
            let url = base.join("/metadata/identity/oauth2/token").map_err(|e| {
                Error::new(
                    ErrorKind::InvalidArgument,
                    format!("{name} is not a base URL: {e}"),
                )
            })?;
            return Ok(ManagedIdentitySource::imds_at(url));
        }
    }
    Ok(ManagedIdentitySource::imds())
}

fn parse_endpoint(name: &str, value: &str) -> Result<Url> {
    let url = Url::parse(value.trim()).map_err(|e| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("{name} is not a valid URL: {e}"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("{name} must be an http or https URL"),
        ));
    }
    Ok(url)
}

/// The built-in HTTP client: IMDS gets the short connect timeout unless options were given.
pub(super) fn default_http(
    source: &ManagedIdentitySource,
    options: Option<HttpOptions>,
    extra_ca_pem: Option<Vec<u8>>,
) -> Result<Arc<dyn HttpClient>> {
    let mut options = options.unwrap_or_else(|| {
        let defaults = HttpOptions::default();
        match source {
            ManagedIdentitySource::AppService { .. } => defaults,
            _ => defaults.connect_timeout(IMDS_PROBE_CONNECT_TIMEOUT),
        }
    });
    if let Some(pem) = extra_ca_pem {
        options = options.extra_ca_pem(pem);
    }
    Ok(Arc::new(ReqwestHttpClient::with_options(options)?))
}

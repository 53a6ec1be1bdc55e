//! Builders of both application types. Setters are cheap and never fail; `build` checks
//! everything once.

use std::sync::Arc;

use msal_core::authority::{Authority, InstanceDiscovery, ParseOptions};
use msal_core::crypto::{AssertionSigner, ClientCertificate};
use msal_core::http::{HttpClient, HttpOptions, Pipeline, PipelineOptions, ReqwestHttpClient};
use msal_core::{Error, ErrorKind, Result, Secret};

use crate::app::AppCore;
use crate::cache_store::AppTokenCache;
use crate::client_credential::{AssertionCallback, ClientCredential};
use crate::config::AppConfig;
use crate::{ConfidentialClientApplication, PublicClientApplication};

/// The authority used when none is given.
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com/common";

/// Options both builders share.
#[derive(Debug, Clone, Default)]
struct Common {
    client_id: String,
    authority: Option<String>,
    authority_host: Option<String>,
    tenant: Option<String>,
    capabilities: Vec<String>,
    cache: Option<AppTokenCache>,
    http_client: Option<Arc<dyn HttpClient>>,
    http_options: Option<HttpOptions>,
    pipeline_options: Option<PipelineOptions>,
    instance_discovery: Option<InstanceDiscovery>,
    validate_authority: Option<bool>,
    extra_ca_pem: Option<Vec<u8>>,
    allow_loopback_http: bool,
    pii: bool,
}

impl Common {
    fn authority_url(&self) -> Result<String> {
        match (&self.authority, &self.authority_host, &self.tenant) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(Error::new(
                ErrorKind::InvalidArgument,
                "give either authority(url) or authority_host(host) with tenant(tenant), not both",
            )),
            (Some(url), None, None) => Ok(url.clone()),
            (None, host, tenant) => {
                let host = host
                    .as_deref()
                    .unwrap_or("https://login.microsoftonline.com");
                let host = if host.contains("://") {
                    host.to_owned()
                } else {
                    format!("https://{host}")
                };
                let tenant = tenant.as_deref().unwrap_or("common");
                Ok(format!("{}/{}", host.trim_end_matches('/'), tenant))
            }
        }
    }

    fn build(
        self,
        credential: Option<ClientCredential>,
        region: Option<String>,
    ) -> Result<AppCore> {
        if self.client_id.trim().is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "the client id is empty: pass the application (client) id of the app registration",
            ));
        }
        let options = ParseOptions::new().allow_loopback_http(self.allow_loopback_http);
        let authority = Authority::parse_with(&self.authority_url()?, &options)?;
        let regional_authority = match &region {
            Some(r) => Some(authority.regional(r)?),
            None => None,
        };
        let client: Arc<dyn HttpClient> =
            match (self.http_client, self.extra_ca_pem, self.http_options) {
                (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                    return Err(Error::new(
                        ErrorKind::InvalidArgument,
                        "extra_ca_pem and http_options configure the built-in HTTP client; they \
                     cannot be combined with http_client",
                    ));
                }
                (Some(client), None, None) => client,
                (None, pem, options) => {
                    let mut options = options.unwrap_or_default();
                    if let Some(pem) = pem {
                        options = options.extra_ca_pem(pem);
                    }
                    Arc::new(ReqwestHttpClient::with_options(options)?)
                }
            };
        let pipeline = Pipeline::with_options(client, self.pipeline_options.unwrap_or_default());
        let config = AppConfig {
            client_id: self.client_id.trim().to_owned(),
            authority,
            regional_authority,
            azure_region: region,
            client_capabilities: self.capabilities,
            instance_discovery: self.instance_discovery.unwrap_or_default(),
            validate_authority: self.validate_authority.unwrap_or(true),
            allow_loopback_http: self.allow_loopback_http,
            enable_pii_logging: self.pii,
        };
        Ok(AppCore::new(
            config,
            pipeline,
            self.cache.unwrap_or_default(),
            credential,
        ))
    }
}

/// The setters both builders have.
macro_rules! common_setters {
    ($builder:ty) => {
        impl $builder {
            /// The authority URL, such as `https://login.microsoftonline.com/contoso.com`
            /// (default `https://login.microsoftonline.com/common`).
            pub fn authority(mut self, url: impl Into<String>) -> Self {
                self.common.authority = Some(url.into());
                self
            }

            /// The authority host (`https://login.microsoftonline.com` or a bare host name),
            /// used with [`tenant`](Self::tenant) instead of a full authority URL.
            pub fn authority_host(mut self, host: impl Into<String>) -> Self {
                self.common.authority_host = Some(host.into());
                self
            }

            /// The tenant (id, domain, `common`, `organizations`, `consumers`), used with
            /// [`authority_host`](Self::authority_host).
            pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
                self.common.tenant = Some(tenant.into());
                self
            }

            /// Client capabilities sent in the `claims` of every request, such as `CP1`
            /// (continuous access evaluation).
            pub fn client_capabilities<I, S>(mut self, capabilities: I) -> Self
            where
                I: IntoIterator<Item = S>,
                S: Into<String>,
            {
                self.common.capabilities = capabilities.into_iter().map(Into::into).collect();
                self
            }

            /// The token cache (default: a new in-memory cache).
            pub fn token_cache(mut self, cache: impl Into<AppTokenCache>) -> Self {
                self.common.cache = Some(cache.into());
                self
            }

            /// A custom HTTP client (default: reqwest with native TLS).
            pub fn http_client(mut self, client: Arc<dyn HttpClient>) -> Self {
                self.common.http_client = Some(client);
                self
            }

            /// Options of the built-in HTTP client (timeouts, proxy, response size).
            pub fn http_options(mut self, options: HttpOptions) -> Self {
                self.common.http_options = Some(options);
                self
            }

            /// Retry and throttling options of the request pipeline.
            pub fn pipeline_options(mut self, options: PipelineOptions) -> Self {
                self.common.pipeline_options = Some(options);
                self
            }

            /// Turns instance discovery on (default) or off.
            pub fn instance_discovery(mut self, enabled: bool) -> Self {
                self.common.instance_discovery = Some(if enabled {
                    InstanceDiscovery::Enabled
                } else {
                    InstanceDiscovery::Disabled
                });
                self
            }

            /// Uses a custom instance discovery endpoint.
            pub fn instance_discovery_url(mut self, url: url::Url) -> Self {
                self.common.instance_discovery = Some(InstanceDiscovery::Custom(url));
                self
            }

            /// Whether the authority is validated through instance discovery (default `true`).
            pub fn validate_authority(mut self, validate: bool) -> Self {
                self.common.validate_authority = Some(validate);
                self
            }

            /// An extra trusted root certificate (PEM) for the built-in HTTP client.
            pub fn extra_ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
                self.common.extra_ca_pem = Some(pem.into());
                self
            }

            /// Accepts `http://` loopback authorities (`127.0.0.1`, `localhost`): for tests
            /// and local emulators only.
            pub fn allow_loopback_http(mut self, allow: bool) -> Self {
                self.common.allow_loopback_http = allow;
                self
            }

            /// Lets usernames appear in tracing events (default `false`). Secrets never do.
            pub fn enable_pii_logging(mut self, enable: bool) -> Self {
                self.common.pii = enable;
                self
            }
        }
    };
}

/// Builds a [`PublicClientApplication`].
#[derive(Debug, Clone)]
#[must_use]
pub struct PublicClientApplicationBuilder {
    common: Common,
}

common_setters!(PublicClientApplicationBuilder);

impl PublicClientApplicationBuilder {
    pub(crate) fn new(client_id: impl Into<String>) -> Self {
        Self {
            common: Common {
                client_id: client_id.into(),
                ..Common::default()
            },
        }
    }

    /// Checks the options and builds the application.
    ///
    /// Errors: [`ErrorKind::InvalidArgument`] for an empty client id or conflicting options,
    /// [`ErrorKind::InvalidAuthority`] for an authority that does not parse.
    pub fn build(self) -> Result<PublicClientApplication> {
        Ok(PublicClientApplication::from_core(
            self.common.build(None, None)?,
        ))
    }
}

/// Builds a [`ConfidentialClientApplication`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ConfidentialClientApplicationBuilder {
    common: Common,
    credential: Option<ClientCredential>,
    region: Option<String>,
}

common_setters!(ConfidentialClientApplicationBuilder);

impl ConfidentialClientApplicationBuilder {
    pub(crate) fn new(client_id: impl Into<String>) -> Self {
        Self {
            common: Common {
                client_id: client_id.into(),
                ..Common::default()
            },
            credential: None,
            region: None,
        }
    }

    /// Authenticates with a client secret.
    pub fn client_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.credential = Some(ClientCredential::Secret(secret.into()));
        self
    }

    /// Authenticates with a certificate; `send_x5c` sends its chain (subject name / issuer
    /// authentication).
    pub fn client_certificate(mut self, certificate: ClientCertificate, send_x5c: bool) -> Self {
        let signer = AssertionSigner::new(certificate).send_x5c(send_x5c);
        self.credential = Some(ClientCredential::Certificate { signer });
        self
    }

    /// Authenticates with an assertion the callback produces, called for every request.
    pub fn client_assertion(mut self, callback: AssertionCallback) -> Self {
        self.credential = Some(ClientCredential::Assertion(callback));
        self
    }

    /// Authenticates with an already configured credential.
    pub fn client_credential(mut self, credential: ClientCredential) -> Self {
        self.credential = Some(credential);
        self
    }

    /// The Azure region (`westus2`) whose regional token endpoint the client credentials
    /// grant uses.
    pub fn azure_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Checks the options and builds the application.
    ///
    /// Errors: as [`PublicClientApplicationBuilder::build`], and
    /// [`ErrorKind::InvalidArgument`] without a client credential, with an empty secret or an
    /// invalid region.
    pub fn build(self) -> Result<ConfidentialClientApplication> {
        let credential = match self.credential {
            Some(ClientCredential::Secret(s)) if s.is_empty() => {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    "the client secret is empty",
                ));
            }
            Some(c) => c,
            None => {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    "a confidential client needs a credential: client_secret, \
                     client_certificate or client_assertion",
                ));
            }
        };
        let core = self.common.build(Some(credential), self.region)?;
        Ok(ConfidentialClientApplication::from_core(core))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_client_id_is_an_invalid_argument() {
        let err = PublicClientApplication::builder("  ").build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn bad_authority_is_an_invalid_authority() {
        let err = PublicClientApplication::builder("c")
            .authority("http://example.com/t")
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidAuthority);
    }

    #[test]
    fn host_and_tenant_make_the_authority() {
        let app = PublicClientApplication::builder("c")
            .authority_host("login.microsoftonline.com")
            .tenant("contoso.com")
            .build()
            .unwrap();
        assert_eq!(
            app.config().authority.to_string(),
            "https://login.microsoftonline.com/contoso.com/"
        );
    }

    #[test]
    fn loopback_http_needs_the_opt_in() {
        let build = |allow| {
            PublicClientApplication::builder("c")
                .authority("http://127.0.0.1:8080/t")
                .allow_loopback_http(allow)
                .build()
        };
        assert!(build(false).is_err());
        assert!(build(true).is_ok());
    }

    #[test]
    fn confidential_client_needs_a_non_empty_credential() {
        let none = ConfidentialClientApplication::builder("c")
            .build()
            .unwrap_err();
        assert_eq!(none.kind(), ErrorKind::InvalidArgument);
        let empty = ConfidentialClientApplication::builder("c")
            .client_secret("")
            .build()
            .unwrap_err();
        assert_eq!(empty.kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn region_gives_a_regional_authority() {
        let app = ConfidentialClientApplication::builder("c")
            .authority("https://login.microsoftonline.com/contoso.com")
            .client_secret("s")
            .azure_region("westus2")
            .build()
            .unwrap();
        let regional = app.config().regional_authority.as_ref().unwrap();
        assert_eq!(regional.host(), "westus2.login.microsoft.com");
    }
}

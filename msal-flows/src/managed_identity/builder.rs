//! The builder of [`ManagedIdentityClient`].

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use msal_cache::TokenCache;
use msal_core::endpoint::imds::{ManagedIdentitySource, UserAssignedId};
use msal_core::http::{HttpClient, HttpOptions};
use msal_core::{Error, ErrorKind, Result, Secret};
use url::Url;

use super::source::default_http;
use super::{
    Inner, ManagedIdentityClient, RetryPolicy, cache_id_of, detect_managed_identity_source,
};
use crate::single_flight::SingleFlight;

/// Builds a [`ManagedIdentityClient`]: `ManagedIdentityClient::system_assigned()` or
/// `::user_assigned(id)`, then the optional settings, then [`build`](Self::build).
///
/// ```
/// use std::time::Duration;
/// use msal_core::endpoint::imds::UserAssignedId;
/// use msal_flows::{ManagedIdentityClient, RetryPolicy};
///
/// let client = ManagedIdentityClient::user_assigned(UserAssignedId::ClientId(
///         "77777777-7777-7777-7777-777777777777".into()))
///     .imds_endpoint("https://127.0.0.1:8443/metadata/identity/oauth2/token".parse().unwrap())
///     .retry_policy(RetryPolicy::default().initial_delay(Duration::from_millis(100)))
///     .build()?;
/// assert!(client.token_cache().access_tokens().is_empty());
/// # Ok::<(), msal_core::Error>(())
/// ```
#[derive(Debug)]
#[must_use]
pub struct ManagedIdentityClientBuilder {
    id: Option<UserAssignedId>,
    source: Option<ManagedIdentitySource>,
    http_client: Option<Arc<dyn HttpClient>>,
    http_options: Option<HttpOptions>,
    extra_ca_pem: Option<Vec<u8>>,
    retry: RetryPolicy,
    cache: Option<Arc<TokenCache>>,
}

impl ManagedIdentityClientBuilder {
    pub(crate) fn new(id: Option<UserAssignedId>) -> Self {
        Self {
            id,
            source: None,
            http_client: None,
            http_options: None,
            extra_ca_pem: None,
            retry: RetryPolicy::default(),
            cache: None,
        }
    }

    /// Uses IMDS at this token URL (`.../metadata/identity/oauth2/token`) instead of
    /// detecting the source from the environment.
    pub fn imds_endpoint(mut self, token_url: Url) -> Self {
        self.source = Some(ManagedIdentitySource::imds_at(token_url));
        self
    }

    /// Uses the App Service identity endpoint with this `IDENTITY_ENDPOINT` and
    /// `IDENTITY_HEADER` instead of reading them from the environment.
    pub fn app_service(mut self, identity_endpoint: Url, identity_header: Secret) -> Self {
        self.source = Some(ManagedIdentitySource::app_service(
            identity_endpoint,
            identity_header,
        ));
        self
    }

    /// Uses this source instead of detecting it.
    pub fn source(mut self, source: ManagedIdentitySource) -> Self {
        self.source = Some(source);
        self
    }

    /// Sends requests with this client (then `http_options` and `extra_ca_pem` are refused).
    pub fn http_client(mut self, client: Arc<dyn HttpClient>) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Options of the built-in HTTP client (timeouts, proxy). Without them IMDS gets a
    /// 1 s connect timeout ([`IMDS_PROBE_CONNECT_TIMEOUT`](super::IMDS_PROBE_CONNECT_TIMEOUT)).
    pub fn http_options(mut self, options: HttpOptions) -> Self {
        self.http_options = Some(options);
        self
    }

    /// A PEM certificate the built-in HTTP client trusts in addition to the system's roots.
    pub fn extra_ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_ca_pem = Some(pem.into());
        self
    }

    /// How failed requests are retried (default: [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Shares this in-memory cache (default: a new one per client).
    pub fn token_cache(mut self, cache: Arc<TokenCache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Detects the source (unless given) and builds the client.
    ///
    /// Errors: [`ErrorKind::InvalidArgument`] for an empty user-assigned id, an environment
    /// variable that is not a URL, or `http_client` combined with `http_options` or
    /// `extra_ca_pem`.
    pub fn build(self) -> Result<ManagedIdentityClient> {
        let empty_id = match &self.id {
            Some(UserAssignedId::ClientId(v))
            | Some(UserAssignedId::ObjectId(v))
            | Some(UserAssignedId::ResourceId(v)) => v.trim().is_empty(),
            _ => false,
        };
        if empty_id {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "the user-assigned managed identity id is empty",
            ));
        }
        let source = match self.source {
            Some(source) => source,
            None => detect_managed_identity_source(|name| std::env::var(name).ok())?,
        };
        let http = match (self.http_client, self.http_options, self.extra_ca_pem) {
            (Some(client), None, None) => client,
            (Some(_), _, _) => {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    "http_options and extra_ca_pem configure the built-in HTTP client; they \
                     cannot be combined with http_client",
                ));
            }
            (None, options, pem) => default_http(&source, options, pem)?,
        };
        Ok(ManagedIdentityClient {
            inner: Arc::new(Inner {
                cache_id: cache_id_of(self.id.as_ref()),
                source,
                id: self.id,
                http,
                retry: self.retry,
                cache: self.cache.unwrap_or_else(|| Arc::new(TokenCache::new())),
                flights: SingleFlight::default(),
                imds_seen: AtomicBool::new(false),
            }),
        })
    }
}

//! Lazily built msal-flows applications, one per (tenant, CAE): CAE applications announce
//! the `CP1` capability and use their own token cache, as azure-identity does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use msal_cache::{FilePersistence, PersistentTokenCache};
use msal_core::http::{HttpClient, PipelineOptions, ReqwestHttpClient};
use msal_core::{Error, ErrorKind, Result};
use msal_flows::AppTokenCache;

use crate::options::CredentialOptions;

/// The capability that asks for CAE tokens.
pub(crate) const CAE_CAPABILITY: &str = "CP1";

/// Everything one application is built from.
#[derive(Debug, Clone)]
pub(crate) struct AppParams {
    pub client_id: String,
    pub authority: String,
    pub capabilities: Vec<String>,
    pub cache: AppTokenCache,
    pub http_client: Arc<dyn HttpClient>,
    pub pipeline: PipelineOptions,
    pub instance_discovery: bool,
    pub allow_loopback_http: bool,
    pub pii: bool,
}

/// Applies [`AppParams`] to a `PublicClientApplicationBuilder` or
/// `ConfidentialClientApplicationBuilder` (they share these setters).
macro_rules! configure {
    ($builder:expr, $params:expr) => {{
        let p = $params;
        $builder
            .authority(p.authority.clone())
            .client_capabilities(p.capabilities.clone())
            .token_cache(p.cache.clone())
            .http_client(p.http_client.clone())
            .pipeline_options(p.pipeline.clone())
            .instance_discovery(p.instance_discovery)
            .allow_loopback_http(p.allow_loopback_http)
            .enable_pii_logging(p.pii)
    }};
}
pub(crate) use configure;

type BuildFn<A> = Box<dyn Fn(&AppParams) -> Result<A> + Send + Sync>;

/// The applications of one credential.
pub(crate) struct Apps<A> {
    client_id: String,
    authority_host: String,
    capabilities: Vec<String>,
    http_client: Arc<dyn HttpClient>,
    pipeline: PipelineOptions,
    instance_discovery: bool,
    allow_loopback_http: bool,
    pii: bool,
    persistence: Option<crate::options::TokenCachePersistenceOptions>,
    caches: [OnceLock<AppTokenCache>; 2],
    apps: Mutex<HashMap<(String, bool), A>>,
    build: BuildFn<A>,
}

impl<A> std::fmt::Debug for Apps<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Apps")
            .field("client_id", &self.client_id)
            .field("authority_host", &self.authority_host)
            .finish_non_exhaustive()
    }
}

impl<A: Clone> Apps<A> {
    /// Checks the options (HTTP client, persistence) and prepares the applications.
    pub(crate) fn new(
        client_id: &str,
        authority_host: String,
        options: &CredentialOptions,
        build: impl Fn(&AppParams) -> Result<A> + Send + Sync + 'static,
    ) -> Result<Self> {
        let http = &options.http;
        let http_client: Arc<dyn HttpClient> = match &http.client {
            Some(client) => client.clone(),
            None => {
                let mut o = http.options.clone().unwrap_or_default();
                if let Some(pem) = &http.extra_ca_pem {
                    o = o.extra_ca_pem(pem.clone());
                }
                Arc::new(ReqwestHttpClient::with_options(o)?)
            }
        };
        if let Some(p) = &options.cache_persistence
            && !p.allow_unencrypted_storage
        {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "encrypted token cache storage is not available on this platform yet: set \
                 allow_unencrypted_storage to persist the cache in a file only the user can read",
            ));
        }
        Ok(Self {
            client_id: client_id.to_owned(),
            authority_host,
            capabilities: options.client_capabilities.clone(),
            http_client,
            pipeline: http.pipeline.clone().unwrap_or_default(),
            instance_discovery: !options.disable_instance_discovery,
            allow_loopback_http: http.allow_loopback_http,
            pii: options.enable_pii_logging,
            persistence: options.cache_persistence.clone(),
            caches: [OnceLock::new(), OnceLock::new()],
            apps: Mutex::new(HashMap::new()),
            build: Box::new(build),
        })
    }

    /// The token cache of CAE (`true`) or non-CAE applications.
    pub(crate) fn cache(&self, cae: bool) -> Result<AppTokenCache> {
        let cell = &self.caches[usize::from(cae)];
        if let Some(cache) = cell.get() {
            return Ok(cache.clone());
        }
        let cache = match &self.persistence {
            None => AppTokenCache::default(),
            Some(p) => {
                let file = match &p.directory {
                    Some(dir) => {
                        let suffix = if cae { ".cae" } else { ".nocae" };
                        FilePersistence::new(dir.join(format!("{}{suffix}", p.name)), None)
                    }
                    None => FilePersistence::azure_identity(Some(&p.name), cae)?,
                };
                AppTokenCache::from(Arc::new(PersistentTokenCache::new(Arc::new(file))))
            }
        };
        Ok(cell.get_or_init(|| cache).clone())
    }

    /// The application of `tenant` (CAE or not), built on first use.
    pub(crate) fn get(&self, tenant: &str, cae: bool) -> Result<A> {
        let key = (tenant.to_ascii_lowercase(), cae);
        if let Some(app) = self
            .apps
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Ok(app.clone());
        }
        let mut capabilities = self.capabilities.clone();
        if cae
            && !capabilities
                .iter()
                .any(|c| c.eq_ignore_ascii_case(CAE_CAPABILITY))
        {
            capabilities.push(CAE_CAPABILITY.to_owned());
        }
        let params = AppParams {
            client_id: self.client_id.clone(),
            authority: format!("{}/{tenant}", self.authority_host),
            capabilities,
            cache: self.cache(cae)?,
            http_client: self.http_client.clone(),
            pipeline: self.pipeline.clone(),
            instance_discovery: self.instance_discovery,
            allow_loopback_http: self.allow_loopback_http,
            pii: self.pii,
        };
        let app = (self.build)(&params)?;
        let mut apps = self.apps.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(apps.entry(key).or_insert(app).clone())
    }
}

//! Endpoint resolution: instance discovery when needed, OIDC discovery, checks, and a
//! process-wide cache with one network round-trip per authority at a time.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use tokio::sync::OnceCell;
use tokio::time::Instant;
use url::Url;

use super::cloud::alias_group;
use super::{Authority, AuthorityKind, is_known_host};
use crate::endpoint::instance_discovery::{self, InstanceMetadata};
use crate::endpoint::oidc_discovery::{self, OidcConfiguration};
use crate::http::{Pipeline, RequestContext};
use crate::{Error, ErrorKind, Result};

/// How long a resolution is reused: 24 hours, the `max-age` Entra sends.
pub const RESOLUTION_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// Whether and where to run instance discovery.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InstanceDiscovery {
    /// Ask `login.microsoftonline.com` about Entra hosts outside the built-in list
    /// (loopback hosts are skipped: the public service cannot know them).
    #[default]
    Enabled,
    /// Never run instance discovery; the host is its only alias.
    Disabled,
    /// Ask this URL instead (`api-version` and `authorization_endpoint` are added), for any
    /// Entra host outside the built-in list, loopback included.
    Custom(Url),
}

/// Options of [`AuthorityResolver::resolve`]; part of the cache key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ResolveOptions {
    /// Instance discovery: on (default), off, or a custom URL.
    pub instance_discovery: InstanceDiscovery,
    /// `false` skips instance discovery, as MSAL Python's `validate_authority=False` does.
    /// The checks of the discovery document always run.
    pub validate_authority: bool,
}

impl Default for ResolveOptions {
    fn default() -> Self {
        Self {
            instance_discovery: InstanceDiscovery::Enabled,
            validate_authority: true,
        }
    }
}

impl ResolveOptions {
    /// The defaults: instance discovery on, authority validation on.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets instance discovery.
    #[must_use]
    pub fn instance_discovery(mut self, discovery: InstanceDiscovery) -> Self {
        self.instance_discovery = discovery;
        self
    }

    /// Sets authority validation.
    #[must_use]
    pub fn validate_authority(mut self, validate: bool) -> Self {
        self.validate_authority = validate;
        self
    }
}

/// An authority with its endpoints, effective tenant and instance metadata.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ResolvedAuthority {
    /// The authority that was resolved.
    pub authority: Authority,
    /// The effective tenant, from the token endpoint's path (as MSAL Python): a domain
    /// becomes the tenant id, `common` stays `common`.
    pub tenant: String,
    /// Where to send the browser.
    pub authorization_endpoint: Url,
    /// Where to redeem grants.
    pub token_endpoint: Url,
    /// The device code endpoint, when the authority has one.
    pub device_authorization_endpoint: Option<Url>,
    /// The issuer the discovery document published.
    pub issuer: String,
    /// The authority's cloud: aliases, preferred network and cache hosts.
    pub instance: InstanceMetadata,
    /// The whole discovery document.
    pub configuration: Arc<OidcConfiguration>,
}

impl ResolvedAuthority {
    /// Assembles a resolution from a discovery document already fetched and
    /// [validated](OidcConfiguration::validate) for `authority`; the effective tenant is read
    /// from the token endpoint's path.
    pub fn new(
        authority: Authority,
        configuration: OidcConfiguration,
        instance: InstanceMetadata,
    ) -> Self {
        Self {
            tenant: effective_tenant(&authority, &configuration.token_endpoint),
            authorization_endpoint: configuration.authorization_endpoint.clone(),
            token_endpoint: configuration.token_endpoint.clone(),
            device_authorization_endpoint: configuration.device_authorization_endpoint.clone(),
            issuer: configuration.issuer.clone(),
            instance,
            configuration: Arc::new(configuration),
            authority,
        }
    }
}

#[derive(Debug)]
struct Entry {
    value: ResolvedAuthority,
    fetched: Instant,
}

type Key = (Authority, ResolveOptions);

struct Inner {
    cells: Mutex<HashMap<Key, Arc<OnceCell<Entry>>>>,
    ttl: Duration,
}

/// Resolves authorities into endpoints, sharing results across application objects.
///
/// Results are cached for [`RESOLUTION_TTL`] per authority and options; concurrent
/// resolutions of the same key share one network round-trip; failures are not cached.
/// Clones share the cache; [`AuthorityResolver::global`] is the process-wide one.
///
/// ```no_run
/// use std::sync::Arc;
/// use msal_core::authority::{Authority, AuthorityResolver, ResolveOptions};
/// use msal_core::http::{HttpClient, Pipeline, RequestContext};
///
/// async fn endpoints(client: Arc<dyn HttpClient>) -> msal_core::Result<()> {
///     let authority = Authority::parse("https://login.microsoftonline.com/contoso.com")?;
///     let resolved = AuthorityResolver::global()
///         .resolve(&authority, &Pipeline::new(client), &ResolveOptions::default(), &RequestContext::generate())
///         .await?;
///     println!("token endpoint {}, tenant {}", resolved.token_endpoint, resolved.tenant);
///     Ok(())
/// }
/// ```
#[derive(Clone)]
pub struct AuthorityResolver {
    inner: Arc<Inner>,
}

impl Default for AuthorityResolver {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for AuthorityResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorityResolver")
            .field("entries", &self.lock().len())
            .field("ttl", &self.inner.ttl)
            .finish()
    }
}

static GLOBAL: OnceLock<AuthorityResolver> = OnceLock::new();

impl AuthorityResolver {
    /// A resolver with its own, empty cache.
    pub fn new() -> Self {
        Self::with_ttl(RESOLUTION_TTL)
    }

    /// A resolver whose results live for `ttl`.
    pub fn with_ttl(ttl: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                cells: Mutex::new(HashMap::new()),
                ttl,
            }),
        }
    }

    /// The process-wide resolver.
    pub fn global() -> AuthorityResolver {
        GLOBAL.get_or_init(AuthorityResolver::new).clone()
    }

    /// Forgets every cached resolution.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Resolves the authority: instance discovery for Entra hosts outside the built-in list
    /// (unless turned off), then OIDC discovery and its checks. Cached (see the type docs).
    pub async fn resolve(
        &self,
        authority: &Authority,
        pipeline: &Pipeline,
        options: &ResolveOptions,
        ctx: &RequestContext,
    ) -> Result<ResolvedAuthority> {
        let cell = self.cell_for(authority, options);
        let entry = cell
            .get_or_try_init(|| async {
                let value = resolve_uncached(authority, pipeline, options, ctx).await?;
                Ok::<_, Error>(Entry {
                    value,
                    fetched: Instant::now(),
                })
            })
            .await?;
        Ok(entry.value.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Arc<OnceCell<Entry>>>> {
        self.inner
            .cells
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The cell of this key, replaced by an empty one when its value has expired.
    fn cell_for(&self, authority: &Authority, options: &ResolveOptions) -> Arc<OnceCell<Entry>> {
        let key = (authority.clone(), options.clone());
        let mut cells = self.lock();
        if let Some(cell) = cells.get(&key) {
            let fresh = cell
                .get()
                .is_none_or(|e| e.fetched.elapsed() < self.inner.ttl);
            if fresh {
                return Arc::clone(cell);
            }
        }
        let cell = Arc::new(OnceCell::new());
        cells.insert(key, Arc::clone(&cell));
        cell
    }
}

/// The instance discovery URL to ask, or `None` when discovery does not apply.
fn discovery_endpoint(authority: &Authority, options: &ResolveOptions) -> Option<Url> {
    if authority.kind() != AuthorityKind::Entra
        || authority.central_host().is_some()
        || !options.validate_authority
        || is_known_host(authority.host())
    {
        return None;
    }
    match &options.instance_discovery {
        InstanceDiscovery::Disabled => None,
        InstanceDiscovery::Enabled if authority.is_loopback() => None,
        InstanceDiscovery::Enabled => Some(instance_discovery::default_endpoint()),
        InstanceDiscovery::Custom(url) => Some(url.clone()),
    }
}

/// Instance metadata without asking the network: regional, built-in, or the host alone.
fn local_metadata(authority: &Authority) -> InstanceMetadata {
    let host = authority.host();
    if let Some(central) = authority.central_host() {
        return InstanceMetadata::new(host, central, vec![host.to_owned(), central.to_owned()]);
    }
    match alias_group(host) {
        Some(group) => InstanceMetadata::new(
            group.preferred_network,
            group.preferred_cache,
            group.aliases.iter().map(|a| (*a).to_owned()).collect(),
        ),
        None => InstanceMetadata::single_host(host),
    }
}

/// The tenant named by the token endpoint's path (the second segment for dSTS).
fn effective_tenant(authority: &Authority, token_endpoint: &Url) -> String {
    if authority.kind() == AuthorityKind::Oidc {
        return authority.tenant().to_owned();
    }
    let mut segments = token_endpoint
        .path_segments()
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty());
    let first = segments.next();
    let tenant = match first {
        Some(s) if authority.kind() == AuthorityKind::Dsts && s.eq_ignore_ascii_case("dstsv2") => {
            segments.next()
        }
        other => other,
    };
    tenant.map_or_else(|| authority.tenant().to_owned(), str::to_owned)
}

async fn resolve_uncached(
    authority: &Authority,
    pipeline: &Pipeline,
    options: &ResolveOptions,
    ctx: &RequestContext,
) -> Result<ResolvedAuthority> {
    let (instance, discovery_url) = match discovery_endpoint(authority, options) {
        Some(endpoint) => {
            let answer = instance_discovery::fetch(pipeline, &endpoint, authority, ctx).await?;
            let instance = answer
                .metadata_for(authority.host())
                .cloned()
                .unwrap_or_else(|| InstanceMetadata::single_host(authority.host()));
            (
                instance,
                tenant_discovery_url(&answer.tenant_discovery_endpoint, authority)?,
            )
        }
        None => (local_metadata(authority), authority.discovery_url()),
    };
    let config =
        oidc_discovery::fetch_url(pipeline, &discovery_url, authority, &instance.aliases, ctx)
            .await?;
    Ok(ResolvedAuthority::new(authority.clone(), config, instance))
}

/// Instance discovery's `tenant_discovery_endpoint`, which must be an `https` URL (or use
/// the authority's own scheme).
fn tenant_discovery_url(value: &str, authority: &Authority) -> Result<Url> {
    let url = Url::parse(value).map_err(|e| {
        Error::with_source(
            ErrorKind::MalformedResponse,
            "instance discovery answered with a tenant_discovery_endpoint that is not a URL",
            e,
        )
    })?;
    if url.scheme() != "https" && url.scheme() != authority.scheme() {
        return Err(Error::new(
            ErrorKind::InvalidAuthority,
            format!(
                "instance discovery named a tenant discovery endpoint with the scheme '{}': \
                 only https is accepted",
                url.scheme()
            ),
        ));
    }
    Ok(url)
}

#[cfg(test)]
#[path = "resolver_tests.rs"]
mod tests;

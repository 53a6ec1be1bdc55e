//! [`Emulator`]: start, address, CA, info, log, device codes, faults; stops on drop.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::{AppKind, EmulatorConfig, UserKind};
use crate::error::EmulatorError;
use crate::faults::{FaultRule, FaultSet};
use crate::federation::SamlIssuer;
use crate::info::{AppInfo, EmulatorInfo, TenantInfo, UserInfo};
use crate::jwt::TokenSigner;
use crate::log::{LoggedRequest, RequestLog};
use crate::routes::devicecode;
use crate::server::accept_loop;
use crate::state::{Shared, Store, TenantSel};
use crate::tls::{AppCertificate, TlsMaterial};

/// How to start an emulator.
#[derive(Debug, Clone)]
pub struct StartOptions {
    /// Tenants, users, apps.
    pub config: EmulatorConfig,
    /// Listen address; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Serve HTTPS (every MSAL requires it); `false` serves plain HTTP.
    pub https: bool,
    /// Also serve the same app on `127.0.0.1:443` (MSAL Python sends user realm
    /// discovery there). Needs the privilege to bind port 443.
    pub also_listen_443: bool,
    /// Approve every device code as the tenant's first managed user after its first poll.
    pub auto_approve_device_codes: bool,
    /// Use this CA and server certificate instead of generating them.
    pub tls: Option<TlsMaterial>,
    /// Directory for the CA PEM and generated app certificates; a fresh temporary
    /// directory (removed on drop) when `None`.
    pub files_dir: Option<PathBuf>,
}

impl Default for StartOptions {
    fn default() -> Self {
        StartOptions {
            config: EmulatorConfig::default(),
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            https: true,
            also_listen_443: false,
            auto_approve_device_codes: false,
            tls: None,
            files_dir: None,
        }
    }
}

/// A running emulator. Serving stops when it is dropped.
pub struct Emulator {
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    ca_pem: Option<String>,
    info: EmulatorInfo,
    local_addr: SocketAddr,
    temp_dir: Option<PathBuf>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("authority_host", &self.info.authority_host)
            .finish_non_exhaustive()
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, EmulatorError> {
    TcpListener::bind(addr).await.map_err(|source| {
        let hint = if addr.port() < 1024 {
            " (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
        } else {
            ""
        };
        EmulatorError::Bind {
            addr: format!("{addr}{hint}"),
            source,
        }
    })
}

/// Paths of one app's generated certificate and key.
type CertFiles = HashMap<String, (String, Option<String>)>;

fn load_certs(
    config: &EmulatorConfig,
    dir: &Path,
) -> Result<(HashMap<String, Vec<AppCertificate>>, CertFiles), EmulatorError> {
    let mut certs = HashMap::new();
    let mut files = HashMap::new();
    for app in config.tenants.iter().flat_map(|t| t.apps.iter()) {
        let mut list = Vec::new();
        for (n, c) in app.certificates.iter().enumerate() {
            let (cert, cert_path, key_path) = match &c.cert_pem_path {
                Some(p) => (
                    AppCertificate::from_pem(&std::fs::read(p)?)?,
                    p.clone(),
                    None,
                ),
                None => {
                    let cert =
                        AppCertificate::generate(&format!("entra-emulator app {}", app.client_id))?;
                    let cp = dir.join(format!("{}-{n}.cert.pem", app.client_id));
                    let kp = dir.join(format!("{}-{n}.key.pem", app.client_id));
                    std::fs::write(&cp, &cert.cert_pem)?;
                    std::fs::write(&kp, cert.key_pem.as_deref().unwrap_or(""))?;
                    (
                        cert,
                        cp.display().to_string(),
                        Some(kp.display().to_string()),
                    )
                }
            };
            files
                .entry(app.client_id.clone())
                .or_insert((cert_path, key_path));
            list.push(cert);
        }
        certs.insert(app.client_id.to_ascii_lowercase(), list);
    }
    Ok((certs, files))
}

fn build_info(
    config: &EmulatorConfig,
    host: &str,
    ca_path: Option<String>,
    files: &CertFiles,
) -> EmulatorInfo {
    let mut info = EmulatorInfo {
        authority_host: host.to_string(),
        ca_pem_path: ca_path,
        tenants: vec![],
        users: vec![],
        apps: vec![],
    };
    for t in &config.tenants {
        info.tenants.push(TenantInfo {
            tenant_id: t.tenant_id.clone(),
            domain: t.domains.first().cloned().unwrap_or_default(),
        });
        for u in &t.users {
            let kind = if u.kind == UserKind::Federated {
                "federated"
            } else {
                "managed"
            };
            info.users.push(UserInfo {
                username: u.username.clone(),
                password: u.password.clone(),
                kind: kind.into(),
                tenant_id: t.tenant_id.clone(),
            });
        }
        for a in &t.apps {
            let f = files.get(&a.client_id);
            info.apps.push(AppInfo {
                client_id: a.client_id.clone(),
                kind: if a.kind == AppKind::Confidential {
                    "confidential".into()
                } else {
                    "public".into()
                },
                client_secret: a.client_secrets.first().cloned(),
                certificate_pem_path: f.map(|f| f.0.clone()),
                private_key_pem_path: f.and_then(|f| f.1.clone()),
                redirect_uris: a.redirect_uris.clone(),
            });
        }
    }
    info
}

impl Emulator {
    /// Starts serving on the current tokio runtime.
    pub async fn start(options: StartOptions) -> Result<Emulator, EmulatorError> {
        options.config.validate()?;
        let listener = bind(options.listen).await?;
        let local_addr = listener.local_addr()?;
        let extra = if options.also_listen_443 {
            Some(bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 443)).await?)
        } else {
            None
        };
        let scheme = if options.https { "https" } else { "http" };
        let host = match local_addr.ip() {
            ip if ip.is_unspecified() => format!("{scheme}://127.0.0.1:{}", local_addr.port()),
            IpAddr::V6(v6) => format!("{scheme}://[{v6}]:{}", local_addr.port()),
            IpAddr::V4(v4) => format!("{scheme}://{v4}:{}", local_addr.port()),
        };
        let (dir, temp_dir) = match &options.files_dir {
            Some(d) => (d.clone(), None),
            None => {
                let d =
                    std::env::temp_dir().join(format!("entra-emulator-{}", uuid::Uuid::new_v4()));
                (d.clone(), Some(d))
            }
        };
        std::fs::create_dir_all(&dir)?;
        // RSA key generation dominates start-up: run the four generators in parallel.
        let given_tls = options.tls.clone();
        let https = options.https;
        let tls_task = tokio::task::spawn_blocking(move || match (https, given_tls) {
            (false, _) => Ok(None),
            (true, Some(m)) => Ok(Some(m)),
            (true, None) => TlsMaterial::generate().map(Some),
        });
        let signer_task = tokio::task::spawn_blocking(TokenSigner::generate);
        let saml_uri = format!("{host}/adfs/services/trust");
        let saml_task = tokio::task::spawn_blocking(move || SamlIssuer::new(&saml_uri));
        let (cfg, cert_dir) = (options.config.clone(), dir.clone());
        let certs_task = tokio::task::spawn_blocking(move || load_certs(&cfg, &cert_dir));
        let join = |e: tokio::task::JoinError| EmulatorError::Crypto(e.to_string());
        let tls = tls_task.await.map_err(join)??;
        let signer = signer_task.await.map_err(join)??;
        let saml = saml_task
            .await
            .map_err(join)?
            .map_err(|e| EmulatorError::Crypto(e.to_string()))?;
        let (certs, files) = certs_task.await.map_err(join)??;
        let acceptor = match &tls {
            Some(m) => Some(tokio_native_tls::TlsAcceptor::from(
                native_tls::TlsAcceptor::new(m.identity()?)
                    .map_err(|e| EmulatorError::Crypto(e.to_string()))?,
            )),
            None => None,
        };
        let ca_path = match &tls {
            Some(m) => {
                let p = dir.join("ca.pem");
                std::fs::write(&p, &m.ca_cert_pem)?;
                Some(p.display().to_string())
            }
            None => None,
        };
        let config = options.config;
        let info = build_info(&config, &host, ca_path, &files);
        let shared = Arc::new(Shared {
            config,
            signer,
            certs,
            authority_host: host,
            auto_approve: options.auto_approve_device_codes,
            store: Mutex::new(Store::default()),
            log: RequestLog::default(),
            faults: FaultSet::default(),
            saml,
            info: OnceLock::new(),
        });
        let _ = shared
            .info
            .set(serde_json::to_value(&info).unwrap_or_default());
        let (tx, rx) = watch::channel(false);
        tokio::spawn(accept_loop(
            listener,
            acceptor.clone(),
            shared.clone(),
            rx.clone(),
        ));
        if let Some(l) = extra {
            tokio::spawn(accept_loop(l, acceptor, shared.clone(), rx));
        }
        Ok(Emulator {
            shared,
            shutdown: tx,
            ca_pem: tls.map(|m| m.ca_cert_pem),
            info,
            local_addr,
            temp_dir,
        })
    }

    /// `https://127.0.0.1:PORT` (no trailing slash).
    pub fn authority_host(&self) -> String {
        self.shared.authority_host.clone()
    }

    /// `{authority_host}/{tenant}`.
    pub fn authority(&self, tenant: &str) -> String {
        format!("{}/{tenant}", self.shared.authority_host)
    }

    /// The default (first) tenant's id.
    pub fn tenant_id(&self) -> String {
        self.shared
            .config
            .tenants
            .first()
            .map(|t| t.tenant_id.clone())
            .unwrap_or_default()
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The CA certificate to trust (https only).
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// Writes the CA PEM to `path` (nothing to write in http mode: an error).
    pub fn write_ca_pem(&self, path: impl AsRef<Path>) -> std::io::Result<()> {
        match &self.ca_pem {
            Some(pem) => std::fs::write(path, pem),
            None => Err(std::io::Error::other(
                "the emulator serves plain HTTP: there is no CA",
            )),
        }
    }

    /// The info document (authority, CA path, tenants, users, apps).
    pub fn info(&self) -> EmulatorInfo {
        self.info.clone()
    }

    /// The configuration it serves.
    pub fn config(&self) -> &EmulatorConfig {
        &self.shared.config
    }

    /// The JWKS document of the token signing key.
    pub fn jwks(&self) -> serde_json::Value {
        self.shared.signer.jwks().clone()
    }

    /// Logged requests (secrets masked), oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.log.snapshot()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        self.shared.log.clear();
    }

    /// Approves a pending device code as `username`.
    pub fn approve_device_code(
        &self,
        user_code: &str,
        username: &str,
    ) -> Result<(), EmulatorError> {
        devicecode::approve(&self.shared, user_code, username)
    }

    /// Declines a device code (next poll: `authorization_declined`).
    pub fn deny_device_code(&self, user_code: &str) -> Result<(), EmulatorError> {
        devicecode::deny(&self.shared, user_code)
    }

    /// Expires a device code (next poll: `expired_token`).
    pub fn expire_device_code(&self, user_code: &str) -> Result<(), EmulatorError> {
        devicecode::expire(&self.shared, user_code)
    }

    /// Adds a fault rule.
    pub fn inject_fault(&self, rule: FaultRule) {
        self.shared.faults.add(rule);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// Revokes every refresh token of a user (next use: AADSTS50173); returns how many.
    pub fn revoke_refresh_tokens(&self, username: &str) -> usize {
        let user = self.shared.find_user(TenantSel::Common, username);
        let mut store = self.shared.store();
        let mut n = 0;
        for rec in store.refresh.values_mut().filter(|r| Some(r.user) == user) {
            rec.revoked = true;
            n += 1;
        }
        n
    }

    /// Expires every outstanding refresh token (next use: AADSTS700082).
    pub fn expire_refresh_tokens(&self) {
        let now = Instant::now();
        for rec in self.shared.store().refresh.values_mut() {
            rec.expires = now;
        }
    }

    /// Stops serving (also done on drop).
    pub fn stop(&self) {
        let _ = self.shutdown.send(true);
    }
}

/// The emulator is shared across tasks and threads.
const _: fn() = || {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Emulator>();
};

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
        if let Some(d) = &self.temp_dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

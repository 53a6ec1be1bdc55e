//! Shared server state: the directory (config), keys, and the stores of codes, device
//! codes and refresh tokens.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use crate::config::{AppConfig, EmulatorConfig, TenantConfig, UserConfig, UserKind};
use crate::faults::FaultSet;
use crate::federation::SamlIssuer;
use crate::jwt::{TokenSigner, b64url};
use crate::log::RequestLog;
use crate::tls::AppCertificate;

/// MSA (consumers) tenant id.
pub(crate) const MSA_TENANT: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

/// A user: indices into the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UserRef {
    pub tenant: usize,
    pub user: usize,
}

/// The tenant a request path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TenantSel {
    One(usize),
    Common,
    Organizations,
    Consumers,
}

pub(crate) struct CodeRecord {
    pub client_id: String,
    pub redirect_uri: String,
    pub challenge: Option<String>,
    pub challenge_method: Option<String>,
    pub nonce: Option<String>,
    pub scope: String,
    pub claims: Option<String>,
    pub user: UserRef,
    pub expires: Instant,
    pub redeemed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeviceState {
    Pending,
    Approved(UserRef),
    Denied,
    Expired,
}

pub(crate) struct DeviceRecord {
    pub client_id: String,
    pub tenant: usize,
    pub scope: String,
    pub claims: Option<String>,
    pub user_code: String,
    pub expires: Instant,
    pub state: DeviceState,
    pub polls: u32,
    pub last_poll: Option<Instant>,
}

pub(crate) struct RtRecord {
    pub client_id: String,
    pub family_id: Option<String>,
    pub user: UserRef,
    pub expires: Instant,
    pub revoked: bool,
}

#[derive(Default)]
pub(crate) struct Store {
    pub codes: HashMap<String, CodeRecord>,
    pub devices: HashMap<String, DeviceRecord>,
    pub user_codes: HashMap<String, String>,
    pub refresh: HashMap<String, RtRecord>,
    /// app-token reuse: key -> (issued-at second, response body)
    pub app_tokens: HashMap<String, (u64, serde_json::Value)>,
}

/// Above this many entries a store map drops its expired entries.
const PRUNE_AT: usize = 10_000;

impl Store {
    /// Drops expired codes, device codes and refresh tokens once the maps grow large, so a
    /// long-running emulator does not grow without bound.
    pub fn prune(&mut self) {
        let now = Instant::now();
        if self.codes.len() > PRUNE_AT {
            self.codes.retain(|_, c| c.expires > now && !c.redeemed);
        }
        if self.devices.len() > PRUNE_AT {
            self.devices.retain(|_, d| d.expires > now);
            let live: std::collections::HashSet<String> = self.devices.keys().cloned().collect();
            self.user_codes.retain(|_, dc| live.contains(dc));
        }
        if self.refresh.len() > PRUNE_AT {
            self.refresh.retain(|_, r| r.expires > now && !r.revoked);
        }
    }
}

/// Everything a request handler needs.
pub(crate) struct Shared {
    pub config: EmulatorConfig,
    pub signer: TokenSigner,
    pub certs: HashMap<String, Vec<AppCertificate>>,
    pub authority_host: String,
    pub auto_approve: bool,
    pub store: Mutex<Store>,
    pub log: RequestLog,
    pub faults: FaultSet,
    pub saml: SamlIssuer,
    pub info: std::sync::OnceLock<serde_json::Value>,
}

pub(crate) type SharedRef = Arc<Shared>;

/// A random opaque string (base64url of `n` random bytes).
pub(crate) fn random_token(n: usize) -> String {
    let mut buf = vec![0u8; n];
    if openssl::rand::rand_bytes(&mut buf).is_err() {
        let u = uuid::Uuid::new_v4();
        return b64url(u.as_bytes());
    }
    b64url(&buf)
}

/// A deterministic GUID from a label (for object ids of users without one).
pub(crate) fn derived_guid(label: &str) -> String {
    let h = openssl::sha::sha256(label.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    uuid::Builder::from_random_bytes(b).into_uuid().to_string()
}

impl Shared {
    pub fn store(&self) -> MutexGuard<'_, Store> {
        match self.store.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    pub fn tenant(&self, i: usize) -> Option<&TenantConfig> {
        self.config.tenants.get(i)
    }

    pub fn user(&self, u: UserRef) -> Option<&UserConfig> {
        self.tenant(u.tenant)?.users.get(u.user)
    }

    /// Resolves a path tenant segment (GUID, domain, common, organizations, consumers).
    pub fn tenant_sel(&self, seg: &str) -> Option<TenantSel> {
        let s = seg.to_ascii_lowercase();
        match s.as_str() {
            "common" => return Some(TenantSel::Common),
            "organizations" => return Some(TenantSel::Organizations),
            "consumers" | MSA_TENANT => return Some(TenantSel::Consumers),
            _ => {}
        }
        self.config
            .tenants
            .iter()
            .position(|t| {
                t.tenant_id.eq_ignore_ascii_case(&s)
                    || t.domains.iter().any(|d| d.eq_ignore_ascii_case(&s))
            })
            .map(TenantSel::One)
    }

    fn tenant_matches(sel: TenantSel, i: usize) -> bool {
        match sel {
            TenantSel::One(t) => t == i,
            TenantSel::Common | TenantSel::Organizations => true,
            TenantSel::Consumers => false,
        }
    }

    /// Finds an app registration visible from the selected tenant.
    pub fn find_app(&self, sel: TenantSel, client_id: &str) -> Option<(usize, &AppConfig)> {
        self.config
            .tenants
            .iter()
            .enumerate()
            .filter(|(i, _)| Self::tenant_matches(sel, *i))
            .find_map(|(i, t)| {
                t.apps
                    .iter()
                    .find(|a| a.client_id.eq_ignore_ascii_case(client_id))
                    .map(|a| (i, a))
            })
    }

    /// Finds a user (case-insensitive UPN) visible from the selected tenant.
    pub fn find_user(&self, sel: TenantSel, username: &str) -> Option<UserRef> {
        self.config
            .tenants
            .iter()
            .enumerate()
            .filter(|(i, _)| Self::tenant_matches(sel, *i))
            .find_map(|(i, t)| {
                t.users
                    .iter()
                    .position(|u| u.username.eq_ignore_ascii_case(username))
                    .map(|user| UserRef { tenant: i, user })
            })
    }

    /// The first managed user of a tenant (used by auto-approve).
    pub fn first_managed_user(&self, tenant: usize) -> Option<UserRef> {
        let t = self.tenant(tenant)?;
        t.users
            .iter()
            .position(|u| u.kind == UserKind::Managed && !u.locked && !u.password_expired)
            .map(|user| UserRef { tenant, user })
    }

    /// The object id of a user.
    pub fn user_oid(&self, u: UserRef) -> String {
        match self.user(u) {
            Some(cfg) => cfg
                .object_id
                .clone()
                .unwrap_or_else(|| derived_guid(&format!("user:{}", cfg.username))),
            None => derived_guid("unknown"),
        }
    }

    /// The tenant id for the selection, for messages (the segment for multi-tenant forms).
    pub fn tenant_label(&self, sel: TenantSel, seg: &str) -> String {
        match sel {
            TenantSel::One(i) => self
                .tenant(i)
                .map(|t| t.tenant_id.clone())
                .unwrap_or_default(),
            TenantSel::Consumers => MSA_TENANT.to_string(),
            _ => seg.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_guid_is_stable_and_well_formed() {
        let a = derived_guid("x");
        assert_eq!(a, derived_guid("x"));
        assert_ne!(a, derived_guid("y"));
        assert!(uuid::Uuid::parse_str(&a).is_ok());
    }

    #[test]
    fn prune_drops_expired_refresh_tokens_only_when_large() {
        let mut store = Store::default();
        let past = Instant::now();
        let future = past + std::time::Duration::from_secs(60);
        let rec = |expires| RtRecord {
            client_id: "c".into(),
            family_id: None,
            user: UserRef { tenant: 0, user: 0 },
            expires,
            revoked: false,
        };
        store.refresh.insert("live".into(), rec(future));
        store.refresh.insert("dead".into(), rec(past));
        store.prune();
        assert_eq!(store.refresh.len(), 2, "small maps are left alone");
        for i in 0..PRUNE_AT {
            store.refresh.insert(format!("d{i}"), rec(past));
        }
        store.prune();
        assert_eq!(store.refresh.len(), 1);
        assert!(store.refresh.contains_key("live"));
    }

    #[test]
    fn random_tokens_differ() {
        assert_ne!(random_token(16), random_token(16));
        assert_eq!(random_token(32).len(), 43);
    }
}

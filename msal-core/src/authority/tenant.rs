//! Authority and tenant kinds.

use std::fmt;

/// The kind of an authority, decided once when it is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthorityKind {
    /// Microsoft Entra ID (Azure AD) v2 endpoints: `https://{host}/{tenant}`.
    Entra,
    /// Active Directory Federation Services: `https://{host}/adfs`.
    Adfs,
    /// Azure AD B2C with a user flow or custom policy: `https://{host}/{tenant}/{policy}`.
    B2c,
    /// Entra External ID for customers: `https://{sub}.ciamlogin.com[/{tenant}]`.
    Ciam,
    /// Distributed STS: `https://{host}/dstsv2/{tenant}`.
    Dsts,
    /// Any OpenID Connect issuer, built with [`Authority::oidc`](super::Authority::oidc).
    Oidc,
}

impl AuthorityKind {
    /// A short name for messages and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthorityKind::Entra => "Entra ID",
            AuthorityKind::Adfs => "ADFS",
            AuthorityKind::B2c => "B2C",
            AuthorityKind::Ciam => "CIAM",
            AuthorityKind::Dsts => "dSTS",
            AuthorityKind::Oidc => "OIDC",
        }
    }
}

impl fmt::Display for AuthorityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The MSA (personal Microsoft accounts) tenant id, which `consumers` stands for.
pub const MSA_TENANT_ID: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

/// What the tenant segment of an Entra-style authority names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TenantKind {
    /// A directory (tenant) id: a hyphenated GUID.
    Id,
    /// A tenant name: a verified domain such as `contoso.onmicrosoft.com`. Discovery answers
    /// with the tenant id.
    Domain,
    /// `common`: work or school accounts of any tenant, and personal accounts.
    Common,
    /// `organizations`: work or school accounts of any tenant.
    Organizations,
    /// `consumers`: personal Microsoft accounts only (the MSA tenant).
    Consumers,
}

impl TenantKind {
    /// Classifies a tenant segment (case-insensitive for the three reserved names).
    ///
    /// ```
    /// use msal_core::authority::TenantKind;
    ///
    /// assert_eq!(TenantKind::of("Common"), TenantKind::Common);
    /// assert_eq!(TenantKind::of("72f988bf-86f1-41af-91ab-2d7cd011db47"), TenantKind::Id);
    /// assert_eq!(TenantKind::of("contoso.com"), TenantKind::Domain);
    /// ```
    pub fn of(tenant: &str) -> TenantKind {
        if tenant.eq_ignore_ascii_case("common") {
            TenantKind::Common
        } else if tenant.eq_ignore_ascii_case("organizations") {
            TenantKind::Organizations
        } else if tenant.eq_ignore_ascii_case("consumers") {
            TenantKind::Consumers
        } else if tenant.len() == 36 && uuid::Uuid::try_parse(tenant).is_ok() {
            TenantKind::Id
        } else {
            TenantKind::Domain
        }
    }

    /// Whether the tenant is one of the reserved names `common`, `organizations`,
    /// `consumers`, which stand for a set of tenants rather than one directory.
    pub fn is_multi_tenant(self) -> bool {
        matches!(
            self,
            TenantKind::Common | TenantKind::Organizations | TenantKind::Consumers
        )
    }
}

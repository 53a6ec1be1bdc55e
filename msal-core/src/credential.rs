//! The credential vocabulary that SDK-style client libraries depend on.
//!
//! A client library (a Graph or Storage client) takes an `Arc<dyn TokenCredential>` and calls
//! [`get_token`](TokenCredential::get_token) before each request. It never needs to know which
//! flow or cache produced the token.

use std::fmt::Debug;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::{Result, Secret};

/// An access token and when it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// The bearer token to put in the `Authorization` header.
    pub token: Secret,
    /// When the token stops being valid.
    pub expires_on: OffsetDateTime,
}

/// An access token with what a client needs to schedule its renewal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessTokenInfo {
    /// The token.
    pub token: Secret,
    /// When the token stops being valid.
    pub expires_on: OffsetDateTime,
    /// The token type, `Bearer` for Entra ID access tokens.
    pub token_type: String,
    /// When the credential would rather renew the token, ahead of its expiry.
    pub refresh_on: Option<OffsetDateTime>,
}

impl From<AccessTokenInfo> for AccessToken {
    fn from(info: AccessTokenInfo) -> Self {
        AccessToken {
            token: info.token,
            expires_on: info.expires_on,
        }
    }
}

/// Options of one token request.
///
/// ```
/// use msal_core::TokenRequestOptions;
///
/// let options = TokenRequestOptions::builder()
///     .tenant_id("contoso.onmicrosoft.com")
///     .enable_cae(true)
///     .build();
/// assert_eq!(options.tenant_id.as_deref(), Some("contoso.onmicrosoft.com"));
/// assert!(options.enable_cae);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenRequestOptions {
    /// A claims challenge from a resource's `WWW-Authenticate` header (decoded JSON).
    pub claims: Option<String>,
    /// The tenant to get the token from, when it differs from the credential's own.
    pub tenant_id: Option<String>,
    /// Ask for a token that supports Continuous Access Evaluation.
    pub enable_cae: bool,
    /// The correlation id to send with the request; one is generated when absent.
    pub correlation_id: Option<String>,
}

impl TokenRequestOptions {
    /// Starts building options.
    pub fn builder() -> TokenRequestOptionsBuilder {
        TokenRequestOptionsBuilder::default()
    }
}

/// Builds [`TokenRequestOptions`].
#[derive(Debug, Clone, Default)]
pub struct TokenRequestOptionsBuilder {
    options: TokenRequestOptions,
}

impl TokenRequestOptionsBuilder {
    /// Sets the claims challenge.
    #[must_use]
    pub fn claims(mut self, claims: impl Into<String>) -> Self {
        self.options.claims = Some(claims.into());
        self
    }

    /// Sets the tenant.
    #[must_use]
    pub fn tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.options.tenant_id = Some(tenant_id.into());
        self
    }

    /// Asks for a CAE token.
    #[must_use]
    pub fn enable_cae(mut self, enable: bool) -> Self {
        self.options.enable_cae = enable;
        self
    }

    /// Sets the correlation id.
    #[must_use]
    pub fn correlation_id(mut self, id: impl Into<String>) -> Self {
        self.options.correlation_id = Some(id.into());
        self
    }

    /// Finishes the options.
    pub fn build(self) -> TokenRequestOptions {
        self.options
    }
}

/// Something that gives out access tokens.
///
/// Implementors provide [`get_token_info`](Self::get_token_info); [`get_token`](Self::get_token)
/// is derived from it.
///
/// ```
/// use std::sync::Arc;
/// use msal_core::{AccessTokenInfo, Result, Secret, TokenCredential, TokenRequestOptions};
/// use time::{Duration, OffsetDateTime};
///
/// #[derive(Debug)]
/// struct Fixed;
///
/// #[async_trait::async_trait]
/// impl TokenCredential for Fixed {
///     async fn get_token_info(
///         &self,
///         _scopes: &[&str],
///         _options: TokenRequestOptions,
///     ) -> Result<AccessTokenInfo> {
///         Ok(AccessTokenInfo {
///             token: Secret::new("t"),
///             expires_on: OffsetDateTime::now_utc() + Duration::hours(1),
///             token_type: "Bearer".into(),
///             refresh_on: None,
///         })
///     }
/// }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let credential: Arc<dyn TokenCredential> = Arc::new(Fixed);
/// let token = credential
///     .get_token(&["https://graph.microsoft.com/.default"], TokenRequestOptions::default())
///     .await?;
/// assert_eq!(token.token.expose(), "t");
/// # Ok::<(), msal_core::Error>(())
/// # }).unwrap();
/// ```
#[async_trait]
pub trait TokenCredential: Send + Sync + Debug {
    /// Gets an access token for the scopes.
    async fn get_token(
        &self,
        scopes: &[&str],
        options: TokenRequestOptions,
    ) -> Result<AccessToken> {
        self.get_token_info(scopes, options).await.map(Into::into)
    }

    /// Gets an access token for the scopes, with its type and refresh time.
    async fn get_token_info(
        &self,
        scopes: &[&str],
        options: TokenRequestOptions,
    ) -> Result<AccessTokenInfo>;
}

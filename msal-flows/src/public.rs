//! `PublicClientApplication`: desktop, mobile and command-line apps (no client secret).

use std::sync::Arc;

use crate::app::AppCore;
use crate::builder::PublicClientApplicationBuilder;
use crate::shared::shared_methods;

/// An application that cannot keep a secret. Cheap to clone (clones share the cache, the
/// HTTP pipeline and the in-flight requests) and safe to share across tasks.
#[derive(Debug, Clone)]
pub struct PublicClientApplication {
    pub(crate) core: Arc<AppCore>,
}

shared_methods!(PublicClientApplication);

impl PublicClientApplication {
    /// Starts building an application with this client id.
    pub fn builder(client_id: impl Into<String>) -> PublicClientApplicationBuilder {
        PublicClientApplicationBuilder::new(client_id)
    }

    pub(crate) fn from_core(core: AppCore) -> Self {
        Self {
            core: Arc::new(core),
        }
    }
}

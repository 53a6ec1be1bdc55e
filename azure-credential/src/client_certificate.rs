//! `ClientCertificateCredential`: an application signs a client assertion with its
//! certificate's key.

use std::path::Path;
use std::sync::Arc;

use msal_core::crypto::{AssertionSigner, ClientCertificate};
use msal_core::{Result, Secret};
use msal_flows::ClientCredential;

use crate::confidential::{ConfidentialCore, delegate_to_core};
use crate::options::CredentialOptions;

/// Options of [`ClientCertificateCredential`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ClientCertificateCredentialOptions {
    /// Options every credential has.
    pub credential_options: CredentialOptions,
    /// The password of the PKCS#12 file or encrypted PEM key.
    pub password: Option<Secret>,
    /// Send the certificate chain (`x5c`) for subject name / issuer authentication.
    pub send_certificate_chain: bool,
}

/// An application's own token (client credentials grant) with a certificate: PEM (the
/// certificate and its private key) or PKCS#12 (PFX).
pub struct ClientCertificateCredential {
    core: ConfidentialCore,
    subject: String,
}

impl std::fmt::Debug for ClientCertificateCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCertificateCredential")
            .field("tenant_id", &self.core.tenant_id)
            .field("client_id", &self.core.client_id)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

impl ClientCertificateCredential {
    /// A credential from certificate bytes, PEM or PKCS#12.
    ///
    /// Errors: [`ErrorKind::InvalidArgument`](msal_core::ErrorKind) for empty ids,
    /// [`ErrorKind::Crypto`](msal_core::ErrorKind) for a certificate that does not load (a
    /// wrong password, no private key).
    pub fn new(
        tenant_id: &str,
        client_id: impl Into<String>,
        certificate: &[u8],
        options: Option<ClientCertificateCredentialOptions>,
    ) -> Result<Arc<Self>> {
        let options = options.unwrap_or_default();
        let certificate = ClientCertificate::from_bytes(certificate, options.password.as_ref())?;
        Self::build(tenant_id, &client_id.into(), certificate, options)
    }

    /// A credential from a certificate file, PEM or PKCS#12.
    pub fn from_path(
        tenant_id: &str,
        client_id: impl Into<String>,
        path: impl AsRef<Path>,
        options: Option<ClientCertificateCredentialOptions>,
    ) -> Result<Arc<Self>> {
        let options = options.unwrap_or_default();
        let certificate = ClientCertificate::from_file(path, options.password.as_ref())?;
        Self::build(tenant_id, &client_id.into(), certificate, options)
    }

    fn build(
        tenant_id: &str,
        client_id: &str,
        certificate: ClientCertificate,
        options: ClientCertificateCredentialOptions,
    ) -> Result<Arc<Self>> {
        let subject = certificate.subject().to_string();
        let signer = AssertionSigner::new(certificate).send_x5c(options.send_certificate_chain);
        let core = ConfidentialCore::new(
            tenant_id,
            client_id,
            ClientCredential::Certificate { signer },
            options.credential_options,
        )?;
        Ok(Arc::new(Self { core, subject }))
    }
}

delegate_to_core!(ClientCertificateCredential);

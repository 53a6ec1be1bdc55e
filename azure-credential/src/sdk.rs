//! `azure_core::credentials::TokenCredential` for every credential (cargo feature
//! `azure_core`): the credentials plug into the Azure SDK for Rust's clients and its
//! bearer-token policy.
//!
//! The SDK's request options carry no tenant, claims or CAE flag: requests go to the
//! credential's configured tenant without CAE. Errors become `azure_core` errors of kind
//! `Credential` whose message is this crate's (never a secret).

use azure_core::credentials::{AccessToken, TokenRequestOptions};

use crate::{
    AuthorizationCodeCredential, AzureCliCredential, ChainedTokenCredential,
    ClientAssertionCredential, ClientCertificateCredential, ClientSecretCredential,
    DefaultAzureCredential, DeviceCodeCredential, EnvironmentCredential,
    InteractiveBrowserCredential, ManagedIdentityCredential, OnBehalfOfCredential,
    UsernamePasswordCredential, WorkloadIdentityCredential,
};

/// An SDK token from this crate's credential.
pub(crate) async fn sdk_token(
    credential: &dyn msal_core::TokenCredential,
    scopes: &[&str],
) -> azure_core::Result<AccessToken> {
    let info = credential
        .get_token_info(scopes, msal_core::TokenRequestOptions::default())
        .await
        .map_err(to_sdk_error)?;
    Ok(AccessToken::new(
        info.token.expose().to_owned(),
        info.expires_on,
    ))
}

/// The SDK error of a credential error: kind `Credential`, this crate's error as the source.
pub(crate) fn to_sdk_error(error: msal_core::Error) -> azure_core::Error {
    azure_core::Error::new(azure_core::error::ErrorKind::Credential, error)
}

macro_rules! sdk_credential {
    ($($ty:ty),+ $(,)?) => {$(
        #[async_trait::async_trait]
        impl azure_core::credentials::TokenCredential for $ty {
            async fn get_token(
                &self,
                scopes: &[&str],
                _options: Option<TokenRequestOptions<'_>>,
            ) -> azure_core::Result<AccessToken> {
                sdk_token(self, scopes).await
            }
        }
    )+};
}

sdk_credential!(
    AuthorizationCodeCredential,
    AzureCliCredential,
    ChainedTokenCredential,
    ClientAssertionCredential,
    ClientCertificateCredential,
    ClientSecretCredential,
    DefaultAzureCredential,
    DeviceCodeCredential,
    EnvironmentCredential,
    InteractiveBrowserCredential,
    ManagedIdentityCredential,
    OnBehalfOfCredential,
    UsernamePasswordCredential,
    WorkloadIdentityCredential,
);

#[cfg(test)]
mod tests {
    use super::*;
    use msal_core::{Error, ErrorKind};

    fn is_sdk_credential<T: azure_core::credentials::TokenCredential>() {}

    #[test]
    fn every_credential_is_an_sdk_credential() {
        is_sdk_credential::<AuthorizationCodeCredential>();
        is_sdk_credential::<AzureCliCredential>();
        is_sdk_credential::<ChainedTokenCredential>();
        is_sdk_credential::<ClientAssertionCredential>();
        is_sdk_credential::<ClientCertificateCredential>();
        is_sdk_credential::<ClientSecretCredential>();
        is_sdk_credential::<DefaultAzureCredential>();
        is_sdk_credential::<DeviceCodeCredential>();
        is_sdk_credential::<EnvironmentCredential>();
        is_sdk_credential::<InteractiveBrowserCredential>();
        is_sdk_credential::<ManagedIdentityCredential>();
        is_sdk_credential::<OnBehalfOfCredential>();
        is_sdk_credential::<UsernamePasswordCredential>();
        is_sdk_credential::<WorkloadIdentityCredential>();
    }

    #[test]
    fn errors_become_credential_errors_with_the_same_message() {
        let e = to_sdk_error(Error::new(ErrorKind::CredentialUnavailable, "no az"));
        assert_eq!(*e.kind(), azure_core::error::ErrorKind::Credential);
        assert!(e.to_string().contains("no az"), "{e}");
    }
}

//! Helpers of the end-to-end tests: an emulator and applications pointed at it.
#![allow(dead_code, missing_docs)]

use entra_emulator::{Emulator, LoggedRequest, StartOptions};
use msal_core::crypto::ClientCertificate;
use msal_core::http::PipelineOptions;
use msal_flows::{ConfidentialClientApplication, PublicClientApplication};

pub const PUBLIC_APP: &str = "11111111-1111-1111-1111-111111111111";
pub const CONFIDENTIAL_APP: &str = "22222222-2222-2222-2222-222222222222";
pub const CLIENT_SECRET: &str = "fake-client-secret~with.special_chars+/=";
pub const GRAPH_DEFAULT: &str = "https://graph.microsoft.com/.default";
pub const USER_READ: &str = "https://graph.microsoft.com/User.Read";

pub async fn emulator() -> Emulator {
    Emulator::start(StartOptions::default())
        .await
        .expect("the emulator starts")
}

fn pipeline() -> PipelineOptions {
    PipelineOptions::default().retry_delay(std::time::Duration::ZERO)
}

pub fn public_builder(
    emulator: &Emulator,
    client_id: &str,
) -> msal_flows::PublicClientApplicationBuilder {
    PublicClientApplication::builder(client_id)
        .authority(emulator.authority(&emulator.tenant_id()))
        .extra_ca_pem(emulator.ca_pem().unwrap_or_default().as_bytes().to_vec())
        .instance_discovery(false)
        .pipeline_options(pipeline())
}

pub fn public_app(emulator: &Emulator) -> PublicClientApplication {
    public_builder(emulator, PUBLIC_APP)
        .build()
        .expect("the app builds")
}

pub fn confidential_builder(
    emulator: &Emulator,
) -> msal_flows::ConfidentialClientApplicationBuilder {
    ConfidentialClientApplication::builder(CONFIDENTIAL_APP)
        .authority(emulator.authority(&emulator.tenant_id()))
        .extra_ca_pem(emulator.ca_pem().unwrap_or_default().as_bytes().to_vec())
        .instance_discovery(false)
        .pipeline_options(pipeline())
}

pub fn secret_app(emulator: &Emulator) -> ConfidentialClientApplication {
    confidential_builder(emulator)
        .client_secret(CLIENT_SECRET)
        .build()
        .expect("the app builds")
}

pub fn app_certificate(emulator: &Emulator) -> ClientCertificate {
    let info = emulator.info();
    let app = info
        .apps
        .iter()
        .find(|a| a.client_id == CONFIDENTIAL_APP)
        .expect("the confidential app");
    let cert = std::fs::read(app.certificate_pem_path.as_ref().expect("a certificate")).unwrap();
    let key = std::fs::read(app.private_key_pem_path.as_ref().expect("a key")).unwrap();
    ClientCertificate::from_pem_parts(&cert, &key, None).expect("the certificate loads")
}

pub fn token_requests(emulator: &Emulator) -> Vec<LoggedRequest> {
    emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/oauth2/v2.0/token"))
        .collect()
}

//! Interactive sign-in end to end: the `open_browser` callback plays the browser against
//! the emulator and follows its redirect to the loopback listener.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use entra_emulator::Emulator;
use msal_core::ErrorKind;
use msal_flows::{CallOptions, InteractiveOptions, TokenSource};
use url::Url;

use common::*;

const ALICE: &str = "alice@managed.test";

fn browser(emulator: &Emulator) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(emulator.ca_pem().unwrap().as_bytes()).unwrap();
    reqwest::Client::builder()
        .add_root_certificate(ca)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}

/// What the fake browser saw.
#[derive(Debug, Default)]
struct Seen {
    auth_url: Option<Url>,
    pages: Vec<(u16, String)>,
}

/// A callback that signs in at the emulator, then (optionally) first sends a redirect with
/// a wrong state, then the real redirect, to `127.0.0.1:{port}`.
fn fake_browser(
    emulator: &Emulator,
    forge_first: bool,
    seen: Arc<Mutex<Seen>>,
) -> impl Fn(&Url) -> msal_core::Result<()> + Send + Sync + 'static {
    let client = browser(emulator);
    move |url: &Url| {
        seen.lock().unwrap().auth_url = Some(url.clone());
        let (client, url, seen) = (client.clone(), url.clone(), seen.clone());
        tokio::spawn(async move {
            let answer = client.get(url).send().await.unwrap();
            let location = answer.headers()["location"].to_str().unwrap().to_owned();
            let mut redirect = Url::parse(&location).unwrap();
            // Reach the listener the way a browser resolving `localhost` to IPv4 would.
            redirect.set_host(Some("127.0.0.1")).unwrap();
            let mut targets = Vec::new();
            if forge_first {
                let mut forged = redirect.clone();
                let pairs: Vec<(String, String)> = redirect
                    .query_pairs()
                    .into_owned()
                    .map(|(k, v)| {
                        if k == "state" {
                            (k, "forged".into())
                        } else {
                            (k, v)
                        }
                    })
                    .collect();
                forged.query_pairs_mut().clear().extend_pairs(pairs);
                targets.push(forged);
            }
            targets.push(redirect);
            for target in targets {
                let page = client.get(target).send().await.unwrap();
                let status = page.status().as_u16();
                let body = page.text().await.unwrap();
                seen.lock().unwrap().pages.push((status, body));
            }
        });
        Ok(())
    }
}

#[tokio::test]
async fn interactive_sign_in_through_the_loopback_listener() {
    let emulator = emulator().await;
    let app = public_app(&emulator);
    let seen = Arc::new(Mutex::new(Seen::default()));
    let options = InteractiveOptions::new()
        .login_hint(ALICE)
        .timeout(Duration::from_secs(20))
        .open_browser(fake_browser(&emulator, false, seen.clone()));
    let result = app
        .acquire_token_interactive(&[USER_READ], &options, &CallOptions::new())
        .await
        .unwrap();
    let account = result.account.clone().expect("an account");
    assert_eq!(account.username.as_deref(), Some(ALICE));
    let auth_url = seen.lock().unwrap().auth_url.clone().unwrap();
    let redirect_uri = auth_url
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .unwrap()
        .1
        .into_owned();
    let redirect = Url::parse(&redirect_uri).unwrap();
    assert_eq!(redirect.host_str(), Some("localhost"));
    assert!(redirect.port().is_some_and(|p| p != 0));
    let again = app
        .acquire_token_silent(&[USER_READ], &account, &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(again.token_source, TokenSource::Cache);
}

#[tokio::test]
async fn wrong_state_redirect_is_ignored_then_the_right_one_accepted() {
    let emulator = emulator().await;
    let app = public_app(&emulator);
    let seen = Arc::new(Mutex::new(Seen::default()));
    let options = InteractiveOptions::new()
        .login_hint(ALICE)
        .timeout(Duration::from_secs(20))
        .open_browser(fake_browser(&emulator, true, seen.clone()));
    let result = app
        .acquire_token_interactive(&[USER_READ], &options, &CallOptions::new())
        .await
        .unwrap();
    assert!(result.account.is_some());
    // Let the fake browser record the last page.
    for _ in 0..50 {
        if seen.lock().unwrap().pages.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pages = &seen.lock().unwrap().pages;
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0].0, 400, "the forged redirect gets an error page");
    assert_eq!(pages[1].0, 200);
    assert!(pages[1].1.contains("Authentication complete"));
    assert_eq!(
        token_requests(&emulator).len(),
        1,
        "only the real code is redeemed"
    );
}

#[tokio::test]
async fn listener_is_reachable_on_ipv4_loopback_only() {
    let emulator = emulator().await;
    let app = public_app(&emulator);
    let port = Arc::new(Mutex::new(None));
    let recorded = port.clone();
    let options = InteractiveOptions::new()
        .timeout(Duration::from_secs(2))
        .open_browser(move |url: &Url| {
            let redirect = url
                .query_pairs()
                .find(|(k, _)| k == "redirect_uri")
                .map(|(_, v)| v.into_owned())
                .unwrap();
            *recorded.lock().unwrap() = Url::parse(&redirect).unwrap().port();
            Ok(())
        });
    let call = CallOptions::new();
    let (outcome, reachability) = tokio::join!(
        app.acquire_token_interactive(&[USER_READ], &options, &call),
        async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let port = port.lock().unwrap().expect("the browser was opened");
            let v4 = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok();
            let v6 = tokio::net::TcpStream::connect(("::1", port)).await.is_ok();
            (v4, v6)
        }
    );
    assert_eq!(reachability, (true, false));
    assert_eq!(outcome.unwrap_err().kind(), ErrorKind::Timeout);
}

#[tokio::test]
async fn a_failing_browser_is_a_typed_error_not_a_wait() {
    let emulator = emulator().await;
    let app = public_app(&emulator);
    let options = InteractiveOptions::new()
        .timeout(Duration::from_secs(30))
        .open_browser(|_: &Url| {
            Err(msal_core::Error::new(
                ErrorKind::CredentialUnavailable,
                "no browser here",
            ))
        });
    let started = std::time::Instant::now();
    let err = app
        .acquire_token_interactive(&[USER_READ], &options, &CallOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CredentialUnavailable);
    assert!(started.elapsed() < Duration::from_secs(5));
}

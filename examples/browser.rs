//! The emulator's stand-in for a person at a browser: it opens the authorize URL (the
//! emulator signs in the `login_hint` user without a page) and follows the redirects to the
//! app's redirect URI, as a browser would.

use std::sync::Arc;

use msal_core::http::{HttpClient, HttpRequest};
use url::Url;

use crate::{BoxError, CountingHttpClient};

/// Follows `url` and its redirects (at most 5), returning the final answer's status and body.
pub async fn follow(http: &Arc<CountingHttpClient>, url: Url) -> Result<(u16, String), BoxError> {
    let mut url = url;
    for _ in 0..5 {
        // A plain client for the hops: the counting client is for identity provider requests.
        let response = http.inner().execute(HttpRequest::get(url.clone())).await?;
        match response.header("location") {
            Some(next) if (300..400).contains(&response.status) => {
                url = url.join(next)?;
            }
            _ => {
                return Ok((
                    response.status,
                    String::from_utf8_lossy(&response.body).into_owned(),
                ));
            }
        }
    }
    Err("too many redirects".into())
}

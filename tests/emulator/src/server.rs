//! Listeners, TLS, and the hyper glue turning HTTP into [`Req`] and [`Resp`].

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_native_tls::TlsAcceptor;

use crate::http::{Req, Resp, parse_pairs};
use crate::routes::{self, Outcome};
use crate::state::SharedRef;

const MAX_BODY: usize = 1 << 20;

/// Returned by the service to make hyper close the connection without an answer.
#[derive(Debug)]
struct DroppedConnection;

impl std::fmt::Display for DroppedConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for DroppedConnection {}

/// One listener's serving loop; ends when `shutdown` changes.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    sh: SharedRef,
    mut shutdown: watch::Receiver<bool>,
) {
    let scheme: &'static str = if tls.is_some() { "https" } else { "http" };
    loop {
        let accepted = tokio::select! {
            _ = shutdown.changed() => break,
            a = listener.accept() => a,
        };
        let Ok((stream, _)) = accepted else { continue };
        let _ = stream.set_nodelay(true);
        let (sh, tls, stop) = (sh.clone(), tls.clone(), shutdown.clone());
        tokio::spawn(async move {
            match tls {
                Some(acceptor) => {
                    if let Ok(s) = acceptor.accept(stream).await {
                        serve_io(TokioIo::new(s), sh, scheme, stop).await;
                    }
                }
                None => serve_io(TokioIo::new(stream), sh, scheme, stop).await,
            }
        });
    }
}

async fn serve_io<I>(io: I, sh: SharedRef, scheme: &'static str, mut stop: watch::Receiver<bool>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let svc = service_fn(move |req| handle(sh.clone(), scheme, req));
    let conn = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, svc);
    tokio::select! {
        _ = conn => {}
        _ = stop.changed() => {}
    }
}

fn percent_decode(path: &str) -> String {
    url::form_urlencoded::parse(format!("p={}", path.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| path.to_string())
}

async fn to_req(sh: &SharedRef, scheme: &str, req: Request<Incoming>) -> Req {
    let (parts, body) = req.into_parts();
    let body = Limited::new(body, MAX_BODY)
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let header = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let is_form = header("content-type").is_some_and(|c| {
        c.to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    });
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    let base_url = match header("host") {
        Some(h) if !h.is_empty() => format!("{scheme}://{h}"),
        _ => sh.authority_host.clone(),
    };
    let trace_id = uuid::Uuid::new_v4().to_string();
    let correlation_id =
        header("client-request-id").unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    Req {
        method: parts.method.as_str().to_string(),
        path: percent_decode(parts.uri.path()),
        query: parse_pairs(raw_query.as_bytes()),
        form: if is_form {
            parse_pairs(&body)
        } else {
            Vec::new()
        },
        headers,
        body,
        base_url,
        trace_id,
        correlation_id,
    }
}

fn to_response(req: &Req, resp: Resp) -> Response<Full<Bytes>> {
    let mut b = Response::builder().status(resp.status);
    for (k, v) in &resp.headers {
        b = b.header(*k, v.as_str());
    }
    b = b
        .header("x-ms-request-id", req.trace_id.as_str())
        .header("x-ms-ests-server", "entra-emulator");
    if let Some(c) = req.header("client-request-id") {
        b = b.header("client-request-id", c);
    }
    b.body(Full::new(resp.body.clone()))
        .unwrap_or_else(|_| Response::new(Full::new(resp.body)))
}

async fn handle(
    sh: SharedRef,
    scheme: &'static str,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, DroppedConnection> {
    let req = to_req(&sh, scheme, req).await;
    match routes::serve(Arc::as_ref(&sh), &req).await {
        Outcome::Answer(resp) => Ok(to_response(&req, resp)),
        Outcome::Drop => Err(DroppedConnection),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_percent_decoded_but_plus_is_kept() {
        assert_eq!(
            percent_decode("/common/userrealm/alice%40managed.test"),
            "/common/userrealm/alice@managed.test"
        );
        assert_eq!(percent_decode("/a+b"), "/a+b");
    }
}

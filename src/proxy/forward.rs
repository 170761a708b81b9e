//! Sends one client request to the upstream with reqwest and reads the whole answer. Nothing is
//! judged or changed here: the caller chose the headers, and the answer comes back as received.

use bytes::Bytes;
use std::time::Duration;

/// The upstream's answer, whole.
#[derive(Debug, Clone)]
pub(super) struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Headers as received, in order (names in lower case).
    pub headers: Vec<(reqwest::header::HeaderName, reqwest::header::HeaderValue)>,
    /// The body bytes.
    pub body: Bytes,
}

/// The client that talks to the upstream: no redirects followed (the client sees them), no
/// proxy from the environment, no decompression (bytes travel as sent), `timeout` per request.
pub(super) fn client(timeout: Duration) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .build()
        .map_err(|e| format!("cannot build the upstream client: {e}"))
}

/// Sends `method url` with `headers` and `body` (`None`: no body at all) and reads the answer.
/// `Err` says why no whole answer came, without secrets (the URL holds none).
pub(super) async fn send(
    http: &reqwest::Client,
    method: &str,
    url: &reqwest::Url,
    headers: Vec<(reqwest::header::HeaderName, reqwest::header::HeaderValue)>,
    body: Option<Bytes>,
) -> Result<Answer, String> {
    let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| format!("bad method {method}: {e}"))?;
    let mut builder = http.request(method, url.clone());
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    if let Some(body) = body {
        builder = builder.body(body);
    }
    let response = builder.send().await.map_err(|e| describe(&e))?;
    let status = response.status().as_u16();
    let headers = response.headers().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let body = response.bytes().await.map_err(|e| format!("the answer's body broke off: {}", describe(&e)))?;
    Ok(Answer { status, headers, body })
}

/// reqwest's error with its causes, which say what actually happened (refused, reset, timeout).
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() { format!("no answer within the timeout: {e}") } else { e.to_string() };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

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
pub(super) fn client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).timeout(timeout).build()
}

/// Why no whole answer came from the upstream; the message says it without secrets (the URL
/// holds none), reqwest's causes included.
#[derive(Debug, thiserror::Error)]
pub(super) enum ForwardError {
    /// The client's method is not an HTTP method.
    #[error("bad method {method}: {source}")]
    Method {
        /// The method as received.
        method: String,
        /// What the parser said.
        #[source]
        source: http::method::InvalidMethod,
    },
    /// The request got no answer.
    #[error("{}", describe(.0))]
    Send(#[source] reqwest::Error),
    /// The answer's body broke off.
    #[error("the answer's body broke off: {}", describe(.0))]
    Body(#[source] reqwest::Error),
}

/// Sends `method url` with `headers` and `body` (`None`: no body at all) and reads the answer.
/// `Err` says why no whole answer came.
pub(super) async fn send(
    http: &reqwest::Client,
    method: &str,
    url: &reqwest::Url,
    headers: Vec<(reqwest::header::HeaderName, reqwest::header::HeaderValue)>,
    body: Option<Bytes>,
) -> Result<Answer, ForwardError> {
    let method = reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|source| ForwardError::Method { method: method.to_owned(), source })?;
    let mut builder = http.request(method, url.clone());
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    if let Some(body) = body {
        builder = builder.body(body);
    }
    let response = builder.send().await.map_err(ForwardError::Send)?;
    let status = response.status().as_u16();
    let headers = response.headers().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let body = response.bytes().await.map_err(ForwardError::Body)?;
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

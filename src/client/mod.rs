//! Sends requests to a target (base URL, signing or token) and returns [`Exchange`]s.
//! It judges nothing and never logs a secret.

pub mod proxy;
mod retry;
mod secret;
pub mod tape;
pub mod tls;

pub use retry::RetryPolicy;
pub use secret::Secret;
pub use tls::TlsOptions;

use crate::exchange::Credentials;
use crate::exchange::{Exchange, RequestRecord, ResponseRecord, TransportError, TransportErrorKind};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, Semaphore};

/// How requests are authenticated.
#[derive(Clone, Debug)]
pub enum Auth {
    /// No credentials.
    None,
    /// An IAM token in `X-Auth-Token`.
    Token(Secret),
    /// SDK-HMAC-SHA256 request signing.
    AkSk {
        /// Access key.
        access_key: Secret,
        /// Secret key.
        secret_key: Secret,
    },
}

impl Auth {
    /// `none`, `token` or `aksk`.
    pub fn kind(&self) -> &'static str {
        match self {
            Auth::None => "none",
            Auth::Token(_) => "token",
            Auth::AkSk { .. } => "aksk",
        }
    }

    /// The secret values, for scrubbing outputs.
    pub fn secrets(&self) -> Vec<String> {
        match self {
            Auth::None => Vec::new(),
            Auth::Token(t) => vec![t.expose().to_owned()],
            Auth::AkSk { access_key, secret_key } => {
                vec![access_key.expose().to_owned(), secret_key.expose().to_owned()]
            }
        }
    }
}

/// Where requests go.
#[derive(Clone, Debug)]
pub struct Target {
    /// Base URL without trailing slash.
    pub base_url: String,
    /// Project id put into paths and `X-Project-Id`.
    pub project_id: String,
    /// Credentials.
    pub auth: Auth,
}

/// Limits of the client.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Bound of one request, body included.
    pub timeout: Duration,
    /// Retry policy for safe requests.
    pub retry: RetryPolicy,
    /// Maximum requests in flight.
    pub concurrency: usize,
    /// Maximum requests per second (0: unlimited).
    pub rps: f64,
    /// How the server's certificate is judged.
    pub tls: TlsOptions,
    /// Never through a proxy (the embedded emulator, which is in this process); otherwise the
    /// proxy variables of the environment decide, `NO_PROXY` included.
    pub direct: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            concurrency: 64,
            rps: 0.0,
            tls: TlsOptions::default(),
            direct: false,
        }
    }
}

/// A request ready to send (path already rendered).
#[derive(Clone, Debug, Default)]
pub struct Outgoing {
    /// Operation id, recorded in the exchange.
    pub operation: String,
    /// Method in upper case.
    pub method: String,
    /// Path starting with `/`, not encoded.
    pub path: String,
    /// Query parameters, values not encoded.
    pub query: Vec<(String, String)>,
    /// JSON body bytes.
    pub body: Option<Vec<u8>>,
    /// Credentials to send.
    pub credentials: Credentials,
}

/// What the URL parser reqwest uses says of a URL it cannot parse.
pub type UrlParseError = <reqwest::Url as std::str::FromStr>::Err;

/// Why a client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The base URL does not parse.
    #[error("invalid endpoint `{url}`: {source}")]
    Endpoint {
        /// The base URL given.
        url: String,
        /// What the URL parser said.
        #[source]
        source: UrlParseError,
    },
    /// The base URL is not `http(s)://` with a host.
    #[error("invalid endpoint `{0}`: expected http:// or https:// with a host")]
    NotHttp(String),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Build(#[source] reqwest::Error),
    /// A `--ca-cert` file is unusable.
    #[error(transparent)]
    CaFile(#[from] tls::CaFileError),
}

/// An HTTP client bound to one target.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    target: Arc<Target>,
    options: ClientOptions,
    in_flight: Arc<Semaphore>,
    pacer: Arc<Mutex<Instant>>,
    /// Every exchange of the run, when asked for (`--har-all`).
    log: Option<Arc<std::sync::Mutex<Vec<tape::Recorded>>>>,
}

/// Longest wait for a TCP (and TLS) connection, whatever the request timeout.
const CONNECT_TIMEOUT_CAP: Duration = Duration::from_secs(10);

/// Characters kept as is in path segments and query values (RFC 3986 unreserved).
const UNRESERVED: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Percent-encodes one path segment or query component.
pub fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, UNRESERVED).to_string()
}

impl Client {
    /// A client for `target`.
    pub fn new(target: Target, options: ClientOptions) -> Result<Client, ClientError> {
        let url = reqwest::Url::parse(&target.base_url)
            .map_err(|source| ClientError::Endpoint { url: target.base_url.clone(), source })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(ClientError::NotHttp(target.base_url.clone()));
        }
        let mut builder = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.timeout.min(CONNECT_TIMEOUT_CAP))
            .pool_max_idle_per_host(64)
            .user_agent(concat!("sdrs-conformance/", env!("CARGO_PKG_VERSION")));
        if options.direct {
            builder = builder.no_proxy();
        }
        builder = tls::configure(builder, &options.tls)?;
        let http = builder.build().map_err(ClientError::Build)?;
        let mut target = target;
        target.base_url = target.base_url.trim_end_matches('/').to_owned();
        Ok(Client {
            http,
            in_flight: Arc::new(Semaphore::new(options.concurrency.max(1))),
            pacer: Arc::new(Mutex::new(Instant::now())),
            target: Arc::new(target),
            options,
            log: None,
        })
    }

    /// The same client, also keeping every exchange it completes (see [`Client::recorded`]).
    pub fn keeping_every_exchange(mut self) -> Client {
        self.log = Some(Arc::default());
        self
    }

    /// Every exchange completed so far, in order, when the client keeps them.
    pub fn recorded(&self) -> Vec<tape::Recorded> {
        self.log.as_ref().map(|l| l.lock().expect("poisoned").clone()).unwrap_or_default()
    }

    /// Records a completed exchange on the task's tape and in the run's log.
    fn note(&self, exchange: &Exchange) {
        let recorded = tape::record(exchange);
        if let Some(log) = &self.log {
            log.lock().expect("poisoned").push(recorded);
        }
    }

    /// The target.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Sends `req`, retrying where safe, and records the exchange.
    pub async fn send(&self, req: &Outgoing) -> Exchange {
        let mut attempt = 0u32;
        loop {
            let exchange = self.send_once(req).await;
            // A retried answer (429, 503) is evidence too.
            self.note(&exchange);
            let retry_after = exchange.ok().and_then(|r| r.header("retry-after")).and_then(retry::parse_retry_after);
            match self.options.retry.delay(attempt, &req.method, &exchange, retry_after) {
                Some(delay) => {
                    tracing::debug!(operation = %req.operation, attempt, ?delay, "retrying");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                None => return exchange,
            }
        }
    }

    /// Sends `req` once, without retries: the preflight, which must stop a run at once when the
    /// target does not answer.
    pub async fn probe(&self, req: &Outgoing) -> Exchange {
        let exchange = self.send_once(req).await;
        self.note(&exchange);
        exchange
    }

    async fn pace(&self) {
        if self.options.rps <= 0.0 {
            return;
        }
        let interval = Duration::from_secs_f64(1.0 / self.options.rps);
        let mut next = self.pacer.lock().await;
        let now = Instant::now();
        if *next > now {
            tokio::time::sleep(*next - now).await;
        }
        *next = (*next).max(now) + interval;
    }

    async fn send_once(&self, req: &Outgoing) -> Exchange {
        let _permit = self.in_flight.acquire().await.expect("semaphore never closed");
        self.pace().await;
        let encoded_path: String =
            req.path.split('/').map(|seg| encode(&percent_decode(seg))).collect::<Vec<_>>().join("/");
        let query: String =
            req.query.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&");
        let path_and_query = if query.is_empty() { encoded_path.clone() } else { format!("{encoded_path}?{query}") };
        let url = format!("{}{}", self.target.base_url, path_and_query);
        let host = reqwest::Url::parse(&url)
            .ok()
            .and_then(|u| {
                u.host_str().map(|h| match u.port() {
                    Some(p) => format!("{h}:{p}"),
                    None => h.to_owned(),
                })
            })
            .unwrap_or_default();
        let mut headers: Vec<(String, String)> = Vec::new();
        if req.body.is_some() {
            headers.push(("Content-Type".into(), "application/json;charset=utf-8".into()));
        }
        headers.push(("X-Project-Id".into(), self.target.project_id.clone()));
        let body = req.body.clone().unwrap_or_default();
        let mut recorded = headers.clone();
        match (&self.target.auth, req.credentials) {
            (_, Credentials::None) => {}
            (Auth::Token(t), Credentials::Default) => {
                headers.push(("X-Auth-Token".into(), t.expose().to_owned()));
                recorded.push(("X-Auth-Token".into(), "<redacted>".into()));
            }
            (Auth::AkSk { access_key, secret_key }, creds) => {
                let sk = if creds == Credentials::Default {
                    secret_key.expose().to_owned()
                } else {
                    format!("{}-wrong", secret_key.expose())
                };
                let date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
                let mut signed = headers.clone();
                signed.push(("Host".into(), host.clone()));
                signed.push(("X-Sdk-Date".into(), date.clone()));
                let query_pairs: Vec<(String, String)> = req.query.clone();
                let signable = crate::signing::SignableRequest {
                    method: &req.method,
                    path: &req.path,
                    query: &query_pairs,
                    headers: &signed,
                    body: &body,
                };
                let authorization = crate::signing::authorization(access_key.expose(), &sk, &signable);
                headers.push(("X-Sdk-Date".into(), date.clone()));
                headers.push(("Authorization".into(), authorization));
                recorded.push(("X-Sdk-Date".into(), date));
                recorded
                    .push(("Authorization".into(), "SDK-HMAC-SHA256 Access=<redacted>, Signature=<redacted>".into()));
            }
            (_, _) => {
                headers.push(("X-Auth-Token".into(), "invalid-token".into()));
                // Not a secret: recorded as sent, so that the evidence reproduces the request.
                recorded.push(("X-Auth-Token".into(), "invalid-token".into()));
            }
        }
        let method = reqwest::Method::from_bytes(req.method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut builder = self.http.request(method, &url);
        for (k, v) in &headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        if req.body.is_some() {
            builder = builder.body(body.clone());
        }
        let record = RequestRecord {
            method: req.method.clone(),
            path: path_and_query,
            headers: recorded,
            body: req.body.as_ref().map(|b| String::from_utf8_lossy(b).into_owned()),
        };
        let started = Instant::now();
        tracing::debug!(operation = %req.operation, method = %req.method, path = %record.path, "request");
        let response = match builder.send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let headers: Vec<(String, String)> = resp
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                    .collect();
                match resp.bytes().await {
                    Ok(bytes) => Ok(ResponseRecord::new(status, headers, bytes.to_vec())),
                    Err(e) => Err(self.transport_error(&e, "reading the body")),
                }
            }
            Err(e) => Err(self.transport_error(&e, "sending the request")),
        };
        let elapsed = started.elapsed();
        match &response {
            Ok(r) => {
                tracing::debug!(operation = %req.operation, status = r.status, ?elapsed, body = %truncate(&r.body_text(), 2000), "response")
            }
            Err(e) => tracing::debug!(operation = %req.operation, error = %e, ?elapsed, "no response"),
        }
        Exchange { operation: req.operation.clone(), request: record, response, elapsed }
    }

    fn transport_error(&self, e: &reqwest::Error, during: &str) -> TransportError {
        if let Some(problem) = tls::problem_of(e) {
            let origin = reqwest::Url::parse(&self.target.base_url)
                .map(|u| u.origin().ascii_serialization())
                .unwrap_or_else(|_| self.target.base_url.clone());
            let sentence = problem.sentence(&origin);
            return TransportError {
                kind: TransportErrorKind::Tls,
                message: format!("{sentence} ({during}: {})", chain(e)),
            };
        }
        transport_error(e, during, self.options.timeout)
    }
}

/// `error: cause: cause…`.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

fn transport_error(e: &reqwest::Error, during: &str, timeout: Duration) -> TransportError {
    let kind = if e.is_timeout() {
        TransportErrorKind::Timeout
    } else if e.is_connect() {
        let text = format!("{e:?}").to_ascii_lowercase();
        if text.contains("tls") || text.contains("certificate") {
            TransportErrorKind::Tls
        } else {
            TransportErrorKind::Connect
        }
    } else if e.is_body() || e.is_decode() {
        TransportErrorKind::Body
    } else {
        TransportErrorKind::Other
    };
    let mut message = match kind {
        TransportErrorKind::Timeout if e.is_connect() => {
            format!("{during}: could not connect within {:?}: {e}", timeout.min(CONNECT_TIMEOUT_CAP))
        }
        TransportErrorKind::Timeout => format!("{during}: the target did not answer within {timeout:?}: {e}"),
        _ => format!("{during}: {e}"),
    };
    if let Some(s) = std::error::Error::source(e) {
        message.push_str(": ");
        message.push_str(&chain(s));
    }
    TransportError { kind, message }
}

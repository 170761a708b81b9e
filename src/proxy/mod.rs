//! The live validation proxy: forwards any client's requests to an upstream SDRS endpoint,
//! returns the upstream's answers unchanged, and judges every exchange as `check-traffic` judges
//! a recording (through [`crate::traffic::Live`], never a copy of its checks): each exchange when
//! it completes, the jobs and resources across the whole traffic when the proxy stops.
//!
//! It owns the server side (hyper), the forwarding (reqwest) and the client's credentials on the
//! way (tokens pass through; with a key pair, signatures are verified and made again for the
//! upstream host). It prints nothing: the caller hears of each exchange through a
//! [`ProxyEvent`], and gets the judged traffic ([`Judged`]) from [`Proxy::finish`]. Its main type
//! is [`Proxy`].

mod credentials;
mod forward;
mod handler;
mod recording;

pub use credentials::KeyPair;
pub use recording::{Judged, JudgedExchange};

use crate::checks::CheckContext;
use crate::outcome::CaseReport;
use crate::redact::Scrubber;
use crate::spec::{SchemaSet, Specs};
use recording::Recording;
use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, Semaphore};

/// Permits of the in-flight gate: [`Proxy::finish`] takes them all to wait for every request.
const GATE: u32 = 1 << 20;

/// What a caller hears while the proxy runs; every text is already free of secrets.
#[derive(Debug, Clone)]
pub enum ProxyEvent {
    /// An exchange was forwarded and judged on its own.
    Judged {
        /// Its case (`traffic/<operation>#<n>`), as the reports will hold it.
        case: Box<CaseReport>,
        /// `METHOD /path?query` as the client sent it.
        request: String,
        /// The upstream's status (`None`: no answer, the client got 502).
        status: Option<u16>,
    },
    /// The proxy answered a request itself; the upstream never saw it.
    Refused {
        /// `METHOD /path?query`.
        request: String,
        /// The status the client got.
        status: u16,
        /// Why.
        reason: String,
    },
    /// Something the user should know once (a signature the proxy cannot sign again).
    Notice(String),
}

/// Receives the [`ProxyEvent`]s, in the order of the exchanges' case numbers.
pub type OnEvent = Arc<dyn Fn(ProxyEvent) + Send + Sync>;

/// How the proxy runs.
#[derive(Clone)]
pub struct ProxyConfig {
    /// The upstream's base URL (`http(s)://host[:port][/prefix]`); a request's path is appended.
    pub upstream: reqwest::Url,
    /// The key pair: with it, signatures are verified and made again for the upstream.
    pub key_pair: Option<KeyPair>,
    /// Disputed readings fail instead of warning.
    pub strict: bool,
    /// Bound of each upstream request.
    pub timeout: Duration,
    /// Hears each exchange as it is judged.
    pub on_event: Option<OnEvent>,
}

impl std::fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyConfig")
            .field("upstream", &self.upstream.as_str())
            .field("key_pair", &self.key_pair.as_ref().map(|_| "<redacted>"))
            .field("strict", &self.strict)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Why the proxy could not start.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// The upstream URL is not `http(s)://host...`.
    #[error("--upstream {url}: {reason}")]
    Upstream {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The client that talks to the upstream could not be built.
    #[error("--upstream {url}: cannot build the upstream client: {source}")]
    UpstreamClient {
        /// The URL given.
        url: String,
        /// Why.
        #[source]
        source: reqwest::Error,
    },
    /// The listening socket could not be used.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// The address.
        address: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Parses and checks an upstream base URL: `http` or `https`, a host, no query or fragment.
pub fn upstream_url(text: &str) -> Result<reqwest::Url, ProxyError> {
    let fail = |reason: &str| ProxyError::Upstream { url: text.to_owned(), reason: reason.to_owned() };
    let url = reqwest::Url::parse(text.trim()).map_err(|e| fail(&format!("not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(fail("expected http:// or https:// with a host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(fail("a base URL has no query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(fail("credentials do not belong in the URL: give --ak/--sk, or let the client send its token"));
    }
    Ok(url)
}

/// What every connection task shares.
struct Shared {
    config: ProxyConfig,
    http: reqwest::Client,
    schemas: SchemaSet,
    /// `None` once [`Proxy::finish`] took it.
    recording: Mutex<Option<Recording>>,
    gate: Semaphore,
    /// The key pair's values, scrubbed from every text the proxy gives out.
    secrets: Vec<String>,
    unsigned_noted: AtomicBool,
}

impl Shared {
    fn emit(&self, event: ProxyEvent) {
        if let Some(on) = &self.config.on_event {
            on(event);
        }
    }

    fn secret_refs(&self) -> Vec<&str> {
        self.secrets.iter().map(String::as_str).collect()
    }

    fn scrub(&self, text: &str) -> String {
        Scrubber::new(&self.secret_refs()).scrub(text)
    }
}

/// A running proxy.
pub struct Proxy {
    address: SocketAddr,
    shared: Arc<Shared>,
    stop: Arc<Notify>,
    accept: tokio::task::JoinHandle<()>,
    started: Instant,
}

impl Proxy {
    /// Serves on `listener` (already bound) until [`Proxy::finish`]. The upstream is not
    /// contacted: it may come up later; until then each request gets 502.
    pub async fn start(listener: std::net::TcpListener, config: ProxyConfig) -> Result<Proxy, ProxyError> {
        let address = listener.local_addr().map_err(|source| ProxyError::Listen { address: "?".into(), source })?;
        let listen_error = |source| ProxyError::Listen { address: address.to_string(), source };
        listener.set_nonblocking(true).map_err(listen_error)?;
        let listener = tokio::net::TcpListener::from_std(listener).map_err(listen_error)?;
        let http = forward::client(config.timeout)
            .map_err(|source| ProxyError::UpstreamClient { url: config.upstream.to_string(), source })?;
        let secrets = config
            .key_pair
            .iter()
            .flat_map(|p| [p.access_key.expose().to_owned(), p.secret_key.expose().to_owned()])
            .collect();
        let shared = Arc::new(Shared {
            config,
            http,
            schemas: SchemaSet::new(Specs::embedded()),
            recording: Mutex::new(Some(Recording::new())),
            gate: Semaphore::new(GATE as usize),
            secrets,
            unsigned_noted: AtomicBool::new(false),
        });
        let stop = Arc::new(Notify::new());
        let accept = tokio::spawn(accept_loop(listener, Arc::clone(&shared), Arc::clone(&stop)));
        Ok(Proxy { address, shared, stop, accept, started: Instant::now() })
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// How many exchanges were judged so far.
    pub fn exchanges(&self) -> usize {
        self.shared.recording.lock().map(|r| r.as_ref().map_or(0, Recording::len)).unwrap_or(0)
    }

    /// Stops accepting, waits (at most the request timeout and a second) for the requests in
    /// flight, and judges the whole traffic. Later requests on open connections get 503.
    pub async fn finish(self) -> Judged {
        self.stop.notify_one();
        let _ = self.accept.await;
        let grace = self.shared.config.timeout + Duration::from_secs(1);
        let _all = tokio::time::timeout(grace, self.shared.gate.acquire_many(GATE)).await;
        let recording = self.shared.recording.lock().ok().and_then(|mut r| r.take()).unwrap_or_default();
        let ctx =
            CheckContext { specs: Specs::embedded(), schemas: &self.shared.schemas, strict: self.shared.config.strict };
        let upstream = self.shared.config.upstream.as_str().trim_end_matches('/').to_owned();
        let source = format!("proxy http://{} -> {upstream}", self.address);
        recording.finish(&ctx, &source, &upstream, self.started.elapsed(), &self.shared.secret_refs())
    }
}

async fn accept_loop(listener: tokio::net::TcpListener, shared: Arc<Shared>, stop: Arc<Notify>) {
    loop {
        let accepted = tokio::select! {
            _ = stop.notified() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _)) => {
                let shared = Arc::clone(&shared);
                tokio::spawn(async move {
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let service = hyper::service::service_fn(move |req| handler::handle(Arc::clone(&shared), req));
                    // A client that hangs up mid-request ends only its own connection.
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
                });
            }
            // Out of file descriptors and the like: the next accept may work once some close.
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

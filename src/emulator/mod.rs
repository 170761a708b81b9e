//! The reference emulator: a stateful model of SDRS v1 served through one wiremock `MockServer`.
//!
//! It owns protection groups, protected instances, replication pairs, DR drills, tags, the task
//! center, quotas and the async jobs behind every write, over a [`World`] of prerequisites from
//! other services. It depends only on `crate::spec` (the A.1 table it answers with, the actions
//! of `states.yaml` and the resource table it follows, see `rules`),
//! `crate::signing` and the leaf `crate::edit_distance`; it is a target, never an oracle. Records
//! and job types are plain data (`model`), kept by the store (`store`), moved by the job engine
//! (`jobs`), which works on the store, never the other way round. The main type is [`Emulator`]. [`EmulatorConfig::faults`] makes it
//! break the contract on purpose, one named [`Fault`] at a time, to prove what the suite catches;
//! [`EmulatorConfig::variants`] makes it answer in ways the reference allows but it does not show by
//! default, one named [`Variant`] at a time, to prove that the suite passes a server unlike ours.
//!
//! ```no_run
//! # async fn demo() -> Result<(), sdrs_conformance::emulator::EmulatorError> {
//! use sdrs_conformance::emulator::{Emulator, EmulatorConfig};
//! let emulator = Emulator::start(EmulatorConfig::default()).await?;
//! println!("SDRS emulator at {}", emulator.uri());
//! # Ok(()) }
//! ```

mod auth;
mod errors;
mod faults;
mod handlers;
mod jobs;
mod model;
mod names;
mod router;
mod rules;
mod serve;
mod state;
mod store;
mod timing;
mod validate;
mod variants;
mod world;

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};

use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

pub use auth::MIN_TOKEN_LEN;
pub use faults::Fault;
pub use names::UnknownName;
pub use serve::serve;
pub use timing::{Clock, DurationsError, Hold, JobDurations, ManualClock, SystemClock, WallClock, JOB_DURATIONS_YAML};
pub use variants::Variant;
pub use world::{
    AvailabilityZones, Domain, Quotas, RpoRecord, SecurityGroup, Server, ServerNic, Subnet, Volume, Vpc, World,
    DEFAULT_WORLD_YAML,
};

/// The project ID of the default world and the default configuration.
pub const DEFAULT_PROJECT_ID: &str = "0605767a3b8a4e4a9f1d2c3b4a5e6f70";

/// How the emulator is configured.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// The only project ID accepted in paths.
    pub project_id: String,
    /// `None`: any `X-Auth-Token` of [`MIN_TOKEN_LEN`] or more characters without whitespace is
    /// accepted; `Some`: only this token.
    pub token: Option<String>,
    /// `Some`: AK/SK signatures are verified; `None`: a well-formed header is enough.
    pub key_pair: Option<KeyPair>,
    /// The prerequisites of other services.
    pub world: World,
    /// How jobs advance.
    pub jobs: JobPacing,
    /// Seed of the ID generator.
    pub seed: u64,
    /// Contract violations to commit on purpose (empty: a conforming emulator).
    pub faults: Vec<Fault>,
    /// Legal ways of answering unlike the default (empty: the default emulator).
    pub variants: Vec<Variant>,
    /// Added to every answer, as a distant region's round trip (`serve --latency`).
    pub latency: std::time::Duration,
}

impl EmulatorConfig {
    /// The default configuration over the embedded world; an invalid embedded world (an edit of
    /// `profiles/emulator-world.yaml`) is an error naming its file and line. `serve` and `run`
    /// start from this.
    pub fn try_default() -> Result<EmulatorConfig, EmulatorError> {
        Ok(EmulatorConfig {
            project_id: DEFAULT_PROJECT_ID.to_string(),
            token: None,
            key_pair: None,
            world: World::embedded()?,
            jobs: JobPacing::PerPoll,
            seed: 1,
            faults: Vec::new(),
            variants: Vec::new(),
            latency: std::time::Duration::ZERO,
        })
    }
}

/// For tests and examples; panics if the embedded world is invalid, where
/// [`EmulatorConfig::try_default`] returns the error.
impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig::try_default().unwrap_or_else(|e| panic!("{e}"))
    }
}

/// An access key and its secret key, for AK/SK signature verification.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyPair {
    /// The access key (AK).
    pub access_key: String,
    /// The secret key (SK); never printed.
    pub secret_key: String,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair").field("access_key", &self.access_key).field("secret_key", &"<redacted>").finish()
    }
}

/// How jobs advance from INIT to SUCCESS or FAIL.
#[derive(Debug, Clone, PartialEq)]
pub enum JobPacing {
    /// Each GET of the job advances it one step (INIT -> RUNNING -> SUCCESS/FAIL).
    PerPoll,
    /// By the emulator clock: RUNNING after half the delay, done after the delay (milliseconds).
    AfterMillis(u64),
    /// By a wall clock: each job held for its duration, RUNNING after half of it (`timing.rs`).
    WallClock(WallClock),
}

/// Errors of the emulator (startup, world files); never an HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The listening address could not be bound.
    #[error("cannot bind {address}: {source}")]
    Bind {
        /// The address that was asked for.
        address: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Another I/O failure (local address, stdout).
    #[error("emulator i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// A world file could not be read.
    #[error("cannot read world file {path}: {source}")]
    WorldRead {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A world document is invalid (unknown key, wrong type...).
    #[error("{origin}:{line}:{column}: invalid world: {message}")]
    World {
        /// File name or other origin of the text.
        origin: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// The parser's message, naming the offending key.
        message: String,
    },
    /// An embedded spec the emulator answers from (the A.1 table, `states.yaml`) is invalid.
    #[error("the emulator cannot use the embedded specs: {0}")]
    Spec(#[source] crate::spec::SpecError),
}

/// A running emulator; dropping it (or [`Emulator::stop`]) shuts the server down.
pub struct Emulator {
    /// Always `Some` until the drop.
    server: Option<MockServer>,
    address: SocketAddr,
    state: Arc<Mutex<state::State>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator").field("address", &self.address).finish()
    }
}

impl Emulator {
    /// Starts the emulator on a free loopback port.
    pub async fn start(config: EmulatorConfig) -> Result<Emulator, EmulatorError> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|source| EmulatorError::Bind { address: "127.0.0.1:0".into(), source })?;
        Emulator::start_on(listener, config).await
    }

    /// Starts the emulator on an already bound listener.
    pub async fn start_on(listener: TcpListener, config: EmulatorConfig) -> Result<Emulator, EmulatorError> {
        errors::check_table()?;
        rules::check()?;
        let address = listener.local_addr()?;
        let latency = config.latency;
        let state = Arc::new(Mutex::new(state::State::new(config)));
        let server = MockServer::builder().disable_request_recording().listener(listener).start().await;
        Mock::given(wiremock::matchers::any())
            .respond_with(Responder { state: Arc::clone(&state), latency })
            .mount(&server)
            .await;
        Ok(Emulator { server: Some(server), address, state })
    }

    /// The base URI, `http://127.0.0.1:PORT`.
    pub fn uri(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The socket address the emulator listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Moves the emulator clock forward (for `JobPacing::AfterMillis`).
    pub fn advance_clock(&self, millis: u64) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.advance(millis as i64);
    }

    /// Stops the server.
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for Emulator {
    /// wiremock's server blocks on a tokio lock as it drops. Dropped inside a tokio task whose
    /// cooperative budget is spent (the end of a run), that lock answers "not yet" and wakes at
    /// once, forever: the drop spun without end. A thread of its own has no tokio budget.
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            let dropped = std::thread::Builder::new().name("emulator-stop".into()).spawn(move || drop(server));
            if let Ok(handle) = dropped {
                let _ = handle.join();
            }
        }
    }
}

/// The one wiremock responder: dispatches every request over the shared state.
struct Responder {
    state: Arc<Mutex<state::State>>,
    latency: std::time::Duration,
}

impl Respond for Responder {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let answer = handlers::handle(&mut state, request);
        // wiremock waits out the delay without holding the state or a thread.
        if self.latency.is_zero() {
            answer
        } else {
            answer.set_delay(self.latency)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_debug_form_of_a_key_pair_hides_the_secret() {
        let pair = KeyPair { access_key: "AK".into(), secret_key: "very-secret".into() };
        let shown = format!("{pair:?}");
        assert!(shown.contains("AK") && !shown.contains("very-secret"), "{shown}");
    }

    #[test]
    fn the_default_configuration_uses_the_default_world_and_project() {
        let config = EmulatorConfig::default();
        assert_eq!(config.project_id, DEFAULT_PROJECT_ID);
        assert_eq!(config.world.project_id, DEFAULT_PROJECT_ID);
        assert_eq!(config.jobs, JobPacing::PerPoll);
        assert_eq!(config.seed, 1);
        assert!(config.faults.is_empty() && config.variants.is_empty());
    }
}

//! What a run is pointed at and how it behaves.

use super::files::Files;
use crate::cases::prereq::Profile;
use crate::client::{Auth, RetryPolicy, TlsOptions};
use std::path::PathBuf;
use std::time::Duration;

/// Which requests a run may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Everything, lifecycles included.
    #[default]
    Full,
    /// GET requests only.
    ReadOnly,
}

impl Mode {
    /// `full` or `readonly`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Full => "full",
            Mode::ReadOnly => "readonly",
        }
    }
}

/// Starts the target of an embedded run. The runner knows the reference emulator only through
/// this, so that it depends on neither; the `embedded` module gives a run the emulator.
pub trait Launch: Send + Sync + std::fmt::Debug {
    /// Starts a target that accepts `token`, with these fault and legal-variant names.
    fn launch<'a>(
        &'a self,
        token: &'a str,
        faults: &'a [String],
        variants: &'a [String],
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Launched, super::RunError>> + Send + 'a>>;
}

/// A started embedded target.
pub struct Launched {
    /// Its base URL.
    pub uri: String,
    /// The project id it accepts.
    pub project_id: String,
    /// Keeps the target running while the run lasts.
    pub keep: Box<dyn std::any::Any + Send + Sync>,
}

/// The target of a run.
#[derive(Debug, Clone)]
pub enum TargetConfig {
    /// Start the reference emulator on a free loopback port.
    Embedded {
        /// Emulator fault modes to switch on.
        faults: Vec<String>,
        /// Emulator legal variants to switch on (the emulator is then judged as another server:
        /// safe requests are retried and snapshots compare shapes).
        variants: Vec<String>,
    },
    /// An existing endpoint (real region or another emulator).
    Endpoint {
        /// Base URL.
        url: String,
        /// Project id.
        project_id: String,
        /// Credentials.
        auth: Auth,
        /// Region name, for reports.
        region: Option<String>,
        /// Prerequisites (a profile, or the emulator's default world).
        profile: Box<Profile>,
        /// Name of the profile given, if any.
        profile_name: Option<String>,
    },
}

/// Everything that shapes a run.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The target.
    pub target: TargetConfig,
    /// Substring filters (any matches).
    pub filters: Vec<String>,
    /// Full or read-only.
    pub mode: Mode,
    /// Cases run concurrently (see [`super::remote::default_jobs`]).
    pub jobs: usize,
    /// The target is treated as a real region (see [`super::remote::is_remote`]).
    pub remote: bool,
    /// Disputed readings fail instead of warning.
    pub strict: bool,
    /// Bound of one request.
    pub timeout: Duration,
    /// Bound of the whole run.
    pub deadline: Option<Duration>,
    /// Bound of one case.
    pub case_timeout: Duration,
    /// Bound of one job.
    pub job_timeout: Duration,
    /// Most polls of one job (deterministic bound for emulators).
    pub max_polls: Option<u32>,
    /// First pause between polls (grows by half each poll, up to ten times).
    pub poll_interval: Duration,
    /// Retries of safe requests.
    pub retry: RetryPolicy,
    /// Request-rate limit (0: none).
    pub rps: f64,
    /// Scenario files: built in (the default), a directory, or none.
    pub scenarios: Files,
    /// Payload snapshots: built in (the default), a directory, or none.
    pub snapshots: Files,
    /// Cleanup ledger, for real endpoints.
    pub ledger: Option<PathBuf>,
    /// Negative cases read the shared fixture and refused cases of one setup share it (real regions).
    pub share_fixtures: bool,
    /// Stop starting cases once a case failed this check (fault hunting).
    pub stop_on_check: Option<crate::checks::CheckName>,
    /// The checks whose verdicts the run keeps (`--checks`; empty: every registered check).
    pub checks: Vec<crate::checks::CheckName>,
    /// Keep every exchange of the run, not only the evidence of failures (`--har-all`).
    pub keep_every_exchange: bool,
    /// Run only this part of the selected cases (`--partition I/N`).
    pub partition: Option<super::Partition>,
    /// Extra trust roots and `--insecure`.
    pub tls: TlsOptions,
    /// Starts the embedded target (none: an embedded run cannot start).
    pub launcher: Option<std::sync::Arc<dyn Launch>>,
}

impl RunConfig {
    /// Defaults for the embedded emulator.
    pub fn embedded() -> RunConfig {
        RunConfig {
            target: TargetConfig::Embedded { faults: Vec::new(), variants: Vec::new() },
            filters: Vec::new(),
            mode: Mode::Full,
            jobs: super::remote::default_jobs(false),
            remote: false,
            strict: false,
            timeout: Duration::from_secs(30),
            deadline: None,
            case_timeout: Duration::from_secs(120),
            job_timeout: Duration::from_secs(60),
            max_polls: Some(50),
            poll_interval: Duration::ZERO,
            retry: RetryPolicy::none(),
            rps: 0.0,
            scenarios: Files::Embedded,
            snapshots: Files::Embedded,
            ledger: None,
            share_fixtures: false,
            stop_on_check: None,
            checks: Vec::new(),
            keep_every_exchange: false,
            partition: None,
            tls: TlsOptions::default(),
            launcher: None,
        }
    }
}

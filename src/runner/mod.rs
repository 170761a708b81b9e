//! Runs cases against a target: schedules them, executes their steps through the client, runs
//! the checks, tears down what each case created, and reports outcomes as events.

pub mod breaker;
mod case_run;
mod config;
mod events;
mod evidence;
mod files;
mod jobs;
pub mod ledger;
mod observe;
pub mod partition;
mod pool;
pub mod remote;
mod select;
mod shared_setup;
mod snapshots;
mod teardown;

pub use case_run::CaseRun;
pub use config::{Launch, Launched, Mode, RunConfig, TargetConfig};
pub use events::RunEvent;
pub use files::{embedded_scenarios, embedded_snapshots, load_scenarios, readable_dir, Files};
pub(crate) use jobs::Polling;
pub use partition::{Partition, PartitionError};
pub use pool::{LeaseRefusal, Pool};
pub use snapshots::{file_stem, SnapshotStore};
pub(crate) use teardown::Teardown;

use crate::cases::prereq::Profile;
use crate::cases::template::Vars;
use crate::cases::{self, Case};
use crate::client::tape::recording;
use crate::client::{Auth, Client, ClientOptions, Outgoing, RetryPolicy, Secret, Target};
use crate::outcome::{CaseOutcome, CaseReport, RunReport, TargetInfo, FORMAT_VERSION};
use crate::spec::{SchemaSet, Specs};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::OnceCell;

/// Why a run could not start or finish: exit status 2, never a target failure.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// An embedded run was configured without a launcher.
    #[error("an embedded run needs a launcher (sdrs_conformance::embedded::config)")]
    NoLauncher,
    /// The launcher refused the embedded target's switches (an unknown fault or variant name).
    /// Boxed: the runner does not know the emulator's types.
    #[error(transparent)]
    Launch(Box<dyn std::error::Error + Send + Sync>),
    /// The emulator could not start.
    #[error("cannot start the embedded emulator: {0}")]
    Emulator(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// No client can be built for the target (its URL, its CA files).
    #[error(transparent)]
    Client(#[from] crate::client::ClientError),
    /// The snapshot directory given cannot be read.
    #[error("cannot read the snapshot directory {}: {source}", dir.display())]
    SnapshotDir {
        /// The directory.
        dir: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The built-in snapshots cannot be read.
    #[error(transparent)]
    Snapshots(std::io::Error),
    /// The cleanup ledger cannot be opened.
    #[error("cannot open the ledger {}: {source}", path.display())]
    Ledger {
        /// The ledger file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The target did not answer the preflight request.
    #[error("the target at {url} is unreachable: {source}{}", through_proxy(.proxy.as_deref()))]
    Unreachable {
        /// Base URL.
        url: String,
        /// The proxy the environment names for it, if any.
        proxy: Option<String>,
        /// What happened.
        #[source]
        source: crate::exchange::TransportError,
    },
    /// A scenario file is invalid.
    #[error(transparent)]
    Scenario(#[from] cases::scenario::ScenarioError),
    /// The preflight's TLS handshake failed: the sentence names the certificate problem.
    #[error(transparent)]
    Tls(crate::exchange::TransportError),
}

/// What an unreachable target's message adds when it was reached through a proxy.
fn through_proxy(proxy: Option<&str>) -> String {
    proxy
        .map(|p| {
            format!(" (through the proxy {p} named by the environment; NO_PROXY lists the hosts reached directly)")
        })
        .unwrap_or_default()
}

/// What a case reports, with the payloads it snapshots.
pub(crate) type Concluded = (CaseReport, Vec<(String, serde_json::Value)>);

/// A case's hold on the exclusive lock: shared with other cases, or alone.
enum Turn<'a> {
    Shared(#[allow(dead_code)] tokio::sync::RwLockReadGuard<'a, ()>),
    Alone(#[allow(dead_code)] tokio::sync::RwLockWriteGuard<'a, ()>),
}

/// How the reason of a case begins when the shared fixture it reads could not be built.
pub const FIXTURE_FAILED: &str = "the shared fixture could not be built";

/// What a case cut short by an interruption reports.
const INTERRUPTED: &str = "interrupted: the run was stopped while this case ran";

/// A run-wide stop signal that cases in flight can wait for.
#[derive(Default)]
struct Interruption {
    raised: std::sync::atomic::AtomicBool,
    notify: tokio::sync::Notify,
}

impl Interruption {
    fn raise(&self) {
        self.raised.store(true, std::sync::atomic::Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    fn raised(&self) -> bool {
        self.raised.load(std::sync::atomic::Ordering::SeqCst)
    }

    async fn wait(&self) {
        loop {
            let notified = self.notify.notified();
            if self.raised() {
                return;
            }
            notified.await;
        }
    }
}

/// The kinds the shared fixture is made of (their `fixture.*` variables are named in `cases::share`).
const GROUP: &str = "server_group";
const INSTANCE: &str = "protected_instance";
const PAIR: &str = "replication_pair";
const DRILL: &str = "dr_drill";

/// The shared fixture: its variables, or why it could not be built.
type FixtureState = Result<Vars, FixtureError>;

/// Why the shared fixture could not be built: what follows [`FIXTURE_FAILED`] in the reason of
/// every case that reads it.
#[derive(Debug, Clone, thiserror::Error)]
enum FixtureError {
    /// The pool cannot give the fixture its prerequisites.
    #[error("missing prerequisite: {0}")]
    Missing(#[source] pool::LeaseRefusal),
    /// A step could not be run (the case run's error).
    #[error("{0}")]
    Stopped(String),
    /// A check failed in one of its steps.
    #[error("{check} failed in step `{step}`: {message}")]
    CheckFailed {
        /// The check.
        check: crate::checks::CheckName,
        /// The step it failed in.
        step: String,
        /// The first line of its message.
        message: String,
    },
    /// The fixture failed without a failed check to name.
    #[error("")]
    Failed,
}

/// A prepared run: target, client, cases and shared state.
pub struct Runner {
    /// The specs.
    pub specs: &'static Specs,
    schemas: SchemaSet,
    client: Client,
    /// Prerequisites of the target.
    pub profile: Profile,
    config: RunConfig,
    pool: Pool,
    fixture: OnceCell<FixtureState>,
    fixture_registry: Mutex<Option<teardown::Registry>>,
    /// The exchanges of the step the shared fixture failed in: the evidence of every case it fails.
    fixture_evidence: Mutex<Vec<crate::outcome::ExchangeReport>>,
    run_id: String,
    target_info: TargetInfo,
    partition: Option<crate::outcome::PartitionInfo>,
    snapshots: SnapshotStore,
    snapshot_mode: crate::checks::SnapshotMode,
    cases: Vec<Case>,
    created: Mutex<BTreeMap<String, usize>>,
    left_behind: std::sync::atomic::AtomicUsize,
    secrets: Vec<String>,
    ledger: Option<ledger::Ledger>,
    exclusive: tokio::sync::RwLock<()>,
    scrubber: crate::redact::Scrubber,
    interruption: Interruption,
    breaker: breaker::Breaker,
    _embedded: Option<Box<dyn std::any::Any + Send + Sync>>,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner").field("target", &self.target_info).finish_non_exhaustive()
    }
}

/// A short run id from the clock and the process id.
pub(crate) fn new_run_id() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{:06x}", (nanos as u64 ^ u64::from(std::process::id()).rotate_left(20)) & 0xff_ffff)
}

impl Runner {
    /// Prepares a run: starts the emulator or checks the endpoint, loads scenarios, filters cases.
    pub async fn new(config: RunConfig) -> Result<Runner, RunError> {
        let specs = Specs::embedded();
        let mut config = config;
        // A partition's run id and ledger carry its tag: parallel workers never share either.
        let run_id = match config.partition {
            Some(p) => format!("{}-{}", new_run_id(), p.tag()),
            None => new_run_id(),
        };
        if let (Some(p), Some(path)) = (config.partition, config.ledger.as_mut()) {
            *path = p.ledger_path(path);
        }
        let (emulator, target, profile, mut info) = match &config.target {
            TargetConfig::Embedded { faults, variants } => {
                let token = format!("emulator-token-{run_id}");
                let launcher = config.launcher.clone().ok_or(RunError::NoLauncher)?;
                let launched = launcher.launch(&token, faults, variants).await?;
                let (project, uri) = (launched.project_id.clone(), launched.uri.clone());
                let target = Target {
                    base_url: uri.clone(),
                    project_id: project.clone(),
                    auth: Auth::Token(Secret::new(token)),
                };
                let info = TargetInfo {
                    kind: "embedded-emulator".into(),
                    endpoint: uri,
                    project_id: project,
                    auth: "token".into(),
                    ..TargetInfo::default()
                };
                (Some(launched.keep), target, Profile::emulator_default(), info)
            }
            TargetConfig::Endpoint { url, project_id, auth, region, profile, profile_name } => {
                let target = Target { base_url: url.clone(), project_id: project_id.clone(), auth: auth.clone() };
                let info = TargetInfo {
                    kind: "endpoint".into(),
                    endpoint: url.clone(),
                    project_id: project_id.clone(),
                    region: region.clone(),
                    profile: profile_name.clone(),
                    auth: auth.kind().into(),
                    ..TargetInfo::default()
                };
                (None, target, (**profile).clone(), info)
            }
        };
        info.mode = config.mode.as_str().into();
        info.strict = config.strict;
        info.run_id = run_id.clone();
        let secrets = target.auth.secrets();
        let scrubber = crate::redact::Scrubber::new(&secrets.iter().map(String::as_str).collect::<Vec<_>>());
        // Only the plain embedded emulator is ours: any other server may throttle, and may differ
        // from our snapshots in what the reference leaves open.
        let plain_emulator = matches!(&config.target, TargetConfig::Embedded { variants, .. } if variants.is_empty());
        let retry = match &config.target {
            TargetConfig::Embedded { .. } if !plain_emulator && config.retry.max_retries == 0 => RetryPolicy::default(),
            _ => config.retry.clone(),
        };
        let direct = matches!(&config.target, TargetConfig::Embedded { .. });
        info.insecure = config.tls.insecure;
        info.ca_certs = config.tls.ca_certs.iter().map(|p| p.display().to_string()).collect();
        info.proxy = if direct { None } else { crate::client::proxy::proxy_for(&target.base_url) };
        let options = ClientOptions {
            timeout: config.timeout,
            retry,
            concurrency: config.jobs.max(64),
            rps: config.rps,
            tls: config.tls.clone(),
            direct,
        };
        let mut client = Client::new(target, options)?;
        if config.keep_every_exchange {
            client = client.keeping_every_exchange();
        }
        let scenarios = files::load_scenarios(&config.scenarios, specs)?;
        let snapshots = SnapshotStore::from_files(&config.snapshots).map_err(|source| match &config.snapshots {
            Files::Dir(dir) => RunError::SnapshotDir { dir: dir.clone(), source },
            _ => RunError::Snapshots(source),
        })?;
        let pool = Pool::new(&profile.prerequisites);
        let mut all = cases::all(specs, scenarios);
        if config.share_fixtures {
            for c in &mut all {
                if let Some(shared) = cases::share::onto_fixture(c) {
                    *c = shared;
                }
            }
        }
        all.retain(|c| config.filters.is_empty() || config.filters.iter().any(|f| cases::matches(c, f)));
        for c in &mut all {
            if c.skip.is_none() {
                if config.mode == Mode::ReadOnly && !c.is_read_only(specs) {
                    c.skip = Some("readonly mode sends only GET requests".into());
                } else if let Some(why) = pool.impossible(&c.needs) {
                    c.skip = Some(format!("missing prerequisite: {why}"));
                } else if c.tags.iter().any(|t| t == "destructive") && emulator.is_none() {
                    c.skip = Some("deletes records the harness did not create; run only against emulators".into());
                }
            }
        }
        let partition = config.partition.map(|p| {
            let mut ids: Vec<&str> = all.iter().map(|c| c.id.as_str()).collect();
            ids.sort_unstable();
            let info = crate::outcome::PartitionInfo {
                index: p.index,
                count: p.count,
                cases_selected: all.len(),
                selection: crate::outcome::fingerprint(ids),
                specs: partition::specs_version(),
            };
            all = partition::select(std::mem::take(&mut all), config.share_fixtures, p);
            info
        });
        let ledger = match &config.ledger {
            Some(path) => {
                Some(ledger::Ledger::open(path).map_err(|source| RunError::Ledger { path: path.clone(), source })?)
            }
            None => None,
        };
        let snapshot_mode =
            if plain_emulator { crate::checks::SnapshotMode::Exact } else { crate::checks::SnapshotMode::Shape };
        Ok(Runner {
            specs,
            schemas: SchemaSet::new(specs),
            client,
            snapshots,
            profile,
            pool,
            fixture: OnceCell::new(),
            fixture_registry: Mutex::new(None),
            fixture_evidence: Mutex::new(Vec::new()),
            run_id,
            target_info: info,
            partition,
            snapshot_mode,
            cases: all,
            created: Mutex::new(BTreeMap::new()),
            left_behind: std::sync::atomic::AtomicUsize::new(0),
            secrets,
            ledger,
            exclusive: tokio::sync::RwLock::new(()),
            scrubber,
            interruption: Interruption::default(),
            breaker: breaker::Breaker::default(),
            config,
            _embedded: emulator,
        })
    }

    /// The cases of this run (filtered), ordered by id.
    pub fn cases(&self) -> &[Case] {
        &self.cases
    }

    /// The partition of this run and the selection it was cut from, with `--partition`.
    pub fn partition(&self) -> Option<&crate::outcome::PartitionInfo> {
        self.partition.as_ref()
    }

    /// What the run is pointed at.
    pub fn target_info(&self) -> &TargetInfo {
        &self.target_info
    }

    /// The secret values of the target's credentials (for scrubbing outputs).
    pub fn secrets(&self) -> &[String] {
        &self.secrets
    }

    /// Every exchange of the run so far, secrets scrubbed (with `keep_every_exchange`; else none).
    pub fn every_exchange(&self) -> Vec<(String, crate::outcome::ExchangeReport)> {
        let base = &self.client.target().base_url;
        let mut out: Vec<(String, crate::outcome::ExchangeReport)> = self
            .client
            .recorded()
            .iter()
            .map(|r| (self.scrubber.scrub(&r.case), crate::outcome::ExchangeReport::of(r, base)))
            .collect();
        for (_, ex) in &mut out {
            for s in ex.texts_mut() {
                *s = self.scrubber.scrub(s);
            }
        }
        out
    }

    /// Every exchange of the run (with `keep_every_exchange`), in the order they completed.
    pub fn recorded(&self) -> Vec<crate::client::tape::Recorded> {
        self.client.recorded()
    }

    /// The snapshot store.
    pub fn snapshots(&self) -> &SnapshotStore {
        &self.snapshots
    }

    /// The token of an embedded run, for the benchmark's bare client (empty otherwise).
    #[doc(hidden)]
    pub fn bench_token(&self) -> String {
        match &self.client.target().auth {
            Auth::Token(t) if self.target_info.kind == "embedded-emulator" => t.expose().to_owned(),
            _ => String::new(),
        }
    }

    /// Sends a request of the run; the circuit breaker counts its answer.
    pub(crate) async fn send(&self, req: &Outgoing) -> crate::exchange::Exchange {
        let ex = self.client.send(req).await;
        self.breaker.answered(&ex);
        ex
    }

    pub(crate) fn project_id(&self) -> &str {
        &self.client.target().project_id
    }

    /// Sends the preflight request (`GET /`); an unreachable target stops the run.
    pub async fn preflight(&self) -> Result<(), RunError> {
        preflight(&self.client, self.target_info.proxy.as_deref()).await
    }

    /// Variables every case starts with.
    fn base_vars(&self, case_id: &str) -> Vars {
        let p = &self.profile.prerequisites;
        let mut v = Vars::new();
        let hash =
            case_id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        v.insert("run_prefix".into(), json!(format!("sct-{}", self.run_id)));
        v.insert("prefix".into(), json!(format!("sct-{}-{:06x}", self.run_id, hash & 0xff_ffff)));
        v.insert("project_id".into(), json!(self.project_id()));
        v.insert("unknown_id".into(), json!(cases::generate::UNKNOWN_ID));
        if let Some(az) = &p.availability_zones {
            v.insert("az.source".into(), json!(az.source));
            v.insert("az.target".into(), json!(az.target));
        }
        if let Some(d) = &p.domain_id {
            v.insert("domain_id".into(), json!(d));
        }
        if let Some(vpc) = &p.vpc {
            v.insert("vpc_id".into(), json!(vpc.id));
            for (i, s) in vpc.subnets.iter().enumerate() {
                v.insert(format!("subnet.{i}"), json!(s));
            }
        }
        for (i, f) in p.flavors.iter().enumerate() {
            v.insert(format!("flavor.{i}"), json!(f));
        }
        for (k, id) in &p.invalid {
            v.insert(format!("invalid.{k}"), json!(id));
        }
        v
    }

    /// Runs one case to its end (teardown included) and reports it.
    pub async fn run_case(&self, case: &Case) -> CaseReport {
        self.run_case_with_payloads(case).await.0
    }

    /// Runs one case and also returns the redacted payloads it snapshots.
    pub async fn run_case_with_payloads(&self, case: &Case) -> (CaseReport, Vec<(String, serde_json::Value)>) {
        self.run_case_until(case, None).await
    }

    /// Runs one case, cutting its steps short at the run deadline (its teardown still runs).
    async fn run_case_until(&self, case: &Case, deadline: Option<Instant>) -> Concluded {
        let started = Instant::now();
        if case.skip.is_some() {
            return (self.skipped_report(case, case.skip.as_deref().unwrap_or("")), Vec::new());
        }
        let _turn = self.take_turn(case).await;
        let mut vars = match self.case_vars(case).await {
            Ok(vars) => vars,
            Err(report) => return (*report, Vec::new()),
        };
        let mut lease = match self.pool.take(&case.needs).await {
            Ok(lease) => lease,
            Err(why) => return (self.skipped_report(case, &format!("missing prerequisite: {why}")), Vec::new()),
        };
        vars.extend(lease.vars.clone());
        let mut run = CaseRun::new(self, case, vars);
        self.execute_bounded(&mut run, deadline).await;
        lease.used_up(&run.used_nics);
        let concluded = self.conclude(case, run, started).await;
        self.pool.give_back(lease);
        concluded
    }

    /// Waits for the case's turn: exclusive cases (quota accounting) run while no other case does.
    async fn take_turn(&self, case: &Case) -> Turn<'_> {
        if case.exclusive {
            Turn::Alone(self.exclusive.write().await)
        } else {
            Turn::Shared(self.exclusive.read().await)
        }
    }

    /// The variables a case starts with (the shared fixture's included), or its report when it
    /// cannot start.
    async fn case_vars(&self, case: &Case) -> Result<Vars, Box<CaseReport>> {
        let mut vars = self.base_vars(&case.id);
        if case.fixture.is_some() {
            match self.fixture_vars().await {
                Ok(fx) => {
                    if let Some(missing) = missing_fixture_var(case, &fx) {
                        let why = format!("readonly mode: the account holds no existing resource for `{missing}`");
                        return Err(Box::new(self.skipped_report(case, &why)));
                    }
                    vars.extend(fx)
                }
                Err(e) => {
                    let why = format!("{FIXTURE_FAILED}: {e}");
                    let mut report = self.unrun_report(case, CaseOutcome::Error, &why);
                    report.evidence = self.fixture_evidence.lock().expect("poisoned").clone();
                    return Err(Box::new(report));
                }
            }
        }
        Ok(vars)
    }

    /// Runs a case's steps within the case timeout and the run deadline, unless the run is
    /// interrupted first (its teardown runs in every case).
    async fn execute_bounded(&self, run: &mut CaseRun<'_>, deadline: Option<Instant>) {
        let case_end = Instant::now() + self.config.case_timeout;
        let (end, by_deadline) = match deadline {
            Some(d) if d < case_end => (d, true),
            _ => (case_end, false),
        };
        let tape = std::sync::Arc::clone(&run.tape);
        let cut_short = tokio::select! {
            finished = tokio::time::timeout_at(end.into(), recording(&tape, run.execute())) => match finished {
                Ok(()) => None,
                Err(_) if by_deadline => Some("the run deadline cut this case short".to_owned()),
                Err(_) => Some(format!("the case did not finish within {:?}", self.config.case_timeout)),
            },
            () = self.interruption.wait() => Some(INTERRUPTED.to_owned()),
        };
        if let Some(why) = cut_short {
            run.harness_error(why);
            run.registry.cut_short = true;
        }
    }

    /// Stops the run: no case starts any more, cases in flight stop at once, and what they
    /// created is deleted (Ctrl-C).
    pub fn interrupt(&self) {
        self.interruption.raise();
    }

    /// Whether the run was interrupted.
    pub fn interrupted(&self) -> bool {
        self.interruption.raised()
    }

    /// How many resources the cases' teardowns could not delete.
    pub fn left_behind(&self) -> usize {
        self.left_behind.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Ends a case run: judges the statuses it saw, deletes what it created, and reports it.
    async fn conclude(&self, case: &Case, mut run: CaseRun<'_>, started: Instant) -> Concluded {
        run.finish_observations();
        let tape = std::sync::Arc::clone(&run.tape);
        let stopped_in = tape.lock().expect("poisoned").step().to_owned();
        let left = recording(&tape, async {
            crate::client::tape::set_step(evidence::TEARDOWN);
            run.teardown().await
        })
        .await;
        let mut report = self.skipped_report(case, "");
        report.outcome = run.outcome();
        report.checks = std::mem::take(&mut run.results);
        report.reason = run.error.clone().or_else(|| run.skipped.clone());
        if !left.is_empty() {
            self.left_behind.fetch_add(left.len(), std::sync::atomic::Ordering::Relaxed);
            let note = format!("teardown left behind: {}", left.join("; "));
            report.reason = Some(match report.reason.take() {
                Some(r) => format!("{r}; {note}"),
                None => note,
            });
        }
        report.duration_ms = started.elapsed().as_millis() as u64;
        for check in &mut report.checks {
            check.message = self.scrubber.scrub(&check.message);
            for f in &mut check.findings {
                for text in [&mut f.title, &mut f.expected, &mut f.actual] {
                    *text = self.scrubber.scrub(text);
                }
            }
        }
        if report.outcome.is_failure() {
            let tape = run.tape.lock().expect("poisoned");
            report.evidence = evidence::of_failure(&report, &tape, &stopped_in, &self.client.target().base_url);
        }
        (report, std::mem::take(&mut run.payloads))
    }

    /// Builds the shared fixture now if a case will need it, so that it takes the first
    /// prerequisites of a fresh pool whatever order the cases run in (stable snapshots).
    pub async fn prepare(&self) {
        if self.cases.iter().any(|c| c.fixture.is_some() && c.skip.is_none()) {
            let _ = self.fixture_vars().await;
        }
    }

    /// The shared fixture's variables, building it on first use (discovering it in readonly mode).
    async fn fixture_vars(&self) -> FixtureState {
        self.fixture
            .get_or_init(|| async {
                if self.config.mode == Mode::ReadOnly {
                    return Ok(self.discover_fixture().await);
                }
                let built = cases::generate::recipes::fixture();
                let fixture_case = Case {
                    id: "fixture/base".into(),
                    operation: "fixture".into(),
                    family: String::new(),
                    kind: cases::CaseKind::Scenario,
                    tags: Vec::new(),
                    description: "the shared read-only fixture".into(),
                    needs: built.needs,
                    fixture: None,
                    exclusive: false,
                    steps: built.steps,
                    skip: None,
                    source: None,
                };
                // The fixture holds its prerequisites until the run ends.
                let lease = self.pool.take(&fixture_case.needs).await.map_err(FixtureError::Missing)?;
                let mut vars = self.base_vars(&fixture_case.id);
                vars.extend(lease.vars.clone());
                self.pool.keep(lease);
                let mut run = CaseRun::new(self, &fixture_case, vars);
                self.execute_bounded(&mut run, None).await;
                let state = match (&run.error, run.outcome()) {
                    (Some(e), _) => Err(FixtureError::Stopped(e.clone())),
                    (None, CaseOutcome::Failed) => Err(run
                        .results
                        .iter()
                        .find(|r| r.outcome == crate::checks::CheckOutcome::Failed)
                        .map_or(FixtureError::Failed, |r| FixtureError::CheckFailed {
                            check: r.name,
                            step: r.step.clone(),
                            message: r.message.lines().next().unwrap_or("").to_owned(),
                        })),
                    _ => Ok(run.vars.clone()),
                };
                if state.is_err() {
                    let report = CaseReport {
                        outcome: run.outcome(),
                        checks: run.results.clone(),
                        ..self.skipped_report(&fixture_case, "")
                    };
                    let tape = run.tape.lock().expect("poisoned");
                    *self.fixture_evidence.lock().expect("poisoned") =
                        evidence::of_failure(&report, &tape, tape.step(), &self.client.target().base_url);
                }
                *self.fixture_registry.lock().expect("poisoned") = Some(std::mem::take(&mut run.registry));
                state
            })
            .await
            .clone()
    }

    /// Readonly mode: the shared fixture's variables taken from existing resources (a group, with
    /// an instance, a pair and a drill where the account has them).
    async fn discover_fixture(&self) -> Vars {
        let mut vars = Vars::new();
        let table = &self.specs.resources;
        let list = |kind: &str, query: Vec<(String, String)>| {
            let op = table.kind(kind).and_then(|k| self.specs.operation(&k.list));
            Outgoing {
                operation: "discover".into(),
                method: "GET".into(),
                path: op.map(|op| op.path.replace("{project_id}", self.project_id())).unwrap_or_default(),
                query,
                ..Outgoing::default()
            }
        };
        let items_key = |kind: &str| table.kind(kind).map(|k| k.list_key.as_str()).unwrap_or_default();
        let groups = self.send(&list(GROUP, vec![("limit".into(), "50".into())])).await;
        let ids: Vec<(String, String)> = groups
            .json()
            .and_then(|j| j.get(items_key(GROUP)))
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|g| Some((g.get("id")?.as_str()?.to_owned(), g.get("name")?.as_str()?.to_owned())))
            .collect();
        let filter = |kind: &str| table.kind(kind).and_then(|k| k.member_filter.clone()).unwrap_or_default();
        // Prefer a group that holds an instance: more reads can run against it.
        for (index, (group, name)) in ids.iter().enumerate() {
            let q = |kind: &str| vec![(filter(kind), group.clone())];
            let instances = self.send(&list(INSTANCE, q(INSTANCE))).await;
            let first = |ex: &crate::exchange::Exchange, kind: &str| {
                ex.json()
                    .and_then(|j| j.get(items_key(kind)))
                    .and_then(serde_json::Value::as_array)
                    .and_then(|a| a.first())
                    .cloned()
            };
            let instance = first(&instances, INSTANCE);
            if instance.is_none() && index + 1 < ids.len().min(10) {
                continue;
            }
            vars.insert("fixture.group".into(), json!(group));
            vars.insert("fixture.group_name".into(), json!(name));
            let mut take = |item: Option<serde_json::Value>, id_var: &str, name_var: &str| {
                if let Some(item) = item {
                    if let Some(id) = item.get("id") {
                        vars.insert(id_var.into(), id.clone());
                    }
                    if let Some(n) = item.get("name") {
                        vars.insert(name_var.into(), n.clone());
                    }
                }
            };
            take(instance, "fixture.instance", "fixture.instance_name");
            let pairs = self.send(&list(PAIR, q(PAIR))).await;
            take(first(&pairs, PAIR), "fixture.pair", "fixture.pair_name");
            let drills = self.send(&list(DRILL, q(DRILL))).await;
            take(first(&drills, DRILL), "fixture.drill", "fixture.drill_name");
            break;
        }
        vars
    }

    /// Runs every case with `--jobs` concurrency, calling `on_event` as cases start and end.
    pub async fn run_all(self: &Arc<Self>, mut on_event: impl FnMut(RunEvent)) -> RunReport {
        let started = Instant::now();
        on_event(RunEvent::RunStarted { total: self.cases.len() });
        self.prepare().await;
        let semaphore = Arc::new(tokio::sync::Semaphore::new(self.config.jobs.max(1)));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let deadline = self.config.deadline.map(|d| started + d);
        let caught = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut handles = Vec::new();
        let mut units = shared_setup::plan(&self.cases, self.config.share_fixtures);
        if self.config.remote {
            remote::order_units(&mut units, &self.cases);
        }
        for unit in units {
            let me = Arc::clone(self);
            let sem = Arc::clone(&semaphore);
            let tx = tx.clone();
            let caught = Arc::clone(&caught);
            handles.push(tokio::spawn(async move {
                let _permit = sem.acquire_owned().await.expect("semaphore never closed");
                let cases: Vec<&Case> = unit.iter().map(|&i| &me.cases[i]).collect();
                let announce = |tx: &tokio::sync::mpsc::UnboundedSender<RunEvent>| {
                    for trip in me.breaker.announce() {
                        let _ = tx.send(RunEvent::BreakerTripped { reason: trip.reason });
                    }
                };
                let may_start = |case: &Case| {
                    let skipped = |why: &str| Err((CaseOutcome::Skipped, why.to_owned()));
                    if me.interrupted() {
                        return skipped("not run: the run was interrupted");
                    }
                    if caught.load(std::sync::atomic::Ordering::SeqCst) {
                        return skipped("not run: the check under hunt already failed");
                    }
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        return skipped("the run deadline was reached before this case started");
                    }
                    announce(&tx);
                    // Not judged, so an error: the run exits 2 rather than pass unjudged.
                    if let Some(why) = me.breaker.holds_back(case, me.specs) {
                        return Err((CaseOutcome::Error, why));
                    }
                    let _ = tx.send(RunEvent::CaseStarted { id: case.id.clone(), operation: case.operation.clone() });
                    Ok(())
                };
                let finished = |(report, _): Concluded| {
                    if let Some(check) = me.config.stop_on_check {
                        if report
                            .checks
                            .iter()
                            .any(|c| c.name == check && c.outcome == crate::checks::CheckOutcome::Failed)
                        {
                            caught.store(true, std::sync::atomic::Ordering::SeqCst);
                        }
                    }
                    announce(&tx);
                    let _ = tx.send(RunEvent::CaseFinished(Box::new(report)));
                };
                me.run_unit(&cases, deadline, may_start, finished).await;
            }));
        }
        drop(tx);
        let mut reports = Vec::with_capacity(self.cases.len());
        while let Some(event) = rx.recv().await {
            if let RunEvent::CaseFinished(r) = &event {
                reports.push((**r).clone());
            }
            on_event(event);
        }
        for h in handles {
            let _ = h.await;
        }
        self.finish().await;
        reports.sort_by(|a, b| a.id.cmp(&b.id));
        let mut report = RunReport {
            format_version: FORMAT_VERSION,
            target: self.target_info.clone(),
            cases: reports,
            created_resources: self.created.lock().expect("poisoned").iter().map(|(k, v)| (k.clone(), *v)).collect(),
            partition: self.partition.clone(),
            ..RunReport::default()
        };
        report.summarize(started.elapsed().as_millis() as u64);
        let secrets: Vec<&str> = self.secrets.iter().map(String::as_str).collect();
        crate::outcome::scrub_report(&mut report, &secrets);
        on_event(RunEvent::RunFinished(Box::new(report.clone())));
        report
    }

    /// The report of a case that did not run, skipped or (when the harness is at fault) an error.
    fn unrun_report(&self, case: &Case, outcome: CaseOutcome, reason: &str) -> CaseReport {
        CaseReport { outcome, ..self.skipped_report(case, reason) }
    }

    fn skipped_report(&self, case: &Case, reason: &str) -> CaseReport {
        CaseReport {
            id: case.id.clone(),
            operation: case.operation.clone(),
            family: case.family.clone(),
            kind: case.kind.as_str().into(),
            outcome: CaseOutcome::Skipped,
            duration_ms: 0,
            checks: Vec::new(),
            reason: Some(reason.into()),
            baseline: None,
            evidence: Vec::new(),
            reproduce: None,
        }
    }

    /// Tears down the shared fixture (call once, after the last case).
    pub async fn finish(&self) {
        let registry = self.fixture_registry.lock().expect("poisoned").take();
        if let Some(registry) = registry {
            self.teardown_registry(registry, &self.base_vars("fixture/base")).await;
        }
    }

    pub(crate) fn count_created(&self, kind: &str) {
        *self.created.lock().expect("poisoned").entry(kind.to_owned()).or_insert(0) += 1;
    }
}

/// The first `${fixture.*}` variable a case reads that `fixture` lacks.
fn missing_fixture_var(case: &Case, fixture: &Vars) -> Option<String> {
    let mut names = Vec::new();
    for step in &case.steps {
        if let cases::Step::Request(r) = step {
            for v in r.path.values().chain(r.query.values()).chain(r.body.iter()) {
                cases::template::names_in(v, &mut names);
            }
        }
    }
    names.into_iter().find(|n| n.starts_with("fixture.") && !fixture.contains_key(n))
}

/// Sends the preflight request (`GET /`, the API versions) through `client`; an unreachable
/// target is an error.
/// One request before any case: a certificate problem stops the run at once (exit 2), named;
/// an unreachable target names the proxy it was reached through, if any.
pub(crate) async fn preflight(client: &Client, proxy: Option<&str>) -> Result<(), RunError> {
    let req =
        Outgoing { operation: "listApiVersions".into(), method: "GET".into(), path: "/".into(), ..Outgoing::default() };
    let ex = client.probe(&req).await;
    match &ex.response {
        Ok(_) => Ok(()),
        Err(e) if e.kind == crate::exchange::TransportErrorKind::Tls => Err(RunError::Tls(e.clone())),
        Err(e) => Err(RunError::Unreachable {
            url: client.target().base_url.clone(),
            proxy: proxy.map(str::to_owned),
            source: e.clone(),
        }),
    }
}

/// Runs the whole configured suite: the `run` command without its reporters.
pub async fn run(config: RunConfig, on_event: impl FnMut(RunEvent)) -> Result<RunReport, RunError> {
    let runner = Arc::new(Runner::new(config).await?);
    runner.preflight().await?;
    Ok(runner.run_all(on_event).await)
}

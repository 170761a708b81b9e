//! The command line: argument parsing, subcommands and exit statuses. Everything here is a thin
//! layer over the library.

#[macro_use]
mod output;
mod args;
mod baseline;
mod cleanup;
pub mod exit;
mod matrix;
mod merge;
mod proxy;
mod reproduce;
mod select;
mod traffic;
mod variant_matrix;

pub use args::Cli;
pub use baseline::BaselineError;

use crate::cases::prereq::Profile;
use crate::client::{Auth, Secret};
use crate::coverage::Coverage;
use crate::report::{self, ConsoleReporter, RunReport};
use crate::runner::{Files, Mode, RunConfig, RunEvent, Runner, TargetConfig};
use args::{Command, ModeArg, RunArgs, TargetArgs};
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

/// A failure of the command itself (exit status 2). The binary prints its message alone; the
/// cause of each variant is kept as its source.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A sentence the command composes itself: a usage mistake, flags that do not go together,
    /// a selection that keeps no case.
    #[error("{0}")]
    Usage(String),
    /// A file, socket or signal the command needs failed it; `action` names what was being done
    /// and to what (`cannot write the HAR file out.har`).
    #[error("{action}: {source}")]
    Io {
        /// What the command was doing, naming the file or address.
        action: String,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// The specs built into the binary do not load.
    #[error("the embedded specs are invalid: {0}")]
    EmbeddedSpecs(#[source] &'static crate::spec::SpecError),
    /// The run could not start or finish.
    #[error(transparent)]
    Run(#[from] crate::runner::RunError),
    /// A scenario file is invalid.
    #[error(transparent)]
    Scenario(#[from] crate::cases::scenario::ScenarioError),
    /// The `--profile` cannot be used.
    #[error(transparent)]
    Profile(#[from] crate::cases::prereq::ProfileError),
    /// A `--checks` name names no check.
    #[error(transparent)]
    UnknownCheck(#[from] crate::checks::registry::UnknownCheck),
    /// A `--fault` or `--variant` name names nothing.
    #[error(transparent)]
    UnknownName(#[from] crate::emulator::UnknownName),
    /// The `--baseline` file cannot be read or written.
    #[error(transparent)]
    Baseline(#[from] BaselineError),
    /// The emulator of `serve` could not start, or its world file is unusable.
    #[error(transparent)]
    Emulator(#[from] crate::emulator::EmulatorError),
    /// The `--job-durations` table is unusable.
    #[error(transparent)]
    Durations(#[from] crate::emulator::DurationsError),
    /// No client can be built for the target.
    #[error(transparent)]
    Client(#[from] crate::client::ClientError),
    /// The cleanup ledger cannot be replayed.
    #[error(transparent)]
    Ledger(#[from] crate::runner::ledger::LedgerError),
    /// The HAR file of `check-traffic` is unusable.
    #[error(transparent)]
    Har(#[from] crate::traffic::HarError),
    /// The proxy could not start.
    #[error(transparent)]
    Proxy(#[from] crate::proxy::ProxyError),
    /// An input of `merge` is not a JSON report.
    #[error("{name}:{}:{}: not a JSON report of sdrs-conformance: {source}", .source.line(), .source.column())]
    NotAReport {
        /// The input file as given.
        name: String,
        /// What the JSON parser said.
        #[source]
        source: serde_json::Error,
    },
    /// The inputs of `merge` do not make one run.
    #[error("cannot merge: {0}")]
    Merge(#[source] crate::report::MergeError),
    /// The run was interrupted (Ctrl-C); `left_behind` resources it created could not be deleted.
    #[error("{}", interrupted(*.left_behind))]
    Interrupted {
        /// How many resources it created are left.
        left_behind: usize,
    },
}

impl CliError {
    /// A sentence the command composed.
    fn usage(msg: impl Into<String>) -> CliError {
        CliError::Usage(msg.into())
    }

    /// An I/O failure while doing `action` (which names the file or address).
    fn io(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> CliError {
        let action = action.into();
        move |source| CliError::Io { action, source }
    }
}

/// What an interrupted run says, by how many resources it left behind.
fn interrupted(left_behind: usize) -> String {
    match left_behind {
        0 => "interrupted: the run stopped early; what it created was deleted".to_owned(),
        n => format!(
            "interrupted: the run stopped early; {n} resource(s) it created could not be deleted \
             (the cases' reasons name them; `cleanup --ledger` tries again)"
        ),
    }
}

/// Runs the parsed command; returns the exit status.
pub fn main_with(cli: Cli) -> Result<i32, CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::io("cannot start the async runtime"))?;
    if !matches!(cli.command, Command::CheckSpec(_)) {
        // Every command reads the embedded specs; a broken build of them stops here, named.
        crate::spec::Specs::try_embedded().map_err(CliError::EmbeddedSpecs)?;
    }
    runtime.block_on(async move {
        match cli.command {
            Command::Run(args) => run(*args).await,
            Command::Serve(args) => serve(args).await,
            Command::List(args) => list(args).await,
            Command::CheckSpec(args) => check_spec(&args.specs),
            Command::Cleanup(args) => cleanup::cleanup(args).await,
            Command::FaultMatrix(args) => matrix::fault_matrix(args).await,
            Command::CheckTraffic(args) => traffic::check_traffic(&args),
            Command::VariantMatrix(args) => variant_matrix::variant_matrix(args).await,
            Command::Proxy(args) => proxy::proxy(args).await,
            Command::Merge(args) => merge::merge(&args),
        }
    })
}

fn auth_of(t: &TargetArgs) -> Result<Auth, CliError> {
    match (&t.token, &t.ak, &t.sk) {
        (_, Some(ak), Some(sk)) => Ok(Auth::AkSk { access_key: Secret::new(ak), secret_key: Secret::new(sk) }),
        (_, Some(_), None) | (_, None, Some(_)) => {
            Err(CliError::usage("--ak and --sk go together (or HW_ACCESS_KEY and HW_SECRET_KEY)"))
        }
        (Some(token), None, None) => Ok(Auth::Token(Secret::new(token))),
        (None, None, None) => Err(CliError::usage(
            "no credentials: give --token, or --ak and --sk (or HW_AUTH_TOKEN, HW_ACCESS_KEY, HW_SECRET_KEY)",
        )),
    }
}

/// Builds the target configuration from flags, environment and profile.
pub fn target_config(t: &TargetArgs, faults: &[String]) -> Result<Option<TargetConfig>, CliError> {
    // Half a key pair is a mistake even for the embedded emulator, which would silently ignore it.
    if t.ak.is_some() != t.sk.is_some() {
        return Err(CliError::usage("--ak and --sk go together (or HW_ACCESS_KEY and HW_SECRET_KEY)"));
    }
    if t.endpoint.is_none() && t.profile.is_none() {
        return Ok(None);
    }
    if !faults.is_empty() {
        return Err(CliError::usage(
            "--fault applies to the embedded emulator only (use `serve --fault` for another process)",
        ));
    }
    let (profile, profile_name) = match &t.profile {
        Some(name) => (Profile::resolve(name)?, Some(name.clone())),
        None => (Profile::emulator_default(), None),
    };
    let url = t
        .endpoint
        .clone()
        .or(profile.endpoint.clone())
        .ok_or_else(|| CliError::usage("no endpoint: give --endpoint or put `endpoint` in the profile"))?;
    let project_id = t.project_id.clone().or(profile.project_id.clone()).ok_or_else(|| {
        CliError::usage("no project id: give --project-id (or HW_PROJECT_ID) or put `project_id` in the profile")
    })?;
    Ok(Some(TargetConfig::Endpoint {
        url,
        project_id,
        auth: auth_of(t)?,
        region: t.region.clone().or(profile.region.clone()),
        profile: Box::new(profile),
        profile_name,
    }))
}

/// The trust of a command that talks to an endpoint: the profile's CA files, then `--ca-cert`.
fn tls_options(t: &TargetArgs, profile_certs: &[std::path::PathBuf]) -> crate::client::TlsOptions {
    let mut ca_certs = profile_certs.to_vec();
    ca_certs.extend(t.ca_certs.iter().cloned());
    crate::client::TlsOptions { ca_certs, insecure: t.insecure }
}

/// Says, before any request, what a reader must know of how the target is reached.
fn print_network(info: &report::TargetInfo) {
    if info.insecure {
        outln!("warning: --insecure: the TLS certificate of {} is not verified; every report says so", info.endpoint);
    }
    if let Some(proxy) = &info.proxy {
        outln!(
            "proxy: requests to {} go through {proxy} (from the environment; NO_PROXY lists the hosts reached directly)",
            info.endpoint
        );
    }
}

/// The built-in files, or the directory given explicitly.
fn files_of(dir: Option<&std::path::PathBuf>) -> Files {
    dir.map_or(Files::Embedded, |d| Files::Dir(d.clone()))
}

/// Refuses a scenario or snapshot directory given explicitly that is missing or unreadable.
fn check_dirs(cases: Option<&std::path::Path>, snapshots: Option<&std::path::Path>) -> Result<(), CliError> {
    for (flag, what, dir) in [("--cases", "scenario", cases), ("--snapshots", "snapshot", snapshots)] {
        if let Some(dir) = dir {
            crate::runner::readable_dir(dir)
                .map_err(CliError::io(format!("{flag} {}: cannot read the {what} directory", dir.display())))?;
        }
    }
    Ok(())
}

fn run_config(args: &RunArgs) -> Result<RunConfig, CliError> {
    check_dirs(args.select.cases.as_deref(), args.snapshots.as_deref())?;
    let mut config = crate::embedded::config();
    config.scenarios = files_of(args.select.cases.as_ref());
    config.snapshots = files_of(args.snapshots.as_ref());
    config.filters = args.select.filters.clone();
    config.mode = match args.select.mode {
        ModeArg::Full => Mode::Full,
        ModeArg::Readonly => Mode::ReadOnly,
    };
    config.strict = args.strict;
    config.checks = crate::checks::registry::parse_names(&args.checks)?;
    config.timeout = Duration::from_secs(args.timeout.max(1));
    config.deadline = args.deadline.map(Duration::from_secs);
    config.rps = args.rps.unwrap_or(0.0);
    match target_config(&args.target, &args.faults)? {
        None => config.target = TargetConfig::Embedded { faults: args.faults.clone(), variants: args.variants.clone() },
        Some(_) if !args.variants.is_empty() => {
            return Err(CliError::usage(
                "--variant applies to the embedded emulator only (use `serve --variant` for another process)",
            ))
        }
        Some(target) => {
            if let TargetConfig::Endpoint { url, profile, .. } = &target {
                config.for_endpoint(crate::runner::remote::is_remote(args.remote, profile, url), profile);
            }
            if config.remote {
                config.ledger = Some(args.ledger.clone().unwrap_or_else(crate::runner::ledger::Ledger::default_path));
            }
            config.target = target;
            if let Some(l) = &args.ledger {
                config.ledger = Some(l.clone());
            }
        }
    }
    if args.remote && matches!(config.target, TargetConfig::Embedded { .. }) {
        return Err(CliError::usage(
            "--remote needs an endpoint (--endpoint or a profile's `endpoint`): the embedded emulator is never a region",
        ));
    }
    config.share_fixtures |= args.share_fixtures;
    config.keep_every_exchange = args.har_all || args.reports.wants_coverage();
    config.partition = args.partition;
    let profile_certs = match &config.target {
        TargetConfig::Endpoint { profile, .. } => profile.ca_certs.as_slice(),
        TargetConfig::Embedded { .. } => &[],
    };
    config.tls = tls_options(&args.target, profile_certs);
    if let Some(j) = args.job_timeout {
        config.job_timeout = Duration::from_secs(j);
    }
    // Explicit flags win over what the target implies.
    if let Some(j) = args.jobs {
        config.jobs = j.max(1);
    }
    if let Some(ms) = args.poll_interval {
        config.poll_interval = Duration::from_millis(ms);
    }
    Ok(config)
}

async fn run(args: RunArgs) -> Result<i32, CliError> {
    let config = run_config(&args)?;
    let baseline = match (&args.baseline, args.write_baseline) {
        (Some(path), false) => Some(baseline::Baseline::load(path)?),
        (None, true) => return Err(CliError::usage("--write-baseline needs --baseline PATH")),
        _ => None,
    };
    let remote = config.remote;
    let ledger = config.ledger.clone();
    let runner = Arc::new(Runner::new(config).await?);
    // A partition may get none of a small selection: it runs nothing and says so, and its report
    // still lets `merge` account for it.
    let empty_partition = runner.partition().filter(|p| p.cases_selected > 0);
    if let (true, Some(p)) = (runner.cases().is_empty(), empty_partition) {
        outln!("partition {}/{} holds none of the {} selected cases", p.index, p.count, p.cases_selected);
    } else if runner.cases().is_empty() {
        let specs = crate::spec::Specs::embedded();
        let scenarios = crate::runner::load_scenarios(&files_of(args.select.cases.as_ref()), specs)?;
        return Err(select::nothing_selected(&args.select.filters, &crate::cases::all(specs, scenarios)));
    }
    let on_ctrl_c = tokio::spawn(stop_on_ctrl_c(Arc::clone(&runner), ledger));
    let secrets: Vec<String> = runner.secrets().to_vec();
    let scrub = move |s: &str| report::scrub_secrets(s, &secrets.iter().map(String::as_str).collect::<Vec<_>>());
    print_network(runner.target_info());
    runner.preflight().await?;
    let interactive = std::io::stderr().is_terminal() && remote;
    let bar = interactive.then(|| {
        let pb = indicatif::ProgressBar::new(runner.cases().len() as u64);
        pb.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} cases, {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        pb
    });
    let token_endpoint = matches!(&config_target_auth(&runner), Some("token"));
    let reproducer = reproduce::Reproducer::new(&args, token_endpoint);
    let mut failed = 0usize;
    let mut fixture_shown = false;
    let verbose = args.verbose;
    let mut report = runner
        .run_all(|event| match event {
            RunEvent::CaseStarted { operation, .. } => {
                if let Some(pb) = &bar {
                    pb.set_message(format!("{failed} failed, now {operation}"));
                }
            }
            RunEvent::BreakerTripped { reason } => {
                let line = scrub(&format!("circuit breaker: {reason}; the cases that depend on it are not run"));
                match &bar {
                    Some(pb) => pb.println(line),
                    None => println!("{line}"),
                }
            }
            RunEvent::CaseFinished(case) => {
                if case.outcome.is_failure() {
                    failed += 1;
                }
                let line = ConsoleReporter::case_line(&case)
                    .or_else(|| verbose.then(|| format!("{} {}", case.outcome.as_str().to_uppercase(), case.id)));
                let mut lines: Vec<String> = line.into_iter().collect();
                if case.outcome.is_failure() {
                    let mut with_reproduction = (*case).clone();
                    with_reproduction.reproduce = reproducer.of(&case);
                    // A broken shared fixture fails every case that reads it: its exchanges are
                    // shown once, the JSON report keeps them for each case.
                    let by_fixture =
                        case.reason.as_deref().is_some_and(|r| r.starts_with(crate::runner::FIXTURE_FAILED));
                    if by_fixture && std::mem::replace(&mut fixture_shown, true) {
                        with_reproduction.evidence.clear();
                    }
                    lines.extend(ConsoleReporter::evidence_lines(&with_reproduction));
                }
                for line in lines {
                    let line = scrub(&line);
                    match &bar {
                        Some(pb) => pb.println(line),
                        None => outln!("{line}"),
                    }
                }
                if let Some(pb) = &bar {
                    pb.inc(1);
                } else if remote && !verbose {
                    errln!("{} {}", case.outcome.as_str(), case.id);
                }
            }
            _ => {}
        })
        .await;
    if let Some(pb) = bar {
        pb.finish_and_clear();
    }
    if let Some(b) = &baseline {
        b.apply(&mut report);
    }
    if args.write_baseline {
        if let Some(path) = &args.baseline {
            baseline::Baseline::from_report(&report).save(path)?;
            outln!("baseline written to {}", path.display());
        }
    }
    on_ctrl_c.abort();
    reproducer.apply(&mut report.cases);
    report::scrub_report(&mut report, &runner.secrets().iter().map(String::as_str).collect::<Vec<_>>());
    let coverage = args.reports.wants_coverage().then(|| crate::coverage::of_run(&runner, &report));
    args.reports.write_with(&report, coverage.as_ref())?;
    if let Some(path) = &args.har {
        write_har(&runner, &report, path, args.har_all)?;
    }
    print_faults_caught(&args, &report);
    if let Some(c) = &coverage {
        outln!("{}", c.summary_line());
    }
    outln!("{}", scrub(&ConsoleReporter::summary(&report)));
    if runner.interrupted() {
        return Err(CliError::Interrupted { left_behind: runner.left_behind() });
    }
    Ok(exit::of_summary(&report.summary))
}

/// `token` when the run targets an endpoint with token auth (a `curl` line can then reproduce a
/// request; the embedded emulator is gone when the run ends).
fn config_target_auth(runner: &Runner) -> Option<&str> {
    let info = runner.target_info();
    (info.kind == "endpoint").then_some(info.auth.as_str())
}

/// Writes the HAR file: the evidence of the failing cases, or every exchange of the run.
fn write_har(runner: &Runner, report: &RunReport, path: &std::path::Path, all: bool) -> Result<(), CliError> {
    let every = if all { runner.every_exchange() } else { Vec::new() };
    let entries: Vec<report::HarEntry<'_>> = if all {
        every.iter().map(|(case, exchange)| report::HarEntry { case, exchange }).collect()
    } else {
        report
            .cases
            .iter()
            .flat_map(|c| c.evidence.iter().map(move |exchange| report::HarEntry { case: &c.id, exchange }))
            .collect()
    };
    report::write_har(&entries, path).map_err(CliError::io(format!("cannot write the HAR file {}", path.display())))
}

/// The first Ctrl-C stops the run and lets it delete what it created; a second one leaves at
/// once, pointing at `cleanup`.
async fn stop_on_ctrl_c(runner: Arc<Runner>, ledger: Option<std::path::PathBuf>) {
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    errln!("interrupted: stopping the cases in flight and deleting what they created (Ctrl-C again to leave now)");
    runner.interrupt();
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    match ledger {
        Some(path) => errln!(
            "interrupted twice: leaving now; `sdrs-conformance cleanup --ledger {}` deletes what is left",
            path.display()
        ),
        None => errln!("interrupted twice: leaving now; resources this run created may be left"),
    }
    std::process::exit(exit::ERROR);
}

fn print_faults_caught(args: &RunArgs, report: &RunReport) {
    if !args.variants.is_empty() {
        outln!("variants switched on: {}", args.variants.join(", "));
    }
    if args.faults.is_empty() {
        return;
    }
    let mut caught: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for c in &report.cases {
        for check in c.checks.iter().filter(|k| k.outcome == crate::checks::CheckOutcome::Failed) {
            *caught.entry(check.name.as_str().to_owned()).or_insert(0) += 1;
        }
    }
    outln!("faults switched on: {}", args.faults.join(", "));
    if caught.is_empty() {
        outln!("no check caught anything");
    }
    for (check, n) in caught {
        outln!("  {check} failed {n} time(s)");
    }
}

impl args::ReportArgs {
    /// Whether a report asked for needs the coverage (`--coverage`, or the HTML report's bars).
    pub(crate) fn wants_coverage(&self) -> bool {
        self.coverage.is_some() || self.report_html.is_some()
    }

    /// Writes the reports that were asked for, for a command that saw no exchange (`merge`):
    /// `--coverage` is then refused.
    #[allow(dead_code)]
    fn write(&self, report: &RunReport) -> Result<(), CliError> {
        self.write_with(report, None)
    }

    /// Writes the JSON, JUnit, markdown, coverage and HTML reports that were asked for; the
    /// markdown report gets a coverage section when `coverage` is given.
    fn write_with(&self, report: &RunReport, coverage: Option<&Coverage>) -> Result<(), CliError> {
        let io =
            |what: &str, p: &std::path::Path| CliError::io(format!("cannot write the {what} report {}", p.display()));
        if let Some(p) = &self.json {
            report::write_json(report, p).map_err(io("JSON", p))?;
        }
        if let Some(p) = &self.junit {
            report::write_junit(report, p).map_err(io("JUnit", p))?;
        }
        if let Some(p) = &self.report_md {
            let mut md = report::to_markdown(report);
            if let Some(c) = coverage {
                md.push_str(&report::coverage_markdown(c));
            }
            std::fs::write(p, md).map_err(io("markdown", p))?;
        }
        if let Some(p) = &self.coverage {
            let c =
                coverage.ok_or_else(|| CliError::usage("--coverage needs the exchanges of a run or a recording"))?;
            std::fs::write(p, c.to_json()).map_err(io("coverage", p))?;
        }
        if let Some(p) = &self.report_html {
            std::fs::write(p, report::html::render(report, coverage)).map_err(io("HTML", p))?;
        }
        Ok(())
    }
}

async fn serve(args: args::ServeArgs) -> Result<i32, CliError> {
    use crate::emulator::{EmulatorConfig, KeyPair, World};
    let mut config = EmulatorConfig::try_default()?;
    if let Some(path) = &args.world {
        config.world = World::load(path)?;
    }
    match (&args.ak, &args.sk) {
        (Some(ak), Some(sk)) => config.key_pair = Some(KeyPair { access_key: ak.clone(), secret_key: sk.clone() }),
        (None, None) => {}
        _ => return Err(CliError::usage("--ak and --sk go together")),
    }
    config.token = args.token.clone();
    if let Some(p) = &args.project_id {
        config.project_id = p.clone();
    }
    config.jobs = pacing_of(&args)?;
    if let Some(ms) = args.latency {
        config.latency = Duration::from_millis(ms);
    }
    for name in &args.faults {
        config.faults.push(crate::emulator::Fault::parse(name)?);
    }
    for name in &args.variants {
        config.variants.push(crate::emulator::Variant::parse(name)?);
    }
    crate::emulator::serve(args.bind, args.port, config).await?;
    Ok(exit::OK)
}

/// How `serve` advances its jobs: per poll, by its request clock, or by the wall clock.
fn pacing_of(args: &args::ServeArgs) -> Result<crate::emulator::JobPacing, CliError> {
    use crate::emulator::{JobDurations, JobPacing, WallClock};
    if let Some(ms) = args.job_delay_ms {
        return Ok(JobPacing::AfterMillis(ms));
    }
    if let Some(secs) = args.job_duration {
        let duration = Duration::try_from_secs_f64(secs)
            .map_err(|_| CliError::usage(format!("--job-duration {secs}: expected seconds, 0 or more")))?;
        return Ok(JobPacing::WallClock(WallClock::fixed(duration)));
    }
    if let Some(factor) = args.time_scale {
        if !(factor.is_finite() && factor > 0.0) {
            return Err(CliError::usage(format!(
                "--time-scale {factor}: expected a positive factor (0.01: a hundredth)"
            )));
        }
        let mut wall = WallClock::scaled(factor);
        if let Some(path) = &args.job_durations {
            wall = wall.with_durations(JobDurations::load(path)?);
        }
        return Ok(JobPacing::WallClock(wall));
    }
    Ok(JobPacing::PerPoll)
}

async fn list(args: args::ListArgs) -> Result<i32, CliError> {
    if args.checks {
        return Ok(list_checks());
    }
    check_dirs(args.select.cases.as_deref(), None)?;
    let specs = crate::spec::Specs::embedded();
    let scenarios = crate::runner::load_scenarios(&files_of(args.select.cases.as_ref()), specs)?;
    let profile = match &args.profile {
        Some(p) => Profile::resolve(p)?,
        None => Profile::emulator_default(),
    };
    let pool_check = crate::runner::Pool::new(&profile.prerequisites);
    let all = crate::cases::all(specs, scenarios);
    let selected: Vec<&crate::cases::Case> = all
        .iter()
        .filter(|c| args.select.filters.is_empty() || args.select.filters.iter().any(|f| crate::cases::matches(c, f)))
        .collect();
    if selected.is_empty() {
        return Err(select::nothing_selected(&args.select.filters, &all));
    }
    let mut n = 0;
    for c in selected {
        let mut skip =
            c.skip.clone().or_else(|| pool_check.impossible(&c.needs).map(|w| format!("missing prerequisite: {w}")));
        if skip.is_none() && args.select.mode == ModeArg::Readonly && !c.is_read_only(specs) {
            skip = Some("readonly mode sends only GET requests".into());
        }
        if output::stdout_gone() {
            break;
        }
        match skip {
            Some(why) => outln!("{}  [{}]  (skipped: {why})", c.id, c.kind.as_str()),
            None => outln!("{}  [{}]", c.id, c.kind.as_str()),
        }
        n += 1;
    }
    outln!("{n} cases");
    Ok(exit::OK)
}

/// `list --checks`: every registered check, in report order, with what it proves.
fn list_checks() -> i32 {
    let registry = &crate::checks::registry::REGISTRY;
    let width = registry.iter().map(|e| e.name.as_str().len()).max().unwrap_or(0);
    for e in registry {
        if output::stdout_gone() {
            break;
        }
        outln!("{:width$}  {}", e.name.as_str(), e.description);
    }
    outln!("{} checks", registry.len());
    exit::OK
}

fn check_spec(dir: &std::path::Path) -> Result<i32, CliError> {
    let specs = match crate::spec::Specs::load_dir(dir) {
        Ok(s) => s,
        Err(e) => {
            errln!("{e}");
            return Ok(exit::ERROR);
        }
    };
    let ops = &specs.sdrs.operations;
    let async_ops = ops.iter().filter(|o| o.async_job.is_some()).count();
    outln!("{}: {} operations ({async_ops} asynchronous)", specs.sdrs.file, ops.len());
    outln!(
        "{}: {} operation(s) documented outside the seeds",
        specs.extensions.file,
        specs.extensions.operations.len()
    );
    outln!("SDRS operations in all: {}", specs.sdrs_operations().count());
    outln!("{}: {} operation(s)", specs.dws.file, specs.dws.operations.len());
    let by_status: Vec<String> = specs.errors.count_by_status().iter().map(|(s, n)| format!("{s}: {n}")).collect();
    outln!("error codes: {} ({})", specs.errors.codes.len(), by_status.join(", "));
    for (name, m) in &specs.states.machines {
        let extra = m.states.values().filter(|s| s.named_only_in.is_some()).count();
        let plain = m.states.len() - extra;
        if extra > 0 {
            outln!("states of {name}: {plain} (+{extra} named only in A.1)");
        } else {
            outln!("states of {name}: {plain}");
        }
    }
    let documented = specs.states.job_types.values().filter(|j| j.documented).count();
    outln!("job types: {documented} documented");
    outln!("actions: {}", specs.states.actions.len());
    let kinds: Vec<&str> = specs.resources.kinds().map(|k| k.name.as_str()).collect();
    outln!("resource kinds: {} in teardown order ({})", kinds.len(), kinds.join(", "));
    // The emulator's timing table is data beside the specs; `serve --time-scale` reads it.
    let durations = dir.join("job-durations.yaml");
    if durations.is_file() {
        match crate::emulator::JobDurations::load(&durations) {
            Ok(t) => outln!("job durations: {} job types (other types: {} s)", t.job_types.len(), t.default_seconds()),
            Err(e) => {
                errln!("{e}");
                return Ok(exit::ERROR);
            }
        }
    }
    outln!("specs are valid");
    Ok(exit::OK)
}

#[cfg(test)]
mod tests {
    use super::CliError;
    use std::error::Error as _;

    #[test]
    fn an_io_failure_reads_as_before_and_keeps_the_io_error() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "permission denied");
        let e = CliError::io("cannot write the HAR file out.har")(io);
        assert_eq!(e.to_string(), "cannot write the HAR file out.har: permission denied");
        let source = e.source().and_then(|s| s.downcast_ref::<std::io::Error>()).expect("the io error");
        assert_eq!(source.kind(), std::io::ErrorKind::PermissionDenied);
    }

    #[test]
    fn an_interrupted_run_says_how_many_resources_it_left() {
        assert_eq!(
            CliError::Interrupted { left_behind: 0 }.to_string(),
            "interrupted: the run stopped early; what it created was deleted"
        );
        assert_eq!(
            CliError::Interrupted { left_behind: 2 }.to_string(),
            "interrupted: the run stopped early; 2 resource(s) it created could not be deleted \
             (the cases' reasons name them; `cleanup --ledger` tries again)"
        );
    }

    #[test]
    fn a_wrapped_error_of_another_area_shows_its_own_message_and_stays_reachable() {
        let unknown = crate::emulator::Fault::parse("no-such-fault").unwrap_err();
        let e = CliError::from(unknown.clone());
        assert_eq!(e.to_string(), unknown.to_string());
        assert!(matches!(e, CliError::UnknownName(ref u) if u.name == "no-such-fault"));
    }
}

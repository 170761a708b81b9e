//! The command-line arguments (clap).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Conformance test harness and contract checker for the Huawei Cloud SDRS API.
#[derive(Debug, Parser)]
#[command(name = "sdrs-conformance", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the suite (against the embedded emulator unless --endpoint or --profile is given).
    Run(Box<RunArgs>),
    /// Run the reference emulator alone.
    Serve(ServeArgs),
    /// List the cases, with the same filters as `run`.
    List(ListArgs),
    /// Validate the specs and their cross-references.
    CheckSpec(CheckSpecArgs),
    /// Delete what an earlier run created and recorded in its ledger.
    Cleanup(CleanupArgs),
    /// Run the full suite once per emulator fault mode and write the fault × checks matrix.
    FaultMatrix(FaultMatrixArgs),
    /// Judge recorded exchanges (HAR 1.2) offline, with the same reports as `run`.
    CheckTraffic(CheckTrafficArgs),
    /// Run the full suite once per legal emulator variant and write the warnings and failures each causes.
    VariantMatrix(VariantMatrixArgs),
    /// Forward any client's traffic to an upstream and judge it live; write the reports when stopped.
    Proxy(ProxyArgs),
    /// Combine the JSON reports of `run --partition I/N` into the report of the whole run.
    Merge(MergeArgs),
}

/// `run --mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// Lifecycles included.
    Full,
    /// GET requests only.
    Readonly,
}

/// Where and how to connect.
#[derive(Debug, Args, Clone)]
pub struct TargetArgs {
    /// Base URL of an SDRS endpoint or emulator.
    #[arg(long, env = "SDRS_ENDPOINT")]
    pub endpoint: Option<String>,
    /// Project id.
    #[arg(long, env = "HW_PROJECT_ID")]
    pub project_id: Option<String>,
    /// Region name (reports only).
    #[arg(long, env = "HW_REGION_NAME")]
    pub region: Option<String>,
    /// IAM token.
    #[arg(long, env = "HW_AUTH_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Access key (AK/SK signing).
    #[arg(long, env = "HW_ACCESS_KEY", hide_env_values = true)]
    pub ak: Option<String>,
    /// Secret key (AK/SK signing).
    #[arg(long, env = "HW_SECRET_KEY", hide_env_values = true)]
    pub sk: Option<String>,
    /// Profile name (profiles/NAME.yaml) or file: endpoint, region, project and prerequisites.
    #[arg(long)]
    pub profile: Option<String>,
    /// Also trust the CA certificates of this PEM file (repeatable).
    #[arg(long = "ca-cert", value_name = "PATH")]
    pub ca_certs: Vec<PathBuf>,
    /// Do not verify the server's TLS certificate (every report then says so).
    #[arg(long)]
    pub insecure: bool,
}

/// Case selection.
#[derive(Debug, Args, Clone)]
pub struct SelectArgs {
    /// Keep cases whose id, operation, family, kind or tag contains TEXT (repeatable).
    #[arg(long = "filter", value_name = "TEXT")]
    pub filters: Vec<String>,
    /// full or readonly (GET requests only).
    #[arg(long, value_enum, default_value = "full")]
    pub mode: ModeArg,
    /// Directory of scenario files (default: the built-in copy of the repository's `cases/`).
    #[arg(long, value_name = "DIR")]
    pub cases: Option<PathBuf>,
}

/// The report files of `run` and `check-traffic`.
#[derive(Debug, Args, Clone, Default)]
pub struct ReportArgs {
    /// Write the JSON report here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write the JUnit XML report here.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// Write the markdown compatibility matrix here.
    #[arg(long)]
    pub report_md: Option<PathBuf>,
    /// Write the coverage of the contract here (JSON): what the exchanges showed of the
    /// operations, statuses, A.1 codes, transitions and refusals, and why the rest was not seen.
    #[arg(long, value_name = "PATH")]
    pub coverage: Option<PathBuf>,
    /// Write a self-contained HTML report here (matrix heatmap, coverage bars, failures).
    #[arg(long, value_name = "PATH")]
    pub report_html: Option<PathBuf>,
}

/// `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Target.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Selection.
    #[command(flatten)]
    pub select: SelectArgs,
    /// Cases run concurrently (default: 64 against a remote target, the number of cores otherwise).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Treat the endpoint as a real region even on loopback (a tunnel, a simulation): retries,
    /// shared setups, the ledger, remote polling and deadlines, remote concurrency.
    #[arg(long)]
    pub remote: bool,
    /// First pause between polls of a job, in milliseconds (default: 2000 against a remote
    /// target, 5 on loopback; grows by half each poll up to ten times).
    #[arg(long, value_name = "MS")]
    pub poll_interval: Option<u64>,
    /// Disputed readings fail instead of warning.
    #[arg(long)]
    pub strict: bool,
    /// Reports to write.
    #[command(flatten)]
    pub reports: ReportArgs,
    /// Write the exchanges of every failing step here, as HAR 1.2.
    #[arg(long, value_name = "PATH")]
    pub har: Option<PathBuf>,
    /// With --har: write every exchange of the run, not only those of failing steps.
    #[arg(long, requires = "har")]
    pub har_all: bool,
    /// Bound of each request, in seconds.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    /// Bound of the whole run, in seconds.
    #[arg(long)]
    pub deadline: Option<u64>,
    /// Bound of each job, in seconds.
    #[arg(long)]
    pub job_timeout: Option<u64>,
    /// Request-rate limit (requests per second).
    #[arg(long)]
    pub rps: Option<f64>,
    /// Cleanup ledger (default under the user's state directory, for real endpoints).
    #[arg(long)]
    pub ledger: Option<PathBuf>,
    /// Baseline of expected failures.
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Record the current failures into --baseline.
    #[arg(long)]
    pub write_baseline: bool,
    /// Switch on an emulator fault mode (embedded emulator only; repeatable).
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// Switch on a legal emulator variant (embedded emulator only; repeatable).
    #[arg(long = "variant", value_name = "NAME")]
    pub variants: Vec<String>,
    /// Snapshot directory (default: the built-in copy of the repository's `snapshots/`).
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,
    /// Share resources as against a real region (the default for remote endpoints): negative cases
    /// read the shared fixture, cases refused from the same setup share one.
    #[arg(long)]
    pub share_fixtures: bool,
    /// Print a line per case.
    #[arg(long, short)]
    pub verbose: bool,
    /// Keep only these checks' verdicts (comma-separated or repeated; `list --checks` names them).
    #[arg(long = "checks", value_name = "NAME,...")]
    pub checks: Vec<String>,
    /// Run only the I-th of N deterministic parts of the selected cases (cases sharing a setup
    /// stay together); its run id and ledger file carry `-pIofN`. `merge` combines the reports.
    #[arg(long, value_name = "I/N", value_parser = crate::runner::Partition::parse)]
    pub partition: Option<crate::runner::Partition>,
}

/// `merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The JSON reports of every partition of one run (`run --partition I/N --json ...`).
    #[arg(value_name = "IN.json", required = true)]
    pub inputs: Vec<PathBuf>,
    /// Reports of the merged run to write.
    #[command(flatten)]
    pub reports: ReportArgs,
}

/// `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// Port (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// World file replacing the default world.
    #[arg(long)]
    pub world: Option<PathBuf>,
    /// Access key whose signatures are verified.
    #[arg(long, env = "HW_ACCESS_KEY", hide_env_values = true)]
    pub ak: Option<String>,
    /// Secret key whose signatures are verified.
    #[arg(long, env = "HW_SECRET_KEY", hide_env_values = true)]
    pub sk: Option<String>,
    /// The only X-Auth-Token accepted; without it, any token of 16 or more characters without
    /// whitespace is accepted (shorter ones are refused with 401).
    #[arg(long, env = "HW_AUTH_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Project id served.
    #[arg(long)]
    pub project_id: Option<String>,
    /// Jobs finish after this many milliseconds instead of advancing one step per poll.
    #[arg(long, conflicts_with_all = ["job_duration", "time_scale"])]
    pub job_delay_ms: Option<u64>,
    /// Hold every job for SECS of wall-clock time (RUNNING after half, done at the end).
    #[arg(long, value_name = "SECS", conflicts_with = "time_scale")]
    pub job_duration: Option<f64>,
    /// Hold each job for its type's duration in specs/job-durations.yaml times F, by the wall
    /// clock (0.01: a 6.5 min protected-instance create takes 3.9 s).
    #[arg(long, value_name = "F")]
    pub time_scale: Option<f64>,
    /// With --time-scale: another duration table (same format as specs/job-durations.yaml).
    #[arg(long, value_name = "FILE", requires = "time_scale")]
    pub job_durations: Option<PathBuf>,
    /// Delay every answer by MS milliseconds, as a distant region's round trip.
    #[arg(long, value_name = "MS")]
    pub latency: Option<u64>,
    /// Switch on a fault mode (repeatable).
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// Switch on a legal variant (repeatable).
    #[arg(long = "variant", value_name = "NAME")]
    pub variants: Vec<String>,
}

/// `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Selection.
    #[command(flatten)]
    pub select: SelectArgs,
    /// Profile whose prerequisites decide skips.
    #[arg(long)]
    pub profile: Option<String>,
    /// List the checks (name and what each proves) instead of the cases.
    #[arg(long)]
    pub checks: bool,
}

/// `check-spec`.
#[derive(Debug, Args)]
pub struct CheckSpecArgs {
    /// Specs directory.
    #[arg(long, default_value = "specs")]
    pub specs: PathBuf,
}

/// `cleanup`.
#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// Target (credentials and endpoint; the ledger records endpoint and project).
    #[command(flatten)]
    pub target: TargetArgs,
    /// Ledger file.
    #[arg(long)]
    pub ledger: Option<PathBuf>,
    /// Bound of each request, in seconds.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    /// Treat the endpoint as a real region even on loopback (remote polling and deadlines).
    #[arg(long)]
    pub remote: bool,
    /// First pause between polls of a job, in milliseconds (default: 2000 against a remote target).
    #[arg(long, value_name = "MS")]
    pub poll_interval: Option<u64>,
}

/// `fault-matrix`.
#[derive(Debug, Args)]
pub struct FaultMatrixArgs {
    /// Markdown file to write.
    #[arg(long, default_value = "docs/fault-matrix.md")]
    pub out: PathBuf,
    /// Cases run concurrently in each run (1 keeps the counts independent of scheduling).
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
    /// Directory of scenario files (default: the built-in copy of the repository's `cases/`).
    #[arg(long, value_name = "DIR")]
    pub cases: Option<PathBuf>,
    /// Snapshot directory (default: the built-in copy of the repository's `snapshots/`).
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,
}

/// `check-traffic`.
#[derive(Debug, Args)]
pub struct CheckTrafficArgs {
    /// The recording (HAR 1.2).
    #[arg(value_name = "FILE.har")]
    pub file: PathBuf,
    /// Disputed readings fail instead of warning.
    #[arg(long)]
    pub strict: bool,
    /// Reports to write.
    #[command(flatten)]
    pub reports: ReportArgs,
    /// Print a line per case.
    #[arg(long, short)]
    pub verbose: bool,
}

/// `variant-matrix`.
#[derive(Debug, Args)]
pub struct VariantMatrixArgs {
    /// Markdown file to write.
    #[arg(long, default_value = "docs/variant-matrix.md")]
    pub out: PathBuf,
    /// Cases run concurrently in each run (1 keeps the counts independent of scheduling).
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
    /// Directory of scenario files (default: the built-in copy of the repository's `cases/`).
    #[arg(long, value_name = "DIR")]
    pub cases: Option<PathBuf>,
    /// Snapshot directory (default: the built-in copy of the repository's `snapshots/`).
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,
}

/// `proxy`.
#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// Base URL of the SDRS endpoint or emulator the traffic goes to.
    #[arg(long, value_name = "URL")]
    pub upstream: String,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// Port (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Access key: the client's signatures are verified with it and made again for the upstream.
    #[arg(long, env = "HW_ACCESS_KEY", hide_env_values = true)]
    pub ak: Option<String>,
    /// Secret key of --ak.
    #[arg(long, env = "HW_SECRET_KEY", hide_env_values = true)]
    pub sk: Option<String>,
    /// Disputed readings fail instead of warning.
    #[arg(long)]
    pub strict: bool,
    /// Bound of each upstream request, in seconds.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    /// Reports to write when stopped.
    #[command(flatten)]
    pub reports: ReportArgs,
    /// Write every exchange here, as HAR 1.2, when stopped.
    #[arg(long, value_name = "PATH")]
    pub har: Option<PathBuf>,
}

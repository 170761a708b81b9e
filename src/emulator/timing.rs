//! Wall-clock pacing of jobs (`serve --job-duration`, `serve --time-scale`): each job is held for
//! a duration of real time, RUNNING after half of it and done at its end, so that a client meets
//! the waits of a real region. The durations come from one fixed value or from the table
//! `specs/job-durations.yaml` scaled by a factor. Time is read from a [`Clock`], so that tests
//! move it by hand ([`ManualClock`]) instead of sleeping.
//!
//! This module owns the table, the clock and when a job is due; `jobs.rs` applies what is due.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::model::Job;
use super::state::State;
use super::JobPacing;

/// The embedded duration table (`specs/job-durations.yaml`).
pub const JOB_DURATIONS_YAML: &str = include_str!("../../specs/job-durations.yaml");

/// Where the embedded table is reported from.
const EMBEDDED_ORIGIN: &str = "specs/job-durations.yaml";

/// A source of elapsed time: the wall clock, or a hand-moved one in tests.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Time since the clock started.
    fn elapsed(&self) -> Duration;
}

/// The wall clock, from the moment it is created.
#[derive(Debug)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    /// A clock starting now.
    pub fn new() -> SystemClock {
        SystemClock { origin: Instant::now() }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock::new()
    }
}

impl Clock for SystemClock {
    fn elapsed(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// A clock that moves only when told to (tests of wall-clock pacing).
#[derive(Debug, Default)]
pub struct ManualClock {
    micros: AtomicU64,
}

impl ManualClock {
    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.micros.fetch_add(by.as_micros() as u64, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn elapsed(&self) -> Duration {
        Duration::from_micros(self.micros.load(Ordering::SeqCst))
    }
}

/// How long each job is held.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Hold {
    /// Every job for this long (`--job-duration`).
    Fixed(Duration),
    /// The table's duration of the job's type times this factor (`--time-scale`).
    Scaled(f64),
}

/// Wall-clock pacing: how long jobs are held, by which clock.
#[derive(Debug, Clone)]
pub struct WallClock {
    /// How long each job is held.
    pub hold: Hold,
    durations: Arc<JobDurations>,
    clock: Arc<dyn Clock>,
}

impl PartialEq for WallClock {
    fn eq(&self, other: &WallClock) -> bool {
        self.hold == other.hold
            && self.durations == other.durations
            && std::ptr::addr_eq(Arc::as_ptr(&self.clock), Arc::as_ptr(&other.clock))
    }
}

impl WallClock {
    /// Every job held for `duration` of wall-clock time.
    pub fn fixed(duration: Duration) -> WallClock {
        WallClock::new(Hold::Fixed(duration))
    }

    /// Each job held for its type's duration in the embedded table, times `factor`.
    pub fn scaled(factor: f64) -> WallClock {
        WallClock::new(Hold::Scaled(factor))
    }

    fn new(hold: Hold) -> WallClock {
        WallClock { hold, durations: Arc::new(JobDurations::embedded().clone()), clock: Arc::new(SystemClock::new()) }
    }

    /// The same pacing, reading time from `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> WallClock {
        self.clock = clock;
        self
    }

    /// The same pacing, with another duration table.
    pub fn with_durations(mut self, durations: JobDurations) -> WallClock {
        self.durations = Arc::new(durations);
        self
    }

    /// How long a job of `job_type` is held.
    pub fn hold_of(&self, job_type: &str) -> Duration {
        match self.hold {
            Hold::Fixed(d) => d,
            Hold::Scaled(factor) => Duration::from_secs_f64(self.durations.seconds(job_type) * factor),
        }
    }

    /// The clock's reading.
    pub fn elapsed(&self) -> Duration {
        self.clock.elapsed()
    }

    /// In words, for `serve`'s summary.
    pub fn describe(&self) -> String {
        match self.hold {
            Hold::Fixed(d) => format!("each held {} s of wall-clock time (RUNNING after half)", secs(d)),
            Hold::Scaled(f) => format!(
                "held for the durations of {EMBEDDED_ORIGIN} times {f} (a protected-instance create: {} s)",
                secs(self.hold_of("createProtectedInstanceNoCG"))
            ),
        }
    }
}

/// How jobs advance, in words (`serve`'s summary).
pub(super) fn describe(pacing: &JobPacing) -> String {
    match pacing {
        JobPacing::PerPoll => "advance one step per poll (INIT, RUNNING, SUCCESS)".to_owned(),
        JobPacing::AfterMillis(ms) => format!("end {ms} ms of emulator time (one per request) after they begin"),
        JobPacing::WallClock(wall) => wall.describe(),
    }
}

/// Seconds with at most three decimals, no trailing zeros.
fn secs(d: Duration) -> String {
    let text = format!("{:.3}", d.as_secs_f64());
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The wall-clock start of every job submitted under wall-clock pacing.
#[derive(Debug, Default)]
pub(super) struct Begun(HashMap<String, Duration>);

/// Records the start of a job just submitted (wall-clock pacing only).
pub(super) fn begin(state: &mut State, job_id: &str) {
    if let JobPacing::WallClock(wall) = &state.pacing {
        let now = wall.elapsed();
        state.begun.0.insert(job_id.to_owned(), now);
    }
}

/// Moves the emulator clock up to the wall clock, so that job and resource times show real
/// durations (wall-clock pacing only; the clock never goes back).
pub(super) fn follow_wall_clock(state: &mut State) {
    if let JobPacing::WallClock(wall) = &state.pacing {
        let wall_ms = wall.elapsed().as_millis() as i64;
        let behind = wall_ms - state.now();
        if behind > 0 {
            state.advance(behind);
        }
    }
}

/// How far an unfinished job is: (milliseconds since it began, milliseconds it is held), by the
/// emulator clock (`AfterMillis`) or the wall clock; `None` when jobs advance per poll.
pub(super) fn progress(state: &State, job: &Job) -> Option<(u64, u64)> {
    match &state.pacing {
        JobPacing::PerPoll => None,
        JobPacing::AfterMillis(delay) => Some(((state.now() - job.begin).max(0) as u64, *delay)),
        JobPacing::WallClock(wall) => {
            let begun = state.begun.0.get(&job.id).copied().unwrap_or_default();
            let elapsed = wall.elapsed().saturating_sub(begun);
            Some((elapsed.as_millis() as u64, wall.hold_of(&job.job_type).as_millis() as u64))
        }
    }
}

/// Where a job held for `hold` is after `elapsed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Not started yet (INIT).
    Waiting,
    /// Half its time or more (RUNNING).
    Running,
    /// Its time is up (SUCCESS or FAIL).
    Due,
}

/// The phase of a job held for `hold` milliseconds, `elapsed` milliseconds after it began.
pub(super) fn phase(elapsed: u64, hold: u64) -> Phase {
    if elapsed >= hold {
        Phase::Due
    } else if elapsed >= hold / 2 && hold > 0 {
        Phase::Running
    } else {
        Phase::Waiting
    }
}

/// Why a duration table cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{origin}:{line}:{column}: invalid job-duration table: {message}")]
pub struct DurationsError {
    /// File name or other origin of the text.
    pub origin: String,
    /// 1-based line (0 when unknown).
    pub line: usize,
    /// 1-based column (0 when unknown).
    pub column: usize,
    /// What is wrong, naming the key.
    pub message: String,
}

/// A duration in seconds: positive and finite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seconds(f64);

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Seconds, D::Error> {
        let value = f64::deserialize(d)?;
        if value.is_finite() && value > 0.0 && value < 1e9 {
            Ok(Seconds(value))
        } else {
            Err(serde::de::Error::custom(format!("seconds must be a positive number, not {value}")))
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DurationEntry {
    /// How long the job takes.
    pub seconds: Seconds,
    /// Where the figure comes from.
    pub source: String,
}

/// The duration of each job type on a real region (`specs/job-durations.yaml`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobDurations {
    /// Any job type the table does not list.
    pub default: DurationEntry,
    /// By `job_type`.
    pub job_types: BTreeMap<String, DurationEntry>,
}

impl JobDurations {
    /// Parses a table; errors name the origin, line and column.
    pub fn parse(text: &str, origin: &str) -> Result<JobDurations, DurationsError> {
        let table: JobDurations = serde_yaml_ng::from_str(text).map_err(|e| {
            let (line, column) = e.location().map(|l| (l.line(), l.column())).unwrap_or((0, 0));
            DurationsError { origin: origin.to_owned(), line, column, message: e.to_string() }
        })?;
        let unsourced = std::iter::once(("default", &table.default))
            .chain(table.job_types.iter().map(|(k, v)| (k.as_str(), v)))
            .find(|(_, e)| e.source.trim().is_empty());
        if let Some((key, _)) = unsourced {
            let line = text.lines().position(|l| l.trim_start().starts_with(&format!("{key}:"))).map_or(0, |i| i + 1);
            return Err(DurationsError {
                origin: origin.to_owned(),
                line,
                column: 0,
                message: format!("`{key}` has no source: say where its duration comes from"),
            });
        }
        Ok(table)
    }

    /// Reads a table file.
    pub fn load(path: &std::path::Path) -> Result<JobDurations, DurationsError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| DurationsError {
            origin: origin.clone(),
            line: 0,
            column: 0,
            message: format!("cannot read the file: {e}"),
        })?;
        JobDurations::parse(&text, &origin)
    }

    /// The embedded table (checked by a test, so it always parses).
    pub fn embedded() -> &'static JobDurations {
        static TABLE: OnceLock<JobDurations> = OnceLock::new();
        TABLE.get_or_init(|| {
            JobDurations::parse(JOB_DURATIONS_YAML, EMBEDDED_ORIGIN).unwrap_or_else(|e| panic!("embedded table: {e}"))
        })
    }

    /// Seconds a job of a type the table does not list takes.
    pub fn default_seconds(&self) -> f64 {
        self.default.seconds.0
    }

    /// Seconds a job of `job_type` takes (the default for a type the table does not list).
    pub fn seconds(&self, job_type: &str) -> f64 {
        self.job_types.get(job_type).unwrap_or(&self.default).seconds.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_table_parses_and_starts_from_the_durations_of_the_issue() {
        let t = JobDurations::parse(JOB_DURATIONS_YAML, EMBEDDED_ORIGIN).expect("valid");
        assert_eq!(t.seconds("createProtectionGroupNoCG"), 50.0);
        assert_eq!(t.seconds("createProtectedInstanceNoCG"), 390.0);
        assert_eq!(t.seconds("noSuchJobType"), t.default.seconds.0);
    }

    #[test]
    fn the_table_lists_every_job_type_of_the_states_spec_and_the_batch_jobs() {
        let t = JobDurations::embedded();
        let states = &crate::spec::Specs::embedded().states;
        let documented: Vec<&String> = states.job_types.iter().filter(|(_, j)| j.documented).map(|(k, _)| k).collect();
        assert!(documented.len() >= 19, "{documented:?}");
        for job_type in documented
            .into_iter()
            .map(String::as_str)
            .chain(["batchCreateProtectedInstances", "batchDeleteProtectedInstances"])
        {
            assert!(t.job_types.contains_key(job_type), "{job_type} has no duration");
        }
    }

    #[test]
    fn a_time_scale_of_a_hundredth_makes_an_instance_create_take_3_9_seconds() {
        let wall = WallClock::scaled(0.01);
        assert_eq!(wall.hold_of("createProtectedInstanceNoCG"), Duration::from_millis(3900));
        assert_eq!(wall.hold_of("createProtectionGroupNoCG"), Duration::from_millis(500));
        let fixed = WallClock::fixed(Duration::from_secs(2));
        assert_eq!(fixed.hold_of("createProtectedInstanceNoCG"), Duration::from_secs(2));
    }

    #[test]
    fn a_negative_duration_is_refused_with_its_file_and_line() {
        let text = "default: {seconds: 60, source: x}\njob_types:\n  createProtectionGroupNoCG:\n    seconds: -5\n    source: y\n";
        let err = JobDurations::parse(text, "broken.yaml").unwrap_err();
        assert_eq!((err.origin.as_str(), err.line), ("broken.yaml", 4), "{err}");
        assert!(err.to_string().starts_with("broken.yaml:4:"), "{err}");
        assert!(err.message.contains("positive"), "{err}");
    }

    #[test]
    fn an_unknown_key_a_missing_default_and_an_empty_source_are_refused_naming_them() {
        let unknown = "default: {seconds: 60, source: x}\njob_types:\n  a: {seconds: 1, source: y, minutes: 2}\n";
        let err = JobDurations::parse(unknown, "t.yaml").unwrap_err();
        assert!(err.line == 3 && err.message.contains("minutes"), "{err}");
        let no_default = "job_types: {}\n";
        let err = JobDurations::parse(no_default, "t.yaml").unwrap_err();
        assert!(err.message.contains("default"), "{err}");
        let unsourced = "default: {seconds: 60, source: x}\njob_types:\n  a: {seconds: 1, source: ' '}\n";
        let err = JobDurations::parse(unsourced, "t.yaml").unwrap_err();
        assert!(err.line == 3 && err.message.contains("`a` has no source"), "{err}");
        let not_yaml = "default: [\n";
        assert!(JobDurations::parse(not_yaml, "t.yaml").unwrap_err().to_string().starts_with("t.yaml:"));
    }

    #[test]
    fn a_job_is_waiting_then_running_after_half_its_time_then_due() {
        assert_eq!(phase(0, 2000), Phase::Waiting);
        assert_eq!(phase(999, 2000), Phase::Waiting);
        assert_eq!(phase(1000, 2000), Phase::Running);
        assert_eq!(phase(1999, 2000), Phase::Running);
        assert_eq!(phase(2000, 2000), Phase::Due);
        assert_eq!(phase(0, 0), Phase::Due);
    }

    #[test]
    fn a_manual_clock_moves_only_when_told_and_two_clocks_make_two_pacings() {
        let clock = Arc::new(ManualClock::default());
        let wall = WallClock::fixed(Duration::from_secs(1)).with_clock(clock.clone());
        assert_eq!(wall.elapsed(), Duration::ZERO);
        clock.advance(Duration::from_millis(1500));
        assert_eq!(wall.elapsed(), Duration::from_millis(1500));
        assert_eq!(wall, wall.clone());
        assert_ne!(wall, WallClock::fixed(Duration::from_secs(1)));
    }
}

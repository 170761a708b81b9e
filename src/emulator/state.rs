//! Everything the emulator knows, behind one mutex: its configuration, the resource [`Store`],
//! the jobs and the task center's records, the seeded ID generator and the controllable clock.
//! The job engine works on this state; the state knows nothing of how jobs run.
//!
//! Timestamps are milliseconds after 2026-01-01T00:00:00Z.

use chrono::{DateTime, Utc};

use super::model::{FailureJob, Job};
use super::store::Store;
use super::world::World;
use super::{EmulatorConfig, Fault, JobPacing, KeyPair, Variant};

/// Everything the emulator knows; guarded by one mutex.
pub(super) struct State {
    pub project_id: String,
    pub token: Option<String>,
    pub key_pair: Option<KeyPair>,
    pub pacing: JobPacing,
    pub world: World,
    /// Groups, instances, pairs, drills, and the runtime servers and volumes.
    pub store: Store,
    pub jobs: Vec<Job>,
    pub failures: Vec<FailureJob>,
    faults: Vec<Fault>,
    variants: Vec<Variant>,
    /// GET requests counted for throttling (variant `retry-after`).
    pub gets: u64,
    /// The throttled GET (path and query) whose retry is awaited (variant `retry-after`).
    pub throttled: Option<String>,
    /// Turns taken by variants that alternate (error envelopes, content types).
    turns: u64,
    job_counter: u64,
    rng: fastrand::Rng,
    clock_ms: i64,
    /// When each job began by the wall clock (wall-clock pacing).
    pub begun: super::timing::Begun,
}

impl State {
    /// A fresh state from a configuration.
    pub(super) fn new(config: EmulatorConfig) -> State {
        State {
            project_id: config.project_id,
            token: config.token,
            key_pair: config.key_pair,
            pacing: config.jobs,
            store: Store::new(&config.world),
            world: config.world,
            jobs: Vec::new(),
            failures: Vec::new(),
            faults: config.faults,
            variants: config.variants,
            gets: 0,
            throttled: None,
            turns: 0,
            job_counter: 0,
            rng: fastrand::Rng::with_seed(config.seed),
            clock_ms: 0,
            begun: Default::default(),
        }
    }

    /// The current clock value (ms after 2026-01-01T00:00:00Z).
    pub(super) fn now(&self) -> i64 {
        self.clock_ms
    }

    /// Moves the clock forward.
    pub(super) fn advance(&mut self, millis: i64) {
        self.clock_ms += millis;
    }

    /// 32 lowercase hex characters (job IDs, request IDs).
    pub(super) fn hex32(&mut self) -> String {
        format!("{:016x}{:016x}", self.rng.u64(..), self.rng.u64(..))
    }

    /// Whether the emulator was asked to commit this fault.
    pub(super) fn faulty(&self, fault: Fault) -> bool {
        self.faults.contains(&fault)
    }

    /// Whether the emulator was asked to answer in this legal variant.
    pub(super) fn varies(&self, variant: Variant) -> bool {
        self.variants.contains(&variant)
    }

    /// The switched-on variants among `options`, taken in turn, one per call (None: none is on).
    pub(super) fn in_turn(&mut self, options: &[Variant]) -> Option<Variant> {
        let on: Vec<Variant> = options.iter().copied().filter(|v| self.varies(*v)).collect();
        if on.is_empty() {
            return None;
        }
        self.turns += 1;
        Some(on[(self.turns as usize - 1) % on.len()])
    }

    /// A new job ID: 32 lowercase hex characters, or a decimal sequence number under the fault
    /// `job-bad-id-format` (rendered as a JSON number).
    pub(super) fn job_id(&mut self) -> String {
        if self.faulty(Fault::JobBadIdFormat) {
            self.job_counter += 1;
            return (100_000 + self.job_counter).to_string();
        }
        self.hex32()
    }

    /// A UUID-shaped (version 4) ID.
    pub(super) fn uuid(&mut self) -> String {
        let (a, b) = (self.rng.u64(..), self.rng.u64(..));
        let a = (a & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
        let b = (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
        let h = format!("{a:016x}{b:016x}");
        format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
    }
}

/// The clock origin, 2026-01-01T00:00:00Z, in milliseconds after the Unix epoch.
const ORIGIN_MS: i64 = 1_767_225_600_000;

/// The time `ms` after the clock origin (the epoch for a clock moved out of chrono's range).
fn at(ms: i64) -> DateTime<Utc> {
    ORIGIN_MS.checked_add(ms).and_then(DateTime::from_timestamp_millis).unwrap_or_default()
}

/// `yyyy-MM-dd HH:mm:ss.SSS` (groups, instances, drills).
pub(super) fn fmt_plain(ms: i64) -> String {
    at(ms).format("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

/// `yyyy-MM-ddTHH:mm:ss.SSSSSS` (replication pairs).
pub(super) fn fmt_micros(ms: i64) -> String {
    at(ms).format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// `yyyy-MM-ddTHH:mm:ss.SSSZ` (jobs, failure jobs).
pub(super) fn fmt_job(ms: i64) -> String {
    at(ms).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_follow_the_documented_formats() {
        assert_eq!(fmt_plain(1), "2026-01-01 00:00:00.001");
        assert_eq!(fmt_micros(1), "2026-01-01T00:00:00.001000");
        assert_eq!(fmt_job(1), "2026-01-01T00:00:00.001Z");
    }

    #[test]
    fn ids_are_seeded_and_well_shaped() {
        let mut a = State::new(EmulatorConfig::default());
        let mut b = State::new(EmulatorConfig::default());
        let id = a.uuid();
        assert_eq!(id, b.uuid());
        assert_eq!(id.len(), 36);
        let job = a.hex32();
        assert_eq!(job.len(), 32);
        assert!(job.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }
}

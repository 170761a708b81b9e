//! The in-memory model: protection groups, protected instances, replication pairs, DR drills,
//! tags, jobs and failure jobs, plus the runtime copy of the world's servers and volumes, the
//! seeded ID generator and the controllable clock.
//!
//! Lists keep creation order. Timestamps are milliseconds after 2026-01-01T00:00:00Z.

use chrono::{DateTime, TimeZone, Utc};

use super::jobs::Job;
use super::world::{Server, Volume, World};
use super::{EmulatorConfig, Fault, JobPacing, KeyPair, Variant};

/// Tags of an instance as (key, value), in insertion order.
pub type Tags = Vec<(String, String)>;

/// A protection group.
#[derive(Debug, Clone)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub status: String,
    pub source_az: String,
    pub target_az: String,
    pub domain_id: String,
    pub domain_name: String,
    pub priority_station: String,
    pub source_vpc_id: String,
    pub dr_type: String,
    pub protected_status: Option<String>,
    pub replication_status: Option<String>,
    pub health_status: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// A status the next read shows instead of `status` (fault `forbidden-transition`).
    pub shown_once: Option<String>,
}

/// A NIC of a protected instance.
#[derive(Debug, Clone)]
pub struct Nic {
    pub id: String,
    pub subnet_id: String,
    pub ip_address: String,
    pub primary: bool,
}

/// A protected instance.
#[derive(Debug, Clone)]
pub struct Instance {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub group_id: String,
    pub status: String,
    pub source_server: String,
    pub target_server: String,
    pub target_flavor: String,
    pub tags: Tags,
    pub nics: Vec<Nic>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Where a replication pair is attached.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub instance_id: String,
    pub device: String,
}

/// A replication pair.
#[derive(Debug, Clone)]
pub struct Pair {
    pub id: String,
    pub name: String,
    pub description: String,
    pub group_id: String,
    pub volume_id: String,
    pub dr_volume_id: String,
    pub status: String,
    pub attachment: Option<Attachment>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A DR drill.
#[derive(Debug, Clone)]
pub struct Drill {
    pub id: String,
    pub name: String,
    pub group_id: String,
    pub drill_vpc_id: String,
    pub status: String,
    pub drill_servers: Vec<(String, String)>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A failed job as shown by the task center.
#[derive(Debug, Clone)]
pub struct FailureJob {
    pub job_id: String,
    pub resource_id: String,
    pub resource_name: String,
    pub resource_type: String,
    pub failure_status: String,
    pub job_type: String,
    pub begin_time: i64,
    pub error_code: String,
    pub fail_reason: String,
    pub server_group_id: String,
}

/// Deleted resources kept for the faults `deleted-still-shown` and `ghost-in-lists`.
#[derive(Debug, Default)]
pub struct Ghosts {
    pub groups: Vec<Group>,
    pub instances: Vec<Instance>,
    pub pairs: Vec<Pair>,
    pub drills: Vec<Drill>,
}

/// Everything the emulator knows; guarded by one mutex.
pub struct State {
    pub project_id: String,
    pub token: Option<String>,
    pub key_pair: Option<KeyPair>,
    pub pacing: JobPacing,
    pub world: World,
    pub servers: Vec<Server>,
    pub volumes: Vec<Volume>,
    pub groups: Vec<Group>,
    pub instances: Vec<Instance>,
    pub pairs: Vec<Pair>,
    pub drills: Vec<Drill>,
    pub jobs: Vec<Job>,
    pub failures: Vec<FailureJob>,
    pub ghosts: Ghosts,
    /// Deleted resources still listed (fault `ghost-in-lists`); show does not find them.
    pub listed_ghosts: Ghosts,
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

/// Statuses that count as stable (kept by `restore`).
const STABLE: [&str; 3] = ["available", "protected", "failed-over"];

impl State {
    /// A fresh state from a configuration.
    pub fn new(config: EmulatorConfig) -> State {
        State {
            project_id: config.project_id,
            token: config.token,
            key_pair: config.key_pair,
            pacing: config.jobs,
            servers: config.world.servers.clone(),
            volumes: config.world.volumes.clone(),
            world: config.world,
            groups: Vec::new(),
            instances: Vec::new(),
            pairs: Vec::new(),
            drills: Vec::new(),
            jobs: Vec::new(),
            failures: Vec::new(),
            ghosts: Ghosts::default(),
            listed_ghosts: Ghosts::default(),
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
    pub fn now(&self) -> i64 {
        self.clock_ms
    }

    /// Moves the clock forward.
    pub fn advance(&mut self, millis: i64) {
        self.clock_ms += millis;
    }

    /// 32 lowercase hex characters (job IDs, request IDs).
    pub fn hex32(&mut self) -> String {
        format!("{:016x}{:016x}", self.rng.u64(..), self.rng.u64(..))
    }

    /// Whether the emulator was asked to commit this fault.
    pub fn faulty(&self, fault: Fault) -> bool {
        self.faults.contains(&fault)
    }

    /// Whether the emulator was asked to answer in this legal variant.
    pub fn varies(&self, variant: Variant) -> bool {
        self.variants.contains(&variant)
    }

    /// The switched-on variants among `options`, taken in turn, one per call (None: none is on).
    pub fn in_turn(&mut self, options: &[Variant]) -> Option<Variant> {
        let on: Vec<Variant> = options.iter().copied().filter(|v| self.varies(*v)).collect();
        if on.is_empty() {
            return None;
        }
        self.turns += 1;
        Some(on[(self.turns as usize - 1) % on.len()])
    }

    /// A new job ID: 32 lowercase hex characters, or a decimal sequence number under the fault
    /// `job-bad-id-format` (rendered as a JSON number).
    pub fn job_id(&mut self) -> String {
        if self.faulty(Fault::JobBadIdFormat) {
            self.job_counter += 1;
            return (100_000 + self.job_counter).to_string();
        }
        self.hex32()
    }

    /// A UUID-shaped (version 4) ID.
    pub fn uuid(&mut self) -> String {
        let (a, b) = (self.rng.u64(..), self.rng.u64(..));
        let a = (a & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
        let b = (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
        let h = format!("{a:016x}{b:016x}");
        format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
    }

    /// The protection group with this ID.
    pub fn group(&self, id: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.id == id)
    }

    /// The protection group with this ID, mutable.
    pub fn group_mut(&mut self, id: &str) -> Option<&mut Group> {
        self.groups.iter_mut().find(|g| g.id == id)
    }

    /// The protected instance with this ID.
    pub fn instance(&self, id: &str) -> Option<&Instance> {
        self.instances.iter().find(|i| i.id == id)
    }

    /// The protected instance with this ID, mutable.
    pub fn instance_mut(&mut self, id: &str) -> Option<&mut Instance> {
        self.instances.iter_mut().find(|i| i.id == id)
    }

    /// The replication pair with this ID.
    pub fn pair(&self, id: &str) -> Option<&Pair> {
        self.pairs.iter().find(|p| p.id == id)
    }

    /// The replication pair with this ID, mutable.
    pub fn pair_mut(&mut self, id: &str) -> Option<&mut Pair> {
        self.pairs.iter_mut().find(|p| p.id == id)
    }

    /// The DR drill with this ID.
    pub fn drill(&self, id: &str) -> Option<&Drill> {
        self.drills.iter().find(|d| d.id == id)
    }

    /// The DR drill with this ID, mutable.
    pub fn drill_mut(&mut self, id: &str) -> Option<&mut Drill> {
        self.drills.iter_mut().find(|d| d.id == id)
    }

    /// The runtime server with this ID.
    pub fn server(&self, id: &str) -> Option<&Server> {
        self.servers.iter().find(|s| s.id == id)
    }

    /// The runtime volume with this ID.
    pub fn volume(&self, id: &str) -> Option<&Volume> {
        self.volumes.iter().find(|v| v.id == id)
    }

    /// The runtime volume with this ID, mutable.
    pub fn volume_mut(&mut self, id: &str) -> Option<&mut Volume> {
        self.volumes.iter_mut().find(|v| v.id == id)
    }

    /// The current production-site AZ of a group.
    pub fn production_az(group: &Group) -> &str {
        if group.priority_station == "target" {
            &group.target_az
        } else {
            &group.source_az
        }
    }

    /// The stable state to return to after a `restore` action, given the state held before.
    pub fn restore_status(&self, previous: &str, group_id: &str) -> String {
        if STABLE.contains(&previous) {
            return previous.to_string();
        }
        self.joined_status(group_id)
    }

    /// The status a new or restored member of a group takes: protected, failed-over or available.
    pub fn joined_status(&self, group_id: &str) -> String {
        match self.group(group_id).map(|g| g.status.as_str()) {
            Some("protected") => "protected".into(),
            Some("failed-over") => "failed-over".into(),
            _ => "available".into(),
        }
    }

    /// The status of the server at an instance's current DR site: the original production
    /// server once a failover or reverse made the target site production (the emulator's own
    /// DR servers are always stopped).
    pub fn dr_server_status(&self, instance: &Instance) -> String {
        let priority = self.group(&instance.group_id).map(|g| g.priority_station.as_str()).unwrap_or("source");
        if priority == "target" {
            self.server(&instance.source_server).map(|s| s.status.clone()).unwrap_or_else(|| "SHUTOFF".into())
        } else {
            "SHUTOFF".into()
        }
    }

    /// Every server that shares a shared (multiattach) disk with `server_id`, itself included;
    /// empty when it has no shared disk.
    pub fn shared_disk_servers(&self, server_id: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for v in self.volumes.iter().filter(|v| v.multiattach) {
            let attached: Vec<&String> = v.attached_server.iter().chain(v.shared_with.iter()).collect();
            if attached.iter().any(|s| *s == server_id) {
                for s in attached {
                    if !out.contains(s) {
                        out.push(s.clone());
                    }
                }
            }
        }
        out
    }

    /// The status of the server currently playing production for an instance (DR servers are
    /// always stopped in the emulator).
    pub fn production_server_status(&self, instance: &Instance) -> String {
        let priority = self.group(&instance.group_id).map(|g| g.priority_station.as_str()).unwrap_or("source");
        if priority == "target" {
            "SHUTOFF".into()
        } else {
            self.server(&instance.source_server).map(|s| s.status.clone()).unwrap_or_else(|| "SHUTOFF".into())
        }
    }
}

/// The clock origin: 2026-01-01T00:00:00Z.
fn at(ms: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::milliseconds(ms)
}

/// `yyyy-MM-dd HH:mm:ss.SSS` (groups, instances, drills).
pub fn fmt_plain(ms: i64) -> String {
    at(ms).format("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

/// `yyyy-MM-ddTHH:mm:ss.SSSSSS` (replication pairs).
pub fn fmt_micros(ms: i64) -> String {
    at(ms).format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// `yyyy-MM-ddTHH:mm:ss.SSSZ` (jobs, failure jobs).
pub fn fmt_job(ms: i64) -> String {
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

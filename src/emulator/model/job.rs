//! Job types: a job with its sub jobs, the resources it moves ([`Change`]), what it does on
//! success ([`Effect`]) or failure (undo), and the task-center records it leaves ([`Report`]).

use super::records::Nic;
use super::Kind;

/// What a resource becomes when the job ends.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum EndStatus {
    /// This status.
    To(&'static str),
    /// The stable status held before (or the group's, if that was an error state).
    Restore,
    /// protected in a protected group, failed-over in a failed-over group, else available.
    Join,
    /// Deleted.
    Gone,
}

/// One resource moved by a job.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    pub kind: Kind,
    pub id: String,
    /// Shown while the job runs (None: unchanged).
    pub transitional: Option<&'static str>,
    pub success: EndStatus,
    pub failure: EndStatus,
    /// The sub job this change belongs to (its failure decides), else the job itself.
    pub sub: Option<usize>,
    /// Filled by [`submit`]: the status before the job.
    pub previous: String,
}

impl Change {
    /// A change of the job itself.
    pub(crate) fn new(
        kind: Kind,
        id: &str,
        transitional: &'static str,
        success: EndStatus,
        failure: EndStatus,
    ) -> Change {
        Change {
            kind,
            id: id.to_string(),
            transitional: Some(transitional),
            success,
            failure,
            sub: None,
            previous: String::new(),
        }
    }

    /// The same change, decided by sub job `index`.
    pub(crate) fn in_sub(mut self, index: usize) -> Change {
        self.sub = Some(index);
        self
    }
}

/// A side effect applied when the job succeeds.
#[derive(Debug, Clone)]
pub(crate) enum Effect {
    /// Sets the runtime status fields of a group.
    GroupFlags { group_id: String, protected: &'static str, replication: &'static str },
    /// Sets the group's current production site.
    SetPriority { group_id: String, station: String },
    /// Marks a pair's production volume as attached to a server.
    AttachVolume { pair_id: String },
    /// Removes a pair's attachment and frees its volume.
    Detach { pair_id: String },
    /// Adds a NIC to an instance.
    AddNic { instance_id: String, nic: Nic },
    /// Removes a NIC from an instance.
    DeleteNic { instance_id: String, nic_id: String },
    /// Changes the flavors of an instance's servers.
    Resize { instance_id: String, production: Option<String>, dr: Option<String> },
    /// Grows a pair's volumes.
    Expand { pair_id: String, new_size: u64 },
    /// Makes the next read of a group show `status` (fault `forbidden-transition`).
    ShowOnce { group_id: String, status: &'static str },
}

/// A failure to record in the task center.
#[derive(Debug, Clone)]
pub(crate) struct Report {
    pub kind: Kind,
    pub id: String,
    pub group_id: String,
    pub failure_status: &'static str,
    pub sub: Option<usize>,
}

/// Why a job (or sub job) fails.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub code: &'static str,
    pub reason: String,
}

/// A sub job (one per pair of a group action, one per instance of a batch).
#[derive(Debug, Clone)]
pub(crate) struct SubJob {
    pub id: String,
    pub job_type: String,
    pub entity_key: &'static str,
    pub entity_id: String,
    /// Entities beyond the documented one (variant `sdk-entity-keys`).
    pub more_entities: Vec<(&'static str, String)>,
    pub failure: Option<Failure>,
}

/// An async job.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub id: String,
    pub job_type: String,
    pub status: &'static str,
    pub entities: Vec<(&'static str, String)>,
    pub with_sub_jobs: bool,
    pub sub_jobs: Vec<SubJob>,
    pub begin: i64,
    /// Emulator time of the last poll (or of the submission).
    pub last_poll: i64,
    pub end: Option<i64>,
    pub failure: Option<Failure>,
    pub changes: Vec<Change>,
    pub effects: Vec<Effect>,
    /// Applied when the job fails (e.g. forget a pending attachment).
    pub undo: Vec<Effect>,
    pub reports: Vec<Report>,
    /// Whether the job already fell back to INIT (fault `job-status-regresses`).
    pub regressed: bool,
    /// Polls answered RUNNING without ending (variant `slow-jobs`).
    pub running_polls: u32,
    /// Polls of the job so far (fault `job-begin-time-drifts`).
    pub polls: u32,
}

impl Job {
    /// A new INIT job `id` of `job_type`, begun at `now`, about the entity `key = entity`.
    pub(crate) fn new(id: String, now: i64, job_type: &str, key: &'static str, entity: &str) -> Job {
        Job {
            id,
            job_type: job_type.to_string(),
            status: "INIT",
            entities: vec![(key, entity.to_string())],
            with_sub_jobs: false,
            sub_jobs: Vec::new(),
            begin: now,
            last_poll: now,
            end: None,
            failure: None,
            changes: Vec::new(),
            effects: Vec::new(),
            undo: Vec::new(),
            reports: Vec::new(),
            regressed: false,
            running_polls: 0,
            polls: 0,
        }
    }

    /// Adds sub job `id` about the entity `key = entity` and returns its index.
    pub(crate) fn add_sub(
        &mut self,
        id: String,
        job_type: &str,
        key: &'static str,
        entity: &str,
        failure: Option<Failure>,
    ) -> usize {
        self.with_sub_jobs = true;
        self.sub_jobs.push(SubJob {
            id,
            job_type: job_type.to_string(),
            entity_key: key,
            entity_id: entity.to_string(),
            more_entities: Vec::new(),
            failure,
        });
        self.sub_jobs.len() - 1
    }

    /// Whether the job itself (`None`) or its sub job `sub` fails.
    pub(crate) fn fails(&self, sub: Option<usize>) -> bool {
        match sub {
            Some(i) => self.sub_jobs.get(i).is_some_and(|s| s.failure.is_some()),
            None => self.failure.is_some(),
        }
    }
}

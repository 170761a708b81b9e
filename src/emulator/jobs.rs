//! Async jobs: INIT -> RUNNING -> SUCCESS or FAIL, and what they do to resources.
//!
//! A handler builds a [`Job`] with its [`Change`]s (one per resource: transitional, success and
//! failure outcome), its success [`Effect`]s and its task-center [`Report`]s, and submits it:
//! the transitional states show at once. Completion (per poll or by the clock) applies the
//! outcomes, the effects on success, and records failures in the task center.

use serde_json::{json, Map, Value};

use super::state::{fmt_job, Attachment, FailureJob, Nic, State};
use super::timing::Phase;
use super::{Fault, JobPacing, Variant};

/// The kind of resource a change or report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Group,
    Instance,
    Pair,
    Drill,
}

/// What a resource becomes when the job ends.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
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
pub struct Change {
    pub kind: Kind,
    pub id: String,
    /// Shown while the job runs (None: unchanged).
    pub transitional: Option<&'static str>,
    pub success: Outcome,
    pub failure: Outcome,
    /// The sub job this change belongs to (its failure decides), else the job itself.
    pub sub: Option<usize>,
    /// Filled by [`submit`]: the status before the job.
    pub previous: String,
}

impl Change {
    /// A change of the job itself.
    pub fn new(kind: Kind, id: &str, transitional: &'static str, success: Outcome, failure: Outcome) -> Change {
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
    pub fn in_sub(mut self, index: usize) -> Change {
        self.sub = Some(index);
        self
    }
}

/// A side effect applied when the job succeeds.
#[derive(Debug, Clone)]
pub enum Effect {
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
pub struct Report {
    pub kind: Kind,
    pub id: String,
    pub group_id: String,
    pub failure_status: &'static str,
    pub sub: Option<usize>,
}

/// Why a job (or sub job) fails.
#[derive(Debug, Clone)]
pub struct Failure {
    pub code: &'static str,
    pub reason: String,
}

/// A sub job (one per pair of a group action, one per instance of a batch).
#[derive(Debug, Clone)]
pub struct SubJob {
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
pub struct Job {
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
    /// A new INIT job of `job_type` about the entity `key = id`.
    pub fn new(state: &mut State, job_type: &str, key: &'static str, id: &str) -> Job {
        Job {
            id: state.job_id(),
            job_type: job_type.to_string(),
            status: "INIT",
            entities: vec![(key, id.to_string())],
            with_sub_jobs: false,
            sub_jobs: Vec::new(),
            begin: state.now(),
            last_poll: state.now(),
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

    /// Adds a sub job and returns its index.
    pub fn add_sub(
        &mut self,
        state: &mut State,
        job_type: &str,
        key: &'static str,
        id: &str,
        failure: Option<Failure>,
    ) -> usize {
        self.with_sub_jobs = true;
        self.sub_jobs.push(SubJob {
            id: state.job_id(),
            job_type: job_type.to_string(),
            entity_key: key,
            entity_id: id.to_string(),
            more_entities: Vec::new(),
            failure,
        });
        self.sub_jobs.len() - 1
    }
}

/// The A.1 code a failed job of this type reports.
pub fn failure_code(job_type: &str) -> &'static str {
    match job_type {
        "createProtectionGroupNoCG" => "SDRS.1014",
        "deleteProtectionGroupNoCG" => "SDRS.1016",
        "startProtectionGroupNoCG" => "SDRS.1027",
        "reprotectProtectionGroupNoCG" => "SDRS.1032",
        "stopProtectionGroupNoCG" => "SDRS.1028",
        "failoverProtectionGroupNoCG" => "SDRS.1030",
        "reverseProtectionGroupNoCG" => "SDRS.1029",
        "createProtectedInstanceNoCG" => "SDRS.1350",
        "deleteProtectedInstanceNoCG" => "SDRS.1351",
        "attachReplicationPairNew" => "SDRS.1821",
        "detachReplicationPairNew" => "SDRS.1822",
        "addNicNew" => "SDRS.1312",
        "deleteNicNew" => "SDRS.1313",
        "resizeProtectedInstanceNew" => "SDRS.1329",
        "createReplicationPairNoCG" => "SDRS.1609",
        "deleteReplicationPairNoCG" => "SDRS.1607",
        "expandReplicationPairNew" => "SDRS.1820",
        "createDisasterRecoveryDrill" => "SDRS.1922",
        "deleteDisasterRecoveryDrill" => "SDRS.1923",
        _ => "SDRS.0405",
    }
}

/// A world object a job involves (its `fail_jobs` decide whether the job fails).
#[derive(Debug, Clone, Copy)]
pub enum Involved<'a> {
    Vpc(&'a str),
    Server(&'a str),
    Volume(&'a str),
}

/// No injected failure when a delete or detach is retried from its own failure state: `fail_jobs`
/// models a transient fault, so cleanup can always finish (and an `error-…` state stays reachable).
pub fn unless_retry(status: &str, failure_state: &str, inject: impl FnOnce() -> Option<Failure>) -> Option<Failure> {
    if status == failure_state {
        None
    } else {
        inject()
    }
}

/// The failure of a `job_type` job involving `objects`, if any lists the type in `fail_jobs`.
pub fn injected_failure(state: &State, job_type: &str, objects: &[Involved]) -> Option<Failure> {
    for object in objects {
        let (what, id, listed) = match *object {
            Involved::Vpc(id) => ("VPC", id, state.world.vpc(id).map(|v| &v.fail_jobs)),
            Involved::Server(id) => ("server", id, state.server(id).map(|s| &s.fail_jobs)),
            Involved::Volume(id) => ("volume", id, state.volume(id).map(|v| &v.fail_jobs)),
        };
        if listed.is_some_and(|l| l.iter().any(|t| t == job_type)) {
            let code = failure_code(job_type);
            let (_, message) = super::errors::lookup(code);
            return Some(Failure { code, reason: format!("{message} ({what} {id} is set to fail {job_type})") });
        }
    }
    None
}

/// Sets the transitional states, stores the job and returns its ID.
pub fn submit(state: &mut State, mut job: Job) -> String {
    let now = state.now();
    for change in &mut job.changes {
        let status = status_of(state, change.kind, &change.id);
        change.previous = status.unwrap_or_default();
        if let Some(t) = change.transitional {
            set_status(state, change.kind, &change.id, t, now);
        }
    }
    if state.varies(Variant::SdkEntityKeys) {
        sdk_entities(state, &mut job);
    }
    let id = job.id.clone();
    super::timing::begin(state, &id);
    state.jobs.push(job);
    id
}

/// Adds the entity keys of the official SDK's model that apply to the job and its sub jobs
/// (variant `sdk-entity-keys`): `native_server_id` of an instance, `volume_ids` of a pair (the
/// production and DR volumes, comma-joined), `nic_id` of a NIC added or deleted.
fn sdk_entities(state: &State, job: &mut Job) {
    let mut more = Vec::new();
    let pairs = job.changes.iter().filter(|c| c.kind == Kind::Pair).map(|c| ("replication_pair_id", c.id.clone()));
    for (key, id) in job.entities.iter().cloned().chain(pairs) {
        more.extend(entities_of(state, key, &id));
    }
    for effect in &job.effects {
        match effect {
            Effect::AddNic { nic, .. } => more.push(("nic_id", nic.id.clone())),
            Effect::DeleteNic { nic_id, .. } => more.push(("nic_id", nic_id.clone())),
            _ => {}
        }
    }
    for (key, value) in more {
        if !job.entities.iter().any(|(k, _)| *k == key) {
            job.entities.push((key, value));
        }
    }
    for sub in &mut job.sub_jobs {
        sub.more_entities = entities_of(state, sub.entity_key, &sub.entity_id);
    }
}

/// The SDK-only entities that follow from one documented entity.
fn entities_of(state: &State, key: &str, id: &str) -> Vec<(&'static str, String)> {
    match key {
        "protected_instance_id" => {
            state.instance(id).map(|i| ("native_server_id", i.source_server.clone())).into_iter().collect()
        }
        "replication_pair_id" => {
            state.pair(id).map(|p| ("volume_ids", format!("{},{}", p.volume_id, p.dr_volume_id))).into_iter().collect()
        }
        _ => Vec::new(),
    }
}

fn status_of(state: &State, kind: Kind, id: &str) -> Option<String> {
    match kind {
        Kind::Group => state.group(id).map(|r| r.status.clone()),
        Kind::Instance => state.instance(id).map(|r| r.status.clone()),
        Kind::Pair => state.pair(id).map(|r| r.status.clone()),
        Kind::Drill => state.drill(id).map(|r| r.status.clone()),
    }
}

fn set_status(state: &mut State, kind: Kind, id: &str, status: &str, now: i64) {
    let target = match kind {
        Kind::Group => state.group_mut(id).map(|r| (&mut r.status, &mut r.updated_at)),
        Kind::Instance => state.instance_mut(id).map(|r| (&mut r.status, &mut r.updated_at)),
        Kind::Pair => state.pair_mut(id).map(|r| (&mut r.status, &mut r.updated_at)),
        Kind::Drill => state.drill_mut(id).map(|r| (&mut r.status, &mut r.updated_at)),
    };
    if let Some((s, u)) = target {
        *s = status.to_string();
        *u = now;
    }
}

fn group_of(state: &State, kind: Kind, id: &str) -> String {
    match kind {
        Kind::Group => Some(id.to_string()),
        Kind::Instance => state.instance(id).map(|r| r.group_id.clone()),
        Kind::Pair => state.pair(id).map(|r| r.group_id.clone()),
        Kind::Drill => state.drill(id).map(|r| r.group_id.clone()),
    }
    .unwrap_or_default()
}

fn remove(state: &mut State, kind: Kind, id: &str) {
    if state.faulty(Fault::DeletedStillShown) {
        haunt(state, kind, id);
    }
    if state.faulty(Fault::GhostInLists) {
        keep_listed(state, kind, id);
    }
    match kind {
        Kind::Group => state.groups.retain(|g| g.id != id),
        Kind::Instance => {
            let freed: Vec<String> = state
                .pairs
                .iter()
                .filter(|p| p.attachment.as_ref().is_some_and(|a| a.instance_id == id))
                .map(|p| p.id.clone())
                .collect();
            for pair_id in freed {
                apply_effect(state, &Effect::Detach { pair_id });
            }
            state.instances.retain(|i| i.id != id);
        }
        Kind::Pair => state.pairs.retain(|p| p.id != id),
        Kind::Drill => state.drills.retain(|d| d.id != id),
    }
}

/// Keeps a copy of a resource about to be deleted, shown as available (fault
/// `deleted-still-shown`).
fn haunt(state: &mut State, kind: Kind, id: &str) {
    let ghosts = &mut state.ghosts;
    match kind {
        Kind::Group => {
            if let Some(mut r) = state.groups.iter().find(|r| r.id == id).cloned() {
                r.status = "available".into();
                ghosts.groups.push(r);
            }
        }
        Kind::Instance => {
            if let Some(mut r) = state.instances.iter().find(|r| r.id == id).cloned() {
                r.status = "available".into();
                ghosts.instances.push(r);
            }
        }
        Kind::Pair => {
            if let Some(mut r) = state.pairs.iter().find(|r| r.id == id).cloned() {
                r.status = "available".into();
                ghosts.pairs.push(r);
            }
        }
        Kind::Drill => {
            if let Some(mut r) = state.drills.iter().find(|r| r.id == id).cloned() {
                r.status = "available".into();
                ghosts.drills.push(r);
            }
        }
    }
}

/// Keeps a copy of a resource about to be deleted in the lists only, as it was last shown (fault
/// `ghost-in-lists`).
fn keep_listed(state: &mut State, kind: Kind, id: &str) {
    let listed = &mut state.listed_ghosts;
    match kind {
        Kind::Group => listed.groups.extend(state.groups.iter().find(|r| r.id == id).cloned()),
        Kind::Instance => listed.instances.extend(state.instances.iter().find(|r| r.id == id).cloned()),
        Kind::Pair => listed.pairs.extend(state.pairs.iter().find(|r| r.id == id).cloned()),
        Kind::Drill => listed.drills.extend(state.drills.iter().find(|r| r.id == id).cloned()),
    }
}

fn apply_effect(state: &mut State, effect: &Effect) {
    let now = state.now();
    match effect {
        Effect::GroupFlags { group_id, protected, replication } => {
            if let Some(g) = state.group_mut(group_id) {
                g.protected_status = Some(protected.to_string());
                g.replication_status = Some(replication.to_string());
                g.health_status = Some("normal".into());
            }
        }
        Effect::SetPriority { group_id, station } => {
            if let Some(g) = state.group_mut(group_id) {
                g.priority_station = station.clone();
                g.updated_at = now;
            }
        }
        Effect::AttachVolume { pair_id } => {
            let Some(pair) = state.pair(pair_id) else {
                return;
            };
            let volume_id = pair.volume_id.clone();
            let server =
                pair.attachment.as_ref().and_then(|a| state.instance(&a.instance_id)).map(|i| i.source_server.clone());
            if let Some(v) = state.volume_mut(&volume_id) {
                v.status = Some("in-use".into());
                v.attached_server = server;
            }
        }
        Effect::Detach { pair_id } => {
            let Some(pair) = state.pair_mut(pair_id) else {
                return;
            };
            pair.attachment = None;
            pair.updated_at = now;
            let volume_id = pair.volume_id.clone();
            if let Some(v) = state.volume_mut(&volume_id) {
                v.status = Some("available".into());
                v.attached_server = None;
            }
        }
        Effect::AddNic { instance_id, nic } => {
            if let Some(i) = state.instance_mut(instance_id) {
                i.nics.push(nic.clone());
            }
        }
        Effect::DeleteNic { instance_id, nic_id } => {
            if let Some(i) = state.instance_mut(instance_id) {
                i.nics.retain(|n| &n.id != nic_id);
            }
        }
        Effect::Resize { instance_id, production, dr } => {
            let Some(instance) = state.instance(instance_id).cloned() else {
                return;
            };
            if let Some(flavor) = production {
                if let Some(s) = state.servers.iter_mut().find(|s| s.id == instance.source_server) {
                    s.flavor = flavor.clone();
                }
            }
            if let Some(flavor) = dr {
                if let Some(i) = state.instance_mut(instance_id) {
                    i.target_flavor = flavor.clone();
                }
            }
        }
        Effect::ShowOnce { group_id, status } => {
            if let Some(g) = state.group_mut(group_id) {
                g.shown_once = Some(status.to_string());
            }
        }
        Effect::Expand { pair_id, new_size } => {
            if let Some(volume_id) = state.pair(pair_id).map(|p| p.volume_id.clone()) {
                if let Some(v) = state.volume_mut(&volume_id) {
                    v.size = *new_size;
                }
            }
        }
    }
}

fn resource_name(state: &State, kind: Kind, id: &str) -> String {
    match kind {
        Kind::Group => state.group(id).map(|r| r.name.clone()),
        Kind::Instance => state.instance(id).map(|r| r.name.clone()),
        Kind::Pair => state.pair(id).map(|r| r.name.clone()),
        Kind::Drill => state.drill(id).map(|r| r.name.clone()),
    }
    .unwrap_or_default()
}

fn resource_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Group => "server_groups",
        Kind::Instance => "protected_instances",
        Kind::Pair => "replications",
        Kind::Drill => "disaster_recovery_drills",
    }
}

/// Ends job `index` now: SUCCESS or FAIL, outcomes, effects, task-center records.
fn finish(state: &mut State, index: usize) {
    let now = state.now();
    let job = state.jobs[index].clone();
    let sub_failed = |sub: Option<usize>| match sub {
        Some(i) => job.sub_jobs[i].failure.is_some(),
        None => job.failure.is_some(),
    };
    // Reports first: names are read before a failed resource could change.
    let mut records = Vec::new();
    for report in &job.reports {
        if sub_failed(report.sub) {
            let (job_id, job_type, failure) = match report.sub {
                Some(i) => {
                    (job.sub_jobs[i].id.clone(), job.sub_jobs[i].job_type.clone(), job.sub_jobs[i].failure.clone())
                }
                None => (job.id.clone(), job.job_type.clone(), job.failure.clone()),
            };
            let failure = failure.expect("a failed report has a failure");
            records.push(FailureJob {
                job_id,
                resource_id: report.id.clone(),
                resource_name: resource_name(state, report.kind, &report.id),
                resource_type: resource_type(report.kind).into(),
                failure_status: report.failure_status.into(),
                job_type,
                begin_time: job.begin,
                error_code: failure.code.into(),
                fail_reason: failure.reason,
                server_group_id: if report.group_id.is_empty() {
                    group_of(state, report.kind, &report.id)
                } else {
                    report.group_id.clone()
                },
            });
        }
    }
    let succeeded = job.failure.is_none();
    for change in &job.changes {
        let outcome = if sub_failed(change.sub) { &change.failure } else { &change.success };
        let group_id = group_of(state, change.kind, &change.id);
        let status = match outcome {
            Outcome::To(s) => s.to_string(),
            Outcome::Restore => state.restore_status(&change.previous, &group_id),
            Outcome::Join => state.joined_status(&group_id),
            Outcome::Gone => {
                remove(state, change.kind, &change.id);
                continue;
            }
        };
        set_status(state, change.kind, &change.id, &status, now);
    }
    let effects = if succeeded { &job.effects } else { &job.undo };
    for effect in effects {
        apply_effect(state, effect);
    }
    state.failures.extend(records);
    let job = &mut state.jobs[index];
    job.status = if succeeded { "SUCCESS" } else { "FAIL" };
    job.end = Some(now);
}

/// Emulator time (one millisecond per request) after which an unpolled job finishes by itself
/// under `JobPacing::PerPoll`, as a real one would: a client that crashed mid-job must be able to
/// clean up.
pub const ABANDONED_AFTER_MS: i64 = 500;

/// Applies the clock to every unfinished job: `AfterMillis` and `WallClock` pacing, and
/// abandoned `PerPoll` jobs.
pub fn tick(state: &mut State) {
    if state.pacing == JobPacing::PerPoll {
        let now = state.now();
        for index in 0..state.jobs.len() {
            let job = &state.jobs[index];
            if job.end.is_none() && now - job.last_poll > ABANDONED_AFTER_MS && !state.faulty(Fault::JobNeverEnds) {
                finish(state, index);
            }
        }
        return;
    }
    super::timing::follow_wall_clock(state);
    let slow = if state.varies(Variant::SlowJobs) { u64::from(SLOW_POLLS) } else { 1 };
    for index in 0..state.jobs.len() {
        let job = &state.jobs[index];
        if job.end.is_some() {
            continue;
        }
        let Some((elapsed, hold)) = super::timing::progress(state, job) else { continue };
        match super::timing::phase(elapsed, hold * slow) {
            Phase::Due if !state.faulty(Fault::JobNeverEnds) => {
                if regresses(state, index) {
                    state.jobs[index].status = "INIT";
                    state.jobs[index].regressed = true;
                } else {
                    finish(state, index);
                }
            }
            Phase::Due | Phase::Running => state.jobs[index].status = "RUNNING",
            Phase::Waiting => {}
        }
    }
}

/// Whether job `index`, RUNNING, falls back to INIT now (fault `job-status-regresses`, once).
fn regresses(state: &State, index: usize) -> bool {
    let job = &state.jobs[index];
    state.faulty(Fault::JobStatusRegresses) && job.status == "RUNNING" && !job.regressed
}

/// How many polls a job answers RUNNING under the variant `slow-jobs` (one by default).
pub const SLOW_POLLS: u32 = 4;

/// Whether job `index`, RUNNING, stays RUNNING at this poll (variant `slow-jobs`).
fn lingers(state: &State, index: usize) -> bool {
    state.varies(Variant::SlowJobs) && state.jobs[index].running_polls + 1 < SLOW_POLLS
}

/// A poll of job `index`: advances it one step under `JobPacing::PerPoll`.
pub fn poll(state: &mut State, index: usize) {
    if state.pacing != JobPacing::PerPoll {
        return;
    }
    state.jobs[index].last_poll = state.now();
    match state.jobs[index].status {
        "INIT" => state.jobs[index].status = "RUNNING",
        "RUNNING" if regresses(state, index) => {
            state.jobs[index].status = "INIT";
            state.jobs[index].regressed = true;
        }
        "RUNNING" if lingers(state, index) => state.jobs[index].running_polls += 1,
        "RUNNING" if !state.faulty(Fault::JobNeverEnds) => finish(state, index),
        _ => {}
    }
}

/// The JSON answer of `GET /v1/{project_id}/jobs/{job_id}`.
pub fn render(state: &State, job: &Job) -> Value {
    // Under the fault `job-end-before-begin`, a finished job ends a minute before it began.
    let end = match job.end {
        Some(_) if state.faulty(Fault::JobEndBeforeBegin) => Some(job.begin - 60_000),
        end => end,
    };
    // Under `job-begin-time-drifts` the job seems to have begun a second earlier at every poll
    // (earlier, so that it never begins after its end).
    let begin =
        if state.faulty(Fault::JobBeginTimeDrifts) { job.begin - 1000 * i64::from(job.polls) } else { job.begin };
    // Under `job-status-out-of-enum` statuses are sent in lower case, outside the enumeration.
    let status = if state.faulty(Fault::JobStatusOutOfEnum) { job.status.to_lowercase() } else { job.status.into() };
    let mut entities = Map::new();
    for (key, value) in &job.entities {
        entities.insert((*key).into(), json!(value));
    }
    if job.with_sub_jobs {
        let subs: Vec<Value> = job
            .sub_jobs
            .iter()
            .map(|sub| {
                let (status, code, reason) = match (end, &sub.failure) {
                    (None, _) => (job.status, Value::Null, Value::Null),
                    (Some(_), Some(f)) => ("FAIL", json!(f.code), json!(f.reason)),
                    (Some(_), None) => ("SUCCESS", Value::Null, Value::Null),
                };
                let mut sub_entities = Map::new();
                sub_entities.insert(sub.entity_key.into(), json!(sub.entity_id));
                for (key, value) in &sub.more_entities {
                    sub_entities.insert((*key).into(), json!(value));
                }
                json!({
                    "status": status,
                    "entities": sub_entities,
                    "job_id": sub.id,
                    "job_type": sub.job_type,
                    "begin_time": fmt_job(job.begin),
                    "end_time": end.map(fmt_job),
                    "error_code": code,
                    "fail_reason": reason,
                })
            })
            .collect();
        entities.insert("sub_jobs".into(), Value::Array(subs));
    }
    let (code, reason) = match (&job.end, &job.failure) {
        (Some(_), Some(f)) => (json!(f.code), json!(f.reason)),
        // Under `job-success-with-error` a job that succeeded reports the error of its type.
        (Some(_), None) if state.faulty(Fault::JobSuccessWithError) => {
            let code = failure_code(&job.job_type);
            (json!(code), json!(super::errors::lookup(code).1))
        }
        _ => (Value::Null, Value::Null),
    };
    json!({
        "status": status,
        "entities": entities,
        "job_id": job.id,
        "job_type": job.job_type,
        "begin_time": fmt_job(begin),
        "end_time": end.map(fmt_job),
        "error_code": code,
        "fail_reason": reason,
    })
}

/// Records a pending attachment (kept while the attach job runs, dropped if it fails).
pub fn pending_attachment(state: &mut State, pair_id: &str, instance_id: &str, device: &str) {
    if let Some(p) = state.pair_mut(pair_id) {
        p.attachment = Some(Attachment { instance_id: instance_id.into(), device: device.into() });
    }
}

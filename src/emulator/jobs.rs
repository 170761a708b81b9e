//! The job engine: async jobs go INIT -> RUNNING -> SUCCESS or FAIL, and move resources.
//!
//! A handler builds a [`Job`] with its changes (one per resource: transitional, success and
//! failure outcome), its success [`Effect`]s and its task-center reports, and submits it:
//! the transitional states show at once. Completion (per poll or by the clock) applies the
//! outcomes, the effects on success (the undo on failure), and records failures in the task
//! center. The engine works on the [`Store`](super::store::Store) through its per-kind
//! [`Records`](super::store::Records); the store knows nothing of jobs.

mod effects;
mod failures;
mod render;

pub(super) use effects::pending_attachment;
pub(super) use failures::{injected_failure, parent_failure, unless_retry, Involved};
pub(super) use render::render;

use super::model::{Effect, EndStatus, Failure, FailureJob, Job, Kind};
use super::state::State;
use super::store::Leftovers;
use super::timing::Phase;
use super::{Fault, JobPacing, Variant};

/// A new INIT job of `job_type` about the entity `key = id`, with a fresh job ID.
pub(super) fn job(state: &mut State, job_type: &str, key: &'static str, id: &str) -> Job {
    let job_id = state.job_id();
    Job::new(job_id, state.now(), job_type, key, id)
}

/// Adds a sub job with a fresh job ID to `job` and returns its index.
pub(super) fn add_sub(
    state: &mut State,
    job: &mut Job,
    job_type: &str,
    key: &'static str,
    id: &str,
    failure: Option<Failure>,
) -> usize {
    job.add_sub(state.job_id(), job_type, key, id, failure)
}

/// Sets the transitional states, stores the job and returns its ID.
pub(super) fn submit(state: &mut State, mut job: Job) -> String {
    let now = state.now();
    for change in &mut job.changes {
        let records = state.store.records_mut(change.kind);
        change.previous = records.status_of(&change.id).unwrap_or_default().to_string();
        if let Some(t) = change.transitional {
            records.set_status_of(&change.id, t, now);
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
    let pairs = job.changes.iter().filter(|c| c.kind == Kind::Pair).map(|c| (Kind::Pair.entity(), c.id.clone()));
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
    if key == Kind::Instance.entity() {
        state.store.instance(id).map(|i| ("native_server_id", i.source_server.clone())).into_iter().collect()
    } else if key == Kind::Pair.entity() {
        state
            .store
            .pair(id)
            .map(|p| ("volume_ids", format!("{},{}", p.volume_id, p.dr_volume_id)))
            .into_iter()
            .collect()
    } else {
        Vec::new()
    }
}

/// Ends job `index` now: SUCCESS or FAIL, outcomes, effects (or undo), task-center records.
pub(super) fn finish(state: &mut State, index: usize) {
    let now = state.now();
    let job = state.jobs[index].clone();
    // Reports first: names are read before a failed resource could change.
    let mut records = Vec::new();
    for report in job.reports.iter().filter(|r| job.fails(r.sub)) {
        let (job_id, job_type, failure) = match report.sub.and_then(|i| job.sub_jobs.get(i)) {
            Some(sub) => (&sub.id, &sub.job_type, &sub.failure),
            None => (&job.id, &job.job_type, &job.failure),
        };
        // `fails` said there is one.
        let Some(failure) = failure.clone() else { continue };
        let records_of_kind = state.store.records(report.kind);
        records.push(FailureJob {
            job_id: job_id.clone(),
            resource_id: report.id.clone(),
            resource_name: records_of_kind.name_of(&report.id).unwrap_or_default().to_string(),
            resource_type: report.kind.list_key().into(),
            failure_status: report.failure_status.into(),
            job_type: job_type.clone(),
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
    let succeeded = job.failure.is_none();
    let leftovers =
        Leftovers { shown: state.faulty(Fault::DeletedStillShown), listed: state.faulty(Fault::GhostInLists) };
    for change in &job.changes {
        let outcome = if job.fails(change.sub) { &change.failure } else { &change.success };
        let group_id = group_of(state, change.kind, &change.id);
        let status = match outcome {
            EndStatus::To(s) => s.to_string(),
            EndStatus::Restore => state.store.restore_status(change.kind, &change.previous, &group_id),
            EndStatus::Join => state.store.joined_status(&group_id),
            EndStatus::Gone => {
                state.store.remove(change.kind, &change.id, leftovers, now);
                continue;
            }
        };
        state.store.records_mut(change.kind).set_status_of(&change.id, &status, now);
    }
    let effects = if succeeded { &job.effects } else { &job.undo };
    for effect in effects {
        effects::apply(&mut state.store, effect, now);
    }
    state.failures.extend(records);
    let job = &mut state.jobs[index];
    job.status = if succeeded { "SUCCESS" } else { "FAIL" };
    job.end = Some(now);
}

/// The group a record belongs to (a group change names its group even once it is gone).
fn group_of(state: &State, kind: Kind, id: &str) -> String {
    match kind {
        Kind::Group => id.to_string(),
        _ => state.store.records(kind).group_of(id).unwrap_or_default().to_string(),
    }
}

/// Emulator time (one millisecond per request) after which an unpolled job finishes by itself
/// under `JobPacing::PerPoll`, as a real one would: a client that crashed mid-job must be able to
/// clean up.
pub(super) const ABANDONED_AFTER_MS: i64 = 500;

/// Applies the clock to every unfinished job: `AfterMillis` and `WallClock` pacing, and
/// abandoned `PerPoll` jobs.
pub(super) fn tick(state: &mut State) {
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
pub(super) const SLOW_POLLS: u32 = 4;

/// Whether job `index`, RUNNING, stays RUNNING at this poll (variant `slow-jobs`).
fn lingers(state: &State, index: usize) -> bool {
    state.varies(Variant::SlowJobs) && state.jobs[index].running_polls + 1 < SLOW_POLLS
}

/// A poll of job `index`: advances it one step under `JobPacing::PerPoll`.
pub(super) fn poll(state: &mut State, index: usize) {
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

#[cfg(test)]
mod tests;

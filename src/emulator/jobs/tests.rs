//! The job engine on a bare state: submission, polls, the clock, outcomes, effects, undo, sub
//! jobs and the task center.

use super::*;
use crate::emulator::model::{Attachment, Change, Group, Pair, Report};
use crate::emulator::EmulatorConfig;

fn state_with(config: EmulatorConfig) -> State {
    let mut state = State::new(config);
    state.store.groups.push(group("g1", "available"));
    state
}

fn state() -> State {
    state_with(EmulatorConfig::default())
}

fn group(id: &str, status: &str) -> Group {
    Group {
        id: id.into(),
        name: format!("name-of-{id}"),
        description: None,
        status: status.into(),
        source_az: "az-a".into(),
        target_az: "az-b".into(),
        domain_id: "d".into(),
        domain_name: "dn".into(),
        priority_station: "source".into(),
        source_vpc_id: "vpc".into(),
        dr_type: "migration".into(),
        protected_status: None,
        replication_status: None,
        health_status: None,
        created_at: 0,
        updated_at: 0,
        shown_once: None,
    }
}

fn pair(id: &str, status: &str, volume_id: &str) -> Pair {
    Pair {
        id: id.into(),
        name: format!("name-of-{id}"),
        description: String::new(),
        group_id: "g1".into(),
        volume_id: volume_id.into(),
        dr_volume_id: "dr".into(),
        status: status.into(),
        attachment: None,
        created_at: 0,
        updated_at: 0,
    }
}

/// A start job of group g1: starting, then protected (or error-starting), with flags on success.
fn start_job(state: &mut State, failure: Option<Failure>) -> Job {
    let mut job = job(state, "startProtectionGroupNoCG", "server_group_id", "g1");
    job.failure = failure;
    job.changes.push(Change::new(
        Kind::Group,
        "g1",
        "starting",
        EndStatus::To("protected"),
        EndStatus::To("error-starting"),
    ));
    job.effects.push(Effect::GroupFlags { group_id: "g1".into(), protected: "started", replication: "active" });
    job.undo.push(Effect::SetPriority { group_id: "g1".into(), station: "target".into() });
    job.reports.push(Report {
        kind: Kind::Group,
        id: "g1".into(),
        group_id: "g1".into(),
        failure_status: "startFail",
        sub: None,
    });
    job
}

fn failure() -> Option<Failure> {
    Some(Failure { code: "SDRS.1027", reason: "injected".into() })
}

fn status(state: &State, kind: Kind, id: &str) -> Option<String> {
    state.store.records(kind).status_of(id).map(str::to_string)
}

#[test]
fn a_submitted_job_shows_the_transitional_state_at_once_and_is_stored_as_init() {
    let mut s = state();
    let job = start_job(&mut s, None);
    let id = submit(&mut s, job);
    assert_eq!(status(&s, Kind::Group, "g1").as_deref(), Some("starting"));
    assert_eq!(s.jobs.len(), 1);
    assert_eq!((s.jobs[0].id.as_str(), s.jobs[0].status), (id.as_str(), "INIT"));
    assert_eq!(s.jobs[0].changes[0].previous, "available");
}

#[test]
fn each_poll_advances_one_step_and_success_applies_outcomes_and_effects() {
    let mut s = state();
    let job = start_job(&mut s, None);
    submit(&mut s, job);
    poll(&mut s, 0);
    assert_eq!(s.jobs[0].status, "RUNNING");
    assert_eq!(status(&s, Kind::Group, "g1").as_deref(), Some("starting"));
    poll(&mut s, 0);
    assert_eq!(s.jobs[0].status, "SUCCESS");
    assert!(s.jobs[0].end.is_some());
    let g = s.store.group("g1").unwrap();
    assert_eq!((g.status.as_str(), g.protected_status.as_deref()), ("protected", Some("started")));
    // The undo is not applied on success, and nothing reaches the task center.
    assert_eq!(g.priority_station, "source");
    assert!(s.failures.is_empty());
    poll(&mut s, 0);
    assert_eq!(s.jobs[0].status, "SUCCESS", "a finished job stays finished");
}

#[test]
fn a_failed_job_applies_failure_outcomes_and_undo_and_records_the_task_center() {
    let mut s = state();
    let job = start_job(&mut s, failure());
    submit(&mut s, job);
    poll(&mut s, 0);
    poll(&mut s, 0);
    assert_eq!(s.jobs[0].status, "FAIL");
    let g = s.store.group("g1").unwrap();
    assert_eq!((g.status.as_str(), g.protected_status.as_deref()), ("error-starting", None));
    assert_eq!(g.priority_station, "target", "the undo ran");
    assert_eq!(s.failures.len(), 1);
    let f = &s.failures[0];
    assert_eq!((f.resource_id.as_str(), f.resource_name.as_str()), ("g1", "name-of-g1"));
    assert_eq!((f.resource_type.as_str(), f.failure_status.as_str()), ("server_groups", "startFail"));
    assert_eq!((f.error_code.as_str(), f.job_id.as_str()), ("SDRS.1027", s.jobs[0].id.as_str()));
    assert_eq!(f.server_group_id, "g1");
}

#[test]
fn sub_jobs_decide_their_own_changes_and_reports() {
    let mut s = state();
    s.store.pairs.push(pair("p1", "available", "v1"));
    s.store.pairs.push(pair("p2", "available", "v2"));
    let mut job = job(&mut s, "batch", "server_group_id", "g1");
    for (id, failure) in [("p1", None), ("p2", failure())] {
        let sub = add_sub(&mut s, &mut job, "deleteReplicationPairNoCG", "replication_pair_id", id, failure);
        job.changes.push(
            Change::new(Kind::Pair, id, "deleting", EndStatus::Gone, EndStatus::To("error-deleting")).in_sub(sub),
        );
        job.reports.push(Report {
            kind: Kind::Pair,
            id: id.into(),
            group_id: String::new(),
            failure_status: "deleteFail",
            sub: Some(sub),
        });
    }
    job.failure = parent_failure(&job);
    assert_eq!(job.failure.as_ref().map(|f| f.code), Some("SDRS.0406"));
    submit(&mut s, job);
    assert_eq!(status(&s, Kind::Pair, "p2").as_deref(), Some("deleting"));
    poll(&mut s, 0);
    poll(&mut s, 0);
    assert_eq!(s.jobs[0].status, "FAIL");
    assert_eq!(status(&s, Kind::Pair, "p1"), None, "the sub job that succeeded deleted its pair");
    assert_eq!(status(&s, Kind::Pair, "p2").as_deref(), Some("error-deleting"));
    assert_eq!(s.failures.len(), 1);
    let f = &s.failures[0];
    assert_eq!((f.resource_id.as_str(), f.job_id.as_str()), ("p2", s.jobs[0].sub_jobs[1].id.as_str()));
    assert_eq!(f.server_group_id, "g1", "an empty report group is the record's group");
    let rendered = render(&s, &s.jobs[0]);
    assert_eq!(rendered["entities"]["sub_jobs"][0]["status"], "SUCCESS");
    assert_eq!(rendered["entities"]["sub_jobs"][1]["status"], "FAIL");
    assert_eq!(rendered["entities"]["sub_jobs"][1]["error_code"], "SDRS.1027");
}

#[test]
fn an_abandoned_job_finishes_by_itself_and_a_polled_one_does_not() {
    let mut s = state();
    let job = start_job(&mut s, None);
    submit(&mut s, job);
    s.advance(ABANDONED_AFTER_MS);
    tick(&mut s);
    assert_eq!(s.jobs[0].status, "INIT", "not yet abandoned");
    s.advance(1);
    tick(&mut s);
    assert_eq!(s.jobs[0].status, "SUCCESS");
    assert_eq!(status(&s, Kind::Group, "g1").as_deref(), Some("protected"));
}

#[test]
fn under_job_never_ends_no_poll_and_no_abandonment_finishes_a_job() {
    let mut s = state_with(EmulatorConfig { faults: vec![Fault::JobNeverEnds], ..EmulatorConfig::default() });
    let job = start_job(&mut s, None);
    submit(&mut s, job);
    for _ in 0..5 {
        poll(&mut s, 0);
    }
    s.advance(10 * ABANDONED_AFTER_MS);
    tick(&mut s);
    assert_eq!(s.jobs[0].status, "RUNNING");
    assert_eq!(status(&s, Kind::Group, "g1").as_deref(), Some("starting"));
}

#[test]
fn clock_pacing_runs_at_half_the_delay_and_ends_at_the_delay_whatever_the_polls() {
    let config = EmulatorConfig { jobs: JobPacing::AfterMillis(100), ..EmulatorConfig::default() };
    let mut s = state_with(config);
    let job = start_job(&mut s, None);
    submit(&mut s, job);
    poll(&mut s, 0);
    assert_eq!(s.jobs[0].status, "INIT", "polls do not advance clock-paced jobs");
    s.advance(50);
    tick(&mut s);
    assert_eq!(s.jobs[0].status, "RUNNING");
    s.advance(49);
    tick(&mut s);
    assert_eq!(s.jobs[0].status, "RUNNING");
    s.advance(1);
    tick(&mut s);
    assert_eq!(s.jobs[0].status, "SUCCESS");
}

#[test]
fn a_regressing_job_falls_back_to_init_once() {
    let mut s = state_with(EmulatorConfig { faults: vec![Fault::JobStatusRegresses], ..EmulatorConfig::default() });
    let job = start_job(&mut s, None);
    submit(&mut s, job);
    let seen: Vec<&str> = (0..5)
        .map(|_| {
            poll(&mut s, 0);
            s.jobs[0].status
        })
        .collect();
    assert_eq!(seen, ["RUNNING", "INIT", "RUNNING", "SUCCESS", "SUCCESS"]);
}

#[test]
fn a_deleted_resource_goes_and_an_attach_undo_detaches() {
    let mut s = state();
    s.store.pairs.push(pair("p1", "available", "v1"));
    pending_attachment(&mut s.store, "p1", "i1", "/dev/vdb");
    assert!(s.store.pair("p1").unwrap().attachment.is_some());
    let mut attach = job(&mut s, "attachReplicationPairNew", "protected_instance_id", "i1");
    attach.failure = failure();
    attach.changes.push(Change::new(
        Kind::Pair,
        "p1",
        "attaching",
        EndStatus::Restore,
        EndStatus::To("error-attaching"),
    ));
    attach.undo.push(Effect::Detach { pair_id: "p1".into() });
    submit(&mut s, attach);
    finish(&mut s, 0);
    let p = s.store.pair("p1").unwrap();
    assert_eq!(
        (p.status.as_str(), p.attachment.as_ref().map(|a: &Attachment| a.device.as_str())),
        ("error-attaching", None)
    );
    let mut delete = job(&mut s, "deleteProtectionGroupNoCG", "server_group_id", "g1");
    delete.changes.push(Change::new(Kind::Group, "g1", "deleting", EndStatus::Gone, EndStatus::To("error-deleting")));
    submit(&mut s, delete);
    finish(&mut s, 1);
    assert!(s.store.group("g1").is_none() && s.store.groups.shown("g1").is_none());
}

#[test]
fn under_deleted_still_shown_a_deleted_resource_is_still_shown_as_available() {
    let mut s = state_with(EmulatorConfig { faults: vec![Fault::DeletedStillShown], ..EmulatorConfig::default() });
    let mut delete = job(&mut s, "deleteProtectionGroupNoCG", "server_group_id", "g1");
    delete.changes.push(Change::new(Kind::Group, "g1", "deleting", EndStatus::Gone, EndStatus::To("error-deleting")));
    submit(&mut s, delete);
    finish(&mut s, 0);
    assert!(s.store.group("g1").is_none());
    assert_eq!(s.store.groups.shown("g1").map(|g| g.status.as_str()), Some("available"));
    assert_eq!(s.store.groups.listed().count(), 0, "not listed without ghost-in-lists");
}

//! Why jobs fail: the A.1 code of each job type, the world objects whose `fail_jobs` make a job
//! fail, and the failure of a parent whose sub jobs failed.

use crate::emulator::errors;
use crate::emulator::model::{Failure, Job};
use crate::emulator::state::State;

/// The A.1 code a failed job of this type reports.
pub(super) fn failure_code(job_type: &str) -> &'static str {
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
pub(crate) enum Involved<'a> {
    Vpc(&'a str),
    Server(&'a str),
    Volume(&'a str),
}

/// No injected failure when a delete or detach is retried from its own failure state: `fail_jobs`
/// models a transient fault, so cleanup can always finish (and an `error-…` state stays reachable).
pub(crate) fn unless_retry(
    status: &str,
    failure_state: &str,
    inject: impl FnOnce() -> Option<Failure>,
) -> Option<Failure> {
    if status == failure_state {
        None
    } else {
        inject()
    }
}

/// The failure of a `job_type` job involving `objects`, if any lists the type in `fail_jobs`.
pub(crate) fn injected_failure(state: &State, job_type: &str, objects: &[Involved]) -> Option<Failure> {
    for object in objects {
        let (what, id, listed) = match *object {
            Involved::Vpc(id) => ("VPC", id, state.world.vpc(id).map(|v| &v.fail_jobs)),
            Involved::Server(id) => ("server", id, state.store.server(id).map(|s| &s.fail_jobs)),
            Involved::Volume(id) => ("volume", id, state.store.volume(id).map(|v| &v.fail_jobs)),
        };
        if listed.is_some_and(|l| l.iter().any(|t| t == job_type)) {
            let code = failure_code(job_type);
            let (_, message) = errors::lookup(code);
            return Some(Failure { code, reason: format!("{message} ({what} {id} is set to fail {job_type})") });
        }
    }
    None
}

/// The failure of a parent job whose sub jobs failed (SDRS.0406), if any did.
pub(crate) fn parent_failure(job: &Job) -> Option<Failure> {
    let failed = job.sub_jobs.iter().filter(|s| s.failure.is_some()).count();
    (failed > 0).then(|| Failure {
        code: "SDRS.0406",
        reason: format!("Failed to execute the subjob ({failed} of {} sub jobs failed)", job.sub_jobs.len()),
    })
}

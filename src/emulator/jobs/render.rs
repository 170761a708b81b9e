//! The JSON answer of a job poll, and the faults that bend it (times, statuses, error fields).

use serde_json::{json, Map, Value};

use super::failures::failure_code;
use crate::emulator::errors;
use crate::emulator::model::Job;
use crate::emulator::state::{fmt_job, State};
use crate::emulator::Fault;

/// The JSON answer of `GET /v1/{project_id}/jobs/{job_id}`.
pub(crate) fn render(state: &State, job: &Job) -> Value {
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
            (json!(code), json!(errors::lookup(code).1))
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

//! The task center (5.9.x): list failed jobs, delete one, all group-level ones, or all of a group.

use serde_json::{json, Value};

use super::{count, enum_filter, existing_group, paging, Ctx, Reply};
use crate::emulator::errors::{ApiError, ApiResult, UNKNOWN_JOB};
use crate::emulator::model::FailureJob;
use crate::emulator::state::{fmt_job, State};
use crate::emulator::validate;

const FAILURE_STATUSES: &[&str] = &[
    "createFail",
    "deleteFail",
    "attachFail",
    "detachFail",
    "expandFail",
    "resizeFail",
    "startFail",
    "stopFail",
    "reverseFail",
    "failoverFail",
    "reprotectFail",
];

const RESOURCE_TYPES: &[&str] = &["server_groups", "protected_instances", "replications", "disaster_recovery_drills"];

fn to_json(f: &FailureJob) -> Value {
    json!({
        "job_status": "FAIL",
        "resource_id": f.resource_id,
        "resource_name": f.resource_name,
        "resource_type": f.resource_type,
        "failure_status": f.failure_status,
        "job_id": f.job_id,
        "job_type": f.job_type,
        "begin_time": fmt_job(f.begin_time),
        "error_code": f.error_code,
        "fail_reason": f.fail_reason,
    })
}

/// GET /v1/{project_id}/task-center/failure-jobs
///
/// Without `server_group_id` or `resource_type`, only group-level failures are listed; with
/// `server_group_id`, every failure inside that group.
pub(super) fn list(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let (limit, offset) = paging(state, ctx)?;
    let failure_status = enum_filter(state, ctx, "failure_status", FAILURE_STATUSES, "SDRS.0209")?;
    let resource_type = enum_filter(state, ctx, "resource_type", RESOURCE_TYPES, "SDRS.0201")?;
    let group_id = validate::query(ctx.query, "server_group_id");
    if let Some(g) = group_id {
        if g.trim().is_empty() {
            return Err(ApiError::Sdrs("SDRS.0207"));
        }
        existing_group(state, g)?;
    }
    let name = validate::query(ctx.query, "resource_name");
    let matching: Vec<&FailureJob> = state
        .failures
        .iter()
        .filter(|f| match (group_id, resource_type) {
            (Some(g), _) => f.server_group_id == g,
            (None, Some(_)) => true,
            (None, None) => f.resource_type == "server_groups",
        })
        .filter(|f| resource_type.is_none_or(|t| f.resource_type == t))
        .filter(|f| failure_status.is_none_or(|s| f.failure_status == s))
        .filter(|f| name.is_none_or(|n| validate::fuzzy(&f.resource_name, n)))
        .collect();
    let count = count(state, matching.len());
    let items: Vec<Value> = validate::page(matching, limit, offset).into_iter().map(to_json).collect();
    Ok(Reply::ok(json!({ "failure_jobs": items, "count": count })))
}

/// DELETE /v1/{project_id}/task-center/failure-jobs/{failure_job_id}
pub(super) fn delete_one(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let id = ctx.param(0);
    if !state.failures.iter().any(|f| f.job_id == id) {
        return Err(UNKNOWN_JOB);
    }
    state.failures.retain(|f| f.job_id != id);
    Ok(Reply::no_content())
}

/// DELETE /v1/{project_id}/task-center/failure-jobs/batch
pub(super) fn delete_all(state: &mut State) -> ApiResult<Reply> {
    state.failures.retain(|f| f.resource_type != "server_groups");
    Ok(Reply::no_content())
}

/// DELETE /v1/{project_id}/task-center/{server_group_id}/failure-jobs/batch
pub(super) fn delete_in_group(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let group_id = ctx.param(0).to_string();
    existing_group(state, &group_id)?;
    state.failures.retain(|f| f.server_group_id != group_id);
    Ok(Reply::no_content())
}

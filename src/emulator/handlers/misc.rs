//! Version discovery (5.2.x), jobs (5.1.1), active-active domains (5.3.1), quotas (5.10.1) and
//! the seed-002 DWS endpoint, which has no resource to act on.

use serde_json::{json, Value};

use super::{Ctx, Reply};
use crate::emulator::errors::{ApiError, ApiResult, UNKNOWN_JOB};
use crate::emulator::jobs;
use crate::emulator::state::State;
use crate::emulator::Fault;

fn version(state: &State, ctx: &Ctx) -> Value {
    let status = if state.faulty(Fault::SnapshotDrift) { "SUPPORTED" } else { "CURRENT" };
    json!({
        "id": "v1",
        "links": [{"href": format!("http://{}/v1", ctx.host), "rel": "self"}],
        "version": "",
        "status": status,
        "updated": "2018-05-30T00:00:00Z",
        "min_version": "",
    })
}

/// GET /
pub(super) fn list_versions(state: &State, ctx: &Ctx) -> ApiResult<Reply> {
    Ok(Reply::ok(json!({ "versions": [version(state, ctx)] })))
}

/// GET /{api_version}; only v1 exists (another version: the gateway's 404, as for any
/// unpublished API).
pub(super) fn show_version(state: &State, ctx: &Ctx) -> ApiResult<Reply> {
    if ctx.param(0) == "v1" {
        Ok(Reply::ok(json!({ "version": version(state, ctx) })))
    } else {
        Err(ApiError::no_such_api())
    }
}

/// GET /v1/{project_id}/jobs/{job_id}: a poll (advances the job under `JobPacing::PerPoll`).
pub(super) fn show_job(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let index = state.jobs.iter().position(|j| j.id == ctx.param(0)).ok_or(UNKNOWN_JOB)?;
    state.jobs[index].polls += 1;
    jobs::poll(state, index);
    Ok(Reply::ok(jobs::render(state, &state.jobs[index])))
}

/// GET /v1/{project_id}/active-domains
pub(super) fn active_domains(state: &mut State) -> ApiResult<Reply> {
    let world = &state.world;
    Ok(Reply::ok(json!({
        "domains": [{
            "id": world.domain.id,
            "name": world.domain.name,
            "description": world.domain.description,
            "sold_out": world.domain.sold_out,
            "local_replication_cluster": {"availability_zone": world.availability_zones.source},
            "remote_replication_cluster": {"availability_zone": world.availability_zones.target},
        }]
    })))
}

/// GET /v1/{project_id}/sdrs/quotas
pub(super) fn quotas(state: &mut State) -> ApiResult<Reply> {
    let quotas = &state.world.quotas;
    let counted = !state.faulty(Fault::QuotaNotCounted);
    let used = |n: usize| if counted { n } else { 0 };
    Ok(Reply::ok(json!({
        "quotas": {
            "resources": [
                {"type": "server_groups", "used": used(state.store.groups.len()),
                 "quota": quotas.server_groups, "min": 0, "max": -1},
                {"type": "replications", "used": used(state.store.pairs.len()),
                 "quota": quotas.replications, "min": 0, "max": -1},
            ]
        }
    })))
}

/// POST /v2/{project_id}/disaster-recovery/{disaster_recovery_id}/start: no such resource can
/// exist (seed 002 belongs to the DWS service), so every ID is unknown.
pub(super) fn start_disaster_recovery(ctx: &Ctx) -> ApiResult<Reply> {
    Err(ApiError::Raw(
        404,
        json!({"itemNotFound": {
            "code": "DWS.0404",
            "message": format!(
                "disaster recovery {} not found: the emulator models no DWS disaster-recovery resource",
                ctx.param(0)
            ),
        }}),
    ))
}

//! DR drills (5.7.x): create, delete, list, show, rename.

use serde_json::{json, Value};

use super::resource::{self, Served};
use super::{enum_filter, existing_group, paging, Ctx, Reply};
use crate::emulator::errors::{ApiError, ApiResult};
use crate::emulator::jobs::{self, Involved};
use crate::emulator::model::{Drill, Kind, Report};
use crate::emulator::rules::Rule;
use crate::emulator::state::{fmt_plain, State};
use crate::emulator::store::{Store, Table};
use crate::emulator::validate;
use crate::emulator::Fault;

/// The JSON of a DR drill (table 5-53).
pub(super) fn to_json(state: &State, d: &Drill) -> Value {
    let servers: Vec<Value> = d
        .drill_servers
        .iter()
        .map(|(instance, server)| json!({"protected_instance": instance, "drill_server_id": server}))
        .collect();
    let name = if state.faulty(Fault::NullInNonNullable) { Value::Null } else { json!(d.name) };
    json!({
        "id": d.id,
        "name": name,
        "status": d.status,
        "server_group_id": d.group_id,
        "drill_vpc_id": d.drill_vpc_id,
        "created_at": fmt_plain(d.created_at),
        "updated_at": fmt_plain(d.updated_at),
        "drill_servers": servers,
    })
}

fn existing(state: &State, id: &str) -> ApiResult<Drill> {
    state.store.drill(id).cloned().ok_or(ApiError::Sdrs(Kind::Drill.not_found()))
}

impl Served for Drill {
    fn table(store: &Store) -> &Table<Drill> {
        &store.drills
    }

    fn table_mut(store: &mut Store) -> &mut Table<Drill> {
        &mut store.drills
    }

    fn to_json(state: &State, record: &Drill) -> Value {
        to_json(state, record)
    }
}

fn report(drill: &str, group: &str, failure_status: &'static str) -> Report {
    Report { kind: Kind::Drill, id: drill.to_string(), group_id: group.to_string(), failure_status, sub: None }
}

/// POST /v1/{project_id}/disaster-recovery-drills
pub(super) fn create(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let body = validate::body(ctx.body, true)?;
    let spec = validate::object(&body, "disaster_recovery_drill", "SDRS.0201")?;
    let group_id = validate::non_empty(spec, "server_group_id", "SDRS.0207")?;
    let name = validate::name(spec)?;
    let vpc = validate::opt_string(spec, "drill_vpc_id", "SDRS.0204")?;
    if vpc.as_deref().is_some_and(|v| v.trim().is_empty()) {
        return Err(ApiError::Sdrs("SDRS.0204"));
    }
    let group = existing_group(state, &group_id)?.clone();
    let rule = Rule::named("create_drill");
    rule.require_parent(Kind::Group, &group.status)?;
    let vpc_id = match vpc {
        Some(v) => {
            if v == group.source_vpc_id {
                return Err(ApiError::Sdrs("SDRS.1907"));
            }
            if state.store.drills.iter().any(|d| d.drill_vpc_id == v) {
                return Err(ApiError::Sdrs("SDRS.1921"));
            }
            let Some(drill_vpc) = state.world.vpc(&v) else { return Err(ApiError::Sdrs("SDRS.1928")) };
            subnets_match(state, &group.source_vpc_id, drill_vpc)?;
            v
        }
        None => state.uuid(),
    };
    let instances: Vec<String> =
        state.store.instances.iter().filter(|i| i.group_id == group_id).map(|i| i.id.clone()).collect();
    let drill_servers = instances.into_iter().map(|i| (i, state.uuid())).collect();
    let id = state.uuid();
    let now = state.now();
    state.store.drills.push(Drill {
        id: id.clone(),
        name,
        group_id: group_id.clone(),
        drill_vpc_id: vpc_id.clone(),
        status: rule.transitional().into(),
        drill_servers,
        created_at: now,
        updated_at: now,
    });
    let job_type = rule.job_type();
    let mut job = jobs::job(state, job_type, Kind::Drill.entity(), &id);
    job.failure = jobs::injected_failure(state, job_type, &[Involved::Vpc(&vpc_id)]);
    job.changes.push(rule.change(Kind::Drill, &id));
    job.reports.push(report(&id, &group_id, rule.failure_status()));
    Ok(Reply::job(jobs::submit(state, job)))
}

/// 5.7.1: a drill VPC given by the caller holds a subnet for each CIDR block of the group's VPC
/// (SDRS.1908 when it has no subnet at all, SDRS.1909 when a block is missing).
fn subnets_match(state: &State, group_vpc: &str, drill_vpc: &crate::emulator::world::Vpc) -> ApiResult<()> {
    if drill_vpc.subnets.is_empty() {
        return Err(ApiError::Sdrs("SDRS.1908"));
    }
    let blocks = state.world.vpc(group_vpc).map(|v| v.subnets.as_slice()).unwrap_or_default();
    if blocks.iter().any(|b| !drill_vpc.subnets.iter().any(|s| s.cidr == b.cidr)) {
        return Err(ApiError::Sdrs("SDRS.1909"));
    }
    Ok(())
}

/// DELETE /v1/{project_id}/disaster-recovery-drills/{disaster_recovery_drill_id}
pub(super) fn delete(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let drill = existing(state, ctx.param(0))?;
    let rule = Rule::named("delete_drill");
    rule.require(&drill.status)?;
    let job_type = rule.job_type();
    let mut job = jobs::job(state, job_type, Kind::Drill.entity(), &drill.id);
    job.failure = jobs::unless_retry(&drill.status, rule.failure_state(), || {
        jobs::injected_failure(state, job_type, &[Involved::Vpc(&drill.drill_vpc_id)])
    });
    job.changes.push(rule.change(Kind::Drill, &drill.id));
    job.reports.push(report(&drill.id, &drill.group_id, rule.failure_status()));
    Ok(Reply::job(jobs::submit(state, job)))
}

/// GET /v1/{project_id}/disaster-recovery-drills
pub(super) fn list(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let paging = paging(state, ctx)?;
    let group_id = validate::query(ctx.query, "server_group_id");
    let name = validate::query(ctx.query, "name");
    let status = enum_filter(state, ctx, "status", &Kind::Drill.statuses(), "SDRS.0209")?;
    let vpc = validate::query(ctx.query, "drill_vpc_id");
    resource::list(state, paging, |_, d: &Drill| {
        group_id.is_none_or(|g| d.group_id == g)
            && name.is_none_or(|n| validate::fuzzy(&d.name, n))
            && status.is_none_or(|s| d.status == s)
            && vpc.is_none_or(|v| d.drill_vpc_id == v)
    })
}

/// GET /v1/{project_id}/disaster-recovery-drills/{disaster_recovery_drill_id}
pub(super) fn show(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    resource::show::<Drill>(state, ctx.param(0))
}

/// PUT /v1/{project_id}/disaster-recovery-drills/{disaster_recovery_drill_id}
pub(super) fn update(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    resource::rename::<Drill>(state, ctx)
}

//! Replication pairs (5.6.x): create, delete, list, show, rename, expand.

use serde_json::{json, Value};

use super::resource::{self, Served};
use super::{checked_description, existing_group, existing_pair, paging, Ctx, Reply};
use crate::emulator::errors::{ApiError, ApiResult};
use crate::emulator::jobs::{self, Involved};
use crate::emulator::model::{Effect, Kind, Pair, Report};
use crate::emulator::rules::Rule;
use crate::emulator::state::{fmt_micros, State};
use crate::emulator::store::{Store, Table};
use crate::emulator::validate;
use crate::emulator::Fault;

/// The JSON of a replication pair (table 5-47).
pub(super) fn to_json(state: &State, p: &Pair) -> Value {
    let volume = state.store.volume(&p.volume_id);
    let priority =
        state.store.group(&p.group_id).map(|g| g.priority_station.clone()).unwrap_or_else(|| "source".into());
    let attachment: Vec<Value> =
        p.attachment.iter().map(|a| json!({"device": a.device, "protected_instance": a.instance_id})).collect();
    let replication_status = match p.status.as_str() {
        _ if state.faulty(Fault::EnumOutOfSpec) => "syncing",
        "protected" => "active",
        _ => "inactive",
    };
    json!({
        "id": p.id,
        "name": p.name,
        "description": p.description,
        "replication_model": "hypermetro",
        "status": p.status,
        "progress": if p.status == "creating" { 0 } else { 100 },
        "replication_status": replication_status,
        "attachment": attachment,
        "server_group_id": p.group_id,
        "volume_ids": format!("{},{}", p.volume_id, p.dr_volume_id),
        "priority_station": priority,
        "fault_level": "0",
        "created_at": fmt_micros(p.created_at),
        "updated_at": fmt_micros(p.updated_at),
        "record_metadata": {
            "multiattach": volume.is_some_and(|v| v.multiattach),
            "bootable": volume.is_some_and(|v| v.bootable),
            "volume_size": volume.map(|v| v.size).unwrap_or(0),
            "volume_type": volume.map(|v| v.volume_type.clone()).unwrap_or_else(|| "SSD".into()),
        },
    })
}

impl Served for Pair {
    fn table(store: &Store) -> &Table<Pair> {
        &store.pairs
    }

    fn table_mut(store: &mut Store) -> &mut Table<Pair> {
        &mut store.pairs
    }

    fn to_json(state: &State, record: &Pair) -> Value {
        to_json(state, record)
    }
}

fn report(pair: &str, group: &str, failure_status: &'static str) -> Report {
    Report { kind: Kind::Pair, id: pair.to_string(), group_id: group.to_string(), failure_status, sub: None }
}

/// POST /v1/{project_id}/replications
pub(super) fn create(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let body = validate::body(ctx.body, true)?;
    let spec = validate::object(&body, "replication", "SDRS.0201")?;
    let group_id = validate::non_empty(spec, "server_group_id", "SDRS.0207")?;
    let volume_id = validate::non_empty(spec, "volume_id", "SDRS.0211")?;
    let name = validate::name(spec)?;
    let description = checked_description(state, spec)?;
    validate::opt_string(spec, "cluster_id", "SDRS.0218")?;
    let group = existing_group(state, &group_id)?.clone();
    let rule = Rule::named("create_pair");
    rule.require_parent(Kind::Group, &group.status)?;
    let volume = state.store.volume(&volume_id).cloned().ok_or(ApiError::Sdrs("SDRS.0211"))?;
    if volume.effective_status() != "available" {
        return Err(ApiError::Sdrs("SDRS.1801"));
    }
    if volume.encrypted {
        return Err(ApiError::Sdrs("SDRS.1802"));
    }
    if volume.availability_zone != group.production_az() {
        return Err(ApiError::Sdrs("SDRS.1810"));
    }
    if state.store.pairs.iter().any(|p| p.volume_id == volume_id) {
        return Err(ApiError::Sdrs("SDRS.1811"));
    }
    if state.store.pairs.len() as u64 >= state.world.quotas.replications {
        return Err(ApiError::Sdrs("SDRS.0306"));
    }
    let id = state.uuid();
    let dr_volume_id = state.uuid();
    let now = state.now();
    state.store.pairs.push(Pair {
        id: id.clone(),
        name,
        description: description.unwrap_or_default(),
        group_id: group_id.clone(),
        volume_id: volume_id.clone(),
        dr_volume_id,
        status: rule.transitional().into(),
        attachment: None,
        created_at: now,
        updated_at: now,
    });
    let job_type = rule.job_type();
    let mut job = jobs::job(state, job_type, Kind::Pair.entity(), &id);
    job.failure = jobs::injected_failure(state, job_type, &[Involved::Volume(&volume_id)]);
    if state.faulty(Fault::JobWrongType) {
        job.job_type = Rule::named("delete_pair").job_type().into();
    }
    job.changes.push(rule.change(Kind::Pair, &id));
    job.reports.push(report(&id, &group_id, rule.failure_status()));
    Ok(Reply::job(jobs::submit(state, job)))
}

/// DELETE /v1/{project_id}/replications/{replication_id}
pub(super) fn delete(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let pair = existing_pair(state, ctx.param(0))?.clone();
    let body = validate::body(ctx.body, false)?;
    // Table 5-39 marks `replication` required (INC-35: a DELETE with a body).
    let Some(spec) = body.get("replication") else { return Err(ApiError::Sdrs("SDRS.0201")) };
    {
        let spec = spec.as_object().ok_or(ApiError::Sdrs("SDRS.0201"))?;
        if let Some(g) = validate::opt_string(spec, "server_group_id", "SDRS.0207")? {
            if g != pair.group_id {
                return Err(ApiError::Sdrs("SDRS.1611"));
            }
        }
        validate::opt_bool(spec, "delete_target_volume")?;
    }
    let rule = Rule::named("delete_pair");
    rule.require(&pair.status)?;
    let group = existing_group(state, &pair.group_id)?;
    rule.require_parent(Kind::Group, &group.status)?;
    if pair.attachment.is_some() {
        return Err(ApiError::Sdrs("SDRS.1605"));
    }
    let job_type = rule.job_type();
    let mut job = jobs::job(state, job_type, Kind::Pair.entity(), &pair.id);
    job.failure = jobs::unless_retry(&pair.status, rule.failure_state(), || {
        jobs::injected_failure(state, job_type, &[Involved::Volume(&pair.volume_id)])
    });
    job.changes.push(rule.change(Kind::Pair, &pair.id));
    job.reports.push(report(&pair.id, &pair.group_id, rule.failure_status()));
    Ok(Reply::job(jobs::submit(state, job)))
}

/// GET /v1/{project_id}/replications
pub(super) fn list(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let paging = paging(state, ctx)?;
    let group_id = validate::query(ctx.query, "server_group_id");
    let group_ids = validate::query(ctx.query, "server_group_ids").map(validate::id_list).transpose()?;
    let instance_id = validate::query(ctx.query, "protected_instance_id");
    let instance_ids = validate::query(ctx.query, "protected_instance_ids").map(validate::id_list).transpose()?;
    let attached_to = |p: &Pair, ids: &[String]| p.attachment.as_ref().is_some_and(|a| ids.contains(&a.instance_id));
    resource::list(state, paging, |_, p: &Pair| {
        let in_group = match &group_ids {
            Some(list) => list.contains(&p.group_id),
            None => group_id.is_none_or(|g| p.group_id == g),
        };
        in_group
            && match &instance_ids {
                Some(list) => attached_to(p, list),
                None => instance_id.is_none_or(|i| attached_to(p, &[i.to_string()])),
            }
    })
}

/// GET /v1/{project_id}/replications/{replication_id}
pub(super) fn show(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    resource::show::<Pair>(state, ctx.param(0))
}

/// PUT /v1/{project_id}/replications/{replication_id}
pub(super) fn update(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    resource::rename::<Pair>(state, ctx)
}

/// POST /v1/{project_id}/replications/{replication_id}/action
pub(super) fn expand(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let pair = existing_pair(state, ctx.param(0))?.clone();
    let body = validate::body(ctx.body, true)?;
    let spec = validate::object(&body, "extend-replication", "SDRS.0201")?;
    let new_size = match spec.get("new_size") {
        Some(Value::Number(n)) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
            .ok_or(ApiError::Sdrs("SDRS.0201"))?,
        _ => return Err(ApiError::Sdrs("SDRS.0201")),
    };
    let rule = Rule::named("expand_pair");
    rule.require(&pair.status)?;
    let volume = state.store.volume(&pair.volume_id).cloned().ok_or(ApiError::Sdrs("SDRS.1816"))?;
    if new_size <= volume.size {
        return Err(ApiError::Sdrs("SDRS.0201"));
    }
    let usable = match volume.effective_status() {
        "available" => true,
        "in-use" => !volume.multiattach,
        _ => false,
    };
    if !usable {
        return Err(ApiError::Sdrs("SDRS.1816"));
    }
    let job_type = rule.job_type();
    let mut job = jobs::job(state, job_type, Kind::Pair.entity(), &pair.id);
    job.failure = jobs::injected_failure(state, job_type, &[Involved::Volume(&pair.volume_id)]);
    job.changes.push(rule.change(Kind::Pair, &pair.id));
    job.effects.push(Effect::Expand { pair_id: pair.id.clone(), new_size });
    job.reports.push(report(&pair.id, &pair.group_id, rule.failure_status()));
    Ok(Reply::job(jobs::submit(state, job)))
}

//! Actions on a protected instance (5.5.x): attach and detach a replication pair, add and
//! delete a NIC, resize.

use super::instances::{known_flavor, report, subnet_in_vpc, GROUP_OPEN};
use super::{existing_group, existing_instance, existing_pair, require_state, Ctx, Reply};
use crate::emulator::errors::{ApiError, ApiResult};
use crate::emulator::jobs::{self, Involved};
use crate::emulator::model::{Change, Effect, Group, Instance, Kind, Nic, Outcome, Report};
use crate::emulator::state::State;
use crate::emulator::validate;

const MAX_NICS: usize = 12;

/// POST /v1/{project_id}/protected-instances/{protected_instance_id}/attachreplication
pub(super) fn attach(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let instance = existing_instance(state, ctx.param(0))?.clone();
    let body = validate::body(ctx.body, true)?;
    let spec = validate::object(&body, "replicationAttachment", "SDRS.0201")?;
    let pair_id = validate::non_empty(spec, "replication_id", "SDRS.0213")?;
    let device = validate::non_empty(spec, "device", "SDRS.0201")?;
    let pair = existing_pair(state, &pair_id)?.clone();
    require_state(&pair.status, &["available", "protected"], "SDRS.1601")?;
    let group = existing_group(state, &instance.group_id)?;
    require_state(&group.status, GROUP_OPEN, "SDRS.1024")?;
    require_state(&instance.status, &["available", "protected"], "SDRS.1328")?;
    if pair.attachment.is_some() {
        return Err(ApiError::Sdrs("SDRS.1603"));
    }
    let device_used = state
        .store
        .pairs
        .iter()
        .any(|p| p.attachment.as_ref().is_some_and(|a| a.instance_id == instance.id && a.device == device));
    if device_used {
        return Err(ApiError::Sdrs("SDRS.1603"));
    }
    if pair.group_id != instance.group_id {
        return Err(ApiError::Sdrs("SDRS.1611"));
    }
    let job_type = "attachReplicationPairNew";
    let mut job = jobs::job(state, job_type, "protected_instance_id", &instance.id);
    job.failure = jobs::injected_failure(
        state,
        job_type,
        &[Involved::Volume(&pair.volume_id), Involved::Server(&instance.source_server)],
    );
    job.changes.push(Change::new(Kind::Pair, &pair.id, "attaching", Outcome::Restore, Outcome::To("error-attaching")));
    job.effects.push(Effect::AttachVolume { pair_id: pair.id.clone() });
    job.undo.push(Effect::Detach { pair_id: pair.id.clone() });
    job.reports.push(pair_report(&pair.id, &pair.group_id, "attachFail"));
    jobs::pending_attachment(&mut state.store, &pair.id, &instance.id, &device);
    Ok(Reply::job(jobs::submit(state, job)))
}

fn pair_report(id: &str, group_id: &str, failure_status: &'static str) -> Report {
    Report { kind: Kind::Pair, id: id.to_string(), group_id: group_id.to_string(), failure_status, sub: None }
}

/// DELETE /v1/{project_id}/protected-instances/{protected_instance_id}/detachreplication/{replication_id}
pub(super) fn detach(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let instance = existing_instance(state, ctx.param(0))?.clone();
    let pair = existing_pair(state, ctx.param(1))?.clone();
    require_state(
        &pair.status,
        &[
            "available",
            "protected",
            "failed-over",
            "error-attaching",
            "error-detaching",
            "error-starting",
            "error-stopping",
            "error-reversing",
            "error-failing-over",
            "error-deleting",
            "error-reprotecting",
            "error-extending",
            "invalid",
            "fault",
        ],
        "SDRS.1601",
    )?;
    let group = existing_group(state, &instance.group_id)?;
    require_state(
        &group.status,
        &[
            "available",
            "protected",
            "failed-over",
            "error-starting",
            "error-stopping",
            "error-reversing",
            "error-failing-over",
        ],
        "SDRS.1002",
    )?;
    require_state(
        &instance.status,
        &[
            "available",
            "protected",
            "failed-over",
            "error-starting",
            "error-stopping",
            "error-reversing",
            "error-failing-over",
            "error-deleting",
            "error-reprotecting",
            "error-resizing",
            "invalid",
            "fault",
        ],
        "SDRS.1314",
    )?;
    if pair.attachment.as_ref().is_none_or(|a| a.instance_id != instance.id) {
        return Err(ApiError::Sdrs("SDRS.1604"));
    }
    let job_type = "detachReplicationPairNew";
    let mut job = jobs::job(state, job_type, "protected_instance_id", &instance.id);
    job.failure = jobs::unless_retry(&pair.status, "error-detaching", || {
        jobs::injected_failure(
            state,
            job_type,
            &[Involved::Volume(&pair.volume_id), Involved::Server(&instance.source_server)],
        )
    });
    job.changes.push(Change::new(Kind::Pair, &pair.id, "detaching", Outcome::Restore, Outcome::To("error-detaching")));
    job.effects.push(Effect::Detach { pair_id: pair.id.clone() });
    job.reports.push(pair_report(&pair.id, &pair.group_id, "detachFail"));
    Ok(Reply::job(jobs::submit(state, job)))
}

fn nic_preconditions(state: &State, instance: &Instance) -> ApiResult<Group> {
    require_state(&instance.status, &["available", "protected"], "SDRS.1327")?;
    let group = existing_group(state, &instance.group_id)?;
    require_state(&group.status, GROUP_OPEN, "SDRS.1024")?;
    Ok(group.clone())
}

fn ip_in_use(state: &State, subnet_id: &str, ip: &str) -> bool {
    let world =
        state.store.servers.iter().flat_map(|s| &s.nics).any(|n| n.subnet_id == subnet_id && n.ip_address == ip);
    let added =
        state.store.instances.iter().flat_map(|i| &i.nics).any(|n| n.subnet_id == subnet_id && n.ip_address == ip);
    world || added
}

fn free_ip(state: &State, vpc_id: &str, subnet_id: &str) -> String {
    let cidr = state
        .world
        .vpc(vpc_id)
        .and_then(|v| v.subnets.iter().find(|s| s.id == subnet_id))
        .map(|s| s.cidr.clone())
        .unwrap_or_default();
    let base: Vec<&str> = cidr.split('/').next().unwrap_or("").split('.').collect();
    let prefix =
        if base.len() == 4 { format!("{}.{}.{}.", base[0], base[1], base[2]) } else { "192.168.0.".to_string() };
    (100..=250)
        .map(|n| format!("{prefix}{n}"))
        .find(|ip| !ip_in_use(state, subnet_id, ip))
        .unwrap_or_else(|| format!("{prefix}254"))
}

/// POST /v1/{project_id}/protected-instances/{protected_instance_id}/nic
pub(super) fn add_nic(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let instance = existing_instance(state, ctx.param(0))?.clone();
    let body = validate::body(ctx.body, true)?;
    let subnet_id = validate::non_empty(&body, "subnet_id", "SDRS.0201")?;
    if let Some(groups) = body.get("security_groups") {
        let groups = groups.as_array().ok_or(ApiError::Sdrs("SDRS.0201"))?;
        for g in groups {
            let g = g.as_object().ok_or(ApiError::Sdrs("SDRS.0201"))?;
            validate::non_empty(g, "id", "SDRS.0201")?;
        }
    }
    let ip = validate::opt_string(&body, "ip_address", "SDRS.0219")?;
    if ip.as_deref().is_some_and(|ip| !validate::is_ipv4(ip)) {
        return Err(ApiError::Sdrs("SDRS.0219"));
    }
    let group = nic_preconditions(state, &instance)?;
    subnet_in_vpc(state, &group.source_vpc_id, &subnet_id)?;
    if ip.as_deref().is_some_and(|ip| ip_in_use(state, &subnet_id, ip)) {
        return Err(ApiError::Sdrs("SDRS.1334"));
    }
    if instance.nics.len() >= MAX_NICS {
        return Err(ApiError::Sdrs("SDRS.1340"));
    }
    let ip = ip.unwrap_or_else(|| free_ip(state, &group.source_vpc_id, &subnet_id));
    let nic = Nic { id: state.uuid(), subnet_id, ip_address: ip, primary: false };
    let effect = Effect::AddNic { instance_id: instance.id.clone(), nic };
    Ok(nic_job(state, &instance, "addNicNew", "nic-creating", effect, "createFail"))
}

/// POST /v1/{project_id}/protected-instances/{protected_instance_id}/nic/delete
pub(super) fn delete_nic(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let instance = existing_instance(state, ctx.param(0))?.clone();
    let body = validate::body(ctx.body, true)?;
    let nic_id = validate::non_empty(&body, "nic_id", "SDRS.0223")?;
    nic_preconditions(state, &instance)?;
    let nic = instance.nics.iter().find(|n| n.id == nic_id).ok_or(ApiError::Sdrs("SDRS.1310"))?;
    if nic.primary {
        return Err(ApiError::Sdrs("SDRS.1311"));
    }
    let effect = Effect::DeleteNic { instance_id: instance.id.clone(), nic_id };
    Ok(nic_job(state, &instance, "deleteNicNew", "nic-deleting", effect, "deleteFail"))
}

/// Submits a NIC job: the instance shows `transitional` meanwhile and returns to its state
/// either way; a failure is recorded in the task center as `failure_kind`.
fn nic_job(
    state: &mut State,
    instance: &Instance,
    job_type: &'static str,
    transitional: &'static str,
    effect: Effect,
    failure_kind: &'static str,
) -> Reply {
    let mut job = jobs::job(state, job_type, "protected_instance_id", &instance.id);
    job.failure = jobs::injected_failure(state, job_type, &[Involved::Server(&instance.source_server)]);
    job.changes.push(Change::new(Kind::Instance, &instance.id, transitional, Outcome::Restore, Outcome::Restore));
    job.effects.push(effect);
    job.reports.push(report(&instance.id, &instance.group_id, failure_kind, None));
    Reply::job(jobs::submit(state, job))
}

/// POST /v1/{project_id}/protected-instances/{protected_instance_id}/resize
pub(super) fn resize(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let instance = existing_instance(state, ctx.param(0))?.clone();
    let body = validate::body(ctx.body, true)?;
    let spec = validate::object(&body, "resize", "SDRS.0201")?;
    let both = validate::opt_string(spec, "flavorRef", "SDRS.0201")?;
    let production = validate::opt_string(spec, "production_flavorRef", "SDRS.0201")?;
    let dr = validate::opt_string(spec, "dr_flavorRef", "SDRS.0201")?;
    validate::opt_string(spec, "production_dedicated_host_id", "SDRS.0227")?;
    validate::opt_string(spec, "dr_dedicated_host_id", "SDRS.0227")?;
    let production = production.or_else(|| both.clone());
    let dr = dr.or(both);
    if production.is_none() && dr.is_none() {
        return Err(ApiError::Sdrs("SDRS.0201"));
    }
    known_flavor(state, production.as_deref())?;
    known_flavor(state, dr.as_deref())?;
    require_state(&instance.status, &["available", "protected", "error-resizing"], "SDRS.1328")?;
    let group = existing_group(state, &instance.group_id)?;
    require_state(&group.status, GROUP_OPEN, "SDRS.1024")?;
    let source = state.store.server(&instance.source_server).cloned().ok_or(ApiError::Sdrs("SDRS.1326"))?;
    if production.is_some() && source.status != "SHUTOFF" {
        return Err(ApiError::Sdrs("SDRS.1316"));
    }
    let production_changes = production.as_ref().is_some_and(|f| *f != source.flavor);
    let dr_changes = dr.as_ref().is_some_and(|f| *f != instance.target_flavor);
    if !production_changes && !dr_changes {
        return Err(ApiError::Sdrs("SDRS.1341"));
    }
    let job_type = "resizeProtectedInstanceNew";
    let mut job = jobs::job(state, job_type, "protected_instance_id", &instance.id);
    job.failure = jobs::injected_failure(state, job_type, &[Involved::Server(&instance.source_server)]);
    job.changes.push(Change::new(
        Kind::Instance,
        &instance.id,
        "resizing",
        Outcome::Restore,
        Outcome::To("error-resizing"),
    ));
    job.effects.push(Effect::Resize { instance_id: instance.id.clone(), production, dr });
    job.reports.push(report(&instance.id, &instance.group_id, "resizeFail", None));
    Ok(Reply::job(jobs::submit(state, job)))
}

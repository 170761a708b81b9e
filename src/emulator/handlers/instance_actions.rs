//! Actions on a protected instance (5.5.x): attach and detach a replication pair, add and
//! delete a NIC, resize.

use super::instances::{known_flavor, report, subnet_in_vpc};
use super::{existing_group, existing_instance, existing_pair, Ctx, Reply};
use crate::emulator::errors::{ApiError, ApiResult};
use crate::emulator::jobs::{self, Involved};
use crate::emulator::model::{Effect, Group, Instance, Kind, Nic, Report};
use crate::emulator::rules::Rule;
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
    let rule = Rule::named("attach_pair");
    rule.require(&pair.status)?;
    let group = existing_group(state, &instance.group_id)?;
    rule.require_parent(Kind::Group, &group.status)?;
    rule.require_parent(Kind::Instance, &instance.status)?;
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
    let job_type = rule.job_type();
    let mut job = jobs::job(state, job_type, Kind::Instance.entity(), &instance.id);
    job.failure = jobs::injected_failure(
        state,
        job_type,
        &[Involved::Volume(&pair.volume_id), Involved::Server(&instance.source_server)],
    );
    job.changes.push(rule.change(Kind::Pair, &pair.id));
    job.effects.push(Effect::AttachVolume { pair_id: pair.id.clone() });
    job.undo.push(Effect::Detach { pair_id: pair.id.clone() });
    job.reports.push(pair_report(&pair.id, &pair.group_id, rule.failure_status()));
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
    let rule = Rule::named("detach_pair");
    rule.require(&pair.status)?;
    let group = existing_group(state, &instance.group_id)?;
    rule.require_parent(Kind::Group, &group.status)?;
    rule.require_parent(Kind::Instance, &instance.status)?;
    if pair.attachment.as_ref().is_none_or(|a| a.instance_id != instance.id) {
        return Err(ApiError::Sdrs("SDRS.1604"));
    }
    let job_type = rule.job_type();
    let mut job = jobs::job(state, job_type, Kind::Instance.entity(), &instance.id);
    job.failure = jobs::unless_retry(&pair.status, rule.failure_state(), || {
        jobs::injected_failure(
            state,
            job_type,
            &[Involved::Volume(&pair.volume_id), Involved::Server(&instance.source_server)],
        )
    });
    job.changes.push(rule.change(Kind::Pair, &pair.id));
    job.effects.push(Effect::Detach { pair_id: pair.id.clone() });
    job.reports.push(pair_report(&pair.id, &pair.group_id, rule.failure_status()));
    Ok(Reply::job(jobs::submit(state, job)))
}

fn nic_preconditions(state: &State, rule: Rule, instance: &Instance) -> ApiResult<Group> {
    rule.require(&instance.status)?;
    let group = existing_group(state, &instance.group_id)?;
    rule.require_parent(Kind::Group, &group.status)?;
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
    let rule = Rule::named("add_nic");
    let group = nic_preconditions(state, rule, &instance)?;
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
    Ok(nic_job(state, rule, &instance, effect))
}

/// POST /v1/{project_id}/protected-instances/{protected_instance_id}/nic/delete
pub(super) fn delete_nic(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let instance = existing_instance(state, ctx.param(0))?.clone();
    let body = validate::body(ctx.body, true)?;
    let nic_id = validate::non_empty(&body, "nic_id", "SDRS.0223")?;
    let rule = Rule::named("delete_nic");
    nic_preconditions(state, rule, &instance)?;
    let nic = instance.nics.iter().find(|n| n.id == nic_id).ok_or(ApiError::Sdrs("SDRS.1310"))?;
    if nic.primary {
        return Err(ApiError::Sdrs("SDRS.1311"));
    }
    let effect = Effect::DeleteNic { instance_id: instance.id.clone(), nic_id };
    Ok(nic_job(state, rule, &instance, effect))
}

/// Submits a NIC job: the instance shows the action's transitional state meanwhile and returns to
/// its state either way; a failure is recorded in the task center with the action's failure status.
fn nic_job(state: &mut State, rule: Rule, instance: &Instance, effect: Effect) -> Reply {
    let job_type = rule.job_type();
    let mut job = jobs::job(state, job_type, Kind::Instance.entity(), &instance.id);
    job.failure = jobs::injected_failure(state, job_type, &[Involved::Server(&instance.source_server)]);
    job.changes.push(rule.change(Kind::Instance, &instance.id));
    job.effects.push(effect);
    job.reports.push(report(&instance.id, &instance.group_id, rule.failure_status(), None));
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
    let rule = Rule::named("resize");
    rule.require(&instance.status)?;
    let group = existing_group(state, &instance.group_id)?;
    rule.require_parent(Kind::Group, &group.status)?;
    let source = state.store.server(&instance.source_server).cloned().ok_or(ApiError::Sdrs("SDRS.1326"))?;
    if production.is_some() && source.status != "SHUTOFF" {
        return Err(ApiError::Sdrs("SDRS.1316"));
    }
    let production_changes = production.as_ref().is_some_and(|f| *f != source.flavor);
    let dr_changes = dr.as_ref().is_some_and(|f| *f != instance.target_flavor);
    if !production_changes && !dr_changes {
        return Err(ApiError::Sdrs("SDRS.1341"));
    }
    let job_type = rule.job_type();
    let mut job = jobs::job(state, job_type, Kind::Instance.entity(), &instance.id);
    job.failure = jobs::injected_failure(state, job_type, &[Involved::Server(&instance.source_server)]);
    job.changes.push(rule.change(Kind::Instance, &instance.id));
    job.effects.push(Effect::Resize { instance_id: instance.id.clone(), production, dr });
    job.reports.push(report(&instance.id, &instance.group_id, rule.failure_status(), None));
    Ok(Reply::job(jobs::submit(state, job)))
}

//! Protection groups (5.4.x): create, list, show, rename, delete, and the four actions of
//! `POST .../server-groups/{id}/action` (start or re-protect, stop, failover, reverse).

use serde_json::{json, Value};

use super::resource::{self, Served};
use super::{checked_description, enum_filter, existing_group, paging, Ctx, Reply};
use crate::emulator::errors::{ApiError, ApiResult};
use crate::emulator::jobs::{self, Involved};
use crate::emulator::model::{Effect, Group, Kind, Report};
use crate::emulator::rules::Rule;
use crate::emulator::state::{fmt_plain, State};
use crate::emulator::store::{Store, Table};
use crate::emulator::validate::{self, Object};
use crate::emulator::Fault;

/// The JSON of a group (table 5-11).
pub(super) fn to_json(state: &State, g: &Group) -> Value {
    let instances = state.store.instances.iter().filter(|i| i.group_id == g.id).count();
    let pairs = state.store.pairs.iter().filter(|p| p.group_id == g.id).count();
    let drills = state.store.drills.iter().filter(|d| d.group_id == g.id).count();
    let mut group = json!({
        "id": g.id,
        "name": g.name,
        "description": if state.faulty(Fault::OptionalFieldDropped) { None } else { g.description.as_deref() },
        "status": g.shown_once.as_ref().unwrap_or(&g.status),
        "progress": if g.status == "creating" { 0 } else { 100 },
        "source_availability_zone": g.source_az,
        "target_availability_zone": g.target_az,
        "domain_id": g.domain_id,
        "domain_name": g.domain_name,
        "priority_station": g.priority_station,
        "protected_instance_num": instances,
        "replication_num": pairs,
        "disaster_recovery_drill_num": drills,
        "protected_status": g.protected_status,
        "replication_status": g.replication_status,
        "health_status": g.health_status,
        "source_vpc_id": g.source_vpc_id,
        "target_vpc_id": g.source_vpc_id,
        "test_vpc_id": Value::Null,
        "dr_type": g.dr_type,
        "created_at": fmt_plain(g.created_at),
        "updated_at": fmt_plain(g.updated_at),
        "protection_type": "replication-pair",
        "replication_model": Value::Null,
        "server_type": "ECS",
    });
    if let Some(map) = group.as_object_mut().filter(|_| state.faulty(Fault::MissingRequiredField)) {
        map.remove("domain_name");
    }
    group
}

impl Served for Group {
    fn table(store: &Store) -> &Table<Group> {
        &store.groups
    }

    fn table_mut(store: &mut Store) -> &mut Table<Group> {
        &mut store.groups
    }

    fn to_json(state: &State, record: &Group) -> Value {
        to_json(state, record)
    }

    /// Forgets the statuses shown once, now that these groups were read.
    fn after_read(state: &mut State, ids: &[String]) {
        for g in state.store.groups.iter_mut().filter(|g| ids.contains(&g.id)) {
            g.shown_once = None;
        }
    }
}

/// POST /v1/{project_id}/server-groups
pub(super) fn create(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let body = validate::body(ctx.body, true)?;
    let sg = validate::object(&body, "server_group", "SDRS.0201")?;
    let name = validate::name(sg)?;
    let description = checked_description(state, sg)?;
    let source_az = validate::non_empty(sg, "source_availability_zone", "SDRS.0203")?;
    let target_az = validate::non_empty(sg, "target_availability_zone", "SDRS.0203")?;
    let domain_id = validate::non_empty(sg, "domain_id", "SDRS.0205")?;
    let vpc_id = match sg.get("source_vpc_id") {
        None if state.faulty(Fault::MissingFieldAccepted) => {
            state.world.vpcs.first().map(|v| v.id.clone()).unwrap_or_default()
        }
        _ => validate::non_empty(sg, "source_vpc_id", "SDRS.0204")?,
    };
    let dr_type = validate::opt_string(sg, "dr_type", "SDRS.0217")?.unwrap_or_else(|| "migration".into());
    if dr_type != "migration" {
        return Err(ApiError::Sdrs("SDRS.0217"));
    }
    let zones = &state.world.availability_zones;
    let known = [zones.source.as_str(), zones.target.as_str()];
    if !known.contains(&source_az.as_str()) || !known.contains(&target_az.as_str()) || source_az == target_az {
        return Err(ApiError::Sdrs("SDRS.0203"));
    }
    if domain_id != state.world.domain.id {
        return Err(ApiError::Sdrs("SDRS.0205"));
    }
    if state.world.vpc(&vpc_id).is_none() {
        return Err(ApiError::Sdrs("SDRS.0204"));
    }
    if state.store.groups.len() as u64 >= state.world.quotas.server_groups {
        return Err(ApiError::Sdrs("SDRS.0305"));
    }
    let rule = Rule::named("create_group");
    let id = state.uuid();
    let now = state.now();
    state.store.groups.push(Group {
        id: id.clone(),
        name,
        description,
        status: rule.transitional().into(),
        source_az,
        target_az,
        domain_id,
        domain_name: state.world.domain.name.clone(),
        priority_station: "source".into(),
        source_vpc_id: vpc_id.clone(),
        dr_type,
        protected_status: None,
        replication_status: None,
        health_status: None,
        created_at: now,
        updated_at: now,
        shown_once: None,
    });
    let job_type = rule.job_type();
    let mut job = jobs::job(state, job_type, Kind::Group.entity(), &id);
    job.with_sub_jobs = true;
    job.failure = jobs::injected_failure(state, job_type, &[Involved::Vpc(&vpc_id)]);
    job.changes.push(rule.change(Kind::Group, &id));
    job.reports.push(report(&id, rule.failure_status()));
    Ok(Reply::job(jobs::submit(state, job)))
}

fn report(group_id: &str, failure_status: &'static str) -> Report {
    Report { kind: Kind::Group, id: group_id.to_string(), group_id: group_id.to_string(), failure_status, sub: None }
}

/// GET /v1/{project_id}/server-groups
pub(super) fn list(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let paging = paging(state, ctx)?;
    let status = enum_filter(state, ctx, "status", &Kind::Group.statuses(), "SDRS.0209")?;
    let name = validate::query(ctx.query, "name");
    let query_types = ["", "general", "status_abnormal", "stop_protected", "period_no_dr_drill"];
    let query_type = enum_filter(state, ctx, "query_type", &query_types, "SDRS.0201")?.unwrap_or("");
    let az = validate::query(ctx.query, "availability_zone");
    let groups = &state.store.groups;
    let hidden = groups.last().filter(|_| state.faulty(Fault::CreatedMissingFromList)).map(|g| g.id.clone());
    resource::list(state, paging, |state, g: &Group| {
        hidden.as_ref() != Some(&g.id)
            && status.is_none_or(|s| g.status == s)
            && name.is_none_or(|n| validate::fuzzy(&g.name, n))
            && az.is_none_or(|a| g.production_az() == a)
            && match query_type {
                "status_abnormal" => g.status.starts_with("error"),
                "stop_protected" => g.status == "available",
                "period_no_dr_drill" => !state.store.drills.iter().any(|d| d.group_id == g.id),
                _ => true,
            }
    })
}

/// GET /v1/{project_id}/server-groups/{server_group_id}
pub(super) fn show(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    resource::show::<Group>(state, ctx.param(0))
}

/// PUT /v1/{project_id}/server-groups/{server_group_id}
pub(super) fn update(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    resource::rename::<Group>(state, ctx)
}

/// DELETE /v1/{project_id}/server-groups/{server_group_id}
pub(super) fn delete(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let group = existing_group(state, ctx.param(0))?.clone();
    let rule = Rule::named("delete_group");
    rule.require(&group.status)?;
    let members_checked = !state.faulty(Fault::DeleteGroupWithMembers);
    if members_checked && state.store.instances.iter().any(|i| i.group_id == group.id) {
        return Err(ApiError::Sdrs("SDRS.1001"));
    }
    if members_checked && state.store.pairs.iter().any(|p| p.group_id == group.id) {
        return Err(ApiError::Sdrs("SDRS.1010"));
    }
    if members_checked && state.store.drills.iter().any(|d| d.group_id == group.id) {
        return Err(ApiError::Sdrs("SDRS.1003"));
    }
    let job_type = rule.job_type();
    let mut job = jobs::job(state, job_type, Kind::Group.entity(), &group.id);
    job.with_sub_jobs = true;
    job.failure = jobs::unless_retry(&group.status, rule.failure_state(), || {
        jobs::injected_failure(state, job_type, &[Involved::Vpc(&group.source_vpc_id)])
    });
    job.changes.push(rule.change(Kind::Group, &group.id));
    job.reports.push(report(&group.id, rule.failure_status()));
    Ok(Reply::job(jobs::submit(state, job)))
}

/// The operation each key of an action body names; the actions of an operation, their source
/// states and the states they lead to are in `states.yaml` (start re-protects from failed-over).
pub(in crate::emulator) const ACTION_KEYS: [(&str, &str); 4] = [
    ("start-server-group", "startProtectionGroup"),
    ("stop-server-group", "stopProtectionGroup"),
    ("failover-server-group", "failoverProtectionGroup"),
    ("reverse-server-group", "reverseProtectionGroup"),
];

/// POST /v1/{project_id}/server-groups/{server_group_id}/action
pub(super) fn action(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let group = existing_group(state, ctx.param(0))?.clone();
    let body = validate::body(ctx.body, true)?;
    let (Some((key, value)), 1) = (body.iter().next(), body.len()) else {
        return Err(ApiError::Sdrs("SDRS.0206"));
    };
    let Some((_, operation)) = ACTION_KEYS.iter().find(|(k, _)| k == key) else {
        return Err(ApiError::Sdrs("SDRS.0206"));
    };
    let inner: &Object = value.as_object().ok_or(ApiError::Sdrs("SDRS.0201"))?;
    let station = if key == "reverse-server-group" {
        let s = validate::string(inner, "priority_station", "SDRS.0216")?;
        if s != "source" && s != "target" {
            return Err(ApiError::Sdrs("SDRS.0216"));
        }
        Some(s)
    } else {
        None
    };
    let action = Rule::of_operation(operation, &group.status);
    // Under the fault `action-from-forbidden-state`, failover goes ahead from available: the
    // fault breaks the rule of states.yaml on purpose, so it is written here.
    let forbidden_failover =
        action.name() == "failover" && group.status == "available" && state.faulty(Fault::ActionFromForbiddenState);
    if !forbidden_failover {
        action.require(&group.status)?;
    }
    let pair_ids: Vec<String> =
        state.store.pairs.iter().filter(|p| p.group_id == group.id).map(|p| p.id.clone()).collect();
    if let Some(code) = action.requirement("has_pair").filter(|_| pair_ids.is_empty() && !forbidden_failover) {
        return Err(ApiError::Sdrs(code));
    }
    let members: Vec<_> = state.store.instances.iter().filter(|i| i.group_id == group.id).cloned().collect();
    // 5.4.6: the DR site's servers must be stopped before a re-protect.
    if let Some(code) = action.requirement("dr_servers_stopped") {
        if members.iter().any(|i| state.store.dr_server_status(i) != "SHUTOFF") {
            return Err(ApiError::Sdrs(code));
        }
    }
    if let Some(station) = &station {
        if let Some(code) = action.requirement("production_servers_stopped") {
            if members.iter().any(|i| state.store.production_server_status(i) != "SHUTOFF") {
                return Err(ApiError::Sdrs(code));
            }
        }
        if *station == group.priority_station {
            return Err(ApiError::Sdrs("SDRS.0216"));
        }
    }
    let mut involved = vec![Involved::Vpc(&group.source_vpc_id)];
    involved.extend(members.iter().map(|i| Involved::Server(&i.source_server)));
    let volumes: Vec<String> =
        state.store.pairs.iter().filter(|p| p.group_id == group.id).map(|p| p.volume_id.clone()).collect();
    involved.extend(volumes.iter().map(|v| Involved::Volume(v)));
    let job_type = action.job_type();
    let failure = jobs::injected_failure(state, job_type, &involved);
    let mut job = jobs::job(state, job_type, Kind::Group.entity(), &group.id);
    job.failure = failure.clone();
    job.with_sub_jobs = true;
    for _ in &pair_ids {
        jobs::add_sub(state, &mut job, job_type, Kind::Group.entity(), &group.id, failure.clone());
    }
    let starting = action.name() == "start_protection";
    let mut change = action.change(Kind::Group, &group.id);
    // Under `job-success-with-error-state` a start that succeeds leaves the group in its failure state.
    if starting && state.faulty(Fault::JobSuccessWithErrorState) {
        change.success = action.failure();
    }
    job.changes.push(change);
    if starting && state.faulty(Fault::ForbiddenTransition) {
        job.effects.push(Effect::ShowOnce { group_id: group.id.clone(), status: "failed-over" });
    }
    // Under `stale-member-state` the members are left as they were.
    let cascades = !state.faulty(Fault::StaleMemberState);
    if let Some(cascade) = action.cascade(Kind::Instance).filter(|_| cascades) {
        job.changes.extend(members.iter().filter_map(|i| cascade.change(&i.id, &i.status)));
    }
    if let Some(cascade) = action.cascade(Kind::Pair).filter(|_| cascades) {
        let pairs = state.store.pairs.iter().filter(|p| p.group_id == group.id);
        job.changes.extend(pairs.filter_map(|p| cascade.change(&p.id, &p.status)));
    }
    let group_id = group.id.clone();
    let flags = |protected, replication| Effect::GroupFlags { group_id: group_id.clone(), protected, replication };
    // The runtime flags and the production site are emulator detail that states.yaml does not state.
    match action.name() {
        "start_protection" | "reprotect" => job.effects.push(flags("started", "active")),
        "stop_protection" => job.effects.push(flags("stopped", "active-stopped")),
        "failover" => {
            let flipped = if group.priority_station == "source" { "target" } else { "source" };
            job.effects.push(Effect::SetPriority { group_id: group_id.clone(), station: flipped.into() });
            job.effects.push(flags("stopped", "inactive"));
        }
        _ => job.effects.push(Effect::SetPriority { group_id: group_id.clone(), station: station.unwrap_or_default() }),
    }
    job.reports.push(report(&group.id, action.failure_status()));
    Ok(Reply::job(jobs::submit(state, job)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_key_names_an_operation_with_actions_and_every_matched_name_exists() {
        for (key, operation) in ACTION_KEYS {
            let rule = Rule::of_operation(operation, "available");
            assert_eq!(rule.job_type(), Rule::named(rule.name()).job_type(), "{key}");
        }
        for name in ["start_protection", "reprotect", "stop_protection", "failover", "reverse"] {
            assert_eq!(Rule::named(name).name(), name);
        }
    }
}

//! Protected instances (5.5.x): create (one or a batch), list, show, rename, delete (one or a
//! batch), attach and detach a replication pair, add and delete a NIC, resize.

use serde_json::{json, Value};

use super::{
    checked_description, count, enum_filter, existing_group, existing_instance, existing_pair, paging, require_state,
    Ctx, Reply,
};
use crate::emulator::errors::{ApiError, ApiResult};
use crate::emulator::jobs::{self, Change, Effect, Failure, Involved, Job, Kind, Outcome, Report};
use crate::emulator::state::{fmt_plain, Group, Instance, Nic, State, Tags};
use crate::emulator::validate::{self, Object};
use crate::emulator::Fault;

const STATUSES: &[&str] = &[
    "creating",
    "available",
    "deleting",
    "error-deleting",
    "error",
    "nic-creating",
    "nic-deleting",
    "starting",
    "error-starting",
    "protected",
    "reversing",
    "failing-over",
    "failed-over",
    "reprotecting",
    "stopping",
    "error-stopping",
    "error-reversing",
    "error-failing-over",
    "error-reprotecting",
    "resizing",
    "error-resizing",
    "invalid",
    "fault",
];

const DELETABLE: &[&str] = &[
    "available",
    "protected",
    "failed-over",
    "error",
    "error-starting",
    "error-stopping",
    "error-reversing",
    "error-failing-over",
    "error-deleting",
    "error-reprotecting",
    "error-resizing",
    "invalid",
    "fault",
];

const GROUP_OPEN: &[&str] = &["available", "protected"];
const MAX_NICS: usize = 12;

/// The JSON of a protected instance (table 5-22).
pub fn to_json(state: &State, i: &Instance) -> Value {
    let attachment: Vec<Value> = state
        .pairs
        .iter()
        .filter_map(|p| {
            p.attachment
                .as_ref()
                .filter(|a| a.instance_id == i.id)
                .map(|a| json!({"replication": p.id, "device": a.device}))
        })
        .collect();
    let tags: Vec<Value> = i.tags.iter().map(|(k, v)| json!({"key": k, "value": v})).collect();
    let priority = state.group(&i.group_id).map(|g| g.priority_station.clone()).unwrap_or_else(|| "source".into());
    let progress = if i.status == "creating" { 0 } else { 100 };
    let progress = if state.faulty(Fault::WrongFieldType) { json!(progress.to_string()) } else { json!(progress) };
    let status = match i.status.as_str() {
        "available" if state.faulty(Fault::UnknownStatus) => "paused",
        status => status,
    };
    json!({
        "id": i.id,
        "name": i.name,
        "description": i.description,
        "server_group_id": i.group_id,
        "status": status,
        "progress": progress,
        "source_server": i.source_server,
        "target_server": i.target_server,
        "created_at": fmt_plain(i.created_at),
        "updated_at": fmt_plain(i.updated_at),
        "priority_station": priority,
        "attachment": attachment,
        "tags": tags,
        "metadata": {},
    })
}

fn reply(state: &State, id: &str) -> ApiResult<Reply> {
    let ghost = || state.ghosts.instances.iter().find(|i| i.id == id);
    let instance = existing_instance(state, id).or_else(|e| ghost().ok_or(e))?;
    Ok(Reply::ok(json!({ "protected_instance": to_json(state, instance) })))
}

/// Optional creation fields shared by single and batch create.
fn common_options(map: &Object, state: &State) -> ApiResult<(Option<String>, Tags)> {
    if let Some(t) = validate::opt_string(map, "tenancy", "SDRS.0228")? {
        if t != "shared" && t != "dedicated" {
            return Err(ApiError::Sdrs("SDRS.0228"));
        }
    }
    validate::opt_string(map, "cluster_id", "SDRS.0218")?;
    validate::opt_string(map, "dedicated_host_id", "SDRS.0227")?;
    validate::opt_string(map, "primary_subnet_id", "SDRS.0201")?;
    let flavor = validate::opt_string(map, "flavorRef", "SDRS.0201")?;
    known_flavor(state, flavor.as_deref())?;
    let tags = match map.get("tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => validate::tag_list(v)?,
    };
    Ok((flavor, tags))
}

fn known_flavor(state: &State, flavor: Option<&str>) -> ApiResult<()> {
    match flavor {
        Some(f) if !state.world.flavors.iter().any(|k| k == f) => Err(ApiError::Sdrs("SDRS.0201")),
        _ => Ok(()),
    }
}

/// The checks of a server joining a group, with the code of each refusal.
fn check_server(state: &State, group: &Group, server_id: &str, unknown: &'static str) -> ApiResult<()> {
    let server = state.server(server_id).ok_or(ApiError::Sdrs(unknown))?;
    if server.vpc_id != group.source_vpc_id {
        return Err(ApiError::Sdrs("SDRS.1304"));
    }
    if server.availability_zone != State::production_az(group) {
        return Err(ApiError::Sdrs("SDRS.1303"));
    }
    if state.instances.iter().any(|i| i.source_server == server_id) {
        return Err(ApiError::Sdrs("SDRS.1305"));
    }
    if server.status != "ACTIVE" && server.status != "SHUTOFF" {
        return Err(ApiError::Sdrs("SDRS.1333"));
    }
    Ok(())
}

fn new_instance(
    state: &mut State,
    group_id: &str,
    server_id: &str,
    name: String,
    description: Option<String>,
    flavor: Option<String>,
    tags: Vec<(String, String)>,
) -> String {
    let server = state.server(server_id).cloned().expect("checked server");
    let id = state.uuid();
    let target = state.uuid();
    let now = state.now();
    state.instances.push(Instance {
        id: id.clone(),
        name,
        description,
        group_id: group_id.to_string(),
        status: "creating".into(),
        source_server: server_id.to_string(),
        target_server: target,
        target_flavor: flavor.unwrap_or(server.flavor.clone()),
        tags,
        nics: server
            .nics
            .iter()
            .map(|n| Nic {
                id: n.port_id.clone(),
                subnet_id: n.subnet_id.clone(),
                ip_address: n.ip_address.clone(),
                primary: n.primary,
            })
            .collect(),
        created_at: now,
        updated_at: now,
    });
    id
}

fn creating_change(id: &str) -> Change {
    Change::new(Kind::Instance, id, "creating", Outcome::Join, Outcome::To("error"))
}

fn report(id: &str, group_id: &str, failure_status: &'static str, sub: Option<usize>) -> Report {
    Report { kind: Kind::Instance, id: id.to_string(), group_id: group_id.to_string(), failure_status, sub }
}

/// POST /v1/{project_id}/protected-instances
pub fn create(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let body = validate::body(ctx.body, true)?;
    let pi = validate::object(&body, "protected_instance", "SDRS.0201")?;
    let group_id = validate::non_empty(pi, "server_group_id", "SDRS.0207")?;
    let server_id = validate::non_empty(pi, "server_id", "SDRS.0210")?;
    let name = validate::name(pi)?;
    let description = checked_description(state, pi)?;
    if let Some(ip) = validate::opt_string(pi, "primary_ip_address", "SDRS.0219")? {
        if !validate::is_ipv4(&ip) {
            return Err(ApiError::Sdrs("SDRS.0219"));
        }
    }
    let (flavor, tags) = common_options(pi, state)?;
    let group = existing_group(state, &group_id)?.clone();
    require_state(&group.status, GROUP_OPEN, "SDRS.1024")?;
    check_server(state, &group, &server_id, "SDRS.1326")?;
    // 5.5.1: a server with a shared disk is protected through the batch create only.
    if !state.shared_disk_servers(&server_id).is_empty() {
        return Err(ApiError::Sdrs("SDRS.1408"));
    }
    if let Some(subnet) = validate::opt_string(pi, "primary_subnet_id", "SDRS.0201")? {
        subnet_in_vpc(state, &group.source_vpc_id, &subnet)?;
    }
    let id = new_instance(state, &group_id, &server_id, name, description, flavor, tags);
    let job_type = "createProtectedInstanceNoCG";
    let mut job = Job::new(state, job_type, "protected_instance_id", &id);
    if state.faulty(Fault::JobMissingEntity) {
        job.entities.clear();
    }
    job.failure = jobs::injected_failure(state, job_type, &[Involved::Server(&server_id)]);
    job.changes.push(creating_change(&id));
    job.reports.push(report(&id, &group_id, "createFail", None));
    Ok(Reply::job(jobs::submit(state, job)))
}

fn subnet_in_vpc(state: &State, vpc_id: &str, subnet_id: &str) -> ApiResult<()> {
    let found = state.world.vpc(vpc_id).is_some_and(|v| v.subnets.iter().any(|s| s.id == subnet_id));
    if found {
        Ok(())
    } else {
        Err(ApiError::Sdrs("SDRS.1335"))
    }
}

/// POST /v1/{project_id}/protected-instances/batch
pub fn batch_create(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let body = validate::body(ctx.body, true)?;
    let spec = validate::object(&body, "protected_instances", "SDRS.0201")?;
    let prefix = validate::string(spec, "name_prefix", "SDRS.0202")?;
    if prefix.chars().count() > 59 {
        return Err(ApiError::Sdrs("SDRS.0202"));
    }
    validate::name_within(&prefix, 59 * 3)?;
    let group_id = validate::non_empty(spec, "server_group_id", "SDRS.0207")?;
    if let Some(d) = validate::opt_string(spec, "description", "SDRS.0212")? {
        if d.chars().count() > 64 || d.contains(['<', '>']) {
            return Err(ApiError::Sdrs("SDRS.0212"));
        }
    }
    let servers = spec.get("servers").and_then(Value::as_array).ok_or(ApiError::Sdrs("SDRS.0201"))?;
    if servers.is_empty() {
        return Err(ApiError::Sdrs("SDRS.0201"));
    }
    if servers.len() > 5 {
        return Err(ApiError::Sdrs("SDRS.1362"));
    }
    let mut wanted = Vec::new();
    for item in servers {
        let item = item.as_object().ok_or(ApiError::Sdrs("SDRS.0201"))?;
        let server_id = validate::non_empty(item, "server_id", "SDRS.0210")?;
        let flavor = validate::opt_string(item, "flavorRef", "SDRS.0201")?;
        known_flavor(state, flavor.as_deref())?;
        wanted.push((server_id, flavor));
    }
    let (_, tags) = common_options(spec, state)?;
    let group = existing_group(state, &group_id)?.clone();
    require_state(&group.status, GROUP_OPEN, "SDRS.1024")?;
    for (i, (server_id, _)) in wanted.iter().enumerate() {
        if state.server(server_id).is_none() {
            return Err(ApiError::Sdrs("SDRS.1360"));
        }
        if wanted[..i].iter().any(|(s, _)| s == server_id) {
            return Err(ApiError::Sdrs("SDRS.1361"));
        }
    }
    for (server_id, _) in &wanted {
        check_server(state, &group, server_id, "SDRS.1360")?;
        // 5.5.11: every server a listed server shares a disk with is listed too.
        let sharing = state.shared_disk_servers(server_id);
        if sharing.iter().any(|s| !wanted.iter().any(|(w, _)| w == s)) {
            return Err(ApiError::Sdrs("SDRS.1408"));
        }
    }
    if let Some(subnet) = validate::opt_string(spec, "primary_subnet_id", "SDRS.0201")? {
        subnet_in_vpc(state, &group.source_vpc_id, &subnet)?;
    }
    let mut job = Job::new(state, "batchCreateProtectedInstances", "server_group_id", &group_id);
    job.with_sub_jobs = true;
    let sub_type = "createProtectedInstanceNoCG";
    for (n, (server_id, flavor)) in wanted.into_iter().enumerate() {
        let name = format!("{prefix}-{}", n + 1);
        let id = new_instance(state, &group_id, &server_id, name, None, flavor, tags.clone());
        let failure = jobs::injected_failure(state, sub_type, &[Involved::Server(&server_id)]);
        let sub = job.add_sub(state, sub_type, "protected_instance_id", &id, failure);
        job.changes.push(creating_change(&id).in_sub(sub));
        job.reports.push(report(&id, &group_id, "createFail", Some(sub)));
    }
    job.failure = parent_failure(&job);
    Ok(Reply::accepted(jobs::submit(state, job)))
}

fn parent_failure(job: &Job) -> Option<Failure> {
    let failed = job.sub_jobs.iter().filter(|s| s.failure.is_some()).count();
    (failed > 0).then(|| Failure {
        code: "SDRS.0406",
        reason: format!("Failed to execute the subjob ({failed} of {} sub jobs failed)", job.sub_jobs.len()),
    })
}

/// GET /v1/{project_id}/protected-instances
pub fn list(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let (limit, offset) = paging(state, ctx)?;
    let group_id = validate::query(ctx.query, "server_group_id");
    let group_ids = validate::query(ctx.query, "server_group_ids").map(validate::id_list).transpose()?;
    let ids = validate::query(ctx.query, "protected_instance_ids").map(validate::id_list).transpose()?;
    let status = enum_filter(state, ctx, "status", STATUSES, "SDRS.0209")?;
    let name = validate::query(ctx.query, "name");
    let query_type =
        enum_filter(state, ctx, "query_type", &["", "general", "status_abnormal"], "SDRS.0201")?.unwrap_or("");
    let az = validate::query(ctx.query, "availability_zone");
    let by_group = !state.faulty(Fault::FilterIgnored);
    let matching: Vec<&Instance> = state
        .instances
        .iter()
        .chain(&state.listed_ghosts.instances)
        .filter(|i| match &group_ids {
            _ if !by_group => true,
            Some(list) => list.contains(&i.group_id),
            None => group_id.is_none_or(|g| i.group_id == g),
        })
        .filter(|i| ids.as_ref().is_none_or(|list| list.contains(&i.id)))
        .filter(|i| status.is_none_or(|s| i.status == s))
        .filter(|i| name.is_none_or(|n| validate::fuzzy(&i.name, n)))
        .filter(|i| {
            query_type != "status_abnormal"
                || i.status.starts_with("error")
                || i.status == "invalid"
                || i.status == "fault"
        })
        .filter(|i| az.is_none_or(|a| state.group(&i.group_id).is_some_and(|g| State::production_az(g) == a)))
        .collect();
    let count = count(state, matching.len());
    let items: Vec<Value> = validate::page(matching, limit, offset).into_iter().map(|i| to_json(state, i)).collect();
    Ok(Reply::ok(json!({ "protected_instances": items, "count": count })))
}

/// GET /v1/{project_id}/protected-instances/{protected_instance_id}
pub fn show(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    reply(state, ctx.param(0))
}

/// PUT /v1/{project_id}/protected-instances/{protected_instance_id}
pub fn update(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    existing_instance(state, ctx.param(0))?;
    let name = validate::new_name(ctx.body, "protected_instance")?;
    if state.faulty(Fault::RenameNotKept) {
        let mut renamed = existing_instance(state, ctx.param(0))?.clone();
        renamed.name = name;
        return Ok(Reply::ok(json!({ "protected_instance": to_json(state, &renamed) })));
    }
    let now = state.now();
    let instance = state.instance_mut(ctx.param(0)).expect("checked above");
    instance.name = name;
    instance.updated_at = now;
    reply(state, ctx.param(0))
}

/// DELETE /v1/{project_id}/protected-instances/{protected_instance_id}
pub fn delete(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let instance = existing_instance(state, ctx.param(0))?.clone();
    let body = validate::body(ctx.body, false)?;
    validate::opt_bool(&body, "delete_target_server")?;
    validate::opt_bool(&body, "delete_target_eip")?;
    require_state(&instance.status, DELETABLE, "SDRS.1301")?;
    let job_type = "deleteProtectedInstanceNoCG";
    let mut job = Job::new(state, job_type, "protected_instance_id", &instance.id);
    job.failure = jobs::unless_retry(&instance.status, "error-deleting", || {
        jobs::injected_failure(state, job_type, &[Involved::Server(&instance.source_server)])
    });
    job.changes.push(deleting_change(&instance.id));
    job.reports.push(report(&instance.id, &instance.group_id, "deleteFail", None));
    Ok(Reply::job(jobs::submit(state, job)))
}

fn deleting_change(id: &str) -> Change {
    Change::new(Kind::Instance, id, "deleting", Outcome::Gone, Outcome::To("error-deleting"))
}

/// POST /v1/{project_id}/protected-instances/delete
pub fn batch_delete(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let body = validate::body(ctx.body, true)?;
    let items = body.get("protected_instances").and_then(Value::as_array).ok_or(ApiError::Sdrs("SDRS.0201"))?;
    if items.is_empty() || items.len() > 20 {
        return Err(ApiError::Sdrs("SDRS.0201"));
    }
    validate::opt_bool(&body, "delete_target_server")?;
    validate::opt_bool(&body, "delete_target_eip")?;
    let mut ids = Vec::new();
    for item in items {
        let item = item.as_object().ok_or(ApiError::Sdrs("SDRS.0201"))?;
        ids.push(validate::non_empty(item, "id", "SDRS.0208")?);
    }
    let mut instances = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        let instance = existing_instance(state, id)?.clone();
        if ids[..n].contains(id) {
            return Err(ApiError::Sdrs("SDRS.1363"));
        }
        instances.push(instance);
    }
    let group_id = instances[0].group_id.clone();
    if instances.iter().any(|i| i.group_id != group_id) {
        return Err(ApiError::Sdrs("SDRS.1364"));
    }
    for instance in &instances {
        require_state(&instance.status, DELETABLE, "SDRS.1301")?;
    }
    let mut job = Job::new(state, "batchDeleteProtectedInstances", "server_group_id", &group_id);
    job.with_sub_jobs = true;
    let sub_type = "deleteProtectedInstanceNoCG";
    for instance in &instances {
        let failure = jobs::unless_retry(&instance.status, "error-deleting", || {
            jobs::injected_failure(state, sub_type, &[Involved::Server(&instance.source_server)])
        });
        let sub = job.add_sub(state, sub_type, "protected_instance_id", &instance.id, failure);
        job.changes.push(deleting_change(&instance.id).in_sub(sub));
        job.reports.push(report(&instance.id, &group_id, "deleteFail", Some(sub)));
    }
    job.failure = parent_failure(&job);
    Ok(Reply::accepted(jobs::submit(state, job)))
}

/// POST /v1/{project_id}/protected-instances/{protected_instance_id}/attachreplication
pub fn attach(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
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
    let mut job = Job::new(state, job_type, "protected_instance_id", &instance.id);
    job.failure = jobs::injected_failure(
        state,
        job_type,
        &[Involved::Volume(&pair.volume_id), Involved::Server(&instance.source_server)],
    );
    job.changes.push(Change::new(Kind::Pair, &pair.id, "attaching", Outcome::Restore, Outcome::To("error-attaching")));
    job.effects.push(Effect::AttachVolume { pair_id: pair.id.clone() });
    job.undo.push(Effect::Detach { pair_id: pair.id.clone() });
    job.reports.push(pair_report(&pair.id, &pair.group_id, "attachFail"));
    jobs::pending_attachment(state, &pair.id, &instance.id, &device);
    Ok(Reply::job(jobs::submit(state, job)))
}

fn pair_report(id: &str, group_id: &str, failure_status: &'static str) -> Report {
    Report { kind: Kind::Pair, id: id.to_string(), group_id: group_id.to_string(), failure_status, sub: None }
}

/// DELETE /v1/{project_id}/protected-instances/{protected_instance_id}/detachreplication/{replication_id}
pub fn detach(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
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
    let mut job = Job::new(state, job_type, "protected_instance_id", &instance.id);
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
    let world = state.servers.iter().flat_map(|s| &s.nics).any(|n| n.subnet_id == subnet_id && n.ip_address == ip);
    let added = state.instances.iter().flat_map(|i| &i.nics).any(|n| n.subnet_id == subnet_id && n.ip_address == ip);
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
pub fn add_nic(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
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
pub fn delete_nic(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
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
    let mut job = Job::new(state, job_type, "protected_instance_id", &instance.id);
    job.failure = jobs::injected_failure(state, job_type, &[Involved::Server(&instance.source_server)]);
    job.changes.push(Change::new(Kind::Instance, &instance.id, transitional, Outcome::Restore, Outcome::Restore));
    job.effects.push(effect);
    job.reports.push(report(&instance.id, &instance.group_id, failure_kind, None));
    Reply::job(jobs::submit(state, job))
}

/// POST /v1/{project_id}/protected-instances/{protected_instance_id}/resize
pub fn resize(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
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
    let source = state.server(&instance.source_server).cloned().ok_or(ApiError::Sdrs("SDRS.1326"))?;
    if production.is_some() && source.status != "SHUTOFF" {
        return Err(ApiError::Sdrs("SDRS.1316"));
    }
    let production_changes = production.as_ref().is_some_and(|f| *f != source.flavor);
    let dr_changes = dr.as_ref().is_some_and(|f| *f != instance.target_flavor);
    if !production_changes && !dr_changes {
        return Err(ApiError::Sdrs("SDRS.1341"));
    }
    let job_type = "resizeProtectedInstanceNew";
    let mut job = Job::new(state, job_type, "protected_instance_id", &instance.id);
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

//! Protected instances (5.5.x): create (one or a batch), list, show, rename, delete (one or a
//! batch). Their actions (pairs, NICs, resize) are in `instance_actions`.

use serde_json::{json, Value};

use super::resource::{self, Served};
use super::{checked_description, enum_filter, existing_group, existing_instance, paging, Ctx, Reply};
use crate::emulator::errors::{ApiError, ApiResult};
use crate::emulator::jobs::{self, Involved};
use crate::emulator::model::{Group, Instance, Kind, Nic, Report, Tags};
use crate::emulator::rules::Rule;
use crate::emulator::state::{fmt_plain, State};
use crate::emulator::store::{Store, Table};
use crate::emulator::validate::{self, Object};
use crate::emulator::Fault;

/// The JSON of a protected instance (table 5-22).
pub(super) fn to_json(state: &State, i: &Instance) -> Value {
    let attachment: Vec<Value> = state
        .store
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
    let priority =
        state.store.group(&i.group_id).map(|g| g.priority_station.clone()).unwrap_or_else(|| "source".into());
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

impl Served for Instance {
    fn table(store: &Store) -> &Table<Instance> {
        &store.instances
    }

    fn table_mut(store: &mut Store) -> &mut Table<Instance> {
        &mut store.instances
    }

    fn to_json(state: &State, record: &Instance) -> Value {
        to_json(state, record)
    }
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

pub(super) fn known_flavor(state: &State, flavor: Option<&str>) -> ApiResult<()> {
    match flavor {
        Some(f) if !state.world.flavors.iter().any(|k| k == f) => Err(ApiError::Sdrs("SDRS.0201")),
        _ => Ok(()),
    }
}

/// The checks of a server joining a group, with the code of each refusal.
fn check_server(state: &State, group: &Group, server_id: &str, unknown: &'static str) -> ApiResult<()> {
    let server = state.store.server(server_id).ok_or(ApiError::Sdrs(unknown))?;
    if server.vpc_id != group.source_vpc_id {
        return Err(ApiError::Sdrs("SDRS.1304"));
    }
    if server.availability_zone != group.production_az() {
        return Err(ApiError::Sdrs("SDRS.1303"));
    }
    if state.store.instances.iter().any(|i| i.source_server == server_id) {
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
) -> ApiResult<String> {
    let server = state.store.server(server_id).cloned().ok_or(ApiError::Sdrs("SDRS.1326"))?;
    let id = state.uuid();
    let target = state.uuid();
    let now = state.now();
    state.store.instances.push(Instance {
        id: id.clone(),
        name,
        description,
        group_id: group_id.to_string(),
        status: Rule::named("create_instance").transitional().into(),
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
    Ok(id)
}

pub(super) fn report(id: &str, group_id: &str, failure_status: &'static str, sub: Option<usize>) -> Report {
    Report { kind: Kind::Instance, id: id.to_string(), group_id: group_id.to_string(), failure_status, sub }
}

/// POST /v1/{project_id}/protected-instances
pub(super) fn create(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
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
    let rule = Rule::named("create_instance");
    rule.require_parent(Kind::Group, &group.status)?;
    check_server(state, &group, &server_id, "SDRS.1326")?;
    // 5.5.1: a server with a shared disk is protected through the batch create only.
    if !state.store.shared_disk_servers(&server_id).is_empty() {
        return Err(ApiError::Sdrs("SDRS.1408"));
    }
    if let Some(subnet) = validate::opt_string(pi, "primary_subnet_id", "SDRS.0201")? {
        subnet_in_vpc(state, &group.source_vpc_id, &subnet)?;
    }
    let id = new_instance(state, &group_id, &server_id, name, description, flavor, tags)?;
    let job_type = rule.job_type();
    let mut job = jobs::job(state, job_type, Kind::Instance.entity(), &id);
    if state.faulty(Fault::JobMissingEntity) {
        job.entities.clear();
    }
    job.failure = jobs::injected_failure(state, job_type, &[Involved::Server(&server_id)]);
    job.changes.push(rule.change(Kind::Instance, &id));
    job.reports.push(report(&id, &group_id, rule.failure_status(), None));
    Ok(Reply::job(jobs::submit(state, job)))
}

pub(super) fn subnet_in_vpc(state: &State, vpc_id: &str, subnet_id: &str) -> ApiResult<()> {
    let found = state.world.vpc(vpc_id).is_some_and(|v| v.subnets.iter().any(|s| s.id == subnet_id));
    if found {
        Ok(())
    } else {
        Err(ApiError::Sdrs("SDRS.1335"))
    }
}

/// POST /v1/{project_id}/protected-instances/batch
pub(super) fn batch_create(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
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
    let rule = Rule::named("batch_create_instances");
    rule.require_parent(Kind::Group, &group.status)?;
    for (i, (server_id, _)) in wanted.iter().enumerate() {
        if state.store.server(server_id).is_none() {
            return Err(ApiError::Sdrs("SDRS.1360"));
        }
        if wanted[..i].iter().any(|(s, _)| s == server_id) {
            return Err(ApiError::Sdrs("SDRS.1361"));
        }
    }
    for (server_id, _) in &wanted {
        check_server(state, &group, server_id, "SDRS.1360")?;
        // 5.5.11: every server a listed server shares a disk with is listed too.
        let sharing = state.store.shared_disk_servers(server_id);
        if sharing.iter().any(|s| !wanted.iter().any(|(w, _)| w == s)) {
            return Err(ApiError::Sdrs("SDRS.1408"));
        }
    }
    if let Some(subnet) = validate::opt_string(spec, "primary_subnet_id", "SDRS.0201")? {
        subnet_in_vpc(state, &group.source_vpc_id, &subnet)?;
    }
    // states.yaml documents no job type for a batch (INC-38): the type of its job is the emulator's.
    let mut job = jobs::job(state, "batchCreateProtectedInstances", Kind::Group.entity(), &group_id);
    job.with_sub_jobs = true;
    let sub_type = Rule::named("create_instance").job_type();
    for (n, (server_id, flavor)) in wanted.into_iter().enumerate() {
        let name = format!("{prefix}-{}", n + 1);
        let id = new_instance(state, &group_id, &server_id, name, None, flavor, tags.clone())?;
        let failure = jobs::injected_failure(state, sub_type, &[Involved::Server(&server_id)]);
        let sub = jobs::add_sub(state, &mut job, sub_type, Kind::Instance.entity(), &id, failure);
        job.changes.push(rule.change(Kind::Instance, &id).in_sub(sub));
        job.reports.push(report(&id, &group_id, rule.failure_status(), Some(sub)));
    }
    job.failure = jobs::parent_failure(&job);
    Ok(Reply::accepted(jobs::submit(state, job)))
}

/// GET /v1/{project_id}/protected-instances
pub(super) fn list(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let paging = paging(state, ctx)?;
    let group_id = validate::query(ctx.query, "server_group_id");
    let group_ids = validate::query(ctx.query, "server_group_ids").map(validate::id_list).transpose()?;
    let ids = validate::query(ctx.query, "protected_instance_ids").map(validate::id_list).transpose()?;
    let status = enum_filter(state, ctx, "status", &Kind::Instance.statuses(), "SDRS.0209")?;
    let name = validate::query(ctx.query, "name");
    let query_type =
        enum_filter(state, ctx, "query_type", &["", "general", "status_abnormal"], "SDRS.0201")?.unwrap_or("");
    let az = validate::query(ctx.query, "availability_zone");
    let by_group = !state.faulty(Fault::FilterIgnored);
    resource::list(state, paging, |state, i: &Instance| {
        let in_group = match &group_ids {
            _ if !by_group => true,
            Some(list) => list.contains(&i.group_id),
            None => group_id.is_none_or(|g| i.group_id == g),
        };
        let abnormal = i.status.starts_with("error") || i.status == "invalid" || i.status == "fault";
        in_group
            && ids.as_ref().is_none_or(|list| list.contains(&i.id))
            && status.is_none_or(|s| i.status == s)
            && name.is_none_or(|n| validate::fuzzy(&i.name, n))
            && (query_type != "status_abnormal" || abnormal)
            && az.is_none_or(|a| state.store.group(&i.group_id).is_some_and(|g| g.production_az() == a))
    })
}

/// GET /v1/{project_id}/protected-instances/{protected_instance_id}
pub(super) fn show(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    resource::show::<Instance>(state, ctx.param(0))
}

/// PUT /v1/{project_id}/protected-instances/{protected_instance_id}
pub(super) fn update(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    resource::rename::<Instance>(state, ctx)
}

/// DELETE /v1/{project_id}/protected-instances/{protected_instance_id}
pub(super) fn delete(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
    let instance = existing_instance(state, ctx.param(0))?.clone();
    let body = validate::body(ctx.body, false)?;
    validate::opt_bool(&body, "delete_target_server")?;
    validate::opt_bool(&body, "delete_target_eip")?;
    let rule = Rule::named("delete_instance");
    rule.require(&instance.status)?;
    let job_type = rule.job_type();
    let mut job = jobs::job(state, job_type, Kind::Instance.entity(), &instance.id);
    job.failure = jobs::unless_retry(&instance.status, rule.failure_state(), || {
        jobs::injected_failure(state, job_type, &[Involved::Server(&instance.source_server)])
    });
    job.changes.push(rule.change(Kind::Instance, &instance.id));
    job.reports.push(report(&instance.id, &instance.group_id, rule.failure_status(), None));
    Ok(Reply::job(jobs::submit(state, job)))
}

/// POST /v1/{project_id}/protected-instances/delete
pub(super) fn batch_delete(state: &mut State, ctx: &Ctx) -> ApiResult<Reply> {
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
    let rule = Rule::named("batch_delete_instances");
    for instance in &instances {
        rule.require(&instance.status)?;
    }
    // states.yaml documents no job type for a batch (INC-38): the type of its job is the emulator's.
    let mut job = jobs::job(state, "batchDeleteProtectedInstances", Kind::Group.entity(), &group_id);
    job.with_sub_jobs = true;
    let sub_type = Rule::named("delete_instance").job_type();
    for instance in &instances {
        let failure = jobs::unless_retry(&instance.status, rule.failure_state(), || {
            jobs::injected_failure(state, sub_type, &[Involved::Server(&instance.source_server)])
        });
        let sub = jobs::add_sub(state, &mut job, sub_type, Kind::Instance.entity(), &instance.id, failure);
        job.changes.push(rule.change(Kind::Instance, &instance.id).in_sub(sub));
        job.reports.push(report(&instance.id, &group_id, rule.failure_status(), Some(sub)));
    }
    job.failure = jobs::parent_failure(&job);
    Ok(Reply::accepted(jobs::submit(state, job)))
}

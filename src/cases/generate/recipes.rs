//! How to call each operation successfully: the setup it needs and a valid request.
//!
//! This is the one place that knows, per operation, which resources must exist first; every
//! generated case (positive, negative, not-found, auth) starts from these recipes.

use crate::cases::build::Res;
use crate::cases::build::{group_action_body, job, path, request, Builder};
use crate::cases::model::{Expect, JobOutcome, ReadBack, RequestStep};
use serde_json::{json, Value};

/// The shared read-only fixture's variables (see [`fixture`]).
pub const FIXTURE: &str = "base";

/// A valid call of one operation.
#[derive(Debug, Clone)]
pub struct Recipe {
    /// Setup steps and needs.
    pub builder: Builder,
    /// Whether the request reads the shared fixture.
    pub uses_fixture: bool,
    /// The request under test.
    pub test: RequestStep,
    /// Whether its answer is deterministic enough to snapshot.
    pub snapshot: bool,
    /// Why the operation cannot be called successfully at all.
    pub skip: Option<String>,
    /// Extra tags (such as `destructive`).
    pub tags: Vec<&'static str>,
    /// What the positive case reads back after the request (and its job) succeeded.
    pub read_back: Option<ReadBack>,
    /// Quota resource types (`server_groups`, `replications`) whose `used` the positive case
    /// moves, and by how much; such a case runs alone.
    pub quota: Vec<(&'static str, i64)>,
}

fn simple(test: RequestStep, uses_fixture: bool, snapshot: bool) -> Recipe {
    Recipe {
        builder: Builder::new(),
        uses_fixture,
        test,
        snapshot,
        skip: None,
        tags: Vec::new(),
        read_back: None,
        quota: Vec::new(),
    }
}

fn with(builder: Builder, test: RequestStep, snapshot: bool) -> Recipe {
    Recipe { uses_fixture: false, ..simple(test, false, snapshot) }.with_builder(builder)
}

impl Recipe {
    fn with_builder(mut self, builder: Builder) -> Recipe {
        self.builder = builder;
        self
    }

    /// Reads the resource of `kind` back after the request, expecting `fields` (pointers inside it).
    fn reading(mut self, kind: &str, id: &str, fields: &[(&str, Value)]) -> Recipe {
        self.read_back = Some(ReadBack {
            kind: kind.to_owned(),
            id: id.to_owned(),
            fields: fields.iter().map(|(p, v)| ((*p).to_owned(), v.clone())).collect(),
        });
        self
    }

    fn counting(mut self, quota: &[(&'static str, i64)]) -> Recipe {
        self.quota = quota.to_vec();
        self
    }
}

/// The quota `used` counts before a counted request, captured as `quota.<type>`.
pub fn read_quotas(quota: &[(&'static str, i64)]) -> RequestStep {
    let mut r = request("read the quotas before", "showQuotas");
    r.setup = true;
    for (kind, _) in quota {
        r.capture.insert(format!("quota.{kind}"), format!("/quotas/resources/?type={kind}/used"));
    }
    r
}

/// The quota `used` counts after a counted request: moved by exactly its own creations and deletions.
pub fn quotas_moved(quota: &[(&'static str, i64)]) -> RequestStep {
    let mut r = request("the quotas count the change", "showQuotas");
    let mut expect = Expect::default();
    for (kind, delta) in quota {
        // `${v+-1}` subtracts: the template adds a signed integer.
        expect
            .fields
            .insert(format!("/quotas/resources/?type={kind}/used"), json!(format!("${{quota.{kind}+{delta}}}")));
    }
    r.expect = expect;
    r
}

/// Optional fields of a protection-group creation, each unlike its default.
fn group_options(step: &mut RequestStep) {
    if let Some(sg) = step.body.as_mut().and_then(|b| b.get_mut("server_group")).and_then(Value::as_object_mut) {
        sg.insert("description".into(), json!("sct group: round trip"));
        sg.insert("dr_type".into(), json!("migration"));
    }
}

/// The fields a protection-group creation sent, as the group shows them.
fn group_fields(step: &RequestStep) -> Vec<(&'static str, Value)> {
    let sg = step.body.as_ref().and_then(|b| b.get("server_group")).cloned().unwrap_or(Value::Null);
    [
        "name",
        "description",
        "source_availability_zone",
        "target_availability_zone",
        "domain_id",
        "source_vpc_id",
        "dr_type",
    ]
    .into_iter()
    .map(|k| (k, sg.get(k).cloned().unwrap_or(Value::Null)))
    .collect()
}

fn pointers(fields: Vec<(&'static str, Value)>) -> Vec<(String, Value)> {
    fields.into_iter().map(|(k, v)| (format!("/{k}"), v)).collect()
}

fn read(rec: Recipe, resource: &str, res: &Res, fields: Vec<(String, Value)>) -> Recipe {
    let fields: Vec<(&str, Value)> = fields.iter().map(|(p, v)| (p.as_str(), v.clone())).collect();
    rec.reading(resource, &res.id(), &fields)
}

fn get(name: &str, op: &str, params: &[(&str, &str)]) -> RequestStep {
    let mut r = request(name, op);
    r.path = path(params);
    r
}

/// The shared fixture: a group with a pair attached to an instance (tagged `k1=v1`) and a drill.
/// It stays `available` and is only read by the cases that use it.
pub fn fixture() -> Builder {
    let mut b = Builder::new();
    let g = b.group();
    if let Some(crate::cases::model::Step::Request(r)) = b.steps.last_mut() {
        r.capture.insert("fixture.job".into(), "/job_id".into());
    }
    let p = b.pair(&g);
    let i = b.instance(&g);
    b.attach(&i, &p, "/dev/vda", JobOutcome::Success);
    b.tag(&i, "k1", "v1");
    let d = b.drill(&g);
    let mut names = request("read the fixture names", "showProtectedInstance");
    names.path = path(&[("protected_instance_id", &i.id())]);
    names.capture.insert("fixture.instance_name".into(), "/protected_instance/name".into());
    b.push(names);
    for (op, param, id, var, pointer) in [
        ("showProtectionGroup", "server_group_id", g.id(), "fixture.group_name", "/server_group/name"),
        ("showReplicationPair", "replication_id", p.id(), "fixture.pair_name", "/replication/name"),
        ("showDrDrill", "disaster_recovery_drill_id", d.id(), "fixture.drill_name", "/disaster_recovery_drill/name"),
    ] {
        let mut read = request(&format!("read the fixture's {var}"), op);
        read.path = path(&[(param, &id)]);
        read.capture.insert(var.into(), pointer.into());
        b.push(read);
    }
    // Expose the ids under stable names.
    for (from, to) in
        [(&g.var, "fixture.group"), (&p.var, "fixture.pair"), (&i.var, "fixture.instance"), (&d.var, "fixture.drill")]
    {
        b.steps.iter_mut().for_each(|s| {
            if let crate::cases::model::Step::Request(r) = s {
                if let Some(job) = r.job.as_mut() {
                    if let Some(entity) = job.capture.remove(from.as_str()) {
                        job.capture.insert(from.clone(), entity.clone());
                        job.capture.insert(to.to_owned(), entity);
                    }
                }
            }
        });
    }
    b
}

/// The recipe of `operation`.
pub fn recipe(operation: &str) -> Recipe {
    let fx_group = "${fixture.group}";
    let fx_instance = "${fixture.instance}";
    match operation {
        "showJobStatus" => simple(get("show a job", operation, &[("job_id", "${fixture.job}")]), true, false),
        "listApiVersions" => simple(request("list API versions", operation), false, true),
        "showApiVersion" => simple(get("show API version v1", operation, &[("api_version", "v1")]), false, true),
        "showActiveDomains" => simple(request("list active-active domains", operation), false, true),
        "createProtectionGroup" => {
            let mut b = Builder::new();
            let g = b.group();
            let mut test = b.take_last();
            group_options(&mut test);
            let fields = pointers(group_fields(&test));
            read(with(b, test, true), "server_group", &g, fields).counting(&[("server_groups", 1)])
        }
        "listProtectionGroups" => {
            let mut r = request("list protection groups", operation);
            r.query.insert("limit".into(), json!(1000));
            simple(r, true, false)
        }
        "showProtectionGroup" => simple(get("show the group", operation, &[("server_group_id", fx_group)]), true, true),
        "updateProtectionGroupName" => {
            let mut b = Builder::new();
            let g = b.group();
            rename(b, &g, operation, "server_group_id", "server_group", "server_group")
        }
        "deleteProtectionGroup" => {
            let mut b = Builder::new();
            let g = b.group();
            let mut r = get("delete the group", operation, &[("server_group_id", &g.id())]);
            r.job = job(JobOutcome::Success, &[]);
            with(b, r, true).counting(&[("server_groups", -1)])
        }
        "startProtectionGroup" | "stopProtectionGroup" | "failoverProtectionGroup" | "reverseProtectionGroup" => {
            group_action(operation)
        }
        "createProtectedInstance" => {
            let mut b = Builder::new();
            let g = b.group();
            let i = b.instance(&g);
            let mut test = b.take_last();
            let tags = json!([{"key": "env", "value": "test"}, {"key": "team", "value": ""}]);
            let mut fields = Vec::new();
            if let Some(pi) = test.body.as_mut().and_then(|b| b.get_mut("protected_instance")) {
                pi["description"] = json!("sct instance: round trip");
                pi["flavorRef"] = json!("${flavor.1}");
                pi["tags"] = tags.clone();
                fields = vec![
                    ("/name".to_owned(), pi["name"].clone()),
                    ("/description".to_owned(), pi["description"].clone()),
                    ("/server_group_id".to_owned(), pi["server_group_id"].clone()),
                    ("/source_server".to_owned(), pi["server_id"].clone()),
                    ("/tags".to_owned(), tags),
                ];
            }
            read(with(b, test, true), "protected_instance", &i, fields)
        }
        "deleteProtectedInstance" => {
            let mut b = Builder::new();
            let g = b.group();
            let i = b.instance(&g);
            let mut r = get("delete the instance", operation, &[("protected_instance_id", &i.id())]);
            r.body = Some(json!({"delete_target_server": true, "delete_target_eip": true}));
            r.job = job(JobOutcome::Success, &[]);
            with(b, r, true)
        }
        "listProtectedInstances" => {
            let mut r = request("list the group's instances", operation);
            r.query.insert("server_group_id".into(), json!(fx_group));
            simple(r, true, true)
        }
        "showProtectedInstance" => {
            simple(get("show the instance", operation, &[("protected_instance_id", fx_instance)]), true, true)
        }
        "updateProtectedInstanceName" => {
            let mut b = Builder::new();
            let g = b.group();
            let i = b.instance(&g);
            rename(b, &i, operation, "protected_instance_id", "protected_instance", "protected_instance")
        }
        "attachReplicationPair" => {
            let mut b = Builder::new();
            let g = b.group();
            let p = b.pair(&g);
            let i = b.instance(&g);
            b.attach(&i, &p, "/dev/vda", JobOutcome::Success);
            let test = b.take_last();
            with(b, test, true)
        }
        "detachReplicationPair" => {
            let mut b = Builder::new();
            let (_, p, i) = b.full_group();
            b.detach(&i, &p, JobOutcome::Success);
            let test = b.take_last();
            with(b, test, true)
        }
        "addProtectedInstanceNic" => {
            let mut b = Builder::new();
            let g = b.group();
            let i = b.instance(&g);
            let mut r = get("add a NIC", operation, &[("protected_instance_id", &i.id())]);
            r.body = Some(json!({"subnet_id": "${subnet.1}"}));
            r.job = job(JobOutcome::Success, &[]);
            with(b, r, true)
        }
        "deleteProtectedInstanceNic" => {
            let mut b = Builder::new();
            let g = b.group();
            let (server, nic) = b.spare_nic_server();
            let i = b.instance_with(&g, &server, JobOutcome::Success);
            let mut r = get("delete the spare NIC", operation, &[("protected_instance_id", &i.id())]);
            r.body = Some(json!({ "nic_id": nic }));
            r.job = job(JobOutcome::Success, &[]);
            with(b, r, true)
        }
        "resizeProtectedInstance" => {
            let mut b = Builder::new();
            let g = b.group();
            let p = b.pair(&g);
            let server = b.server(true);
            let i = b.instance_with(&g, &server, JobOutcome::Success);
            b.attach(&i, &p, "/dev/vda", JobOutcome::Success);
            let mut r = get("resize the DR-site server", operation, &[("protected_instance_id", &i.id())]);
            r.body = Some(json!({"resize": {"dr_flavorRef": "${flavor.1}"}}));
            r.job = job(JobOutcome::Success, &[]);
            with(b, r, true)
        }
        "batchCreateProtectedInstances" => {
            let mut b = Builder::new();
            let g = b.group();
            let s0 = b.server(false);
            let s1 = b.server(false);
            let mut r = request("create two instances at once", operation);
            r.body = Some(json!({"protected_instances": {
                "name_prefix": "${prefix}-batch",
                "server_group_id": g.id(),
                "servers": [{"server_id": s0}, {"server_id": s1}],
            }}));
            r.job = job(JobOutcome::Success, &[]);
            with(b, r, false)
        }
        "batchDeleteProtectedInstances" => {
            let mut b = Builder::new();
            let g = b.group();
            let i1 = b.instance(&g);
            let i2 = b.instance(&g);
            let mut r = request("delete two instances at once", operation);
            r.body = Some(json!({
                "protected_instances": [{"id": i1.id()}, {"id": i2.id()}],
                "delete_target_server": true,
                "delete_target_eip": true,
            }));
            r.job = job(JobOutcome::Success, &[]);
            with(b, r, false)
        }
        "createReplicationPair" => {
            let mut b = Builder::new();
            let g = b.group();
            let p = b.pair(&g);
            let mut test = b.take_last();
            let mut fields = Vec::new();
            if let Some(rp) = test.body.as_mut().and_then(|b| b.get_mut("replication")) {
                rp["description"] = json!("sct pair: round trip");
                for k in ["name", "description", "server_group_id"] {
                    fields.push((format!("/{k}"), rp[k].clone()));
                }
            }
            read(with(b, test, true), "replication_pair", &p, fields).counting(&[("replications", 1)])
        }
        "deleteReplicationPair" => {
            let mut b = Builder::new();
            let g = b.group();
            let p = b.pair(&g);
            let mut r = get("delete the pair", operation, &[("replication_id", &p.id())]);
            r.body = Some(json!({"replication": {"server_group_id": g.id(), "delete_target_volume": true}}));
            r.job = job(JobOutcome::Success, &[]);
            with(b, r, true).counting(&[("replications", -1)])
        }
        "listReplicationPairs" => {
            let mut r = request("list the group's pairs", operation);
            r.query.insert("server_group_id".into(), json!(fx_group));
            simple(r, true, true)
        }
        "showReplicationPair" => {
            simple(get("show the pair", operation, &[("replication_id", "${fixture.pair}")]), true, true)
        }
        "updateReplicationPairName" => {
            let mut b = Builder::new();
            let g = b.group();
            let p = b.pair(&g);
            // The pair's volume size depends on which pool volume it got: no exact snapshot.
            let mut rec = rename(b, &p, operation, "replication_id", "replication", "replication_pair");
            rec.snapshot = false;
            rec
        }
        "expandReplicationPair" => {
            let mut b = Builder::new();
            let g = b.group();
            let p = b.pair(&g);
            b.expand(&p, JobOutcome::Success);
            let test = b.take_last();
            let size = json!(format!("${{{}_size+10}}", p.var));
            read(with(b, test, true), "replication_pair", &p, vec![("/record_metadata/volume_size".into(), size)])
        }
        "createDrDrill" => {
            let mut b = Builder::new();
            let g = b.group();
            let d = b.drill(&g);
            let test = b.take_last();
            let body = test.body.as_ref().and_then(|b| b.get("disaster_recovery_drill")).cloned().unwrap_or_default();
            let fields = ["name", "drill_vpc_id", "server_group_id"]
                .iter()
                .map(|k| (format!("/{k}"), body[*k].clone()))
                .collect();
            read(with(b, test, true), "dr_drill", &d, fields)
        }
        "deleteDrDrill" => {
            let mut b = Builder::new();
            let g = b.group();
            let d = b.drill(&g);
            let mut r = get("delete the drill", operation, &[("disaster_recovery_drill_id", &d.id())]);
            r.job = job(JobOutcome::Success, &[]);
            with(b, r, true)
        }
        "listDrDrills" => {
            let mut r = request("list the group's drills", operation);
            r.query.insert("server_group_id".into(), json!(fx_group));
            simple(r, true, true)
        }
        "showDrDrill" => {
            simple(get("show the drill", operation, &[("disaster_recovery_drill_id", "${fixture.drill}")]), true, true)
        }
        "updateDrDrillName" => {
            let mut b = Builder::new();
            let g = b.group();
            let d = b.drill(&g);
            rename(b, &d, operation, "disaster_recovery_drill_id", "disaster_recovery_drill", "dr_drill")
        }
        "listProtectedInstancesByTags" => {
            let mut r = request("query instances by tag", operation);
            r.body = Some(json!({
                "action": "filter",
                "tags": [{"key": "k1", "values": ["v1"]}],
                "matches": [{"key": "resource_name", "value": "${fixture.instance_name}"}],
            }));
            simple(r, true, true)
        }
        "batchCreateProtectedInstanceTags"
        | "batchDeleteProtectedInstanceTags"
        | "createProtectedInstanceTag"
        | "deleteProtectedInstanceTag" => tag_write(operation),
        "listProtectedInstanceTags" => {
            simple(get("list the instance's tags", operation, &[("protected_instance_id", fx_instance)]), true, true)
        }
        "listProtectedInstanceProjectTags" => simple(request("list the project's tags", operation), true, false),
        "listFailureJobs" | "deleteFailureJob" | "deleteServerGroupFailureJobs" => failure_jobs(operation),
        "deleteAllFailureJobs" => {
            let mut b = Builder::new();
            let vpc = b.failing("vpcs", "createProtectionGroupNoCG");
            b.group_with(&vpc, JobOutcome::Fail);
            let mut rec = with(b, request("delete every group-level failure record", operation), false);
            rec.tags.push("destructive");
            rec
        }
        "showQuotas" => simple(request("show quotas", operation), false, false),
        "listRpoStatistics" => {
            // The records are the target's own (the emulator seeds them): no setup creates any.
            let mut r = request("list the RPO-exceeded trend records of replication pairs", operation);
            r.query.insert("resource_type".into(), json!("replication"));
            simple(r, false, true)
        }
        "startDisasterRecovery" => {
            let mut rec = simple(
                get("start disaster recovery", operation, &[("disaster_recovery_id", "${unknown_id}")]),
                false,
                false,
            );
            rec.skip = Some("no operation in the seeds creates a DWS disaster-recovery resource (INC-05)".into());
            rec
        }
        other => {
            let mut rec = simple(request("call", other), false, false);
            rec.skip = Some(format!("no recipe for operation {other}"));
            rec
        }
    }
}

fn group_action(operation: &str) -> Recipe {
    let mut b = Builder::new();
    let reverse = operation == "reverseProtectionGroup";
    let g = b.group();
    let p = b.pair(&g);
    let server = b.server(reverse);
    let i = b.instance_with(&g, &server, JobOutcome::Success);
    b.attach(&i, &p, "/dev/vda", JobOutcome::Success);
    let key = match operation {
        "startProtectionGroup" => "start-server-group",
        "stopProtectionGroup" => "stop-server-group",
        "failoverProtectionGroup" => "failover-server-group",
        _ => "reverse-server-group",
    };
    if key != "start-server-group" {
        b.group_action(&g, "start-server-group", JobOutcome::Success);
    }
    let mut r = get(&format!("{key} the group"), operation, &[("server_group_id", &g.id())]);
    r.body = Some(group_action_body(key));
    r.job = job(JobOutcome::Success, &[]);
    with(b, r, true)
}

/// Renames `res` to a name it never had, and reads the new name back.
fn rename(b: Builder, res: &Res, operation: &str, param: &str, wrapper: &str, kind: &str) -> Recipe {
    let mut r = get(&format!("rename {} to a new name", res.var), operation, &[(param, &res.id())]);
    let name = format!("${{prefix}}-{}-renamed", res.var);
    r.body = Some(json!({ wrapper: {"name": name} }));
    r.expect.fields.insert(format!("/{wrapper}/name"), json!(name));
    read(with(b, r, true), kind, res, vec![("/name".into(), json!(name))])
}

fn tag_write(operation: &str) -> Recipe {
    let mut b = Builder::new();
    let g = b.group();
    let i = b.instance(&g);
    if operation != "createProtectedInstanceTag" && operation != "batchCreateProtectedInstanceTags" {
        b.tag(&i, "k1", "v1");
    }
    let mut r = get("tag write", operation, &[("protected_instance_id", &i.id())]);
    // The instance's tags after the write.
    let tags = match operation {
        "batchCreateProtectedInstanceTags" => {
            r.name = "add two tags".into();
            r.body =
                Some(json!({"action": "create", "tags": [{"key": "k1", "value": "v1"}, {"key": "k2", "value": ""}]}));
            json!([{"key": "k1", "value": "v1"}, {"key": "k2", "value": ""}])
        }
        "batchDeleteProtectedInstanceTags" => {
            r.name = "delete a tag by key and an absent one".into();
            r.body = Some(json!({"action": "delete", "tags": [{"key": "k1"}, {"key": "absent"}]}));
            json!([])
        }
        "createProtectedInstanceTag" => {
            r.name = "add a tag".into();
            r.body = Some(json!({"tag": {"key": "env", "value": "test"}}));
            json!([{"key": "env", "value": "test"}])
        }
        _ => {
            r.name = "delete the tag".into();
            r.path.insert("key".into(), json!("k1"));
            json!([])
        }
    };
    read(with(b, r, false), "protected_instance", &i, vec![("/tags".into(), tags)])
}

fn failure_jobs(operation: &str) -> Recipe {
    let mut b = Builder::new();
    let g = b.group();
    let volume = b.failing("volumes", "createReplicationPairNoCG");
    b.pair_with(&g, &volume, JobOutcome::Fail);
    let mut find = request("list the group's failures", "listFailureJobs");
    find.query.insert("server_group_id".into(), json!(g.id()));
    match operation {
        "listFailureJobs" => {
            find.setup = false;
            with(b, find, false)
        }
        "deleteFailureJob" => {
            find.capture.insert("failure".into(), "/failure_jobs/0/job_id".into());
            b.push(find);
            let r = get("delete the failure record", operation, &[("failure_job_id", "${failure}")]);
            with(b, r, false)
        }
        _ => {
            let r = get("delete the group's failure records", operation, &[("server_group_id", &g.id())]);
            with(b, r, false)
        }
    }
}

//! A builder of setup steps: creates protection groups, pairs, instances, drills and drives
//! them through actions, binding each new resource to a case variable (`g1`, `p1`, `i1`, `d1`).
//!
//! Every created resource gets a unique name under the run prefix, so that it can be found by
//! name when its job does not report it, and recognised as the harness's own.

use super::model::{Expect, JobOutcome, JobSpec, Needs, RequestStep, Step};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Accumulates the steps and needs of a case.
#[derive(Debug, Default, Clone)]
pub struct Builder {
    /// Steps so far.
    pub steps: Vec<Step>,
    /// Prerequisites taken so far.
    pub needs: Needs,
    counter: usize,
}

/// A resource variable and the group it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Res {
    /// Variable name holding the id.
    pub var: String,
    /// Variable of the protection group.
    pub group: String,
}

impl Res {
    /// `${var}`.
    pub fn id(&self) -> String {
        format!("${{{}}}", self.var)
    }

    /// `${group}`.
    pub fn group_id(&self) -> String {
        format!("${{{}}}", self.group)
    }
}

/// Wait for the job's end or leave it running.
pub fn job(outcome: JobOutcome, capture: &[(&str, &str)]) -> Option<JobSpec> {
    Some(JobSpec {
        outcome,
        capture: capture.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect(),
        action: None,
        timeout: None,
    })
}

/// A request step of the given operation.
pub fn request(name: &str, operation: &str) -> RequestStep {
    RequestStep { name: name.to_owned(), operation: operation.to_owned(), ..RequestStep::default() }
}

/// Builds a path map from pairs.
pub fn path(pairs: &[(&str, &str)]) -> BTreeMap<String, Value> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned()))).collect()
}

impl Builder {
    /// An empty builder.
    pub fn new() -> Builder {
        Builder::default()
    }

    fn next(&mut self, letter: &str) -> String {
        self.counter += 1;
        format!("{letter}{}", self.counter)
    }

    /// Takes one more server (`${server.N}`); SHUTOFF when `shutoff`.
    pub fn server(&mut self, shutoff: bool) -> String {
        let n = self.needs.servers;
        self.needs.servers += 1;
        self.needs.shutoff |= shutoff;
        format!("${{server.{n}}}")
    }

    /// Takes one more volume.
    pub fn volume(&mut self) -> String {
        let n = self.needs.volumes;
        self.needs.volumes += 1;
        format!("${{volume.{n}}}")
    }

    /// Takes one more drill VPC.
    pub fn drill_vpc(&mut self) -> String {
        let n = self.needs.drill_vpcs;
        self.needs.drill_vpcs += 1;
        format!("${{drill_vpc.{n}}}")
    }

    /// Takes the object of `kind` (servers, volumes, vpcs, drill_vpcs) that makes `job_type` fail.
    pub fn failing(&mut self, kind: &str, job_type: &str) -> String {
        let key = format!("{kind}:{job_type}");
        if !self.needs.failing.contains(&key) {
            self.needs.failing.push(key);
        }
        format!("${{failing.{kind}.{job_type}}}")
    }

    /// Takes the profile's object `name` of `invalid`, one that breaks a documented rule.
    pub fn invalid(&mut self, name: &str) -> String {
        if !self.needs.invalid.iter().any(|n| n == name) {
            self.needs.invalid.push(name.to_owned());
        }
        format!("${{invalid.{name}}}")
    }

    /// Appends a setup request.
    pub fn push(&mut self, mut step: RequestStep) {
        step.setup = true;
        self.steps.push(Step::Request(Box::new(step)));
    }

    /// Creates a protection group in the target's VPC; the job must succeed.
    pub fn group(&mut self) -> Res {
        self.group_with("${vpc_id}", JobOutcome::Success)
    }

    /// Creates a protection group in `vpc`, with the given job outcome.
    pub fn group_with(&mut self, vpc: &str, outcome: JobOutcome) -> Res {
        let var = self.next("g");
        let name = format!("${{prefix}}-{var}");
        let mut step = request(&format!("create protection group {var}"), "createProtectionGroup");
        step.body = Some(json!({"server_group": {
            "name": name,
            "source_availability_zone": "${az.source}",
            "target_availability_zone": "${az.target}",
            "domain_id": "${domain_id}",
            "source_vpc_id": vpc,
        }}));
        step.job = job(outcome, &[(var.as_str(), "server_group_id")]);
        self.push(step);
        if outcome != JobOutcome::Success {
            let mut find = request(&format!("find protection group {var}"), "listProtectionGroups");
            find.query.insert("name".into(), json!(name));
            find.capture.insert(var.clone(), format!("/server_groups/?name={name}/id"));
            self.push(find);
        }
        Res { group: var.clone(), var }
    }

    /// Creates a replication pair in group `g` from a fresh volume.
    pub fn pair(&mut self, g: &Res) -> Res {
        let volume = self.volume();
        self.pair_with(g, &volume, JobOutcome::Success)
    }

    /// Creates a replication pair from `volume` with the given job outcome.
    pub fn pair_with(&mut self, g: &Res, volume: &str, outcome: JobOutcome) -> Res {
        let var = self.next("p");
        let name = format!("${{prefix}}-{var}");
        let mut step = request(&format!("create replication pair {var}"), "createReplicationPair");
        step.body = Some(json!({"replication": {
            "server_group_id": g.id(),
            "volume_id": volume,
            "name": name,
        }}));
        step.job = job(outcome, &[(var.as_str(), "replication_pair_id")]);
        self.push(step);
        if outcome != JobOutcome::Success {
            let mut find = request(&format!("find replication pair {var}"), "listReplicationPairs");
            find.query.insert("server_group_id".into(), json!(g.id()));
            find.capture.insert(var.clone(), format!("/replications/?name={name}/id"));
            self.push(find);
        }
        Res { var, group: g.var.clone() }
    }

    /// Creates a protected instance in `g` on a fresh server.
    pub fn instance(&mut self, g: &Res) -> Res {
        let server = self.server(false);
        self.instance_with(g, &server, JobOutcome::Success)
    }

    /// Creates a protected instance on `server` with the given job outcome.
    pub fn instance_with(&mut self, g: &Res, server: &str, outcome: JobOutcome) -> Res {
        let var = self.next("i");
        let name = format!("${{prefix}}-{var}");
        let mut step = request(&format!("create protected instance {var}"), "createProtectedInstance");
        step.body = Some(json!({"protected_instance": {
            "server_group_id": g.id(),
            "server_id": server,
            "name": name,
        }}));
        step.job = job(outcome, &[(var.as_str(), "protected_instance_id")]);
        self.push(step);
        if outcome != JobOutcome::Success {
            let mut find = request(&format!("find protected instance {var}"), "listProtectedInstances");
            find.query.insert("server_group_id".into(), json!(g.id()));
            find.capture.insert(var.clone(), format!("/protected_instances/?name={name}/id"));
            self.push(find);
        }
        Res { var, group: g.var.clone() }
    }

    /// Attaches pair `p` to instance `i` at `device`.
    pub fn attach(&mut self, i: &Res, p: &Res, device: &str, outcome: JobOutcome) {
        let mut step = request(&format!("attach {} to {}", p.var, i.var), "attachReplicationPair");
        step.path = path(&[("protected_instance_id", &i.id())]);
        step.body = Some(json!({"replicationAttachment": {"replication_id": p.id(), "device": device}}));
        step.job = job(outcome, &[]);
        self.push(step);
    }

    /// Detaches pair `p` from instance `i`.
    pub fn detach(&mut self, i: &Res, p: &Res, outcome: JobOutcome) {
        let mut step = request(&format!("detach {} from {}", p.var, i.var), "detachReplicationPair");
        step.path = path(&[("protected_instance_id", &i.id()), ("replication_id", &p.id())]);
        step.job = job(outcome, &[]);
        self.push(step);
    }

    /// Expands pair `p` by 10 GB over its current size (volumes keep growing across cases, so a
    /// fixed size would soon stop being larger).
    pub fn expand(&mut self, p: &Res, outcome: JobOutcome) {
        let size_var = format!("{}_size", p.var);
        let mut size = request(&format!("read the size of {}", p.var), "showReplicationPair");
        size.path = path(&[("replication_id", &p.id())]);
        size.capture.insert(size_var.clone(), "/replication/record_metadata/volume_size".into());
        self.push(size);
        let mut step = request(&format!("expand {} by 10 GB", p.var), "expandReplicationPair");
        step.path = path(&[("replication_id", &p.id())]);
        step.body = Some(json!({"extend-replication": {"new_size": format!("${{{size_var}+10}}")}}));
        step.job = job(outcome, &[]);
        self.push(step);
    }

    /// Runs a protection-group action (`start-server-group`, `stop-server-group`...).
    pub fn group_action(&mut self, g: &Res, key: &str, outcome: JobOutcome) {
        let operation = group_action_operation(key);
        let mut step = request(&format!("{key} {}", g.var), operation);
        step.path = path(&[("server_group_id", &g.id())]);
        step.body = Some(group_action_body(key));
        step.job = job(outcome, &[]);
        self.push(step);
    }

    /// Creates a DR drill in `g` in a fresh drill VPC.
    pub fn drill(&mut self, g: &Res) -> Res {
        let vpc = self.drill_vpc();
        self.drill_with(g, &vpc, JobOutcome::Success)
    }

    /// Creates a DR drill in `vpc` with the given job outcome.
    pub fn drill_with(&mut self, g: &Res, vpc: &str, outcome: JobOutcome) -> Res {
        let var = self.next("d");
        let name = format!("${{prefix}}-{var}");
        let mut step = request(&format!("create DR drill {var}"), "createDrDrill");
        step.body = Some(json!({"disaster_recovery_drill": {
            "server_group_id": g.id(),
            "name": name,
            "drill_vpc_id": vpc,
        }}));
        step.job = job(outcome, &[(var.as_str(), "disaster_recovery_drill_id")]);
        self.push(step);
        if outcome != JobOutcome::Success {
            let mut find = request(&format!("find DR drill {var}"), "listDrDrills");
            find.query.insert("name".into(), json!(name));
            find.capture.insert(var.clone(), format!("/disaster_recovery_drills/?name={name}/id"));
            self.push(find);
        }
        Res { var, group: g.var.clone() }
    }

    /// Adds a tag to instance `i`.
    pub fn tag(&mut self, i: &Res, key: &str, value: &str) {
        let mut step = request(&format!("tag {} {key}={value}", i.var), "createProtectedInstanceTag");
        step.path = path(&[("protected_instance_id", &i.id())]);
        step.body = Some(json!({"tag": {"key": key, "value": value}}));
        self.push(step);
    }

    /// A group with one pair attached to one instance (the smallest group that can be protected).
    pub fn full_group(&mut self) -> (Res, Res, Res) {
        let g = self.group();
        let p = self.pair(&g);
        let i = self.instance(&g);
        self.attach(&i, &p, "/dev/vda", JobOutcome::Success);
        (g, p, i)
    }

    /// Expectation helper: the documented success status.
    pub fn expect_success() -> Expect {
        Expect::default()
    }
}

/// The operation of a protection-group action key.
pub fn group_action_operation(key: &str) -> &'static str {
    match key {
        "start-server-group" => "startProtectionGroup",
        "stop-server-group" => "stopProtectionGroup",
        "failover-server-group" => "failoverProtectionGroup",
        _ => "reverseProtectionGroup",
    }
}

/// The body of a protection-group action key (reverse goes to the DR site).
pub fn group_action_body(key: &str) -> Value {
    if key == "reverse-server-group" {
        json!({"reverse-server-group": {"priority_station": "target"}})
    } else {
        json!({ key: {} })
    }
}

impl Builder {
    /// Takes a server with a spare NIC; returns (server, nic) templates.
    pub fn spare_nic_server(&mut self) -> (String, String) {
        let n = self.needs.spare_nics;
        self.needs.spare_nics += 1;
        (format!("${{spare_server.{n}}}"), format!("${{spare_nic.{n}}}"))
    }

    /// Turns the last pushed step into the step under test and returns it.
    pub fn take_last(&mut self) -> RequestStep {
        match self.steps.pop() {
            Some(Step::Request(mut r)) => {
                r.setup = false;
                *r
            }
            other => panic!("the last step is not a request: {other:?}"),
        }
    }
}

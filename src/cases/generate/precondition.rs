//! The precondition matrix: every action tried from every reachable state its machine forbids,
//! and every creation tried in a protection group whose state forbids it; each expects the
//! documented refusal.

use crate::cases::build::{group_action_body, job, path, request, Res};
use crate::cases::model::{Case, CaseKind, Expect, JobOutcome, Judge, RequestStep, StateGuard, StatusSet, Step};
use crate::cases::reach::{reach, Reached};
use crate::spec::{Action, Specs};
use serde_json::json;
use std::collections::BTreeMap;

/// The precondition cases of every action.
pub fn cases(specs: &Specs) -> Vec<Case> {
    let mut out = Vec::new();
    let mut by_operation: BTreeMap<&str, Vec<&Action>> = BTreeMap::new();
    for a in &specs.states.actions {
        by_operation.entry(a.operation.as_str()).or_default().push(a);
    }
    for (operation, actions) in by_operation {
        let Some(op) = specs.operation(operation) else { continue };
        // Actions of one operation (start and re-protect) share the union of their source states.
        let acting: Vec<&&Action> = actions.iter().filter(|a| !a.creates && !a.from.is_empty()).collect();
        if let Some(first) = acting.first() {
            let machine = first.machine.as_str();
            let allowed: Vec<&str> = acting.iter().flat_map(|a| a.from.iter().map(String::as_str)).collect();
            for state in specs.states.machines.get(machine).into_iter().flat_map(|m| m.states.keys()) {
                let state = state.as_str();
                if allowed.contains(&state) {
                    continue;
                }
                let Some(r) = reach(machine, state) else { continue };
                let Some(target) = r.resource(machine).cloned() else { continue };
                let mut codes: Vec<String> = Vec::new();
                let mut disputes: Vec<String> = Vec::new();
                for a in &acting {
                    extend_unique(&mut codes, a.refusal.iter().flat_map(|rf| rf.codes.iter().cloned()));
                    extend_unique(&mut codes, a.parents.iter().flat_map(|p| p.codes.iter().cloned()));
                    extend_unique(&mut codes, a.requires.iter().flat_map(|q| q.codes.iter().cloned()));
                    extend_unique(&mut disputes, a.disagreements.iter().cloned());
                }
                let status = first.refusal.as_ref().map(|rf| rf.status).unwrap_or(400);
                let Some(step) = action_request(operation, &r, &target) else { continue };
                out.push(build_case(op, &first.name, machine, state, r, step, status, codes, disputes, ""));
            }
        }
        out.extend(member_requirements(op, &actions));
        for a in actions.iter().filter(|a| a.creates) {
            for parent in a.parents.iter().filter(|p| p.machine == "server_group") {
                for state in specs.states.machines.get("server_group").into_iter().flat_map(|m| m.states.keys()) {
                    let state = state.as_str();
                    if parent.states.iter().any(|s| s == state) {
                        continue;
                    }
                    let Some(r) = reach("server_group", state) else { continue };
                    let g = r.group.clone();
                    let mut r = r;
                    let Some(step) = create_request(operation, &mut r, &g) else { continue };
                    let mut codes = parent.codes.clone();
                    extend_unique(&mut codes, a.requires.iter().flat_map(|q| q.codes.iter().cloned()));
                    let disputes = parent.disagreements.clone();
                    out.push(build_case(op, &a.name, "server_group", state, r, step, 400, codes, disputes, "group-"));
                }
            }
        }
    }
    out
}

fn extend_unique(into: &mut Vec<String>, items: impl Iterator<Item = String>) {
    for i in items {
        if !into.contains(&i) {
            into.push(i);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn build_case(
    op: &crate::spec::Operation,
    action: &str,
    machine: &str,
    state: &str,
    reached: Reached,
    mut step: RequestStep,
    status: u16,
    codes: Vec<String>,
    disagreements: Vec<String>,
    slug_prefix: &str,
) -> Case {
    step.name = format!("{} while the {} is {state}", op.id, machine.replace('_', " "));
    step.expect = Expect {
        status: Some(StatusSet::One(status)),
        codes,
        judge: Judge::Precondition { action: action.to_owned(), state: state.to_owned() },
        disagreements,
        ..Expect::default()
    };
    // A wrongly accepted action still leaves a job: the runner follows it to clean up.
    step.job = Some(crate::cases::model::JobSpec { outcome: JobOutcome::Any, ..Default::default() });
    // A state held by a job left running ends by itself on a real region: send the action only
    // while the resource still shows it.
    let job_left_running = reached.builder.steps.iter().any(|s| match s {
        Step::Request(r) => r.job.as_ref().is_some_and(|j| j.outcome == JobOutcome::NoWait),
        _ => false,
    });
    if job_left_running {
        step.only_while = reached.resource(machine).map(|r| StateGuard {
            resource: machine.to_owned(),
            id: r.id(),
            status: state.to_owned(),
        });
    }
    let mut steps = reached.builder.steps.clone();
    steps.push(Step::Request(Box::new(step)));
    Case {
        id: format!("{}/precondition/{slug_prefix}{state}", op.id),
        operation: op.id.clone(),
        family: op.family.clone(),
        kind: CaseKind::Precondition,
        tags: vec![machine.to_owned()],
        description: format!("{} is refused while the {} is {state}", op.id, machine.replace('_', " ")),
        needs: reached.builder.needs.clone(),
        fixture: None,
        exclusive: false,
        steps,
        skip: None,
        source: None,
    }
}

fn action_request(operation: &str, r: &Reached, target: &Res) -> Option<RequestStep> {
    let mut s = request("", operation);
    match operation {
        "deleteProtectionGroup" => s.path = path(&[("server_group_id", &target.id())]),
        "startProtectionGroup" | "stopProtectionGroup" | "failoverProtectionGroup" | "reverseProtectionGroup" => {
            let key = match operation {
                "startProtectionGroup" => "start-server-group",
                "stopProtectionGroup" => "stop-server-group",
                "failoverProtectionGroup" => "failover-server-group",
                _ => "reverse-server-group",
            };
            s.path = path(&[("server_group_id", &target.id())]);
            s.body = Some(group_action_body(key));
        }
        "deleteProtectedInstance" => {
            s.path = path(&[("protected_instance_id", &target.id())]);
            s.body = Some(json!({"delete_target_server": true, "delete_target_eip": true}));
        }
        "batchDeleteProtectedInstances" => {
            s.body = Some(
                json!({"protected_instances": [{"id": target.id()}], "delete_target_server": true, "delete_target_eip": true}),
            );
        }
        "addProtectedInstanceNic" => {
            s.path = path(&[("protected_instance_id", &target.id())]);
            s.body = Some(json!({"subnet_id": "${subnet.1}"}));
        }
        "deleteProtectedInstanceNic" => {
            s.path = path(&[("protected_instance_id", &target.id())]);
            s.body = Some(json!({"nic_id": super::UNKNOWN_ID}));
        }
        "resizeProtectedInstance" => {
            s.path = path(&[("protected_instance_id", &target.id())]);
            s.body = Some(json!({"resize": {"dr_flavorRef": "${flavor.1}"}}));
        }
        "attachReplicationPair" => {
            let i = r.instance.as_ref()?;
            s.path = path(&[("protected_instance_id", &i.id())]);
            s.body = Some(json!({"replicationAttachment": {"replication_id": target.id(), "device": "/dev/vdb"}}));
        }
        "detachReplicationPair" => {
            let i = r.instance.as_ref()?;
            s.path = path(&[("protected_instance_id", &i.id()), ("replication_id", &target.id())]);
        }
        "deleteReplicationPair" => {
            s.path = path(&[("replication_id", &target.id())]);
            s.body = Some(json!({"replication": {"server_group_id": target.group_id(), "delete_target_volume": true}}));
        }
        "expandReplicationPair" => {
            s.path = path(&[("replication_id", &target.id())]);
            s.body = Some(json!({"extend-replication": {"new_size": 200}}));
        }
        "deleteDrDrill" => s.path = path(&[("disaster_recovery_drill_id", &target.id())]),
        _ => return None,
    }
    Some(s)
}

fn create_request(operation: &str, r: &mut Reached, g: &Res) -> Option<RequestStep> {
    let mut s = request("", operation);
    let b = &mut r.builder;
    match operation {
        "createProtectedInstance" => {
            let server = b.server(false);
            s.body = Some(
                json!({"protected_instance": {"server_group_id": g.id(), "server_id": server, "name": "${prefix}-late-i"}}),
            );
        }
        "batchCreateProtectedInstances" => {
            let server = b.server(false);
            s.body = Some(
                json!({"protected_instances": {"name_prefix": "${prefix}-late", "server_group_id": g.id(), "servers": [{"server_id": server}]}}),
            );
        }
        "createReplicationPair" => {
            let volume = b.volume();
            s.body = Some(
                json!({"replication": {"server_group_id": g.id(), "volume_id": volume, "name": "${prefix}-late-p"}}),
            );
        }
        "createDrDrill" => {
            let vpc = b.drill_vpc();
            s.body = Some(
                json!({"disaster_recovery_drill": {"server_group_id": g.id(), "name": "${prefix}-late-d", "drill_vpc_id": vpc}}),
            );
        }
        _ => return None,
    }
    let _ = job;
    Some(s)
}

/// Deleting a group that still holds an instance, a pair or a drill: each requirement of
/// `delete_group` tried on its own, expecting its documented code.
fn member_requirements(op: &crate::spec::Operation, actions: &[&Action]) -> Vec<Case> {
    let Some(action) = actions.iter().find(|a| a.name == "delete_group") else { return Vec::new() };
    let mut out = Vec::new();
    for req in &action.requires {
        let mut b = crate::cases::build::Builder::new();
        let g = b.group();
        let slug = if req.codes.iter().any(|c| c == "SDRS.1001") {
            b.instance(&g);
            "holding-an-instance"
        } else if req.codes.iter().any(|c| c == "SDRS.1010") {
            b.pair(&g);
            "holding-a-pair"
        } else if req.codes.iter().any(|c| c == "SDRS.1003") {
            b.drill(&g);
            "holding-a-drill"
        } else {
            continue;
        };
        let mut step = request("", &op.id);
        step.path = path(&[("server_group_id", &g.id())]);
        let reached =
            Reached { builder: b, group: g, instance: None, pair: None, drill: None, states: BTreeMap::new() };
        let mut c = build_case(
            op,
            &action.name,
            "server_group",
            "available",
            reached,
            step,
            400,
            req.codes.clone(),
            req.disagreements.clone(),
            "",
        );
        c.id = format!("{}/precondition/{slug}", op.id);
        c.description = format!("{} is refused while the group is not empty: {}", op.id, req.what);
        if let Some(Step::Request(r)) = c.steps.last_mut() {
            r.name = format!("delete a group {}", slug.replace('-', " "));
            r.expect.judge = Judge::Precondition { action: action.name.clone(), state: slug.replace('-', " ") };
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard_of(cases: &[Case], id: &str) -> Option<StateGuard> {
        let case = cases.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no case {id}"));
        match case.steps.last() {
            Some(Step::Request(r)) => r.only_while.clone(),
            _ => None,
        }
    }

    #[test]
    fn actions_tried_while_a_job_runs_are_sent_only_while_the_state_lasts() {
        let cases = cases(Specs::embedded());
        let guard = guard_of(&cases, "startProtectionGroup/precondition/creating").expect("a guard");
        assert_eq!((guard.resource.as_str(), guard.status.as_str()), ("server_group", "creating"));
        let guard = guard_of(&cases, "createReplicationPair/precondition/group-deleting").expect("a guard");
        assert_eq!((guard.resource.as_str(), guard.status.as_str()), ("server_group", "deleting"));
        let guard = guard_of(&cases, "expandReplicationPair/precondition/attaching").expect("a guard");
        assert_eq!(guard.resource, "replication_pair");
        assert_eq!(guard_of(&cases, "stopProtectionGroup/precondition/failed-over"), None, "a settled state");
    }
}

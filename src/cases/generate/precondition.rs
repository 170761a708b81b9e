//! The precondition matrix: every action tried from every reachable state its state machine forbids,
//! and every creation tried in a protection group whose state forbids it; each expects the
//! documented refusal.

use crate::cases::build::{group_action_body, job, path, request, Res};
use crate::cases::model::{Case, CaseKind, Expect, JobOutcome, Judge, RequestStep, StateGuard, StatusSet, Step};
use crate::cases::reach::{reach, Reached};
use crate::spec::{Action, ParentRule, Requirement, Specs};
use serde_json::json;
use std::collections::BTreeMap;

/// The precondition cases of every action.
pub(super) fn cases(specs: &Specs) -> Vec<Case> {
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
            let kind = first.kind.as_str();
            let allowed: Vec<&str> = acting.iter().flat_map(|a| a.from.iter().map(String::as_str)).collect();
            for state in specs.states.machines.get(kind).into_iter().flat_map(|m| m.states.keys()) {
                let state = state.as_str();
                if allowed.contains(&state) {
                    continue;
                }
                let Some(r) = reach(specs, kind, state) else { continue };
                let Some(target) = r.resource(kind).cloned() else { continue };
                let mut codes: Vec<String> = Vec::new();
                let mut disputes: Vec<String> = Vec::new();
                for a in &acting {
                    extend_unique(&mut codes, a.refusal.iter().flat_map(|rf| rf.codes.iter().cloned()));
                    let parents = a.parents.iter().filter(|p| breaks_parent(p, &r));
                    extend_unique(&mut codes, parents.flat_map(|p| p.codes.iter().cloned()));
                    let broken = a.requires.iter().filter(|q| may_break(q, &r));
                    extend_unique(&mut codes, broken.flat_map(|q| q.codes.iter().cloned()));
                    extend_unique(&mut disputes, a.disagreements.iter().cloned());
                }
                let status = first.refusal.as_ref().map(|rf| rf.status).unwrap_or(400);
                let Some(step) = action_request(operation, &r, &target) else { continue };
                out.push(build_case(op, &first.name, kind, state, r, step, status, codes, disputes, ""));
            }
        }
        out.extend(member_requirements(op, &actions));
        out.extend(super::requirement::cases(op, &actions));
        for a in actions.iter().filter(|a| a.creates) {
            for parent in a.parents.iter().filter(|p| p.kind == "server_group") {
                for state in specs.states.machines.get("server_group").into_iter().flat_map(|m| m.states.keys()) {
                    let state = state.as_str();
                    if parent.states.iter().any(|s| s == state) {
                        continue;
                    }
                    let Some(r) = reach(specs, "server_group", state) else { continue };
                    let g = r.group.clone();
                    let mut r = r;
                    let Some(step) = create_request(operation, &mut r, &g) else { continue };
                    // The server, volume or drill VPC sent is a valid one: only the group's state,
                    // and where a failover moved production, the AZ, are wrong.
                    let mut codes = parent.codes.clone();
                    let broken = a.requires.iter().filter(|q| may_break(q, &r));
                    extend_unique(&mut codes, broken.flat_map(|q| q.codes.iter().cloned()));
                    let disputes = parent.disagreements.clone();
                    out.push(build_case(op, &a.name, "server_group", state, r, step, 400, codes, disputes, "group-"));
                }
            }
        }
    }
    out
}

/// Whether the setup leaves the resource of a parent rule outside its allowed states (unknown
/// counts as outside: its code may then answer the request).
fn breaks_parent(parent: &ParentRule, r: &Reached) -> bool {
    r.states.get(parent.kind.as_str()).is_none_or(|s| !parent.states.contains(s))
}

/// Whether a wrong-state setup may also break this requirement, so that a target checking it
/// first refuses with its code. Requirements the setup meets (a valid server, volume or drill
/// VPC; quotas) never lend their codes to a wrong-state refusal.
fn may_break(q: &Requirement, r: &Reached) -> bool {
    let state = |m: &str| r.states.get(m).map(String::as_str).unwrap_or("");
    let failed_over = matches!(state("server_group"), "failed-over" | "reprotecting" | "error-reprotecting");
    let servers_may_run = r.instance.is_some() && !r.builder.needs.shutoff;
    match q.id.as_deref().unwrap_or("") {
        "has_pair" => r.pair.is_none(),
        "no_instance" => r.instance.is_some(),
        "no_pair" => r.pair.is_some(),
        "no_drill" => r.drill.is_some(),
        "production_az" => failed_over,
        "pair_not_attached" => r.instance.is_some() && r.pair.is_some(),
        "attached_here" => {
            matches!(state("replication_pair"), "attaching" | "error-attaching" | "detaching" | "error-detaching")
        }
        "production_servers_stopped" | "servers_stopped" => servers_may_run,
        "dr_servers_stopped" => servers_may_run && failed_over,
        "new_flavor" => state("protected_instance") == "resizing",
        "system_disk_pair" => r.instance.is_some() && r.pair.is_none(),
        // The request asks for 200 GB, more than the volume unless an expansion is under way.
        "larger_size" => state("replication_pair") == "extending",
        _ => false,
    }
}

fn extend_unique(into: &mut Vec<String>, items: impl Iterator<Item = String>) {
    for i in items {
        if !into.contains(&i) {
            into.push(i);
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn build_case(
    op: &crate::spec::Operation,
    action: &str,
    kind: &str,
    state: &str,
    reached: Reached,
    mut step: RequestStep,
    status: u16,
    codes: Vec<String>,
    disagreements: Vec<String>,
    slug_prefix: &str,
) -> Case {
    step.name = format!("{} while the {} is {state}", op.id, kind.replace('_', " "));
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
        step.only_while =
            reached.resource(kind).map(|r| StateGuard { kind: kind.to_owned(), id: r.id(), status: state.to_owned() });
    }
    let mut steps = reached.builder.steps.clone();
    steps.push(Step::Request(Box::new(step)));
    Case {
        id: format!("{}/precondition/{slug_prefix}{state}", op.id),
        operation: op.id.clone(),
        family: op.family.clone(),
        kind: CaseKind::Precondition,
        tags: vec![kind.to_owned()],
        description: format!("{} is refused while the {} is {state}", op.id, kind.replace('_', " ")),
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

    fn codes_of(cases: &[Case], id: &str) -> Vec<String> {
        let case = cases.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no case {id}"));
        match case.steps.last() {
            Some(Step::Request(r)) => r.expect.codes.clone(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn a_wrong_state_refusal_accepts_only_codes_tied_to_that_state_or_action() {
        let cases = cases(Specs::embedded());
        assert_eq!(codes_of(&cases, "failoverProtectionGroup/precondition/available"), ["SDRS.1002", "SDRS.1022"]);
        for id in ["startProtectionGroup/precondition/protected", "startProtectionGroup/precondition/creating"] {
            assert!(!codes_of(&cases, id).contains(&"SDRS.0201".to_owned()), "{id}");
        }
        // A group without a pair may be refused for that too, by the codes the group pages use.
        let creating = codes_of(&cases, "failoverProtectionGroup/precondition/creating");
        assert_eq!(creating, ["SDRS.1002", "SDRS.1022", "SDRS.1015"]);
        let group_state = codes_of(&cases, "createReplicationPair/precondition/group-starting");
        assert_eq!(group_state, ["SDRS.1024", "SDRS.1002"], "no disk or quota code");
        // After a failover the volume's AZ is no longer the production AZ.
        let failed_over = codes_of(&cases, "createReplicationPair/precondition/group-reprotecting");
        assert_eq!(failed_over, ["SDRS.1024", "SDRS.1002", "SDRS.1810"]);
    }

    #[test]
    fn a_generic_code_fails_the_precondition_check_of_a_failover_from_available() {
        use crate::checks::{precondition, CheckContext, CheckOutcome, ExpectedRefusal};
        use crate::exchange::Exchange;
        let cases = cases(Specs::embedded());
        let expected = |codes: Vec<String>| ExpectedRefusal {
            action: "failover".into(),
            state: "available".into(),
            status: 400,
            codes,
            disagreements: Vec::new(),
            code_disagreements: Vec::new(),
        };
        let rule = expected(codes_of(&cases, "failoverProtectionGroup/precondition/available"));
        let answer = |code: &str| {
            let body = json!({"error": {"code": code, "message": "m"}});
            Exchange::fake("failoverProtectionGroup", "POST", "/v1/p/server-groups/g/action", 400, body)
        };
        let schemas = crate::spec::SchemaSet::new(Specs::embedded());
        let ctx = CheckContext { specs: Specs::embedded(), schemas: &schemas, strict: false };
        assert_eq!(precondition(&ctx, &rule, &answer("SDRS.0201")).outcome, CheckOutcome::Failed);
        assert_eq!(precondition(&ctx, &rule, &answer("SDRS.1022")).outcome, CheckOutcome::Passed);
    }

    #[test]
    fn actions_tried_while_a_job_runs_are_sent_only_while_the_state_lasts() {
        let cases = cases(Specs::embedded());
        let guard = guard_of(&cases, "startProtectionGroup/precondition/creating").expect("a guard");
        assert_eq!((guard.kind.as_str(), guard.status.as_str()), ("server_group", "creating"));
        let guard = guard_of(&cases, "createReplicationPair/precondition/group-deleting").expect("a guard");
        assert_eq!((guard.kind.as_str(), guard.status.as_str()), ("server_group", "deleting"));
        let guard = guard_of(&cases, "expandReplicationPair/precondition/attaching").expect("a guard");
        assert_eq!(guard.kind, "replication_pair");
        assert_eq!(guard_of(&cases, "stopProtectionGroup/precondition/failed-over"), None, "a settled state");
    }
}

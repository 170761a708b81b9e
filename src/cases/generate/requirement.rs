//! Documented preconditions broken on purpose: for each requirement of `states.yaml` whose `id`
//! has a recipe here, a setup that meets every other rule and a request that breaks this one,
//! expecting the requirement's codes. The object that breaks it comes from the profile's
//! `invalid` map, so a target whose profile lacks it skips the case with the reason.

use super::precondition::build_case;
use crate::cases::build::{group_action_body, path, request, Builder, Res};
use crate::cases::model::{Case, JobOutcome, Judge, RequestStep, Step};
use crate::cases::reach::Reached;
use crate::spec::{Action, Operation, Requirement};
use serde_json::json;
use std::collections::BTreeMap;

/// The requirement cases of the actions of one operation.
pub(super) fn cases(op: &Operation, actions: &[&Action]) -> Vec<Case> {
    let mut out = Vec::new();
    for action in actions {
        for req in &action.requires {
            let Some(id) = req.id.as_deref() else { continue };
            let mut b = Builder::new();
            let g = b.group();
            let Some((label, step)) = recipe(&action.name, id, &mut b, &g) else { continue };
            out.push(case(op, action, req, id, label, b, g, step));
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn case(
    op: &Operation,
    action: &Action,
    req: &Requirement,
    id: &str,
    label: &str,
    b: Builder,
    g: Res,
    step: RequestStep,
) -> Case {
    let reached = Reached { builder: b, group: g, instance: None, pair: None, drill: None, states: BTreeMap::new() };
    let codes = req.codes.clone();
    let mut c =
        build_case(op, &action.name, &action.kind, label, reached, step, 400, codes, req.disagreements.clone(), "");
    let slug = id.replace('_', "-");
    c.id = format!("{}/precondition/{slug}", op.id);
    c.description = format!("{} is refused when it breaks the rule: {}", op.id, req.what);
    if let Some(Step::Request(r)) = c.steps.last_mut() {
        r.name = format!("{} with {label}", op.id);
        r.expect.judge = Judge::Precondition { action: action.name.clone(), state: label.to_owned() };
        r.expect.code_disagreements = req.code_disagreements.clone();
    }
    c
}

/// A label for the broken rule and the request that breaks it, after the setup steps it needs.
fn recipe(action: &str, id: &str, b: &mut Builder, g: &Res) -> Option<(&'static str, RequestStep)> {
    let single = |server: String| {
        let mut s = request("", "createProtectedInstance");
        s.body = Some(
            json!({"protected_instance": {"server_group_id": g.id(), "server_id": server, "name": "${prefix}-i"}}),
        );
        s
    };
    let batch = |servers: Vec<String>| {
        let servers: Vec<_> = servers.into_iter().map(|s| json!({"server_id": s})).collect();
        let mut s = request("", "batchCreateProtectedInstances");
        s.body = Some(
            json!({"protected_instances": {"name_prefix": "${prefix}-b", "server_group_id": g.id(), "servers": servers}}),
        );
        s
    };
    Some(match (action, id) {
        ("reprotect", "dr_servers_stopped") => {
            let p = b.pair(g);
            let server = b.invalid("server_running");
            let i = b.instance_with(g, &server, JobOutcome::Success);
            b.attach(&i, &p, "/dev/vda", JobOutcome::Success);
            b.group_action(g, "start-server-group", JobOutcome::Success);
            b.group_action(g, "failover-server-group", JobOutcome::Success);
            let mut s = request("", "startProtectionGroup");
            s.path = path(&[("server_group_id", &g.id())]);
            s.body = Some(group_action_body("start-server-group"));
            ("a failed-over group whose DR-site server runs", s)
        }
        ("create_instance", "no_shared_disk") => {
            ("a server with a shared disk", single(b.invalid("server_shared_disk")))
        }
        ("create_instance", "same_vpc") => ("a server of another VPC", single(b.invalid("server_other_vpc"))),
        ("create_instance", "production_az") => ("a server of the DR-site AZ", single(b.invalid("server_other_az"))),
        ("batch_create_instances", "shared_disk_servers_listed") => {
            ("a server whose shared disk's other server is not listed", batch(vec![b.invalid("server_shared_disk")]))
        }
        ("batch_create_instances", "no_instance_yet") => {
            let server = b.server(false);
            b.instance_with(g, &server, JobOutcome::Success);
            ("a server that is already protected", batch(vec![server]))
        }
        ("batch_create_instances", "same_vpc") => {
            ("a server of another VPC", batch(vec![b.invalid("server_other_vpc")]))
        }
        ("create_drill", "drill_subnets_match") => {
            let vpc = b.invalid("vpc_drill_other_subnets");
            let mut s = request("", "createDrDrill");
            s.body = Some(
                json!({"disaster_recovery_drill": {"server_group_id": g.id(), "name": "${prefix}-d", "drill_vpc_id": vpc}}),
            );
            ("a drill VPC whose subnets differ from the group's", s)
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use crate::cases::model::{Judge, Step};
    use crate::spec::Specs;

    #[test]
    fn each_rule_with_a_recipe_becomes_a_case_expecting_its_codes_and_needing_its_object() {
        let cases = super::super::generate(Specs::embedded());
        let expect = [
            ("startProtectionGroup/precondition/dr-servers-stopped", "server_running", vec!["SDRS.1342"]),
            ("createProtectedInstance/precondition/no-shared-disk", "server_shared_disk", vec!["SDRS.1408"]),
            (
                "batchCreateProtectedInstances/precondition/shared-disk-servers-listed",
                "server_shared_disk",
                vec!["SDRS.1408"],
            ),
            ("batchCreateProtectedInstances/precondition/same-vpc", "server_other_vpc", vec!["SDRS.1304"]),
            (
                "createDrDrill/precondition/drill-subnets-match",
                "vpc_drill_other_subnets",
                vec!["SDRS.1909", "SDRS.1908"],
            ),
        ];
        for (id, object, codes) in expect {
            let case = cases.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no case {id}"));
            assert_eq!(case.needs.invalid, [object], "{id}");
            let Some(Step::Request(last)) = case.steps.last() else { panic!("{id} ends with a request") };
            assert_eq!(last.expect.codes, codes, "{id}");
            assert!(matches!(last.expect.judge, Judge::Precondition { .. }), "{id}");
        }
        let shared = cases.iter().find(|c| c.id == "createProtectedInstance/precondition/no-shared-disk").unwrap();
        let Some(Step::Request(last)) = shared.steps.last() else { unreachable!() };
        assert_eq!(last.expect.code_disagreements, ["OWN-02"], "the code is our reading");
        let already = cases.iter().find(|c| c.id == "batchCreateProtectedInstances/precondition/no-instance-yet");
        assert!(already.is_some_and(|c| c.needs.invalid.is_empty() && c.needs.servers == 1));
    }
}

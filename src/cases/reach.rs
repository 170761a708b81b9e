//! Recipes that bring a fresh resource into a chosen state, for the precondition matrix.
//!
//! Transitional states are held by not waiting for the job (the runner finishes it at
//! teardown); error states need world objects that make a job fail (`failing` prerequisites).

use super::build::{path, request, Builder, Res};
use super::model::JobOutcome;
use crate::spec::{Action, Discriminator, EndState, Specs};
use serde_json::json;
use std::collections::BTreeMap;

/// A setup that ends with a resource in a known state.
#[derive(Debug, Clone)]
pub struct Reached {
    /// The setup steps and needs.
    pub builder: Builder,
    /// The protection group.
    pub group: Res,
    /// The protected instance, when the setup made one.
    pub instance: Option<Res>,
    /// The replication pair, when the setup made one.
    pub pair: Option<Res>,
    /// The DR drill, when the setup made one.
    pub drill: Option<Res>,
    /// Known state of each kind's resource at the end of the setup.
    pub states: BTreeMap<&'static str, String>,
}

impl Reached {
    /// The resource of `kind`.
    pub fn resource(&self, kind: &str) -> Option<&Res> {
        match kind {
            "server_group" => Some(&self.group),
            "protected_instance" => self.instance.as_ref(),
            "replication_pair" => self.pair.as_ref(),
            "dr_drill" => self.drill.as_ref(),
            _ => None,
        }
    }
}

const GROUP: &str = "server_group";
const INSTANCE: &str = "protected_instance";
const PAIR: &str = "replication_pair";
const DRILL: &str = "dr_drill";

/// The body keys of the group actions waited for, then the last action's key and how it ends
/// ("nowait", or the job type made to fail), and whether the path needs stopped servers.
struct GroupPath {
    waited: Vec<String>,
    last: Option<(String, String)>,
    needs_shutoff: bool,
}

/// Requirements of a group action that a setup meets by creating the instance on a stopped server.
const STOPPED_SERVERS: [&str; 2] = ["production_servers_stopped", "dr_servers_stopped"];

/// Group-level states reached through protection-group actions, derived from `states.yaml`: a
/// stable state by the shortest chain of successful actions from `available`; a transitional
/// state by not waiting for the action that shows it, from the nearest state it allows; an error
/// state by making that action's job fail.
fn group_path(specs: &Specs, state: &str) -> Option<GroupPath> {
    let acts: Vec<&Action> =
        specs.states.actions.iter().filter(|a| a.kind == GROUP && !a.creates && !a.deletes).collect();
    let key = |a: &Action| match specs.operation(&a.operation).and_then(|op| op.discriminator.as_ref()) {
        Some(Discriminator::BodyKey(k)) => Some(k.clone()),
        _ => None,
    };
    // Breadth first from `available`: the chain of actions that first reaches each stable state.
    let mut chains: BTreeMap<String, Vec<&Action>> = BTreeMap::from([("available".to_owned(), Vec::new())]);
    let mut frontier = vec!["available".to_owned()];
    while !frontier.is_empty() {
        let mut next = Vec::new();
        for from in &frontier {
            for a in acts.iter().filter(|a| a.from.contains(from)) {
                let EndState::State(to) = &a.success else { continue };
                if !chains.contains_key(to) {
                    let mut chain = chains[from].clone();
                    chain.push(a);
                    chains.insert(to.clone(), chain);
                    next.push(to.clone());
                }
            }
        }
        frontier = next;
    }
    let nearest = |a: &Action| a.from.iter().filter_map(|f| chains.get(f)).min_by_key(|c| c.len()).cloned();
    let (chain, last): (Vec<&Action>, Option<(&Action, String)>) = match chains.get(state) {
        Some(chain) => (chain.clone(), None),
        None => {
            let shows = |a: &&&Action| a.transitional == state;
            let fails = |a: &&&Action| matches!(&a.failure, EndState::State(f) if f == state);
            if let Some(a) = acts.iter().find(shows) {
                (nearest(a)?, Some((a, "nowait".to_owned())))
            } else {
                let a = acts.iter().find(fails)?;
                (nearest(a)?, Some((a, a.job_type.clone()?)))
            }
        }
    };
    let mut every = chain.iter().copied().chain(last.as_ref().map(|(a, _)| *a));
    let needs_shutoff =
        every.any(|a| a.requires.iter().any(|r| r.id.as_deref().is_some_and(|id| STOPPED_SERVERS.contains(&id))));
    let waited = chain.iter().map(|a| key(a)).collect::<Option<Vec<String>>>()?;
    let last = match last {
        Some((a, how)) => Some((key(a)?, how)),
        None => None,
    };
    Some(GroupPath { waited, last, needs_shutoff })
}

/// A full group (pair attached to an instance) driven to a group-level state; every member follows.
fn full_group_in(specs: &Specs, state: &str) -> Option<Reached> {
    let GroupPath { waited, last, needs_shutoff } = group_path(specs, state)?;
    let mut b = Builder::new();
    let g = b.group();
    let p = b.pair(&g);
    // Reverse needs the production site's servers stopped; a re-protect after a failover, the
    // DR site's, which are then the servers the instance was created on (5.4.6).
    let server = match &last {
        Some((_, how)) if how != "nowait" => b.failing("servers", how),
        _ => b.server(needs_shutoff),
    };
    let i = b.instance_with(&g, &server, JobOutcome::Success);
    b.attach(&i, &p, "/dev/vda", JobOutcome::Success);
    for key in &waited {
        b.group_action(&g, key, JobOutcome::Success);
    }
    if let Some((key, how)) = &last {
        let outcome = if how == "nowait" { JobOutcome::NoWait } else { JobOutcome::Fail };
        b.group_action(&g, key, outcome);
    }
    let states = [GROUP, INSTANCE, PAIR].into_iter().map(|m| (m, state.to_owned())).collect();
    Some(Reached { builder: b, group: g, instance: Some(i), pair: Some(p), drill: None, states })
}

fn with_states(mut r: Reached, states: &[(&'static str, &str)]) -> Reached {
    r.states = states.iter().map(|(m, s)| (*m, (*s).to_owned())).collect();
    r
}

fn base(b: Builder, g: Res) -> Reached {
    Reached { builder: b, group: g, instance: None, pair: None, drill: None, states: BTreeMap::new() }
}

/// A setup leaving the resource of `kind` in `state`, or `None` when no recipe reaches it.
pub fn reach(specs: &Specs, kind: &str, state: &str) -> Option<Reached> {
    if let Some(r) = full_group_in(specs, state) {
        if kind != DRILL {
            return Some(r);
        }
    }
    match (kind, state) {
        (GROUP, "creating") => {
            let mut b = Builder::new();
            let g = b.group_with("${vpc_id}", JobOutcome::NoWait);
            Some(with_states(base(b, g), &[(GROUP, "creating")]))
        }
        (GROUP, "deleting") => {
            let mut b = Builder::new();
            let g = b.group();
            let mut del = request("delete the group, not waiting", "deleteProtectionGroup");
            del.path = path(&[("server_group_id", &g.id())]);
            del.job = super::build::job(JobOutcome::NoWait, &[]);
            b.push(del);
            Some(with_states(base(b, g), &[(GROUP, "deleting")]))
        }
        (GROUP, "error") => {
            let mut b = Builder::new();
            let vpc = b.failing("vpcs", "createProtectionGroupNoCG");
            let g = b.group_with(&vpc, JobOutcome::Fail);
            Some(with_states(base(b, g), &[(GROUP, "error")]))
        }
        (GROUP, "error-deleting") => {
            let mut b = Builder::new();
            let vpc = b.failing("vpcs", "deleteProtectionGroupNoCG");
            let g = b.group_with(&vpc, JobOutcome::Success);
            let mut del = request("delete the group, made to fail", "deleteProtectionGroup");
            del.path = path(&[("server_group_id", &g.id())]);
            del.job = super::build::job(JobOutcome::Fail, &[]);
            b.push(del);
            Some(with_states(base(b, g), &[(GROUP, "error-deleting")]))
        }
        (INSTANCE, _) => instance_in(state),
        (PAIR, _) => pair_in(state),
        (DRILL, _) => drill_in(state),
        _ => None,
    }
}

fn instance_in(state: &str) -> Option<Reached> {
    let mut b = Builder::new();
    let g = b.group();
    let (server, outcome, then): (String, JobOutcome, Option<(&str, JobOutcome)>) = match state {
        "creating" => (b.server(false), JobOutcome::NoWait, None),
        "error" => (b.failing("servers", "createProtectedInstanceNoCG"), JobOutcome::Fail, None),
        "deleting" => (b.server(false), JobOutcome::Success, Some(("delete", JobOutcome::NoWait))),
        "error-deleting" => (
            b.failing("servers", "deleteProtectedInstanceNoCG"),
            JobOutcome::Success,
            Some(("delete", JobOutcome::Fail)),
        ),
        "nic-creating" => (b.server(false), JobOutcome::Success, Some(("nic", JobOutcome::NoWait))),
        "resizing" => (b.server(true), JobOutcome::Success, Some(("resize", JobOutcome::NoWait))),
        "error-resizing" => (
            b.failing("servers", "resizeProtectedInstanceNew"),
            JobOutcome::Success,
            Some(("resize", JobOutcome::Fail)),
        ),
        _ => return None,
    };
    let i = b.instance_with(&g, &server, outcome);
    if let Some((what, how)) = then {
        let mut step = match what {
            "delete" => request("delete the instance", "deleteProtectedInstance"),
            "nic" => {
                let mut s = request("add a NIC", "addProtectedInstanceNic");
                s.body = Some(json!({"subnet_id": "${subnet.1}"}));
                s
            }
            _ => {
                let mut s = request("resize the instance", "resizeProtectedInstance");
                s.body = Some(json!({"resize": {"dr_flavorRef": "${flavor.1}"}}));
                s
            }
        };
        step.path = path(&[("protected_instance_id", &i.id())]);
        step.job = super::build::job(how, &[]);
        b.push(step);
    }
    let mut r = base(b, g);
    r.instance = Some(i);
    Some(with_states(r, &[(GROUP, "available"), (INSTANCE, state)]))
}

fn pair_in(state: &str) -> Option<Reached> {
    let mut b = Builder::new();
    let g = b.group();
    let mut instance = None;
    let volume_fail = |b: &mut Builder, jt: &str| b.failing("volumes", jt);
    let p = match state {
        "creating" => {
            let v = b.volume();
            b.pair_with(&g, &v, JobOutcome::NoWait)
        }
        "error" => {
            let v = volume_fail(&mut b, "createReplicationPairNoCG");
            b.pair_with(&g, &v, JobOutcome::Fail)
        }
        "deleting" | "error-deleting" => {
            let (v, how) = if state == "deleting" {
                (b.volume(), JobOutcome::NoWait)
            } else {
                (volume_fail(&mut b, "deleteReplicationPairNoCG"), JobOutcome::Fail)
            };
            let p = b.pair_with(&g, &v, JobOutcome::Success);
            let mut del = request("delete the pair", "deleteReplicationPair");
            del.path = path(&[("replication_id", &p.id())]);
            del.body = Some(json!({"replication": {"server_group_id": g.id(), "delete_target_volume": true}}));
            del.job = super::build::job(how, &[]);
            b.push(del);
            p
        }
        "extending" | "error-extending" => {
            let (v, how) = if state == "extending" {
                (b.volume(), JobOutcome::NoWait)
            } else {
                (volume_fail(&mut b, "expandReplicationPairNew"), JobOutcome::Fail)
            };
            let p = b.pair_with(&g, &v, JobOutcome::Success);
            b.expand(&p, how);
            p
        }
        "attaching" | "error-attaching" => {
            let (v, how) = if state == "attaching" {
                (b.volume(), JobOutcome::NoWait)
            } else {
                (volume_fail(&mut b, "attachReplicationPairNew"), JobOutcome::Fail)
            };
            let p = b.pair_with(&g, &v, JobOutcome::Success);
            let i = b.instance(&g);
            b.attach(&i, &p, "/dev/vda", how);
            instance = Some(i);
            p
        }
        "detaching" | "error-detaching" => {
            let (v, how) = if state == "detaching" {
                (b.volume(), JobOutcome::NoWait)
            } else {
                (volume_fail(&mut b, "detachReplicationPairNew"), JobOutcome::Fail)
            };
            let p = b.pair_with(&g, &v, JobOutcome::Success);
            let i = b.instance(&g);
            b.attach(&i, &p, "/dev/vda", JobOutcome::Success);
            b.detach(&i, &p, how);
            instance = Some(i);
            p
        }
        _ => return None,
    };
    let mut r = base(b, g);
    r.pair = Some(p);
    r.instance = instance;
    Some(with_states(r, &[(GROUP, "available"), (PAIR, state)]))
}

fn drill_in(state: &str) -> Option<Reached> {
    let mut b = Builder::new();
    let g = b.group();
    let d = match state {
        "available" => b.drill(&g),
        "creating" => {
            let v = b.drill_vpc();
            b.drill_with(&g, &v, JobOutcome::NoWait)
        }
        "error" => {
            let v = b.failing("drill_vpcs", "createDisasterRecoveryDrill");
            b.drill_with(&g, &v, JobOutcome::Fail)
        }
        "deleting" | "error-deleting" => {
            let (v, how) = if state == "deleting" {
                (b.drill_vpc(), JobOutcome::NoWait)
            } else {
                (b.failing("drill_vpcs", "deleteDisasterRecoveryDrill"), JobOutcome::Fail)
            };
            let d = b.drill_with(&g, &v, JobOutcome::Success);
            let mut del = request("delete the drill", "deleteDrDrill");
            del.path = path(&[("disaster_recovery_drill_id", &d.id())]);
            del.job = super::build::job(how, &[]);
            b.push(del);
            d
        }
        _ => return None,
    };
    let mut r = base(b, g);
    r.drill = Some(d);
    Some(with_states(r, &[(GROUP, "available"), (DRILL, state)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_a_recipe_but_those_no_api_call_leads_to() {
        let specs = crate::spec::Specs::embedded();
        let mut without = Vec::new();
        for kind in [GROUP, INSTANCE, PAIR, DRILL] {
            for state in specs.states.machines[kind].states.keys() {
                match reach(specs, kind, state) {
                    Some(r) => {
                        assert!(r.resource(kind).is_some(), "{kind} {state}");
                        assert_eq!(r.states.get(kind), Some(state), "{kind} {state}");
                    }
                    None => without.push(format!("{kind} {state}")),
                }
            }
        }
        // Named only by A.1 codes, or reached only by deleting servers or disks behind SDRS's back.
        let expected = [
            "server_group error-failing-back",
            "server_group error-failing-over-back",
            "server_group failed-over-back",
            "protected_instance fault",
            "protected_instance invalid",
            "protected_instance nic-deleting",
            "replication_pair fault",
            "replication_pair invalid",
        ];
        assert_eq!(without, expected);
    }

    #[test]
    fn group_paths_follow_the_actions_of_states_yaml() {
        let specs = crate::spec::Specs::embedded();
        let path = |state: &str| {
            let p = group_path(specs, state).unwrap_or_else(|| panic!("{state}"));
            (p.waited.join(" "), p.last.map(|(k, how)| format!("{k} {how}")).unwrap_or_default(), p.needs_shutoff)
        };
        let expected = [
            ("available", "", "", false),
            ("protected", "start-server-group", "", false),
            ("failed-over", "start-server-group failover-server-group", "", false),
            ("starting", "", "start-server-group nowait", false),
            ("stopping", "start-server-group", "stop-server-group nowait", false),
            ("failing-over", "start-server-group", "failover-server-group nowait", false),
            ("reversing", "start-server-group", "reverse-server-group nowait", true),
            ("reprotecting", "start-server-group failover-server-group", "start-server-group nowait", true),
            ("error-starting", "", "start-server-group startProtectionGroupNoCG", false),
            ("error-stopping", "start-server-group", "stop-server-group stopProtectionGroupNoCG", false),
            ("error-failing-over", "start-server-group", "failover-server-group failoverProtectionGroupNoCG", false),
            ("error-reversing", "start-server-group", "reverse-server-group reverseProtectionGroupNoCG", true),
            (
                "error-reprotecting",
                "start-server-group failover-server-group",
                "start-server-group reprotectProtectionGroupNoCG",
                true,
            ),
        ];
        for (state, waited, last, shutoff) in expected {
            assert_eq!(path(state), (waited.to_owned(), last.to_owned(), shutoff), "{state}");
        }
        // Creation and deletion states have setups of their own; A.1-only states have none.
        for state in ["creating", "deleting", "error", "error-deleting", "failed-over-back"] {
            assert!(group_path(specs, state).is_none(), "{state}");
        }
    }
}

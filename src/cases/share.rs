//! Sharing for real regions: negative cases whose setup only creates what the shared fixture
//! already holds (a group, its pair attached to its instance, a drill) read the fixture instead
//! of building their own resources, so a nightly run creates a bounded number of resources.

use super::model::{Case, CaseKind, Step};
use super::template::names_in;
use serde_json::Value;
use std::collections::BTreeMap;

/// Fixture variable standing for each job entity a setup step may create.
fn fixture_var(entity: &str) -> Option<&'static str> {
    match entity {
        "server_group_id" => Some("fixture.group"),
        "replication_pair_id" => Some("fixture.pair"),
        "protected_instance_id" => Some("fixture.instance"),
        "disaster_recovery_drill_id" => Some("fixture.drill"),
        _ => None,
    }
}

/// Operations a shareable setup may consist of (each creation at most once).
const SETUP_OPERATIONS: [&str; 6] = [
    "createProtectionGroup",
    "createReplicationPair",
    "createProtectedInstance",
    "attachReplicationPair",
    "createDrDrill",
    "createProtectedInstanceTag",
];

/// The case rewritten to read the shared fixture, when its setup fits the fixture.
pub fn onto_fixture(case: &Case) -> Option<Case> {
    // Precondition cases need their resource in one exact state, which the fixture is not: only
    // negative cases move, whose invalid input is refused whatever the state.
    if case.kind != CaseKind::Negative || case.fixture.is_some() || case.needs.shutoff || case.needs.spare_nics > 0 {
        return None;
    }
    let (test, setup) = case.steps.split_last()?;
    if setup.is_empty() {
        return None;
    }
    let mut renames: BTreeMap<String, &'static str> = BTreeMap::new();
    for step in setup {
        let Step::Request(r) = step else { return None };
        let waits = r.job.as_ref().is_none_or(|j| j.outcome == super::model::JobOutcome::Success);
        if !r.setup || !waits || !SETUP_OPERATIONS.contains(&r.operation.as_str()) || !r.capture.is_empty() {
            return None;
        }
        for (var, entity) in r.job.iter().flat_map(|j| j.capture.iter()) {
            let target = fixture_var(entity)?;
            if renames.values().any(|t| *t == target) {
                return None;
            }
            renames.insert(var.clone(), target);
        }
    }
    let Step::Request(test) = test else { return None };
    let mut test = test.clone();
    let rename = |v: &mut Value| rename_value(v, &renames);
    test.path.values_mut().for_each(rename);
    test.query.values_mut().for_each(rename);
    if let Some(b) = test.body.as_mut() {
        rename(b);
    }
    // Every variable the test reads must now come from the fixture or the base set.
    let mut names = Vec::new();
    for v in test.path.values().chain(test.query.values()).chain(test.body.iter()) {
        names_in(v, &mut names);
    }
    if names.iter().any(|n| renames.contains_key(n)) {
        return None;
    }
    let mut shared = case.clone();
    shared.steps = vec![Step::Request(test)];
    shared.fixture = Some(super::generate::recipes::FIXTURE.to_owned());
    shared.tags.push("shared-fixture".into());
    Some(shared)
}

fn rename_value(v: &mut Value, renames: &BTreeMap<String, &'static str>) {
    match v {
        Value::String(s) => {
            for (from, to) in renames {
                let pattern = format!("${{{from}}}");
                if s.contains(&pattern) {
                    *s = s.replace(&pattern, &format!("${{{to}}}"));
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rename_value(x, renames)),
        Value::Object(m) => m.values_mut().for_each(|x| rename_value(x, renames)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Specs;

    #[test]
    fn negative_cases_with_plain_setups_move_onto_the_fixture_and_others_stay() {
        let cases = crate::cases::generate::generate(Specs::embedded());
        let moved: Vec<Case> = cases.iter().filter_map(onto_fixture).collect();
        assert!(moved.len() > 50, "only {} cases share the fixture", moved.len());
        let create_instance =
            cases.iter().find(|c| c.id == "createProtectedInstance/negative/protected_instance.name/too-long").unwrap();
        let shared = onto_fixture(create_instance).expect("shareable");
        assert_eq!(shared.steps.len(), 1);
        let Step::Request(r) = &shared.steps[0] else { panic!() };
        assert_eq!(r.body.as_ref().unwrap()["protected_instance"]["server_group_id"], "${fixture.group}");
        // A group action needs a protected group: not shareable.
        let stop = cases.iter().find(|c| c.id.starts_with("stopProtectionGroup/negative/")).unwrap();
        assert!(onto_fixture(stop).is_none());
        // Precondition cases keep their own resources in the state they test.
        let stop = cases.iter().find(|c| c.id == "stopProtectionGroup/precondition/available").unwrap();
        assert!(onto_fixture(stop).is_none());
    }
}

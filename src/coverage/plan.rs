//! What a run's cases expected, and what became of them: the reason an item of the contract
//! was not observed, when a case expected it.

use super::{Key, Why};
use crate::cases::{Case, Judge, Step};
use crate::outcome::{CaseOutcome, RunReport};
use crate::spec::Specs;
use std::collections::HashMap;

/// The skip reason of a case whose prerequisites the world or profile lacks.
const MISSING_PREREQUISITE: &str = "missing prerequisite";

/// One case's expectations and its end.
#[derive(Debug)]
struct Expectation {
    case: String,
    outcome: CaseOutcome,
    reason: Option<String>,
    keys: Vec<Key>,
}

/// The items each case of a run expected to see, with the case's outcome.
#[derive(Debug, Default)]
pub struct Plan {
    expectations: Vec<Expectation>,
}

impl Plan {
    /// The plan of `cases` (those the run selected), ended as `report` says.
    pub fn new(specs: &Specs, cases: &[Case], report: &RunReport) -> Plan {
        let ends: HashMap<&str, (CaseOutcome, Option<&String>)> =
            report.cases.iter().map(|c| (c.id.as_str(), (c.outcome, c.reason.as_ref()))).collect();
        let mut expectations = Vec::new();
        for case in cases {
            let (outcome, reason) = match ends.get(case.id.as_str()) {
                Some((o, r)) => (*o, r.cloned()),
                None => (CaseOutcome::Skipped, case.skip.clone().or_else(|| Some("not reported".to_owned()))),
            };
            let mut keys = Vec::new();
            for step in &case.steps {
                let Step::Request(step) = step else { continue };
                let Some(op) = specs.operation(&step.operation) else { continue };
                keys.push(Key::Operation(op.id.clone()));
                let statuses = step.expect.status.as_ref().map_or_else(|| vec![op.success_status], |s| s.to_vec());
                keys.extend(statuses.into_iter().map(|s| Key::Status(op.id.clone(), s)));
                keys.extend(step.expect.codes.iter().map(|c| Key::Code(c.clone())));
                if let Judge::Precondition { action, state } = &step.expect.judge {
                    // A creation is refused for its group's state; any other action for its own.
                    let kind = match specs.states.action(action) {
                        Some(a) if a.creates => "server_group".to_owned(),
                        Some(a) => a.kind.clone(),
                        None => continue,
                    };
                    keys.push(Key::Refusal { operation: op.id.clone(), kind, state: state.clone() });
                }
            }
            expectations.push(Expectation { case: case.id.clone(), outcome, reason, keys });
        }
        Plan { expectations }
    }

    /// Why the item of `key` was not observed.
    pub fn why(&self, key: &Key) -> (Why, String) {
        let expecting: Vec<&Expectation> = self.expectations.iter().filter(|e| e.keys.contains(key)).collect();
        let Some(first) = expecting.first() else {
            let detail = match key {
                Key::Transition { .. } => "no read of this run showed the change",
                _ => "no case of this run expects it",
            };
            return (Why::NotTestedYet, detail.to_owned());
        };
        let n = expecting.len();
        let cases = if n == 1 { format!("case {}", first.case) } else { format!("{n} cases ({} first)", first.case) };
        let ran: Vec<&&Expectation> = expecting.iter().filter(|e| e.outcome != CaseOutcome::Skipped).collect();
        if let Some(r) = ran.first() {
            return (
                Why::NotTestedYet,
                format!("{cases} expect it; no answer showed it ({} {})", r.case, r.outcome.as_str()),
            );
        }
        let reason = first.reason.as_deref().unwrap_or("skipped");
        let missing =
            expecting.iter().find_map(|e| e.reason.as_deref().filter(|r| r.starts_with(MISSING_PREREQUISITE)));
        match missing {
            Some(r) => (Why::MissingFromWorld, format!("{cases} skipped: {r}")),
            None => (Why::NotTestedYet, format!("{cases} skipped: {reason}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::CaseReport;

    fn report_of(outcomes: &[(&str, CaseOutcome, Option<&str>)]) -> RunReport {
        let mut r = RunReport::default();
        for (id, outcome, reason) in outcomes {
            r.cases.push(CaseReport {
                id: (*id).to_owned(),
                operation: String::new(),
                family: String::new(),
                kind: String::new(),
                outcome: *outcome,
                duration_ms: 0,
                checks: Vec::new(),
                reason: reason.map(str::to_owned),
                baseline: None,
                evidence: Vec::new(),
                reproduce: None,
            });
        }
        r
    }

    fn failover_cases() -> Vec<Case> {
        let specs = Specs::embedded();
        crate::cases::all(specs, Vec::new())
            .into_iter()
            .filter(|c| c.id == "failoverProtectionGroup/precondition/available")
            .collect()
    }

    fn refusal() -> Key {
        Key::Refusal {
            operation: "failoverProtectionGroup".into(),
            kind: "server_group".into(),
            state: "available".into(),
        }
    }

    #[test]
    fn a_refusal_expected_by_a_case_skipped_for_prerequisites_is_missing_from_the_world() {
        let cases = failover_cases();
        assert_eq!(cases.len(), 1);
        let id = cases[0].id.clone();
        let skipped = report_of(&[(&id, CaseOutcome::Skipped, Some("missing prerequisite: 2 servers"))]);
        let (why, detail) = Plan::new(Specs::embedded(), &cases, &skipped).why(&refusal());
        assert_eq!(why, Why::MissingFromWorld, "{detail}");
        assert!(detail.contains("2 servers"), "{detail}");
        let ran = report_of(&[(&id, CaseOutcome::Failed, None)]);
        let (why, detail) = Plan::new(Specs::embedded(), &cases, &ran).why(&refusal());
        assert_eq!(why, Why::NotTestedYet);
        assert!(detail.contains("no answer showed it") && detail.contains("failed"), "{detail}");
    }

    #[test]
    fn an_item_no_case_expects_is_not_tested_yet() {
        let plan = Plan::new(Specs::embedded(), &failover_cases(), &RunReport::default());
        let (why, detail) = plan.why(&Key::Code("SDRS.0001".into()));
        assert_eq!((why, detail.as_str()), (Why::NotTestedYet, "no case of this run expects it"));
    }
}

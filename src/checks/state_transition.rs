//! `state_transition`: every status a resource was seen in belongs to its state machine, and
//! every change between two consecutive observations is one the kind's state machine allows.

use super::Evidence;
use super::{list, CheckContext, CheckName, CheckResult, Failure, STATES_SPEC};
use crate::spec::Machine;

/// Judges the statuses `observed` (in order) of the resource `resource_id` of `kind`.
pub fn state_transition(ctx: &CheckContext, kind: &str, resource_id: &str, observed: &[String]) -> CheckResult {
    let name = CheckName::StateTransition;
    if observed.is_empty() {
        return CheckResult::skipped(name, format!("no status of {kind} {resource_id} was observed"));
    }
    let states = &ctx.specs.states;
    let Some(m) = states.machines.get(kind) else {
        let known: Vec<&String> = states.machines.keys().collect();
        return CheckResult::skipped(name, format!("unknown kind `{kind}` (known: {})", list(&known)));
    };
    let spec = format!("{STATES_SPEC} machines.{kind}");
    let mut failures = Vec::new();

    // Each distinct status is judged once, in the order first seen.
    let mut seen: Vec<&str> = Vec::new();
    for status in observed {
        if seen.contains(&status.as_str()) {
            continue;
        }
        seen.push(status);
        match m.states.get(status.as_str()) {
            None => {
                let all: Vec<&String> = m.states.keys().collect();
                failures.push(
                    Failure::new(
                        format!("unknown status `{}` of {kind} {resource_id}", status),
                        format!("a state of {kind} ({}): {}", m.section, list(&all)),
                        format!("`{status}`"),
                    )
                    .at(spec.clone()),
                );
            }
            Some(info) => {
                if let Some(source) = &info.named_only_in {
                    failures.push(
                        Failure::new(
                            format!("status `{status}` of {kind} {resource_id} is named only in {source}"),
                            format!("a state of the {} table", m.section),
                            format!("`{status}`"),
                        )
                        .at(spec.clone())
                        .disputed(&info.disagreements),
                    );
                }
            }
        }
    }

    // Runs of one status collapse to one observation; unknown statuses break the chain.
    let mut runs: Vec<(usize, &str)> = Vec::new();
    for (i, status) in observed.iter().enumerate() {
        if runs.last().is_none_or(|(_, last)| *last != status.as_str()) {
            runs.push((i, status));
        }
    }
    let mut judged: Vec<(&str, &str)> = Vec::new();
    for pair in runs.windows(2) {
        let ((i, from), (j, to)) = (pair[0], pair[1]);
        let (Some(from_info), Some(to_info)) = (m.states.get(from), m.states.get(to)) else {
            continue;
        };
        if states.allows(kind, from, to) || judged.contains(&(from, to)) {
            continue;
        }
        judged.push((from, to));
        let occurrences = runs.windows(2).filter(|p| p[0].1 == from && p[1].1 == to).count();
        let times = if occurrences > 1 { format!(", {occurrences} times") } else { String::new() };
        // A state named only in A.1 has no documented transitions: the verdict is disputed.
        let mut disputes: Vec<String> = Vec::new();
        for info in [from_info, to_info].into_iter().filter(|s| s.named_only_in.is_some()) {
            for d in &info.disagreements {
                if !disputes.contains(d) {
                    disputes.push(d.clone());
                }
            }
        }
        failures.push(
            Failure::new(
                format!("illegal transition {from} -> {to} of {kind} {resource_id}"),
                successors_text(ctx, kind, m, from),
                format!("{from} -> {to} (observations {} and {}{times})", i + 1, j + 1),
            )
            .at(spec.clone())
            .disputed(&disputes),
        );
    }
    CheckResult::from_failures(name, failures, ctx.strict)
}

/// What may follow `from`, in words.
fn successors_text(ctx: &CheckContext, kind: &str, m: &Machine, from: &str) -> String {
    let next = ctx.specs.states.successors(kind, from);
    if next.is_empty() {
        let terminal = m.states.get(from).is_some_and(|s| s.terminal);
        if terminal {
            format!("no change after the terminal state {from}")
        } else {
            format!("no documented transition out of {from}")
        }
    } else {
        format!("{from} followed by one of: {}", list(&next))
    }
}

/// The state a scenario expects an answer to show: a scenario's own reading of the state
/// kind, judged as a transition the case observed.
pub fn judge_expected_state(ctx: &CheckContext, expected: &str, actual: Option<&str>) -> CheckResult {
    let name = CheckName::StateTransition;
    match actual {
        Some(a) if a == expected => CheckResult::passed(name),
        other => CheckResult::from_failures(
            name,
            vec![Failure::new(
                format!("the resource is not in the state the scenario expects ({expected})"),
                expected.to_owned(),
                other.unwrap_or("no status in the answer").to_owned(),
            )],
            ctx.strict,
        ),
    }
}

/// The registry's entry: observed status sequences, a group action's cascade, and the states
/// scenarios expect.
pub(super) fn judge(ctx: &CheckContext, ev: &Evidence) -> Option<CheckResult> {
    match ev {
        Evidence::Statuses { kind, id, observed } => Some(state_transition(ctx, kind, id, observed)),
        Evidence::Cascade { action, group_id, members, succeeded } => {
            Some(super::cascade(ctx, action, group_id, members, *succeeded))
        }
        Evidence::ExpectedState { expected, actual } => Some(judge_expected_state(ctx, expected, *actual)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{ctx, strict};
    use crate::checks::CheckOutcome;

    fn seq(states: &[&str]) -> Vec<String> {
        states.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_documented_lifecycle_passes() {
        let observed =
            seq(&["creating", "creating", "available", "starting", "protected", "failing-over", "failed-over"]);
        let r = state_transition(&ctx(), "server_group", "g1", &observed);
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn a_skipped_transitional_state_passes() {
        let r = state_transition(&ctx(), "server_group", "g1", &seq(&["available", "protected"]));
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn an_illegal_transition_fails_with_the_allowed_successors() {
        let r = state_transition(&ctx(), "server_group", "g1", &seq(&["available", "available", "failed-over"]));
        assert_eq!(r.outcome, CheckOutcome::Failed);
        let f = &r.failures[0];
        assert_eq!(f.title, "illegal transition available -> failed-over of server_group g1");
        assert!(f.expected.starts_with("available followed by one of: "), "{}", f.expected);
        assert!(f.expected.contains("starting"), "{}", f.expected);
        assert_eq!(f.actual, "available -> failed-over (observations 1 and 3)");
        assert_eq!(f.spec.as_deref(), Some("specs/states.yaml machines.server_group"));
    }

    #[test]
    fn a_change_after_a_terminal_job_state_fails() {
        let r = state_transition(&ctx(), "job", "j1", &seq(&["INIT", "SUCCESS", "RUNNING", "SUCCESS"]));
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures.len(), 1, "{}", r.details());
        assert_eq!(r.failures[0].expected, "no change after the terminal state SUCCESS");
    }

    #[test]
    fn an_unknown_status_fails_once() {
        let r = state_transition(&ctx(), "dr_drill", "d1", &seq(&["creating", "ready", "ready", "available"]));
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures.len(), 1, "{}", r.details());
        assert_eq!(r.failures[0].title, "unknown status `ready` of dr_drill d1");
    }

    #[test]
    fn a_state_named_only_in_a1_warns_with_its_inc_ids() {
        let r = state_transition(&ctx(), "server_group", "g1", &seq(&["failed-over", "failed-over-back"]));
        assert_eq!(r.outcome, CheckOutcome::Warned, "{}", r.details());
        assert!(r.failures.iter().all(|f| f.disagreements().contains(&"INC-07".to_owned())));
        let r = state_transition(&strict(), "server_group", "g1", &seq(&["failed-over-back"]));
        assert_eq!(r.outcome, CheckOutcome::Failed);
    }

    #[test]
    fn a_repeated_illegal_transition_is_reported_once_with_its_count() {
        let r = state_transition(&ctx(), "dr_drill", "d1", &seq(&["available", "creating", "available", "creating"]));
        assert_eq!(r.failures.len(), 1, "{}", r.details());
        assert!(r.failures[0].actual.ends_with(", 2 times)"), "{}", r.failures[0].actual);
    }

    #[test]
    fn nothing_observed_or_an_unknown_machine_is_skipped() {
        assert_eq!(state_transition(&ctx(), "server_group", "g1", &[]).outcome, CheckOutcome::Skipped);
        let r = state_transition(&ctx(), "volume", "v1", &seq(&["available"]));
        assert_eq!(r.outcome, CheckOutcome::Skipped);
        assert!(r.message.contains("server_group"));
    }

    #[test]
    fn the_failure_display_is_stable() {
        let observed = seq(&["available", "failed-over", "failed-over-back", "ready"]);
        let r = state_transition(&ctx(), "server_group", "g1", &observed);
        insta::assert_snapshot!(crate::checks::test_support::display(&r));
    }
}

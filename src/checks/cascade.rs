//! `state_transition`, cascades: after a protection-group action's job ends, every member
//! instance and pair that the action applies to shows the end state `states.yaml` gives it
//! (`cascade`), as the group itself does.

use super::{list, CheckContext, CheckName, CheckResult, Failure, STATES_SPEC};
use crate::spec::{Action, EndState};

/// One member of the group: its status before the action and after the job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// State machine (`protected_instance`, `replication_pair`).
    pub kind: String,
    /// Its id.
    pub id: String,
    /// The status read just before the action was sent (none: not read).
    pub before: Option<String>,
    /// The status read after the job ended (none: the member was not listed).
    pub after: Option<String>,
}

/// Judges whether the members moved to the end state of `action`'s cascade; `succeeded`: the
/// job ended SUCCESS (otherwise FAIL).
pub fn cascade(
    ctx: &CheckContext,
    action: &Action,
    group_id: &str,
    members: &[Member],
    succeeded: bool,
) -> CheckResult {
    let name = CheckName::StateTransition;
    if action.cascade.is_empty() {
        return CheckResult::skipped(name, format!("{} moves no member", action.name));
    }
    let mut failures = Vec::new();
    let mut judged = 0;
    for m in members {
        let (Some(rule), Some(kind)) = (action.cascade.get(&m.kind), ctx.specs.states.machines.get(&m.kind)) else {
            continue;
        };
        // The action moves only members in one of the cascade's source states.
        let Some(before) = m.before.as_deref().filter(|b| rule.from.iter().any(|f| f == b)) else { continue };
        judged += 1;
        let target: &EndState = if succeeded { &rule.success } else { &rule.failure };
        let wanted = target.resolve(kind, Some(before));
        let spec = format!("{STATES_SPEC} actions.{}.cascade.{}", action.name, m.kind);
        match &m.after {
            Some(after) if wanted.iter().any(|w| w == after) => {}
            after => failures.push(
                Failure::new(
                    format!(
                        "{} {} of group {group_id} is `{}` after {} ended {}",
                        m.kind,
                        m.id,
                        after.as_deref().unwrap_or("not listed"),
                        action.name,
                        if succeeded { "SUCCESS" } else { "FAIL" }
                    ),
                    format!("{} (from `{before}`)", list(&wanted)),
                    after.clone().unwrap_or_else(|| "absent from the group's list".to_owned()),
                )
                .at(spec)
                .source(format!("001 appendix {} and the page of {}", kind.section, action.operation)),
            ),
        }
    }
    if judged == 0 && failures.is_empty() {
        return CheckResult::skipped(
            name,
            format!("no member of group {group_id} was in a state {} moves", action.name),
        );
    }
    CheckResult::from_failures(name, failures, ctx.strict)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::ctx;
    use crate::checks::CheckOutcome;

    fn member(kind: &str, before: &str, after: Option<&str>) -> Member {
        Member { kind: kind.into(), id: "m1".into(), before: Some(before.into()), after: after.map(Into::into) }
    }

    fn start(ctx: &CheckContext) -> Action {
        ctx.specs.states.actions.iter().find(|a| a.name == "start_protection").expect("start_protection").clone()
    }

    #[test]
    fn members_in_the_end_state_pass() {
        let c = ctx();
        let members = [
            member("protected_instance", "available", Some("protected")),
            member("replication_pair", "available", Some("protected")),
        ];
        let r = cascade(&c, &start(&c), "g", &members, true);
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn a_member_left_in_its_old_state_or_missing_fails() {
        let c = ctx();
        let members = [
            member("protected_instance", "available", Some("available")),
            member("replication_pair", "available", None),
        ];
        let r = cascade(&c, &start(&c), "g", &members, true);
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures.len(), 2, "{}", r.details());
        assert_eq!(
            r.failures[0].title,
            "protected_instance m1 of group g is `available` after start_protection ended SUCCESS"
        );
        assert_eq!(
            r.failures[0].spec.as_deref(),
            Some("specs/states.yaml actions.start_protection.cascade.protected_instance")
        );
    }

    #[test]
    fn a_failed_job_expects_the_failure_state_and_members_outside_from_are_not_judged() {
        let c = ctx();
        let r =
            cascade(&c, &start(&c), "g", &[member("protected_instance", "available", Some("error-starting"))], false);
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
        let r = cascade(&c, &start(&c), "g", &[member("protected_instance", "protected", Some("protected"))], true);
        assert_eq!(r.outcome, CheckOutcome::Skipped);
    }
}

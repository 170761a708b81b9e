//! `precondition`: an action sent while the resource is in a state that forbids it is refused
//! with the documented status and error code.

use super::refusal::{refusal_failures, RefusalWording};
use super::{CheckContext, CheckName, CheckResult, STATES_SPEC};
use super::{Evidence, Expectation};
use crate::exchange::Exchange;

/// The refusal a case expects: `action` (a `states.yaml` action name) sent from `state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedRefusal {
    /// Name of the action, as in `states.yaml`.
    pub action: String,
    /// The state the resource was in, which the action does not allow.
    pub state: String,
    /// The documented refusal status.
    pub status: u16,
    /// Accepted error codes (empty: the code is not checked).
    pub codes: Vec<String>,
    /// INC entries disputing this rule: non-empty turns every failure into a warning.
    pub disagreements: Vec<String>,
    /// Entries disputing only the code: a wrong or missing code warns, an acceptance still fails.
    pub code_disagreements: Vec<String>,
}

/// Judges whether `ex` refused the action as `expected` says.
pub fn precondition(ctx: &CheckContext, expected: &ExpectedRefusal, ex: &Exchange) -> CheckResult {
    let name = CheckName::Precondition;
    let Some(resp) = ex.ok() else {
        return CheckResult::skipped(name, "no response (judged by status_code)");
    };
    let spec = match ctx.specs.states.action(&expected.action) {
        Some(action) => format!("{} (action {})", action.location, action.name),
        None => format!("{STATES_SPEC} action {}", expected.action),
    };
    let disputes = (expected.disagreements.as_slice(), expected.code_disagreements.as_slice());
    let failures = refusal_failures(resp, expected.status, &expected.codes, disputes, &spec, expected);
    CheckResult::from_failures(name, failures, ctx.strict)
}

impl RefusalWording for ExpectedRefusal {
    fn accepted(&self) -> String {
        format!("action {} accepted from state {} which forbids it", self.action, self.state)
    }

    fn wrong_status(&self, got: u16, wanted: u16) -> String {
        format!("action {} from state {} refused with status {got}, not {wanted}", self.action, self.state)
    }

    fn wrong_code(&self, code: &str) -> String {
        format!("action {} from state {} refused with {code}", self.action, self.state)
    }

    fn no_code(&self) -> String {
        format!("the refusal of {} from state {} carries no error code", self.action, self.state)
    }
}

/// The registry's entry: the verdict of an action sent from a state that forbids it.
pub(super) fn judge(ctx: &CheckContext, ev: &Evidence) -> Option<CheckResult> {
    let Evidence::Answer(a) = ev else { return None };
    let Expectation::Refusal(expected) = a.expect else { return None };
    Some(precondition(ctx, expected, a.exchange))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{ctx, no_response, strict};
    use crate::checks::CheckOutcome;
    use serde_json::{json, Value};

    fn refusal(disagreements: &[&str]) -> ExpectedRefusal {
        ExpectedRefusal {
            action: "stop_protection".into(),
            state: "available".into(),
            status: 400,
            codes: vec!["SDRS.1002".into(), "SDRS.1019".into()],
            disagreements: disagreements.iter().map(|s| (*s).to_owned()).collect(),
            code_disagreements: Vec::new(),
        }
    }

    fn answer(status: u16, body: Value) -> Exchange {
        Exchange::fake("stopProtectionGroup", "POST", "/v1/p/server-groups/g/action", status, body)
    }

    #[test]
    fn a_refusal_with_a_documented_code_passes_in_either_envelope() {
        let r = precondition(
            &ctx(),
            &refusal(&[]),
            &answer(400, json!({"badrequest": {"code": "SDRS.1019", "message": "m"}})),
        );
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
        let r = precondition(&ctx(), &refusal(&[]), &answer(400, json!({"error_code": "SDRS.1002", "error_msg": "m"})));
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn an_accepted_forbidden_action_fails() {
        let r =
            precondition(&ctx(), &refusal(&[]), &answer(200, json!({"job_id": "0123456789abcdef0123456789abcdef"})));
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures.len(), 1);
        assert_eq!(r.failures[0].title, "action stop_protection accepted from state available which forbids it");
        let spec = r.failures[0].spec.as_deref().unwrap_or("");
        assert!(spec.starts_with("specs/states.yaml:"), "{spec}");
        assert!(spec.ends_with(" (action stop_protection)"), "{spec}");
    }

    #[test]
    fn another_refusal_status_fails() {
        let r =
            precondition(&ctx(), &refusal(&[]), &answer(409, json!({"error": {"code": "SDRS.1002", "message": "m"}})));
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures[0].title, "action stop_protection from state available refused with status 409, not 400");
    }

    #[test]
    fn an_undocumented_code_fails() {
        let r =
            precondition(&ctx(), &refusal(&[]), &answer(400, json!({"error": {"code": "SDRS.0201", "message": "m"}})));
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures[0].title, "action stop_protection from state available refused with SDRS.0201");
    }

    #[test]
    fn a_refusal_without_a_code_fails() {
        let r = precondition(&ctx(), &refusal(&[]), &answer(400, json!(null)));
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures[0].actual, "status 400: (empty body)");
    }

    #[test]
    fn a_disputed_rule_only_warns() {
        let ex = answer(400, json!({"error": {"code": "SDRS.0201", "message": "m"}}));
        let r = precondition(&ctx(), &refusal(&["INC-09"]), &ex);
        assert_eq!(r.outcome, CheckOutcome::Warned, "{}", r.details());
        assert_eq!(precondition(&strict(), &refusal(&["INC-09"]), &ex).outcome, CheckOutcome::Failed);
    }

    #[test]
    fn a_disputed_code_warns_while_an_acceptance_still_fails() {
        let mut rule = refusal(&[]);
        rule.code_disagreements = vec!["OWN-02".into()];
        let wrong_code = answer(400, json!({"error": {"code": "SDRS.0201", "message": "m"}}));
        assert_eq!(precondition(&ctx(), &rule, &wrong_code).outcome, CheckOutcome::Warned);
        assert_eq!(precondition(&strict(), &rule, &wrong_code).outcome, CheckOutcome::Failed);
        let accepted = answer(200, json!({"job_id": "0123456789abcdef0123456789abcdef"}));
        assert_eq!(precondition(&ctx(), &rule, &accepted).outcome, CheckOutcome::Failed);
    }

    #[test]
    fn no_response_is_skipped() {
        assert_eq!(
            precondition(&ctx(), &refusal(&[]), &no_response("stopProtectionGroup")).outcome,
            CheckOutcome::Skipped
        );
    }

    #[test]
    fn the_failure_display_is_stable() {
        let ex = answer(409, json!({"error": {"code": "SDRS.0201", "message": "m"}}));
        let r = precondition(&ctx(), &refusal(&[]), &ex);
        insta::assert_snapshot!(crate::checks::test_support::display(&r));
    }
}

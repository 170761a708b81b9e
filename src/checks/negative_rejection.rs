//! `negative_rejection`: a request made invalid on purpose is refused with the documented status
//! and error code.

use super::refusal::{refusal_failures, RefusalWording};
use super::{CheckContext, CheckName, CheckResult, ERRORS_SPEC};
use super::{Evidence, Expectation};
use crate::exchange::Exchange;

/// The rejection a negative case expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedRejection {
    /// What was made invalid, in words (`limit=-1`, `name of 65 bytes`...).
    pub mutation: String,
    /// The documented status (400 for invalid input).
    pub status: u16,
    /// Accepted error codes (empty: the code is not checked).
    pub codes: Vec<String>,
    /// INC entries disputing this rule: non-empty turns every failure into a warning.
    pub disagreements: Vec<String>,
}

/// Judges whether `ex` rejected the invalid input as `expected` says.
pub fn negative_rejection(ctx: &CheckContext, expected: &ExpectedRejection, ex: &Exchange) -> CheckResult {
    let name = CheckName::NegativeRejection;
    let Some(resp) = ex.ok() else {
        return CheckResult::skipped(name, "no response (judged by status_code)");
    };
    let spec = match (expected.codes.is_empty(), ctx.specs.operation(&ex.operation)) {
        (false, _) => format!("{ERRORS_SPEC} {}", expected.codes.join(", ")),
        (true, Some(op)) => format!("{} ({} responses {})", op.location, op.id, expected.status),
        (true, None) => format!("{} responses {}", ex.operation, expected.status),
    };
    let failures =
        refusal_failures(resp, expected.status, &expected.codes, (&expected.disagreements, &[]), &spec, expected);
    CheckResult::from_failures(name, failures, ctx.strict)
}

impl RefusalWording for ExpectedRejection {
    fn accepted(&self) -> String {
        format!("invalid input accepted: {}", self.mutation)
    }

    fn wrong_status(&self, got: u16, wanted: u16) -> String {
        format!("invalid input ({}) refused with status {got}, not {wanted}", self.mutation)
    }

    fn wrong_code(&self, code: &str) -> String {
        format!("invalid input ({}) refused with {code}", self.mutation)
    }

    fn no_code(&self) -> String {
        format!("the rejection of invalid input ({}) carries no error code", self.mutation)
    }
}

/// The registry's entry: the verdict of a request carrying invalid input.
pub(super) fn judge(ctx: &CheckContext, ev: &Evidence) -> Option<CheckResult> {
    let Evidence::Answer(a) = ev else { return None };
    let Expectation::Rejection(expected) = a.expect else { return None };
    Some(negative_rejection(ctx, expected, a.exchange))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{ctx, no_response, strict};
    use crate::checks::CheckOutcome;
    use serde_json::{json, Value};

    fn rejection(codes: &[&str], disagreements: &[&str]) -> ExpectedRejection {
        ExpectedRejection {
            mutation: "limit=-1".into(),
            status: 400,
            codes: codes.iter().map(|s| (*s).to_owned()).collect(),
            disagreements: disagreements.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    fn answer(status: u16, body: Value) -> Exchange {
        Exchange::fake("listProtectionGroups", "GET", "/v1/p/server-groups?limit=-1", status, body)
    }

    #[test]
    fn a_rejection_with_the_documented_code_passes() {
        let r = negative_rejection(
            &ctx(),
            &rejection(&["SDRS.0221"], &[]),
            &answer(400, json!({"badrequest": {"code": "SDRS.0221", "message": "m"}})),
        );
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn any_code_passes_when_none_is_documented() {
        let r = negative_rejection(
            &ctx(),
            &rejection(&[], &[]),
            &answer(400, json!({"error_code": "SDRS.0201", "error_msg": "m"})),
        );
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn accepted_invalid_input_fails() {
        let r = negative_rejection(
            &ctx(),
            &rejection(&["SDRS.0221"], &[]),
            &answer(200, json!({"server_groups": [], "count": 0})),
        );
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures.len(), 1);
        assert_eq!(r.failures[0].title, "invalid input accepted: limit=-1");
        assert_eq!(r.failures[0].spec.as_deref(), Some("specs/errors.yaml SDRS.0221"));
    }

    #[test]
    fn another_status_fails() {
        let r = negative_rejection(
            &ctx(),
            &rejection(&["SDRS.0221"], &[]),
            &answer(500, json!({"error": {"code": "SDRS.0221", "message": "m"}})),
        );
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures[0].title, "invalid input (limit=-1) refused with status 500, not 400");
    }

    #[test]
    fn another_code_fails() {
        let r = negative_rejection(
            &ctx(),
            &rejection(&["SDRS.0221"], &[]),
            &answer(400, json!({"error": {"code": "SDRS.0222", "message": "m"}})),
        );
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures[0].title, "invalid input (limit=-1) refused with SDRS.0222");
    }

    #[test]
    fn a_rejection_without_a_code_fails() {
        let ex = crate::checks::test_support::raw("listProtectionGroups", 400, Some("text/plain"), b"bad request");
        let r = negative_rejection(&ctx(), &rejection(&["SDRS.0221"], &[]), &ex);
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures[0].title, "the rejection of invalid input (limit=-1) carries no error code");
    }

    #[test]
    fn a_disputed_rule_only_warns() {
        let ex = answer(200, json!({"server_groups": [], "count": 0}));
        let r = negative_rejection(&ctx(), &rejection(&["SDRS.0221"], &["INC-14"]), &ex);
        assert_eq!(r.outcome, CheckOutcome::Warned);
        assert_eq!(
            negative_rejection(&strict(), &rejection(&["SDRS.0221"], &["INC-14"]), &ex).outcome,
            CheckOutcome::Failed
        );
    }

    #[test]
    fn no_response_is_skipped() {
        let r = negative_rejection(&ctx(), &rejection(&[], &[]), &no_response("listProtectionGroups"));
        assert_eq!(r.outcome, CheckOutcome::Skipped);
    }

    #[test]
    fn the_failure_display_is_stable() {
        let ex = answer(200, json!({"server_groups": [], "count": 0}));
        let r = negative_rejection(&ctx(), &rejection(&["SDRS.0221"], &[]), &ex);
        insta::assert_snapshot!(crate::checks::test_support::display(&r));
    }
}

//! `status_code`: the answer has the status the case expects, and that status is documented
//! for the operation.

use super::{list, status_excerpt, CheckContext, CheckName, CheckResult, Failure};
use super::{Evidence, Expectation};
use crate::exchange::Exchange;
use crate::spec::Operation;

/// Judges the status of `ex` against the statuses the case expects and those `op` documents.
///
/// An empty `expected` means "any documented status": only the documentation rule applies.
pub fn status_code(ctx: &CheckContext, op: &Operation, expected: &[u16], ex: &Exchange) -> CheckResult {
    let name = CheckName::StatusCode;
    let documented: Vec<u16> = op.responses.keys().copied().collect();
    let resp = match &ex.response {
        Ok(resp) => resp,
        Err(e) => {
            let wanted = if expected.is_empty() { list(&documented) } else { list(expected) };
            let failure = Failure::new(
                format!("no response to {} {}: {}", ex.request.method, ex.request.path, e.message),
                format!("an HTTP answer with status {wanted}"),
                format!("{:?} error: {}", e.kind, e.message),
            )
            .at(format!("{} ({} responses)", op.location, op.id));
            return CheckResult::from_failures(name, vec![failure], ctx.strict);
        }
    };
    let mut failures = Vec::new();
    if !expected.is_empty() && !expected.contains(&resp.status) {
        failures.push(
            Failure::new(
                format!("status {} where {} was expected", resp.status, list(expected)),
                format!("status {}", list(expected)),
                status_excerpt(resp),
            )
            .at(format!("{} ({} responses)", op.location, op.id)),
        );
    }
    if !op.responses.contains_key(&resp.status) {
        failures.push(
            Failure::new(
                format!("undocumented status {} for {}", resp.status, op.id),
                format!("one of the documented statuses {}", list(&documented)),
                status_excerpt(resp),
            )
            .at(format!("{} ({} responses)", op.location, op.id)),
        );
    }
    CheckResult::from_failures(name, failures, ctx.strict)
}

/// The registry's entry: the verdict of a request whose case expects a status. A failure the
/// case's disputed entries concern only warns when the answer is a refusal (a 2xx answer breaks
/// what every reading of the seeds expects).
pub(super) fn judge(ctx: &CheckContext, ev: &Evidence) -> Option<CheckResult> {
    let Evidence::Answer(a) = ev else { return None };
    let Expectation::Status { .. } = a.expect else { return None };
    let r = status_code(ctx, a.op, a.statuses, a.exchange);
    let refused = a.exchange.status().is_some_and(|s| !(200..300).contains(&s));
    Some(if refused { r.disputed_by(a.disputed, ctx.strict) } else { r })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{ctx, no_response, op};
    use crate::checks::CheckOutcome;
    use serde_json::json;

    #[test]
    fn an_expected_and_documented_status_passes() {
        let ex =
            Exchange::fake("showProtectionGroup", "GET", "/v1/p/server-groups/g", 200, json!({"server_group": {}}));
        let r = status_code(&ctx(), op("showProtectionGroup"), &[200], &ex);
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn an_unexpected_status_fails_with_a_body_excerpt() {
        let long = "x".repeat(1000);
        let ex = Exchange::fake(
            "showProtectionGroup",
            "GET",
            "/v1/p/server-groups/g",
            400,
            json!({"error": {"code": "SDRS.1013", "message": long}}),
        );
        let r = status_code(&ctx(), op("showProtectionGroup"), &[200], &ex);
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures.len(), 1);
        let f = &r.failures[0];
        assert_eq!(f.title, "status 400 where 200 was expected");
        assert!(f.actual.starts_with("status 400: {\"error\""), "{}", f.actual);
        let body = f.actual.trim_start_matches("status 400: ");
        assert!(body.chars().count() <= 200, "{}", body.chars().count());
        assert!(f.spec.as_deref().is_some_and(|s| s.starts_with("specs/sdrs-v1.openapi.yaml:")));
    }

    #[test]
    fn an_undocumented_status_fails_even_when_expected() {
        let ex = Exchange::fake("showProtectionGroup", "GET", "/v1/p/server-groups/g", 418, json!({"teapot": true}));
        let r = status_code(&ctx(), op("showProtectionGroup"), &[200, 418], &ex);
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures.len(), 1);
        assert_eq!(r.failures[0].title, "undocumented status 418 for showProtectionGroup");
        assert!(r.failures[0].expected.contains("200, 400, 401"), "{}", r.failures[0].expected);
    }

    #[test]
    fn an_unexpected_undocumented_status_reports_both_violations() {
        let ex = Exchange::fake("showProtectionGroup", "GET", "/v1/p/server-groups/g", 202, json!(null));
        let r = status_code(&ctx(), op("showProtectionGroup"), &[200], &ex);
        assert_eq!(r.failures.len(), 2);
        assert!(r.failures[0].actual.ends_with("(empty body)"));
    }

    #[test]
    fn no_response_fails_with_the_transport_message() {
        let ex = no_response("showProtectionGroup");
        let r = status_code(&ctx(), op("showProtectionGroup"), &[200], &ex);
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert!(r.failures[0].title.contains("no answer within 30s"));
        assert!(r.failures[0].actual.contains("Timeout"));
    }

    #[test]
    fn an_empty_expectation_checks_only_the_documentation() {
        let ex = Exchange::fake("deleteFailureJob", "DELETE", "/v1/p/task-center/failure-jobs/j", 204, json!(null));
        let r = status_code(&ctx(), op("deleteFailureJob"), &[], &ex);
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn the_failure_display_reads_title_expected_actual_spec() {
        let ex = Exchange::fake(
            "showProtectionGroup",
            "GET",
            "/v1/p/server-groups/g",
            404,
            json!({"itemNotFound": {"code": "SDRS.1013", "message": "gone"}}),
        );
        let r = status_code(&ctx(), op("showProtectionGroup"), &[200], &ex);
        let text = r.details();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "status 404 where 200 was expected");
        assert_eq!(lines[1], "  expected: status 200");
        assert_eq!(lines[2], r#"  actual:   status 404: {"itemNotFound":{"code":"SDRS.1013","message":"gone"}}"#);
        assert!(lines[3].starts_with("  spec:     specs/sdrs-v1.openapi.yaml:"), "{}", lines[3]);
        assert!(lines[3].ends_with(" (showProtectionGroup responses)"), "{}", lines[3]);
    }

    #[test]
    fn the_failure_display_is_stable() {
        let ex = Exchange::fake("showProtectionGroup", "GET", "/", 202, json!(null));
        let r = status_code(&ctx(), op("showProtectionGroup"), &[200], &ex);
        insta::assert_snapshot!(crate::checks::test_support::display(&r));
    }
}

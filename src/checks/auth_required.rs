//! `auth_required`: a request with missing or bad credentials is refused with 401.

use super::{status_excerpt, CheckContext, CheckName, CheckResult, Failure};
use super::{Evidence, Expectation};
use crate::exchange::Exchange;

/// Judges whether `ex`, sent with the `credentials` described ("none", "invalid token",
/// "bad signature"...), was refused with 401.
pub fn auth_required(ctx: &CheckContext, credentials: &str, ex: &Exchange) -> CheckResult {
    let name = CheckName::AuthRequired;
    let Some(resp) = ex.ok() else {
        return CheckResult::skipped(name, "no response (judged by status_code)");
    };
    let spec = match ctx.specs.operation(&ex.operation) {
        Some(op) if op.responses.contains_key(&401) => {
            format!("{} ({} responses 401)", op.location, op.id)
        }
        Some(op) => format!("{} ({} security)", op.location, op.id),
        None => format!("{}#/security", ctx.specs.sdrs.file),
    };
    let failure = if resp.status == 401 {
        None
    } else if resp.is_success() {
        Some(Failure::new(format!("request with {credentials} accepted"), "status 401", status_excerpt(resp)))
    } else {
        Some(Failure::new(
            format!("request with {credentials} answered {}, not 401", resp.status),
            "status 401",
            status_excerpt(resp),
        ))
    };
    CheckResult::from_failures(name, failure.into_iter().map(|f| f.at(spec.clone())).collect(), ctx.strict)
}

/// The registry's entry: the verdict of a request with missing or bad credentials.
pub(super) fn judge(ctx: &CheckContext, ev: &Evidence) -> Option<CheckResult> {
    let Evidence::Answer(a) = ev else { return None };
    let Expectation::Credentials(credentials) = a.expect else { return None };
    Some(auth_required(ctx, credentials, a.exchange))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{ctx, no_response};
    use crate::checks::CheckOutcome;
    use serde_json::json;

    fn answer(status: u16) -> Exchange {
        Exchange::fake(
            "listProtectionGroups",
            "GET",
            "/v1/p/server-groups",
            status,
            json!({"error_code": "APIGW.0301", "error_msg": "m"}),
        )
    }

    #[test]
    fn a_401_passes() {
        let r = auth_required(&ctx(), "no credentials", &answer(401));
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn an_accepted_request_without_credentials_fails() {
        let r = auth_required(&ctx(), "no credentials", &answer(200));
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures[0].title, "request with no credentials accepted");
        assert!(r.failures[0].spec.as_deref().is_some_and(|s| s.ends_with("(listProtectionGroups responses 401)")));
    }

    #[test]
    fn another_refusal_status_fails() {
        let r = auth_required(&ctx(), "a bad signature", &answer(403));
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures[0].title, "request with a bad signature answered 403, not 401");
    }

    #[test]
    fn an_unknown_operation_still_gets_a_spec_reference() {
        let ex = Exchange::fake("noSuchOperation", "GET", "/", 500, json!(null));
        let r = auth_required(&ctx(), "an invalid token", &ex);
        assert_eq!(r.failures[0].spec.as_deref(), Some("specs/sdrs-v1.openapi.yaml#/security"));
    }

    #[test]
    fn no_response_is_skipped() {
        assert_eq!(
            auth_required(&ctx(), "no credentials", &no_response("listProtectionGroups")).outcome,
            CheckOutcome::Skipped
        );
    }

    #[test]
    fn the_failure_display_is_stable() {
        let r = auth_required(&ctx(), "an invalid token", &answer(200));
        insta::assert_snapshot!(crate::checks::test_support::display(&r));
    }
}

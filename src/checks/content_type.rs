//! `content_type`: non-empty bodies are labelled `application/json` and parse as JSON; a 204
//! has no body; a status documented with a JSON body has one.

use super::Evidence;
use super::{body_excerpt, CheckContext, CheckName, CheckResult, Failure};
use crate::exchange::Exchange;
use crate::spec::Operation;

/// Judges the body framing of `ex`: its `Content-Type`, whether it parses, whether it may be empty.
pub fn content_type(ctx: &CheckContext, op: &Operation, ex: &Exchange) -> CheckResult {
    let name = CheckName::ContentType;
    let Some(resp) = ex.ok() else {
        return CheckResult::skipped(name, "no response (judged by status_code)");
    };
    let mut failures = Vec::new();
    let schema_pointer = op.responses.get(&resp.status).and_then(|r| r.schema_pointer.as_deref());
    let spec = match schema_pointer {
        Some(p) => format!("{}#{}", op.location.file, p),
        None => format!("{} ({} responses)", op.location, op.id),
    };

    if resp.status == 204 && !resp.body.is_empty() {
        failures.push(
            Failure::new(
                "a 204 answer has a body",
                "no body (204 No Content)",
                format!("{} bytes: {}", resp.body.len(), body_excerpt(resp)),
            )
            .at(spec.clone()),
        );
    }

    if resp.body.is_empty() {
        if resp.status != 204 && schema_pointer.is_some() {
            failures.push(
                Failure::new(
                    format!("status {} documents a JSON body, but the body is empty", resp.status),
                    "a JSON body",
                    "(empty body)",
                )
                .at(spec.clone()),
            );
        }
        return CheckResult::from_failures(name, failures, ctx.strict);
    }

    match resp.header("content-type") {
        None => failures.push(
            Failure::new("a body without Content-Type", "Content-Type: application/json", "no Content-Type header")
                .at(spec.clone()),
        ),
        Some(value) if !is_json_media_type(value) => failures.push(
            Failure::new(
                format!("a body labelled `{value}`, not application/json"),
                "Content-Type: application/json (parameters such as charset allowed)",
                format!("Content-Type: {value}"),
            )
            .at(spec.clone()),
        ),
        Some(_) => {}
    }

    if let Err(e) = serde_json::from_slice::<serde_json::Value>(&resp.body) {
        failures.push(
            Failure::new(
                // serde_json's message ends with the position: "... at line L column C".
                format!("the body is not JSON: {e}"),
                "a complete JSON document",
                format!("{} bytes: {}", resp.body.len(), body_excerpt(resp)),
            )
            .at(spec),
        );
    }
    CheckResult::from_failures(name, failures, ctx.strict)
}

/// Whether a `Content-Type` value is `application/json`, parameters allowed, case-insensitive.
fn is_json_media_type(value: &str) -> bool {
    let media = value.split(';').next().unwrap_or("").trim();
    media.eq_ignore_ascii_case("application/json")
}

/// The registry's entry: every answer to a request.
pub(super) fn judge(ctx: &CheckContext, ev: &Evidence) -> Option<CheckResult> {
    let Evidence::Answer(a) = ev else { return None };
    Some(content_type(ctx, a.op, a.exchange))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{ctx, no_response, op, raw};
    use crate::checks::CheckOutcome;
    use serde_json::json;

    #[test]
    fn a_json_body_labelled_json_with_a_charset_passes() {
        let ex =
            Exchange::fake("showProtectionGroup", "GET", "/v1/p/server-groups/g", 200, json!({"server_group": {}}));
        let r = content_type(&ctx(), op("showProtectionGroup"), &ex);
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn the_media_type_is_matched_case_insensitively() {
        let ex = raw("showProtectionGroup", 200, Some("Application/JSON ; Charset=utf-8"), b"{}");
        let r = content_type(&ctx(), op("showProtectionGroup"), &ex);
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn a_json_body_labelled_text_fails() {
        let ex = raw("showProtectionGroup", 200, Some("text/plain"), b"{}");
        let r = content_type(&ctx(), op("showProtectionGroup"), &ex);
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures[0].title, "a body labelled `text/plain`, not application/json");
    }

    #[test]
    fn a_lookalike_media_type_fails() {
        let ex = raw("showProtectionGroup", 200, Some("application/jsonp"), b"{}");
        let r = content_type(&ctx(), op("showProtectionGroup"), &ex);
        assert_eq!(r.outcome, CheckOutcome::Failed);
    }

    #[test]
    fn a_body_without_content_type_fails() {
        let ex = raw("showProtectionGroup", 200, None, b"{}");
        let r = content_type(&ctx(), op("showProtectionGroup"), &ex);
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures[0].actual, "no Content-Type header");
    }

    #[test]
    fn a_truncated_body_fails_quoting_the_parse_position() {
        let ex = raw("showProtectionGroup", 200, Some("application/json"), b"{\"server_group\": {\"id\": \"a");
        let r = content_type(&ctx(), op("showProtectionGroup"), &ex);
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures.len(), 1);
        assert_eq!(r.failures[0].title, "the body is not JSON: EOF while parsing a string at line 1 column 26");
    }

    #[test]
    fn a_non_json_body_labelled_html_reports_both_violations() {
        let ex = raw("showProtectionGroup", 502, Some("text/html"), b"<html>Bad Gateway</html>");
        let r = content_type(&ctx(), op("showProtectionGroup"), &ex);
        assert_eq!(r.failures.len(), 2, "{}", r.details());
    }

    #[test]
    fn a_body_that_is_not_utf8_fails_without_panicking() {
        let ex = raw("showProtectionGroup", 200, Some("application/json"), &[0xff, 0xfe, 0x00, 0x7b]);
        let r = content_type(&ctx(), op("showProtectionGroup"), &ex);
        assert_eq!(r.outcome, CheckOutcome::Failed);
    }

    #[test]
    fn an_empty_204_passes() {
        let ex = Exchange::fake("deleteFailureJob", "DELETE", "/v1/p/task-center/failure-jobs/j", 204, json!(null));
        let r = content_type(&ctx(), op("deleteFailureJob"), &ex);
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn a_204_with_a_body_fails() {
        let ex =
            Exchange::fake("deleteFailureJob", "DELETE", "/v1/p/task-center/failure-jobs/j", 204, json!({"ok": true}));
        let r = content_type(&ctx(), op("deleteFailureJob"), &ex);
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures[0].title, "a 204 answer has a body");
    }

    #[test]
    fn a_documented_json_status_with_an_empty_body_fails() {
        let ex = Exchange::fake("showProtectionGroup", "GET", "/v1/p/server-groups/g", 200, json!(null));
        let r = content_type(&ctx(), op("showProtectionGroup"), &ex);
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures[0].title, "status 200 documents a JSON body, but the body is empty");
        assert!(r.failures[0].spec.as_deref().is_some_and(|s| s.starts_with("specs/sdrs-v1.openapi.yaml#/")));
    }

    #[test]
    fn an_empty_body_on_an_undocumented_status_passes() {
        let ex = Exchange::fake("showProtectionGroup", "GET", "/v1/p/server-groups/g", 302, json!(null));
        let r = content_type(&ctx(), op("showProtectionGroup"), &ex);
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn no_response_is_skipped() {
        let r = content_type(&ctx(), op("showProtectionGroup"), &no_response("showProtectionGroup"));
        assert_eq!(r.outcome, CheckOutcome::Skipped);
    }

    #[test]
    fn the_failure_display_is_stable() {
        let ex = raw("showProtectionGroup", 502, Some("text/html"), b"<html>Bad Gateway</html>");
        let r = content_type(&ctx(), op("showProtectionGroup"), &ex);
        insta::assert_snapshot!(crate::checks::test_support::display(&r));
    }
}

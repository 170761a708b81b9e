//! `error_body`: an error answer has a documented envelope, a known code, and the HTTP status
//! the error table gives that code.
//!
//! Two envelopes are documented (INC-34) and both are accepted: wrapped,
//! `{"<type>": {"code": "...", "message": "..."}}` with any single top-level key (`error`,
//! `badrequest`, `itemNotFound`...), and flat, `{"error_code": "...", "error_msg": "..."}`
//! (section 3.3, extra top-level keys such as `request_id` allowed).

use super::{body_excerpt, list, value_excerpt, CheckContext, CheckName, CheckResult, Failure, ERRORS_SPEC};
use super::{Evidence, Expectation};
use crate::exchange::Exchange;
use crate::spec::Operation;
use serde_json::{Map, Value};

/// Statuses with which a gateway (`APIGW.*`) code may answer.
const GATEWAY_STATUSES: [u16; 6] = [401, 403, 404, 405, 413, 429];

/// The disagreement about codes used outside appendix A.1.
const OUTSIDE_TABLE: &str = "INC-32";

/// The disagreement about resource-not-found codes (400 in A.1, 404 on the pages).
const NOT_FOUND_STATUS: &str = "INC-27";

/// Judges the error body of `ex`; `expected_codes`, when not empty, are the codes the case allows.
pub fn error_body(ctx: &CheckContext, op: &Operation, expected_codes: &[String], ex: &Exchange) -> CheckResult {
    let name = CheckName::ErrorBody;
    let Some(resp) = ex.ok() else {
        return CheckResult::skipped(name, "no response (judged by status_code)");
    };
    if resp.status < 400 {
        return CheckResult::skipped(name, format!("status {} is not an error", resp.status));
    }
    let envelope_spec = format!("{}#/components/schemas/ErrorBody", op.location.file);
    let mut failures = Vec::new();
    let code = match resp.json.as_ref() {
        None => {
            failures.push(
                Failure::new(
                    format!("the status {} error body is not JSON", resp.status),
                    r#"{"<type>": {"code", "message"}} or {"error_code", "error_msg"}"#,
                    body_excerpt(resp),
                )
                .at(envelope_spec),
            );
            None
        }
        Some(json) => read_envelope(json, &envelope_spec, &mut failures),
    };

    if let Some(code) = code.as_deref() {
        // Codes of another service's document (seed 002) are not A.1 codes.
        if op.location.file != ctx.specs.dws.file || code.starts_with("SDRS.") || code.starts_with("APIGW.") {
            judge_code(ctx, op, resp.status, code, &mut failures);
        }
        if !expected_codes.is_empty() && !expected_codes.iter().any(|c| c == code) {
            failures.push(
                Failure::new(
                    format!("error code {code} where {} was expected", list(expected_codes)),
                    format!("one of {}", list(expected_codes)),
                    format!("{code} with status {}", resp.status),
                )
                .at(format!("{ERRORS_SPEC} {}", expected_codes.join(", "))),
            );
        }
    }
    CheckResult::from_failures(name, failures, ctx.strict)
}

/// Reads the code of a wrapped or flat envelope, pushing a failure for every shape violation.
fn read_envelope(json: &Value, spec: &str, failures: &mut Vec<Failure>) -> Option<String> {
    let shape_failure = |title: String, actual: String| {
        Failure::new(title, r#"{"<type>": {"code": "<string>", "message": "<string>"}} or {"error_code": "<string>", "error_msg": "<string>"}"#, actual).at(spec)
    };
    let Some(obj) = json.as_object() else {
        failures.push(shape_failure("the error body is not a JSON object".into(), value_excerpt(json)));
        return None;
    };
    if obj.contains_key("error_code") || obj.contains_key("error_msg") {
        return read_fields(obj, "", "error_code", "error_msg", json, failures, &shape_failure);
    }
    let wrappers: Vec<(&String, &Map<String, Value>)> =
        obj.iter().filter_map(|(k, v)| v.as_object().map(|inner| (k, inner))).collect();
    match (obj.len(), wrappers.as_slice()) {
        (1, [(key, inner)]) => {
            read_fields(inner, &format!("/{key}"), "code", "message", json, failures, &shape_failure)
        }
        (1, []) => {
            failures
                .push(shape_failure("the error body's single key does not wrap an object".into(), value_excerpt(json)));
            None
        }
        (0, _) => {
            failures.push(shape_failure("the error body is an empty object".into(), "{}".into()));
            None
        }
        (_, []) => {
            failures.push(shape_failure(
                "the error body has no wrapper object and no error_code".into(),
                value_excerpt(json),
            ));
            None
        }
        (_, [first, ..]) => {
            // Keys beside the wrapper are allowed; the wrapper is the one object carrying a code.
            let coded: Vec<&(&String, &Map<String, Value>)> =
                wrappers.iter().filter(|(_, inner)| inner.contains_key("code")).collect();
            if let [(key, inner)] = coded.as_slice() {
                return read_fields(inner, &format!("/{key}"), "code", "message", json, failures, &shape_failure);
            }
            let (key, inner) = coded.first().copied().unwrap_or(first);
            let others: Vec<&str> = coded.iter().skip(1).map(|(k, _)| k.as_str()).collect();
            let title = if others.is_empty() {
                format!("no wrapper object of the error body carries a code (first: `{key}`)")
            } else {
                format!("the error body wraps a code in several keys: `{key}`, {}", others.join(", "))
            };
            failures.push(shape_failure(title, value_excerpt(json)));
            // Still judge the code, so that one wrong body reports every violation.
            let mut ignored = Vec::new();
            read_fields(inner, &format!("/{key}"), "code", "message", json, &mut ignored, &shape_failure)
        }
    }
}

/// Reads the string fields `code_key` and `message_key` of `obj` (found at `at`).
fn read_fields(
    obj: &Map<String, Value>,
    at: &str,
    code_key: &str,
    message_key: &str,
    json: &Value,
    failures: &mut Vec<Failure>,
    shape_failure: &dyn Fn(String, String) -> Failure,
) -> Option<String> {
    let mut code = None;
    for key in [code_key, message_key] {
        match obj.get(key) {
            Some(Value::String(s)) => {
                if key == code_key {
                    code = Some(s.clone());
                }
            }
            Some(other) => failures.push(shape_failure(
                format!("{at}/{key} is not a string"),
                format!("{at}/{key} = {}", value_excerpt(other)),
            )),
            None => failures.push(shape_failure(format!("the error body has no {at}/{key}"), value_excerpt(json))),
        }
    }
    code
}

/// Judges a code against the error table, the gateway rule and the outside-table list.
fn judge_code(ctx: &CheckContext, op: &Operation, status: u16, code: &str, failures: &mut Vec<Failure>) {
    let errors = &ctx.specs.errors;
    if let Some(row) = errors.get(code) {
        if row.status != status {
            let mut failure = Failure::new(
                format!("{code} answered with status {status}, the error table gives {}", row.status),
                format!("status {} ({})", row.status, row.message),
                format!("status {status}"),
            )
            .at(format!("{ERRORS_SPEC} {code}"));
            // Not-found codes are 400 in A.1 but the pages document 404 (itemNotFound).
            if status == 404 && row.status == 400 && op.disagreements.iter().any(|d| d == NOT_FOUND_STATUS) {
                failure = failure.disputed(&[NOT_FOUND_STATUS.to_owned()]);
            }
            failures.push(failure);
        }
    } else if code.starts_with("APIGW.") {
        if !(GATEWAY_STATUSES.contains(&status) || (500..600).contains(&status)) {
            failures.push(
                Failure::new(
                    format!("gateway code {code} answered with status {status}"),
                    "a gateway code only with 401, 403, 404, 405, 413, 429 or 5xx",
                    format!("{code} with status {status}"),
                )
                .at(format!("{ERRORS_SPEC} (A.1 refers APIGW codes to the gateway's own table)")),
            );
        }
    } else if errors.outside_table.iter().any(|c| c == code) {
        failures.push(
            Failure::new(
                format!("{code} is used by the reference but is not in appendix A.1"),
                "a code of the error table",
                format!("{code} with status {status}"),
            )
            .at(format!("{ERRORS_SPEC} outside_table {code}"))
            .disputed(&[OUTSIDE_TABLE.to_owned()]),
        );
    } else {
        let hint = errors.suggest(code).map(|s| format!(" (did you mean {s}?)")).unwrap_or_default();
        failures.push(
            Failure::new(
                format!("unknown error code {code}{hint}"),
                "a code of the error table (appendix A.1) or an APIGW gateway code",
                format!("{code} with status {status}"),
            )
            .at(ERRORS_SPEC),
        );
    }
}

/// The registry's entry: every error answer (4xx, 5xx) to a request. The codes a status case
/// expects are required; a failure the case's disputed entries concern only warns.
pub(super) fn judge(ctx: &CheckContext, ev: &Evidence) -> Option<CheckResult> {
    let Evidence::Answer(a) = ev else { return None };
    if a.exchange.status().is_none_or(|s| s < 400) {
        return None;
    }
    let codes = match a.expect {
        Expectation::Status { codes } => codes,
        _ => &[],
    };
    Some(error_body(ctx, a.op, codes, a.exchange).disputed_by(a.disputed, ctx.strict))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{ctx, no_response, op, raw, strict};
    use crate::checks::CheckOutcome;
    use serde_json::json;

    fn check(status: u16, body: Value, expected: &[&str]) -> CheckResult {
        let ex = Exchange::fake("showProtectionGroup", "GET", "/v1/p/server-groups/g", status, body);
        let expected: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
        error_body(&ctx(), op("showProtectionGroup"), &expected, &ex)
    }

    #[test]
    fn a_wrapped_error_with_a_table_code_and_its_status_passes() {
        let r = check(400, json!({"badrequest": {"code": "SDRS.1013", "message": "not found"}}), &["SDRS.1013"]);
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn a_flat_error_with_extra_keys_passes() {
        let r = check(400, json!({"error_code": "SDRS.1013", "error_msg": "not found", "request_id": "r"}), &[]);
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn a_missing_wrapper_fails() {
        let r = check(400, json!({"code": "SDRS.1013", "message": "not found"}), &[]);
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures[0].title, "the error body has no wrapper object and no error_code");
        assert_eq!(r.failures[0].spec.as_deref(), Some("specs/sdrs-v1.openapi.yaml#/components/schemas/ErrorBody"));
    }

    #[test]
    fn a_body_that_is_not_json_fails() {
        let ex = raw("showProtectionGroup", 500, Some("text/html"), b"<html>oops</html>");
        let r = error_body(&ctx(), op("showProtectionGroup"), &[], &ex);
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures[0].title, "the status 500 error body is not JSON");
    }

    #[test]
    fn extra_keys_beside_the_wrapper_pass_and_two_coded_wrappers_fail() {
        let body = json!({"error": {"code": "SDRS.1013", "message": "m", "x": 1}, "request_id": "r", "meta": {}});
        let r = check(400, body, &["SDRS.1013"]);
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
        let two = json!({"error": {"code": "SDRS.1013", "message": "m"}, "badrequest": {"code": "SDRS.0201", "message": "m"}});
        let r = check(400, two, &[]);
        assert_eq!(r.outcome, CheckOutcome::Failed, "{}", r.details());
        assert_eq!(r.failures[0].title, "the error body wraps a code in several keys: `error`, badrequest");
    }

    #[test]
    fn a_wrong_code_beside_extra_keys_is_still_judged() {
        let r = check(400, json!({"error": {"code": "SDRS.9999", "message": "m"}, "request_id": "r"}), &[]);
        assert_eq!(r.failures.len(), 1, "{}", r.details());
        assert!(r.failures[0].title.starts_with("unknown error code SDRS.9999"), "{}", r.details());
    }

    #[test]
    fn a_non_string_code_and_a_missing_message_fail() {
        let r = check(400, json!({"error": {"code": 1013}}), &[]);
        assert_eq!(r.failures.len(), 2, "{}", r.details());
        assert_eq!(r.failures[0].title, "/error/code is not a string");
        assert_eq!(r.failures[1].title, "the error body has no /error/message");
        let r = check(400, json!({"error_code": null, "error_msg": "m"}), &[]);
        assert_eq!(r.failures[0].title, "/error_code is not a string");
    }

    #[test]
    fn odd_bodies_fail_without_panicking() {
        for body in [json!([]), json!("x"), json!({}), json!({"error": "x"}), json!({"a": 1, "b": 2}), json!(123)] {
            let r = check(400, body.clone(), &["SDRS.1013"]);
            assert_eq!(r.outcome, CheckOutcome::Failed, "{body}");
        }
    }

    #[test]
    fn a_code_with_another_status_than_its_table_row_fails() {
        let r = check(500, json!({"error": {"code": "SDRS.1013", "message": "m"}}), &[]);
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures[0].title, "SDRS.1013 answered with status 500, the error table gives 400");
        assert_eq!(r.failures[0].spec.as_deref(), Some("specs/errors.yaml SDRS.1013"));
    }

    #[test]
    fn a_not_found_code_with_404_warns_where_the_operation_records_inc_27() {
        let r = check(404, json!({"itemNotFound": {"code": "SDRS.1013", "message": "m"}}), &[]);
        assert_eq!(r.outcome, CheckOutcome::Warned, "{}", r.details());
        assert_eq!(r.failures[0].disagreements(), vec!["INC-27".to_owned()]);
    }

    #[test]
    fn a_code_used_outside_the_table_warns() {
        let r = check(400, json!({"error_code": "AS.0001", "error_msg": "m"}), &[]);
        assert_eq!(r.outcome, CheckOutcome::Warned, "{}", r.details());
        assert_eq!(r.failures[0].disagreements(), vec!["INC-32".to_owned()]);
        let ex =
            Exchange::fake("showProtectionGroup", "GET", "/", 400, json!({"error_code": "AS.0001", "error_msg": "m"}));
        assert_eq!(error_body(&strict(), op("showProtectionGroup"), &[], &ex).outcome, CheckOutcome::Failed);
    }

    #[test]
    fn an_unknown_code_fails_with_a_suggestion() {
        let r = check(400, json!({"error": {"code": "SDRS.013", "message": "m"}}), &[]);
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert!(
            r.failures[0].title.starts_with("unknown error code SDRS.013 (did you mean SDRS."),
            "{}",
            r.failures[0].title
        );
    }

    #[test]
    fn a_gateway_code_passes_with_a_gateway_status() {
        for status in [401, 403, 404, 405, 413, 429, 500, 503] {
            let r = check(
                status,
                json!({"error_code": "APIGW.0301", "error_msg": "Incorrect IAM authentication information"}),
                &[],
            );
            assert_eq!(r.outcome, CheckOutcome::Passed, "{status}: {}", r.details());
        }
    }

    #[test]
    fn a_gateway_code_with_400_fails() {
        let r = check(400, json!({"error_code": "APIGW.0301", "error_msg": "m"}), &[]);
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures[0].title, "gateway code APIGW.0301 answered with status 400");
    }

    #[test]
    fn a_code_outside_the_expected_ones_fails() {
        let r = check(400, json!({"error": {"code": "SDRS.0207", "message": "m"}}), &["SDRS.1013"]);
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures.len(), 1, "{}", r.details());
        assert_eq!(r.failures[0].title, "error code SDRS.0207 where SDRS.1013 was expected");
    }

    #[test]
    fn success_statuses_and_no_response_are_skipped() {
        assert_eq!(check(200, json!({}), &[]).outcome, CheckOutcome::Skipped);
        let r = error_body(&ctx(), op("showProtectionGroup"), &[], &no_response("showProtectionGroup"));
        assert_eq!(r.outcome, CheckOutcome::Skipped);
    }

    #[test]
    fn another_service_s_codes_are_not_judged_against_the_sdrs_table() {
        let ex = Exchange::fake(
            "startDisasterRecovery",
            "POST",
            "/v2/p/disaster-recovery/d/start",
            404,
            json!({"error_code": "DWS.0015", "error_msg": "m"}),
        );
        let r = error_body(&ctx(), op("startDisasterRecovery"), &[], &ex);
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn the_failure_display_is_stable() {
        let r = check(
            404,
            json!({"itemNotFound": {"code": "SDRS.013", "message": "m"}, "request_id": "r"}),
            &["SDRS.1013"],
        );
        insta::assert_snapshot!(crate::checks::test_support::display(&r));
    }
}

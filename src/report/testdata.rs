//! A small report with one case of every outcome, shared by the reporters' tests.

use crate::checks::{CheckName, CheckOutcome};
use crate::outcome::{CaseOutcome, CaseReport, CheckReport, RunReport, TargetInfo, FORMAT_VERSION};

/// A verdict.
pub(crate) fn check(name: CheckName, outcome: CheckOutcome, message: &str) -> CheckReport {
    CheckReport { name, outcome, message: message.to_string(), step: String::new(), findings: Vec::new() }
}

/// A case with the given verdicts.
pub(crate) fn case(
    id: &str,
    family: &str,
    operation: &str,
    outcome: CaseOutcome,
    checks: Vec<CheckReport>,
) -> CaseReport {
    CaseReport {
        id: id.to_string(),
        operation: operation.to_string(),
        family: family.to_string(),
        kind: "positive".to_string(),
        outcome,
        duration_ms: 1250,
        checks,
        reason: None,
        baseline: None,
        evidence: Vec::new(),
        reproduce: None,
    }
}

/// Six cases: passed, failed, warned, expected-fail, skipped and error, summarised.
pub(crate) fn sample() -> RunReport {
    use CheckName::*;
    use CheckOutcome::*;
    let mut failed = case(
        "protection_group.create.negative.name_too_long",
        "protection_group",
        "create_protection_group",
        CaseOutcome::Failed,
        vec![
            check(StatusCode, Failed, "unexpected status 200\n  expected: 400\n  actual:   200"),
            check(ErrorBody, Skipped, "no error body"),
            check(NegativeRejection, Failed, "invalid input accepted\n  expected: 400 SDRS.0002"),
            check(ResponseSchema, Warned, "field `server_type` missing\n  disputed: INC-3"),
        ],
    );
    failed.kind = "negative".to_string();
    let mut expected = case(
        "protected_instance.create.positive",
        "protected_instance",
        "create_protected_instance",
        CaseOutcome::ExpectedFail,
        vec![
            check(StatusCode, Passed, ""),
            check(JobProtocol, Failed, "job never finished\n  expected: SUCCESS or FAIL"),
        ],
    );
    expected.baseline = Some("emulator lacks async jobs (#12)".to_string());
    let mut skipped =
        case("replication.delete.precondition", "replication", "delete_replication", CaseOutcome::Skipped, vec![]);
    skipped.reason = Some("readonly mode sends only GETs".to_string());
    let mut error = case("api_versions.list", "", "list_api_versions", CaseOutcome::Error, vec![]);
    error.reason = Some("connection reset by peer\n  while reading the body".to_string());
    let mut report = RunReport {
        format_version: FORMAT_VERSION,
        target: TargetInfo {
            kind: "embedded-emulator".to_string(),
            endpoint: "http://127.0.0.1:9000".to_string(),
            project_id: "0605767b5780d5762fc5c0118072a564".to_string(),
            region: Some("ap-southeast-1".to_string()),
            profile: None,
            auth: "token".to_string(),
            mode: "full".to_string(),
            strict: false,
            run_id: "sdrsct-7f3a".to_string(),
            ..TargetInfo::default()
        },
        cases: vec![
            case(
                "protection_group.create.positive",
                "protection_group",
                "create_protection_group",
                CaseOutcome::Passed,
                vec![check(StatusCode, Passed, ""), check(ResponseSchema, Passed, ""), check(JobProtocol, Passed, "")],
            ),
            failed,
            case(
                "protection_group.show.positive",
                "protection_group",
                "show_protection_group",
                CaseOutcome::Warned,
                vec![
                    check(StatusCode, Passed, ""),
                    check(ResponseSchema, Warned, "field `server_type` missing\n  disputed: INC-3"),
                ],
            ),
            expected,
            skipped,
            error,
        ],
        created_resources: Vec::new(),
        ..RunReport::default()
    };
    report.summarize(7400);
    report
}

//! The JUnit XML report for CI: one `<testsuite>` per resource family, one `<testcase>` per case.
//!
//! A failed case is a `<failure>` (the target is wrong), a harness error an `<error>` (the run
//! could not judge); warnings and baseline-expected failures pass with a note in `<system-out>`.

use crate::checks::CheckOutcome;
use crate::outcome::{first_line, CaseOutcome, CaseReport, RunReport};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// Name of the `<testsuites>` element.
const REPORT_NAME: &str = "sdrs-conformance";

/// The report as JUnit XML.
pub fn to_junit(report: &RunReport) -> String {
    let mut junit = Report::new(REPORT_NAME);
    junit.set_time(Duration::from_millis(report.summary.duration_ms));
    let mut families: BTreeMap<&str, Vec<&CaseReport>> = BTreeMap::new();
    for case in &report.cases {
        families.entry(case.family_or_other()).or_default().push(case);
    }
    for (family, cases) in families {
        let mut suite = TestSuite::new(family);
        let t = &report.target;
        suite.add_properties([
            ("target.kind", t.kind.as_str()),
            ("target.endpoint", t.endpoint.as_str()),
            ("target.mode", t.mode.as_str()),
            ("target.strict", if t.strict { "true" } else { "false" }),
            ("target.run_id", t.run_id.as_str()),
        ]);
        if let Some(p) = &report.partition {
            suite.add_property(("partition", format!("{}/{}", p.index, p.count).as_str()));
            suite.add_property(("partition.cases_selected", p.cases_selected.to_string().as_str()));
        }
        if !report.merged_from.is_empty() {
            let parts: Vec<String> = report.merged_from.iter().map(|m| format!("{}/{}", m.index, m.count)).collect();
            suite.add_property(("merged_from", parts.join(",").as_str()));
        }
        // Said only when it applies, as a reader of CI results must not miss it.
        if t.insecure {
            suite.add_property(("target.insecure", "true"));
        }
        if let Some(proxy) = &t.proxy {
            suite.add_property(("target.proxy", proxy.as_str()));
        }
        suite.set_time(Duration::from_millis(cases.iter().map(|c| c.duration_ms).sum()));
        suite.add_test_cases(cases.into_iter().map(test_case));
        junit.add_test_suite(suite);
    }
    // Writing to memory with escaped, filtered strings cannot fail.
    junit.to_string().expect("a JUnit report always serialises")
}

/// Writes [`to_junit`] to `path`.
pub fn write_junit(report: &RunReport, path: &Path) -> std::io::Result<()> {
    std::fs::write(path, to_junit(report))
}

/// The `<testcase>` of one case.
fn test_case(case: &CaseReport) -> TestCase {
    let mut out = None;
    let status = match case.outcome {
        CaseOutcome::Passed => {
            out = case.baseline.as_ref().map(|note| format!("baseline: {note}\n"));
            TestCaseStatus::success()
        }
        CaseOutcome::Warned => {
            out = Some(format!("warnings (documents disagree):\n{}", verdicts(case, &[CheckOutcome::Warned])));
            TestCaseStatus::success()
        }
        CaseOutcome::ExpectedFail => {
            let note = case.baseline.as_deref().unwrap_or("listed in the baseline");
            out = Some(format!(
                "expected failure (baseline): {note}\n{}",
                verdicts(case, &[CheckOutcome::Failed, CheckOutcome::Warned])
            ));
            TestCaseStatus::success()
        }
        CaseOutcome::Failed => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            match case.first_failed_check() {
                Some(check) => {
                    status.set_message(format!("{}: {}", check.name, check.title()));
                    status.set_type(check.name.as_str());
                }
                None => {
                    status.set_message(case.reason.as_deref().map_or("failed", first_line));
                }
            }
            status.set_description(verdicts(case, &[CheckOutcome::Failed, CheckOutcome::Warned]));
            status
        }
        CaseOutcome::Error => {
            let reason = case.reason.as_deref().unwrap_or("harness error");
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(first_line(reason));
            status.set_type("harness-error");
            status.set_description(format!(
                "{reason}\n{}",
                verdicts(case, &[CheckOutcome::Failed, CheckOutcome::Warned])
            ));
            status
        }
        CaseOutcome::Skipped => {
            let reason = case.reason.as_deref().unwrap_or("skipped");
            let mut status = TestCaseStatus::skipped();
            status.set_message(first_line(reason));
            if reason.contains('\n') {
                status.set_description(reason);
            }
            status
        }
    };
    let mut test = TestCase::new(case.id.as_str(), status);
    test.set_classname(format!("sdrs.{}.{}", case.family_or_other(), case.operation));
    test.set_time(Duration::from_millis(case.duration_ms));
    if !case.kind.is_empty() {
        test.add_property(("kind", case.kind.as_str()));
    }
    if let Some(out) = out {
        test.set_system_out(out);
    }
    test
}

/// Every verdict with one of these outcomes, in full, one block each.
fn verdicts(case: &CaseReport, outcomes: &[CheckOutcome]) -> String {
    let mut text = String::new();
    for check in case.checks.iter().filter(|c| outcomes.contains(&c.outcome)) {
        let step = if check.step.is_empty() { String::new() } else { format!(" [{}]", check.step) };
        text.push_str(&format!("{} ({}){step}: {}\n", check.name, check.outcome.as_str(), check.text()));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::CheckName;
    use crate::report::testdata::{case, check, sample};

    fn parsed(report: &RunReport) -> Report {
        Report::deserialize_from_str(&to_junit(report)).expect("well-formed JUnit XML")
    }

    fn find<'a>(junit: &'a Report, id: &str) -> &'a TestCase {
        junit.test_suites.iter().flat_map(|s| &s.test_cases).find(|t| t.name.as_str() == id).unwrap()
    }

    #[test]
    fn the_output_parses_back_and_its_counts_match_the_summary() {
        let report = sample();
        let junit = parsed(&report);
        assert_eq!(junit.name.as_deref(), Some(REPORT_NAME));
        assert_eq!(junit.tests, report.summary.total);
        assert_eq!(junit.failures, 1);
        assert_eq!(junit.errors, 1);
        assert_eq!((junit.failures, junit.errors), (report.summary.failed, report.summary.errored));
        assert_eq!(junit.skipped, report.summary.skipped);
    }

    #[test]
    fn there_is_one_suite_per_family_with_other_for_cases_without_one() {
        let junit = parsed(&sample());
        let names: Vec<_> = junit.test_suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["other", "protected_instance", "protection_group", "replication"]);
        assert_eq!(junit.test_suites[2].tests, 3);
        let case = find(&junit, "api_versions.list");
        assert_eq!(case.classname.as_deref(), Some("sdrs.other.list_api_versions"));
        assert_eq!(case.time, Some(Duration::from_millis(1250)));
    }

    #[test]
    fn a_failed_case_names_its_first_failing_check_and_lists_every_bad_verdict() {
        let junit = parsed(&sample());
        let case = find(&junit, "protection_group.create.negative.name_too_long");
        let TestCaseStatus::NonSuccess { kind, message, ty, description, .. } = &case.status else {
            panic!("expected a failure, got {:?}", case.status);
        };
        assert_eq!(*kind, NonSuccessKind::Failure);
        assert_eq!(message.as_deref(), Some("status_code: unexpected status 200"));
        assert_eq!(ty.as_deref(), Some("status_code"));
        let description = description.as_deref().unwrap();
        assert!(description.contains("status_code (failed): unexpected status 200\n  expected: 400"));
        assert!(description.contains("negative_rejection (failed): invalid input accepted"));
        assert!(description.contains("response_schema (warned): field `server_type` missing"));
        assert!(!description.contains("error_body"));
    }

    #[test]
    fn errors_skips_warnings_and_expected_failures_map_to_their_junit_forms() {
        let junit = parsed(&sample());
        let error = find(&junit, "api_versions.list");
        assert!(matches!(
            &error.status,
            TestCaseStatus::NonSuccess { kind: NonSuccessKind::Error, message: Some(m), .. }
                if m.as_str() == "connection reset by peer"
        ));
        let skipped = find(&junit, "replication.delete.precondition");
        assert!(matches!(
            &skipped.status,
            TestCaseStatus::Skipped { message: Some(m), .. } if m.as_str() == "readonly mode sends only GETs"
        ));
        let warned = find(&junit, "protection_group.show.positive");
        assert!(matches!(warned.status, TestCaseStatus::Success { .. }));
        let out = warned.system_out.as_deref().unwrap();
        assert!(out.starts_with("warnings (documents disagree):\nresponse_schema (warned)"), "{out}");
        let expected = find(&junit, "protected_instance.create.positive");
        assert!(matches!(expected.status, TestCaseStatus::Success { .. }));
        let out = expected.system_out.as_deref().unwrap();
        assert!(out.starts_with("expected failure (baseline): emulator lacks async jobs (#12)\n"));
        assert!(out.contains("job_protocol (failed): job never finished"));
    }

    #[test]
    fn markup_in_messages_is_escaped() {
        let mut report = RunReport::default();
        let bad = check(CheckName::ErrorBody, CheckOutcome::Failed, "body <b>\"x\" & 'y'</b>]]>");
        report.cases.push(case("a.b", "f", "op", CaseOutcome::Failed, vec![bad]));
        report.summarize(1);
        let xml = to_junit(&report);
        assert!(!xml.contains("<b>"), "{xml}");
        let junit = parsed(&report);
        let TestCaseStatus::NonSuccess { message, .. } = &junit.test_suites[0].test_cases[0].status else {
            panic!("expected a failure");
        };
        assert_eq!(message.as_deref(), Some("error_body: body <b>\"x\" & 'y'</b>]]>"));
    }

    #[test]
    fn an_insecure_run_is_a_property_of_every_suite() {
        let mut report = RunReport::default();
        report.cases.push(case("pg.list", "protection_group", "list_protection_groups", CaseOutcome::Passed, vec![]));
        report.cases.push(case("rp.list", "replication", "list_replications", CaseOutcome::Passed, vec![]));
        report.summarize(1);
        assert!(!to_junit(&report).contains("target.insecure"));
        report.target.insecure = true;
        let xml = to_junit(&report);
        assert_eq!(xml.matches(r#"<property name="target.insecure" value="true"/>"#).count(), 2, "{xml}");
    }

    #[test]
    fn a_minimal_report_matches_its_snapshot() {
        let mut report = RunReport::default();
        report.cases.push(case("pg.list", "protection_group", "list_protection_groups", CaseOutcome::Passed, vec![]));
        report.summarize(1250);
        let expected = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="sdrs-conformance" tests="1" skipped="0" failures="0" errors="0" time="1.250">
    <testsuite name="protection_group" tests="1" skipped="0" errors="0" failures="0" time="1.250">
        <properties>
            <property name="target.kind" value=""/>
            <property name="target.endpoint" value=""/>
            <property name="target.mode" value=""/>
            <property name="target.strict" value="false"/>
            <property name="target.run_id" value=""/>
        </properties>
        <testcase name="pg.list" classname="sdrs.protection_group.list_protection_groups" time="1.250">
            <properties>
                <property name="kind" value="positive"/>
            </properties>
        </testcase>
    </testsuite>
</testsuites>
"#;
        assert_eq!(to_junit(&report), expected);
    }
}

//! The human reporter: a line per failing case while the run goes, then tables per operation and
//! per check and the totals line. Plain text, no colours.

use crate::checks::{CheckName, CheckOutcome};
use crate::outcome::{first_line, CaseOutcome, CaseReport, RunReport};
use std::collections::BTreeMap;

/// Renders the console output of a run.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConsoleReporter;

impl ConsoleReporter {
    /// The line printed when a case finishes: `FAIL id [check] title` or `ERROR id reason`, else `None`.
    pub fn case_line(case: &CaseReport) -> Option<String> {
        match case.outcome {
            CaseOutcome::Failed => Some(match case.first_failed_check() {
                Some(check) => format!("FAIL {} [{}] {}", case.id, check.name, check.title()),
                None => format!("FAIL {} {}", case.id, first_line(case.reason.as_deref().unwrap_or("failed"))),
            }),
            CaseOutcome::Error => {
                Some(format!("ERROR {} {}", case.id, first_line(case.reason.as_deref().unwrap_or("harness error"))))
            }
            _ => None,
        }
    }

    /// The lines under a failing case's line: the failing request, the status and an excerpt of
    /// the body, then how to reproduce the failure. Empty for a case without evidence.
    pub fn evidence_lines(case: &CaseReport) -> Vec<String> {
        let mut out = Vec::new();
        let step = case.first_failed_check().map(|c| c.step.as_str());
        let of_step: Vec<_> = case.evidence.iter().filter(|e| step.is_none_or(|s| e.step == s)).collect();
        let shown = match case.outcome {
            // The harness stopped at the last exchange it made.
            CaseOutcome::Error => case.evidence.last(),
            _ => of_step.first().copied().or(case.evidence.first()),
        };
        if let Some(ex) = shown {
            out.push(format!("    > {}", ex.request_line()));
            match (&ex.response, &ex.error) {
                (Some(r), _) => out.push(format!("    < {} {}", r.status, excerpt(&r.body, BODY_EXCERPT))),
                (None, Some(e)) => out.push(format!("    < no answer: {}", excerpt(e, BODY_EXCERPT))),
                (None, None) => {}
            }
            let more = case.evidence.len() - 1;
            if more > 0 {
                out.push(format!("    ({more} more exchange(s) of the failing step in the JSON report and --har)"));
            }
        }
        if let Some(r) = &case.reproduce {
            out.push(format!("    reproduce: {}", r.command));
            if let Some(curl) = &r.curl {
                out.push(format!("    curl: {curl}"));
            }
        }
        out
    }

    /// The end-of-run summary: per-operation and per-check tables, then the totals line.
    pub fn summary(report: &RunReport) -> String {
        let mut out = String::new();
        let mut operations: BTreeMap<&str, [usize; 6]> = BTreeMap::new();
        for case in &report.cases {
            let row = operations.entry(&case.operation).or_default();
            row[match case.outcome {
                CaseOutcome::Passed => 0,
                CaseOutcome::Failed => 1,
                CaseOutcome::Warned => 2,
                CaseOutcome::Skipped => 3,
                CaseOutcome::ExpectedFail => 4,
                CaseOutcome::Error => 5,
            }] += 1;
        }
        if !operations.is_empty() {
            // Errors get their column only when there are some: most runs have none.
            let errored = operations.values().any(|row| row[5] > 0);
            let width = if errored { 6 } else { 5 };
            let rows = operations.into_iter().map(|(op, counts)| (op.to_string(), counts[..width].to_vec()));
            let header = ["operation", "passed", "failed", "warned", "skipped", "expected-fail", "errored"];
            out.push_str(&table(&header[..=width], rows));
            out.push('\n');
        }
        let mut checks: BTreeMap<CheckName, [usize; 4]> = BTreeMap::new();
        for verdict in report.cases.iter().flat_map(|c| &c.checks) {
            checks.entry(verdict.name).or_default()[match verdict.outcome {
                CheckOutcome::Passed => 0,
                CheckOutcome::Failed => 1,
                CheckOutcome::Warned => 2,
                CheckOutcome::Skipped => 3,
            }] += 1;
        }
        if !checks.is_empty() {
            // CheckName orders as CheckName::ALL, so the map is already in report order.
            let rows = checks.into_iter().map(|(name, counts)| (name.to_string(), counts.to_vec()));
            out.push_str(&table(&["check", "passed", "failed", "warned", "skipped"], rows));
            out.push('\n');
        }
        if let Some(created) = report.created_line() {
            out.push_str(&format!("resources created: {created}\n"));
        }
        if let Some(line) = report.partition_line() {
            out.push_str(&line);
            out.push('\n');
        }
        if let Some(line) = Self::network_line(report) {
            out.push_str(&line);
            out.push('\n');
        }
        out.push_str(&totals(report));
        out
    }

    /// What the run trusted that a reader must know: `--insecure`, and the proxy it went through.
    pub fn network_line(report: &RunReport) -> Option<String> {
        let t = &report.target;
        let mut parts = Vec::new();
        if t.insecure {
            parts.push("TLS certificates NOT verified (--insecure)".to_owned());
        }
        if let Some(proxy) = &t.proxy {
            parts.push(format!("requests went through the proxy {proxy}"));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// Characters of a body shown on the console.
const BODY_EXCERPT: usize = 200;

/// The first `max` characters of `text` on one line, whitespace runs collapsed.
fn excerpt(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &flat[..i]),
        None => flat,
    }
}

/// `N passed, N failed, N warned, N skipped, N expected-fail (X.Ys)`.
fn totals(report: &RunReport) -> String {
    format!("{} ({})", report.summary.counts(), report.summary.seconds())
}

/// A text table: the first column left-aligned, the counts right-aligned.
fn table(header: &[&str], rows: impl Iterator<Item = (String, Vec<usize>)>) -> String {
    let rows: Vec<(String, Vec<String>)> =
        rows.map(|(name, counts)| (name, counts.iter().map(ToString::to_string).collect())).collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for (name, counts) in &rows {
        widths[0] = widths[0].max(name.len());
        for (i, count) in counts.iter().enumerate() {
            widths[i + 1] = widths[i + 1].max(count.len());
        }
    }
    let line = |first: &str, rest: &mut dyn Iterator<Item = &str>| {
        let mut text = format!("{first:<w$}", w = widths[0]);
        for (i, cell) in rest.enumerate() {
            text.push_str(&format!("  {cell:>w$}", w = widths[i + 1]));
        }
        text.trim_end().to_string() + "\n"
    };
    let mut text = line(header[0], &mut header[1..].iter().copied());
    for (name, counts) in &rows {
        text.push_str(&line(name, &mut counts.iter().map(String::as_str)));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata::{case, check, sample};

    #[test]
    fn a_failed_case_prints_its_first_failing_check_and_title() {
        let report = sample();
        let lines: Vec<_> = report.cases.iter().filter_map(ConsoleReporter::case_line).collect();
        assert_eq!(
            lines,
            [
                "FAIL protection_group.create.negative.name_too_long [status_code] unexpected status 200",
                "ERROR api_versions.list connection reset by peer",
            ]
        );
    }

    #[test]
    fn a_failed_case_shows_its_failing_request_status_body_and_reproduction() {
        use crate::report::{ExchangeReport, Reproduce, RequestReport, ResponseReport};
        let mut c =
            case("a/b", "f", "op", CaseOutcome::Failed, vec![check(CheckName::StatusCode, CheckOutcome::Failed, "x")]);
        let ex = |url: &str, status: u16, body: &str| ExchangeReport {
            step: String::new(),
            operation: "op".into(),
            started: String::new(),
            elapsed_ms: 0,
            request: RequestReport { method: "POST".into(), url: url.into(), headers: vec![], body: None },
            response: Some(ResponseReport { status, headers: vec![], body: body.into() }),
            error: None,
        };
        c.evidence =
            vec![ex("http://h/v1/p/x", 200, "{\n  \"job_id\": \"j\"\n}"), ex("http://h/v1/p/jobs/j", 200, "{}")];
        c.reproduce =
            Some(Reproduce { command: "sdrs-conformance run --filter a/b".into(), curl: Some("curl x".into()) });
        assert_eq!(
            ConsoleReporter::evidence_lines(&c),
            [
                "    > POST http://h/v1/p/x",
                "    < 200 { \"job_id\": \"j\" }",
                "    (1 more exchange(s) of the failing step in the JSON report and --har)",
                "    reproduce: sdrs-conformance run --filter a/b",
                "    curl: curl x",
            ]
        );
        c.evidence.clear();
        c.reproduce = None;
        assert!(ConsoleReporter::evidence_lines(&c).is_empty());
    }

    #[test]
    fn passing_warned_skipped_and_expected_cases_print_no_line() {
        for outcome in [CaseOutcome::Passed, CaseOutcome::Warned, CaseOutcome::Skipped, CaseOutcome::ExpectedFail] {
            let c = case("a", "f", "op", outcome, vec![check(CheckName::StatusCode, CheckOutcome::Failed, "x")]);
            assert_eq!(ConsoleReporter::case_line(&c), None);
        }
    }

    #[test]
    fn a_failed_case_without_a_failing_check_prints_its_reason() {
        let mut c = case("a.b", "f", "op", CaseOutcome::Failed, vec![]);
        c.reason = Some("cleanup left resources\nsecond line".to_string());
        assert_eq!(ConsoleReporter::case_line(&c).unwrap(), "FAIL a.b cleanup left resources");
    }

    #[test]
    fn the_summary_has_both_tables_and_ends_with_the_totals_line() {
        let expected = "\
operation                  passed  failed  warned  skipped  expected-fail  errored
create_protected_instance       0       0       0        0              1        0
create_protection_group         1       1       0        0              0        0
delete_replication              0       0       0        1              0        0
list_api_versions               0       0       0        0              0        1
show_protection_group           0       0       1        0              0        0

check               passed  failed  warned  skipped
status_code              3       1       0        0
response_schema          1       0       2        0
error_body               0       0       0        1
job_protocol             1       1       0        0
negative_rejection       0       1       0        0

1 passed, 1 failed, 1 warned, 1 skipped, 1 expected-fail, 1 errored (7.4s)";
        assert_eq!(ConsoleReporter::summary(&sample()), expected);
    }

    #[test]
    fn an_insecure_run_says_so_above_the_totals_and_a_verified_one_does_not() {
        let mut report = sample();
        assert!(!ConsoleReporter::summary(&report).contains("NOT verified"));
        report.target.insecure = true;
        report.target.proxy = Some("http://127.0.0.1:3128".into());
        let summary = ConsoleReporter::summary(&report);
        let lines: Vec<&str> = summary.lines().collect();
        assert_eq!(
            lines[lines.len() - 2],
            "TLS certificates NOT verified (--insecure); requests went through the proxy http://127.0.0.1:3128"
        );
    }

    #[test]
    fn resources_the_run_created_are_counted_above_the_totals() {
        let report = RunReport {
            created_resources: vec![("replication_pair".into(), 3), ("server_group".into(), 2)],
            ..RunReport::default()
        };
        let summary = ConsoleReporter::summary(&report);
        assert_eq!(summary.lines().rev().nth(1), Some("resources created: replication_pair 3, server_group 2"));
    }

    #[test]
    fn an_empty_run_prints_only_the_totals_line() {
        assert_eq!(
            ConsoleReporter::summary(&RunReport::default()),
            "0 passed, 0 failed, 0 warned, 0 skipped, 0 expected-fail (0.0s)"
        );
    }
}

//! The markdown compatibility report: target, overall score, and a matrix of operations by checks
//! (`pass`, `fail`, `warn` or `-`), followed by the failures and the warnings.

use crate::checks::{CheckName, CheckOutcome};
use crate::coverage::{Coverage, Why};
use crate::outcome::{first_line, CaseOutcome, CaseReport, RunReport};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// The report as a markdown compatibility matrix.
pub fn to_markdown(report: &RunReport) -> String {
    let mut md = String::from("# SDRS compatibility report\n\n");
    target(&mut md, report);
    summary(&mut md, report);
    matrix(&mut md, report);
    bullets(&mut md, "Failures", report, |c| c.outcome == CaseOutcome::Failed, &[CheckOutcome::Failed]);
    if report.cases.iter().any(|c| c.outcome == CaseOutcome::Error) {
        bullets(&mut md, "Errors (not judged)", report, |c| c.outcome == CaseOutcome::Error, &[CheckOutcome::Failed]);
    }
    bullets(&mut md, "Warnings (documents disagree)", report, has_warning, &[CheckOutcome::Warned]);
    if report.cases.iter().any(|c| c.outcome == CaseOutcome::ExpectedFail) {
        bullets(
            &mut md,
            "Expected failures (baseline)",
            report,
            |c| c.outcome == CaseOutcome::ExpectedFail,
            &[CheckOutcome::Failed],
        );
    }
    md
}

/// The "Coverage" section of the markdown report: counts per section, then the unobserved items
/// of each, folded in `<details>`.
pub fn coverage_markdown(coverage: &Coverage) -> String {
    let mut md = String::from(
        "## Coverage\n\n| section | documented | observed | coverage | unobserved |\n|---|---:|---:|---:|---:|\n",
    );
    for (name, s) in coverage.sections() {
        let _ = writeln!(
            md,
            "| {name} | {} | {} | {:.1}% | {} |",
            s.documented,
            s.observed,
            s.percent(),
            s.unobserved.len()
        );
    }
    md.push('\n');
    for (name, s) in coverage.sections() {
        if s.unobserved.is_empty() {
            continue;
        }
        let reasons: Vec<String> = [Why::UnreachableByDesign, Why::MissingFromWorld, Why::NotTestedYet]
            .into_iter()
            .map(|w| (w, s.count(w)))
            .filter(|(_, n)| *n > 0)
            .map(|(w, n)| format!("{n} {}", w.as_str()))
            .collect();
        let _ = writeln!(
            md,
            "<details><summary>{name}: {} unobserved ({})</summary>\n",
            s.unobserved.len(),
            reasons.join(", ")
        );
        for u in &s.unobserved {
            let detail = if u.detail.is_empty() { String::new() } else { format!(": {}", inline(&u.detail)) };
            let _ = writeln!(md, "- `{}`: {}{detail}", u.id, u.why.as_str());
        }
        md.push_str("\n</details>\n\n");
    }
    md
}

/// Keeps a text from opening HTML or code inside a list item.
fn inline(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('`', "'")
}

/// Writes [`to_markdown`] to `path`.
pub fn write_markdown(report: &RunReport, path: &Path) -> std::io::Result<()> {
    std::fs::write(path, to_markdown(report))
}

/// The aggregated verdict of one check over the cases of one operation.
fn cell(cases: &[&CaseReport], check: CheckName) -> &'static str {
    let verdicts = || cases.iter().flat_map(|c| &c.checks).filter(|v| v.name == check);
    if verdicts().any(|v| v.outcome == CheckOutcome::Failed) {
        "fail"
    } else if verdicts().any(|v| v.outcome == CheckOutcome::Warned) {
        "warn"
    } else if verdicts().any(|v| v.outcome == CheckOutcome::Passed) {
        "pass"
    } else {
        "-"
    }
}

fn has_warning(case: &CaseReport) -> bool {
    case.outcome != CaseOutcome::Skipped && case.checks_with(CheckOutcome::Warned).next().is_some()
}

fn target(md: &mut String, report: &RunReport) {
    let t = &report.target;
    let _ = writeln!(md, "- Target: {} `{}`", t.kind, t.endpoint);
    let _ = writeln!(md, "- Project: `{}`", t.project_id);
    if let Some(region) = &t.region {
        let _ = writeln!(md, "- Region: `{region}`");
    }
    if let Some(profile) = &t.profile {
        let _ = writeln!(md, "- Profile: `{profile}`");
    }
    let strict = if t.strict { "yes" } else { "no" };
    let _ = writeln!(md, "- Mode: {}, strict: {strict}, auth: {}", t.mode, t.auth);
    if t.insecure {
        let _ = writeln!(md, "- TLS: certificates **not verified** (`--insecure`)");
    }
    if !t.ca_certs.is_empty() {
        let files: Vec<String> = t.ca_certs.iter().map(|f| format!("`{f}`")).collect();
        let _ = writeln!(md, "- TLS: also trusting {}", files.join(", "));
    }
    if let Some(proxy) = &t.proxy {
        let _ = writeln!(md, "- Proxy: `{proxy}`");
    }
    if let Some(created) = report.created_line() {
        let _ = writeln!(md, "- Resources created: {created}");
    }
    if let Some(line) = report.partition_line() {
        let mut line = line;
        line[..1].make_ascii_uppercase();
        let _ = writeln!(md, "- {line}");
    }
    let _ = writeln!(md, "- Run id: `{}`\n", t.run_id);
}

fn summary(md: &mut String, report: &RunReport) {
    let s = &report.summary;
    let judged = s.total.saturating_sub(s.skipped);
    match s.score() {
        Some(score) => {
            let _ = writeln!(
                md,
                "**Score: {score:.1}%** ({} of {judged} judged cases passed, warned or failed as the baseline expects)\n",
                s.ok()
            );
        }
        None => md.push_str("**Score: n/a** (no case was judged)\n\n"),
    }
    let _ = writeln!(md, "{} cases: {} in {}\n", s.total, s.counts(), s.seconds());
}

fn matrix(md: &mut String, report: &RunReport) {
    md.push_str("## Matrix\n\n");
    let mut rows: BTreeMap<(&str, &str), Vec<&CaseReport>> = BTreeMap::new();
    for case in &report.cases {
        rows.entry((case.family_or_other(), &case.operation)).or_default().push(case);
    }
    if rows.is_empty() {
        md.push_str("No case was run.\n\n");
        return;
    }
    // Columns in the registry's order, the one every report shares.
    let columns: Vec<CheckName> = crate::checks::registry::REGISTRY
        .iter()
        .map(|e| e.name)
        .filter(|name| report.cases.iter().flat_map(|c| &c.checks).any(|v| v.name == *name))
        .collect();
    md.push_str("| family | operation |");
    for name in &columns {
        let _ = write!(md, " {name} |");
    }
    md.push_str(" cases |\n|---|---|");
    md.push_str(&"---|".repeat(columns.len()));
    md.push_str("---:|\n");
    for ((family, operation), cases) in rows {
        let _ = write!(md, "| {} | {} |", escape(family), escape(operation));
        for name in &columns {
            let _ = write!(md, " {} |", cell(&cases, *name));
        }
        let ok = cases.iter().filter(|c| counts_as_passed(c.outcome)).count();
        let _ = writeln!(md, " {ok}/{} |", cases.len());
    }
    md.push_str(
        "\n`-`: not exercised. Cases: passed (warned and baseline-expected failures included) over all cases of the operation.\n\n",
    );
}

/// Whether a case counts as passed in the matrix, as in the score.
fn counts_as_passed(outcome: CaseOutcome) -> bool {
    matches!(outcome, CaseOutcome::Passed | CaseOutcome::Warned | CaseOutcome::ExpectedFail)
}

/// A section with one bullet per selected case, listing its verdicts of the given outcomes.
fn bullets(
    md: &mut String,
    title: &str,
    report: &RunReport,
    select: impl Fn(&CaseReport) -> bool,
    outcomes: &[CheckOutcome],
) {
    let _ = writeln!(md, "## {title}\n");
    let mut any = false;
    for case in report.cases.iter().filter(|c| select(c)) {
        any = true;
        let mut parts: Vec<String> = case
            .checks
            .iter()
            .filter(|v| outcomes.contains(&v.outcome))
            .map(|v| format!("`{}`: {}", v.name, v.title()))
            .collect();
        if parts.is_empty() || case.outcome == CaseOutcome::Error {
            parts
                .insert(0, format!("{}: {}", case.outcome.as_str(), first_line(case.reason.as_deref().unwrap_or("-"))));
        }
        if let (CaseOutcome::ExpectedFail, Some(note)) = (case.outcome, &case.baseline) {
            parts.insert(0, format!("baseline: {note}"));
        }
        let _ = writeln!(md, "- `{}` ({}): {}", case.id, case.operation, parts.join("; "));
    }
    md.push_str(if any { "\n" } else { "None.\n\n" });
}

/// Keeps a table cell in its column.
fn escape(text: &str) -> String {
    text.replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata::{case, check, sample};

    #[test]
    fn the_whole_sample_report_reads_as_expected() {
        let expected = "\
# SDRS compatibility report

- Target: embedded-emulator `http://127.0.0.1:9000`
- Project: `0605767b5780d5762fc5c0118072a564`
- Region: `ap-southeast-1`
- Mode: full, strict: no, auth: token
- Run id: `sdrsct-7f3a`

**Score: 60.0%** (3 of 5 judged cases passed, warned or failed as the baseline expects)

6 cases: 1 passed, 1 failed, 1 warned, 1 skipped, 1 expected-fail, 1 errored in 7.4s

## Matrix

| family | operation | status_code | response_schema | error_body | job_protocol | negative_rejection | cases |
|---|---|---|---|---|---|---|---:|
| other | list_api_versions | - | - | - | - | - | 0/1 |
| protected_instance | create_protected_instance | pass | - | - | fail | - | 1/1 |
| protection_group | create_protection_group | fail | warn | - | pass | fail | 1/2 |
| protection_group | show_protection_group | pass | warn | - | - | - | 1/1 |
| replication | delete_replication | - | - | - | - | - | 0/1 |

`-`: not exercised. Cases: passed (warned and baseline-expected failures included) over all cases of the operation.

## Failures

- `protection_group.create.negative.name_too_long` (create_protection_group): `status_code`: unexpected status 200; `negative_rejection`: invalid input accepted

## Errors (not judged)

- `api_versions.list` (list_api_versions): error: connection reset by peer

## Warnings (documents disagree)

- `protection_group.create.negative.name_too_long` (create_protection_group): `response_schema`: field `server_type` missing
- `protection_group.show.positive` (show_protection_group): `response_schema`: field `server_type` missing

## Expected failures (baseline)

- `protected_instance.create.positive` (create_protected_instance): baseline: emulator lacks async jobs (#12); `job_protocol`: job never finished

";
        assert_eq!(to_markdown(&sample()), expected);
    }

    #[test]
    fn a_cell_prefers_fail_then_warn_then_pass_and_ignores_skipped_verdicts() {
        let v = |o| check(CheckName::StatusCode, o, "x");
        let a = case("a", "f", "op", CaseOutcome::Passed, vec![v(CheckOutcome::Passed), v(CheckOutcome::Skipped)]);
        let b = case("b", "f", "op", CaseOutcome::Warned, vec![v(CheckOutcome::Warned)]);
        let c = case("c", "f", "op", CaseOutcome::Failed, vec![v(CheckOutcome::Failed)]);
        let s = case("s", "f", "op", CaseOutcome::Skipped, vec![v(CheckOutcome::Skipped)]);
        assert_eq!(cell(&[&a, &b, &c], CheckName::StatusCode), "fail");
        assert_eq!(cell(&[&a, &b], CheckName::StatusCode), "warn");
        assert_eq!(cell(&[&a, &s], CheckName::StatusCode), "pass");
        assert_eq!(cell(&[&s], CheckName::StatusCode), "-");
        assert_eq!(cell(&[&a], CheckName::Snapshot), "-");
    }

    #[test]
    fn an_empty_run_has_no_score_and_says_so() {
        let md = to_markdown(&RunReport::default());
        assert!(md.contains("**Score: n/a** (no case was judged)"), "{md}");
        assert!(md.contains("No case was run."), "{md}");
        assert!(md.contains("## Failures\n\nNone.\n"), "{md}");
        assert!(!md.contains("Expected failures"), "{md}");
    }

    #[test]
    fn an_insecure_run_and_its_trust_and_proxy_are_listed_with_the_target() {
        let mut report = sample();
        assert!(!to_markdown(&report).contains("TLS"));
        report.target.insecure = true;
        report.target.ca_certs = vec!["certs/ca.pem".into()];
        report.target.proxy = Some("http://127.0.0.1:3128".into());
        let md = to_markdown(&report);
        assert!(
            md.contains(
                "- Mode: full, strict: no, auth: token\n- TLS: certificates **not verified** (`--insecure`)\n\
                 - TLS: also trusting `certs/ca.pem`\n- Proxy: `http://127.0.0.1:3128`\n- Run id:"
            ),
            "{md}"
        );
    }

    #[test]
    fn the_resources_a_run_created_are_listed_with_the_target() {
        assert!(!to_markdown(&RunReport::default()).contains("Resources created"));
        let report = RunReport { created_resources: vec![("server_group".into(), 4)], ..RunReport::default() };
        assert!(to_markdown(&report).contains("- Resources created: server_group 4\n"));
    }

    #[test]
    fn pipes_in_names_do_not_break_the_table() {
        let mut report = RunReport::default();
        report.cases.push(case("a", "f|g", "op", CaseOutcome::Passed, vec![]));
        assert!(to_markdown(&report).contains("| f\\|g | op |"));
    }
}

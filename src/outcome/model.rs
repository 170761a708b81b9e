//! The serialisable result of a run: what every reporter consumes.

use super::evidence::{ExchangeReport, Reproduce};
use crate::checks::{CheckName, CheckOutcome, CheckResult, Failure, Provenance};
use crate::spec::Readings;
use serde::{Deserialize, Serialize};

/// Version of the JSON report format.
pub const FORMAT_VERSION: u32 = 1;

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CaseOutcome {
    /// Every check passed.
    Passed,
    /// Some check warned, none failed.
    Warned,
    /// A check failed.
    Failed,
    /// A check failed, and the baseline expects it.
    ExpectedFail,
    /// Not run (missing prerequisite, readonly mode, filtered precondition...).
    Skipped,
    /// The harness could not judge (transport failure, setup failure).
    Error,
}

impl CaseOutcome {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseOutcome::Passed => "passed",
            CaseOutcome::Warned => "warned",
            CaseOutcome::Failed => "failed",
            CaseOutcome::ExpectedFail => "expected-fail",
            CaseOutcome::Skipped => "skipped",
            CaseOutcome::Error => "error",
        }
    }

    /// Whether the run should fail because of this case.
    pub fn is_failure(self) -> bool {
        matches!(self, CaseOutcome::Failed | CaseOutcome::Error)
    }
}

/// One check's verdict in a case. Its violations stay data (`findings`); reporters render them
/// ([`CheckReport::text`]), and the JSON report also carries that text as `message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "CheckReportWire", from = "CheckReportWire")]
pub struct CheckReport {
    /// Stable check name.
    pub name: CheckName,
    /// Its outcome.
    pub outcome: CheckOutcome,
    /// The skip reason, or the title of the first violation.
    pub message: String,
    /// Which step of the case produced it (empty for single-request cases).
    pub step: String,
    /// Each violation as data: what was expected and seen, the spec node, and where the rule comes from.
    pub findings: Vec<Finding>,
}

/// A [`CheckReport`] as the JSON report carries it: `message` is the rendered text of every
/// finding, as in format 1 before findings existed.
#[derive(Serialize, Deserialize)]
struct CheckReportWire {
    name: CheckName,
    outcome: CheckOutcome,
    message: String,
    #[serde(default)]
    step: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    findings: Vec<Finding>,
}

impl From<CheckReport> for CheckReportWire {
    fn from(c: CheckReport) -> CheckReportWire {
        CheckReportWire { message: c.text(), name: c.name, outcome: c.outcome, step: c.step, findings: c.findings }
    }
}

impl From<CheckReportWire> for CheckReport {
    fn from(w: CheckReportWire) -> CheckReport {
        // The findings hold the text; the message keeps only its title, as in a live report.
        let message = if w.findings.is_empty() { w.message } else { first_line(&w.message).to_owned() };
        CheckReport { name: w.name, outcome: w.outcome, message, step: w.step, findings: w.findings }
    }
}

/// One violation of a check, as the JSON report carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// One-line title.
    pub title: String,
    /// What the contract says.
    pub expected: String,
    /// What the target did.
    pub actual: String,
    /// The spec node checked against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<String>,
    /// The JSON pointer of the offending value in the answer, when one value is at fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// Documented (with the seed source) or inferred (with the reason).
    pub provenance: Provenance,
}

impl Finding {
    /// The finding of a failure, the reason of an inferred rule spelled out from `readings`.
    pub fn new(f: &Failure, readings: &Readings) -> Finding {
        let provenance = match &f.provenance {
            Provenance::Inferred { reason, disagreements } if !disagreements.is_empty() => {
                let explained: Vec<String> = disagreements.iter().map(|id| readings.explain(id)).collect();
                Provenance::Inferred {
                    reason: format!("{reason}: {}", explained.join("; ")),
                    disagreements: disagreements.clone(),
                }
            }
            other => other.clone(),
        };
        Finding {
            title: f.title.clone(),
            expected: f.expected.clone(),
            actual: f.actual.clone(),
            spec: f.spec.clone(),
            pointer: f.pointer.clone(),
            provenance,
        }
    }
}

impl std::fmt::Display for Finding {
    /// The title, then `expected:`, `actual:`, the spec node, the pointer and the provenance on
    /// indented lines.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}\n  expected: {}\n  actual:   {}", self.title, self.expected, self.actual)?;
        if let Some(spec) = &self.spec {
            write!(f, "\n  spec:     {spec}")?;
        }
        if let Some(pointer) = &self.pointer {
            write!(f, "\n  pointer:  {pointer}")?;
        }
        match &self.provenance {
            Provenance::Documented { source } if !source.is_empty() => write!(f, "\n  stated:   {source}"),
            Provenance::Documented { .. } => Ok(()),
            Provenance::Inferred { reason, disagreements } => {
                write!(f, "\n  inferred: {reason}")?;
                if disagreements.is_empty() {
                    Ok(())
                } else {
                    write!(f, "\n  disputed: {}", disagreements.join(", "))
                }
            }
        }
    }
}

impl CheckReport {
    /// The report of a check's verdict in `step`, inferred reasons spelled out from `readings`.
    pub fn from_result(result: &CheckResult, step: &str, readings: &Readings) -> CheckReport {
        CheckReport {
            name: result.check,
            outcome: result.outcome,
            message: match result.failures.first() {
                Some(first) => first.title.clone(),
                None => result.message.clone(),
            },
            step: step.to_owned(),
            findings: result.failures.iter().map(|f| Finding::new(f, readings)).collect(),
        }
    }

    /// The first line of the message: its title.
    pub fn title(&self) -> &str {
        first_line(&self.message)
    }

    /// The verdict as text: every finding rendered, or the message when there is none.
    pub fn text(&self) -> String {
        if self.findings.is_empty() {
            return self.message.clone();
        }
        self.findings.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
    }
}

/// One case's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseReport {
    /// Stable case id.
    pub id: String,
    /// Operation under test.
    pub operation: String,
    /// Resource family (OpenAPI tag).
    #[serde(default)]
    pub family: String,
    /// Kind of case (positive, negative, auth, not-found, pagination, precondition, scenario).
    #[serde(default)]
    pub kind: String,
    /// The outcome.
    pub outcome: CaseOutcome,
    /// Wall time of the case.
    pub duration_ms: u64,
    /// Every check verdict, in order.
    pub checks: Vec<CheckReport>,
    /// Why the case was skipped, or what went wrong in the harness.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Baseline note (expected failure reason, or "passes now: remove from baseline").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
    /// A failed or errored case: every exchange of its failing step, credentials redacted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<ExchangeReport>,
    /// A failed or errored case: the command lines that reproduce it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reproduce: Option<Reproduce>,
}

impl CaseReport {
    /// The resource family, or `other` when the case has none.
    pub fn family_or_other(&self) -> &str {
        if self.family.is_empty() {
            "other"
        } else {
            &self.family
        }
    }

    /// The verdicts with this outcome, in order.
    pub fn checks_with(&self, outcome: CheckOutcome) -> impl Iterator<Item = &CheckReport> {
        self.checks.iter().filter(move |c| c.outcome == outcome)
    }

    /// The first failed verdict, if any.
    pub fn first_failed_check(&self) -> Option<&CheckReport> {
        self.checks_with(CheckOutcome::Failed).next()
    }
}

/// Totals of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of cases.
    pub total: usize,
    /// Cases that passed.
    pub passed: usize,
    /// Cases in which the target was wrong (a check failed).
    pub failed: usize,
    /// Cases that only warned.
    pub warned: usize,
    /// Cases not run.
    pub skipped: usize,
    /// Failures the baseline expects.
    #[serde(default)]
    pub expected_fail: usize,
    /// Cases the harness could not judge (a setup, transport or breaker error).
    #[serde(default)]
    pub errored: usize,
    /// Wall time of the run.
    pub duration_ms: u64,
}

impl Summary {
    /// `N passed, N failed, N warned, N skipped, N expected-fail`, then `, N errored` when the
    /// harness could not judge some case.
    pub fn counts(&self) -> String {
        let mut text = format!(
            "{} passed, {} failed, {} warned, {} skipped, {} expected-fail",
            self.passed, self.failed, self.warned, self.skipped, self.expected_fail
        );
        if self.errored > 0 {
            text.push_str(&format!(", {} errored", self.errored));
        }
        text
    }

    /// The run's duration in seconds, one decimal.
    pub fn seconds(&self) -> String {
        format!("{:.1}s", self.duration_ms as f64 / 1000.0)
    }

    /// Cases that did not fail: passed, warned or expected to fail by the baseline.
    pub fn ok(&self) -> usize {
        self.passed + self.warned + self.expected_fail
    }

    /// Percentage of judged (not skipped) cases that did not fail; `None` when none was judged.
    pub fn score(&self) -> Option<f64> {
        let judged = self.total.saturating_sub(self.skipped);
        (judged > 0).then(|| self.ok() as f64 * 100.0 / judged as f64)
    }
}

/// What the run was pointed at (never any secret).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetInfo {
    /// `embedded-emulator` or `endpoint`.
    pub kind: String,
    /// Base URL.
    pub endpoint: String,
    /// Project id.
    pub project_id: String,
    /// Region, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Profile name, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// `token`, `aksk` or `none`.
    pub auth: String,
    /// `full` or `readonly`.
    pub mode: String,
    /// Whether disputed readings fail.
    pub strict: bool,
    /// Run id used in resource names.
    pub run_id: String,
    /// Certificates were not verified (`--insecure`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure: bool,
    /// CA files trusted besides the system's roots (`--ca-cert`, the profile's `ca_certs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ca_certs: Vec<String>,
    /// The proxy the requests went through, from the environment (credentials left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
}

/// The whole report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// Totals.
    pub summary: Summary,
    /// The target.
    pub target: TargetInfo,
    /// Cases, ordered by id.
    pub cases: Vec<CaseReport>,
    /// Resources the run created (count by kind), for real endpoints.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub created_resources: Vec<(String, usize)>,
    /// The partition this run was (`run --partition I/N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<PartitionInfo>,
    /// A merged report: the partitions it was merged from, in index order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<MergedPartition>,
}

/// Which part of the selection a partition run holds, and what `merge` needs to check that the
/// partitions belong together.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionInfo {
    /// 1-based index.
    pub index: usize,
    /// Number of partitions.
    pub count: usize,
    /// Cases the whole selection holds (every partition together).
    #[serde(default)]
    pub cases_selected: usize,
    /// Fingerprint of the whole selection's case ids.
    #[serde(default)]
    pub selection: String,
    /// The harness and specs version that judged it.
    #[serde(default)]
    pub specs: String,
}

/// One partition of a merged report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergedPartition {
    /// 1-based index.
    pub index: usize,
    /// Number of partitions.
    pub count: usize,
    /// Its run id.
    pub run_id: String,
    /// Its cases.
    pub total: usize,
    /// Its wall time.
    pub duration_ms: u64,
}

impl RunReport {
    /// `server_group 3, replication_pair 2`: what the run created, when it created anything.
    pub fn created_line(&self) -> Option<String> {
        let kinds: Vec<String> = self.created_resources.iter().map(|(kind, n)| format!("{kind} {n}")).collect();
        (!kinds.is_empty()).then(|| kinds.join(", "))
    }

    /// `partition 2/3 (240 of 717 selected cases)`, or for a merged report `merged from 3
    /// partitions: 1/3 …s, 2/3 …s, 3/3 …s`; `None` for a whole run.
    pub fn partition_line(&self) -> Option<String> {
        if let Some(p) = &self.partition {
            return Some(format!(
                "partition {}/{} ({} of {} selected cases)",
                p.index, p.count, self.summary.total, p.cases_selected
            ));
        }
        let parts: Vec<String> = self
            .merged_from
            .iter()
            .map(|m| format!("{}/{} {} cases in {:.1}s", m.index, m.count, m.total, m.duration_ms as f64 / 1000.0))
            .collect();
        (!parts.is_empty()).then(|| format!("merged from {} partitions: {}", parts.len(), parts.join(", ")))
    }

    /// Recomputes the summary from the cases.
    pub fn summarize(&mut self, duration_ms: u64) {
        let mut s = Summary { total: self.cases.len(), duration_ms, ..Summary::default() };
        for c in &self.cases {
            match c.outcome {
                CaseOutcome::Passed => s.passed += 1,
                CaseOutcome::Warned => s.warned += 1,
                CaseOutcome::Failed => s.failed += 1,
                CaseOutcome::Error => s.errored += 1,
                CaseOutcome::ExpectedFail => s.expected_fail += 1,
                CaseOutcome::Skipped => s.skipped += 1,
            }
        }
        self.summary = s;
    }
}

/// The first line of a text (the whole text when it has a single line).
pub(crate) fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("").trim_end()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Specs;

    fn verdict() -> (CheckResult, CheckReport) {
        let documented = Failure::new("wrong status", "200", "500").at("specs/x.yaml").pointer("/a/0");
        let inferred = Failure::new("odd count", "3", "4").inferred("a reading of ours");
        let result = CheckResult::from_failures(CheckName::Pagination, vec![documented, inferred], false);
        let report = CheckReport::from_result(&result, "list", &Specs::embedded().readings);
        (result, report)
    }

    #[test]
    fn a_verdict_keeps_its_failures_as_findings_and_its_first_title_as_message() {
        let (_, report) = verdict();
        assert_eq!(report.message, "wrong status");
        assert_eq!(report.findings.len(), 2);
        assert_eq!(report.findings[0].pointer.as_deref(), Some("/a/0"));
        assert_eq!(report.findings[0].spec.as_deref(), Some("specs/x.yaml"));
        assert!(report.findings[1].provenance.is_inferred());
    }

    #[test]
    fn the_rendered_text_reads_as_the_failures_display_with_the_pointer() {
        let (result, report) = verdict();
        let text = report.text();
        let first = text.split("\nodd count").next().unwrap_or_default();
        assert_eq!(
            first,
            result.failures[0].to_string().replace("\n  stated:", "\n  pointer:  /a/0\n  stated:"),
            "{text}"
        );
        assert!(text.contains("\nodd count\n  expected: 3\n  actual:   4\n  inferred: a reading of ours"), "{text}");
    }

    #[test]
    fn the_json_message_is_the_rendered_text_and_reads_back_to_the_same_verdict() {
        let (_, report) = verdict();
        let json = serde_json::to_value(&report).expect("json");
        assert_eq!(json["message"], report.text());
        assert_eq!(json["findings"][0]["pointer"], "/a/0");
        let back: CheckReport = serde_json::from_value(json).expect("read back");
        assert_eq!(back, report);
        let skipped = CheckReport { findings: Vec::new(), message: "no list".into(), ..report };
        assert_eq!(serde_json::to_value(&skipped).expect("json")["message"], "no list");
    }

    #[test]
    fn errors_are_counted_apart_from_failures() {
        let case = |outcome| CaseReport {
            id: "c".into(),
            operation: "op".into(),
            family: String::new(),
            kind: String::new(),
            outcome,
            duration_ms: 0,
            checks: Vec::new(),
            reason: None,
            baseline: None,
            evidence: Vec::new(),
            reproduce: None,
        };
        let mut report = RunReport {
            cases: vec![case(CaseOutcome::Failed), case(CaseOutcome::Error), case(CaseOutcome::Error)],
            ..RunReport::default()
        };
        report.summarize(0);
        assert_eq!((report.summary.failed, report.summary.errored), (1, 2));
        assert_eq!(report.summary.counts(), "0 passed, 1 failed, 0 warned, 0 skipped, 0 expected-fail, 2 errored");
        report.cases.truncate(1);
        report.summarize(0);
        assert!(!report.summary.counts().contains("errored"));
    }
}

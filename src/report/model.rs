//! The serialisable result of a run: what every reporter consumes.

use super::evidence::{ExchangeReport, Reproduce};
use crate::checks::{CheckName, CheckResult, Failure, Outcome, Provenance};
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

/// One check's verdict in a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckReport {
    /// Stable check name.
    pub name: CheckName,
    /// Its outcome.
    pub outcome: Outcome,
    /// Failures rendered (title, expected, actual, spec) or the skip reason.
    pub message: String,
    /// Which step of the case produced it (empty for single-request cases).
    #[serde(default)]
    pub step: String,
    /// Each violation as data: what was expected and seen, the spec node, and where the rule comes from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
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
            provenance,
        }
    }
}

impl CheckReport {
    /// The report of a check's verdict in `step`, inferred reasons spelled out from `readings`.
    pub fn from_result(result: &CheckResult, step: &str, readings: &Readings) -> CheckReport {
        let message = if result.failures.is_empty() { result.message.clone() } else { result.details() };
        CheckReport {
            name: result.check,
            outcome: result.outcome,
            message,
            step: step.to_owned(),
            findings: result.failures.iter().map(|f| Finding::new(f, readings)).collect(),
        }
    }

    /// The first line of the message: its title.
    pub fn title(&self) -> &str {
        first_line(&self.message)
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
    pub fn checks_with(&self, outcome: Outcome) -> impl Iterator<Item = &CheckReport> {
        self.checks.iter().filter(move |c| c.outcome == outcome)
    }

    /// The first failed verdict, if any.
    pub fn first_failed_check(&self) -> Option<&CheckReport> {
        self.checks_with(Outcome::Failed).next()
    }
}

/// Totals of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of cases.
    pub total: usize,
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed (including harness errors).
    pub failed: usize,
    /// Cases that only warned.
    pub warned: usize,
    /// Cases not run.
    pub skipped: usize,
    /// Failures the baseline expects.
    #[serde(default)]
    pub expected_fail: usize,
    /// Wall time of the run.
    pub duration_ms: u64,
}

impl Summary {
    /// `N passed, N failed, N warned, N skipped, N expected-fail`.
    pub fn counts(&self) -> String {
        format!(
            "{} passed, {} failed, {} warned, {} skipped, {} expected-fail",
            self.passed, self.failed, self.warned, self.skipped, self.expected_fail
        )
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
}

impl RunReport {
    /// `server_group 3, replication_pair 2`: what the run created, when it created anything.
    pub fn created_line(&self) -> Option<String> {
        let kinds: Vec<String> = self.created_resources.iter().map(|(kind, n)| format!("{kind} {n}")).collect();
        (!kinds.is_empty()).then(|| kinds.join(", "))
    }

    /// Recomputes the summary from the cases.
    pub fn summarize(&mut self, duration_ms: u64) {
        let mut s = Summary { total: self.cases.len(), duration_ms, ..Summary::default() };
        for c in &self.cases {
            match c.outcome {
                CaseOutcome::Passed => s.passed += 1,
                CaseOutcome::Warned => s.warned += 1,
                CaseOutcome::Failed | CaseOutcome::Error => s.failed += 1,
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

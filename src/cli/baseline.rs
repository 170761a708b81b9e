//! Baselines: a committed list of case ids expected to fail against a target, each with a
//! reason. With a baseline, a run fails only on regressions.

use crate::report::{CaseOutcome, RunReport};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Why a baseline file cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The file cannot be read.
    #[error("cannot read baseline {}: {source}", path.display())]
    Read {
        /// The baseline file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a baseline.
    #[error("{}:{}: invalid baseline: {source}", path.display(), .source.location().map_or(0, |l| l.line()))]
    Invalid {
        /// The baseline file.
        path: PathBuf,
        /// What the YAML parser said.
        #[source]
        source: serde_yaml_ng::Error,
    },
    /// The baseline cannot be put into YAML.
    #[error(transparent)]
    Serialize(serde_yaml_ng::Error),
    /// The file cannot be written.
    #[error("cannot write baseline {}: {source}", path.display())]
    Write {
        /// The baseline file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// One expected failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Expected {
    /// Case id.
    pub id: String,
    /// Why it fails.
    pub reason: String,
}

/// The baseline file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Baseline {
    /// Expected failures.
    pub expected_failures: Vec<Expected>,
}

impl Baseline {
    /// Reads a baseline (YAML).
    pub(super) fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| BaselineError::Read { path: path.to_path_buf(), source })?;
        serde_yaml_ng::from_str(&text).map_err(|source| BaselineError::Invalid { path: path.to_path_buf(), source })
    }

    /// Writes it.
    pub(super) fn save(&self, path: &Path) -> Result<(), BaselineError> {
        let text = serde_yaml_ng::to_string(self).map_err(BaselineError::Serialize)?;
        let header = "# Cases expected to fail against this target, with the reason. Written by --write-baseline.\n";
        std::fs::write(path, format!("{header}{text}"))
            .map_err(|source| BaselineError::Write { path: path.to_path_buf(), source })
    }

    /// The current failures of a report.
    pub(super) fn from_report(report: &RunReport) -> Baseline {
        let expected_failures = report
            .cases
            .iter()
            .filter(|c| c.outcome.is_failure() || c.outcome == CaseOutcome::ExpectedFail)
            .map(|c| Expected {
                id: c.id.clone(),
                reason: c
                    .baseline
                    .clone()
                    .or_else(|| {
                        c.checks
                            .iter()
                            .find(|k| k.outcome == crate::checks::CheckOutcome::Failed)
                            .map(|k| format!("{}: {}", k.name, k.title()))
                    })
                    .or_else(|| c.reason.clone())
                    .unwrap_or_default(),
            })
            .collect();
        Baseline { expected_failures }
    }

    /// Turns expected failures into `expected-fail` and notes listed cases that pass now.
    pub(super) fn apply(&self, report: &mut RunReport) {
        for case in &mut report.cases {
            let Some(entry) = self.expected_failures.iter().find(|e| e.id == case.id) else { continue };
            if case.outcome.is_failure() {
                case.outcome = CaseOutcome::ExpectedFail;
                case.baseline = Some(entry.reason.clone());
            } else if matches!(case.outcome, CaseOutcome::Passed | CaseOutcome::Warned) {
                case.baseline = Some("passes now: remove it from the baseline".into());
            }
        }
        let duration = report.summary.duration_ms;
        report.summarize(duration);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::CaseReport;

    fn case(id: &str, outcome: CaseOutcome) -> CaseReport {
        CaseReport {
            id: id.into(),
            operation: "op".into(),
            family: String::new(),
            kind: String::new(),
            outcome,
            duration_ms: 0,
            checks: Vec::new(),
            reason: Some("why".into()),
            baseline: None,
            evidence: Vec::new(),
            reproduce: None,
        }
    }

    #[test]
    fn a_listed_failure_becomes_expected_and_a_listed_pass_gets_a_note() {
        let mut report = RunReport {
            cases: vec![case("a", CaseOutcome::Failed), case("b", CaseOutcome::Passed), case("c", CaseOutcome::Failed)],
            ..RunReport::default()
        };
        let b = Baseline {
            expected_failures: vec![
                Expected { id: "a".into(), reason: "known".into() },
                Expected { id: "b".into(), reason: "old".into() },
            ],
        };
        b.apply(&mut report);
        assert_eq!(report.cases[0].outcome, CaseOutcome::ExpectedFail);
        assert!(report.cases[1].baseline.as_deref().unwrap().contains("remove"));
        assert_eq!(report.summary.failed, 1);
        assert_eq!(report.summary.expected_fail, 1);
    }

    #[test]
    fn a_missing_baseline_keeps_the_io_error_as_its_source_and_names_the_file() {
        let path = Path::new("/nonexistent/baseline.yaml");
        let err = Baseline::load(path).unwrap_err();
        let io = std::error::Error::source(&err).and_then(|s| s.downcast_ref::<std::io::Error>()).expect("an io error");
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
        assert_eq!(err.to_string(), format!("cannot read baseline /nonexistent/baseline.yaml: {io}"));
    }

    #[test]
    fn an_invalid_baseline_names_its_line_and_keeps_the_yaml_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.yaml");
        std::fs::write(&path, "expected_failures:\n  - id: a\n    why: no\n").unwrap();
        let err = Baseline::load(&path).unwrap_err();
        let yaml = match &err {
            BaselineError::Invalid { source, .. } => source,
            other => panic!("{other:?}"),
        };
        let line = yaml.location().map_or(0, |l| l.line());
        assert!(line > 0);
        assert_eq!(err.to_string(), format!("{}:{line}: invalid baseline: {yaml}", path.display()));
    }
}

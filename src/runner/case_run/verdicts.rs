//! The case's verdicts: the checks' results on the evidence the case collected, kept as the
//! report carries them, and the case's outcome from them.

use super::CaseRun;
use crate::checks::{self, CheckName, CheckOutcome, CheckResult, Evidence};
use crate::outcome::{CaseOutcome, CheckReport};

impl CaseRun<'_> {
    /// Keeps a verdict given in `step`, unless the run selected other checks.
    pub(super) fn push(&mut self, step: &str, result: CheckResult) {
        if selected(&self.runner.config.checks, result.check) {
            self.results.push(CheckReport::from_result(&result, step, &self.runner.specs.readings));
        }
    }

    /// Has every registered check judge `evidence`, and keeps their verdicts; a skip is kept
    /// unless `keep_skips` is false (evidence that may concern no check of the case).
    pub(super) fn judge_evidence(&mut self, step: &str, evidence: &Evidence, keep_skips: bool) {
        let ctx = self.ctx();
        for result in checks::registry::judge(&ctx, evidence) {
            if keep_skips || result.outcome != CheckOutcome::Skipped {
                self.push(step, result);
            }
        }
    }

    /// The case's outcome from its verdicts and errors.
    pub fn outcome(&self) -> CaseOutcome {
        outcome_of(&self.results, self.error.is_some(), self.skipped.is_some())
    }

    /// Has `state_transition` judge every resource the case saw.
    pub fn finish_observations(&mut self) {
        let ids: Vec<String> = self.touched.iter().cloned().collect();
        for id in ids {
            if let Some((kind, seq)) = self.observations.of(&id) {
                let evidence = Evidence::Statuses { kind: &kind, id: &id, observed: &seq };
                self.judge_evidence("observed statuses", &evidence, false);
            }
        }
    }
}

/// Whether the run's selection of checks (`run --checks`; none: every check) keeps `check`.
fn selected(selection: &[CheckName], check: CheckName) -> bool {
    selection.is_empty() || selection.contains(&check)
}

/// A failed verdict fails the case even when the harness then stopped; otherwise a harness error
/// makes it an error, a state that ended by itself a skip, and a warning a warned case.
fn outcome_of(results: &[CheckReport], errored: bool, skipped: bool) -> CaseOutcome {
    if results.iter().any(|r| r.outcome == CheckOutcome::Failed) {
        CaseOutcome::Failed
    } else if errored {
        CaseOutcome::Error
    } else if skipped {
        CaseOutcome::Skipped
    } else if results.iter().any(|r| r.outcome == CheckOutcome::Warned) {
        CaseOutcome::Warned
    } else {
        CaseOutcome::Passed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(outcome: CheckOutcome) -> CheckReport {
        CheckReport {
            name: CheckName::StatusCode,
            outcome,
            message: String::new(),
            step: String::new(),
            findings: Vec::new(),
        }
    }

    #[test]
    fn a_failed_check_outweighs_a_harness_error_which_outweighs_a_skip_and_a_warning() {
        let failed = [verdict(CheckOutcome::Passed), verdict(CheckOutcome::Failed)];
        assert_eq!(outcome_of(&failed, true, true), CaseOutcome::Failed);
        let warned = [verdict(CheckOutcome::Warned)];
        assert_eq!(outcome_of(&warned, true, true), CaseOutcome::Error);
        assert_eq!(outcome_of(&warned, false, true), CaseOutcome::Skipped);
        assert_eq!(outcome_of(&warned, false, false), CaseOutcome::Warned);
        assert_eq!(outcome_of(&[verdict(CheckOutcome::Skipped)], false, false), CaseOutcome::Passed);
        assert_eq!(outcome_of(&[], false, false), CaseOutcome::Passed);
    }

    #[test]
    fn an_empty_selection_keeps_every_check() {
        assert!(selected(&[], CheckName::Snapshot));
        assert!(selected(&[CheckName::Snapshot], CheckName::Snapshot));
        assert!(!selected(&[CheckName::StatusCode], CheckName::Snapshot));
    }
}

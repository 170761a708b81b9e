//! Which exchanges a failed or errored case keeps as evidence: every exchange of the step that
//! failed (of each failing step, when several did), or of the step the harness stopped in.

use crate::client::tape::{Recorded, Tape};
use crate::outcome::{CaseOutcome, CaseReport, ExchangeReport};
use std::collections::BTreeSet;

/// The step name of the deletions after a case.
pub(super) const TEARDOWN: &str = "teardown";

/// Most exchanges kept per case: a job polled for an hour must not swell the report.
const MAX_EXCHANGES: usize = 200;

/// The evidence of `report`'s failure from the case's tape.
pub(super) fn of_failure(report: &CaseReport, tape: &Tape, stopped_in: &str, base_url: &str) -> Vec<ExchangeReport> {
    let entries = tape.entries();
    let mut steps: BTreeSet<&str> = BTreeSet::new();
    if report.outcome == CaseOutcome::Failed {
        steps.extend(report.checks_with(crate::checks::CheckOutcome::Failed).map(|c| c.step.as_str()));
    } else {
        // The harness stopped in the step it was running.
        steps.insert(stopped_in);
    }
    let in_steps = |r: &&Recorded| steps.contains(r.step.as_str());
    let mut kept: Vec<&Recorded> = entries.iter().filter(in_steps).collect();
    // A verdict over the whole case (statuses observed across steps) has no exchange of its own:
    // all of the case's exchanges are its evidence.
    let whole_case = steps.iter().any(|s| !entries.iter().any(|r| r.step == *s));
    if whole_case {
        kept = entries.iter().filter(|r| r.step != TEARDOWN).collect();
    }
    if kept.len() > MAX_EXCHANGES {
        // The first exchanges show the request, the last ones how the step ended.
        let tail = kept.split_off(kept.len() - MAX_EXCHANGES / 2);
        kept.truncate(MAX_EXCHANGES / 2);
        kept.extend(tail);
    }
    kept.into_iter().map(|r| ExchangeReport::of(r, base_url)).collect()
}

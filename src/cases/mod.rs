//! Cases: the case model, the scenario files of `cases/`, the cases generated from the specs,
//! and the prerequisites they need. No I/O besides reading scenario files; no unseeded randomness.

pub mod build;
pub mod generate;
mod model;
pub mod prereq;
pub mod reach;
pub mod scenario;
pub mod share;
pub mod template;

pub use model::{
    Case, CaseKind, Credentials, Expect, JobOutcome, JobSpec, Judge, Needs, PaginateStep, ReadBack, RequestStep,
    StateGuard, StatusSet, Step, WaitJobStep, WaitStatusStep,
};

use crate::spec::Specs;

/// Every case: generated ones and the scenario files, ordered by id.
pub fn all(specs: &Specs, scenarios: Vec<Case>) -> Vec<Case> {
    let mut cases = generate::generate(specs);
    cases.extend(scenarios);
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    cases
}

/// Keeps the cases whose id, operation, family, kind or tags contain `filter` (case-insensitive).
pub fn matches(case: &Case, filter: &str) -> bool {
    let f = filter.to_ascii_lowercase();
    [case.id.as_str(), case.operation.as_str(), case.family.as_str(), case.kind.as_str()]
        .iter()
        .chain(case.tags.iter().map(String::as_str).collect::<Vec<_>>().iter())
        .any(|s| s.to_ascii_lowercase().contains(&f))
}

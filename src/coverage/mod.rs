//! Coverage of the contract: which documented operations, statuses, A.1 error codes, state
//! transitions and (action, forbidden state) refusals the exchanges of a run or a recording
//! actually showed, and why each of the others was not seen, where that is known.
//!
//! It judges nothing: an [`Observer`] is fed exchanges in the order they completed (the run's
//! log, a HAR file, a proxy's traffic), matching each to its operation as `check-traffic` does,
//! and [`Coverage::compute`] sets what it saw against the catalogue of the specs. The reasons come
//! from the specs (a 500 answer, a state no action leads to) and, for a run, from its [`Plan`]:
//! the cases that expected an item and what became of them.

mod catalogue;
mod observe;
mod plan;

pub use catalogue::{Catalogue, Item, Key};
pub use observe::Observer;
pub use plan::Plan;

use crate::spec::Specs;
use serde::{Deserialize, Serialize};

/// Why a documented item was not observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Why {
    /// A conforming target never gives it to this harness (a 500, a state no action leads to).
    #[serde(rename = "unreachable by design")]
    UnreachableByDesign,
    /// Its cases need what the world or profile does not hold.
    #[serde(rename = "missing from the world or profile")]
    MissingFromWorld,
    /// Nothing seen provoked it; the default.
    #[serde(rename = "not tested yet")]
    NotTestedYet,
}

impl Why {
    /// The stable phrase of the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            Why::UnreachableByDesign => "unreachable by design",
            Why::MissingFromWorld => "missing from the world or profile",
            Why::NotTestedYet => "not tested yet",
        }
    }
}

/// One documented item never observed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unobserved {
    /// The item (`showProtectionGroup 404`, `SDRS.1013`, `server_group: creating -> available`...).
    pub id: String,
    /// The kind of reason.
    pub why: Why,
    /// The reason in words (the case that expected it, the state no action leads to...).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// One of the five sections: documented and observed counts, and what was not observed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// Items the specs document.
    pub documented: usize,
    /// Items the exchanges showed.
    pub observed: usize,
    /// The others, in catalogue order.
    pub unobserved: Vec<Unobserved>,
}

impl Section {
    /// Observed over documented, in percent (100 for an empty section).
    pub fn percent(&self) -> f64 {
        if self.documented == 0 {
            100.0
        } else {
            self.observed as f64 * 100.0 / self.documented as f64
        }
    }

    /// How many unobserved items give this reason.
    pub fn count(&self, why: Why) -> usize {
        self.unobserved.iter().filter(|u| u.why == why).count()
    }
}

/// The coverage of the contract, as `--coverage PATH` writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// Every operation of the loaded documents.
    pub operations: Section,
    /// Documented (operation, status) pairs.
    pub statuses: Section,
    /// The codes of appendix A.1.
    pub error_codes: Section,
    /// The allowed from -> to changes of the state machines.
    pub transitions: Section,
    /// (action, forbidden state) pairs, each observed when the action was refused from that state.
    pub refusals: Section,
}

impl Coverage {
    /// What `observer` saw, set against the catalogue of `specs`; `plan` (a run's cases) explains
    /// what was missed, else each miss is put down to the recording.
    pub fn compute(specs: &Specs, observer: &Observer, plan: Option<&Plan>) -> Coverage {
        let catalogue = Catalogue::new(specs);
        let section = |items: &[Item]| {
            let mut s = Section { documented: items.len(), ..Section::default() };
            for item in items {
                if observer.saw(&item.key) {
                    s.observed += 1;
                    continue;
                }
                let (why, detail) = match (&item.by_design, plan) {
                    (Some((why, reason)), _) => (*why, reason.clone()),
                    (None, Some(plan)) => plan.why(&item.key),
                    (None, None) => (Why::NotTestedYet, "no exchange showed it".to_owned()),
                };
                s.unobserved.push(Unobserved { id: item.id.clone(), why, detail });
            }
            s
        };
        Coverage {
            operations: section(&catalogue.operations),
            statuses: section(&catalogue.statuses),
            error_codes: section(&catalogue.error_codes),
            transitions: section(&catalogue.transitions),
            refusals: section(&catalogue.refusals),
        }
    }

    /// The five sections with their names, in report order.
    pub fn sections(&self) -> [(&'static str, &Section); 5] {
        [
            ("operations", &self.operations),
            ("statuses", &self.statuses),
            ("error_codes", &self.error_codes),
            ("transitions", &self.transitions),
            ("refusals", &self.refusals),
        ]
    }

    /// The JSON text written by `--coverage`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("coverage serialises") + "\n"
    }

    /// `operations 50/50, statuses 412/700, ...`: one line for the console.
    pub fn summary_line(&self) -> String {
        let parts: Vec<String> =
            self.sections().iter().map(|(name, s)| format!("{name} {}/{}", s.observed, s.documented)).collect();
        format!("coverage: {}", parts.join(", "))
    }
}

/// The coverage of the contract by recorded or proxied exchanges, in the order they came.
pub fn of_exchanges<'a>(
    specs: &crate::spec::Specs,
    exchanges: impl IntoIterator<Item = &'a crate::exchange::Exchange>,
) -> Coverage {
    let mut observer = Observer::new(specs);
    for ex in exchanges {
        observer.observe(ex);
    }
    Coverage::compute(specs, &observer, None)
}

/// The coverage of the contract by every exchange of a run (kept with `keep_every_exchange`),
/// with the reasons its cases give for what was not seen.
pub fn of_run(runner: &crate::runner::Runner, report: &crate::outcome::RunReport) -> Coverage {
    let specs = crate::spec::Specs::embedded();
    let mut observer = Observer::new(specs);
    for r in runner.recorded() {
        observer.observe(&r.exchange);
    }
    let plan = Plan::new(specs, runner.cases(), report);
    Coverage::compute(specs, &observer, Some(&plan))
}

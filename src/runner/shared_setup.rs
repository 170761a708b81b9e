//! Shared setups for real regions: cases whose last request the target must refuse (negative,
//! not-found and precondition cases) and whose setups are the same run as one unit that builds
//! the setup once, sends each case's request on it in turn, and deletes it after the last one.
//! A refused request changes nothing, so the next case finds the state it needs; a request the
//! target wrongly accepted may have changed it, and the next case gets a fresh setup.
//!
//! A unit holds its prerequisites only while it runs its own cases one after another, so no
//! case ever waits for something held by a case that is itself waiting for its turn.

use super::pool::Lease;
use super::teardown::Registry;
use super::{CaseRun, Concluded, Runner};
use crate::cases::template::Vars;
use crate::cases::{Case, CaseKind, Needs};
use crate::outcome::{CaseOutcome, CheckReport};
use std::collections::BTreeMap;
use std::time::Instant;

/// Indices of cases that run together, in order; most units hold one case.
pub(crate) type Unit = Vec<usize>;

/// The key of a case whose setup can be shared, if it can: its setup steps (cases of one key
/// differ at most in what their last step adds to the needs, e.g. a volume for a late pair).
pub(crate) fn key_of(case: &Case) -> Option<String> {
    // Their last request is refused, which changes nothing: the setup stays as they need it.
    let refused = matches!(case.kind, CaseKind::Precondition | CaseKind::Negative | CaseKind::NotFound);
    if !refused || case.skip.is_some() || case.exclusive || case.fixture.is_some() {
        return None;
    }
    let (_, setup) = case.steps.split_last()?;
    if setup.is_empty() {
        return None;
    }
    Some(format!("{setup:?}"))
}

/// Splits the cases into units, in the order they should start: with `share`, cases of one
/// shareable setup form one unit (in id order); every other case is a unit of its own.
pub(crate) fn plan(cases: &[Case], share: bool) -> Vec<Unit> {
    if !share {
        return (0..cases.len()).map(|index| vec![index]).collect();
    }
    let keys: Vec<Option<String>> = cases.iter().map(key_of).collect();
    let mut units: Vec<Unit> = Vec::new();
    let mut by_key: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, key) in keys.iter().enumerate() {
        match key {
            Some(key) => match by_key.get(key.as_str()) {
                Some(&unit) => units[unit].push(index),
                None => {
                    by_key.insert(key, units.len());
                    units.push(vec![index]);
                }
            },
            None => units.push(vec![index]),
        }
    }
    // Spare NICs are used up by the cases that delete them: the cases that only need one to be
    // refused go first, so that a profile with few spare NICs still runs them.
    let refused_on_a_spare_nic = |unit: &Unit| unit.iter().all(|&i| keys[i].is_some() && cases[i].needs.spare_nics > 0);
    units.sort_by_key(|unit| !refused_on_a_spare_nic(unit));
    units
}

/// What became of a shared setup after a case's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Aftermath {
    /// The request was refused: the setup is as it was.
    Intact,
    /// The request was accepted, failed on the server or got no answer: the next case gets a
    /// fresh setup.
    MayHaveChanged,
    /// The transitional state the case needed ended by itself before the request.
    StateGone,
}

/// Why a shared setup could not be built.
pub(crate) enum SetupError {
    /// The target cannot give what it needs.
    Missing(super::LeaseRefusal),
    /// One of its steps failed.
    Failed(String),
}

/// A setup built and held for the cases of one unit.
pub(crate) struct Built {
    lease: Lease,
    registry: Registry,
    vars: Vars,
    /// Verdicts on the setup's own requests, reported with the next case that runs on it.
    verdicts: Vec<CheckReport>,
}

impl Runner {
    /// Builds the setup of `case` (its steps but the last) holding `needs`; an error says why
    /// it could not.
    pub(crate) async fn build_setup(
        &self,
        case: &Case,
        needs: &Needs,
        deadline: Option<Instant>,
    ) -> Result<Built, SetupError> {
        let mut vars = self.base_vars(&case.id);
        let mut lease = self.pool.take(needs).await.map_err(SetupError::Missing)?;
        vars.extend(lease.vars.clone());
        let mut only_setup = case.clone();
        only_setup.steps.pop();
        let mut run = CaseRun::new(self, &only_setup, vars);
        self.execute_bounded(&mut run, deadline).await;
        run.finish_observations();
        lease.used_up(&run.used_nics);
        let registry = std::mem::take(&mut run.registry);
        let built = Built { lease, registry, vars: run.vars.clone(), verdicts: std::mem::take(&mut run.results) };
        match run.error.take() {
            None => Ok(built),
            Some(e) => {
                self.release(built).await;
                Err(SetupError::Failed(e))
            }
        }
    }

    /// Runs the last step of `case` on a built setup, with the case's own name prefix; says
    /// what became of the setup.
    pub(crate) async fn run_on_setup(
        &self,
        case: &Case,
        built: &mut Built,
        deadline: Option<Instant>,
    ) -> (Concluded, Aftermath) {
        let started = Instant::now();
        let mut vars = self.base_vars(&case.id);
        let prefix = vars.get("prefix").cloned();
        vars.extend(built.vars.clone());
        if let Some(p) = prefix {
            vars.insert("prefix".into(), p);
        }
        let mut last = case.clone();
        last.steps = case.steps.last().cloned().into_iter().collect();
        let mut run = CaseRun::new(self, &last, vars);
        run.results = std::mem::take(&mut built.verdicts);
        self.execute_bounded(&mut run, deadline).await;
        built.lease.used_up(&run.used_nics);
        let aftermath = if run.skipped.is_some() {
            Aftermath::StateGone
        } else if run.error.is_some() || !matches!(run.last_status, Some(400..=499)) {
            // Accepted, a server error, or no answer: the request may have changed something.
            Aftermath::MayHaveChanged
        } else {
            Aftermath::Intact
        };
        (self.conclude(case, run, started).await, aftermath)
    }

    /// Deletes a setup and gives its prerequisites back.
    pub(crate) async fn release(&self, built: Built) {
        let left = self.teardown_registry(built.registry, &built.vars).await;
        if !left.is_empty() {
            tracing::warn!(?left, "a shared setup left resources behind");
        }
        self.pool.give_back(built.lease);
    }

    /// Runs the cases of one unit in order on one setup, rebuilding it after a case that may
    /// have changed it (a unit of one case runs it whole); `start` is asked before each case
    /// whether it may run (or why not), `finish` gets each report.
    pub(crate) async fn run_unit(
        &self,
        cases: &[&Case],
        deadline: Option<Instant>,
        mut start: impl FnMut(&Case) -> Result<(), (CaseOutcome, String)>,
        mut finish: impl FnMut(Concluded),
    ) {
        let mut cases = cases.to_vec();
        cases.retain(|case| match self.pool.unreachable(&case.needs) {
            Some(why) => {
                finish((self.skipped_report(case, &format!("missing prerequisite: {why}")), Vec::new()));
                false
            }
            None => true,
        });
        let mut needs = Needs::default();
        cases.iter().for_each(|c| needs.widen(&c.needs));
        // A lone case, or cases that together need more than the target can give: each runs whole.
        if cases.len() <= 1 || self.pool.unreachable(&needs).is_some() {
            for &case in &cases {
                match start(case) {
                    Ok(()) => finish(self.run_case_until(case, deadline).await),
                    Err((outcome, why)) => finish((self.unrun_report(case, outcome, &why), Vec::new())),
                }
            }
            return;
        }
        let _turn = self.take_turn(cases[0]).await;
        let mut held: Option<Built> = None;
        // Set when the setup cannot be had (it failed, or the target lacks what it needs), or
        // when the state ended by itself on two setups in a row: later cases get the same report
        // instead of building more resources to no end.
        let mut given_up: Option<(CaseOutcome, String)> = None;
        for &case in &cases {
            if let Err((outcome, why)) = start(case) {
                finish((self.unrun_report(case, outcome, &why), Vec::new()));
                continue;
            }
            if let Some((outcome, why)) = &given_up {
                finish((self.unrun_report(case, *outcome, why), Vec::new()));
                continue;
            }
            // A transitional state that ended by itself before the action gets one fresh setup.
            for attempt in 0..2 {
                let built = match held.as_mut() {
                    Some(built) => built,
                    None => match self.build_setup(case, &needs, deadline).await {
                        Ok(built) => held.insert(built),
                        Err(e) => {
                            let (outcome, why) = match e {
                                SetupError::Missing(why) => {
                                    (CaseOutcome::Skipped, format!("missing prerequisite: {why}"))
                                }
                                SetupError::Failed(e) => (CaseOutcome::Error, format!("the shared setup failed: {e}")),
                            };
                            finish((self.unrun_report(case, outcome, &why), Vec::new()));
                            given_up = Some((outcome, why));
                            break;
                        }
                    },
                };
                let (concluded, aftermath) = self.run_on_setup(case, built, deadline).await;
                let retry = aftermath == Aftermath::StateGone && attempt == 0;
                if aftermath == Aftermath::StateGone && !retry {
                    given_up = concluded.0.reason.clone().map(|why| (CaseOutcome::Skipped, why));
                }
                if !retry {
                    finish(concluded);
                }
                if aftermath != Aftermath::Intact {
                    if let Some(built) = held.take() {
                        self.release(built).await;
                    }
                }
                if !retry {
                    break;
                }
            }
        }
        if let Some(built) = held.take() {
            self.release(built).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precondition_cases_of_one_state_share_a_unit_and_others_stay_alone() {
        let cases = crate::cases::all(crate::spec::Specs::embedded(), Vec::new());
        let alone = plan(&cases, false);
        assert!(alone.iter().all(|u| u.len() == 1));
        assert_eq!(alone.len(), cases.len());
        let shared = plan(&cases, true);
        assert_eq!(shared.iter().map(Vec::len).sum::<usize>(), cases.len(), "every case runs once");
        assert!(shared.len() + 200 < cases.len(), "{} units for {} cases", shared.len(), cases.len());
        for unit in shared.iter().filter(|u| u.len() > 1) {
            let keys: Vec<Option<String>> = unit.iter().map(|&i| key_of(&cases[i])).collect();
            assert!(keys[0].is_some() && keys.iter().all(|k| *k == keys[0]), "{unit:?}");
        }
    }

    #[test]
    fn only_precondition_cases_with_a_setup_are_shared() {
        let cases = crate::cases::all(crate::spec::Specs::embedded(), Vec::new());
        let by_id = |id: &str| cases.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no case {id}"));
        let failed_over = key_of(by_id("stopProtectionGroup/precondition/failed-over"));
        assert!(failed_over.is_some());
        assert_eq!(failed_over, key_of(by_id("createReplicationPair/precondition/group-failed-over")));
        assert_ne!(failed_over, key_of(by_id("stopProtectionGroup/precondition/available")));
        let creating = key_of(by_id("startProtectionGroup/precondition/creating"));
        assert!(creating.is_some() && creating != failed_over);
        assert_eq!(key_of(by_id("createProtectionGroup/positive")), None);
    }
}

//! Shared setups for real regions: precondition cases with the same setup (every action tried
//! from the same state) build its resources once, keep them while their cases run (each only
//! reads, and a refused action changes nothing), and delete them after the last one.

use super::pool::Lease;
use super::teardown::Registry;
use super::{CaseRun, Runner};
use crate::cases::template::Vars;
use crate::cases::{Case, CaseKind, Step};
use crate::report::CheckReport;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// One setup shared by several cases.
#[derive(Default)]
pub(crate) struct SharedSetup {
    built: OnceCell<Result<Vars, String>>,
    remaining: AtomicUsize,
    held: Mutex<Option<(Registry, Lease, Vars)>>,
    /// Verdicts of the setup's own requests, reported with the first case.
    verdicts: Mutex<Vec<CheckReport>>,
}

/// The key of a case whose setup can be shared, if it can.
pub(crate) fn key_of(case: &Case) -> Option<String> {
    if case.kind != CaseKind::Precondition || case.skip.is_some() || case.steps.len() < 2 {
        return None;
    }
    let (_, setup) = case.steps.split_last()?;
    Some(format!("{setup:?}|{:?}", case.needs))
}

/// Shared setups by key, each counting the cases that use it; cases of one setup made adjacent.
pub(crate) fn plan(cases: &mut [Case]) -> HashMap<String, Arc<SharedSetup>> {
    let mut setups: HashMap<String, Arc<SharedSetup>> = HashMap::new();
    for c in cases.iter() {
        if let Some(k) = key_of(c) {
            setups.entry(k).or_default().remaining.fetch_add(1, Ordering::SeqCst);
        }
    }
    setups.retain(|_, s| s.remaining.load(Ordering::SeqCst) > 1);
    // Run the cases of one setup one after another, so that few setups live at the same time.
    cases.sort_by_cached_key(|c| key_of(c).filter(|k| setups.contains_key(k)).unwrap_or_default());
    setups
}

impl Runner {
    /// Runs a case on its shared setup: builds it on first use, runs the last step, and deletes
    /// the setup after its last case. Returns the case run (for its verdicts) or a setup error.
    pub(crate) async fn run_on_shared_setup<'r>(
        &'r self,
        case: &'r Case,
        single: &'r Case,
        setup: &Arc<SharedSetup>,
        mut vars: Vars,
    ) -> Result<CaseRun<'r>, String> {
        let built = setup
            .built
            .get_or_init(|| async {
                let lease = self.pool.take(&case.needs).await;
                let mut setup_vars = vars.clone();
                setup_vars.extend(lease.vars.clone());
                let mut only_setup = case.clone();
                only_setup.steps.pop();
                let mut run = CaseRun::new(self, &only_setup, setup_vars);
                run.execute().await;
                run.finish_observations();
                *setup.verdicts.lock().expect("poisoned") = std::mem::take(&mut run.results);
                let registry = std::mem::take(&mut run.registry);
                let result = match &run.error {
                    Some(e) => Err(e.clone()),
                    None => Ok(run.vars.clone()),
                };
                *setup.held.lock().expect("poisoned") = Some((registry, lease, run.vars.clone()));
                result
            })
            .await
            .clone();
        let verdicts = std::mem::take(&mut *setup.verdicts.lock().expect("poisoned"));
        let outcome = match built {
            Ok(shared_vars) => {
                let prefix = vars.get("prefix").cloned();
                vars.extend(shared_vars);
                if let Some(p) = prefix {
                    vars.insert("prefix".into(), p);
                }
                let mut run = CaseRun::new(self, single, vars);
                run.results = verdicts;
                run.execute().await;
                Ok(run)
            }
            Err(e) => Err(format!("the shared setup failed: {e}")),
        };
        if setup.remaining.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.release(setup).await;
        }
        outcome
    }

    /// Deletes a shared setup and gives its prerequisites back.
    pub(crate) async fn release(&self, setup: &SharedSetup) {
        let held = setup.held.lock().expect("poisoned").take();
        if let Some((registry, lease, vars)) = held {
            let left = self.teardown_registry(registry, &vars).await;
            if !left.is_empty() {
                tracing::warn!(?left, "a shared setup left resources behind");
            }
            self.pool.give_back(lease);
        }
    }
}

/// The case reduced to its last step (what runs on a shared setup).
pub(crate) fn last_step_only(case: &Case) -> Case {
    let mut single = case.clone();
    single.steps = case.steps.last().cloned().map(|s: Step| vec![s]).unwrap_or_default();
    single
}

//! Checker power: one trial per emulator fault mode (`fault/<name>`). Each runs the suite against
//! the embedded emulator with that fault switched on, stopping once the fault's target check has
//! failed, and passes iff a case failed and the target check failed in at least one case.
//! `fault/none` runs the whole suite against the conforming emulator: no case may fail or error.
//! `breaker/job-never-ends` runs the whole suite against jobs that never end, and shows that the
//! circuit breaker holds back the cases that wait for a job, and only those.
//! The `[shared]` trials do the same with resources shared as against a real region, for the
//! faults whose cases then run on shared setups (refusals from states and of invalid input).
//!
//! The `registry/` trials cross-check the emulator's fault -> check names with the check
//! registry: every fault targets a registered check, and every registered check is the target
//! of some fault (the emulator names checks by string, since it must not depend on `checks`).
//!
//! A fault that no case of the suite catches through its target check is a known gap: its trial
//! is ignored (and named `fault/<name> [known gap]`) only while docs/fault-matrix.md lists it,
//! with the reason, in its "Known gaps" section. `sdrs-conformance fault-matrix` regenerates that
//! document; `cargo test --test faults -- --include-ignored` runs the gaps too.

use libtest_mimic::{Arguments, Failed, Trial};
use sdrs_conformance::checks::{registry, CheckName, CheckOutcome};
use sdrs_conformance::emulator::Fault;
use sdrs_conformance::report::{CaseOutcome, RunReport};
use sdrs_conformance::runner::{self, RunConfig, RunEvent, TargetConfig};
use std::collections::BTreeMap;
use std::sync::Arc;

const MATRIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/fault-matrix.md");

/// Checks whose cases run on shared setups when resources are shared.
const SHARED_TARGETS: [&str; 2] = ["precondition", "negative_rejection"];

fn main() {
    let args = Arguments::from_args();
    let runtime = Arc::new(tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime"));
    let matrix = std::fs::read_to_string(MATRIX).unwrap_or_default();
    let gaps = known_gaps(&matrix);

    let mut trials = Vec::new();
    for shared in [false, true] {
        let runtime = Arc::clone(&runtime);
        let name = if shared { "fault/none [shared]" } else { "fault/none" };
        trials.push(Trial::test(name, move || no_fault(&runtime, shared)));
    }
    let mut faults = Fault::ALL.to_vec();
    faults.sort_by_key(|f| f.name());
    for fault in faults {
        let gap = gaps.contains_key(fault.name());
        let name = if gap { format!("fault/{fault} [known gap]") } else { format!("fault/{fault}") };
        let own = Arc::clone(&runtime);
        trials.push(
            Trial::test(name, move || caught(&own, fault, false))
                .with_kind(fault.target_check())
                .with_ignored_flag(gap),
        );
        if SHARED_TARGETS.contains(&fault.target_check()) && !gap {
            let shared = Arc::clone(&runtime);
            let name = format!("fault/{fault} [shared]");
            trials.push(Trial::test(name, move || caught(&shared, fault, true)).with_kind(fault.target_check()));
        }
    }
    let own = Arc::clone(&runtime);
    trials.push(Trial::test("breaker/job-never-ends", move || {
        let reason = "not run: jobs of this target are not finishing: 3 in a row passed their 50-poll deadline";
        breaker(&own, Fault::JobNeverEnds, reason)
    }));
    let checks: Vec<&'static str> = registry::REGISTRY.iter().map(|e| e.name.as_str()).collect();
    let targets: Vec<&'static str> = Fault::ALL.iter().map(|f| f.target_check()).collect();
    let (c, t) = (checks.clone(), targets.clone());
    trials.push(Trial::test("registry/every-fault-targets-a-registered-check", move || {
        let stray = not_in(&t, &c);
        if stray.is_empty() {
            Ok(())
        } else {
            Err(format!("faults target checks the registry does not hold: {stray:?}").into())
        }
    }));
    let (c, t) = (checks.clone(), targets.clone());
    trials.push(Trial::test("registry/every-registered-check-is-targeted-by-a-fault", move || {
        let untargeted = not_in(&c, &t);
        if untargeted.is_empty() {
            Ok(())
        } else {
            Err(format!("no fault proves these registered checks can fail: {untargeted:?}").into())
        }
    }));
    trials.push(Trial::test("registry/the-cross-check-notices-a-13th-check-and-a-stray-target", move || {
        let mut more = checks.clone();
        more.push("a_13th_check");
        let mut stray = targets.clone();
        stray.push("no_such_check");
        match (not_in(&more, &targets), not_in(&stray, &checks)) {
            (a, b) if a == ["a_13th_check"] && b == ["no_such_check"] => Ok(()),
            other => Err(format!("the cross-check missed them: {other:?}").into()),
        }
    }));
    trials.push(Trial::test("fault-matrix/known-gaps-name-faults", move || {
        let unknown: Vec<&String> = gaps.keys().filter(|g| Fault::parse(g).is_err()).collect();
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(format!("docs/fault-matrix.md lists known gaps that are not faults: {unknown:?}; regenerate it").into())
        }
    }));
    libtest_mimic::run(&args, trials).exit();
}

/// The names of `names` that `other` does not hold, deduplicated, in order.
fn not_in<'a>(names: &[&'a str], other: &[&str]) -> Vec<&'a str> {
    let mut out: Vec<&str> = names.iter().copied().filter(|n| !other.contains(n)).collect();
    out.dedup();
    out
}

/// The faults listed in the "Known gaps" section with a reason: `- `name` (target `check`): reason`.
fn known_gaps(markdown: &str) -> BTreeMap<String, String> {
    let mut gaps = BTreeMap::new();
    let Some(section) = markdown.split("\n## Known gaps").nth(1) else {
        return gaps;
    };
    let section = section.split("\n## ").next().unwrap_or("");
    for line in section.lines() {
        let Some(rest) = line.trim().strip_prefix("- `") else {
            continue;
        };
        let Some((name, rest)) = rest.split_once('`') else {
            continue;
        };
        let reason =
            rest.split_once("):").map(|(_, r)| r).or_else(|| rest.split_once(':').map(|(_, r)| r)).unwrap_or("").trim();
        if !reason.is_empty() {
            gaps.insert(name.to_owned(), reason.to_owned());
        }
    }
    gaps
}

fn config(faults: Vec<String>, shared: bool) -> RunConfig {
    let mut config = sdrs_conformance::embedded::config();
    config.share_fixtures = shared;
    config.jobs = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    config.target = TargetConfig::Embedded { faults, variants: Vec::new() };
    config
}

/// Per check, the number of cases in which it failed.
fn failing_checks(report: &RunReport) -> BTreeMap<CheckName, usize> {
    let mut counts = BTreeMap::new();
    for case in &report.cases {
        let mut names: Vec<CheckName> =
            case.checks.iter().filter(|c| c.outcome == CheckOutcome::Failed).map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        for name in names {
            *counts.entry(name).or_insert(0) += 1;
        }
    }
    counts
}

fn describe_counts(counts: &BTreeMap<CheckName, usize>) -> String {
    if counts.is_empty() {
        return "no check failed".into();
    }
    counts.iter().map(|(c, n)| format!("{c} in {n} case(s)")).collect::<Vec<_>>().join(", ")
}

fn count(report: &RunReport, outcome: CaseOutcome) -> usize {
    report.cases.iter().filter(|c| c.outcome == outcome).count()
}

fn caught(runtime: &tokio::runtime::Runtime, fault: Fault, shared: bool) -> Result<(), Failed> {
    let target = CheckName::parse(fault.target_check())
        .ok_or_else(|| format!("{fault} targets `{}`, not a check", fault.target_check()))?;
    let mut config = config(vec![fault.name().to_owned()], shared);
    config.stop_on_check = Some(target);
    // A fault that breaks only a reading of ours warns; --strict is how it is caught.
    config.strict = fault.breaks_a_reading().is_some();
    let report = runtime
        .block_on(runner::run(config, |_| {}))
        .map_err(|e| format!("the run with fault {fault} could not run: {e}"))?;
    let counts = failing_checks(&report);
    let failed = count(&report, CaseOutcome::Failed);
    if failed > 0 && counts.contains_key(&target) {
        return Ok(());
    }
    let run = report.cases.iter().filter(|c| c.outcome != CaseOutcome::Skipped).count();
    Err(format!(
        "fault {fault} ({}) was not caught by its target check {target}\n  \
         {failed} failed and {} error case(s) out of {run} run ({} in the suite)\n  failing checks instead: {}",
        fault.describe(),
        count(&report, CaseOutcome::Error),
        report.cases.len(),
        describe_counts(&counts),
    )
    .into())
}

/// The whole suite against `fault`: the breaker trips once, with `reason`; the cases it holds
/// back are errors with that reason; cases that do not depend on the broken part still run.
fn breaker(runtime: &tokio::runtime::Runtime, fault: Fault, reason: &str) -> Result<(), Failed> {
    let config = config(vec![fault.name().to_owned()], false);
    let jobs = config.jobs;
    let mut trips = Vec::new();
    let report = runtime
        .block_on(runner::run(config, |event| {
            if let RunEvent::BreakerTripped { reason } = event {
                trips.push(reason);
            }
        }))
        .map_err(|e| format!("the run with fault {fault} could not run: {e}"))?;
    let announced = reason.trim_start_matches("not run: ");
    if !trips.iter().any(|t| t == announced) || trips.len() != 1 {
        return Err(format!("expected one trip `{announced}`, got {trips:?}").into());
    }
    let held: Vec<_> = report.cases.iter().filter(|c| c.reason.as_deref() == Some(reason)).collect();
    if held.is_empty() || held.iter().any(|c| c.outcome != CaseOutcome::Error) {
        return Err(format!("{} case(s) held back, not all errors", held.len()).into());
    }
    if count(&report, CaseOutcome::Passed) == 0 {
        return Err("no case passed: cases that do not depend on the broken part were held back too".into());
    }
    // Once open, no job runs to its deadline: only the ones that opened it and those in flight.
    let deadlines = report
        .cases
        .iter()
        .filter(|c| {
            c.checks.iter().any(|k| k.name == CheckName::JobProtocol && k.text().contains("within the deadline"))
        })
        .count();
    let bound = 3 + jobs;
    if deadlines > bound {
        return Err(format!("{deadlines} case(s) waited for a job deadline (at most {bound} expected)").into());
    }
    // Held-back cases are errors, counted apart from failures: the run exits 2 with them.
    if report.summary.errored == 0 {
        return Err("no case is counted as errored: the run would not exit 2".into());
    }
    Ok(())
}

fn no_fault(runtime: &tokio::runtime::Runtime, shared: bool) -> Result<(), Failed> {
    let report = runtime
        .block_on(runner::run(config(Vec::new(), shared), |_| {}))
        .map_err(|e| format!("the run could not run: {e}"))?;
    let bad: Vec<_> = report.cases.iter().filter(|c| c.outcome.is_failure()).collect();
    if bad.is_empty() {
        return Ok(());
    }
    let mut msg = format!(
        "the conforming emulator fails: {} failed and {} error case(s) out of {}; failing checks: {}",
        count(&report, CaseOutcome::Failed),
        count(&report, CaseOutcome::Error),
        report.cases.len(),
        describe_counts(&failing_checks(&report)),
    );
    for case in bad {
        msg.push_str(&format!("\n  {} {}", case.outcome.as_str(), case.id));
        if let Some(reason) = &case.reason {
            msg.push_str(&format!(": {}", reason.lines().next().unwrap_or("")));
        }
        for check in case.checks.iter().filter(|c| c.outcome == CheckOutcome::Failed) {
            msg.push_str(&format!("\n    [{}] {}", check.name, check.title()));
        }
    }
    Err(msg.into())
}

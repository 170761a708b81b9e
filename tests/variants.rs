//! Checker fairness: one trial per legal variant of the emulator (`variant/<name>`) and one with
//! all of them together (`variant/all`). Each runs the whole suite against the embedded emulator
//! answering in that variant, a way the SDRS reference allows but the emulator does not show by
//! default, and passes iff no case failed or erred: the suite must not fail a correct server for
//! differing from ours. Warnings are allowed; each trial prints the ones it got.
//!
//! The mirror of `tests/faults.rs`, which proves that the suite fails a server breaking the
//! contract; `sdrs-conformance variant-matrix` writes the same runs up as docs/variant-matrix.md.

use libtest_mimic::{Arguments, Failed, Trial};
use sdrs_conformance::checks::{CheckName, CheckOutcome};
use sdrs_conformance::emulator::Variant;
use sdrs_conformance::report::{CaseOutcome, RunReport};
use sdrs_conformance::runner::{self, RunConfig, TargetConfig};
use std::collections::BTreeMap;
use std::sync::Arc;

fn main() {
    let args = Arguments::from_args();
    let runtime = Arc::new(tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime"));
    let mut variants = Variant::ALL.to_vec();
    variants.sort_by_key(|v| v.name());
    let mut trials = Vec::new();
    for variant in &variants {
        let runtime = Arc::clone(&runtime);
        let names = vec![variant.name().to_owned()];
        trials.push(Trial::test(format!("variant/{variant}"), move || passes(&runtime, names)));
    }
    let all: Vec<String> = variants.iter().map(|v| v.name().to_owned()).collect();
    trials.push(Trial::test("variant/all", move || passes(&runtime, all)));
    libtest_mimic::run(&args, trials).exit();
}

fn config(variants: Vec<String>) -> RunConfig {
    let mut config = sdrs_conformance::embedded::config();
    config.jobs = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    config.target = TargetConfig::Embedded { faults: Vec::new(), variants };
    config
}

/// Per check, the cases in which it had `outcome`, with the first title seen.
fn by_check(report: &RunReport, outcome: CheckOutcome) -> BTreeMap<CheckName, (usize, String)> {
    let mut counts: BTreeMap<CheckName, (usize, String)> = BTreeMap::new();
    for case in &report.cases {
        let mut seen = Vec::new();
        for check in case.checks_with(outcome) {
            if seen.contains(&check.name) {
                continue;
            }
            seen.push(check.name);
            let entry = counts.entry(check.name).or_insert_with(|| (0, format!("{}: {}", case.id, check.title())));
            entry.0 += 1;
        }
    }
    counts
}

fn describe(counts: &BTreeMap<CheckName, (usize, String)>) -> String {
    if counts.is_empty() {
        return "none".into();
    }
    counts.iter().map(|(c, (n, sample))| format!("\n    {c} in {n} case(s), e.g. {sample}")).collect()
}

fn passes(runtime: &tokio::runtime::Runtime, variants: Vec<String>) -> Result<(), Failed> {
    let label = variants.join(", ");
    let report = runtime
        .block_on(runner::run(config(variants), |_| {}))
        .map_err(|e| format!("the run with variant(s) {label} could not run: {e}"))?;
    let warnings = by_check(&report, CheckOutcome::Warned);
    println!("variant(s) {label}: warnings: {}", describe(&warnings));
    let bad: Vec<_> = report.cases.iter().filter(|c| c.outcome.is_failure()).collect();
    if bad.is_empty() {
        return Ok(());
    }
    let count = |o: CaseOutcome| report.cases.iter().filter(|c| c.outcome == o).count();
    let mut msg = format!(
        "the suite fails a server differing from the emulator only where the reference allows it ({label}): \
         {} failed and {} error case(s) out of {}; failing checks: {}",
        count(CaseOutcome::Failed),
        count(CaseOutcome::Error),
        report.cases.len(),
        describe(&by_check(&report, CheckOutcome::Failed)),
    );
    for case in bad {
        msg.push_str(&format!("\n  {} {}", case.outcome.as_str(), case.id));
        if let Some(reason) = &case.reason {
            msg.push_str(&format!(": {}", reason.lines().next().unwrap_or("")));
        }
        for check in case.checks_with(CheckOutcome::Failed) {
            msg.push_str(&format!("\n    [{}] {}", check.name, check.title()));
        }
    }
    Err(msg.into())
}

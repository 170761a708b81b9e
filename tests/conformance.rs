//! Every conformance case as its own test against the embedded emulator (libtest-mimic), so
//! `cargo test -- <filter>` selects cases as usual and failures read like test failures.
//! Payload snapshots go through insta: `cargo insta review` manages `snapshots/`.

use libtest_mimic::{Arguments, Failed, Trial};
use sdrs_conformance::report::CaseOutcome;
use sdrs_conformance::runner::{file_stem, Runner};
use std::sync::Arc;

fn main() {
    let args = Arguments::from_args();
    let runtime = Arc::new(tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime"));
    let mut config = sdrs_conformance::embedded::config();
    config.jobs = 1;
    let runner = match runtime.block_on(Runner::new(config)) {
        Ok(r) => Arc::new(r),
        Err(e) => {
            eprintln!("cannot prepare the conformance run: {e}");
            std::process::exit(2);
        }
    };
    runtime.block_on(runner.prepare());
    let trials: Vec<Trial> = runner
        .cases()
        .iter()
        .enumerate()
        .map(|(index, case)| {
            let runner = Arc::clone(&runner);
            let runtime = Arc::clone(&runtime);
            let ignored = case.skip.is_some();
            Trial::test(case.id.clone(), move || run_one(&runtime, &runner, index))
                .with_kind(case.kind.as_str())
                .with_ignored_flag(ignored)
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    runtime.block_on(runner.finish());
    conclusion.exit();
}

fn run_one(runtime: &tokio::runtime::Runtime, runner: &Runner, index: usize) -> Result<(), Failed> {
    let case = &runner.cases()[index];
    let (report, payloads) = runtime.block_on(runner.run_case_with_payloads(case));
    match report.outcome {
        CaseOutcome::Failed | CaseOutcome::Error => {
            let mut msg = format!("{} {}", case.id, report.outcome.as_str());
            if let Some(r) = &report.reason {
                msg.push_str(&format!("\n  reason: {r}"));
            }
            for c in report.checks.iter().filter(|c| c.outcome == sdrs_conformance::checks::CheckOutcome::Failed) {
                msg.push_str(&format!("\n[{}] in step `{}`:\n{}", c.name, c.step, c.text()));
            }
            return Err(msg.into());
        }
        _ => {}
    }
    for (name, payload) in payloads {
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(runner.snapshots().dir());
        settings.set_prepend_module_to_snapshot(false);
        settings.set_input_file("tests/conformance.rs");
        settings.bind(|| insta::assert_json_snapshot!(file_stem(&name), payload));
    }
    Ok(())
}

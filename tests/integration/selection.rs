//! A command line that never misleads: a selection of no case is an error naming the filters
//! with suggestions, a closed pipe ends the output quietly, and the installed binary runs the
//! same suite from any directory (its scenarios and snapshots are built in; `--cases` and
//! `--snapshots` name others, and a missing one is an error).

use crate::common::{command, repo, run_cli, Output};
use std::io::Read;
use std::process::Stdio;
use std::time::Duration;

const BOUND: Duration = Duration::from_secs(300);

/// Runs the binary with its standard output closed before it writes anything, as `| head -0`.
fn with_stdout_closed(args: &[&str], cwd: &std::path::Path) -> (std::process::ExitStatus, String) {
    let mut cmd = command(args);
    cmd.current_dir(cwd).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    drop(child.stdout.take());
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("read stderr");
    (child.wait().expect("wait"), stderr)
}

fn json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .expect("valid JSON")
}

/// The number of cases `list` prints on its last line.
fn listed(out: &Output) -> usize {
    out.expect_code(0);
    let last = out.stdout.lines().last().unwrap_or_default();
    last.strip_suffix(" cases").and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no count line\n{out}"))
}

#[test]
fn a_run_whose_filter_selects_nothing_exits_2_naming_the_filter_and_the_closest_operation() {
    let out = run_cli(&["run", "--filter", "createProtectionGrup"], &[], BOUND);
    out.expect_code(2);
    assert!(out.stderr.contains("no case matches --filter \"createProtectionGrup\""), "{out}");
    assert!(out.stderr.contains("did you mean: --filter createProtectionGroup"), "{out}");
    assert!(!out.stdout.contains("0 passed"), "an empty run still printed a summary\n{out}");
}

#[test]
fn a_list_whose_filters_select_nothing_exits_2_naming_every_filter_and_the_closest_id() {
    let out = run_cli(&["list", "--filter", "showProtectionGroup/postive", "--filter", "qqqqqqqq"], &[], BOUND);
    out.expect_code(2);
    assert!(out.stderr.contains("--filter \"showProtectionGroup/postive\" or --filter \"qqqqqqqq\""), "{out}");
    assert!(out.stderr.contains("--filter showProtectionGroup/positive"), "{out}");
    // A filter that does select cases still exits 0.
    assert!(listed(&run_cli(&["list", "--filter", "showProtectionGroup/positive"], &[], BOUND)) >= 1);
}

#[test]
fn list_into_a_closed_pipe_exits_0_without_a_panic() {
    let (status, stderr) = with_stdout_closed(&["list"], &repo());
    assert_eq!(status.code(), Some(0), "stderr:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn run_into_a_closed_pipe_does_not_panic_and_still_writes_its_reports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.json");
    let junit = dir.path().join("report.xml");
    let args = [
        "run",
        "--filter",
        "showProtectionGroup",
        "--json",
        report.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ];
    let (status, stderr) = with_stdout_closed(&args, &repo());
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(status.code(), Some(0), "stderr:\n{stderr}");
    let report = json(&report);
    assert!(report["summary"]["passed"].as_u64().unwrap_or(0) >= 3, "{}", report["summary"]);
    assert!(std::fs::read_to_string(&junit).expect("junit").contains("<testsuites"));
}

#[test]
fn from_another_directory_the_binary_runs_the_same_scenarios_and_snapshot_comparisons() {
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let mut list = command(&["list"]);
    list.current_dir(elsewhere.path());
    let out = crate::common::Proc::spawn("list", list).finish(BOUND);
    let here = run_cli(&["list"], &[], BOUND);
    assert_eq!(listed(&out), listed(&here), "another directory lists another suite");
    assert!(out.stdout.lines().filter(|l| l.starts_with("scenario/")).count() >= 9, "{out}");

    let report = elsewhere.path().join("positive.json");
    let mut run = command(&["run", "--filter", "/positive", "--json", report.to_str().unwrap()]);
    run.current_dir(elsewhere.path());
    let out = crate::common::Proc::spawn("run", run).finish(BOUND);
    out.expect_code(0);
    let report = json(&report);
    let checks: Vec<&serde_json::Value> = report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .flat_map(|c| c["checks"].as_array().expect("checks").iter())
        .filter(|k| k["name"] == "snapshot")
        .collect();
    let passed_snapshots = checks.iter().filter(|k| k["outcome"] == "passed").count();
    assert!(passed_snapshots >= 34, "{passed_snapshots} snapshot comparisons passed of {}", checks.len());
    assert_eq!(passed_snapshots, checks.len(), "a snapshot comparison did not pass");
}

#[test]
fn a_missing_or_unreadable_directory_given_explicitly_is_an_error() {
    for args in [
        &["list", "--cases", "/nonexistent/cases"][..],
        &["run", "--cases", "/nonexistent/cases"],
        &["run", "--snapshots", "/nonexistent/snapshots"],
        &["run", "--cases", "Cargo.toml"],
        &["fault-matrix", "--cases", "/nonexistent/cases"],
    ] {
        let out = run_cli(args, &[], BOUND);
        out.expect_code(2);
        assert!(out.stderr.contains(args[2]), "the message does not name {}\n{out}", args[2]);
        assert!(!out.stderr.contains("panicked"), "{out}");
    }
}

#[test]
fn cases_names_another_scenario_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(repo().join("cases/tags.yaml"), dir.path().join("tags.yaml")).expect("copy");
    let out = run_cli(&["list", "--cases", dir.path().to_str().unwrap(), "--filter", "scenario/"], &[], BOUND);
    assert_eq!(listed(&out), 1, "{out}");
    assert!(out.stdout.starts_with("scenario/tags"), "{out}");
}

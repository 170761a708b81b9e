//! Rehearsing a nightly run on loopback: `serve --job-duration` holds jobs for wall-clock time,
//! and `run --remote` (or a profile's `remote: true`) treats it as a real region: the ledger
//! is kept in the user's state directory, setups are shared, jobs are polled as on a region.

use crate::common::{run_cli, Output, Serve, PROJECT};
use std::path::Path;
use std::time::Duration;

const TOKEN: &[(&str, &str)] = &[("HW_AUTH_TOKEN", "nightly-token-0123456789")];

/// `run` of one small group case against `serve`, with the state directory in `state`.
fn run_one(extra: &[&str], state: &Path, report: &Path) -> (Output, serde_json::Value) {
    let mut args = vec!["run", "--filter", "createProtectionGroup/positive", "--poll-interval", "20", "--json"];
    args.push(report.to_str().expect("utf-8 path"));
    args.extend_from_slice(extra);
    let state = state.to_str().expect("utf-8 path");
    let env = [TOKEN[0], ("XDG_STATE_HOME", state), ("HOME", state)];
    let out = run_cli(&args, &env, Duration::from_secs(120));
    let json = std::fs::read_to_string(report)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_else(|| panic!("no JSON report\n{out}"));
    (out, json)
}

fn passed(report: &serde_json::Value) -> u64 {
    report["summary"]["passed"].as_u64().unwrap_or(0)
}

#[test]
fn a_remote_run_against_wall_clock_jobs_on_loopback_passes_and_keeps_its_ledger() {
    let serve = Serve::start(&["--job-duration", "0.05", "--latency", "1"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let endpoint = ["--endpoint", serve.url.as_str(), "--project-id", PROJECT];

    let local = dir.path().join("local");
    let (out, report) = run_one(&endpoint, &local, &dir.path().join("local.json"));
    out.expect_code(0);
    assert_eq!(passed(&report), 1, "{out}");
    assert!(!local.join("sdrs-conformance").join("ledger.jsonl").exists(), "loopback without --remote keeps no ledger");

    let remote = dir.path().join("remote");
    let mut args = endpoint.to_vec();
    args.push("--remote");
    let (out, report) = run_one(&args, &remote, &dir.path().join("remote.json"));
    out.expect_code(0);
    assert_eq!(passed(&report), 1, "{out}");
    let ledger = std::fs::read_to_string(remote.join("sdrs-conformance").join("ledger.jsonl"))
        .unwrap_or_else(|e| panic!("--remote keeps the ledger in the state directory: {e}\n{out}"));
    assert!(ledger.contains("\"intent\""), "{ledger}");
    // Long runs against a region show each case as it ends.
    assert!(out.stderr.contains("passed createProtectionGroup/positive"), "{out}");
}

#[test]
fn a_profile_saying_remote_makes_a_loopback_endpoint_a_region() {
    let serve = Serve::start(&["--job-duration", "0.05"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let profile = dir.path().join("tunnel.yaml");
    let mut text = std::fs::read_to_string(crate::common::repo().join("profiles/emulator.yaml")).expect("profile");
    text = text.replace(
        "name: emulator\n",
        &format!("name: tunnel\nendpoint: {}\nremote: true\npoll_interval_ms: 20\n", serve.url),
    );
    std::fs::write(&profile, text).expect("write the profile");
    let state = dir.path().join("state");
    let (out, report) = run_one(&["--profile", profile.to_str().expect("utf-8")], &state, &dir.path().join("r.json"));
    out.expect_code(0);
    assert_eq!(passed(&report), 1, "{out}");
    assert!(state.join("sdrs-conformance").join("ledger.jsonl").exists(), "{out}");
}

#[test]
fn remote_without_an_endpoint_and_contradictory_pacing_are_usage_errors() {
    let out = run_cli(&["run", "--remote", "--filter", "showQuotas"], &[], Duration::from_secs(60));
    out.expect_code(2);
    assert!(out.stderr.contains("--remote needs an endpoint"), "{out}");
    let out = run_cli(&["serve", "--job-duration", "1", "--time-scale", "0.1"], &[], Duration::from_secs(60));
    out.expect_code(2);
    let out = run_cli(&["serve", "--time-scale=-1"], &[], Duration::from_secs(60));
    out.expect_code(2);
    assert!(out.stderr.contains("--time-scale"), "{out}");
    let dir = tempfile::tempdir().expect("temp dir");
    let table = dir.path().join("durations.yaml");
    std::fs::write(&table, "default: {seconds: 60, source: x}\njob_types:\n  a: {seconds: 0, source: y}\n")
        .expect("write");
    let out = run_cli(
        &["serve", "--time-scale", "0.1", "--job-durations", table.to_str().expect("utf-8")],
        &[],
        Duration::from_secs(60),
    );
    out.expect_code(2);
    assert!(out.stderr.contains("durations.yaml:3:"), "{out}");
}

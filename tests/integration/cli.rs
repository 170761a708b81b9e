//! The command line's contract: `list`, `check-spec`, argument errors and exit statuses, and
//! what `--mode readonly` really sends.

use crate::common::{command, run_cli, Proc, PROJECT};
use sdrs_conformance::spec::Specs;
use serde_json::json;
use std::time::Duration;
use wiremock::{Mock, MockServer, ResponseTemplate};

const QUICK: Duration = Duration::from_secs(120);

/// The case lines of `list` (every line but the final count).
fn case_lines(stdout: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    lines.pop();
    lines
}

#[test]
fn list_prints_at_least_400_cases_and_a_final_count_that_matches_them() {
    let out = run_cli(&["list"], &[], QUICK);
    out.expect_code(0);
    let last = out.stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default();
    let n: usize = last
        .strip_suffix(" cases")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the last line is not `N cases`: {last:?}"));
    assert!(n >= 400, "only {n} cases");
    assert_eq!(case_lines(&out.stdout).len(), n, "the count does not match the lines listed");
}

#[test]
fn list_in_readonly_mode_marks_every_case_of_a_non_get_operation_skipped() {
    let out = run_cli(&["list", "--mode", "readonly"], &[], QUICK);
    out.expect_code(0);
    let specs = Specs::embedded();
    let (mut writes, mut reads_kept) = (0, 0);
    for line in case_lines(&out.stdout) {
        let id = line.split_whitespace().next().unwrap_or_default();
        let Some(op) = id.split('/').next().and_then(|o| specs.operation(o)) else { continue };
        if op.method != "GET" {
            writes += 1;
            assert!(line.contains("(skipped: "), "a {} case is not skipped: {line}", op.method);
        } else if !line.contains("skipped") {
            reads_kept += 1;
        }
    }
    assert!(writes > 100, "only {writes} write cases listed");
    let readonly_reason =
        out.stdout.lines().filter(|l| l.contains("(skipped: readonly mode sends only GET requests)")).count();
    assert!(
        readonly_reason * 10 >= writes * 9,
        "only {readonly_reason} of {writes} write cases give the readonly reason"
    );
    assert!(reads_kept > 20, "only {reads_kept} GET cases kept");
    // Reads of the shared fixture stay: in readonly mode the fixture is found among existing resources.
    assert!(
        out.stdout.lines().any(|l| l.starts_with("showProtectionGroup/positive") && !l.contains("skipped")),
        "{}",
        out.stdout
    );
}

/// A stand-in endpoint that answers everything 200 `{}` and records what it was sent.
async fn recording_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_in_readonly_mode_sends_only_get_requests() {
    let server = recording_server().await;
    let cmd = command(&[
        "run",
        "--endpoint",
        &server.uri(),
        "--project-id",
        PROJECT,
        "--token",
        "readonly-token-123",
        "--mode",
        "readonly",
        "--timeout",
        "5",
        "--job-timeout",
        "5",
        "--deadline",
        "120",
    ]);
    let proc = Proc::spawn("run --mode readonly", cmd);
    let out = tokio::task::spawn_blocking(move || proc.finish(Duration::from_secs(240))).await.expect("join");
    assert!(matches!(out.status.code(), Some(0) | Some(1)), "{out}");
    let requests = server.received_requests().await.expect("recording is on");
    assert!(!requests.is_empty(), "nothing was sent\n{out}");
    let mut not_get: Vec<String> = requests
        .iter()
        .filter(|r| r.method.as_str() != "GET")
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect();
    not_get.sort();
    not_get.dedup();
    assert!(not_get.is_empty(), "readonly mode sent {} other request(s):\n{}", not_get.len(), not_get.join("\n"));
}

#[test]
fn run_with_a_filter_that_matches_nothing_exits_2_naming_the_filter_instead_of_an_empty_success() {
    let out = run_cli(&["run", "--filter", "nothing-matches-this"], &[], QUICK);
    out.expect_code(2);
    assert!(out.stderr.contains("no case matches --filter \"nothing-matches-this\""), "{out}");
    assert!(!out.stdout.contains("0 passed"), "{out}");
}

#[test]
fn run_with_an_access_key_and_no_secret_key_exits_2_saying_they_go_together() {
    for args in [
        vec!["run", "--ak", "AKONLY1234567890"],
        vec!["run", "--ak", "AKONLY1234567890", "--endpoint", "http://127.0.0.1:1", "--project-id", "p"],
    ] {
        let out = run_cli(&args, &[], QUICK);
        out.expect_code(2);
        assert!(out.stderr.contains("--ak and --sk go together"), "{args:?}\n{out}");
        assert!(!out.stdout.contains(" passed, "), "cases ran: {args:?}\n{out}");
        assert!(!out.all().contains("AKONLY1234567890"), "the access key was printed\n{out}");
    }
}

#[test]
fn run_with_an_endpoint_and_no_credentials_exits_2_saying_what_to_give() {
    let out = run_cli(&["run", "--endpoint", "http://127.0.0.1:1", "--project-id", "p"], &[], QUICK);
    out.expect_code(2);
    assert!(out.stderr.contains("no credentials"), "{out}");
}

#[test]
fn check_spec_on_the_real_specs_exits_0_and_counts_48_seed_operations_and_49_in_all() {
    let out = run_cli(&["check-spec"], &[], QUICK);
    out.expect_code(0);
    assert!(out.stdout.contains("48 operations"), "{out}");
    assert!(
        out.stdout.contains("sdrs-v1-extensions.openapi.yaml: 1 operation(s) documented outside the seeds"),
        "{out}"
    );
    assert!(out.stdout.contains("SDRS operations in all: 49"), "{out}");
    assert!(
        out.stdout.contains(
            "resource kinds: 4 in teardown order (dr_drill, protected_instance, replication_pair, server_group)"
        ),
        "{out}"
    );
    assert!(out.stdout.contains("specs are valid"), "{out}");
}

#[test]
fn run_with_an_unknown_profile_exits_2_naming_it() {
    let out = run_cli(&["run", "--profile", "does-not-exist"], &[("HW_AUTH_TOKEN", "profile-token-123")], QUICK);
    out.expect_code(2);
    assert!(out.stderr.contains("does-not-exist"), "{out}");
    assert!(!out.stdout.contains(" passed, "), "{out}");
}

#[test]
fn run_with_a_broken_scenario_file_exits_2_naming_its_file_and_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("broken.yaml");
    std::fs::write(&file, "steps:\n  - request:\n      operation: listProtectionGroups\n      retries: 3\n")
        .expect("scenario");
    let out = run_cli(&["run", "--cases", dir.path().to_str().expect("utf-8 path")], &[], QUICK);
    out.expect_code(2);
    let located = format!("{}:4:", file.display());
    assert!(out.stderr.contains(&located), "no `{located}` in the message\n{out}");
    assert!(out.stderr.contains("retries"), "{out}");
    assert!(!out.stdout.contains(" passed, "), "{out}");
}

#[test]
fn run_with_a_malformed_profile_exits_2_naming_its_file_and_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("staging.yaml");
    std::fs::write(&file, "name: staging\nprerequisites:\n  servers: [{id: a, status: ACTIVE\n").expect("profile");
    let out = run_cli(
        &["run", "--profile", file.to_str().expect("utf-8 path"), "--endpoint", "http://127.0.0.1:9"],
        &[("HW_AUTH_TOKEN", "profile-token-123")],
        QUICK,
    );
    out.expect_code(2);
    assert!(out.stderr.contains(&format!("{}:", file.display())), "the message does not name the file\n{out}");
    assert!(!out.stdout.contains(" passed, "), "{out}");
}

#[test]
fn list_checks_prints_every_registered_check_in_report_order_with_what_it_proves() {
    let out = run_cli(&["list", "--checks"], &[], QUICK);
    out.expect_code(0);
    let registry = &sdrs_conformance::checks::registry::REGISTRY;
    let lines: Vec<&str> = out.stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), registry.len() + 1, "{out}");
    for (line, entry) in lines.iter().zip(registry.iter()) {
        assert_eq!(line.split_whitespace().next(), Some(entry.name.as_str()), "{out}");
        assert!(line.ends_with(entry.description), "{line}");
    }
    assert_eq!(lines.last().copied(), Some(format!("{} checks", registry.len()).as_str()));
}

#[test]
fn run_with_an_unknown_check_exits_2_suggesting_the_closest_name() {
    let out = run_cli(&["run", "--checks", "status_code,job_protocl"], &[], QUICK);
    out.expect_code(2);
    assert!(out.stderr.contains("no check named \"job_protocl\" (did you mean job_protocol?)"), "{out}");
}

#[test]
fn run_with_checks_keeps_only_those_verdicts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let json = dir.path().join("r.json");
    let args =
        ["run", "--filter", "showQuotas/positive", "--checks", "status_code", "--json", json.to_str().expect("utf-8")];
    let out = run_cli(&args, &[], QUICK);
    out.expect_code(0);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("report")).expect("json");
    let names: Vec<&str> = report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .flat_map(|c| c["checks"].as_array().into_iter().flatten())
        .filter_map(|k| k["name"].as_str())
        .collect();
    assert!(!names.is_empty() && names.iter().all(|n| *n == "status_code"), "{names:?}\n{out}");
}

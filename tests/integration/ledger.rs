//! A run killed mid-way leaves a ledger from which `cleanup` removes everything the run created
//! and nothing else: a protection group the user made by hand survives.

use crate::common::{command, plain, run_cli, Api, Proc, Serve, PROJECT};
use std::path::Path;
use std::time::Duration;

const TOKEN: &str = "ledger-token-1234567";
const USER_GROUP: &str = "user-owned-group";

/// Creates the user's own protection group directly (not through the harness) and waits for it.
fn create_user_group(api: &Api) {
    create_group(api, USER_GROUP, "cd225edc-6047-403a-8761-e1e1fa652793");
    assert!(api.names("server-groups", "server_groups").iter().any(|n| n == USER_GROUP));
}

/// Creates a protection group named `name` in the VPC `vpc` directly, waits for it; its id.
fn create_group(api: &Api, name: &str, vpc: &str) -> String {
    let body = serde_json::json!({"server_group": {
        "name": name,
        "source_availability_zone": "az1.dc1",
        "target_availability_zone": "az2.dc2",
        "domain_id": "69b15b4d-9fcf-4d6f-828f-400785be3555",
        "source_vpc_id": vpc
    }});
    let (status, answer) = api.call("POST", &format!("/v1/{PROJECT}/server-groups"), Some(body));
    assert_eq!(status, 200, "{answer}");
    let job = answer["job_id"].as_str().unwrap_or_else(|| panic!("no job_id in {answer}"));
    assert_eq!(api.wait_job(job), "SUCCESS");
    let listed = api.call("GET", &format!("/v1/{PROJECT}/server-groups?name={name}"), None).1;
    listed["server_groups"][0]["id"].as_str().unwrap_or_else(|| panic!("{name} is not listed: {listed}")).to_owned()
}

fn is_case_line(line: &str) -> bool {
    ["PASSED ", "FAILED ", "FAIL ", "ERROR ", "WARNED ", "SKIPPED ", "EXPECTED-FAIL "]
        .iter()
        .any(|p| line.starts_with(p))
}

/// Starts `run` with a ledger, kills it (SIGKILL) after `lines` case lines, returns what it printed.
fn run_and_kill(url: &str, ledger: &Path, filter: &str, lines: usize) -> String {
    let cmd = run_with_ledger(url, ledger, &["--verbose", "--jobs", "1", "--filter", filter]);
    let mut run = Proc::spawn("run (to be killed)", cmd);
    wait_for_case_lines(&mut run, lines);
    run.kill();
    run.transcript()
}

/// `run --endpoint URL --ledger PATH` with `extra` arguments and the test token.
fn run_with_ledger(url: &str, ledger: &Path, extra: &[&str]) -> std::process::Command {
    let mut args = vec!["run", "--endpoint", url, "--project-id", PROJECT, "--ledger"];
    args.push(ledger.to_str().expect("utf-8 path"));
    args.extend_from_slice(extra);
    let mut cmd = command(&args);
    cmd.env("HW_AUTH_TOKEN", TOKEN);
    cmd
}

/// Waits until the run has printed `lines` case lines.
fn wait_for_case_lines(run: &mut Proc, lines: usize) {
    for n in 1..=lines {
        run.wait_for_line(Duration::from_secs(120), &format!("case line {n}"), is_case_line);
    }
}

/// Every ledger line, parsed.
fn ledger_entries(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("no ledger at {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad ledger line {l}: {e}")))
        .collect()
}

/// The resources named with the harness prefix that are still there, by collection.
fn harness_leftovers(api: &Api) -> Vec<String> {
    let mut left = Vec::new();
    for (collection, key) in [
        ("server-groups", "server_groups"),
        ("protected-instances", "protected_instances"),
        ("replications", "replications"),
        ("disaster-recovery-drills", "disaster_recovery_drills"),
    ] {
        let (status, body) = api.call("GET", &format!("/v1/{PROJECT}/{collection}?limit=1000"), None);
        assert_eq!(status, 200, "{collection}: {body}");
        for item in body[key].as_array().into_iter().flatten() {
            let name = item["name"].as_str().unwrap_or_default();
            if name.starts_with("sct-") {
                left.push(format!(
                    "{collection}: {name} ({}, {})",
                    item["id"].as_str().unwrap_or("?"),
                    item["status"].as_str().unwrap_or("?")
                ));
            }
        }
    }
    left
}

/// Runs `cleanup` on `ledger`, then checks that no harness resource is left and that the user's
/// group survived; a second cleanup finds nothing more to do.
fn cleanup_removes_everything_but_the_users_group(serve: &Serve, api: &Api, ledger: &Path) {
    let ledger = ledger.to_str().expect("utf-8 path");
    let out = run_cli(
        &["cleanup", "--endpoint", &serve.url, "--ledger", ledger],
        &[("HW_AUTH_TOKEN", TOKEN)],
        Duration::from_secs(300),
    );
    let left = harness_leftovers(api);
    assert!(left.is_empty(), "cleanup left {} harness resource(s):\n{}\n{out}", left.len(), left.join("\n"));
    out.expect_code(0);
    let groups = api.names("server-groups", "server_groups");
    assert!(
        groups.iter().any(|n| n == USER_GROUP),
        "cleanup deleted the user's own group; groups left: {groups:?}\n{out}"
    );

    let again = run_cli(
        &["cleanup", "--endpoint", &serve.url, "--ledger", ledger],
        &[("HW_AUTH_TOKEN", TOKEN)],
        Duration::from_secs(300),
    );
    again.expect_code(0);
    assert!(api.names("server-groups", "server_groups").iter().any(|n| n == USER_GROUP));
}

#[test]
fn a_precondition_run_killed_after_5_cases_is_cleaned_up_from_its_ledger_and_the_users_group_survives() {
    let serve = Serve::start(&[]);
    let api = Api::new(&serve.url, TOKEN);
    create_user_group(&api);
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = dir.path().join("ledger.jsonl");

    let transcript = run_and_kill(&serve.url, &ledger, "precondition", 5);

    let entries = ledger_entries(&ledger);
    let created = entries.iter().filter(|e| e["event"] == "created").count();
    assert!(created > 0, "the ledger records no created resource\n{transcript}");
    assert!(entries.iter().all(|e| e["endpoint"] == serve.url.as_str()), "a ledger entry names another endpoint");
    cleanup_removes_everything_but_the_users_group(&serve, &api, &ledger);
}

#[test]
fn a_run_killed_while_its_creation_job_runs_is_cleaned_up_once_the_job_ends() {
    // Jobs end after 20 ms of the emulator clock, which moves 1 ms per request: the group is
    // still `creating` when the run is killed right after the create request was answered.
    let serve = Serve::start(&["--job-delay-ms", "20"]);
    let api = Api::new(&serve.url, TOKEN);
    create_user_group(&api);
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = dir.path().join("ledger.jsonl");
    let mut cmd = run_with_ledger(&serve.url, &ledger, &["--jobs", "1", "--filter", "createProtectionGroup/positive"]);
    cmd.env("RUST_LOG", "sdrs_conformance::client=debug");
    let mut run = Proc::spawn("run (to be killed mid-job)", cmd);
    run.wait_for_stderr_line(Duration::from_secs(120), "the answer to createProtectionGroup", |l| {
        let l = plain(l);
        l.contains(" response ") && l.contains("operation=createProtectionGroup") && l.contains("status=200")
    });
    run.kill();

    let entries = ledger_entries(&ledger);
    assert!(
        entries.iter().any(|e| e["event"] == "intent" && e["operation"] == "createProtectionGroup"),
        "no intent recorded\n{}",
        run.transcript()
    );
    let creating: Vec<String> = harness_leftovers(&api);
    assert!(creating.iter().any(|l| l.contains("creating")), "the kill did not land mid-job: {creating:?}");
    cleanup_removes_everything_but_the_users_group(&serve, &api, &ledger);
}

/// Sends SIGINT (what Ctrl-C sends) to a child.
fn interrupt(proc: &Proc) {
    let status = std::process::Command::new("kill").args(["-INT", &proc.id().to_string()]).status().expect("kill");
    assert!(status.success(), "kill -INT failed");
}

#[test]
fn ctrl_c_stops_the_run_which_deletes_what_it_created_and_exits_2() {
    // Jobs that take 50 requests of the emulator clock keep the run going for a minute, so the
    // interruption lands while most cases have yet to start.
    let serve = Serve::start(&["--job-delay-ms", "50"]);
    let api = Api::new(&serve.url, TOKEN);
    create_user_group(&api);
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = dir.path().join("ledger.jsonl");
    let report = dir.path().join("report.json");
    let report_arg = report.to_str().expect("utf-8 path");
    let extra = ["--json", report_arg, "--verbose", "--jobs", "2", "--filter", "precondition"];
    let cmd = run_with_ledger(&serve.url, &ledger, &extra);
    let mut run = Proc::spawn("run (to be interrupted)", cmd);
    wait_for_case_lines(&mut run, 5);
    interrupt(&run);
    let out = run.finish(Duration::from_secs(120));
    out.expect_code(2);
    assert!(out.stderr.contains("interrupted"), "{out}");
    let left = harness_leftovers(&api);
    assert!(left.is_empty(), "the interrupted run left {} resource(s):\n{}\n{out}", left.len(), left.join("\n"));
    assert!(api.names("server-groups", "server_groups").iter().any(|n| n == USER_GROUP), "{out}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("a report after Ctrl-C")).expect("json");
    let not_run = report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c["reason"].as_str().is_some_and(|r| r.contains("interrupted")))
        .count();
    assert!(not_run > 100, "{not_run} cases say the run was interrupted\n{out}");
}

#[test]
fn cleanup_retries_a_delete_whose_job_failed_so_a_group_left_in_error_deleting_goes_too() {
    // A run interrupted before its case sent the delete that was meant to fail leaves a group whose
    // VPC fails its first delete job; SDRS allows deleting again from `error-deleting`.
    let serve = Serve::start(&[]);
    let api = Api::new(&serve.url, TOKEN);
    // The world's VPC that fails deleteProtectionGroupNoCG.
    let id = create_group(&api, "sct-interrupted-g1", "e5bd1595-19dc-4008-85ef-16b05a9f0694");

    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = dir.path().join("ledger.jsonl");
    let entry = serde_json::json!({"at_ms": 1, "run": "r1", "event": "created", "case": "c", "kind": "server_group",
        "id": id, "endpoint": serve.url, "project_id": PROJECT});
    std::fs::write(&ledger, format!("{entry}\n")).expect("write the ledger");
    let out = run_cli(
        &["cleanup", "--endpoint", &serve.url, "--ledger", ledger.to_str().expect("utf-8 path")],
        &[("HW_AUTH_TOKEN", TOKEN)],
        Duration::from_secs(120),
    );
    let left = harness_leftovers(&api);
    assert!(left.is_empty(), "cleanup left {left:?}\n{out}");
    out.expect_code(0);
}

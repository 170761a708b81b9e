//! Resource sharing for real regions: cases whose request must be refused share setups and the
//! shared fixture, a run with few prerequisites neither waits forever nor builds unbounded
//! resources, and transitional states that end by themselves skip their cases honestly.

use crate::common::{failure_lines, run_cli, totals, Output, Serve, PROJECT};
use std::time::Duration;

/// Protection groups a run reports it created (from its JSON report).
fn groups_created(report: &serde_json::Value) -> u64 {
    report["created_resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e[0] == "server_group")
        .map(|e| e[1].as_u64().unwrap_or(0))
        .sum()
}

/// `run --endpoint` against `serve` with `extra` arguments; its output and JSON report.
fn run_against(serve: &Serve, extra: &[&str], report: &std::path::Path) -> (Output, serde_json::Value) {
    let mut args = vec!["run", "--endpoint", &serve.url, "--project-id", PROJECT, "--json"];
    args.push(report.to_str().expect("utf-8 path"));
    args.extend_from_slice(extra);
    let out = run_cli(&args, &[("HW_AUTH_TOKEN", "e2e-token-0123456789")], Duration::from_secs(600));
    let json = std::fs::read_to_string(report)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_else(|| panic!("no JSON report\n{out}"));
    (out, json)
}

#[test]
fn shared_fixtures_and_setups_pass_and_create_far_fewer_resources() {
    let serve = Serve::start(&[]);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut groups = Vec::new();
    for (extra, file) in [(&[][..], "own.json"), (&["--share-fixtures"][..], "shared.json")] {
        let path = dir.path().join(file);
        let (out, report) = run_against(&serve, extra, &path);
        let t = totals(&out);
        assert_eq!(t.failed, 0, "{} case(s) failed:\n{}\n{out}", t.failed, failure_lines(&out).join("\n"));
        out.expect_code(0);
        let preconditions: Vec<&serde_json::Value> =
            report["cases"].as_array().expect("cases").iter().filter(|c| c["kind"] == "precondition").collect();
        assert!(preconditions.len() > 200, "{} precondition cases", preconditions.len());
        let not_passed: Vec<&str> =
            preconditions.iter().filter(|c| c["outcome"] != "passed").filter_map(|c| c["id"].as_str()).collect();
        assert!(not_passed.is_empty(), "precondition cases not passed with {extra:?}: {not_passed:?}");
        assert!(out.stdout.contains("resources created: "), "the console does not count created resources\n{out}");
        groups.push(groups_created(&report));
    }
    drop(serve);
    assert!(groups[1] * 4 < groups[0], "groups created: own setups {}, shared {}", groups[0], groups[1]);
}

#[test]
fn transitional_states_that_end_before_the_action_skip_their_cases_saying_so() {
    // With jobs that end one emulator millisecond after they begin, every state a running job
    // holds is gone before the refused action can be sent: exactly what a fast real region does.
    let serve = Serve::start(&["--job-delay-ms", "1"]);
    let dir = tempfile::tempdir().expect("temp dir");
    for (extra, file) in [(&[][..], "own.json"), (&["--share-fixtures"][..], "shared.json")] {
        let mut args = vec!["--filter", "precondition"];
        args.extend_from_slice(extra);
        let (out, report) = run_against(&serve, &args, &dir.path().join(file));
        out.expect_code(0);
        let cases = report["cases"].as_array().expect("cases");
        let skipped: Vec<&serde_json::Value> = cases.iter().filter(|c| c["outcome"] == "skipped").collect();
        assert!(skipped.len() > 100, "{} skipped with {extra:?}\n{out}", skipped.len());
        for c in &skipped {
            let reason = c["reason"].as_str().unwrap_or("");
            assert!(reason.contains("by itself before the request could be sent"), "{}: {reason}", c["id"]);
        }
        let settled = cases.iter().find(|c| c["id"] == "stopProtectionGroup/precondition/failed-over");
        assert_eq!(settled.map(|c| &c["outcome"]), Some(&serde_json::json!("passed")), "{extra:?}");
    }
}

#[test]
fn an_action_wrongly_accepted_on_a_shared_setup_gets_the_next_case_a_fresh_one() {
    // Failover, reverse and stop tried from `available` share one group. Under the fault, the
    // failover is accepted and the group fails over: reverse and stop must get a fresh group.
    let dir = tempfile::tempdir().expect("temp dir");
    for (fault, groups) in [(None, 1), (Some("action-from-forbidden-state"), 2)] {
        let serve = Serve::start(&fault.map(|f| vec!["--fault", f]).unwrap_or_default());
        let path = dir.path().join("r.json");
        let (out, report) = run_against(&serve, &["--filter", "precondition/available", "--share-fixtures"], &path);
        let outcome = |id: &str| {
            report["cases"].as_array().expect("cases").iter().find(|c| c["id"] == id).map(|c| c["outcome"].clone())
        };
        let failover = if fault.is_some() { "failed" } else { "passed" };
        let id = "failoverProtectionGroup/precondition/available";
        assert_eq!(outcome(id), Some(serde_json::json!(failover)), "{fault:?}\n{out}");
        for id in ["reverseProtectionGroup/precondition/available", "stopProtectionGroup/precondition/available"] {
            assert_eq!(outcome(id), Some(serde_json::json!("passed")), "{id} {fault:?}\n{out}");
        }
        assert_eq!(groups_created(&report), groups, "groups created under {fault:?}\n{out}");
    }
}

/// A staging-like profile over the emulator's world: four servers (one with a spare NIC), four
/// volumes, one drill VPC, two flavors, and no objects that make jobs fail.
const SMALL_PROFILE: &str = r#"name: small-staging
project_id: 0605767a3b8a4e4a9f1d2c3b4a5e6f70
prerequisites:
  availability_zones:
    source: az1.dc1
    target: az2.dc2
  domain_id: 69b15b4d-9fcf-4d6f-828f-400785be3555
  vpc:
    id: cd225edc-6047-403a-8761-e1e1fa652793
    subnets: [abc8ac2b-55f0-404e-88f2-250e99cfb5c7, 97745a0d-80d4-4577-88ea-d9d8937f7d8f]
  drill_vpcs:
    - dd80f607-f7af-42df-88f5-7be068262feb
  flavors: [s3.large.2, s3.xlarge.2]
  servers:
    - {id: 0cf777c1-48f7-4575-80a0-b4934c4efa25, status: ACTIVE, flavor: s3.large.2}
    - {id: 6c1717f7-ca1a-4629-8a9c-fe787326a872, status: SHUTOFF, flavor: s3.large.2}
    - {id: fbf26bff-9e7a-4af3-86c1-ab49ed384c9b, status: ACTIVE, flavor: s3.large.2}
    - {id: c9a388ca-526c-410e-88d9-15435f353b50, status: SHUTOFF, flavor: s3.large.2, spare_nic: c94dc31b-f706-4f45-8278-612b1b5f0819}
  volumes:
    - {id: a1024538-1db9-4c69-8545-9d2dd95575a2, size: 20}
    - {id: 0e9065f6-48e9-4dd0-83e1-65333a89db14, size: 30}
    - {id: aad2f90b-fdd4-4776-8aa6-f44a0e2bdb58, size: 40}
    - {id: ba67c93b-04e1-4444-899e-696a6d3b6084, size: 50}
  invalid:
    server_other_vpc: 9fc8b7d4-343c-4dab-822d-9ef3deb941ea
    server_other_az: 0e8b499d-0d03-41ce-8537-5ebefc69f604
    volume_encrypted: 28f04511-f1b1-4a20-871d-46d30d6fad34
    volume_other_az: 4dd2992d-5803-48d8-8b12-5b0642a84366
    volume_in_use: 9fe4cf06-f470-4234-8984-07b53421aa41
"#;

#[test]
fn a_small_profile_runs_the_whole_suite_on_few_resources_without_waiting_forever() {
    let serve = Serve::start(&[]);
    let dir = tempfile::tempdir().expect("temp dir");
    let profile = dir.path().join("small.yaml");
    std::fs::write(&profile, SMALL_PROFILE).expect("profile");
    let path = dir.path().join("r.json");
    let args = ["--profile", profile.to_str().expect("utf-8 path"), "--share-fixtures"];
    let (out, report) = run_against(&serve, &args, &path);
    drop(serve);
    let t = totals(&out);
    assert_eq!(t.failed, 0, "{} case(s) failed:\n{}\n{out}", t.failed, failure_lines(&out).join("\n"));
    out.expect_code(0);
    assert!(t.passed > 500, "only {} passed\n{out}", t.passed);
    let reasons: Vec<&str> = report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c["outcome"] == "skipped")
        .filter_map(|c| c["reason"].as_str())
        .collect();
    // The drill VPC is the fixture's for the whole run, and the one spare NIC is used once: cases
    // that need them again are skipped, saying so, instead of waiting for them forever.
    assert!(reasons.iter().any(|r| r.contains("the shared fixture holds")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("used the others up")), "{reasons:?}");
    // Cases that only need the spare NIC to be refused run before the ones that delete it.
    let nic_refusals: Vec<&serde_json::Value> = report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c["id"].as_str().is_some_and(|id| id.starts_with("deleteProtectedInstanceNic/n")))
        .collect();
    assert!(nic_refusals.len() >= 4, "{nic_refusals:?}");
    assert!(nic_refusals.iter().all(|c| c["outcome"] == "passed"), "{nic_refusals:?}");
    let groups = groups_created(&report);
    assert!(groups <= 80, "{groups} protection groups created for {} passed cases", t.passed);
}

#[test]
fn a_setup_whose_answers_break_the_contract_is_reported_once_and_still_shared() {
    // Finished jobs end before they begin: the setup's own jobs fail `job_protocol`. That is
    // reported with the first case of the unit; the refusals that follow leave the setup intact,
    // so the unit still builds one group.
    let serve = Serve::start(&["--fault", "job-end-before-begin"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("r.json");
    let args =
        ["--filter", "precondition/failed-over", "--filter", "precondition/group-failed-over", "--share-fixtures"];
    let (out, report) = run_against(&serve, &args, &path);
    let cases = report["cases"].as_array().expect("cases");
    let failed: Vec<&str> =
        cases.iter().filter(|c| c["outcome"] == "failed").filter_map(|c| c["id"].as_str()).collect();
    assert_eq!(failed.len(), 1, "{failed:?}\n{out}");
    assert!(cases.len() > 8, "{} cases\n{out}", cases.len());
    assert_eq!(groups_created(&report), 1, "{out}");
}

#[test]
fn a_shared_setup_that_cannot_be_built_is_tried_once_for_its_whole_unit() {
    // Jobs never end: the setup's first creation hits the 1 s job deadline. Every case of the
    // unit is an error saying so, and the unit does not try again for each of them.
    let serve = Serve::start(&["--fault", "job-never-ends"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let ledger = dir.path().join("ledger.jsonl");
    let args = [
        "--filter",
        "precondition/failed-over",
        "--filter",
        "precondition/group-failed-over",
        "--share-fixtures",
        "--job-timeout",
        "1",
        "--ledger",
        ledger.to_str().expect("utf-8 path"),
    ];
    let (out, report) = run_against(&serve, &args, &dir.path().join("r.json"));
    // Every case is an error, none a failure: the run could not judge, so it exits 2.
    out.expect_code(2);
    let cases = report["cases"].as_array().expect("cases");
    assert!(cases.len() > 8, "{out}");
    for c in cases {
        assert_eq!(c["outcome"], "error", "{c}");
        assert!(c["reason"].as_str().is_some_and(|r| r.starts_with("the shared setup failed: ")), "{c}");
    }
    let text = std::fs::read_to_string(&ledger).expect("ledger");
    let intents = text.lines().filter(|l| l.contains("\"intent\"")).count();
    assert_eq!(intents, 1, "creations attempted:\n{text}");
}

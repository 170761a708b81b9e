//! End to end through `--endpoint`: the whole suite against `serve` started with a key pair,
//! requests signed with AK/SK; and the same with a wrong SK, which must fail clearly and quickly.

use crate::common::{failure_lines, run_cli, totals, Output, Serve, PROJECT};
use std::time::Duration;

const AK: &str = "AKE2E00112233445566";
const SK: &str = "SKE2E99887766554433ZZ";

/// `run --endpoint` against `serve --ak AK --sk SK`, signing with `sk`, writing the JSON report.
fn suite(sk: &str, filters: &[&str], within: Duration) -> (Output, serde_json::Value) {
    let serve = Serve::start(&["--ak", AK, "--sk", SK]);
    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("report.json");
    let json_arg = json.to_str().expect("utf-8 path").to_owned();
    let mut args = vec!["run", "--endpoint", &serve.url, "--project-id", PROJECT, "--json", &json_arg];
    for f in filters {
        args.push("--filter");
        args.push(f);
    }
    let out = run_cli(&args, &[("HW_ACCESS_KEY", AK), ("HW_SECRET_KEY", sk)], within);
    let report = std::fs::read_to_string(&json)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_else(|| panic!("no JSON report\n{out}"));
    drop(serve);
    (out, report)
}

#[test]
fn the_whole_suite_through_endpoint_with_aksk_signing_against_serve_passes() {
    let (out, report) = suite(SK, &[], Duration::from_secs(600));
    assert_eq!(report["target"]["auth"], "aksk");
    let t = totals(&out);
    assert_eq!(t.failed, 0, "{} case(s) failed:\n{}\n{out}", t.failed, failure_lines(&out).join("\n"));
    assert!(t.passed >= 400, "only {} cases passed\n{out}", t.passed);
    out.expect_code(0);
}

#[test]
fn the_whole_suite_through_endpoint_with_a_token_against_serves_default_configuration_passes() {
    // The issue: `run --endpoint URL --project-id P --token T` against `serve` runs the full suite,
    // exactly as the embedded run does.
    let serve = Serve::start(&[]);
    let out = run_cli(
        &["run", "--endpoint", &serve.url, "--project-id", PROJECT],
        &[("HW_AUTH_TOKEN", "e2e-token-0123456789")],
        Duration::from_secs(600),
    );
    drop(serve);
    let t = totals(&out);
    assert_eq!(t.failed, 0, "{} case(s) failed:\n{}\n{out}", t.failed, failure_lines(&out).join("\n"));
    assert!(t.passed >= 400, "only {} cases passed\n{out}", t.passed);
    out.expect_code(0);
}

#[test]
fn the_whole_suite_with_a_wrong_secret_key_exits_2_quickly_showing_401_apigw_0301_failures() {
    let (out, report) = suite("SKWRONG000000000000", &[], Duration::from_secs(300));
    // The shared fixture cannot be built either: the cases that read it are errors (not judged),
    // and a run with errors exits 2 even though most cases failed.
    out.expect_code(2);
    assert!(out.stdout.lines().any(|l| l.contains(" errored (")), "no errored count on the summary line\n{out}");
    assert!(out.elapsed < Duration::from_secs(120), "took {:?}", out.elapsed);
    let t = totals(&out);
    assert!(t.failed > 300, "only {} failures\n{out}", t.failed);
    let lines = failure_lines(&out);
    let with_401 = lines.iter().filter(|l| l.contains("401")).count();
    assert!(with_401 > 300, "only {with_401} of {} failure lines name the 401\n{out}", lines.len());
    // Each failure shows its exchange (`< 401 {...}`), so the refusals' code is on the console.
    let with_code = out.stdout.lines().filter(|l| l.contains("401") && l.contains("APIGW.0301")).count();
    assert!(with_code > 300, "only {with_code} console lines name 401 with APIGW.0301\n{out}");
    // The auth cases themselves still pass: a wrong signature is refused, as they expect.
    let auth_passed = report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c["kind"] == "auth" && c["outcome"] == "passed")
        .count();
    assert!(auth_passed > 40, "only {auth_passed} auth cases passed");
}

#[test]
fn every_failure_line_of_a_wrong_secret_key_run_names_the_401() {
    let (out, _) = suite("SKWRONG000000000000", &[], Duration::from_secs(300));
    let unclear: Vec<&str> = failure_lines(&out).into_iter().filter(|l| !l.contains("401")).collect();
    assert!(
        unclear.is_empty(),
        "{} failure line(s) hide the 401 behind another reason:\n{}",
        unclear.len(),
        unclear.join("\n")
    );
}

#[test]
fn a_case_whose_check_failed_is_never_reported_passed() {
    // With a wrong SK, negative cases are refused with 401 instead of 400: negative_rejection fails.
    let (out, report) = suite("SKWRONG000000000000", &["createProtectionGroup/negative"], Duration::from_secs(300));
    let mut wrong = Vec::new();
    for case in report["cases"].as_array().expect("cases") {
        let failed: Vec<&str> = case["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|k| k["outcome"] == "failed")
            .filter_map(|k| k["name"].as_str())
            .collect();
        if !failed.is_empty() && !matches!(case["outcome"].as_str(), Some("failed") | Some("error")) {
            wrong.push(format!(
                "{} is `{}` with failed check(s) {}",
                case["id"].as_str().unwrap_or("?"),
                case["outcome"].as_str().unwrap_or("?"),
                failed.join(", ")
            ));
        }
    }
    assert!(wrong.is_empty(), "{} case(s) hide failed checks:\n{}\n{out}", wrong.len(), wrong.join("\n"));
    out.expect_code(1);
}

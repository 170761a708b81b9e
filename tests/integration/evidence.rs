//! Evidence for every failure: the JSON report keeps the exchanges of the failing step, `--har`
//! writes them as HAR 1.2 (`--har-all` every exchange of the run), the console shows the failing
//! request, its status and a body excerpt, and each failure says how to reproduce it.

use crate::common::{command, run_cli, Output, Proc, Serve, PROJECT};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

const BOUND: Duration = Duration::from_secs(300);
const TOKEN: &str = "evidence-token-0123456789";

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .expect("valid JSON")
}

/// The run of `showQuotas/positive` (which needs no shared fixture) against the embedded emulator, with `extra` arguments,
/// writing its JSON report and HAR file into `dir`.
fn drills_run(dir: &Path, extra: &[&str]) -> (Output, Value, Value) {
    let report = dir.join("report.json");
    let har = dir.join("failures.har");
    let mut args = vec!["run", "--filter", "showQuotas/positive", "--json", report.to_str().unwrap()];
    args.extend(["--har", har.to_str().unwrap()]);
    args.extend_from_slice(extra);
    let out = run_cli(&args, &[], BOUND);
    (out, json(&report), json(&har))
}

fn case<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["cases"].as_array().expect("cases").iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no {id}"))
}

#[test]
fn a_failing_case_keeps_every_exchange_of_its_failing_step_and_a_passing_one_keeps_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, report, har) = drills_run(dir.path(), &["--fault", "non-json-body"]);
    out.expect_code(1);
    let failed = case(&report, "showQuotas/positive");
    assert_eq!(failed["outcome"], "failed", "{out}");
    let evidence = failed["evidence"].as_array().unwrap_or_else(|| panic!("no evidence: {failed}"));
    let list = evidence
        .iter()
        .find(|e| e["request"]["url"].as_str().is_some_and(|u| u.contains("/sdrs/quotas")))
        .unwrap_or_else(|| panic!("the failing request is not in the evidence: {evidence:?}"));
    assert_eq!(list["request"]["method"], "GET");
    assert!(list["request"]["url"].as_str().unwrap().starts_with("http://127.0.0.1:"), "{list}");
    assert!(list["request"]["headers"].as_array().unwrap().iter().any(|h| h["value"] == "<redacted>"), "{list}");
    assert_eq!(list["response"]["status"], 200);
    assert!(list["response"]["body"].as_str().unwrap().contains("<html"), "{list}");
    let content_type = list["response"]["headers"].as_array().unwrap().iter().find(|h| h["name"] == "content-type");
    assert!(content_type.is_some_and(|h| h["value"].as_str().unwrap().starts_with("text/html")), "{list}");
    // The same exchanges in the HAR file, named after their case.
    let entries = har["log"]["entries"].as_array().expect("entries");
    assert_eq!(har["log"]["version"], "1.2");
    assert_eq!(entries.len(), evidence.len());
    assert!(entries.iter().all(|e| e["comment"].as_str().unwrap().starts_with("case showQuotas/positive")));
    assert!(entries.iter().any(|e| e["response"]["content"]["mimeType"].as_str().unwrap().starts_with("text/html")));

    let clean = tempfile::tempdir().expect("tempdir");
    let (out, report, har) = drills_run(clean.path(), &[]);
    out.expect_code(0);
    let passed = case(&report, "showQuotas/positive");
    assert!(passed.get("evidence").is_none() && passed.get("reproduce").is_none(), "{passed}");
    assert_eq!(har["log"]["entries"].as_array().map(Vec::len), Some(0));
}

#[test]
fn the_console_shows_the_failing_request_status_body_and_a_reproduction_that_reproduces() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, report, _) = drills_run(dir.path(), &["--fault", "non-json-body", "--strict"]);
    out.expect_code(1);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let at = lines.iter().position(|l| l.starts_with("FAIL showQuotas/positive")).unwrap_or_else(|| panic!("{out}"));
    let below = &lines[at + 1..];
    assert!(below[0].starts_with("    > GET http://127.0.0.1:") && below[0].contains("/sdrs/quotas"), "{out}");
    assert!(below[1].starts_with("    < 200 ") && below[1].contains("<html>"), "{out}");
    let command = "sdrs-conformance run --filter showQuotas/positive --fault non-json-body --strict";
    assert!(below.iter().any(|l| *l == format!("    reproduce: {command}")), "{out}");
    assert!(
        !below.iter().take_while(|l| l.starts_with("    ")).any(|l| l.contains("curl")),
        "no curl line for an emulator that is gone\n{out}"
    );
    assert_eq!(case(&report, "showQuotas/positive")["reproduce"]["command"], command);
    // The line does reproduce the failure.
    let words: Vec<&str> = command.split(' ').skip(1).collect();
    let again = run_cli(&words, &[], BOUND);
    again.expect_code(1);
    assert!(again.stdout.lines().any(|l| l.starts_with("FAIL showQuotas/positive")), "{again}");
}

#[test]
fn against_an_endpoint_with_a_token_the_failure_gives_a_curl_line_reading_the_token_from_the_environment() {
    let serve = Serve::start(&["--fault", "non-json-body", "--token", TOKEN]);
    let out = run_cli(
        &["run", "--endpoint", &serve.url, "--project-id", PROJECT, "--filter", "showQuotas/positive"],
        &[("HW_AUTH_TOKEN", TOKEN)],
        BOUND,
    );
    out.expect_code(1);
    let curl =
        out.stdout.lines().find_map(|l| l.strip_prefix("    curl: ")).unwrap_or_else(|| panic!("no curl line\n{out}"));
    let port = serve.url.rsplit(':').next().expect("port");
    assert!(curl.starts_with("curl -sS -i -X GET http://127.0.0.1:"), "{curl}");
    assert!(curl.contains(&format!(":{port}/v1/{PROJECT}/sdrs/quotas ")), "{curl}");
    assert!(curl.contains(r#"-H "X-Auth-Token: $HW_AUTH_TOKEN""#), "{curl}");
    assert!(!out.all().contains(TOKEN), "the token leaked\n{out}");
    let reproduce = out.stdout.lines().find_map(|l| l.strip_prefix("    reproduce: ")).expect("reproduce line");
    assert_eq!(
        reproduce,
        format!("sdrs-conformance run --filter showQuotas/positive --endpoint {} --project-id {PROJECT}", serve.url)
    );
}

#[test]
fn har_all_writes_every_exchange_of_the_run_and_check_traffic_accepts_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let har = dir.path().join("all.har");
    let path = har.to_str().unwrap();
    let filters = ["--filter", "showProtectionGroup", "--filter", "createProtectionGroup/positive"];
    let out = run_cli(&[&["run"][..], &filters, &["--har", path, "--har-all"]].concat(), &[], BOUND);
    out.expect_code(0);
    let doc = json(&har);
    let entries = doc["log"]["entries"].as_array().expect("entries");
    // The fixture's writes and job polls, every case's requests and their teardown.
    assert!(entries.len() > 20, "only {} exchanges", entries.len());
    assert!(entries.iter().any(|e| e["request"]["method"] == "POST"));
    for case in ["fixture/base", "createProtectionGroup/positive", "showProtectionGroup/positive"] {
        let named = |e: &&Value| e["comment"].as_str().is_some_and(|c| c.starts_with(&format!("case {case},")));
        assert!(entries.iter().any(|e| named(&e)), "no exchange of {case}");
    }
    let teardown = "case createProtectionGroup/positive, step teardown";
    assert!(entries.iter().any(|e| e["comment"] == teardown), "the deletions after the case are missing");
    let mut judge = command(&["check-traffic", har.to_str().unwrap()]);
    judge.env("RUST_LOG", "off");
    let judged = Proc::spawn("check-traffic", judge).finish(BOUND);
    judged.expect_code(0);
    // Without --har, --har-all is a usage error.
    run_cli(&["run", "--har-all"], &[], BOUND).expect_code(2);
}

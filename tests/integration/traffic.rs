//! `check-traffic`: a HAR recorded from the emulator passes; a HAR with one broken answer exits 1
//! naming the check that caught it; a file that is not HAR exits 2 naming the file.

use crate::common::{run_cli, Output, Serve, PROJECT};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

const QUICK: Duration = Duration::from_secs(120);
const TOKEN: &str = "traffic-token-0123456789";
const JOB: &str = "0000000062db92d70162db9d200f000a";

/// Sends requests to `serve` and records each exchange as a HAR 1.2 entry, headers and raw body
/// included, as a recording proxy would.
struct Recorder {
    url: String,
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
    entries: Vec<Value>,
}

impl Recorder {
    fn new(url: &str) -> Recorder {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(30)).build().expect("client");
        Recorder { url: url.to_owned(), runtime, http, entries: Vec::new() }
    }

    /// Sends one request, records it, returns the answer's JSON (Null when none).
    fn send(&mut self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.url);
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(m, &url).header("X-Auth-Token", TOKEN);
        let text = body.as_ref().map(Value::to_string);
        if let Some(t) = &text {
            req = req.header("Content-Type", "application/json").body(t.clone());
        }
        let (status, headers, bytes) = self.runtime.block_on(async move {
            let resp = req.send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
            let status = resp.status().as_u16();
            let headers: Vec<Value> = resp
                .headers()
                .iter()
                .map(|(k, v)| json!({"name": k.as_str(), "value": v.to_str().unwrap_or("")}))
                .collect();
            (status, headers, resp.bytes().await.unwrap_or_default().to_vec())
        });
        let mut request = json!({
            "method": method,
            "url": format!("{}{path}", self.url),
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": "X-Auth-Token", "value": TOKEN}],
            "queryString": [], "cookies": [], "headersSize": -1, "bodySize": -1
        });
        if let Some(t) = &text {
            request["postData"] = json!({"mimeType": "application/json", "text": t});
        }
        self.entries.push(json!({
            "startedDateTime": format!("2026-01-01T00:00:{:02}.000Z", self.entries.len() % 60),
            "time": 1.0,
            "request": request,
            "response": {
                "status": status, "statusText": "", "httpVersion": "HTTP/1.1", "headers": headers, "cookies": [],
                "content": {"size": bytes.len(), "mimeType": "application/json", "text": String::from_utf8_lossy(&bytes)},
                "redirectURL": "", "headersSize": -1, "bodySize": bytes.len()
            },
            "cache": {}, "timings": {"send": 0, "wait": 1, "receive": 0}
        }));
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    }

    /// Polls a job until it ends (the emulator moves it one step per poll), recording every poll.
    fn follow(&mut self, job_id: &str) -> Value {
        for _ in 0..20 {
            let job = self.send("GET", &format!("/v1/{PROJECT}/jobs/{job_id}"), None);
            if matches!(job["status"].as_str(), Some("SUCCESS" | "FAIL")) {
                return job;
            }
        }
        panic!("job {job_id} did not end in 20 polls");
    }
}

/// A HAR document holding `entries`.
fn har(entries: Vec<Value>) -> Value {
    json!({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": entries}})
}

/// A hand-written entry: `body` is the answer's JSON (None: no body).
fn entry(method: &str, path: &str, request: Option<Value>, status: u16, body: Option<Value>) -> Value {
    let mut e = json!({
        "startedDateTime": "2026-01-01T00:00:00.000Z",
        "request": {"method": method, "url": format!("https://sdrs.example.com{path}"), "headers": []},
        "response": {"status": status, "headers": [], "content": {"size": 0, "mimeType": "x-unknown"}}
    });
    if let Some(r) = request {
        e["request"]["postData"] = json!({"mimeType": "application/json", "text": r.to_string()});
    }
    if let Some(b) = body {
        e["response"]["headers"] = json!([{"name": "Content-Type", "value": "application/json;charset=UTF-8"}]);
        e["response"]["content"] = json!({"size": 1, "mimeType": "application/json", "text": b.to_string()});
    }
    e
}

fn check(file: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["check-traffic", file.to_str().expect("utf-8 path")];
    args.extend_from_slice(extra);
    run_cli(&args, &[], QUICK)
}

fn write(dir: &Path, name: &str, value: &Value) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(value).expect("json")).expect("write the HAR");
    path
}

fn group_body(name: &str) -> Value {
    json!({"server_group": {
        "name": name,
        "source_availability_zone": "az1.dc1",
        "target_availability_zone": "az2.dc2",
        "domain_id": "69b15b4d-9fcf-4d6f-828f-400785be3555",
        "source_vpc_id": "cd225edc-6047-403a-8761-e1e1fa652793"
    }})
}

#[test]
fn a_recording_of_the_emulator_passes_every_case_and_writes_the_reports() {
    let serve = Serve::start(&[]);
    let mut rec = Recorder::new(&serve.url);
    rec.send("GET", "/", None);
    let submit = rec.send("POST", &format!("/v1/{PROJECT}/server-groups"), Some(group_body("traffic-group")));
    let job = rec.follow(submit["job_id"].as_str().unwrap_or_else(|| panic!("no job_id: {submit}")));
    let group = job["entities"]["server_group_id"].as_str().expect("the new group's id").to_owned();
    rec.send("GET", &format!("/v1/{PROJECT}/server-groups/{group}"), None);
    rec.send("GET", &format!("/v1/{PROJECT}/server-groups?limit=10"), None);
    rec.send(
        "PUT",
        &format!("/v1/{PROJECT}/server-groups/{group}"),
        Some(json!({"server_group": {"name": "renamed"}})),
    );
    rec.send("GET", &format!("/v1/{PROJECT}/server-groups/no-such-group"), None);
    let deleted = rec.send("DELETE", &format!("/v1/{PROJECT}/server-groups/{group}"), None);
    rec.follow(deleted["job_id"].as_str().unwrap_or_else(|| panic!("no job_id: {deleted}")));
    rec.send("GET", &format!("/v1/{PROJECT}/server-groups/{group}"), None);
    rec.send("GET", &format!("/v1/{PROJECT}/protected-instances/tags"), None);
    drop(serve);
    let last = rec.entries.len();

    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "emulator.har", &har(rec.entries));
    let (json_path, junit, md) = (dir.path().join("r.json"), dir.path().join("r.xml"), dir.path().join("r.md"));
    let out = check(
        &file,
        &[
            "--json",
            json_path.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
            "--report-md",
            md.to_str().unwrap(),
        ],
    );
    out.expect_code(0);
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json_path).expect("the JSON report")).unwrap();
    let cases = report["cases"].as_array().expect("cases");
    let outcome = |id: &str| -> String {
        let c = cases.iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no case {id} in\n{report:#}"));
        c["outcome"].as_str().unwrap_or_default().to_owned()
    };
    assert_eq!(outcome("traffic/createProtectionGroup#2/job"), "passed");
    assert_eq!(outcome(&format!("traffic/server_group/{group}")), "passed");
    // A literal segment wins over the instance id (INC-41).
    assert_eq!(outcome(&format!("traffic/listProtectedInstanceProjectTags#{last}")), "passed");
    assert!(cases.iter().all(|c| c["outcome"] != "failed"), "{report:#}");
    // The delete's job ends with the group gone, and the show after it says so.
    let delete_job = cases
        .iter()
        .find(|c| {
            c["id"].as_str().is_some_and(|id| id.starts_with("traffic/deleteProtectionGroup#") && id.ends_with("/job"))
        })
        .expect("the delete's job case");
    assert_eq!(delete_job["outcome"], "passed", "{delete_job:#}");
    assert_eq!(report["summary"]["failed"], 0);
    assert!(std::fs::read_to_string(&junit).expect("JUnit").contains("<testsuites"));
    assert!(std::fs::read_to_string(&md).expect("markdown").contains("showProtectionGroup"));
    for text in [out.all(), std::fs::read_to_string(&json_path).unwrap(), std::fs::read_to_string(&junit).unwrap()] {
        assert!(!text.contains(TOKEN), "the token leaked");
    }
}

/// Runs `check-traffic` on `entries`; returns the output.
fn judge(entries: Vec<Value>) -> Output {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "rec.har", &har(entries));
    check(&file, &[])
}

fn job(status: &str) -> Value {
    let mut j = json!({
        "job_id": JOB, "job_type": "createProtectionGroupNoCG", "status": status,
        "begin_time": "2018-04-19T01:55:30.443Z", "end_time": null, "entities": {},
        "error_code": null, "fail_reason": null
    });
    if status == "SUCCESS" {
        j["end_time"] = json!("2018-04-19T01:55:45.493Z");
        j["entities"] = json!({"server_group_id": "g1"});
    }
    j
}

fn create_and_poll(statuses: &[&str]) -> Vec<Value> {
    let mut out = vec![entry("POST", "/v1/p/server-groups", Some(group_body("n")), 200, Some(json!({"job_id": JOB})))];
    out.extend(statuses.iter().map(|s| entry("GET", &format!("/v1/p/jobs/{JOB}"), None, 200, Some(job(s)))));
    out
}

#[test]
fn a_hand_written_recording_with_a_job_to_its_end_passes() {
    let out = judge(create_and_poll(&["INIT", "RUNNING", "SUCCESS"]));
    out.expect_code(0);
    assert!(!out.stdout.contains("FAIL "), "{out}");
}

#[test]
fn a_wrong_status_exits_1_naming_status_code() {
    let out = judge(vec![entry("GET", "/v1/p/server-groups/g", None, 418, Some(json!({"teapot": true})))]);
    out.expect_code(1);
    assert!(out.stdout.contains("FAIL traffic/showProtectionGroup#1 [status_code]"), "{out}");
}

#[test]
fn a_schema_violation_exits_1_naming_response_schema() {
    let body = json!({"server_groups": [{"id": 42}], "count": "many"});
    let out = judge(vec![entry("GET", "/v1/p/server-groups", None, 200, Some(body))]);
    out.expect_code(1);
    assert!(out.stdout.contains("FAIL traffic/listProtectionGroups#1 [response_schema]"), "{out}");
}

#[test]
fn a_job_status_going_back_exits_1_naming_job_protocol() {
    let out = judge(create_and_poll(&["RUNNING", "INIT", "SUCCESS"]));
    out.expect_code(1);
    assert!(out.stdout.contains("FAIL traffic/createProtectionGroup#1/job [job_protocol]"), "{out}");
}

#[test]
fn a_resource_status_going_back_exits_1_naming_state_transition() {
    let show = |s: &str| {
        entry("GET", "/v1/p/server-groups/g1", None, 200, Some(json!({"server_group": {"id": "g1", "status": s}})))
    };
    let out = judge(vec![show("protected"), show("creating")]);
    out.expect_code(1);
    assert!(out.stdout.contains("FAIL traffic/server_group/g1 [state_transition]"), "{out}");
}

#[test]
fn an_exchange_of_no_documented_operation_is_listed_but_does_not_fail() {
    let out = judge(vec![entry("GET", "/v1/p/resource/replication-statistics", None, 200, Some(json!({"count": 0})))]);
    out.expect_code(0);
    assert!(out.stdout.contains("1 exchange(s) match no documented operation"), "{out}");
    assert!(
        out.stdout
            .contains("traffic/unmatched#1 GET /v1/p/resource/replication-statistics: matches no documented operation"),
        "{out}"
    );
}

#[test]
fn a_file_that_is_not_json_exits_2_naming_the_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("broken.har");
    std::fs::write(&file, "{\n  \"log\": {\n    \"entries\": [\n      {\"request\": }\n").unwrap();
    let out = check(&file, &[]);
    out.expect_code(2);
    assert!(out.stderr.contains(&format!("{}:4:", file.display())), "{out}");
    assert!(out.stderr.contains("malformed JSON"), "{out}");
    assert!(!out.stderr.contains("panicked"), "{out}");
}

#[test]
fn json_that_is_not_har_and_a_missing_file_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "report.json", &json!({"summary": {}, "cases": []}));
    let out = check(&file, &[]);
    out.expect_code(2);
    assert!(out.stderr.contains("report.json:") && out.stderr.contains("missing field `log`"), "{out}");
    let missing = dir.path().join("nowhere.har");
    let out = check(&missing, &[]);
    out.expect_code(2);
    assert!(out.stderr.contains("nowhere.har"), "{out}");
}

#[test]
fn a_disputed_reading_warns_and_fails_only_with_strict() {
    let entries =
        vec![entry("POST", "/v1/p/server-groups", Some(group_body("n")), 200, Some(json!({"job_id": "job-1"})))];
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "rec.har", &har(entries));
    let out = check(&file, &[]);
    out.expect_code(0);
    assert!(out.stdout.contains("1 warned"), "{out}");
    let out = check(&file, &["--strict"]);
    out.expect_code(1);
    assert!(out.stdout.contains("FAIL traffic/createProtectionGroup#1/job [job_protocol] job_id `job-1`"), "{out}");
}

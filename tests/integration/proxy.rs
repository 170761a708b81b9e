//! `proxy` in front of `serve`, both processes on loopback ports: answers come back unchanged,
//! every exchange is judged live and the whole traffic when a signal stops it; each emulator
//! fault is flagged with the check it targets; signatures are verified and made again for the
//! upstream; an upstream that does not answer gives 502 and a harness error; the official SDK's
//! lifecycle through the proxy has no failure.

use crate::common::{command, Api, Output, Proc, Serve, PROJECT};
use crate::sdk;
use sdrs_conformance::emulator::EmulatorConfig;
use sdrs_conformance::signing::{self, SignableRequest};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;

const QUICK: Duration = Duration::from_secs(120);
/// The SDK script gets as long as in `tests/sdk_interop.rs`.
const SDK_TIMEOUT: Duration = Duration::from_secs(180);
const TOKEN: &str = "proxy-test-token-0123456789";
const ACCESS_KEY: &str = "PROXYTESTACCESSKEY01";
const SECRET_KEY: &str = "proxy-test-secret-key-never-printed";

/// `proxy --port 0` in front of `upstream`, killed on drop unless stopped.
struct Proxied {
    url: String,
    proc: Proc,
}

impl Proxied {
    #[track_caller]
    fn start(upstream: &str, extra: &[&str], env: &[(&str, &str)]) -> Proxied {
        let mut args = vec!["proxy", "--upstream", upstream, "--port", "0"];
        args.extend_from_slice(extra);
        let mut cmd = command(&args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut proc = Proc::spawn("proxy", cmd);
        let line = proc.wait_for_line(Duration::from_secs(60), "the `listening on` line", |l| {
            l.starts_with("listening on http://")
        });
        Proxied { url: line.trim_start_matches("listening on ").trim().to_owned(), proc }
    }

    /// Sends `signal` (INT or TERM) to this proxy only, and waits for it to exit.
    #[track_caller]
    fn stop(self, signal: &str) -> Output {
        let status = std::process::Command::new("kill")
            .args([format!("-{signal}"), self.proc.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} failed");
        self.proc.finish(QUICK)
    }
}

/// The report files a stopped proxy writes, in a temporary directory.
struct Reports {
    dir: tempfile::TempDir,
}

impl Reports {
    fn new() -> Reports {
        Reports { dir: tempfile::tempdir().expect("tempdir") }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `--json`, `--junit`, `--report-md` and `--har` into the directory.
    fn args(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (flag, name) in [
            ("--json", "r.json"),
            ("--junit", "r.xml"),
            ("--report-md", "r.md"),
            ("--har", "r.har"),
            ("--coverage", "c.json"),
            ("--report-html", "r.html"),
        ] {
            out.push(flag.to_owned());
            out.push(self.path(name).display().to_string());
        }
        out
    }

    #[track_caller]
    fn json(&self) -> Value {
        let text = std::fs::read_to_string(self.path("r.json")).expect("the JSON report");
        serde_json::from_str(&text).expect("the JSON report parses")
    }

    /// Every file written, as text.
    fn texts(&self) -> Vec<(PathBuf, String)> {
        ["r.json", "r.xml", "r.md", "r.har", "c.json", "r.html"]
            .iter()
            .filter_map(|n| std::fs::read_to_string(self.path(n)).ok().map(|t| (self.path(n), t)))
            .collect()
    }
}

fn str_args(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// The body of a protection group in the default world.
fn group_body(name: &str) -> Value {
    let world = EmulatorConfig::default().world;
    let vpc = world.vpcs.iter().find(|v| v.fail_jobs.is_empty()).expect("a VPC without injected failures");
    json!({"server_group": {
        "name": name,
        "source_availability_zone": world.availability_zones.source,
        "target_availability_zone": world.availability_zones.target,
        "domain_id": world.domain.id,
        "source_vpc_id": vpc.id,
    }})
}

/// A fixed lifecycle through `api`: versions, a group created and followed to its end, shown,
/// listed, a group that does not exist, the group deleted and followed, shown once gone.
fn lifecycle(api: &Api) {
    api.call("GET", "/", None);
    let (status, submit) = api.call("POST", &format!("/v1/{PROJECT}/server-groups"), Some(group_body("proxied")));
    assert_eq!(status, 200, "{submit}");
    let job = submit["job_id"].as_str().unwrap_or_else(|| panic!("no job_id: {submit}")).to_owned();
    api.wait_job(&job);
    let (_, done) = api.call("GET", &format!("/v1/{PROJECT}/jobs/{job}"), None);
    let group = done["entities"]["server_group_id"].as_str().unwrap_or_else(|| panic!("no group: {done}")).to_owned();
    api.call("GET", &format!("/v1/{PROJECT}/server-groups/{group}"), None);
    api.call("GET", &format!("/v1/{PROJECT}/server-groups?limit=10"), None);
    api.call("GET", &format!("/v1/{PROJECT}/server-groups/no-such-group"), None);
    let (_, deleted) = api.call("DELETE", &format!("/v1/{PROJECT}/server-groups/{group}"), None);
    let job = deleted["job_id"].as_str().unwrap_or_else(|| panic!("no job_id: {deleted}")).to_owned();
    api.wait_job(&job);
    api.call("GET", &format!("/v1/{PROJECT}/server-groups/{group}"), None);
}

/// The outcomes of `check` across the cases of a report.
fn outcomes_of(report: &Value, check: &str) -> Vec<String> {
    report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .flat_map(|c| c["checks"].as_array().into_iter().flatten())
        .filter(|k| k["name"] == check)
        .map(|k| k["outcome"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn cases_of_kind<'r>(report: &'r Value, kind: &str) -> Vec<&'r Value> {
    report["cases"].as_array().expect("cases").iter().filter(|c| c["kind"] == kind).collect()
}

#[test]
fn answers_pass_through_unchanged_and_a_conforming_lifecycle_has_no_failure() {
    let serve = Serve::start(&[]);
    let reports = Reports::new();
    let proxy = Proxied::start(&serve.url, &str_args(&reports.args()), &[]);
    // The same requests, direct and through the proxy: the same status, type and bytes.
    for path in ["/", "/v1", "/v1/no/such/path"] {
        let (direct, through) = (get_with(&serve.url, path, &[]), get_with(&proxy.url, path, &[]));
        assert_eq!(direct, through, "the proxy changed the answer to GET {path}");
    }
    let direct = Api::new(&serve.url, TOKEN);
    let proxied = Api::new(&proxy.url, TOKEN);
    assert_eq!(direct.call("GET", "/", None), proxied.call("GET", "/", None));
    lifecycle(&proxied);
    let out = proxy.stop("INT");
    out.expect_code(0);
    // One live line per exchange, with the request it judged.
    let live: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("PASS traffic/")).collect();
    assert!(live.iter().any(|l| l.contains("(POST /v1/") && l.ends_with("-> 200)")), "{out}");
    let report = reports.json();
    assert_eq!(report["summary"]["failed"], 0, "{report:#}");
    assert_eq!(report["target"]["kind"], "proxy");
    assert_eq!(report["target"]["endpoint"], serve.url.as_str());
    let exchanges = cases_of_kind(&report, "recorded");
    assert!(exchanges.len() >= 12, "{} exchanges judged", exchanges.len());
    let jobs = cases_of_kind(&report, "job");
    assert_eq!(jobs.len(), 2, "{report:#}");
    assert!(jobs.iter().all(|j| j["outcome"] == "passed"), "{jobs:#?}");
    assert!(cases_of_kind(&report, "resource").iter().all(|c| c["outcome"] == "passed"));
    // Every exchange is in the HAR, which check-traffic judges the same way.
    let har: Value = serde_json::from_str(&std::fs::read_to_string(reports.path("r.har")).unwrap()).unwrap();
    let unmatched = cases_of_kind(&report, "unmatched");
    assert_eq!(unmatched.len(), 1, "GET /v1/no/such/path is no operation");
    assert_eq!(har["log"]["entries"].as_array().map(Vec::len), Some(exchanges.len() + unmatched.len()));
    assert!(std::fs::read_to_string(reports.path("r.xml")).unwrap().contains("<testsuites"));
    assert!(std::fs::read_to_string(reports.path("r.md")).unwrap().contains("createProtectionGroup"));
    // What the proxy saw of the contract: the lifecycle's operations, and the HTML report.
    let coverage: Value = serde_json::from_str(&std::fs::read_to_string(reports.path("c.json")).unwrap()).unwrap();
    let operations = &coverage["operations"];
    assert!(operations["observed"].as_u64().unwrap_or(0) >= 4, "{coverage:#}");
    assert_eq!(
        operations["documented"].as_u64(),
        Some(
            operations["observed"].as_u64().unwrap()
                + operations["unobserved"].as_array().map_or(0, |u| u.len() as u64)
        )
    );
    assert!(std::fs::read_to_string(reports.path("r.html")).unwrap().contains("<h1>SDRS conformance report</h1>"));
    for (path, text) in reports.texts().into_iter().chain([(PathBuf::from("output"), out.all())]) {
        assert!(!text.contains(TOKEN), "the token leaked into {}", path.display());
    }
}

/// Runs the fixed lifecycle through a proxy in front of `serve --fault fault`, stops it with
/// SIGTERM, and returns the output and the JSON report.
fn through_fault(fault: &str, extra: &[&str]) -> (Output, Value) {
    let serve = Serve::start(&["--fault", fault]);
    let reports = Reports::new();
    let mut args = reports.args();
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let proxy = Proxied::start(&serve.url, &str_args(&args), &[]);
    lifecycle(&Api::new(&proxy.url, TOKEN));
    let out = proxy.stop("TERM");
    let report = reports.json();
    (out, report)
}

#[test]
fn an_undocumented_status_is_flagged_live_by_status_code_and_sigterm_exits_1() {
    let (out, report) = through_fault("undocumented-status", &[]);
    out.expect_code(1);
    assert!(outcomes_of(&report, "status_code").iter().any(|o| o == "failed"), "{report:#}");
    let line = out.stdout.lines().find(|l| l.starts_with("FAIL traffic/showProtectionGroup#")).expect("a live line");
    assert!(line.contains("[status_code]") && line.ends_with("-> 201)"), "{line}");
}

#[test]
fn a_missing_field_warns_in_response_schema_and_fails_it_with_strict() {
    // The field is required by our reading (GAP-01), not by the reference: it warns.
    let (out, report) = through_fault("missing-required-field", &[]);
    out.expect_code(0);
    let schema = outcomes_of(&report, "response_schema");
    assert!(schema.iter().any(|o| o == "warned") && !schema.iter().any(|o| o == "failed"), "{schema:?}");
    assert!(out.stdout.lines().any(|l| l.starts_with("WARN traffic/") && l.contains("[response_schema]")), "{out}");
    let (out, report) = through_fault("missing-required-field", &["--strict"]);
    out.expect_code(1);
    assert!(outcomes_of(&report, "response_schema").iter().any(|o| o == "failed"), "{report:#}");
}

#[test]
fn an_error_code_outside_the_table_is_flagged_by_error_body() {
    let (out, report) = through_fault("error-code-not-in-table", &[]);
    out.expect_code(1);
    assert!(outcomes_of(&report, "error_body").iter().any(|o| o == "failed"), "{report:#}");
    assert!(out.stdout.contains("[error_body]"), "{out}");
}

#[test]
fn a_job_going_back_is_flagged_by_job_protocol_across_its_polls() {
    let (out, report) = through_fault("job-status-regresses", &[]);
    out.expect_code(1);
    let jobs = cases_of_kind(&report, "job");
    assert!(jobs.iter().any(|j| j["outcome"] == "failed"), "{jobs:#?}");
    assert!(outcomes_of(&report, "job_protocol").iter().any(|o| o == "failed"));
    // Judged across the polls, so only at the end: no single exchange failed.
    assert!(cases_of_kind(&report, "recorded").iter().all(|c| c["outcome"] != "failed"), "{report:#}");
    assert!(out
        .stdout
        .lines()
        .any(|l| l.starts_with("FAIL traffic/createProtectionGroup#") && l.contains("/job [job_protocol]")));
}

/// Headers of a request signed for `host` with `sk`, as an SDK pointed at `host` signs it.
fn signed_headers(method: &str, path: &str, host: &str, sk: &str) -> Vec<(String, String)> {
    let mut headers = vec![
        ("Host".to_owned(), host.to_owned()),
        ("X-Project-Id".to_owned(), PROJECT.to_owned()),
        (signing::DATE_HEADER.to_owned(), chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string()),
    ];
    let req = SignableRequest { method, path, query: &[], headers: &headers, body: b"" };
    let authorization = signing::authorization(ACCESS_KEY, sk, &req);
    headers.push(("Authorization".to_owned(), authorization));
    headers
}

fn authority(url: &str) -> String {
    url.trim_start_matches("http://").trim_end_matches('/').to_owned()
}

/// GET `path` at `base` with these headers; the status, content type and body.
fn get_with(base: &str, path: &str, headers: &[(String, String)]) -> (u16, String, String) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(30)).build().expect("client");
    let mut req = http.get(format!("{base}{path}"));
    for (k, v) in headers.iter().filter(|(k, _)| k != "Host") {
        req = req.header(k.as_str(), v.as_str());
    }
    runtime.block_on(async move {
        let resp = req.send().await.expect("an answer");
        let status = resp.status().as_u16();
        let content_type = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        (status, content_type, resp.text().await.unwrap_or_default())
    })
}

#[test]
fn a_signature_for_the_proxy_is_verified_and_made_again_for_an_upstream_that_verifies_its_own() {
    let keys = [("HW_ACCESS_KEY", ACCESS_KEY), ("HW_SECRET_KEY", SECRET_KEY)];
    let serve = Serve::start_with_env(&[], &keys);
    let reports = Reports::new();
    let proxy = Proxied::start(&serve.url, &str_args(&reports.args()), &keys);
    let path = format!("/v1/{PROJECT}/server-groups");
    let good = signed_headers("GET", &path, &authority(&proxy.url), SECRET_KEY);
    let (status, _, body) = get_with(&proxy.url, &path, &good);
    assert_eq!(status, 200, "{body}");
    // Sent straight to the emulator, the same signature fails: it covers the proxy's host.
    let (status, ..) = get_with(&serve.url, &path, &good);
    assert_eq!(status, 401, "the emulator does not verify the host: the test proves nothing");
    // A wrong key is refused by the proxy itself.
    let bad = signed_headers("GET", &path, &authority(&proxy.url), "not-the-secret-key");
    let (status, _, body) = get_with(&proxy.url, &path, &bad);
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("APIGW.0301") && body.contains("signature mismatch"), "{body}");
    let out = proxy.stop("TERM");
    out.expect_code(0);
    assert!(out.stdout.contains(&format!("REFUSED GET {path} -> 401")), "{out}");
    let report = reports.json();
    // The refused request never reached the upstream: only the good one was judged.
    assert_eq!(cases_of_kind(&report, "recorded").len(), 1, "{report:#}");
    assert_eq!(report["target"]["auth"], "aksk");
    for (what, text) in reports.texts().into_iter().chain([(PathBuf::from("output"), out.all())]) {
        assert!(!text.contains(SECRET_KEY), "the SK leaked into {}", what.display());
        assert!(!text.contains(ACCESS_KEY), "the AK leaked into {}", what.display());
    }
}

#[test]
fn an_upstream_that_does_not_answer_gives_502_and_a_harness_error_but_does_not_stop_the_start() {
    // A port nobody listens on: bound, then released.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let upstream = format!("http://{}", closed.local_addr().expect("address"));
    drop(closed);
    let reports = Reports::new();
    let mut proxy = Proxied::start(&upstream, &str_args(&reports.args()), &[]);
    proxy.proc.wait_for_stderr_line(QUICK, "the note on the upstream", |l| l.contains("does not answer yet"));
    let (status, _, body) = get_with(&proxy.url, "/", &[]);
    assert_eq!(status, 502, "{body}");
    assert!(body.contains(&format!("the upstream {upstream} did not answer GET /")), "{body}");
    let out = proxy.stop("TERM");
    // An exchange the harness could not judge is an error, counted apart: exit 2, as for `run`.
    out.expect_code(2);
    assert!(out.stdout.lines().any(|l| l.starts_with("ERROR traffic/listApiVersions#1")), "{out}");
    let report = reports.json();
    let case = &cases_of_kind(&report, "recorded")[0];
    assert_eq!(case["outcome"], "error", "{case:#}");
    assert!(case["reason"].as_str().unwrap_or_default().contains("the upstream did not answer"), "{case:#}");
}

#[test]
fn bad_arguments_exit_2_with_the_reason() {
    for (args, says) in [
        (vec!["proxy"], "--upstream"),
        (vec!["proxy", "--upstream", "ftp://example.com"], "expected http:// or https://"),
        (vec!["proxy", "--upstream", "http://u:p@example.com"], "credentials do not belong in the URL"),
        (vec!["proxy", "--upstream", "http://127.0.0.1:9", "--ak", "A"], "--ak and --sk go together"),
    ] {
        let out = crate::common::run_cli(&args, &[], QUICK);
        out.expect_code(2);
        assert!(out.stderr.contains(says), "{args:?}: {out}");
        assert!(!out.stderr.contains("panicked"), "{out}");
    }
    // A port already taken.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = taken.local_addr().expect("address").port().to_string();
    let out = crate::common::run_cli(&["proxy", "--upstream", "http://127.0.0.1:9", "--port", &port], &[], QUICK);
    out.expect_code(2);
    assert!(out.stderr.contains("cannot listen on 127.0.0.1:"), "{out}");
}

#[test]
fn the_official_sdk_lifecycle_through_the_proxy_in_front_of_serve_has_no_failure() {
    let keys = [("HW_ACCESS_KEY", ACCESS_KEY), ("HW_SECRET_KEY", SECRET_KEY)];
    let config = EmulatorConfig::default();
    let serve = Serve::start_with_env(&["--project-id", &config.project_id], &keys);
    let reports = Reports::new();
    let proxy = Proxied::start(&serve.url, &str_args(&reports.args()), &keys);
    let python = sdk::python();
    if let Err(e) = std::process::Command::new(&python).arg("--version").output() {
        return unavailable(&format!("cannot run `{python}`: {e}"));
    }
    let mut script = sdk::lifecycle(&python, &proxy.url, ACCESS_KEY, SECRET_KEY, &config.project_id, &config.world);
    script.stdin(std::process::Stdio::null());
    let sdk_out = Proc::spawn("the SDK script", script).finish(SDK_TIMEOUT);
    if sdk_out.status.code() == Some(sdk::EXIT_SDK_MISSING) {
        return unavailable(sdk_out.stdout.trim().trim_start_matches("SKIP: "));
    }
    sdk_out.expect_code(0);
    let out = proxy.stop("INT");
    out.expect_code(0);
    let report = reports.json();
    assert_eq!(report["summary"]["failed"], 0, "{out}");
    let exchanges = cases_of_kind(&report, "recorded");
    assert!(exchanges.len() >= 15, "only {} exchanges judged", exchanges.len());
    assert!(exchanges.iter().all(|c| c["outcome"] != "skipped"), "an SDK call matched no operation: {report:#}");
    assert!(!cases_of_kind(&report, "job").is_empty(), "no job was judged");
    assert_eq!(report["target"]["auth"], "aksk");
    // The script's own call with a wrong SK is refused by the proxy, which verified the SDK's signature.
    assert!(out.stdout.lines().any(|l| l.starts_with("REFUSED GET ") && l.contains("-> 401")), "{out}");
    for (what, text) in reports.texts().into_iter().chain([(PathBuf::from("output"), out.all())]) {
        assert!(!text.contains(SECRET_KEY), "the SK leaked into {}", what.display());
    }
    println!(
        "the SDK through the proxy: {} exchanges, {} jobs, {} resources judged; {}",
        exchanges.len(),
        cases_of_kind(&report, "job").len(),
        cases_of_kind(&report, "resource").len(),
        out.stdout.lines().last().unwrap_or_default()
    );
}

/// Skips outside CI, fails in CI, as `tests/sdk_interop.rs` does.
fn unavailable(reason: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "the SDK test through the proxy cannot run: {reason}; `.ci/run` installs the SDK"
    );
    eprintln!("SKIPPED: {reason}; install the SDK with `python3 -m pip install -r .ci/requirements.txt`");
}

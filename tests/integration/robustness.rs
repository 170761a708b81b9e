//! A misbehaving network: refused connections, a server that never answers, 503 with
//! `Retry-After`, 500 on a write, truncated and non-JSON bodies, a port already taken, a
//! malformed spec file, a job that never ends. Every outcome is bounded and says what happened.

use crate::common::{command, copy_dir, repo, run_cli, Proc};
use sdrs_conformance::checks::{self, CheckContext, CheckOutcome};
use sdrs_conformance::client::{Auth, Client, ClientOptions, Outgoing, RetryPolicy, Secret, Target};
use sdrs_conformance::exchange::TransportErrorKind;
use sdrs_conformance::spec::{SchemaSet, Specs};
use serde_json::json;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A loopback port nobody listens on: bound, then released.
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A server that accepts connections and never answers; stops (and closes them) on drop.
struct Silent {
    address: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Silent {
    fn start() -> Silent {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("addr");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            for conn in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(c) = conn {
                    held.push(c);
                }
            }
        });
        Silent { address, stop, thread: Some(thread) }
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect_timeout(&self.address, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn ctx() -> CheckContext<'static> {
    static SCHEMAS: OnceLock<SchemaSet> = OnceLock::new();
    let specs = Specs::embedded();
    CheckContext { specs, schemas: SCHEMAS.get_or_init(|| SchemaSet::new(specs)), strict: false }
}

fn client(base_url: &str, retry: RetryPolicy) -> Client {
    let target = Target {
        base_url: base_url.to_owned(),
        project_id: "p".into(),
        auth: Auth::Token(Secret::new("robustness-token-123")),
    };
    Client::new(
        target,
        ClientOptions { timeout: Duration::from_secs(5), retry, concurrency: 4, ..ClientOptions::default() },
    )
    .expect("client")
}

fn show_group() -> Outgoing {
    Outgoing {
        operation: "showProtectionGroup".into(),
        method: "GET".into(),
        path: "/v1/p/server-groups/g1".into(),
        ..Outgoing::default()
    }
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy { max_retries: 3, base: Duration::from_millis(10), cap: Duration::from_secs(2) }
}

#[test]
fn a_run_against_a_refused_port_exits_2_at_once_naming_the_endpoint_and_the_refusal() {
    let url = format!("http://127.0.0.1:{}", closed_port());
    let out = run_cli(
        &["run", "--endpoint", &url, "--project-id", "p", "--token", "refused-token-123"],
        &[],
        Duration::from_secs(60),
    );
    out.expect_code(2);
    assert!(out.elapsed < Duration::from_secs(10), "took {:?}\n{out}", out.elapsed);
    assert!(out.stderr.contains(&url), "the message does not name the endpoint\n{out}");
    assert!(
        out.stderr.to_lowercase().contains("refused"),
        "the message does not say the connection was refused\n{out}"
    );
    assert!(!out.stdout.contains(" passed, "), "cases ran against an unreachable target\n{out}");
}

#[test]
fn a_run_against_a_server_that_never_answers_exits_2_within_a_few_seconds_saying_it_did_not_answer() {
    let silent = Silent::start();
    let url = format!("http://{}", silent.address);
    let out = run_cli(
        &["run", "--endpoint", &url, "--project-id", "p", "--token", "silent-token-123", "--timeout", "1"],
        &[],
        Duration::from_secs(60),
    );
    out.expect_code(2);
    assert!(out.elapsed < Duration::from_secs(8), "took {:?}\n{out}", out.elapsed);
    assert!(out.stderr.contains(&url), "the message does not name the endpoint\n{out}");
    assert!(
        out.stderr.contains("did not answer within 1s"),
        "the message does not say the target did not answer\n{out}"
    );
    drop(silent);
}

#[tokio::test]
async fn a_get_answered_503_with_retry_after_0_twice_is_retried_and_ends_200() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/p/server-groups/g1"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("Retry-After", "0")
                .set_body_json(json!({"error_code": "APIGW.0503", "error_msg": "busy"})),
        )
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/p/server-groups/g1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"server_group": {"id": "g1"}})))
        .with_priority(2)
        .mount(&server)
        .await;
    // A backoff of 5 s then 10 s: only honouring `Retry-After: 0` keeps this under 4 s.
    let slow_backoff = RetryPolicy { max_retries: 3, base: Duration::from_secs(5), cap: Duration::from_secs(10) };
    let started = Instant::now();
    let ex = client(&server.uri(), slow_backoff).send(&show_group()).await;
    assert_eq!(ex.status(), Some(200), "{:?}", ex.response);
    let requests = server.received_requests().await.expect("recording is on");
    assert_eq!(requests.len(), 3, "two 503 answers and the final 200");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "Retry-After: 0 was not honoured: took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_retry_after_of_one_second_is_waited_for_before_the_retry() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .with_priority(2)
        .mount(&server)
        .await;
    let started = Instant::now();
    let ex = client(&server.uri(), fast_retries()).send(&show_group()).await;
    assert_eq!(ex.status(), Some(200), "{:?}", ex.response);
    assert!(started.elapsed() >= Duration::from_secs(1), "retried after {:?}, before Retry-After", started.elapsed());
    assert_eq!(server.received_requests().await.expect("recording").len(), 2);
}

#[tokio::test]
async fn a_post_answered_500_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(json!({"error_code": "SDRS.0500", "error_msg": "internal"})),
        )
        .mount(&server)
        .await;
    let req = Outgoing {
        operation: "createProtectionGroup".into(),
        method: "POST".into(),
        path: "/v1/p/server-groups".into(),
        body: Some(br#"{"server_group": {"name": "x"}}"#.to_vec()),
        ..Outgoing::default()
    };
    let ex = client(&server.uri(), fast_retries()).send(&req).await;
    assert_eq!(ex.status(), Some(500));
    assert_eq!(server.received_requests().await.expect("recording").len(), 1, "a write was repeated");
}

/// A server that answers every request with a `Content-Length` larger than the body it sends,
/// then closes the connection.
async fn truncating_server() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let task = tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            // Read the request head fully, so that closing sends FIN and not RST.
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match socket.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"server_group\": {\"id\": \"g1\", \"na";
            let _ = socket.write_all(answer).await;
            let _ = socket.flush().await;
            let _ = socket.shutdown().await;
        }
    });
    (url, task)
}

#[tokio::test]
async fn a_truncated_body_becomes_a_body_error_that_status_code_fails_clearly() {
    let (url, server) = truncating_server().await;
    let ex = client(&url, RetryPolicy::none()).send(&show_group()).await;
    server.abort();
    let err = ex.response.as_ref().expect_err("a truncated body must not count as an answer");
    assert_eq!(err.kind, TransportErrorKind::Body, "{err}");
    assert!(err.message.contains("reading the body"), "{err}");

    let op = Specs::embedded().operation("showProtectionGroup").expect("operation");
    let result = checks::status_code(&ctx(), op, &[200], &ex);
    assert_eq!(result.outcome, CheckOutcome::Failed, "{result:?}");
    assert!(result.message.contains("no response to GET /v1/p/server-groups/g1"), "{}", result.message);
    assert!(result.message.contains("reading the body"), "{}", result.message);
    let details = result.details();
    assert!(details.contains("Body error"), "{details}");
    assert!(details.contains("status 200"), "{details}");
}

#[tokio::test]
async fn a_non_json_200_body_labelled_application_json_fails_content_type() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("<html>gateway says hello</html>", "application/json"))
        .mount(&server)
        .await;
    let ex = client(&server.uri(), RetryPolicy::none()).send(&show_group()).await;
    assert_eq!(ex.status(), Some(200));
    assert!(ex.json().is_none());
    let op = Specs::embedded().operation("showProtectionGroup").expect("operation");
    let result = checks::content_type(&ctx(), op, &ex);
    assert_eq!(result.outcome, CheckOutcome::Failed, "{result:?}");
    assert!(result.message.contains("not JSON"), "{}", result.message);
    assert!(result.details().contains("<html>gateway says hello</html>"), "{}", result.details());
}

#[tokio::test]
async fn a_json_body_labelled_text_html_fails_content_type() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(r#"{"server_group": {"id": "g1"}}"#, "text/html"))
        .mount(&server)
        .await;
    let ex = client(&server.uri(), RetryPolicy::none()).send(&show_group()).await;
    let op = Specs::embedded().operation("showProtectionGroup").expect("operation");
    let result = checks::content_type(&ctx(), op, &ex);
    assert_eq!(result.outcome, CheckOutcome::Failed, "{result:?}");
    assert!(result.message.contains("text/html"), "{}", result.message);
}

#[test]
fn serve_on_a_port_already_taken_exits_2_naming_the_address() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let out = run_cli(&["serve", "--port", &port], &[], Duration::from_secs(60));
    out.expect_code(2);
    assert!(out.stderr.contains(&format!("127.0.0.1:{port}")), "the message does not name the address\n{out}");
    assert!(out.stderr.to_lowercase().contains("in use"), "the message does not say why\n{out}");
    drop(taken);
}

#[test]
fn check_spec_on_a_malformed_yaml_file_exits_2_printing_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let specs = dir.path().join("specs");
    copy_dir(&repo().join("specs"), &specs);
    let file = specs.join("errors.yaml");
    let mut text = std::fs::read_to_string(&file).expect("errors.yaml");
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let line = text.lines().count() + 1;
    text.push_str("broken: mapping: here\n");
    std::fs::write(&file, text).expect("write");
    let out = run_cli(&["check-spec", "--specs", specs.to_str().expect("utf-8 path")], &[], Duration::from_secs(60));
    out.expect_code(2);
    assert!(out.stderr.contains(&format!("errors.yaml:{line}")), "no `errors.yaml:{line}` in the message\n{out}");
    assert!(!out.stdout.contains("specs are valid"), "{out}");
}

/// A fake SDRS endpoint whose creation jobs stay RUNNING forever.
async fn endless_jobs_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"versions": []})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"job_id": "0123456789abcdef0123456789abcdef"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/0605767a3b8a4e4a9f1d2c3b4a5e6f70/jobs/0123456789abcdef0123456789abcdef"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "job_id": "0123456789abcdef0123456789abcdef",
            "job_type": "createProtectionGroupNoCG",
            "status": "RUNNING",
            "begin_time": "2024-01-01T00:00:00.000Z",
            "end_time": null,
            "entities": {},
            "error_code": null,
            "fail_reason": null
        })))
        .mount(&server)
        .await;
    // The positive create reads the quotas before and after (quota accounting).
    Mock::given(method("GET"))
        .and(path("/v1/0605767a3b8a4e4a9f1d2c3b4a5e6f70/sdrs/quotas"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"quotas": {"resources": [
            {"type": "server_groups", "used": 0, "quota": 10},
            {"type": "replications", "used": 0, "quota": 10}
        ]}})))
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::any())
        .respond_with(
            ResponseTemplate::new(404).set_body_json(json!({"error_code": "SDRS.1013", "error_msg": "not found"})),
        )
        .with_priority(10)
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_never_finishes_fails_its_case_within_the_job_deadline() {
    let server = endless_jobs_server().await;
    let mut cmd = command(&[
        "run",
        "--endpoint",
        &server.uri(),
        "--project-id",
        "0605767a3b8a4e4a9f1d2c3b4a5e6f70",
        "--token",
        "endless-token-123",
        "--filter",
        "createProtectionGroup/positive",
        "--job-timeout",
        "2",
        "--timeout",
        "5",
        "--deadline",
        "60",
    ]);
    cmd.env("NO_COLOR", "1");
    let proc = Proc::spawn("run against endless jobs", cmd);
    let out = tokio::task::spawn_blocking(move || proc.finish(Duration::from_secs(120))).await.expect("join");
    out.expect_code(1);
    assert!(out.elapsed < Duration::from_secs(60), "took {:?}\n{out}", out.elapsed);
    let failure = out
        .stdout
        .lines()
        .find(|l| l.contains("createProtectionGroup/positive"))
        .unwrap_or_else(|| panic!("no line for the case\n{out}"));
    assert!(failure.starts_with("FAIL") || failure.starts_with("ERROR"), "{failure}\n{out}");
    assert!(failure.contains("job"), "the line does not say the job is at fault: {failure}\n{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_answering_slower_than_the_timeout_fails_the_case_saying_it_did_not_answer() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"versions": []})))
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::any())
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"quotas": {"resources": []}}))
                .set_delay(Duration::from_secs(5)),
        )
        .with_priority(10)
        .mount(&server)
        .await;
    let cmd = command(&[
        "run",
        "--endpoint",
        &server.uri(),
        "--project-id",
        "0605767a3b8a4e4a9f1d2c3b4a5e6f70",
        "--token",
        "slow-token-123",
        "--filter",
        "showQuotas/positive",
        "--timeout",
        "1",
    ]);
    let proc = Proc::spawn("run against a slow target", cmd);
    let out = tokio::task::spawn_blocking(move || proc.finish(Duration::from_secs(120))).await.expect("join");
    assert!(out.elapsed < Duration::from_secs(30), "took {:?}\n{out}", out.elapsed);
    out.expect_code(1);
    let line = out
        .stdout
        .lines()
        .find(|l| l.contains("showQuotas/positive"))
        .unwrap_or_else(|| panic!("no line for the case\n{out}"));
    assert!(line.contains("did not answer within 1s"), "{line}\n{out}");
}

#[test]
fn a_target_whose_jobs_never_end_trips_the_circuit_breaker_once_and_the_run_exits_2() {
    // `serve` is another process: loopback, so jobs are polled against the wall clock, here
    // with a 1 s deadline. The breaker's line is printed once; the cases it holds back are
    // errors naming it (so the run exits 2); cases that wait for no job still run.
    let serve = crate::common::Serve::start(&["--fault", "job-never-ends"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let report_path = dir.path().join("report.json");
    let ledger = dir.path().join("ledger.jsonl");
    let args = [
        "run",
        "--endpoint",
        &serve.url,
        "--project-id",
        crate::common::PROJECT,
        "--job-timeout",
        "1",
        "--ledger",
        ledger.to_str().expect("utf-8 path"),
        "--json",
        report_path.to_str().expect("utf-8 path"),
    ];
    let out = run_cli(&args, &[("HW_AUTH_TOKEN", "e2e-token-0123456789")], Duration::from_secs(600));
    // The cases held back are errors: the harness could not judge them, so the run exits 2.
    out.expect_code(2);
    let line = "circuit breaker: jobs of this target are not finishing: 3 in a row passed their 1 s deadline; \
                the cases that depend on it are not run";
    assert_eq!(out.stdout.lines().filter(|l| *l == line).count(), 1, "{out}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).expect("report")).expect("json");
    let cases = report["cases"].as_array().expect("cases");
    let held: Vec<&serde_json::Value> = cases
        .iter()
        .filter(|c| {
            c["reason"].as_str().is_some_and(|r| r.starts_with("not run: jobs of this target are not finishing"))
        })
        .collect();
    assert!(held.len() > cases.len() / 2, "{} of {} cases held back\n{out}", held.len(), cases.len());
    assert!(held.iter().all(|c| c["outcome"] == "error"), "{out}");
    assert!(cases.iter().any(|c| c["outcome"] == "passed"), "cases that wait for no job did not run\n{out}");
}

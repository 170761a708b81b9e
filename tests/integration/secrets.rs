//! No secret in any output: runs with recognisable AK, SK and token values, then every output
//! (console, debug log, JSON, JUnit, markdown, ledger, snapshots, and `serve`'s own output) is
//! searched for them, raw and percent-encoded, and for signatures.

use crate::common::{copy_dir, files_under, repo, run_cli, Output, Serve, PROJECT};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use std::path::Path;
use std::time::Duration;

const AK: &str = "AKMARKER1234567890";
const SK: &str = "SKMARKER0987654321ZZ";
/// A token with characters that percent-encoding changes.
const TOKEN: &str = "TOKENMARKER-7Q/+=x9Zk2";

/// The forms a secret may take in an output: raw, and percent-encoded with either hex case.
fn forms(secret: &str) -> Vec<String> {
    let upper = utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string();
    let lower = regex::Regex::new("%[0-9A-F]{2}")
        .expect("regex")
        .replace_all(&upper, |c: &regex::Captures| c[0].to_lowercase())
        .into_owned();
    let mut out = vec![secret.to_owned(), upper, lower];
    out.dedup();
    out
}

/// Every output of a run: its console, the report files, the ledger and the snapshot directory.
struct Outputs {
    texts: Vec<(String, String)>,
}

impl Outputs {
    fn collect(out: &Output, serve: &mut Serve, dir: &Path) -> Outputs {
        let mut texts =
            vec![("run stdout".to_owned(), out.stdout.clone()), ("run stderr".to_owned(), out.stderr.clone())];
        serve.proc.drain_now();
        texts.push(("serve stdout".into(), serve.proc.stdout.join("\n")));
        texts.push(("serve stderr".into(), serve.proc.stderr.join("\n")));
        for name in ["report.json", "report.xml", "report.md", "ledger.jsonl"] {
            let path = dir.join(name);
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name} was not written: {e}\n{out}"));
            assert!(!text.trim().is_empty() || name == "ledger.jsonl", "{name} is empty");
            texts.push((name.to_owned(), text));
        }
        for snapshots in [dir.join("snapshots"), repo().join("snapshots")] {
            for file in files_under(&snapshots) {
                let bytes = std::fs::read(&file).unwrap_or_default();
                texts.push((file.display().to_string(), String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
        Outputs { texts }
    }

    /// Panics listing every place where a secret (in any form) or a signature shows.
    #[track_caller]
    fn assert_free_of(&self, secrets: &[&str]) {
        let signature = regex::Regex::new(r"(?i)signature=[0-9a-f]{16,}").expect("regex");
        let mut leaks = Vec::new();
        for (name, text) in &self.texts {
            for secret in secrets {
                for form in forms(secret) {
                    for (n, line) in text.lines().enumerate() {
                        if line.contains(&form) {
                            leaks.push(format!("{name}:{}: `{form}` ({} chars of context hidden)", n + 1, line.len()));
                        }
                    }
                }
            }
            for (n, line) in text.lines().enumerate() {
                if signature.is_match(line) {
                    leaks.push(format!("{name}:{}: a request signature", n + 1));
                }
            }
        }
        assert!(leaks.is_empty(), "secrets leaked into the outputs:\n{}", leaks.join("\n"));
    }
}

/// The run arguments writing every report into `dir`.
fn run_args<'a>(url: &'a str, dir: &'a Path, filters: &[&'a str]) -> Vec<String> {
    let p = |name: &str| dir.join(name).to_str().expect("utf-8 path").to_owned();
    let mut args: Vec<String> =
        ["run", "--endpoint", url, "--project-id", PROJECT].iter().map(|s| s.to_string()).collect();
    for f in filters {
        args.push("--filter".into());
        args.push(f.to_string());
    }
    for (flag, file) in [
        ("--json", "report.json"),
        ("--junit", "report.xml"),
        ("--report-md", "report.md"),
        ("--ledger", "ledger.jsonl"),
        ("--snapshots", "snapshots"),
    ] {
        args.push(flag.into());
        args.push(p(file));
    }
    args
}

/// A temporary directory holding a copy of the repository's snapshots.
fn workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&repo().join("snapshots"), &dir.path().join("snapshots"));
    dir
}

const LOG: &str = "debug,sdrs_conformance=trace";
const BOUND: Duration = Duration::from_secs(300);

#[test]
fn an_aksk_run_with_debug_logs_and_every_report_leaks_neither_ak_nor_sk() {
    let mut serve = Serve::start_with_env(&["--ak", AK, "--sk", SK], &[("RUST_LOG", LOG)]);
    let dir = workdir();
    let args = run_args(&serve.url, dir.path(), &["showProtectionGroup", "createProtectionGroup"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run_cli(&args, &[("HW_ACCESS_KEY", AK), ("HW_SECRET_KEY", SK), ("RUST_LOG", LOG)], BOUND);
    assert!(out.stderr.contains("request"), "the debug log is missing, the search would prove nothing\n{out}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).expect("json"))
            .expect("valid JSON");
    assert_eq!(report["target"]["auth"], "aksk", "the run did not sign its requests");
    assert!(report["summary"]["passed"].as_u64().unwrap_or(0) > 10, "{}", report["summary"]);
    // Leaks first: they matter whatever the outcome of the run.
    Outputs::collect(&out, &mut serve, dir.path()).assert_free_of(&[AK, SK]);
    out.expect_code(0);
}

#[test]
fn an_aksk_run_with_a_wrong_secret_key_leaks_neither_key_in_its_failure_messages() {
    let wrong_sk = "SKWRONGMARKER55667788";
    let mut serve = Serve::start_with_env(&["--ak", AK, "--sk", SK], &[("RUST_LOG", LOG)]);
    let dir = workdir();
    let args = run_args(&serve.url, dir.path(), &["createProtectionGroup"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run_cli(&args, &[("HW_ACCESS_KEY", AK), ("HW_SECRET_KEY", wrong_sk), ("RUST_LOG", LOG)], BOUND);
    let report = std::fs::read_to_string(dir.path().join("report.json")).expect("json");
    assert!(report.contains("401"), "the report does not show the 401 answers, the search would prove little\n{out}");
    Outputs::collect(&out, &mut serve, dir.path()).assert_free_of(&[AK, SK, wrong_sk]);
    out.expect_code(1);
}

#[test]
fn a_token_run_with_debug_logs_and_every_report_leaks_no_token() {
    let mut serve = Serve::start_with_env(&["--token", TOKEN], &[("RUST_LOG", LOG)]);
    let dir = workdir();
    let args = run_args(&serve.url, dir.path(), &["showProtectionGroup", "createProtectionGroup"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run_cli(&args, &[("HW_AUTH_TOKEN", TOKEN), ("RUST_LOG", LOG)], BOUND);
    assert!(out.stderr.contains("request"), "the debug log is missing, the search would prove nothing\n{out}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).expect("json"))
            .expect("valid JSON");
    assert_eq!(report["target"]["auth"], "token");
    assert!(report["summary"]["passed"].as_u64().unwrap_or(0) > 10, "{}", report["summary"]);
    Outputs::collect(&out, &mut serve, dir.path()).assert_free_of(&[TOKEN]);
    out.expect_code(0);
}

#[test]
fn the_secret_search_finds_a_secret_raw_percent_encoded_in_either_case_and_a_signature() {
    let encoded = forms(TOKEN);
    assert_eq!(encoded.len(), 3, "{encoded:?}");
    let mut probes: Vec<String> = encoded.iter().map(|f| format!("header: {f};")).collect();
    probes.push("Authorization: SDK-HMAC-SHA256 Access=x, SignedHeaders=host, Signature=0123456789abcdef0123".into());
    for probe in probes {
        let outputs = Outputs { texts: vec![("probe".into(), probe.clone())] };
        let caught = std::panic::catch_unwind(|| outputs.assert_free_of(&[TOKEN])).is_err();
        assert!(caught, "the search missed: {probe}");
    }
}

#[test]
fn the_evidence_of_failures_and_every_exchange_in_har_leak_no_token() {
    let mut serve = Serve::start_with_env(&["--token", TOKEN, "--fault", "non-json-body"], &[("RUST_LOG", LOG)]);
    let dir = workdir();
    let mut args = run_args(&serve.url, dir.path(), &["showQuotas", "showProtectionGroup/positive"]);
    let har = dir.path().join("all.har");
    args.extend(["--har".to_owned(), har.to_str().expect("utf-8 path").to_owned(), "--har-all".to_owned()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run_cli(&args, &[("HW_AUTH_TOKEN", TOKEN), ("RUST_LOG", LOG)], BOUND);
    let report = std::fs::read_to_string(dir.path().join("report.json")).expect("json");
    // The search proves something only if the evidence, the curl line and the HAR are there.
    assert!(report.contains("\"evidence\"") && report.contains("$HW_AUTH_TOKEN"), "no evidence in the report\n{out}");
    assert!(out.stdout.contains("    curl: curl "), "no curl line\n{out}");
    let har_text = std::fs::read_to_string(&har).expect("the HAR file was not written");
    assert!(har_text.matches("\"startedDateTime\"").count() > 10, "the HAR holds too few exchanges");
    let mut outputs = Outputs::collect(&out, &mut serve, dir.path());
    outputs.texts.push(("all.har".into(), har_text));
    outputs.assert_free_of(&[TOKEN]);
    out.expect_code(1);
}

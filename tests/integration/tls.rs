//! Networks: a run against an HTTPS endpoint whose certificate comes from a CA the test makes
//! (rcgen), served by a TLS front (tokio-rustls) that forwards to the embedded emulator on plain
//! HTTP; `--ca-cert`, `SSL_CERT_FILE`, `--insecure`, a certificate problem stopping the run at
//! the preflight, and `HTTPS_PROXY` / `NO_PROXY` through a counting CONNECT proxy.

use crate::common::{self, Output, PROJECT};
use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};
use sdrs_conformance::emulator::{Emulator, EmulatorConfig};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;

/// Any token of 16 or more characters is accepted by the default emulator.
const TOKEN: &str = "tls-test-token-0123456789";

/// A few quick cases that pass against the emulator.
const FILTER: &str = "showQuotas";

/// Variables that would decide trust from the caller's environment (`common::command` already
/// removes the proxy variables).
const NETWORK_ENV: &[&str] = &["SSL_CERT_FILE", "SSL_CERT_DIR"];

/// A CA and a leaf it signed for `127.0.0.1` and `localhost`, written as PEM files.
struct Pki {
    dir: tempfile::TempDir,
    leaf_der: Vec<u8>,
    leaf_key_der: Vec<u8>,
}

impl Pki {
    fn new() -> Pki {
        Pki::for_names(&["127.0.0.1", "localhost"])
    }

    /// A leaf valid for `names` only.
    fn for_names(names: &[&str]) -> Pki {
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name.push(DnType::CommonName, "sdrs-conformance test CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
        let leaf_key = KeyPair::generate().expect("leaf key");
        let mut leaf = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).expect("params");
        leaf.distinguished_name.push(DnType::CommonName, "sdrs staging");
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let leaf_cert = leaf.signed_by(&leaf_key, &ca_cert, &ca_key).expect("leaf certificate");
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("ca.pem"), ca_cert.pem()).expect("write the CA");
        Pki { dir, leaf_der: leaf_cert.der().to_vec(), leaf_key_der: leaf_key.serialize_der() }
    }

    fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// The embedded emulator behind a TLS front on its own loopback port; counts handshakes.
struct Front {
    url: String,
    port: u16,
    handshakes: Arc<AtomicUsize>,
    _emulator: Emulator,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Front {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn front(pki: &Pki) -> Front {
    let emulator = Emulator::start(EmulatorConfig::default()).await.expect("emulator");
    let upstream = emulator.address();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![pki.leaf_der.clone().into()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(pki.leaf_key_der.clone().into()),
        )
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let handshakes = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&handshakes);
    let task = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                // A client that refuses our certificate ends the handshake: nothing to forward.
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let Ok(mut plain) = TcpStream::connect(upstream).await else { return };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    Front { url: format!("https://127.0.0.1:{port}"), port, handshakes, _emulator: emulator, task }
}

/// A CONNECT proxy on loopback that records each request line and tunnels to loopback only.
struct Proxy {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn proxy() -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://127.0.0.1:{}", listener.local_addr().expect("address").port());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&requests);
    let task = tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
                    match client.read(&mut byte).await {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let text = String::from_utf8_lossy(&head).into_owned();
                let line = text.lines().next().unwrap_or_default().to_owned();
                seen.lock().expect("poisoned").push(line.clone());
                let mut words = line.split(' ');
                let (method, authority) = (words.next().unwrap_or_default(), words.next().unwrap_or_default());
                // Only loopback: the test never sends traffic off this machine.
                if method != "CONNECT" || !authority.starts_with("127.0.0.1:") {
                    let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n").await;
                    return;
                }
                let Ok(mut upstream) = TcpStream::connect(authority).await else { return };
                if client.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n").await.is_err() {
                    return;
                }
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    Proxy { url, requests, task }
}

/// `run` against `url` with `extra` arguments and `env`, the caller's network settings removed.
async fn run(url: &str, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args: Vec<String> =
        ["run", "--endpoint", url, "--project-id", PROJECT, "--token", TOKEN].iter().map(|s| s.to_string()).collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    tokio::task::spawn_blocking(move || {
        let mut cmd = common::command(&args.iter().map(String::as_str).collect::<Vec<_>>());
        for name in NETWORK_ENV {
            cmd.env_remove(name);
        }
        for (k, v) in &env {
            cmd.env(k, v);
        }
        common::Proc::spawn("sdrs-conformance run", cmd).finish(Duration::from_secs(300))
    })
    .await
    .expect("join")
}

fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("the JSON report parses")
}

#[track_caller]
fn passed_some(out: &Output) {
    out.expect_code(0);
    let t = common::totals(out);
    assert!(t.passed > 0 && t.failed == 0, "{t:?}\n{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_ca_cert_the_cases_pass_and_the_report_names_the_ca_file() {
    let pki = Pki::new();
    let front = front(&pki).await;
    let report = pki.path("report.json");
    let ca = pki.ca();
    let out = run(
        &front.url,
        &["--filter", FILTER, "--ca-cert", ca.to_str().unwrap(), "--json", report.to_str().unwrap()],
        &[],
    )
    .await;
    passed_some(&out);
    assert!(!out.stdout.contains("NOT verified"), "{out}");
    let target = &json(&report)["target"];
    assert_eq!(target["ca_certs"], serde_json::json!([ca.display().to_string()]), "{target}");
    assert!(target.get("insecure").is_none(), "{target}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_ca_the_whole_run_stops_at_the_preflight_with_exit_2_naming_the_certificate() {
    let pki = Pki::new();
    let front = front(&pki).await;
    let report = pki.path("report.json");
    // The whole suite is selected: it must not be tried case by case.
    let out = run(&front.url, &["--json", report.to_str().unwrap()], &[]).await;
    out.expect_code(2);
    let expected = format!(
        "TLS: the certificate of https://127.0.0.1:{} is not trusted (UnknownIssuer); pass --ca-cert PATH or --insecure",
        front.port
    );
    assert!(out.stderr.contains(&expected), "{out}");
    assert!(common::failure_lines(&out).is_empty(), "{out}");
    assert_eq!(front.handshakes.load(Ordering::SeqCst), 1, "only the preflight connected\n{out}");
    assert!(!report.exists(), "no report of cases that were never run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_for_another_name_exits_2_naming_the_mismatch_even_with_its_ca() {
    let pki = Pki::for_names(&["localhost"]);
    let front = front(&pki).await;
    let ca = pki.ca();
    let out = run(&front.url, &["--ca-cert", ca.to_str().unwrap()], &[]).await;
    out.expect_code(2);
    let expected = format!("TLS: the certificate of {} is refused (NotValidForName: ", front.url);
    assert!(out.stderr.contains(&expected), "{out}");
    assert!(common::failure_lines(&out).is_empty(), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_url_to_a_plain_http_server_exits_2_saying_the_handshake_failed() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.expect("emulator");
    let url = format!("https://{}", emulator.address());
    let out = run(&url, &[], &[]).await;
    out.expect_code(2);
    assert!(out.stderr.contains(&format!("TLS: the handshake with {url} failed (")), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssl_cert_file_is_honoured_as_the_systems_roots() {
    let pki = Pki::new();
    let front = front(&pki).await;
    let ca = pki.ca();
    let out = run(&front.url, &["--filter", FILTER], &[("SSL_CERT_FILE", ca.to_str().unwrap())]).await;
    passed_some(&out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_insecure_the_cases_pass_and_every_report_says_certificates_were_not_verified() {
    let pki = Pki::new();
    let front = front(&pki).await;
    let (report, junit, md) = (pki.path("r.json"), pki.path("r.xml"), pki.path("r.md"));
    let out = run(
        &front.url,
        &[
            "--filter",
            FILTER,
            "--insecure",
            "--json",
            report.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
            "--report-md",
            md.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    passed_some(&out);
    let header = format!("warning: --insecure: the TLS certificate of {} is not verified", front.url);
    assert!(out.stdout.lines().next().is_some_and(|l| l.starts_with(&header)), "{out}");
    assert!(out.stdout.contains("TLS certificates NOT verified (--insecure)"), "{out}");
    assert_eq!(json(&report)["target"]["insecure"], true);
    let xml = std::fs::read_to_string(&junit).expect("JUnit");
    assert!(xml.contains(r#"<property name="target.insecure" value="true"/>"#), "{xml}");
    let text = std::fs::read_to_string(&md).expect("markdown");
    assert!(text.contains("- TLS: certificates **not verified** (`--insecure`)"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_malformed_ca_file_exits_2_naming_the_file() {
    let pki = Pki::new();
    let front = front(&pki).await;
    let missing = pki.path("missing.pem");
    let out = run(&front.url, &["--filter", FILTER, "--ca-cert", missing.to_str().unwrap()], &[]).await;
    out.expect_code(2);
    assert!(out.stderr.contains(&format!("--ca-cert {}: cannot read the file", missing.display())), "{out}");
    let broken = pki.path("broken.pem");
    std::fs::write(&broken, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n")
        .expect("write");
    let out = run(&front.url, &["--filter", FILTER, "--ca-cert", broken.to_str().unwrap()], &[]).await;
    out.expect_code(2);
    assert!(
        out.stderr.contains(&format!("--ca-cert {}: certificate 1 is not a valid X.509 certificate", broken.display())),
        "{out}"
    );
    assert_eq!(front.handshakes.load(Ordering::SeqCst), 0, "nothing was sent\n{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_proxy_carries_the_requests_and_the_reports_name_it() {
    let pki = Pki::new();
    let front = front(&pki).await;
    let proxy = proxy().await;
    let (ca, report) = (pki.ca(), pki.path("r.json"));
    let out = run(
        &front.url,
        &["--filter", FILTER, "--ca-cert", ca.to_str().unwrap(), "--json", report.to_str().unwrap()],
        &[("HTTPS_PROXY", &proxy.url)],
    )
    .await;
    passed_some(&out);
    let requests = proxy.requests.lock().expect("poisoned").clone();
    assert!(!requests.is_empty(), "{out}");
    assert!(requests.iter().all(|r| r == &format!("CONNECT 127.0.0.1:{} HTTP/1.1", front.port)), "{requests:?}");
    assert!(out.stdout.contains(&format!("go through {}", proxy.url)), "{out}");
    assert_eq!(json(&report)["target"]["proxy"], proxy.url.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_proxy_sends_the_requests_direct() {
    let pki = Pki::new();
    let front = front(&pki).await;
    let proxy = proxy().await;
    let ca = pki.ca();
    let out = run(
        &front.url,
        &["--filter", FILTER, "--ca-cert", ca.to_str().unwrap()],
        &[("https_proxy", &proxy.url), ("no_proxy", "localhost,127.0.0.1")],
    )
    .await;
    passed_some(&out);
    assert!(proxy.requests.lock().expect("poisoned").is_empty(), "{out}");
    assert!(!out.stdout.contains("proxy"), "{out}");
    assert!(front.handshakes.load(Ordering::SeqCst) > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_emulator_is_never_reached_through_a_proxy() {
    let proxy = proxy().await;
    let env: Vec<(String, String)> =
        ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"].iter().map(|k| (k.to_string(), proxy.url.clone())).collect();
    let out = tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        common::run_cli(&["run", "--filter", FILTER], &env, Duration::from_secs(300))
    })
    .await
    .expect("join");
    passed_some(&out);
    assert!(proxy.requests.lock().expect("poisoned").is_empty(), "{out}");
}

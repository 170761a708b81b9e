//! `--coverage` and `--report-html`: the coverage JSON of a run has five sections whose counts
//! agree with their lists, the markdown report gets its Coverage section, and the HTML report
//! renders in headless Chromium without a script error, with response bodies shown as text and
//! markup from a recording never run.
//!
//! Chromium is found at `/usr/bin/chromium`; without it the browser tests are skipped with a loud
//! message, unless `CI` is set (`.ci/run` installs it), where its absence fails them.

use crate::common::{command, run_cli, Output, Proc};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;

const QUICK: Duration = Duration::from_secs(300);
const BROWSER: Duration = Duration::from_secs(120);
const SECTIONS: [&str; 5] = ["operations", "statuses", "error_codes", "transitions", "refusals"];

/// The Chromium binary, or `None` (after saying so loudly) when it is absent outside CI.
fn chromium() -> Option<PathBuf> {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].into_iter().map(PathBuf::from).find(|p| p.exists());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but Chromium is missing: .ci/run installs the Debian `chromium` package"
        );
        eprintln!("\n!!! SKIPPED: no Chromium at /usr/bin/chromium; the HTML report was not rendered (apt-get install chromium) !!!\n");
    }
    found
}

/// Opens `page` in headless Chromium with `mode` (`--dump-dom` or `--screenshot=PATH`).
fn browse(chromium: &Path, page: &Path, profile: &Path, mode: &str) -> Output {
    let mut cmd = std::process::Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1280,2000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .arg(mode)
    .arg(format!("file://{}", page.display()))
    .stdin(std::process::Stdio::null());
    let out = Proc::spawn("chromium", cmd).finish(BROWSER);
    out.expect_code(0);
    out
}

/// The page's DOM after its script ran, asserting the script finished without an error and the
/// console shows none.
fn rendered_dom(chromium: &Path, page: &Path, dir: &Path) -> String {
    let out = browse(chromium, page, &dir.join("profile-dom"), "--dump-dom");
    let dom = out.stdout.clone();
    assert!(!dom.contains("data-render-error="), "the page's script failed: {}", out.all());
    assert!(dom.contains("data-render=\"done:"), "the page's script did not finish: {}", out.all());
    for bad in ["Uncaught", "Refused to"] {
        assert!(!out.stderr.contains(bad), "console: {bad}\n{}", out.stderr);
    }
    dom
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", path.display()))
}

/// Every section is there, and documented = observed + len(unobserved), each with a known reason.
fn assert_consistent(coverage: &Value) {
    for name in SECTIONS {
        let s = &coverage[name];
        let documented = s["documented"].as_u64().unwrap_or_else(|| panic!("{name}: {s}"));
        let observed = s["observed"].as_u64().unwrap();
        let unobserved = s["unobserved"].as_array().unwrap();
        assert_eq!(documented, observed + unobserved.len() as u64, "{name}");
        for u in unobserved {
            let why = u["why"].as_str().unwrap();
            assert!(
                ["unreachable by design", "missing from the world or profile", "not tested yet"].contains(&why),
                "{name}: {u}"
            );
        }
    }
}

#[test]
fn a_run_writes_coverage_markdown_and_an_html_report_that_renders_with_its_failures() {
    let dir = tempfile::tempdir().unwrap();
    let (cov, md, html) = (dir.path().join("c.json"), dir.path().join("r.md"), dir.path().join("r.html"));
    let out = run_cli(
        &[
            "run",
            "--filter",
            "showQuotas/positive",
            "--filter",
            "failoverProtectionGroup/precondition/available",
            "--fault",
            "non-json-body",
            "--coverage",
            cov.to_str().unwrap(),
            "--report-md",
            md.to_str().unwrap(),
            "--report-html",
            html.to_str().unwrap(),
        ],
        &[],
        QUICK,
    );
    out.expect_code(1);
    assert!(out.stdout.contains("coverage: operations "), "{}", out.all());
    let coverage = read_json(&cov);
    assert_consistent(&coverage);
    assert_eq!(coverage["error_codes"]["documented"], 256);
    let seen =
        |section: &str, id: &str| !coverage[section]["unobserved"].as_array().unwrap().iter().any(|u| u["id"] == id);
    assert!(seen("operations", "showQuotas"));
    assert!(!seen("operations", "startDisasterRecovery"));
    assert!(seen("statuses", "showQuotas 200"));
    // The jobs' polls are successive reads of one job.
    assert!(coverage["transitions"]["observed"].as_u64().unwrap() > 0, "{}", coverage["transitions"]);
    assert!(seen("refusals", "failover: server_group available"));
    assert!(!seen("refusals", "failover: server_group deleting"));
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(md.contains("## Coverage\n\n| section | documented | observed |"), "{md}");
    assert!(md.contains("<details><summary>error_codes: "), "{md}");

    let Some(chromium) = chromium() else { return };
    let dom = rendered_dom(&chromium, &html, dir.path());
    // The emulator's HTML body is shown as text in the failure's exchange.
    assert!(dom.contains("&lt;!DOCTYPE html&gt;"), "{dom}");
    assert!(dom.contains("showQuotas/positive"));
    assert!(dom.contains("reproduce"));
    let shot = dir.path().join("r.png");
    browse(&chromium, &html, &dir.path().join("profile-png"), &format!("--screenshot={}", shot.display()));
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "a screenshot of {} bytes", png.len());
}

#[test]
fn markup_in_a_recorded_answer_never_runs_in_the_html_report() {
    let dir = tempfile::tempdir().unwrap();
    let body = "<script>document.body.dataset.injected='script'</script>\
                <img src=x onerror=\"document.body.dataset.injected='img'\">";
    let har = json!({"log": {"version": "1.2", "entries": [{
        "request": {"method": "GET", "url": "https://sdrs.example.com/v1/p/sdrs/quotas", "headers": []},
        "response": {"status": 200, "headers": [{"name": "Content-Type", "value": "text/html"}],
                     "content": {"mimeType": "text/html", "text": body}}
    }]}});
    let (file, html, cov) = (dir.path().join("t.har"), dir.path().join("t.html"), dir.path().join("t.json"));
    std::fs::write(&file, har.to_string()).unwrap();
    let out = command(&[
        "check-traffic",
        file.to_str().unwrap(),
        "--report-html",
        html.to_str().unwrap(),
        "--coverage",
        cov.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    let coverage = read_json(&cov);
    assert_consistent(&coverage);
    assert_eq!(coverage["operations"]["observed"], 1);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(!page.contains("<script>document"), "unescaped body in the page");

    let Some(chromium) = chromium() else { return };
    let dom = rendered_dom(&chromium, &html, dir.path());
    assert!(!dom.contains("data-injected"), "the recorded markup ran: {dom}");
    assert!(dom.contains("&lt;script&gt;document.body.dataset.injected"), "{dom}");
}

#[test]
fn merge_writes_the_html_report_of_the_merged_partitions() {
    let dir = tempfile::tempdir().unwrap();
    let mut parts = Vec::new();
    for i in 1..=2 {
        let json = dir.path().join(format!("p{i}.json"));
        let partition = format!("{i}/2");
        let out = run_cli(
            &["run", "--filter", "showQuotas", "--partition", &partition, "--json", json.to_str().unwrap()],
            &[],
            QUICK,
        );
        assert_eq!(out.status.code(), Some(0), "{out}");
        parts.push(json);
    }
    let html = dir.path().join("m.html");
    let mut args = vec!["merge", "--report-html", html.to_str().unwrap()];
    args.extend(parts.iter().map(|p| p.to_str().unwrap()));
    let out = run_cli(&args, &[], QUICK);
    assert_eq!(out.status.code(), Some(0), "{out}");
    let page = std::fs::read_to_string(&html).expect("merge wrote the HTML report");
    assert!(page.contains("<h1>SDRS conformance report</h1>") && page.contains("showQuotas"), "{page}");
}

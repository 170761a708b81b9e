//! `proxy`: forwards any client's traffic to an upstream and judges it live, a line per exchange;
//! on SIGINT or SIGTERM it judges the jobs and resources across the traffic, writes the same
//! reports as `check-traffic`, and exits 0 when nothing failed, 1 otherwise.

use super::args::ProxyArgs;
use super::{exit, CliError};
use crate::checks::CheckOutcome;
use crate::client::Secret;
use crate::proxy::{self, Judged, KeyPair, Proxy, ProxyConfig, ProxyEvent};
use crate::report::{self, CaseOutcome, CaseReport, ConsoleReporter};
use crate::traffic::KIND_UNMATCHED;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

/// How long the start-up probe of the upstream may take; its result is only a note.
const PROBE: Duration = Duration::from_secs(2);

/// Runs the proxy until stopped; the exit status follows the judged traffic.
pub(super) async fn proxy(args: ProxyArgs) -> Result<i32, CliError> {
    let upstream = proxy::upstream_url(&args.upstream)?;
    let key_pair = match (&args.ak, &args.sk) {
        (Some(ak), Some(sk)) => Some(KeyPair { access_key: Secret::new(ak), secret_key: Secret::new(sk) }),
        (None, None) => None,
        _ => return Err(CliError::usage("--ak and --sk go together (or HW_ACCESS_KEY and HW_SECRET_KEY)")),
    };
    let signed = key_pair.is_some();
    // Installed before the address is printed: a client may stop the proxy right after reading it.
    let mut stop = StopSignals::install()?;
    let requested = SocketAddr::new(args.bind, args.port);
    let listener = TcpListener::bind(requested).map_err(CliError::io(format!("cannot listen on {requested}")))?;
    let config = ProxyConfig {
        upstream: upstream.clone(),
        key_pair,
        strict: args.strict,
        timeout: Duration::from_secs(args.timeout.max(1)),
        on_event: Some(Arc::new(print_event)),
    };
    let proxy = Proxy::start(listener, config).await?;
    outln!("listening on http://{}", proxy.address());
    outln!("  upstream      {}", upstream.as_str().trim_end_matches('/'));
    outln!(
        "  signatures    {}",
        if signed {
            "SDK-HMAC-SHA256 verified with the key pair, then made again for the upstream"
        } else {
            "passed through unchanged (give --ak and --sk to verify them and sign again)"
        }
    );
    outln!("  stop with     Ctrl-C or SIGTERM; the reports are written then");
    if let Some(why) = probe(&upstream).await {
        errln!("note: the upstream does not answer yet ({why}); requests get 502 until it does");
    }
    let signal = stop.wait().await;
    errln!("{signal}: stopping; judging the jobs and resources across {} exchange(s)", proxy.exchanges());
    let judged = proxy.finish().await;
    write_outputs(&args, &judged)?;
    print_end(&judged);
    Ok(exit::of_summary(&judged.report.summary))
}

/// Writes every file asked for from the judged traffic: the reports `check-traffic` writes and
/// the HAR of every exchange. Writers that need the exchanges too (coverage, the HTML report)
/// belong here, reading `judged.exchanges`.
fn write_outputs(args: &ProxyArgs, judged: &Judged) -> Result<(), CliError> {
    let coverage = args
        .reports
        .wants_coverage()
        .then(|| crate::coverage::of_exchanges(crate::spec::Specs::embedded(), &judged.observed));
    args.reports.write_with(&judged.report, coverage.as_ref())?;
    if let Some(path) = &args.har {
        let entries: Vec<report::HarEntry<'_>> =
            judged.exchanges.iter().map(|x| report::HarEntry { case: &x.case, exchange: &x.exchange }).collect();
        report::write_har(&entries, path)
            .map_err(CliError::io(format!("cannot write the HAR file {}", path.display())))?;
    }
    Ok(())
}

/// The cases judged at the end (jobs, resources), the exchanges of no documented operation,
/// then the summary.
fn print_end(judged: &Judged) {
    let report = &judged.report;
    let live: std::collections::HashSet<&str> = judged.exchanges.iter().map(|x| x.case.as_str()).collect();
    for case in report.cases.iter().filter(|c| !live.contains(c.id.as_str())) {
        outln!("{}", verdict_line(case));
    }
    let unmatched: Vec<&CaseReport> = report.cases.iter().filter(|c| c.kind == KIND_UNMATCHED).collect();
    if !unmatched.is_empty() {
        outln!("{} exchange(s) match no documented operation (skipped):", unmatched.len());
        for c in &unmatched {
            outln!("  {} {}", c.id, c.reason.as_deref().unwrap_or(""));
        }
    }
    if judged.exchanges.is_empty() {
        outln!("no exchange went through the proxy");
    }
    outln!("{}", ConsoleReporter::summary(report));
}

fn print_event(event: ProxyEvent) {
    match event {
        ProxyEvent::Judged { case, request, status } => {
            let answer = status.map_or_else(|| "no answer, 502 to the client".to_owned(), |s| s.to_string());
            outln!("{} ({request} -> {answer})", verdict_line(&case));
        }
        ProxyEvent::Refused { request, status, reason } => outln!("REFUSED {request} -> {status}: {reason}"),
        ProxyEvent::Notice(text) => errln!("note: {text}"),
    }
}

/// `PASS id`, `FAIL id [check] title`, `WARN id [check] title`, `SKIP id reason`, `ERROR id reason`.
fn verdict_line(case: &CaseReport) -> String {
    if let Some(line) = ConsoleReporter::case_line(case) {
        return line;
    }
    let first_line = |text: &str| text.lines().next().unwrap_or("").to_owned();
    match case.outcome {
        CaseOutcome::Warned => match case.checks_with(CheckOutcome::Warned).next() {
            Some(check) => format!("WARN {} [{}] {}", case.id, check.name, check.title()),
            None => format!("WARN {}", case.id),
        },
        CaseOutcome::Skipped => format!("SKIP {} {}", case.id, first_line(case.reason.as_deref().unwrap_or(""))),
        CaseOutcome::ExpectedFail => format!("XFAIL {}", case.id),
        _ => format!("PASS {}", case.id),
    }
}

/// Why the upstream cannot be reached right now, if it cannot (a TCP connection, nothing sent).
async fn probe(upstream: &reqwest::Url) -> Option<String> {
    let host = upstream.host_str()?.trim_start_matches('[').trim_end_matches(']').to_owned();
    let port = upstream.port_or_known_default()?;
    match tokio::time::timeout(PROBE, tokio::net::TcpStream::connect((host.as_str(), port))).await {
        Ok(Ok(_)) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some(format!("no connection within {PROBE:?}")),
    }
}

/// SIGINT and SIGTERM, listened for from the start.
struct StopSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn install() -> Result<StopSignals, CliError> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let listen =
                |kind: SignalKind, name: &str| signal(kind).map_err(CliError::io(format!("cannot listen for {name}")));
            Ok(StopSignals {
                interrupt: listen(SignalKind::interrupt(), "SIGINT")?,
                terminate: listen(SignalKind::terminate(), "SIGTERM")?,
            })
        }
        #[cfg(not(unix))]
        Ok(StopSignals {})
    }

    /// Waits for the first of them; returns its name.
    async fn wait(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => "SIGINT",
                _ = self.terminate.recv() => "SIGTERM",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

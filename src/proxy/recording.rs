//! What the proxy saw, as the HAR model `check-traffic` judges ([`Entry`]), and the reports it
//! turns into: each exchange judged when it completes, the whole traffic when the proxy stops.
//! An exchange the upstream did not answer is a harness error: there was nothing to judge.

use super::forward::Answer;
use crate::checks::CheckContext;
use crate::client::tape;
use crate::report::{self, CaseOutcome, CaseReport, ExchangeReport, RunReport, Scrubber};
use crate::traffic::{Content, Entry, Header, Live, PostData, Request, Response};
use base64::Engine as _;
use std::time::{Duration, SystemTime};

/// One exchange forwarded, before it is judged.
#[derive(Debug, Clone)]
pub struct Forwarded {
    /// When the request arrived.
    pub started: SystemTime,
    /// From arrival to the end of the answer.
    pub elapsed: Duration,
    /// Method as sent.
    pub method: String,
    /// The upstream URL the request went to.
    pub url: String,
    /// The headers sent upstream, credentials included (they are redacted and scrubbed later).
    pub headers: Vec<(String, String)>,
    /// The request body.
    pub body: Vec<u8>,
    /// The answer, or why none came.
    pub answer: Result<Answer, String>,
}

/// The judged traffic: the report, and every exchange with the id of its case (for HAR files
/// and whatever else reads exchanges: coverage, the HTML report).
#[derive(Debug, Clone)]
pub struct Judged {
    /// Every case: one per exchange, per job and per resource.
    pub report: RunReport,
    /// Every exchange, in order of arrival, with its case id; credentials redacted.
    pub exchanges: Vec<JudgedExchange>,
}

/// One exchange of the traffic.
#[derive(Debug, Clone)]
pub struct JudgedExchange {
    /// The id of the exchange's own case.
    pub case: String,
    /// The exchange, as the JSON report keeps evidence.
    pub exchange: ExchangeReport,
}

/// The traffic so far.
#[derive(Debug)]
pub struct Recording {
    live: Live<'static>,
    exchanges: Vec<JudgedExchange>,
    /// The cases of exchanges the upstream did not answer, with why.
    errors: Vec<(String, String)>,
}

impl Recording {
    /// An empty recording judged against the embedded specs.
    pub fn new() -> Recording {
        Recording { live: Live::new(crate::spec::Specs::embedded()), exchanges: Vec::new(), errors: Vec::new() }
    }

    /// Judges one exchange and keeps it; returns its case. `secrets` (the proxy's key pair) are
    /// scrubbed from it, as the credentials the exchange carries are.
    pub fn push(&mut self, ctx: &CheckContext, forwarded: Forwarded, secrets: &[&str]) -> CaseReport {
        let entry = entry(&forwarded);
        let mut case = self.live.push(ctx, entry.clone());
        let exchange = entry.to_exchange(&case.operation);
        let recorded =
            tape::Recorded { started: forwarded.started, case: case.id.clone(), step: String::new(), exchange };
        let mut exchange = ExchangeReport::of(&recorded, "");
        // The exchange's path is the upstream's path; its URL is the upstream's whole URL.
        exchange.request.url = forwarded.url.clone();
        if let Err(why) = &forwarded.answer {
            let reason = format!("{}: the upstream did not answer: {why}", exchange.request_line());
            mark_error(&mut case, &reason);
            self.errors.push((case.id.clone(), reason));
        }
        let mut all: Vec<String> = entry.secrets();
        all.extend(secrets.iter().map(|s| (*s).to_owned()));
        let scrubber = Scrubber::new(&all.iter().map(String::as_str).collect::<Vec<_>>());
        for text in exchange.texts_mut() {
            *text = scrubber.scrub(text);
        }
        if is_failing(&case) {
            case.evidence = vec![exchange.clone()];
        }
        let mut one = RunReport { cases: vec![case], ..RunReport::default() };
        report::scrub_report(&mut one, secrets);
        let case = one.cases.pop().expect("the case just put in");
        self.exchanges.push(JudgedExchange { case: case.id.clone(), exchange });
        case
    }

    /// How many exchanges were recorded.
    pub fn len(&self) -> usize {
        self.exchanges.len()
    }

    /// Judges the whole traffic: jobs and resources across exchanges, each exchange again (the
    /// same verdicts as when it came), errors and evidence kept, `secrets` scrubbed. `source`
    /// names the traffic (run id), `upstream` the target; `lifetime` is the run's duration.
    pub fn finish(
        self,
        ctx: &CheckContext,
        source: &str,
        upstream: &str,
        lifetime: Duration,
        secrets: &[&str],
    ) -> Judged {
        let mut report = self.live.finish(ctx, source);
        for case in &mut report.cases {
            if let Some((_, reason)) = self.errors.iter().find(|(id, _)| *id == case.id) {
                mark_error(case, reason);
            }
            if is_failing(case) {
                if let Some(x) = self.exchanges.iter().find(|x| x.case == case.id) {
                    case.evidence = vec![x.exchange.clone()];
                }
            }
        }
        report.target.kind = "proxy".to_owned();
        report.target.mode = "live".to_owned();
        report.target.endpoint = upstream.to_owned();
        report.summarize(lifetime.as_millis() as u64);
        report::scrub_report(&mut report, secrets);
        Judged { report, exchanges: self.exchanges }
    }
}

impl Default for Recording {
    fn default() -> Recording {
        Recording::new()
    }
}

fn is_failing(case: &CaseReport) -> bool {
    matches!(case.outcome, CaseOutcome::Failed | CaseOutcome::Warned | CaseOutcome::Error)
}

/// The case of an exchange the upstream did not answer: the harness could not judge it.
fn mark_error(case: &mut CaseReport, reason: &str) {
    case.outcome = CaseOutcome::Error;
    case.reason = Some(reason.to_owned());
    case.checks.clear();
}

/// The HAR entry of one forwarded exchange (a body that is not UTF-8 is kept as base64).
fn entry(f: &Forwarded) -> Entry {
    let headers = |h: &[(String, String)]| -> Vec<Header> {
        h.iter().map(|(name, value)| Header { name: name.clone(), value: value.clone() }).collect()
    };
    let find = |h: &[(String, String)], name: &str| -> Option<String> {
        h.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone())
    };
    let post_data = (!f.body.is_empty()).then(|| PostData {
        mime_type: find(&f.headers, "content-type"),
        text: Some(String::from_utf8_lossy(&f.body).into_owned()),
    });
    let response = match &f.answer {
        Ok(answer) => {
            let received: Vec<(String, String)> = answer
                .headers
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .collect();
            let (text, encoding) = match std::str::from_utf8(&answer.body) {
                Ok(text) => (text.to_owned(), None),
                Err(_) => (base64::engine::general_purpose::STANDARD.encode(&answer.body), Some("base64".to_owned())),
            };
            Response {
                status: i64::from(answer.status),
                headers: headers(&received),
                content: Some(Content {
                    size: Some(answer.body.len() as i64),
                    mime_type: find(&received, "content-type"),
                    text: Some(text),
                    encoding,
                }),
            }
        }
        Err(_) => Response { status: 0, headers: Vec::new(), content: None },
    };
    Entry {
        started: Some(
            chrono::DateTime::<chrono::Utc>::from(f.started).to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        ),
        time: Some(f.elapsed.as_secs_f64() * 1000.0),
        request: Request { method: f.method.clone(), url: f.url.clone(), headers: headers(&f.headers), post_data },
        response,
    }
}

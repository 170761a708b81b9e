//! What the proxy saw, as the HAR model `check-traffic` judges ([`Entry`]), and the reports it
//! turns into: each exchange judged when it completes, the whole traffic when the proxy stops.
//! An exchange the upstream did not answer is a harness error: there was nothing to judge.

use super::forward::Answer;
use crate::checks::CheckContext;
use crate::client::tape;
use crate::outcome::{self, CaseOutcome, CaseReport, ExchangeReport, RunReport};
use crate::redact::Scrubber;
use crate::traffic::{Content, Entry, Header, Live, PostData, Request, Response};
use base64::Engine as _;
use std::time::{Duration, SystemTime};

/// One exchange forwarded, before it is judged.
#[derive(Debug, Clone)]
pub(super) struct Forwarded {
    /// When the request arrived.
    pub started: SystemTime,
    /// From arrival to the end of the answer.
    pub elapsed: Duration,
    /// Method as sent.
    pub method: String,
    /// The upstream URL the request went to.
    pub url: String,
    /// The path and query the client asked for: the API path, judged (a prefix of the upstream
    /// URL is not part of it).
    pub target: String,
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
    /// The same exchanges as the checks saw them, for the coverage of the contract (never written).
    pub observed: Vec<crate::exchange::Exchange>,
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
pub(super) struct Recording {
    live: Live<'static>,
    exchanges: Vec<JudgedExchange>,
    /// The cases of exchanges the upstream did not answer, with why.
    errors: Vec<(String, String)>,
}

impl Recording {
    /// An empty recording judged against the embedded specs.
    pub(super) fn new() -> Recording {
        Recording { live: Live::new(crate::spec::Specs::embedded()), exchanges: Vec::new(), errors: Vec::new() }
    }

    /// Judges one exchange and keeps it; returns its case. `secrets` (the proxy's key pair) are
    /// scrubbed from it, as the credentials the exchange carries are.
    pub(super) fn push(&mut self, ctx: &CheckContext, forwarded: Forwarded, secrets: &[&str]) -> CaseReport {
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
        outcome::scrub_report(&mut one, secrets);
        let case = one.cases.pop().expect("the case just put in");
        self.exchanges.push(JudgedExchange { case: case.id.clone(), exchange });
        case
    }

    /// How many exchanges were recorded.
    pub(super) fn len(&self) -> usize {
        self.exchanges.len()
    }

    /// Judges the whole traffic: jobs and resources across exchanges, each exchange again (the
    /// same verdicts as when it came), errors and evidence kept, `secrets` scrubbed. `source`
    /// names the traffic (run id), `upstream` the target; `lifetime` is the run's duration.
    pub(super) fn finish(
        self,
        ctx: &CheckContext,
        source: &str,
        upstream: &str,
        lifetime: Duration,
        secrets: &[&str],
    ) -> Judged {
        let observed = self.live.entries().iter().map(|e| e.to_exchange("")).collect();
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
        outcome::scrub_report(&mut report, secrets);
        Judged { report, exchanges: self.exchanges, observed }
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
        request: Request { method: f.method.clone(), url: api_url(f), headers: headers(&f.headers), post_data },
        response,
    }
}

/// The upstream's origin with the client's path and query: what the judge matches to operations.
fn api_url(f: &Forwarded) -> String {
    match reqwest::Url::parse(&f.url) {
        Ok(u) => format!("{}{}", u.origin().ascii_serialization(), f.target),
        Err(_) => f.target.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{SchemaSet, Specs};
    use bytes::Bytes;
    use reqwest::header::{HeaderName, HeaderValue};
    use std::sync::OnceLock;

    fn ctx() -> CheckContext<'static> {
        static SCHEMAS: OnceLock<SchemaSet> = OnceLock::new();
        let specs = Specs::embedded();
        CheckContext { specs, schemas: SCHEMAS.get_or_init(|| SchemaSet::new(specs)), strict: false }
    }

    fn forwarded(target: &str, answer: Result<(u16, &str, &[u8]), &str>) -> Forwarded {
        Forwarded {
            started: SystemTime::UNIX_EPOCH,
            elapsed: Duration::from_millis(3),
            method: "GET".into(),
            url: format!("https://gw.example.com/sdrs{target}"),
            target: target.into(),
            headers: vec![(
                "authorization".into(),
                "SDK-HMAC-SHA256 Access=RECORDINGAK01, SignedHeaders=host, Signature=abc".into(),
            )],
            body: Vec::new(),
            answer: answer.map_err(str::to_owned).map(|(status, content_type, body)| Answer {
                status,
                headers: vec![(HeaderName::from_static("content-type"), HeaderValue::from_str(content_type).unwrap())],
                body: Bytes::copy_from_slice(body),
            }),
        }
    }

    #[test]
    fn the_api_path_is_judged_even_behind_a_prefixed_upstream_and_the_har_keeps_the_whole_url() {
        let mut rec = Recording::new();
        let ok = forwarded(
            "/v1/p/server-groups?limit=1",
            Ok((200, "application/json", br#"{"server_groups":[],"count":0}"#)),
        );
        let case = rec.push(&ctx(), ok, &[]);
        assert_eq!(case.id, "traffic/listProtectionGroups#1");
        assert_eq!(case.outcome, CaseOutcome::Passed, "{case:?}");
        assert_eq!(rec.exchanges[0].exchange.request.url, "https://gw.example.com/sdrs/v1/p/server-groups?limit=1");
        let text = format!("{:?}", rec.exchanges[0]);
        assert!(!text.contains("RECORDINGAK01"), "{text}");
    }

    #[test]
    fn an_unanswered_request_is_a_harness_error_live_and_at_the_end() {
        let mut rec = Recording::new();
        let case = rec.push(&ctx(), forwarded("/v1/p/server-groups", Err("connection refused")), &[]);
        assert_eq!(case.outcome, CaseOutcome::Error);
        assert!(
            case.reason.as_deref().unwrap().contains("the upstream did not answer: connection refused"),
            "{case:?}"
        );
        let judged = rec.finish(&ctx(), "t", "https://gw.example.com/sdrs", Duration::ZERO, &[]);
        assert_eq!(judged.report.cases[0].outcome, CaseOutcome::Error);
        assert_eq!((judged.report.summary.failed, judged.report.summary.errored), (0, 1), "errors are counted apart");
        assert_eq!(judged.report.target.kind, "proxy");
    }

    #[test]
    fn a_failing_exchange_carries_its_evidence_and_the_proxy_secrets_are_scrubbed() {
        let mut rec = Recording::new();
        // An answer that echoes the proxy's secret key where the schema wants a list.
        let body = br#"{"server_groups":"proxy-secret-key-9","count":0}"#;
        let case = rec.push(
            &ctx(),
            forwarded("/v1/p/server-groups", Ok((200, "application/json", body))),
            &["proxy-secret-key-9"],
        );
        assert_eq!(case.outcome, CaseOutcome::Failed, "{case:?}");
        assert_eq!(case.evidence.len(), 1);
        let judged = rec.finish(&ctx(), "t", "u", Duration::ZERO, &["proxy-secret-key-9"]);
        let text = format!("{:?}{:?}", judged.report, judged.exchanges);
        assert!(!text.contains("proxy-secret-key-9") && text.contains("<redacted>"), "{text}");
        assert_eq!(judged.report.cases[0].evidence.len(), 1);
    }

    #[test]
    fn a_body_that_is_not_utf8_is_kept_whole_as_base64() {
        let f = forwarded("/", Ok((200, "application/octet-stream", &[0xff, 0xfe, 0x00])));
        let e = entry(&f);
        assert_eq!(e.response.content.as_ref().and_then(|c| c.encoding.as_deref()), Some("base64"));
        assert_eq!(e.body(), crate::traffic::Body::Kept(vec![0xff, 0xfe, 0x00]));
    }
}

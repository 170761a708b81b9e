//! Judges a recording: a case per exchange (the checks one answer supports), a case per job
//! (`job_protocol` over its submit answer and polls) and a case per resource
//! (`state_transition` over the statuses its show and list answers gave, in order).
//!
//! A recording is evidence of what one client happened to send, so a sequence it does not hold
//! (a job whose polls stop before the end, a job never polled) is not held against the target:
//! what the recording shows is judged, what it lacks is said in the case.

use super::har::{Body, Entry, Har};
use super::matching::{Matched, Matcher, Unmatched};
use crate::checks::{self, CheckContext, CheckName, CheckOutcome, CheckResult};
use crate::exchange::Exchange;
use crate::outcome::{CaseOutcome, CaseReport, CheckReport, RunReport, TargetInfo, FORMAT_VERSION};
use crate::spec::ResourceKind;
use crate::spec::{Action, EndState, Operation};
use serde_json::Value;
use std::time::Instant;

/// Prefix of every case id.
const PREFIX: &str = "traffic";
/// The state machine of jobs, whose show operation is polled.
const JOB_MACHINE: &str = "job";
/// `job_protocol`'s title for polls that stop before SUCCESS or FAIL: in a recording that only
/// says the client stopped polling, so it is not held against the target.
const UNFINISHED: &str = "the polls ended without showing SUCCESS or FAIL";
/// Case kinds, as written in the reports.
const KIND_EXCHANGE: &str = "recorded";
/// A job: its submit answer and polls.
const KIND_JOB: &str = "job";
/// A resource: its statuses over the recording.
const KIND_RESOURCE: &str = "resource";
/// An exchange of no documented operation.
pub const KIND_UNMATCHED: &str = "unmatched";

/// One entry of the recording, matched and turned into an exchange.
struct Recorded<'s> {
    /// 1-based position in `log.entries`.
    number: usize,
    entry: &'s Entry,
    exchange: Exchange,
    matched: Result<Matched<'s>, Unmatched>,
}

impl Recorded<'_> {
    fn case_id(&self) -> String {
        match &self.matched {
            Ok(m) => format!("{PREFIX}/{}#{}", m.name, self.number),
            Err(_) => format!("{PREFIX}/{KIND_UNMATCHED}#{}", self.number),
        }
    }

    /// The answer's JSON, when the answer is a 200 and its body was kept.
    fn json_200(&self) -> Option<&Value> {
        (self.exchange.status() == Some(200)).then(|| self.exchange.json()).flatten()
    }
}

/// One status a resource showed, at a position of the recording.
struct Observation {
    position: usize,
    kind: String,
    id: String,
    status: String,
}

/// Judges every entry of `har` with the specs of `ctx`; `source` names the recording in the report.
pub fn judge(har: &Har, ctx: &CheckContext, source: &str) -> RunReport {
    let started = Instant::now();
    let matcher = Matcher::new(ctx.specs);
    let recorded: Vec<Recorded> =
        in_recording_order(har).into_iter().map(|(number, entry)| record(&matcher, number, entry)).collect();
    let observations = observe(&ctx.specs.resources, &recorded);
    let mut cases: Vec<CaseReport> = recorded.iter().map(|r| exchange_case(ctx, r)).collect();
    cases.extend(job_cases(ctx, &recorded, &observations));
    cases.extend(resource_cases(ctx, &observations, &recorded));
    let mut report = RunReport {
        format_version: FORMAT_VERSION,
        target: target_info(har, &recorded, ctx.strict, source),
        cases,
        ..RunReport::default()
    };
    report.summarize(started.elapsed().as_millis() as u64);
    let secrets: Vec<String> = har.log.entries.iter().flat_map(Entry::secrets).collect();
    crate::outcome::scrub_report(&mut report, &secrets.iter().map(String::as_str).collect::<Vec<_>>());
    report
}

/// Matches one entry and turns it into the exchange the checks judge.
fn record<'s>(matcher: &Matcher<'s>, number: usize, entry: &'s Entry) -> Recorded<'s> {
    let matched = matcher.find(&entry.request.method, &entry.path_and_query(), entry.request_body());
    let name = matched.as_ref().map(|m| m.name.clone()).unwrap_or_default();
    Recorded { number, entry, exchange: entry.to_exchange(&name), matched }
}

/// A recording that grows while it is judged (the live proxy): each entry's own case is judged
/// as it comes, and [`Live::finish`] judges the whole recording as [`judge`] does, jobs and
/// resources included, with the same case ids (an entry's number is its position of arrival).
#[derive(Debug)]
pub struct Live<'s> {
    matcher: Matcher<'s>,
    entries: Vec<Entry>,
}

impl<'s> Live<'s> {
    /// An empty recording judged against `specs`.
    pub fn new(specs: &'s crate::spec::Specs) -> Live<'s> {
        Live { matcher: Matcher::new(specs), entries: Vec::new() }
    }

    /// Appends `entry` and returns its exchange case (`status_code`, `content_type`,
    /// `response_schema`, `error_body`), scrubbed of the credentials it carries.
    pub fn push(&mut self, ctx: &CheckContext, entry: Entry) -> CaseReport {
        let number = self.entries.len() + 1;
        let case = exchange_case(ctx, &record(&self.matcher, number, &entry));
        let mut one = RunReport { cases: vec![case], ..RunReport::default() };
        let secrets = entry.secrets();
        crate::outcome::scrub_report(&mut one, &secrets.iter().map(String::as_str).collect::<Vec<_>>());
        self.entries.push(entry);
        one.cases.pop().expect("the case just pushed")
    }

    /// The entries so far, in order of arrival.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Judges the whole recording; `source` names it in the report.
    pub fn finish(self, ctx: &CheckContext, source: &str) -> RunReport {
        let har = Har { log: super::har::Log { entries: self.entries } };
        judge(&har, ctx, source)
    }
}

/// The exchanges of `har` in recording order, each unnamed (its operation is for a matcher to find).
pub fn exchanges(har: &Har) -> Vec<Exchange> {
    in_recording_order(har).into_iter().map(|(_, entry)| entry.to_exchange("")).collect()
}

/// The entries with their 1-based numbers, by `startedDateTime` when every entry has a readable
/// one (recorders usually write them in that order anyway), else as written.
fn in_recording_order(har: &Har) -> Vec<(usize, &Entry)> {
    let mut out: Vec<(usize, &Entry)> = har.log.entries.iter().enumerate().map(|(i, e)| (i + 1, e)).collect();
    let times: Option<Vec<chrono::DateTime<chrono::FixedOffset>>> = out
        .iter()
        .map(|(_, e)| e.started.as_deref().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()))
        .collect();
    if let Some(times) = times {
        let mut keyed: Vec<_> = times.into_iter().zip(out).collect();
        keyed.sort_by_key(|(t, _)| *t);
        out = keyed.into_iter().map(|(_, e)| e).collect();
    }
    out
}

/// The case of one verdict list: failed, warned or passed as its worst check.
fn case_of(
    id: String,
    operation: &str,
    family: &str,
    kind: &str,
    duration_ms: u64,
    checks: Vec<CheckReport>,
) -> CaseReport {
    let outcome = if checks.iter().any(|c| c.outcome == CheckOutcome::Failed) {
        CaseOutcome::Failed
    } else if checks.iter().any(|c| c.outcome == CheckOutcome::Warned) {
        CaseOutcome::Warned
    } else if !checks.is_empty() && checks.iter().all(|c| c.outcome == CheckOutcome::Skipped) {
        CaseOutcome::Skipped
    } else {
        CaseOutcome::Passed
    };
    let reason = (outcome == CaseOutcome::Skipped)
        .then(|| checks.iter().map(|c| c.message.clone()).collect::<Vec<_>>().join("; "));
    CaseReport {
        id,
        operation: operation.to_owned(),
        family: family.to_owned(),
        kind: kind.to_owned(),
        outcome,
        duration_ms,
        checks,
        reason,
        baseline: None,
        evidence: Vec::new(),
        reproduce: None,
    }
}

/// A case that judged nothing, with the reason.
fn skipped_case(id: String, operation: &str, family: &str, kind: &str, reason: String) -> CaseReport {
    CaseReport {
        id,
        operation: operation.to_owned(),
        family: family.to_owned(),
        kind: kind.to_owned(),
        outcome: CaseOutcome::Skipped,
        duration_ms: 0,
        checks: Vec::new(),
        reason: Some(reason),
        baseline: None,
        evidence: Vec::new(),
        reproduce: None,
    }
}

fn verdict(ctx: &CheckContext, result: CheckResult, step: &str) -> CheckReport {
    CheckReport::from_result(&result, step, &ctx.specs.readings)
}

/// `status_code`, `content_type`, `response_schema` and `error_body` on one exchange.
fn exchange_case(ctx: &CheckContext, r: &Recorded) -> CaseReport {
    let (method, path) = (&r.exchange.request.method, &r.exchange.request.path);
    let m = match &r.matched {
        Ok(m) => m,
        Err(why) => {
            let reason = format!("{method} {path}: {}", why.reason());
            return skipped_case(r.case_id(), KIND_UNMATCHED, "", KIND_UNMATCHED, reason);
        }
    };
    let op = m.operation;
    if let Err(e) = &r.exchange.response {
        let reason = format!("{method} {path}: {e}; nothing to judge");
        return skipped_case(r.case_id(), &m.name, &op.family, KIND_EXCHANGE, reason);
    }
    let duration = r.exchange.elapsed.as_millis() as u64;
    let mut results = vec![checks::status_code(ctx, op, &[], &r.exchange)];
    let body_checks = [CheckName::ContentType, CheckName::ResponseSchema, CheckName::ErrorBody];
    match r.entry.body() {
        Body::Kept(_) => {
            results.push(checks::content_type(ctx, op, &r.exchange));
            results.push(checks::response_schema(ctx, op, &r.exchange));
            results.push(checks::error_body(ctx, op, &[], &r.exchange));
        }
        Body::NotKept => {
            results.extend(body_checks.map(|c| CheckResult::skipped(c, "the recording did not keep the body")));
        }
        Body::Undecodable(why) => {
            let reason = format!("the recorded body is marked base64 but does not decode: {why}");
            results.extend(body_checks.map(|c| CheckResult::skipped(c, reason.clone())));
        }
    }
    let checks = results.into_iter().map(|c| verdict(ctx, c, "")).collect();
    let mut case = case_of(r.case_id(), &m.name, &op.family, KIND_EXCHANGE, duration, checks);
    // A failure shows the exchange that broke the rule, as a run's does.
    if matches!(case.outcome, CaseOutcome::Failed | CaseOutcome::Warned) {
        let started = r.entry.started.clone().unwrap_or_default();
        case.evidence = vec![crate::outcome::ExchangeReport::of_exchange(&r.exchange, "", started, "")];
        case.evidence[0].request.url = r.entry.request.url.clone();
    }
    case
}

/// Every status of every resource in the 200 answers of GET operations, in recording order.
fn observe(table: &crate::spec::ResourceTable, recorded: &[Recorded]) -> Vec<Observation> {
    let mut out = Vec::new();
    for (position, r) in recorded.iter().enumerate() {
        let Ok(m) = &r.matched else { continue };
        if m.operation.method != "GET" {
            continue;
        }
        if let Some(json) = r.json_200() {
            collect(table, json, None, position, &mut out);
        }
    }
    out
}

/// Finds `{id, status}` objects under the wrapper keys of resource kinds (`server_group`,
/// `replications`...) and under `resource_detail` (instances found by tag).
fn collect(
    table: &crate::spec::ResourceTable,
    v: &Value,
    kind: Option<&str>,
    position: usize,
    out: &mut Vec<Observation>,
) {
    match v {
        Value::Object(map) => {
            if let (Some(kind), Some(Value::String(id)), Some(Value::String(status))) =
                (kind, map.get("id"), map.get("status"))
            {
                out.push(Observation { position, kind: kind.to_owned(), id: id.clone(), status: status.clone() });
            }
            for (k, child) in map {
                let m = table
                    .of_key(k)
                    .map(|k| k.name.as_str())
                    .or_else(|| (k == "resource_detail").then_some("protected_instance"));
                if m.is_some() {
                    collect(table, child, m, position, out);
                } else if k == "resources" {
                    collect(table, child, None, position, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect(table, i, kind, position, out)),
        _ => {}
    }
}

/// `state_transition` per resource seen, in the order first seen.
fn resource_cases(ctx: &CheckContext, observations: &[Observation], recorded: &[Recorded]) -> Vec<CaseReport> {
    let mut order: Vec<(&str, &str)> = Vec::new();
    for o in observations {
        if !order.contains(&(o.kind.as_str(), o.id.as_str())) {
            order.push((o.kind.as_str(), o.id.as_str()));
        }
    }
    order
        .into_iter()
        .map(|(kind, id)| {
            let mine: Vec<&Observation> = observations.iter().filter(|o| o.kind == kind && o.id == id).collect();
            let statuses: Vec<String> = mine.iter().map(|o| o.status.clone()).collect();
            let mut positions: Vec<usize> = mine.iter().map(|o| recorded[o.position].number).collect();
            positions.dedup();
            let result = checks::state_transition(ctx, kind, id, &statuses);
            let show = ctx.specs.resources.kind(kind).map(|k| k.show.as_str()).unwrap_or(kind);
            let family = ctx.specs.operation(show).map(|op| op.family.clone()).unwrap_or_default();
            let checks = vec![verdict(ctx, result, &entries_text(&positions))];
            case_of(format!("{PREFIX}/{kind}/{id}"), show, &family, KIND_RESOURCE, 0, checks)
        })
        .collect()
}

/// `entry 3` or `entries 1-3, 7`, for the step of sequence verdicts.
fn entries_text(numbers: &[usize]) -> String {
    let mut sorted = numbers.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut runs: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        while i + 1 < sorted.len() && sorted[i + 1] == sorted[i] + 1 {
            i += 1;
        }
        runs.push(if sorted[i] == start { start.to_string() } else { format!("{start}-{}", sorted[i]) });
        i += 1;
    }
    let word = if sorted.len() == 1 { "entry" } else { "entries" };
    format!("{word} {}", runs.join(", "))
}

/// `job_protocol` per accepted asynchronous request.
fn job_cases(ctx: &CheckContext, recorded: &[Recorded], observations: &[Observation]) -> Vec<CaseReport> {
    let poll_op = ctx.specs.states.machines.get(JOB_MACHINE).and_then(|m| m.show.clone()).unwrap_or_default();
    let job_of_poll = |r: &Recorded| -> Option<String> {
        let m = r.matched.as_ref().ok()?;
        (m.operation.id == poll_op).then(|| m.param("job_id").map(str::to_owned)).flatten()
    };
    let submits: Vec<usize> = (0..recorded.len())
        .filter(|&i| {
            let r = &recorded[i];
            let is_async = r.matched.as_ref().is_ok_and(|m| m.candidates.iter().any(|op| op.async_job.is_some()));
            is_async && r.exchange.ok().is_some_and(|resp| resp.is_success())
        })
        .collect();
    let job_id_at = |i: usize| recorded[i].exchange.json().and_then(|j| j.get("job_id")).and_then(Value::as_str);
    submits
        .iter()
        .filter_map(|&s| {
            let r = &recorded[s];
            let m = r.matched.as_ref().ok()?;
            let id = format!("{}/job", r.case_id());
            let family = m.operation.family.clone();
            if matches!(r.entry.body(), Body::NotKept | Body::Undecodable(_)) {
                let reason = "the recording did not keep the asynchronous answer's body: no job to follow".to_owned();
                return Some(skipped_case(id, &m.name, &family, KIND_JOB, reason));
            }
            let job_id = job_id_at(s);
            // A poll belongs to the latest submit of its job id before it.
            let polls: Vec<usize> = match job_id {
                None => Vec::new(),
                Some(job) => (s + 1..recorded.len())
                    .filter(|&p| job_of_poll(&recorded[p]).as_deref() == Some(job))
                    .filter(|&p| !submits.iter().any(|&o| o > s && o < p && job_id_at(o) == Some(job)))
                    .collect(),
            };
            Some(judge_job(ctx, recorded, observations, s, m, &polls, id))
        })
        .collect()
}

/// The job case of the submit at `s`, polled at `polls` (positions).
fn judge_job(
    ctx: &CheckContext,
    recorded: &[Recorded],
    observations: &[Observation],
    s: usize,
    m: &Matched,
    polls: &[usize],
    id: String,
) -> CaseReport {
    let submit = &recorded[s];
    let poll_exchanges: Vec<Exchange> = polls.iter().map(|&p| recorded[p].exchange.clone()).collect();
    let last_job = polls.last().and_then(|&p| recorded[p].json_200());
    let ended = last_job
        .and_then(|j| j.get("status"))
        .and_then(Value::as_str)
        .filter(|st| ctx.specs.states.is_terminal(JOB_MACHINE, st));
    let last_type = last_job.and_then(|j| j.get("job_type")).and_then(Value::as_str);
    let actions: Vec<&Action> = m.candidates.iter().flat_map(|op| ctx.specs.states.actions_of(&op.id)).collect();
    let action = last_type
        .and_then(|t| actions.iter().find(|a| a.job_type.as_deref() == Some(t)))
        .or(if m.candidates.len() == 1 { actions.first() } else { None })
        .copied();
    let follow = match (action, ended, last_job) {
        (Some(a), Some(status), Some(job)) => follow_up(ctx, recorded, observations, s, polls, a, status, job, m),
        _ => None,
    };
    let follow_up = follow.as_ref().map(|(ex, k, states, gone)| checks::FollowUp {
        exchange: ex,
        status_pointer: format!("/{}/status", k.wrapper),
        expected_states: states.clone(),
        expect_gone: *gone,
        gone_codes: gone_codes(ctx, k),
    });
    let creates = actions.iter().any(|a| a.creates);
    let ev = checks::JobEvidence {
        submit: &submit.exchange,
        job_types: job_types(&m.candidates),
        entity: if creates { m.operation.async_job.as_ref().and_then(|a| a.entity.clone()) } else { None },
        polls: &poll_exchanges,
        finished: true,
        follow_up,
    };
    let mut result = checks::job_protocol(ctx, &ev);
    // The recording, not the target, stopped before the end.
    let cut = ended.is_none();
    if cut {
        result.failures.retain(|f| f.title != UNFINISHED);
        result = CheckResult::from_failures(result.check, result.failures, ctx.strict);
    }
    let mut numbers: Vec<usize> = std::iter::once(s).chain(polls.iter().copied()).map(|i| recorded[i].number).collect();
    if let Some((ex, ..)) = &follow {
        if let Some(r) = recorded.iter().find(|r| std::ptr::eq(&r.exchange, *ex)) {
            numbers.push(r.number);
        }
    }
    let step = entries_text(&numbers);
    let has_job = submit.exchange.json().and_then(|j| j.get("job_id")).is_some_and(Value::is_string);
    if cut && has_job && result.outcome == CheckOutcome::Passed {
        let why = if polls.is_empty() {
            "the recording holds no poll of this job".to_owned()
        } else {
            format!("the recording ends before the job ended (last of {} poll(s) not SUCCESS or FAIL)", polls.len())
        };
        if polls.is_empty() {
            let reason = format!("{why}: only its submit answer was judged");
            let mut case = skipped_case(id, &m.name, &m.operation.family, KIND_JOB, reason);
            case.checks = vec![CheckReport {
                name: CheckName::JobProtocol,
                outcome: CheckOutcome::Skipped,
                message: why,
                step,
                findings: Vec::new(),
            }];
            return case;
        }
        result.message = why;
    }
    let checks = vec![verdict(ctx, result, &step)];
    case_of(id, &m.name, &m.operation.family, KIND_JOB, 0, checks)
}

/// The documented job types of the operations a request may be.
fn job_types(candidates: &[&Operation]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for aj in candidates.iter().filter_map(|op| op.async_job.as_ref()) {
        for t in aj.job_type.iter().chain(&aj.alt_job_types) {
            if !out.contains(t) {
                out.push(t.clone());
            }
        }
    }
    out
}

/// The show of the acted-on resource after the job ended, with the states it may then be in and
/// whether it must be gone; only a show before the next write counts (a later one may show
/// what another request did).
#[allow(clippy::too_many_arguments)]
fn follow_up<'r, 's>(
    ctx: &CheckContext<'s>,
    recorded: &'r [Recorded],
    observations: &[Observation],
    s: usize,
    polls: &[usize],
    action: &Action,
    status: &str,
    job: &Value,
    m: &Matched,
) -> Option<(&'r Exchange, &'s ResourceKind, Vec<String>, bool)> {
    let k = ctx.specs.resources.kind(&action.kind)?;
    let machine = ctx.specs.states.machines.get(&action.kind)?;
    let entities = job.get("entities");
    let acted = entities
        .and_then(|e| e.get(&k.entity).or_else(|| e.pointer(&format!("/sub_jobs/0/entities/{}", k.entity))))
        .and_then(Value::as_str)
        .or_else(|| m.param(&k.id_param))?;
    let after = *polls.last()?;
    let found = recorded[after + 1..].iter().take_while(|r| r.exchange.request.method == "GET").find(|r| {
        r.matched.as_ref().is_ok_and(|mm| mm.operation.id == k.show && mm.param(&k.id_param) == Some(acted))
    })?;
    let before = observations
        .iter()
        .rev()
        .find(|o| o.position < s && o.kind == k.name && o.id == acted)
        .map(|o| o.status.as_str());
    let target: &EndState = if status == "SUCCESS" { &action.success } else { &action.failure };
    let gone = matches!(target, EndState::Gone);
    Some((&found.exchange, k, target.resolve(machine, before), gone))
}

/// The codes that say "no such resource" for a show of this kind.
fn gone_codes(ctx: &CheckContext, k: &ResourceKind) -> Vec<String> {
    ctx.specs
        .operation(&k.show)
        .and_then(|op| op.path_params().find(|p| p.name == k.id_param))
        .and_then(|p| p.not_found.as_ref())
        .map(|nf| vec![nf.code.clone()])
        .unwrap_or_default()
}

/// What the recording was pointed at: origins, project ids and the kind of credentials seen.
fn target_info(har: &Har, recorded: &[Recorded], strict: bool, source: &str) -> TargetInfo {
    let mut origins: Vec<String> = Vec::new();
    let mut projects: Vec<String> = Vec::new();
    for r in recorded {
        if let Some(o) = r.entry.origin() {
            if !origins.contains(&o) {
                origins.push(o);
            }
        }
        if let Some(p) = r.matched.as_ref().ok().and_then(|m| m.param("project_id")) {
            if !projects.iter().any(|q| q == p) {
                projects.push(p.to_owned());
            }
        }
    }
    let headers = || har.log.entries.iter().flat_map(|e| e.request.headers.iter());
    let auth = if headers().any(|h| h.name.eq_ignore_ascii_case("x-auth-token")) {
        "token"
    } else if headers().any(|h| h.name.eq_ignore_ascii_case("authorization") && h.value.starts_with("SDK-HMAC")) {
        "aksk"
    } else {
        "none"
    };
    TargetInfo {
        kind: "recording".to_owned(),
        endpoint: origins.join(", "),
        project_id: projects.join(", "),
        region: None,
        profile: None,
        auth: auth.to_owned(),
        mode: "offline".to_owned(),
        strict,
        run_id: source.to_owned(),
        ..TargetInfo::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{SchemaSet, Specs};
    use serde_json::json;
    use std::sync::OnceLock;

    fn ctx() -> CheckContext<'static> {
        static SCHEMAS: OnceLock<SchemaSet> = OnceLock::new();
        let specs = Specs::embedded();
        CheckContext { specs, schemas: SCHEMAS.get_or_init(|| SchemaSet::new(specs)), strict: false }
    }

    fn entry(method: &str, path: &str, request: Option<Value>, status: u16, body: Option<Value>) -> Value {
        let mut e = json!({
            "request": {"method": method, "url": format!("https://sdrs.example.com{path}"), "headers": []},
            "response": {"status": status, "headers": [], "content": {"size": 0, "mimeType": ""}}
        });
        if let Some(b) = request {
            e["request"]["postData"] = json!({"mimeType": "application/json", "text": b.to_string()});
        }
        if let Some(b) = body {
            e["response"]["content"] = json!({"mimeType": "application/json", "text": b.to_string()});
        }
        e
    }

    fn run(entries: Vec<Value>) -> RunReport {
        let har: Har = serde_json::from_value(json!({"log": {"version": "1.2", "entries": entries}})).unwrap();
        judge(&har, &ctx(), "test.har")
    }

    fn case<'a>(report: &'a RunReport, id: &str) -> &'a CaseReport {
        report
            .cases
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no case {id}: {:?}", report.cases.iter().map(|c| &c.id).collect::<Vec<_>>()))
    }

    const JOB: &str = "0000000062db92d70162db9d200f000a";

    fn job(status: &str) -> Value {
        let mut j = json!({
            "job_id": JOB, "job_type": "createProtectionGroupNoCG", "status": status,
            "begin_time": "2018-04-19T01:55:30.443Z", "end_time": null,
            "entities": {}, "error_code": null, "fail_reason": null
        });
        if status == "SUCCESS" {
            j["end_time"] = json!("2018-04-19T01:55:45.493Z");
            j["entities"] = json!({"server_group_id": "g1"});
        }
        j
    }

    fn create(status: u16) -> Value {
        let body = json!({"server_group": {"name": "n", "source_availability_zone": "az1", "target_availability_zone": "az2",
            "domain_id": "d", "source_vpc_id": "v", "protected_type": "replication-pair", "dr_type": "migration"}});
        entry("POST", "/v1/p/server-groups", Some(body), status, Some(json!({"job_id": JOB})))
    }

    #[test]
    fn each_exchange_is_a_case_named_by_operation_and_position() {
        let report = run(vec![
            entry("GET", "/", None, 200, Some(json!({"versions": []}))),
            entry("DELETE", "/v1/p/task-center/failure-jobs/batch", None, 204, None),
        ]);
        let c = case(&report, "traffic/deleteAllFailureJobs#2");
        assert_eq!(c.outcome, CaseOutcome::Passed, "{c:?}");
        let names: Vec<&str> = c.checks.iter().map(|k| k.name.as_str()).collect();
        assert_eq!(names, ["status_code", "content_type", "response_schema", "error_body"]);
    }

    #[test]
    fn an_undocumented_status_fails_status_code() {
        let report = run(vec![entry("GET", "/v1/p/server-groups/g", None, 418, Some(json!({"x": 1})))]);
        let c = case(&report, "traffic/showProtectionGroup#1");
        assert_eq!(c.outcome, CaseOutcome::Failed);
        assert_eq!(c.first_failed_check().map(|k| k.name), Some(CheckName::StatusCode));
    }

    #[test]
    fn an_unmatched_exchange_is_skipped_with_the_reason() {
        let report = run(vec![entry("GET", "/v1/p/resource/replication-statistics", None, 200, Some(json!({})))]);
        let c = case(&report, "traffic/unmatched#1");
        assert_eq!(c.outcome, CaseOutcome::Skipped);
        assert_eq!(c.kind, KIND_UNMATCHED);
        assert!(c.reason.as_deref().unwrap().contains("matches no documented operation"), "{c:?}");
        assert_eq!(report.summary.failed, 0);
    }

    #[test]
    fn a_job_followed_to_its_end_passes_and_one_going_back_fails() {
        let good = run(vec![
            create(200),
            entry("GET", &format!("/v1/p/jobs/{JOB}"), None, 200, Some(job("RUNNING"))),
            entry("GET", &format!("/v1/p/jobs/{JOB}"), None, 200, Some(job("SUCCESS"))),
        ]);
        let c = case(&good, "traffic/createProtectionGroup#1/job");
        assert_eq!(c.outcome, CaseOutcome::Passed, "{c:?}");
        assert_eq!(c.checks[0].step, "entries 1-3");
        let bad = run(vec![
            create(200),
            entry("GET", &format!("/v1/p/jobs/{JOB}"), None, 200, Some(job("RUNNING"))),
            entry("GET", &format!("/v1/p/jobs/{JOB}"), None, 200, Some(job("INIT"))),
            entry("GET", &format!("/v1/p/jobs/{JOB}"), None, 200, Some(job("SUCCESS"))),
        ]);
        let c = case(&bad, "traffic/createProtectionGroup#1/job");
        assert_eq!(c.outcome, CaseOutcome::Failed, "{c:?}");
        assert!(c.checks[0].text().contains("illegal job transition RUNNING -> INIT"), "{}", c.checks[0].text());
    }

    #[test]
    fn a_recording_cut_before_the_job_ended_does_not_fail_it() {
        let report =
            run(vec![create(200), entry("GET", &format!("/v1/p/jobs/{JOB}"), None, 200, Some(job("RUNNING")))]);
        let c = case(&report, "traffic/createProtectionGroup#1/job");
        assert_eq!(c.outcome, CaseOutcome::Passed, "{c:?}");
        assert!(c.checks[0].text().contains("ends before the job ended"), "{c:?}");
        let none = run(vec![create(200)]);
        let c = case(&none, "traffic/createProtectionGroup#1/job");
        assert_eq!(c.outcome, CaseOutcome::Skipped, "{c:?}");
    }

    #[test]
    fn the_unfinished_title_is_the_one_job_protocol_writes() {
        // If job_protocol rewords it, cut recordings would start to fail: keep the two in step.
        let submit =
            Exchange::fake("createProtectionGroup", "POST", "/v1/p/server-groups", 200, json!({"job_id": JOB}));
        let poll = Exchange::fake("showJobStatus", "GET", "/v1/p/jobs/x", 200, job("RUNNING"));
        let polls = [poll];
        let ev = checks::JobEvidence {
            submit: &submit,
            job_types: vec![],
            entity: None,
            polls: &polls,
            finished: true,
            follow_up: None,
        };
        let r = checks::job_protocol(&ctx(), &ev);
        assert!(r.failures.iter().any(|f| f.title == UNFINISHED), "{}", r.details());
    }

    #[test]
    fn an_async_answer_without_job_id_fails_job_protocol() {
        let mut e = create(200);
        e["response"]["content"]["text"] = json!("{}");
        let report = run(vec![e]);
        let c = case(&report, "traffic/createProtectionGroup#1/job");
        assert_eq!(c.outcome, CaseOutcome::Failed, "{c:?}");
        assert!(c.checks[0].text().contains("no job_id"), "{}", c.checks[0].text());
    }

    #[test]
    fn the_show_after_the_job_must_be_in_the_actions_end_state() {
        let group = |status: &str| json!({"server_group": {"id": "g1", "name": "n", "status": status}});
        let run_with = |status: &str| {
            run(vec![
                create(200),
                entry("GET", &format!("/v1/p/jobs/{JOB}"), None, 200, Some(job("SUCCESS"))),
                entry("GET", "/v1/p/server-groups/g1", None, 200, Some(group(status))),
            ])
        };
        let ok = run_with("available");
        let c = case(&ok, "traffic/createProtectionGroup#1/job");
        assert_eq!(c.outcome, CaseOutcome::Passed, "{c:?}");
        assert_eq!(c.checks[0].step, "entries 1-3");
        let wrong = run_with("protected");
        let c = case(&wrong, "traffic/createProtectionGroup#1/job");
        assert_eq!(c.outcome, CaseOutcome::Failed, "{c:?}");
        assert!(c.checks[0].text().contains("not in an expected state"), "{}", c.checks[0].text());
    }

    #[test]
    fn resource_statuses_across_answers_are_judged_in_order() {
        let show = |status: &str| {
            entry(
                "GET",
                "/v1/p/server-groups/g1",
                None,
                200,
                Some(json!({"server_group": {"id": "g1", "status": status}})),
            )
        };
        let list = |status: &str| {
            entry(
                "GET",
                "/v1/p/server-groups?limit=1",
                None,
                200,
                Some(json!({"server_groups": [{"id": "g1", "status": status}], "count": 1})),
            )
        };
        let ok = run(vec![show("creating"), list("available"), show("starting"), show("protected")]);
        let c = case(&ok, "traffic/server_group/g1");
        assert_eq!(c.outcome, CaseOutcome::Passed, "{c:?}");
        assert_eq!(c.checks[0].step, "entries 1-4");
        let back = run(vec![show("protected"), list("creating")]);
        let c = case(&back, "traffic/server_group/g1");
        assert_eq!(c.outcome, CaseOutcome::Failed, "{c:?}");
        assert_eq!(c.checks[0].name, CheckName::StateTransition);
    }

    #[test]
    fn entries_are_judged_in_started_order_when_every_entry_has_a_time() {
        let mut a = entry(
            "GET",
            "/v1/p/server-groups/g1",
            None,
            200,
            Some(json!({"server_group": {"id": "g1", "status": "available"}})),
        );
        let mut b = entry(
            "GET",
            "/v1/p/server-groups/g1",
            None,
            200,
            Some(json!({"server_group": {"id": "g1", "status": "creating"}})),
        );
        a["startedDateTime"] = json!("2024-01-01T10:00:02.000Z");
        b["startedDateTime"] = json!("2024-01-01T10:00:01.000+00:00");
        let report = run(vec![a, b]);
        assert_eq!(case(&report, "traffic/server_group/g1").outcome, CaseOutcome::Passed);
        assert_eq!(report.cases[0].id, "traffic/showProtectionGroup#2");
    }

    #[test]
    fn a_body_not_kept_is_not_judged() {
        let mut e = entry("GET", "/v1/p/server-groups/g", None, 200, None);
        e["response"]["content"] = json!({"size": 300, "mimeType": "application/json"});
        let report = run(vec![e]);
        let c = case(&report, "traffic/showProtectionGroup#1");
        assert_eq!(c.outcome, CaseOutcome::Passed, "{c:?}");
        assert_eq!(c.checks.iter().filter(|k| k.outcome == CheckOutcome::Skipped).count(), 3);
    }

    #[test]
    fn tokens_in_the_recording_never_reach_the_report() {
        let mut e = entry(
            "GET",
            "/v1/p/server-groups/g",
            None,
            400,
            Some(json!({"error": {"code": "SDRS.1013", "message": "token MIItokenvalue-123 rejected"}})),
        );
        e["request"]["headers"] = json!([{"name": "X-Auth-Token", "value": "MIItokenvalue-123"}]);
        let report = run(vec![e]);
        let text = crate::report::to_json(&report);
        assert!(!text.contains("MIItokenvalue-123"), "{text}");
        assert_eq!(report.target.auth, "token");
    }

    #[test]
    fn a_live_recording_judges_each_exchange_at_once_and_its_jobs_at_the_end() {
        let poll = |status: &str| entry("GET", &format!("/v1/p/jobs/{JOB}"), None, 200, Some(job(status)));
        let entries: Vec<Entry> = [create(200), poll("RUNNING"), poll("INIT"), poll("SUCCESS")]
            .into_iter()
            .map(|e| serde_json::from_value(e).unwrap())
            .collect();
        let mut live = Live::new(ctx().specs);
        let cases: Vec<CaseReport> = entries.iter().map(|e| live.push(&ctx(), e.clone())).collect();
        assert_eq!(cases[0].id, "traffic/createProtectionGroup#1");
        assert_eq!(cases[3].id, "traffic/showJobStatus#4");
        assert!(cases.iter().all(|c| c.outcome == CaseOutcome::Passed), "{cases:?}");
        assert_eq!(live.entries().len(), 4);
        let report = live.finish(&ctx(), "live");
        for c in &cases {
            assert_eq!(case(&report, &c.id).outcome, c.outcome, "{}", c.id);
        }
        // Only the whole recording shows the job going back.
        let job_case = case(&report, "traffic/createProtectionGroup#1/job");
        assert_eq!(job_case.outcome, CaseOutcome::Failed, "{job_case:?}");
        let mut live = Live::new(ctx().specs);
        let teapot = serde_json::from_value(entry("GET", "/v1/p/server-groups/g", None, 418, None)).unwrap();
        assert_eq!(live.push(&ctx(), teapot).outcome, CaseOutcome::Failed);
    }

    #[test]
    fn a_live_case_is_scrubbed_of_the_credentials_its_entry_carries() {
        // A server echoing the token where the schema wants a string: the violation quotes it.
        let body = json!({"server_group": {"id": "g", "name": ["MIIlivetoken-456"]}});
        let mut e = entry("GET", "/v1/p/server-groups/g", None, 200, Some(body));
        e["request"]["headers"] = json!([{"name": "X-Auth-Token", "value": "MIIlivetoken-456"}]);
        let mut live = Live::new(ctx().specs);
        let c = live.push(&ctx(), serde_json::from_value(e).unwrap());
        assert_eq!(c.outcome, CaseOutcome::Failed, "{c:?}");
        let text = format!("{c:?}");
        assert!(!text.contains("MIIlivetoken-456") && text.contains("<redacted>"), "{text}");
    }

    #[test]
    fn entries_text_collapses_runs() {
        assert_eq!(entries_text(&[3]), "entry 3");
        assert_eq!(entries_text(&[1, 2, 3, 7, 9, 10]), "entries 1-3, 7, 9-10");
    }
}

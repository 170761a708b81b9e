//! `job_protocol`: an asynchronous write answers a `job_id`; polling that job shows a Job that
//! moves through the job state machine (INIT, RUNNING, SUCCESS, FAIL) to SUCCESS or FAIL in time, with
//! fitting `job_type`, times, error fields and `entities` (sub-jobs included); and the resource
//! is then in the state (or gone) the action promises.

use super::Evidence;
use super::{
    body_excerpt, error_code_of, list, status_excerpt, value_excerpt, CheckContext, CheckName, CheckResult, Failure,
    STATES_SPEC,
};
use crate::exchange::Exchange;
use crate::spec::Specs;
use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use serde_json::{Map, Value};
use std::sync::OnceLock;

/// The state machine jobs follow in `states.yaml`.
const JOB_MACHINE: &str = "job";
/// The job status that carries error fields.
const FAIL: &str = "FAIL";
/// The job status after which the created resource's id is in `entities`.
const SUCCESS: &str = "SUCCESS";
/// Entities key of sub-jobs.
const SUB_JOBS: &str = "sub_jobs";
/// Deepest sub-job nesting judged.
const MAX_DEPTH: usize = 8;

/// Everything the runner saw of one asynchronous write.
#[derive(Debug, Clone)]
pub struct JobEvidence<'a> {
    /// The async write's answer.
    pub submit: &'a Exchange,
    /// Acceptable `job_type` values (empty: undocumented; then only a non-empty string is required).
    pub job_types: Vec<String>,
    /// The `entities` key that must carry the resource id on SUCCESS (create operations).
    pub entity: Option<String>,
    /// Every `GET /jobs/{id}` answer, in order.
    pub polls: &'a [Exchange],
    /// False when the runner gave up waiting (deadline).
    pub finished: bool,
    /// The GET of the resource after the job ended.
    pub follow_up: Option<FollowUp<'a>>,
}

/// The GET of the acted-on resource after its job ended.
#[derive(Debug, Clone)]
pub struct FollowUp<'a> {
    /// The answer.
    pub exchange: &'a Exchange,
    /// JSON pointer of the resource status in the answer (`/server_group/status`).
    pub status_pointer: String,
    /// Statuses the resource may be in after the job.
    pub expected_states: Vec<String>,
    /// The job deleted the resource: the GET must say it is gone.
    pub expect_gone: bool,
    /// Codes that say "no such resource" (empty: any code).
    pub gone_codes: Vec<String>,
}

/// Judges the whole life of one job: submit answer, polls, deadline and follow-up.
///
/// Every poll is judged as if it had just arrived (see [`JobWatch`]); polls after one that
/// would have stopped a live poller are judged too, since a recording may hold them.
pub fn job_protocol(ctx: &CheckContext, ev: &JobEvidence) -> CheckResult {
    let mut watch = JobWatch::new(*ctx, ev.submit, ev.job_types.clone(), ev.entity.clone());
    for poll in ev.polls {
        watch.observe(poll);
    }
    let end = if ev.finished { PollEnd::Ended } else { PollEnd::Deadline };
    watch.conclude(end, ev.follow_up.as_ref())
}

/// How a case expects its job to end: a scenario that waits for a failure, or a success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedEnd {
    /// SUCCESS.
    Success,
    /// FAIL.
    Fail,
}

/// The verdict on a job, `result`, with the end the case expects: a job that ended the other
/// way (`last`, its final body) adds a failure naming its error code and reason.
pub fn judge_expected_end(
    ctx: &CheckContext,
    result: CheckResult,
    expected: ExpectedEnd,
    last: Option<&Value>,
) -> CheckResult {
    let status = last.and_then(|j| j.get("status")).and_then(Value::as_str);
    let why = match (expected, status) {
        (ExpectedEnd::Success, Some(FAIL)) => "the job failed but was expected to succeed",
        (ExpectedEnd::Fail, Some(SUCCESS)) => "the job succeeded but was expected to fail",
        _ => return result,
    };
    let field = |key: &str| last.and_then(|j| j.get(key)).cloned().unwrap_or(Value::Null);
    let reason = format!("{} {}", field("error_code"), field("fail_reason"));
    let mut failures = result.failures;
    failures.push(Failure::new(why, format!("{expected:?}"), format!("{} {reason}", status.unwrap_or("?"))));
    CheckResult::from_failures(CheckName::JobProtocol, failures, ctx.strict)
}

/// What a [`JobWatch`] advises after one poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The job still runs and nothing seen so far ends the protocol: poll again.
    Continue,
    /// The job showed SUCCESS or FAIL.
    Ended,
    /// This poll broke a rule that polling longer cannot repair (the failures of the poll that
    /// stop it; they are also in the final verdict).
    Stop(Vec<Failure>),
}

/// How polling a job ended, for [`JobWatch::conclude`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollEnd {
    /// The poller stopped because the watch said so (or the recording ended).
    Ended,
    /// The deadline passed while the job still ran.
    Deadline,
    /// The harness stopped polling for a reason of its own (the run's circuit breaker): no
    /// verdict on the job's end.
    Abandoned,
}

/// `job_protocol` judged one poll at a time, so that a poller can stop at the poll that shows a
/// violation instead of waiting for the deadline.
///
/// ```
/// use sdrs_conformance::checks::{CheckContext, JobWatch, CheckOutcome, PollEnd, Verdict};
/// use sdrs_conformance::exchange::Exchange;
/// use sdrs_conformance::spec::{SchemaSet, Specs};
/// use serde_json::json;
///
/// let specs = Specs::embedded();
/// let schemas = SchemaSet::new(specs);
/// let ctx = CheckContext { specs, schemas: &schemas, strict: false };
/// let id = "0123456789abcdef0123456789abcdef";
/// let submit = Exchange::fake("createProtectionGroup", "POST", "/", 200, json!({"job_id": id}));
/// let mut watch = JobWatch::new(ctx, &submit, vec![], None);
/// let poll = |status: &str| {
///     let body = json!({"job_id": id, "job_type": "createProtectionGroupNoCG", "status": status,
///         "begin_time": "2019-04-01T12:00:00.000Z", "end_time": null, "entities": {}});
///     Exchange::fake("showJobStatus", "GET", "/", 200, body)
/// };
/// assert_eq!(watch.observe(&poll("RUNNING")), Verdict::Continue);
/// assert!(matches!(watch.observe(&poll("success")), Verdict::Stop(_)));
/// assert_eq!(watch.conclude(PollEnd::Ended, None).outcome, CheckOutcome::Failed);
/// ```
pub struct JobWatch<'a> {
    ctx: CheckContext<'a>,
    job_types: Vec<String>,
    entity: Option<String>,
    /// Why the protocol cannot be judged (the submit was refused or unanswered).
    skip: Option<String>,
    /// The job id the submit answered.
    submitted: Option<String>,
    out: Findings,
    /// Polls observed so far.
    polls: usize,
    /// The last job state seen, and its poll.
    last: Option<(usize, String)>,
    previous: Option<String>,
    terminal: Option<(usize, String)>,
    /// The first begin_time seen (text, and its instant when it parses).
    begin: Option<(String, Option<NaiveDateTime>)>,
    /// The poll that stopped the protocol.
    stopped: Option<usize>,
}

impl<'a> JobWatch<'a> {
    /// A watch over the job that `submit` (the asynchronous write's answer) started; `job_types`
    /// are the acceptable `job_type` values (empty: any non-empty string) and `entity` the
    /// `entities` key that must carry the created resource's id on SUCCESS.
    pub fn new(
        ctx: CheckContext<'a>,
        submit: &Exchange,
        job_types: Vec<String>,
        entity: Option<String>,
    ) -> JobWatch<'a> {
        let mut watch = JobWatch::blank(ctx, job_types, entity);
        watch.judge_submit(submit);
        watch
    }

    /// A watch over the job `job_id` when only its id is known (a poller that did not send the
    /// write): any `job_type` and no required entity.
    pub fn following(ctx: CheckContext<'a>, job_id: &str) -> JobWatch<'a> {
        JobWatch { submitted: Some(job_id.to_owned()), ..JobWatch::blank(ctx, Vec::new(), None) }
    }

    fn blank(ctx: CheckContext<'a>, job_types: Vec<String>, entity: Option<String>) -> JobWatch<'a> {
        JobWatch {
            ctx,
            job_types,
            entity,
            skip: None,
            submitted: None,
            out: Findings::default(),
            polls: 0,
            last: None,
            previous: None,
            terminal: None,
            begin: None,
            stopped: None,
        }
    }

    /// The terminal status (SUCCESS or FAIL) the job showed, if it did.
    pub fn ended(&self) -> Option<&str> {
        self.terminal.as_ref().map(|(_, s)| s.as_str())
    }

    fn judge_submit(&mut self, submit: &Exchange) {
        let Some(submit) = submit.ok() else {
            self.skip = Some("the asynchronous request got no response (judged by status_code)".into());
            return;
        };
        if !submit.is_success() {
            self.skip = Some(format!("the asynchronous request was refused with {}: no job to follow", submit.status));
            return;
        }
        let file = &self.ctx.specs.sdrs.file;
        match submit.json.as_ref().and_then(|j| j.get("job_id")) {
            Some(Value::String(id)) => {
                if !is_job_id_shaped(self.ctx.specs, id) {
                    self.out.add(
                        Failure::new(
                            format!("job_id `{id}` is not 32 lowercase hex characters"),
                            "32 lowercase hex characters",
                            format!("\"{id}\""),
                        )
                        .at(format!("{file}#{}", crate::spec::JOB_ID_POINTER))
                        .disputed(&job_id_disputes(self.ctx.specs)),
                        None,
                    );
                }
                self.submitted = Some(id.clone());
            }
            Some(other) => self.out.add(
                Failure::new(
                    "the asynchronous answer's job_id is not a string",
                    "a string job_id",
                    value_excerpt(other),
                )
                .at(format!("{file}#/components/schemas/AsyncJobResponse")),
                None,
            ),
            None => self.out.add(
                Failure::new(
                    "the asynchronous answer has no job_id",
                    r#"{"job_id": "<32 hex>"}"#,
                    body_excerpt(submit),
                )
                .at(format!("{file}#/components/schemas/AsyncJobResponse")),
                None,
            ),
        }
    }

    /// Judges the next `GET /jobs/{id}` answer and says whether to poll again.
    pub fn observe(&mut self, poll: &Exchange) -> Verdict {
        self.polls += 1;
        let n = self.polls;
        self.judge_poll(poll, n);
        let stopping = std::mem::take(&mut self.out.stopping);
        let stops: Vec<Failure> =
            stopping.into_iter().filter(|f| self.ctx.strict || !f.provenance.is_inferred()).collect();
        if !stops.is_empty() {
            self.stopped.get_or_insert(n);
            return Verdict::Stop(stops);
        }
        match &self.terminal {
            Some(_) => Verdict::Ended,
            None => Verdict::Continue,
        }
    }

    fn judge_poll(&mut self, poll: &Exchange, n: usize) {
        let file = self.ctx.specs.sdrs.file.clone();
        let spec = self.poll_spec();
        // A poll that gets no answer or an error status says nothing about the job: the poller
        // tries again (the run's circuit breaker counts such answers).
        let resp = match &poll.response {
            Ok(resp) => resp,
            Err(e) => {
                self.out.add(
                    Failure::new("a poll of the job got no response", "status 200 with the job", e.message.clone())
                        .at(spec),
                    Some(n),
                );
                return;
            }
        };
        if resp.status != 200 {
            self.out.add(
                Failure::new(
                    format!("a poll of the job answered {}", resp.status),
                    "status 200 with the job",
                    status_excerpt(resp),
                )
                .at(spec),
                Some(n),
            );
            return;
        }
        let Some(job) = resp.json.as_ref().and_then(Value::as_object) else {
            self.out.add(
                Failure::new("a poll answer is not a JSON object", "a Job object", body_excerpt(resp)).at(spec),
                Some(n),
            );
            return;
        };
        match (job.get("job_id"), self.submitted.as_deref()) {
            (Some(Value::String(id)), Some(sub)) if id == sub => {}
            (Some(Value::String(_)), None) => {}
            (other, submitted) => self.out.stop(
                Failure::new(
                    "the polled job has another job_id than the one submitted",
                    format!("\"{}\"", submitted.unwrap_or("(a string)")),
                    other.map(value_excerpt).unwrap_or_else(|| "(absent)".into()),
                )
                .at(format!("{file}#/components/schemas/Job/properties/job_id"))
                .source("001 §5.1.1: the URI's job_id names the job, whose job_id (String) the answer carries"),
                Some(n),
            ),
        }
        let rules =
            Rules { specs: self.ctx.specs, job_types: &self.job_types, entity: self.entity.as_deref(), file: &file };
        rules.check_job(job, "", 0, n, &mut self.out);
        let status = job.get("status").and_then(Value::as_str).filter(|s| rules.is_state(s));
        self.judge_begin(job, n);
        if let Some(s) = status {
            self.judge_sequence(s, n);
        }
    }

    /// The begin_time of one job does not change from poll to poll.
    fn judge_begin(&mut self, job: &Map<String, Value>, n: usize) {
        let Some(Value::String(text)) = job.get("begin_time") else { return };
        let at = parse_time(text);
        let Some((first, first_at)) = &self.begin else {
            self.begin = Some((text.clone(), at));
            return;
        };
        // Two spellings of one instant are the same begin_time (INC-43: formats vary).
        let same = match (first_at, at) {
            (Some(a), Some(b)) => *a == b,
            (None, None) => first == text,
            // One of them is not a timestamp, which is reported as such.
            _ => true,
        };
        if !same {
            let failure = Failure::new(
                "the job: begin_time changed between polls",
                format!("\"{first}\", as first polled"),
                format!("\"{}\"", super::excerpt(text, 60)),
            )
            .at(format!("{}#/components/schemas/Job/properties/begin_time", self.ctx.specs.sdrs.file))
            .source("001 §5.1.1: begin_time is the job's start time (开始时间), one instant");
            self.out.stop(failure, Some(n));
        }
    }

    /// The statuses follow the job state machine and nothing changes after SUCCESS or FAIL.
    fn judge_sequence(&mut self, status: &str, n: usize) {
        let specs: &'a Specs = self.ctx.specs;
        let states = &specs.states;
        let machine_spec = format!("{STATES_SPEC} machines.{JOB_MACHINE}");
        self.last = Some((n, status.to_owned()));
        if let Some((_, t)) = &self.terminal {
            if status != t {
                let failure = Failure::new(
                    format!("the job changed after the terminal state {t}: {t} -> {status}"),
                    format!("no change after {t}"),
                    format!("{t} -> {status}"),
                )
                .at(machine_spec)
                .source("001 §3 (step 5) and §5.1.1: SUCCESS (成功) or FAIL (失败) is the job's result");
                self.out.stop(failure, Some(n));
            }
            return;
        }
        if let Some(p) = self.previous.as_deref() {
            if !states.allows(JOB_MACHINE, p, status) {
                let next = states.successors(JOB_MACHINE, p);
                let failure = Failure::new(
                    format!("illegal job transition {p} -> {status}"),
                    format!("{p} followed by one of: {}", list(&next)),
                    format!("{p} -> {status}"),
                )
                .at(machine_spec)
                .source("001 §5.1.1 status: INIT (正在初始化, initializing) comes before RUNNING (运行中)");
                self.out.stop(failure, Some(n));
            }
        }
        self.previous = Some(status.to_owned());
        if states.is_terminal(JOB_MACHINE, status) {
            self.terminal = Some((n, status.to_owned()));
        }
    }

    fn poll_spec(&self) -> String {
        let specs = self.ctx.specs;
        specs
            .states
            .machines
            .get(JOB_MACHINE)
            .and_then(|m| m.show.as_deref())
            .and_then(|id| specs.operation(id))
            .map(|op| format!("{} ({})", op.location, op.id))
            .unwrap_or_else(|| format!("{}#/components/schemas/Job", specs.sdrs.file))
    }

    /// The job's status at the last poll that showed one.
    pub fn last_status(&self) -> Option<&str> {
        self.last.as_ref().map(|(_, s)| s.as_str())
    }

    /// The verdict on the whole job, once polling ended as `end`; `follow_up` is the GET of the
    /// resource after the job ended.
    pub fn conclude(mut self, end: PollEnd, follow_up: Option<&FollowUp>) -> CheckResult {
        let name = CheckName::JobProtocol;
        if let Some(why) = self.skip.take() {
            return CheckResult::skipped(name, why);
        }
        let machine_spec = format!("{STATES_SPEC} machines.{JOB_MACHINE}");
        let polls = self.polls;
        let last = self.last.as_ref().map(|(n, s)| format!("last status {s} (poll {n} of {polls})"));
        let unseen = || format!("no status seen in {polls} polls");
        match (end, &self.terminal, self.stopped) {
            // A stopped job was judged at the poll that stopped it.
            (_, Some(_), _) | (_, _, Some(_)) | (PollEnd::Abandoned, ..) => {}
            (PollEnd::Deadline, None, None) => self.out.add(
                Failure::new(
                    "the job did not reach SUCCESS or FAIL within the deadline",
                    "SUCCESS or FAIL before the deadline",
                    last.unwrap_or_else(unseen),
                )
                .at(machine_spec)
                .source("001 §5.1.1: a job ends SUCCESS or FAIL, which the poller reads as its result"),
                None,
            ),
            (PollEnd::Ended, None, None) => self.out.add(
                Failure::new(
                    "the polls ended without showing SUCCESS or FAIL",
                    "a last poll showing SUCCESS or FAIL",
                    last.unwrap_or_else(unseen),
                )
                .at(machine_spec),
                None,
            ),
        }
        if let (Some(follow), Some((_, ended))) = (follow_up, &self.terminal) {
            check_follow_up(follow, ended, &mut self.out);
        }
        CheckResult::from_failures(name, self.out.into_failures(), self.ctx.strict)
    }
}

/// Judges the GET of the resource after the job ended in `ended`.
fn check_follow_up(follow: &FollowUp, ended: &str, out: &mut Findings) {
    let spec = format!("{STATES_SPEC} actions (success and failure states)");
    let resp = match &follow.exchange.response {
        Ok(resp) => resp,
        Err(e) => {
            out.add(
                Failure::new(
                    format!("the GET after the job ended ({ended}) got no response"),
                    "an HTTP answer",
                    e.message.clone(),
                )
                .at(spec),
                None,
            );
            return;
        }
    };
    if follow.expect_gone {
        let code = resp.json.as_ref().and_then(error_code_of);
        let code_ok = follow.gone_codes.is_empty() || code.is_some_and(|c| follow.gone_codes.iter().any(|g| g == c));
        if !(matches!(resp.status, 400 | 404) && code_ok) {
            let codes = if follow.gone_codes.is_empty() { "any code".to_owned() } else { list(&follow.gone_codes) };
            out.add(
                Failure::new(
                    format!("after the job ended ({ended}) the resource is not gone"),
                    format!("status 400 or 404 with {codes}"),
                    status_excerpt(resp),
                )
                .at(spec),
                None,
            );
        }
        return;
    }
    if resp.status != 200 {
        out.add(
            Failure::new(
                format!("after the job ended ({ended}) the resource answered {}", resp.status),
                "status 200 with the resource",
                status_excerpt(resp),
            )
            .at(spec),
            None,
        );
        return;
    }
    let value = resp.json.as_ref().and_then(|j| j.pointer(&follow.status_pointer));
    let ok = match value {
        Some(Value::String(s)) => follow.expected_states.is_empty() || follow.expected_states.iter().any(|e| e == s),
        _ => false,
    };
    if !ok {
        let wanted = if follow.expected_states.is_empty() {
            "a status".to_owned()
        } else {
            format!("one of {}", list(&follow.expected_states))
        };
        out.add(
            Failure::new(
                format!("after the job ended ({ended}) the resource is not in an expected state"),
                format!("{wanted} at {}", follow.status_pointer),
                value.map(value_excerpt).unwrap_or_else(|| "(absent)".into()),
            )
            .at(spec),
            None,
        );
    }
}

/// What a Job object must satisfy, read once from the specs and the evidence.
struct Rules<'a> {
    specs: &'a Specs,
    job_types: &'a [String],
    entity: Option<&'a str>,
    file: &'a str,
}

impl Rules<'_> {
    fn is_state(&self, status: &str) -> bool {
        self.specs.states.machines.get(JOB_MACHINE).is_some_and(|m| m.states.contains_key(status))
    }

    fn field_spec(&self, field: &str) -> String {
        format!("{}#/components/schemas/Job/properties/{field}", self.file)
    }

    /// The disagreements the spec records on a Job field (`job_type` open, INC-38; error fields
    /// null, INC-51): a rule resting on them warns.
    fn field_disputes(&self, field: &str) -> Vec<String> {
        let node = self.specs.sdrs.document.pointer(&format!("/components/schemas/Job/properties/{field}"));
        crate::spec::strings_under(node, "x-sdrs-disagreements")
    }

    /// Judges one Job object (`path` empty for the polled job, else the sub-job's pointer).
    fn check_job(&self, job: &Map<String, Value>, path: &str, depth: usize, poll: usize, out: &mut Findings) {
        let top = path.is_empty();
        let who = if top { "the job".to_owned() } else { format!("sub-job {path}") };
        let add = |out: &mut Findings, f: Failure| out.add(f, Some(poll));
        // A rule whose break polling longer cannot repair: the poller stops at it.
        let halt = |out: &mut Findings, f: Failure| out.stop(f, Some(poll));

        if !top {
            match job.get("job_id") {
                Some(Value::String(id)) if !id.is_empty() => {
                    if !is_job_id_shaped(self.specs, id) {
                        add(
                            out,
                            Failure::new(
                                format!("{who}: job_id is not 32 lowercase hex characters"),
                                "32 lowercase hex characters",
                                format!("\"{id}\""),
                            )
                            .at(self.field_spec("job_id"))
                            .disputed(&job_id_disputes(self.specs)),
                        );
                    }
                }
                other => add(out, self.missing(&who, "job_id", "a non-empty string", other)),
            }
        }

        // status
        let status = match job.get("status") {
            Some(Value::String(s)) if self.is_state(s) => Some(s.as_str()),
            other => {
                let all: Vec<&String> =
                    self.specs.states.machines.get(JOB_MACHINE).map(|m| m.states.keys().collect()).unwrap_or_default();
                halt(
                    out,
                    Failure::new(
                        format!("{who}: status is not a job state"),
                        format!("one of {}", list(&all)),
                        other.map(value_excerpt).unwrap_or_else(|| "(absent)".into()),
                    )
                    .at(format!("{STATES_SPEC} machines.{JOB_MACHINE}"))
                    .source("001 §5.1.1 status: SUCCESS, RUNNING, FAIL or INIT"),
                );
                None
            }
        };
        let terminal = status.map(|s| self.specs.states.is_terminal(JOB_MACHINE, s));

        // job_type
        match job.get("job_type") {
            Some(Value::String(t)) if !t.is_empty() => {
                if top {
                    if !self.job_types.is_empty() && !self.job_types.iter().any(|j| j == t) {
                        add(
                            out,
                            Failure::new(
                                format!("{who}: job_type {t} does not fit the operation"),
                                format!("one of {}", list(self.job_types)),
                                format!("\"{t}\""),
                            )
                            .at(self.field_spec("job_type")),
                        );
                    }
                } else if !self.specs.states.job_types.contains_key(t.as_str()) {
                    add(
                        out,
                        Failure::new(
                            format!("{who}: unknown job_type {t}"),
                            "a documented job type, or one seen in the examples",
                            format!("\"{t}\""),
                        )
                        .at(format!("{STATES_SPEC} job_types"))
                        .disputed(&self.field_disputes("job_type")),
                    );
                }
            }
            other => add(out, self.missing(&who, "job_type", "a non-empty string", other)),
        }

        // begin_time and end_time
        let begin = match job.get("begin_time") {
            Some(Value::String(s)) => match parse_time(s) {
                Some(t) => Some(t),
                None => {
                    add(out, self.bad_time(&who, "begin_time", s));
                    None
                }
            },
            other => {
                add(out, self.missing(&who, "begin_time", "a timestamp", other));
                None
            }
        };
        let end = match job.get("end_time") {
            None | Some(Value::Null) => {
                if terminal == Some(true) {
                    add(
                        out,
                        Failure::new(
                            format!("{who}: ended ({}) without end_time", status.unwrap_or("")),
                            "an end_time",
                            "(absent or null)",
                        )
                        .at(self.field_spec("end_time")),
                    );
                }
                None
            }
            Some(value) => {
                if terminal == Some(false) {
                    halt(
                        out,
                        Failure::new(
                            format!("{who}: has an end_time while {}", status.unwrap_or("")),
                            "null or absent while the job runs",
                            value_excerpt(value),
                        )
                        .at(self.field_spec("end_time"))
                        .source("001 §5.1.1: end_time is the time the job ended (结束时间)"),
                    );
                }
                match value {
                    Value::String(s) => {
                        let t = parse_time(s);
                        if t.is_none() {
                            add(out, self.bad_time(&who, "end_time", s));
                        }
                        t
                    }
                    other => {
                        add(out, self.missing(&who, "end_time", "a timestamp or null", Some(other)));
                        None
                    }
                }
            }
        };
        if let (Some(b), Some(e)) = (begin, end) {
            if b > e {
                halt(
                    out,
                    Failure::new(
                        format!("{who}: begin_time is after end_time"),
                        "begin_time <= end_time",
                        format!("begin {b}, end {e}"),
                    )
                    .at(self.field_spec("end_time"))
                    .source("001 §5.1.1: begin_time and end_time are the job's start and end (开始时间, 结束时间)"),
                );
            }
        }

        // error_code and fail_reason: set exactly when FAIL. A success that reports an error is
        // wrong by the table; a null, absent or empty field is the matter of INC-51.
        if let Some(s) = status {
            for field in ["error_code", "fail_reason"] {
                let value = job.get(field).filter(|v| !v.is_null());
                let reported = value.filter(|v| v.as_str() != Some(""));
                match (s == FAIL, value) {
                    (false, Some(v)) if s == SUCCESS && reported.is_some() => halt(
                        out,
                        Failure::new(
                            format!("{who}: SUCCESS with {field} set"),
                            format!("a null or absent {field}: only a failed job reports one"),
                            value_excerpt(v),
                        )
                        .at(self.field_spec(field))
                        .source(format!(
                            "001 §5.1.1: {field} is the code or reason of a job that failed (Job执行失败时)"
                        )),
                    ),
                    (true, None) => add(
                        out,
                        Failure::new(
                            format!("{who}: FAIL without {field}"),
                            format!("a non-null {field}"),
                            "(absent or null)",
                        )
                        .at(self.field_spec(field)),
                    ),
                    (false, Some(v)) => add(
                        out,
                        Failure::new(
                            format!("{who}: {field} set while {s}"),
                            format!("a null or absent {field} unless FAIL"),
                            value_excerpt(v),
                        )
                        .at(self.field_spec(field))
                        .disputed(&self.field_disputes(field)),
                    ),
                    _ => {}
                }
            }
        }

        // entities
        let entities_spec = format!("{}#/components/schemas/JobEntities", self.file);
        let entities = match job.get("entities") {
            Some(Value::Object(map)) => Some(map),
            other => {
                add(out, self.missing(&who, "entities", "an object", other));
                None
            }
        };
        let Some(entities) = entities else { return };
        // Keys beyond the documented ones are allowed: the reference never closes `entities`, and
        // the official SDK models more (`volume_ids`, `native_server_id`, `nic_id`).
        if let (true, Some(SUCCESS), Some(entity)) = (top, status, self.entity) {
            match entities.get(entity) {
                Some(Value::String(id)) if !id.is_empty() => {}
                other => add(
                    out,
                    Failure::new(
                        format!("{who}: SUCCESS without the created resource's id in entities.{entity}"),
                        format!("a non-empty string at /entities/{entity}"),
                        other.map(value_excerpt).unwrap_or_else(|| "(absent)".into()),
                    )
                    .at(entities_spec.clone()),
                ),
            }
        }
        match entities.get(SUB_JOBS) {
            None => {}
            Some(Value::Array(subs)) => {
                if depth >= MAX_DEPTH {
                    return;
                }
                for (k, sub) in subs.iter().enumerate() {
                    let sub_path = format!("{path}/entities/{SUB_JOBS}/{k}");
                    match sub.as_object() {
                        Some(obj) => self.check_job(obj, &sub_path, depth + 1, poll, out),
                        None => add(
                            out,
                            Failure::new(
                                format!("sub-job {sub_path} is not an object"),
                                "a Job object",
                                value_excerpt(sub),
                            )
                            .at(entities_spec.clone()),
                        ),
                    }
                }
            }
            Some(other) => add(
                out,
                Failure::new(
                    format!("{who}: entities.{SUB_JOBS} is not an array"),
                    "an array of jobs",
                    value_excerpt(other),
                )
                .at(entities_spec),
            ),
        }
    }

    fn missing(&self, who: &str, field: &str, wanted: &str, found: Option<&Value>) -> Failure {
        let title = match found {
            None => format!("{who}: no {field}"),
            Some(_) => format!("{who}: {field} is not {wanted}"),
        };
        let failure =
            Failure::new(title, wanted.to_owned(), found.map(value_excerpt).unwrap_or_else(|| "(absent)".into()))
                .at(self.field_spec(field))
                .source("001 §5.1.1: the job's response-parameter table");
        // The protocol cannot be followed without an id and a status; the other fields are listed
        // in table 5-1, which has no mandatory column.
        if found.is_none() && !["job_id", "status"].contains(&field) {
            failure.disputed(&["GAP-01".to_owned()])
        } else {
            failure
        }
    }

    fn bad_time(&self, who: &str, field: &str, text: &str) -> Failure {
        Failure::new(
            format!("{who}: {field} is not a timestamp"),
            "yyyy-MM-dd[T ]HH:mm:ss[.fraction][Z]",
            format!("\"{}\"", super::excerpt(text, 60)),
        )
        .at(format!("{}#/components/schemas/Timestamp", self.file))
    }
}

/// Whether a job id has the documented shape (`x-sdrs-job-id-pattern`; any id when none is documented).
fn is_job_id_shaped(specs: &crate::spec::Specs, id: &str) -> bool {
    specs.job_id.as_ref().is_none_or(|shape| shape.matches(id))
}

/// The disagreements that make the job id's shape advisory.
fn job_id_disputes(specs: &crate::spec::Specs) -> Vec<String> {
    specs.job_id.as_ref().map(|shape| shape.disagreements.clone()).unwrap_or_default()
}

/// Parses a timestamp leniently: `yyyy-MM-dd[T ]HH:mm:ss[.fraction][Z|±hh:mm]`, as UTC when no
/// zone is given (INC-43).
fn parse_time(text: &str) -> Option<NaiveDateTime> {
    static SHAPE: OnceLock<regex::Regex> = OnceLock::new();
    let shape = SHAPE.get_or_init(|| {
        regex::Regex::new(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$")
            .expect("static regex")
    });
    let c = shape.captures(text.trim())?;
    let num = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
    let year = c.get(1)?.as_str().parse::<i32>().ok()?;
    let date = NaiveDate::from_ymd_opt(year, num(2)?, num(3)?)?;
    let nanos = match c.get(7) {
        Some(f) => {
            let digits: String = f.as_str().chars().chain(std::iter::repeat('0')).take(9).collect();
            digits.parse::<u32>().ok()?
        }
        None => 0,
    };
    let local = date.and_hms_nano_opt(num(4)?, num(5)?, num(6)?, nanos)?;
    let offset_seconds = match c.get(8).map(|m| m.as_str()) {
        None | Some("Z") => 0,
        Some(zone) => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let digits: String = zone.chars().filter(char::is_ascii_digit).collect();
            let hours: i64 = digits.get(0..2)?.parse().ok()?;
            let minutes: i64 = digits.get(2..4)?.parse().ok()?;
            sign * (hours * 3600 + minutes * 60)
        }
    };
    local.checked_sub_signed(TimeDelta::try_seconds(offset_seconds)?)
}

/// Failures gathered over all polls; the same failure seen in several polls is reported once,
/// naming the polls.
#[derive(Default)]
struct Findings {
    entries: Vec<(Failure, Vec<usize>)>,
    /// Failures of rules that end polling, since the watch last asked.
    stopping: Vec<Failure>,
}

impl Findings {
    /// Adds a failure of a rule that ends polling.
    fn stop(&mut self, failure: Failure, poll: Option<usize>) {
        self.stopping.push(failure.clone());
        self.add(failure, poll);
    }

    fn add(&mut self, failure: Failure, poll: Option<usize>) {
        if let Some(entry) = self.entries.iter_mut().find(|(f, _)| *f == failure) {
            entry.1.extend(poll);
            return;
        }
        self.entries.push((failure, poll.into_iter().collect()));
    }

    fn into_failures(self) -> Vec<Failure> {
        self.entries
            .into_iter()
            .map(|(mut f, polls)| {
                if !polls.is_empty() {
                    let word = if polls.len() == 1 { "poll" } else { "polls" };
                    f.title = format!("{} ({word} {})", f.title, ranges(&polls));
                }
                f
            })
            .collect()
    }
}

/// `1-3, 5` for `[1, 2, 3, 5]`.
fn ranges(numbers: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < numbers.len() {
        let start = numbers[i];
        let mut end = start;
        while i + 1 < numbers.len() && numbers[i + 1] == end + 1 {
            i += 1;
            end = numbers[i];
        }
        parts.push(if start == end { start.to_string() } else { format!("{start}-{end}") });
        i += 1;
    }
    parts.join(", ")
}

/// The registry's entry: an asynchronous write and its job's polls, judged after the fact (the
/// runner judges live polls with a [`JobWatch`], this check's incremental form).
pub(super) fn judge(ctx: &CheckContext, ev: &Evidence) -> Option<CheckResult> {
    let Evidence::Job(job) = ev else { return None };
    Some(job_protocol(ctx, job))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{ctx, no_response, strict};
    use crate::checks::{CheckOutcome, Provenance};
    use serde_json::json;

    const JOB: &str = "0123456789abcdef0123456789abcdef";

    fn submit() -> Exchange {
        Exchange::fake("createProtectionGroup", "POST", "/v1/p/server-groups", 200, json!({"job_id": JOB}))
    }

    fn job(status: &str) -> Value {
        let ended = matches!(status, "SUCCESS" | "FAIL");
        json!({
            "job_id": JOB,
            "job_type": "createProtectionGroupNoCG",
            "status": status,
            "begin_time": "2019-04-01T12:00:00.000Z",
            "end_time": if ended { json!("2019-04-01T12:00:05.000Z") } else { Value::Null },
            "error_code": if status == "FAIL" { json!("SDRS.1011") } else { Value::Null },
            "fail_reason": if status == "FAIL" { json!("quota") } else { Value::Null },
            "entities": if status == "SUCCESS" { json!({"server_group_id": "g1"}) } else { json!({}) }
        })
    }

    fn poll(body: Value) -> Exchange {
        Exchange::fake("showJobStatus", "GET", &format!("/v1/p/jobs/{JOB}"), 200, body)
    }

    fn evidence<'a>(submit: &'a Exchange, polls: &'a [Exchange]) -> JobEvidence<'a> {
        JobEvidence {
            submit,
            job_types: vec!["createProtectionGroupNoCG".into()],
            entity: Some("server_group_id".into()),
            polls,
            finished: true,
            follow_up: None,
        }
    }

    #[test]
    fn a_job_that_runs_to_success_passes() {
        let s = submit();
        let polls = [poll(job("INIT")), poll(job("RUNNING")), poll(job("RUNNING")), poll(job("SUCCESS"))];
        let r = job_protocol(&ctx(), &evidence(&s, &polls));
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn a_job_that_fails_with_its_error_fields_passes() {
        let s = submit();
        let polls = [poll(job("RUNNING")), poll(job("FAIL"))];
        let r = job_protocol(&ctx(), &evidence(&s, &polls));
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn a_submit_answer_without_job_id_fails() {
        let s = Exchange::fake("createProtectionGroup", "POST", "/", 200, json!({"id": "x"}));
        let polls = [poll(job("SUCCESS"))];
        let r = job_protocol(&ctx(), &evidence(&s, &polls));
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures[0].title, "the asynchronous answer has no job_id");
    }

    #[test]
    fn a_job_id_of_another_shape_warns() {
        let id = "8e4fc9a0-0000-dgf00bb";
        let s = Exchange::fake("createProtectionGroup", "POST", "/", 200, json!({"job_id": id}));
        let mut body = job("SUCCESS");
        body["job_id"] = json!(id);
        let polls = [poll(body)];
        let r = job_protocol(&ctx(), &evidence(&s, &polls));
        assert_eq!(r.outcome, CheckOutcome::Warned, "{}", r.details());
        assert_eq!(r.failures[0].disagreements(), vec!["INC-50".to_owned()]);
        assert_eq!(job_protocol(&strict(), &evidence(&s, &polls)).outcome, CheckOutcome::Failed);
    }

    #[test]
    fn a_poll_of_another_job_or_status_fails() {
        let s = submit();
        let mut other = job("RUNNING");
        other["job_id"] = json!("ffffffffffffffffffffffffffffffff");
        let polls = [
            poll(other),
            Exchange::fake("showJobStatus", "GET", "/", 500, json!(null)),
            no_response("showJobStatus"),
            poll(job("SUCCESS")),
        ];
        let r = job_protocol(&ctx(), &evidence(&s, &polls));
        let titles: Vec<&str> = r.failures.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(
            titles,
            vec![
                "the polled job has another job_id than the one submitted (poll 1)",
                "a poll of the job answered 500 (poll 2)",
                "a poll of the job got no response (poll 3)",
            ]
        );
    }

    #[test]
    fn an_unknown_status_and_a_wrong_job_type_fail_once_naming_the_polls() {
        let s = submit();
        let mut a = job("DONE");
        a["job_type"] = json!("deleteProtectionGroupNoCG");
        let mut b = a.clone();
        b["begin_time"] = json!("2019-04-01T12:00:00.000Z");
        let polls = [poll(a.clone()), poll(b), poll(a), poll(job("SUCCESS"))];
        let r = job_protocol(&ctx(), &evidence(&s, &polls));
        let titles: Vec<&str> = r.failures.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(
            titles,
            vec![
                "the job: status is not a job state (polls 1-3)",
                "the job: job_type deleteProtectionGroupNoCG does not fit the operation (polls 1-3)"
            ]
        );
    }

    #[test]
    fn an_illegal_transition_and_a_change_after_the_end_fail() {
        let s = submit();
        let polls = [poll(job("RUNNING")), poll(job("INIT")), poll(job("SUCCESS")), poll(job("RUNNING"))];
        let r = job_protocol(&ctx(), &evidence(&s, &polls));
        let titles: Vec<&str> = r.failures.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(
            titles,
            vec![
                "illegal job transition RUNNING -> INIT (poll 2)",
                "the job changed after the terminal state SUCCESS: SUCCESS -> RUNNING (poll 4)"
            ]
        );
        assert_eq!(r.failures[0].expected, "RUNNING followed by one of: FAIL, SUCCESS");
    }

    #[test]
    fn wrong_times_fail() {
        let s = submit();
        let mut running = job("RUNNING");
        running["end_time"] = json!("2019-04-01T12:00:05Z");
        let mut done = job("SUCCESS");
        done["begin_time"] = json!("2019-04-01 12:00:10.5");
        let mut no_end = job("SUCCESS");
        no_end["end_time"] = Value::Null;
        let mut garbage = job("SUCCESS");
        garbage["begin_time"] = json!("yesterday");
        let polls = [poll(running), poll(done), poll(no_end), poll(garbage)];
        let r = job_protocol(&ctx(), &evidence(&s, &polls));
        let titles: Vec<&str> = r.failures.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(
            titles,
            vec![
                "the job: has an end_time while RUNNING (poll 1)",
                "the job: begin_time is after end_time (poll 2)",
                "the job: begin_time changed between polls (poll 2)",
                "the job: ended (SUCCESS) without end_time (poll 3)",
                "the job: begin_time is not a timestamp (poll 4)",
            ]
        );
    }

    #[test]
    fn timestamps_are_parsed_leniently() {
        let a = parse_time("2019-04-01T12:00:00.000Z").expect("iso");
        assert_eq!(parse_time("2019-04-01 12:00:00"), Some(a));
        assert_eq!(parse_time("2019-04-01T20:00:00.000000+08:00"), Some(a));
        assert_eq!(parse_time("2019-04-01T12:00:00.1234567891234Z").map(|t| t > a), Some(true));
        assert_eq!(parse_time("2019-02-30 12:00:00"), None);
        assert_eq!(parse_time("2019-04-01T25:00:00Z"), None);
        assert_eq!(parse_time("99999-04-01T12:00:00Z"), None);
        assert_eq!(parse_time(""), None);
    }

    #[test]
    fn error_fields_must_be_set_exactly_when_fail() {
        let s = submit();
        let mut fail = job("FAIL");
        fail["error_code"] = Value::Null;
        fail.as_object_mut().expect("object").remove("fail_reason");
        let polls = [poll(fail)];
        let r = job_protocol(&ctx(), &evidence(&s, &polls));
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures.len(), 2, "{}", r.details());
        assert_eq!(r.failures[0].title, "the job: FAIL without error_code (poll 1)");

        let mut ok = job("SUCCESS");
        ok["error_code"] = json!("");
        let polls = [poll(ok)];
        let r = job_protocol(&ctx(), &evidence(&s, &polls));
        assert_eq!(r.outcome, CheckOutcome::Warned, "{}", r.details());
        assert_eq!(r.failures[0].disagreements(), vec!["INC-51".to_owned()]);
    }

    #[test]
    fn entities_may_carry_more_keys_but_must_name_the_created_id() {
        let s = submit();
        let mut done = job("SUCCESS");
        done["entities"] =
            json!({"server_group_id": "g1", "volume_ids": "v1,v2", "native_server_id": "s", "nic_id": "n"});
        let polls = [poll(done)];
        let r = job_protocol(&ctx(), &evidence(&s, &polls));
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
        let mut done = job("SUCCESS");
        done["entities"] = json!({"server_group_id": "", "volume_id": "v"});
        let polls = [poll(done)];
        let r = job_protocol(&ctx(), &evidence(&s, &polls));
        let titles: Vec<&str> = r.failures.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(
            titles,
            vec!["the job: SUCCESS without the created resource's id in entities.server_group_id (poll 1)"]
        );
        assert_eq!(r.outcome, CheckOutcome::Failed);
        let mut done = job("SUCCESS");
        done["entities"] = json!("g1");
        let polls = [poll(done)];
        let r = job_protocol(&ctx(), &evidence(&s, &polls));
        assert_eq!(r.failures[0].title, "the job: entities is not an object (poll 1)");
    }

    #[test]
    fn sub_jobs_are_checked_recursively() {
        let s = submit();
        let mut sub_ok = job("SUCCESS");
        sub_ok["job_type"] = json!("stopProtectionGroupRepNoCG");
        sub_ok["job_id"] = json!("fedcba9876543210fedcba9876543210");
        let mut sub_bad = job("FAIL");
        sub_bad["job_type"] = json!("doSomethingNew");
        sub_bad["error_code"] = Value::Null;
        sub_bad["entities"] = json!({"sub_jobs": [{"status": "SUCCESS"}]});
        let mut done = job("SUCCESS");
        done["entities"] = json!({"server_group_id": "g1", "sub_jobs": [sub_ok, sub_bad, 7]});
        let polls = [poll(done)];
        let r = job_protocol(&ctx(), &evidence(&s, &polls));
        let titles: Vec<&str> = r.failures.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(
            titles,
            vec![
                "sub-job /entities/sub_jobs/1: unknown job_type doSomethingNew (poll 1)",
                "sub-job /entities/sub_jobs/1: FAIL without error_code (poll 1)",
                "sub-job /entities/sub_jobs/1/entities/sub_jobs/0: no job_id (poll 1)",
                "sub-job /entities/sub_jobs/1/entities/sub_jobs/0: no job_type (poll 1)",
                "sub-job /entities/sub_jobs/1/entities/sub_jobs/0: no begin_time (poll 1)",
                "sub-job /entities/sub_jobs/1/entities/sub_jobs/0: ended (SUCCESS) without end_time (poll 1)",
                "sub-job /entities/sub_jobs/1/entities/sub_jobs/0: no entities (poll 1)",
                "sub-job /entities/sub_jobs/2 is not an object (poll 1)",
            ]
        );
        assert_eq!(r.failures[0].disagreements(), vec!["INC-38".to_owned()]);
    }

    #[test]
    fn deeply_nested_sub_jobs_do_not_overflow() {
        let s = submit();
        let mut inner = job("SUCCESS");
        // 30 levels (90 JSON levels) stay under serde_json's parse limit of 128.
        for _ in 0..30 {
            let mut outer = job("SUCCESS");
            outer["entities"] = json!({"server_group_id": "g1", "sub_jobs": [inner]});
            inner = outer;
        }
        let polls = [poll(inner)];
        let r = job_protocol(&ctx(), &evidence(&s, &polls));
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn an_unfinished_job_fails_with_its_last_status() {
        let s = submit();
        let polls = [poll(job("INIT")), poll(job("RUNNING"))];
        let ev = JobEvidence { finished: false, ..evidence(&s, &polls) };
        let r = job_protocol(&ctx(), &ev);
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures[0].title, "the job did not reach SUCCESS or FAIL within the deadline");
        assert_eq!(r.failures[0].actual, "last status RUNNING (poll 2 of 2)");
    }

    #[test]
    fn polls_that_end_without_a_terminal_state_fail() {
        let s = submit();
        let polls = [poll(job("RUNNING"))];
        let r = job_protocol(&ctx(), &evidence(&s, &polls));
        assert_eq!(r.failures[0].title, "the polls ended without showing SUCCESS or FAIL");
    }

    #[test]
    fn the_follow_up_must_show_an_expected_state() {
        let s = submit();
        let polls = [poll(job("SUCCESS"))];
        let good =
            Exchange::fake("showProtectionGroup", "GET", "/", 200, json!({"server_group": {"status": "available"}}));
        let bad = Exchange::fake("showProtectionGroup", "GET", "/", 200, json!({"server_group": {"status": "error"}}));
        fn follow(ex: &Exchange) -> FollowUp<'_> {
            FollowUp {
                exchange: ex,
                status_pointer: "/server_group/status".into(),
                expected_states: vec!["available".into()],
                expect_gone: false,
                gone_codes: vec![],
            }
        }
        let ev = JobEvidence { follow_up: Some(follow(&good)), ..evidence(&s, &polls) };
        assert_eq!(job_protocol(&ctx(), &ev).outcome, CheckOutcome::Passed);
        let ev = JobEvidence { follow_up: Some(follow(&bad)), ..evidence(&s, &polls) };
        let r = job_protocol(&ctx(), &ev);
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures[0].title, "after the job ended (SUCCESS) the resource is not in an expected state");
        assert_eq!(r.failures[0].actual, "\"error\"");
    }

    #[test]
    fn a_deleted_resource_must_be_gone_after_the_job() {
        let s = Exchange::fake("deleteProtectionGroup", "DELETE", "/", 200, json!({"job_id": JOB}));
        let mut done = job("SUCCESS");
        done["job_type"] = json!("deleteProtectionGroupNoCG");
        let polls = [poll(done)];
        let gone = Exchange::fake(
            "showProtectionGroup",
            "GET",
            "/",
            400,
            json!({"badrequest": {"code": "SDRS.1013", "message": "m"}}),
        );
        let still =
            Exchange::fake("showProtectionGroup", "GET", "/", 200, json!({"server_group": {"status": "deleting"}}));
        fn follow(ex: &Exchange) -> FollowUp<'_> {
            FollowUp {
                exchange: ex,
                status_pointer: "/server_group/status".into(),
                expected_states: vec![],
                expect_gone: true,
                gone_codes: vec!["SDRS.1013".into()],
            }
        }
        let base =
            JobEvidence { job_types: vec!["deleteProtectionGroupNoCG".into()], entity: None, ..evidence(&s, &polls) };
        let ev = JobEvidence { follow_up: Some(follow(&gone)), ..base.clone() };
        assert_eq!(job_protocol(&ctx(), &ev).outcome, CheckOutcome::Passed, "{}", job_protocol(&ctx(), &ev).details());
        let ev = JobEvidence { follow_up: Some(follow(&still)), ..base };
        let r = job_protocol(&ctx(), &ev);
        assert_eq!(r.failures[0].title, "after the job ended (SUCCESS) the resource is not gone");
    }

    #[test]
    fn an_undocumented_job_type_needs_only_a_non_empty_string() {
        let s = submit();
        let mut body = job("SUCCESS");
        body["job_type"] = json!("batchCreateProtectedInstances");
        let polls = [poll(body)];
        let ev = JobEvidence { job_types: vec![], ..evidence(&s, &polls) };
        assert_eq!(job_protocol(&ctx(), &ev).outcome, CheckOutcome::Passed);
        let mut body = job("SUCCESS");
        body["job_type"] = json!("");
        let polls = [poll(body)];
        let ev = JobEvidence { job_types: vec![], ..evidence(&s, &polls) };
        assert_eq!(job_protocol(&ctx(), &ev).failures[0].title, "the job: job_type is not a non-empty string (poll 1)");
    }

    #[test]
    fn a_refused_or_unanswered_submit_is_skipped() {
        let s = Exchange::fake(
            "createProtectionGroup",
            "POST",
            "/",
            400,
            json!({"error": {"code": "SDRS.0201", "message": "m"}}),
        );
        assert_eq!(job_protocol(&ctx(), &evidence(&s, &[])).outcome, CheckOutcome::Skipped);
        let s = no_response("createProtectionGroup");
        assert_eq!(job_protocol(&ctx(), &evidence(&s, &[])).outcome, CheckOutcome::Skipped);
    }

    #[test]
    fn poll_numbers_read_as_ranges() {
        assert_eq!(ranges(&[1, 2, 3, 5, 7, 8]), "1-3, 5, 7-8");
        assert_eq!(ranges(&[4]), "4");
    }

    #[test]
    fn the_failure_display_is_stable() {
        let s = submit();
        let mut running = job("RUNNING");
        running["error_code"] = json!("SDRS.1011");
        let polls = [poll(running.clone()), poll(running), poll(job("RUNNING"))];
        let ev = JobEvidence { finished: false, ..evidence(&s, &polls) };
        let r = job_protocol(&ctx(), &ev);
        insta::assert_snapshot!(crate::checks::test_support::display(&r));
    }

    /// Feeds `bodies` to a fresh watch: the verdicts, then the final result after `end`.
    fn watch(ctx: CheckContext, bodies: Vec<Value>, end: PollEnd) -> (Vec<Verdict>, CheckResult) {
        let s = submit();
        let mut w = JobWatch::new(ctx, &s, vec!["createProtectionGroupNoCG".into()], Some("server_group_id".into()));
        let verdicts = bodies.into_iter().map(|b| w.observe(&poll(b))).collect();
        (verdicts, w.conclude(end, None))
    }

    fn stopped_at(verdicts: &[Verdict]) -> Option<usize> {
        verdicts.iter().position(|v| matches!(v, Verdict::Stop(_))).map(|i| i + 1)
    }

    #[test]
    fn a_watch_polls_on_through_running_and_ends_at_success() {
        let mut bodies = vec![job("INIT")];
        bodies.extend(std::iter::repeat_n(job("RUNNING"), 4));
        bodies.push(job("SUCCESS"));
        let (verdicts, r) = watch(ctx(), bodies, PollEnd::Ended);
        assert_eq!(
            verdicts[..5],
            [Verdict::Continue, Verdict::Continue, Verdict::Continue, Verdict::Continue, Verdict::Continue]
        );
        assert_eq!(verdicts[5], Verdict::Ended);
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn a_status_outside_the_enumeration_stops_at_its_poll_and_fails() {
        let (verdicts, r) = watch(ctx(), vec![job("RUNNING"), job("success"), job("success")], PollEnd::Ended);
        assert_eq!(stopped_at(&verdicts), Some(2));
        let Verdict::Stop(why) = &verdicts[1] else { unreachable!() };
        assert_eq!(why[0].title, "the job: status is not a job state");
        assert_eq!(r.outcome, CheckOutcome::Failed);
        let titles: Vec<&str> = r.failures.iter().map(|f| f.title.as_str()).collect();
        // Stopped at a violation: no second failure about how polling ended.
        assert_eq!(titles, vec!["the job: status is not a job state (polls 2-3)"]);
        assert!(matches!(&r.failures[0].provenance, Provenance::Documented { source } if source.contains("5.1.1")));
    }

    #[test]
    fn a_begin_time_that_changes_stops_polling() {
        let mut later = job("RUNNING");
        later["begin_time"] = json!("2019-04-01T12:00:01.000Z");
        let (verdicts, r) = watch(ctx(), vec![job("INIT"), later], PollEnd::Ended);
        assert_eq!(stopped_at(&verdicts), Some(2));
        assert_eq!(r.failures[0].title, "the job: begin_time changed between polls (poll 2)");
        assert_eq!(r.failures[0].actual, "\"2019-04-01T12:00:01.000Z\"");
        assert_eq!(r.outcome, CheckOutcome::Failed);
        // The same instant spelt otherwise is the same begin_time.
        let mut respelt = job("SUCCESS");
        respelt["begin_time"] = json!("2019-04-01 20:00:00+08:00");
        let (verdicts, r) = watch(ctx(), vec![job("RUNNING"), respelt], PollEnd::Ended);
        assert_eq!(verdicts, vec![Verdict::Continue, Verdict::Ended]);
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn a_success_that_reports_an_error_fails_and_stops() {
        let mut done = job("SUCCESS");
        done["error_code"] = json!("SDRS.1014");
        done["fail_reason"] = json!("quota");
        let (verdicts, r) = watch(ctx(), vec![job("RUNNING"), done], PollEnd::Ended);
        assert_eq!(stopped_at(&verdicts), Some(2));
        let titles: Vec<&str> = r.failures.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(
            titles,
            vec!["the job: SUCCESS with error_code set (poll 2)", "the job: SUCCESS with fail_reason set (poll 2)"]
        );
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert!(r.failures.iter().all(|f| f.disagreements().is_empty()));
        // Null, absent and empty fields are INC-51's matter: a warning, polling ends normally.
        let mut empty = job("SUCCESS");
        empty["fail_reason"] = json!("");
        let (verdicts, r) = watch(ctx(), vec![empty], PollEnd::Ended);
        assert_eq!(verdicts, vec![Verdict::Ended]);
        assert_eq!(r.outcome, CheckOutcome::Warned, "{}", r.details());
    }

    #[test]
    fn another_job_id_a_status_going_back_and_wrong_times_each_stop() {
        let mut other = job("RUNNING");
        other["job_id"] = json!("ffffffffffffffffffffffffffffffff");
        let mut numeric = job("RUNNING");
        numeric["job_id"] = json!(7);
        let mut ended_early = job("RUNNING");
        ended_early["end_time"] = json!("2019-04-01T12:00:05.000Z");
        let mut backwards = job("SUCCESS");
        backwards["end_time"] = json!("2019-04-01T11:59:00.000Z");
        let cases = [
            (vec![job("INIT"), other], 2, "the polled job has another job_id than the one submitted (poll 2)"),
            (vec![numeric], 1, "the polled job has another job_id than the one submitted (poll 1)"),
            (vec![job("RUNNING"), job("INIT")], 2, "illegal job transition RUNNING -> INIT (poll 2)"),
            (vec![ended_early], 1, "the job: has an end_time while RUNNING (poll 1)"),
            (vec![backwards], 1, "the job: begin_time is after end_time (poll 1)"),
        ];
        for (bodies, at, title) in cases {
            let (verdicts, r) = watch(ctx(), bodies, PollEnd::Ended);
            assert_eq!(stopped_at(&verdicts), Some(at), "{title}");
            assert_eq!(r.outcome, CheckOutcome::Failed, "{title}");
            assert_eq!(r.failures[0].title, title);
        }
    }

    #[test]
    fn a_job_error_field_while_running_warns_and_polls_on() {
        let mut running = job("RUNNING");
        running["error_code"] = json!("SDRS.1011");
        let (verdicts, r) = watch(ctx(), vec![running.clone(), job("SUCCESS")], PollEnd::Ended);
        assert_eq!(verdicts, vec![Verdict::Continue, Verdict::Ended]);
        assert_eq!(r.outcome, CheckOutcome::Warned, "{}", r.details());
        // Under --strict it fails; it still does not stop polling, as the job may yet end well.
        let (verdicts, r) = watch(strict(), vec![running, job("SUCCESS")], PollEnd::Ended);
        assert_eq!(verdicts, vec![Verdict::Continue, Verdict::Ended]);
        assert_eq!(r.outcome, CheckOutcome::Failed);
    }

    #[test]
    fn an_unanswered_poll_or_a_wrong_job_type_does_not_stop_polling() {
        let mut typed = job("RUNNING");
        typed["job_type"] = json!("deleteProtectionGroupNoCG");
        let s = submit();
        let mut w = JobWatch::new(ctx(), &s, vec!["createProtectionGroupNoCG".into()], None);
        assert_eq!(w.observe(&Exchange::fake("showJobStatus", "GET", "/", 503, json!(null))), Verdict::Continue);
        assert_eq!(w.observe(&no_response("showJobStatus")), Verdict::Continue);
        assert_eq!(w.observe(&poll(typed)), Verdict::Continue);
        assert_eq!(w.last_status(), Some("RUNNING"));
        assert_eq!(w.observe(&poll(job("SUCCESS"))), Verdict::Ended);
        assert_eq!(w.conclude(PollEnd::Ended, None).failures.len(), 3);
    }

    #[test]
    fn a_job_running_at_its_deadline_fails_unless_the_harness_abandoned_it() {
        let (_, r) = watch(ctx(), vec![job("INIT"), job("RUNNING")], PollEnd::Deadline);
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures[0].title, "the job did not reach SUCCESS or FAIL within the deadline");
        assert!(matches!(&r.failures[0].provenance, Provenance::Documented { source } if source.contains("5.1.1")));
        let (_, r) = watch(ctx(), vec![job("INIT"), job("RUNNING")], PollEnd::Abandoned);
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }
}

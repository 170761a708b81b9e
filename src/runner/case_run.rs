//! The execution of one case: its steps in order, with variables, checks and a registry of
//! what it created.

use super::jobs::Polled;
use super::resources::{kind, kind_of_entity, Kind};
use super::select::select;
use super::teardown::Registry;
use super::Runner;
use crate::cases::template::{render_str, render_value, Vars};
use crate::cases::{
    Case, Credentials, JobOutcome, Judge, PaginateStep, RequestStep, StateGuard, Step, WaitJobStep, WaitStatusStep,
};
use crate::checks::{self, CheckContext, CheckName, CheckResult, Outcome};
use crate::client::tape::{self, Tape};
use crate::client::Outgoing;
use crate::exchange::Exchange;
use crate::report::{CaseOutcome, CheckReport};
use crate::spec::{Action, Operation, Target};
use serde_json::Value;
use std::collections::BTreeSet;

/// The state of one case while it runs.
pub struct CaseRun<'r> {
    runner: &'r Runner,
    case: &'r Case,
    /// Variables: prerequisites, fixture ids, captures.
    pub vars: Vars,
    /// Every check verdict so far.
    pub results: Vec<CheckReport>,
    /// Why the harness could not judge, if it could not.
    pub error: Option<String>,
    /// Why the case did not run to its end although nothing went wrong (a state it needed ended).
    pub skipped: Option<String>,
    /// The status of the last answer to one of the case's requests (none: no answer).
    pub last_status: Option<u16>,
    /// Spare NICs named by a write the target accepted: they may be gone.
    pub used_nics: BTreeSet<String>,
    /// What the case created.
    pub registry: Registry,
    /// Resources whose statuses the case saw.
    touched: BTreeSet<String>,
    /// Every status this case saw, in the order its own (sequential) requests got them. A shared
    /// store would mix answers of concurrent cases in arrival order, not in the order the target
    /// produced them.
    observations: super::observe::Observations,
    /// Redacted payloads the case snapshots, by name.
    pub payloads: Vec<(String, Value)>,
    /// The status of the last job the case followed to its end.
    last_job: Option<String>,
    /// Members of the group an action with a cascade is about to move, with their statuses.
    cascade_before: Vec<checks::Member>,
    /// The resource a delete is about to remove, as shown just before.
    deleting: Option<Value>,
    /// Every exchange the case completed, with its step: the evidence of a failure.
    pub tape: std::sync::Arc<std::sync::Mutex<Tape>>,
}

/// Why a case's steps stop before the last one.
enum Stop {
    /// The harness cannot go on (the case is an error).
    Error(String),
    /// A state the case needed ended by itself (the case is skipped).
    Skip(String),
}

impl<'r> CaseRun<'r> {
    /// A run of `case` with starting variables.
    pub fn new(runner: &'r Runner, case: &'r Case, vars: Vars) -> CaseRun<'r> {
        CaseRun {
            runner,
            case,
            vars,
            results: Vec::new(),
            error: None,
            skipped: None,
            last_status: None,
            used_nics: BTreeSet::new(),
            registry: Registry::default(),
            touched: BTreeSet::new(),
            observations: super::observe::Observations::default(),
            payloads: Vec::new(),
            last_job: None,
            cascade_before: Vec::new(),
            deleting: None,
            tape: Tape::new(&case.id),
        }
    }

    pub(super) fn runner_ref(&self) -> &'r Runner {
        self.runner
    }

    pub(super) fn case_id(&self) -> &str {
        &self.case.id
    }

    fn ctx(&self) -> CheckContext<'r> {
        let runner: &'r Runner = self.runner;
        CheckContext { specs: runner.specs, schemas: &runner.schemas, strict: runner.config.strict }
    }

    /// The reading of ours (`x-sdrs-inferred: GAP-xx`) of what the list's `count` counts, if marked.
    fn count_inferred(&self, op: &Operation) -> Option<String> {
        let document = &self.runner.specs.api_of(op).document;
        let schema =
            op.responses.get(&200).and_then(|r| r.schema_pointer.as_deref()).and_then(|p| document.pointer(p))?;
        let schema = match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => crate::spec::resolve_ref(document, r).unwrap_or(schema),
            None => schema,
        };
        schema.pointer("/properties/count").and_then(crate::spec::inferred_gap)
    }

    /// Records a harness error (the first one wins).
    pub fn harness_error(&mut self, message: String) {
        if self.error.is_none() {
            self.error = Some(message);
        }
    }

    fn push(&mut self, step: &str, result: CheckResult) {
        self.results.push(CheckReport::from_result(&result, step, &self.runner.specs.readings));
    }

    /// The case's outcome from its verdicts and errors.
    pub fn outcome(&self) -> CaseOutcome {
        if self.results.iter().any(|r| r.outcome == Outcome::Failed) {
            CaseOutcome::Failed
        } else if self.error.is_some() {
            CaseOutcome::Error
        } else if self.skipped.is_some() {
            CaseOutcome::Skipped
        } else if self.results.iter().any(|r| r.outcome == Outcome::Warned) {
            CaseOutcome::Warned
        } else {
            CaseOutcome::Passed
        }
    }

    /// Runs the steps in order; stops at the first step that cannot go on.
    pub async fn execute(&mut self) {
        for (index, step) in self.case.steps.iter().enumerate() {
            let label = if step.name().is_empty() { format!("step {}", index + 1) } else { step.name().to_owned() };
            tape::set_step(&label);
            let outcome = match step {
                Step::Request(r) => self.request(&label, r).await,
                Step::WaitJob(w) => self.wait_job(&label, w).await,
                Step::WaitStatus(w) => self.wait_status(&label, w).await,
                Step::Paginate(p) => self.paginate(&label, p).await,
            };
            match outcome {
                Ok(()) => {}
                Err(Stop::Error(why)) => return self.harness_error(format!("{label}: {why}")),
                Err(Stop::Skip(why)) => {
                    self.skipped = Some(why);
                    return;
                }
            }
        }
    }

    fn render_request(&self, step: &RequestStep, op: &Operation) -> Result<(Outgoing, Vars), Stop> {
        let mut path = String::new();
        let mut path_values = Vars::new();
        let mut rest = op.path.as_str();
        while let Some(start) = rest.find('{') {
            path.push_str(&rest[..start]);
            let end = rest[start..]
                .find('}')
                .map(|e| start + e)
                .ok_or_else(|| Stop::Error(format!("bad path template {}", op.path)))?;
            let name = &rest[start + 1..end];
            let value = if name == "project_id" {
                self.runner.project_id().to_owned()
            } else {
                let raw =
                    step.path.get(name).ok_or_else(|| Stop::Error(format!("no value for path parameter {name}")))?;
                let v = render_value(raw, &self.vars).map_err(|e| Stop::Error(e.to_string()))?;
                match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                }
            };
            path_values.insert(name.to_owned(), Value::String(value.clone()));
            path.push_str(&value);
            rest = &rest[end + 1..];
        }
        path.push_str(rest);
        let mut query = Vec::new();
        for (k, v) in &step.query {
            let v = render_value(v, &self.vars).map_err(|e| Stop::Error(e.to_string()))?;
            query.push((
                k.clone(),
                match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                },
            ));
        }
        let body = match (&step.raw_body, &step.body) {
            (Some(raw), _) => Some(render_str(raw, &self.vars).map_err(|e| Stop::Error(e.to_string()))?.into_bytes()),
            (None, Some(b)) => {
                let v = render_value(b, &self.vars).map_err(|e| Stop::Error(e.to_string()))?;
                path_values.insert("__body".into(), v.clone());
                Some(serde_json::to_vec(&v).expect("json"))
            }
            (None, None) => None,
        };
        let method = step.method_override.clone().unwrap_or_else(|| op.method.clone());
        Ok((
            Outgoing { operation: op.id.clone(), method, path, query, body, credentials: step.credentials },
            path_values,
        ))
    }

    async fn request(&mut self, label: &str, step: &RequestStep) -> Result<(), Stop> {
        let specs = self.runner.specs;
        let op = specs
            .operation(&step.operation)
            .ok_or_else(|| Stop::Error(format!("unknown operation {}", step.operation)))?;
        let (out, rendered) = self.render_request(step, op)?;
        let actions: Vec<&Action> = specs.states.actions_of(&op.id).collect();
        let before = self.acted_id(op, &actions, &rendered, None).and_then(|id| self.observations.last(&id));
        if self.runner.ledger_enabled() && actions.iter().any(|a| a.creates) {
            self.runner.ledger_intent(&self.case.id, &op.id, &self.vars);
        }
        self.read_before(op, &actions, &rendered).await;
        // Last before the request: a job that a region finishes by itself may end the state at
        // any moment, so the reads before it must not widen the window.
        if let Some(guard) = &step.only_while {
            self.still_in_state(guard).await?;
        }
        let ex = self.runner.send(&out).await;
        self.last_status = ex.status();
        self.judge(label, step, op, &ex);
        let Some(resp) = ex.ok() else {
            return if step.setup { Err(Stop::Error(format!("no answer: {}", transport(&ex)))) } else { Ok(()) };
        };
        if let Some(json) = &resp.json {
            if resp.is_success() {
                self.observe(json);
            }
        }
        if resp.is_success() && out.method != "GET" {
            self.note_used_nics(&out);
        }
        if step.setup && !self.status_expected(step, op, resp.status) {
            return Err(Stop::Error(format!(
                "setup request answered {} ({})",
                resp.status,
                excerpt(&resp.body_text())
            )));
        }
        for (var, pointer) in &step.capture {
            let pointer = render_str(pointer, &self.vars).map_err(|e| Stop::Error(e.to_string()))?;
            match resp.json.as_ref().and_then(|j| select(j, &pointer)) {
                Some(v) => {
                    self.vars.insert(var.clone(), v.clone());
                }
                None if step.setup => return Err(Stop::Error(format!("nothing at {pointer} to capture as {var}"))),
                None => {}
            }
        }
        if let (Some(expect_state), Some(json)) = (&step.expect.state, resp.json.as_ref()) {
            self.expect_state(label, expect_state, json);
        }
        if !step.expect.fields.is_empty() {
            let json = resp.json.clone().unwrap_or(Value::Null);
            self.expect_fields(label, &step.expect.fields, &json)?;
        }
        self.last_job = None;
        if resp.is_success() && op.async_job.is_some() {
            self.follow_job(label, step, op, &actions, &ex, &rendered, before).await?;
        }
        let job_ok = op.async_job.is_none() || self.last_job.as_deref() == Some("SUCCESS");
        if let (Some(rb), true, true) = (&step.read_back, resp.is_success(), job_ok) {
            self.read_back(label, rb).await?;
        }
        if let (Some(name), Some(json)) = (&step.snapshot, resp.json.as_ref()) {
            let name = match name {
                Value::String(s) => s.clone(),
                _ => self.case.id.clone(),
            };
            self.snapshot(label, &name, json);
        }
        Ok(())
    }

    /// Records the spare NICs an accepted write named, in its path or body.
    fn note_used_nics(&mut self, out: &Outgoing) {
        let body = out.body.as_deref().map(String::from_utf8_lossy).unwrap_or_default();
        for (name, value) in &self.vars {
            let Some(nic) = value.as_str().filter(|_| name.starts_with("spare_nic.")) else { continue };
            if out.path.contains(nic) || body.contains(nic) {
                self.used_nics.insert(nic.to_owned());
            }
        }
    }

    /// Reads the guarded resource; when it no longer shows the state, the case is skipped.
    async fn still_in_state(&mut self, guard: &StateGuard) -> Result<(), Stop> {
        let k =
            kind(&guard.resource).ok_or_else(|| Stop::Error(format!("unknown resource kind {}", guard.resource)))?;
        let id = render_str(&guard.id, &self.vars).map_err(|e| Stop::Error(e.to_string()))?;
        let shown =
            self.show(k, &id).await.ok_or_else(|| Stop::Error(format!("no show operation for {}", k.machine)))?;
        let status = match shown.ok() {
            Some(resp) if resp.is_success() => {
                if let Some(json) = &resp.json {
                    self.observe(json);
                }
                resp.json.as_ref().and_then(find_status).map(str::to_owned)
            }
            Some(resp) if (400..500).contains(&resp.status) => None,
            _ => return Err(Stop::Error(format!("cannot read the {} {id}: {}", k.machine, transport(&shown)))),
        };
        if status.as_deref() == Some(guard.status.as_str()) {
            return Ok(());
        }
        let now = status.map_or_else(|| "gone".to_owned(), |s| format!("`{s}`"));
        Err(Stop::Skip(format!(
            "the {} left `{}` by itself before the request could be sent (now {now})",
            k.machine.replace('_', " "),
            guard.status
        )))
    }

    fn status_expected(&self, step: &RequestStep, op: &Operation, status: u16) -> bool {
        match &step.expect.status {
            Some(set) => set.to_vec().contains(&status),
            None => status == op.success_status,
        }
    }

    fn judge(&mut self, label: &str, step: &RequestStep, op: &Operation, ex: &Exchange) {
        let ctx = self.ctx();
        let expected = step.expect.status.as_ref().map(|s| s.to_vec()).unwrap_or_else(|| vec![op.success_status]);
        let disputed = &step.expect.disagreements;
        let verdict = match &step.expect.judge {
            Judge::StatusCode => {
                let mut r = checks::status_code(&ctx, op, &expected, ex);
                if r.outcome == Outcome::Failed
                    && !disputed.is_empty()
                    && ex.status().is_some_and(|s| !(200..300).contains(&s))
                {
                    r = soften(r, disputed, ctx.strict);
                }
                r
            }
            Judge::NegativeRejection { mutation } => checks::negative_rejection(
                &ctx,
                &checks::ExpectedRejection {
                    mutation: mutation.clone(),
                    status: expected.first().copied().unwrap_or(400),
                    codes: step.expect.codes.clone(),
                    disagreements: disputed.clone(),
                },
                ex,
            ),
            Judge::Precondition { action, state } => checks::precondition(
                &ctx,
                &checks::ExpectedRefusal {
                    action: action.clone(),
                    state: state.clone(),
                    status: expected.first().copied().unwrap_or(400),
                    codes: step.expect.codes.clone(),
                    disagreements: disputed.clone(),
                    code_disagreements: step.expect.code_disagreements.clone(),
                },
                ex,
            ),
            Judge::AuthRequired => checks::auth_required(&ctx, step.credentials.describe(), ex),
        };
        let content = checks::content_type(&ctx, op, ex);
        let schema = checks::response_schema(&ctx, op, ex);
        self.push(label, verdict);
        self.push(label, content);
        self.push(label, schema);
        if ex.status().is_some_and(|s| s >= 400) {
            let codes =
                if matches!(step.expect.judge, Judge::StatusCode) { step.expect.codes.clone() } else { Vec::new() };
            let mut r = checks::error_body(&ctx, op, &codes, ex);
            if r.outcome == Outcome::Failed && !disputed.is_empty() {
                r = soften(r, disputed, ctx.strict);
            }
            self.push(label, r);
        }
    }

    /// Records the statuses of an answer; a show (not a list) makes the case judge that resource.
    fn observe(&mut self, json: &Value) {
        self.observations.record_body(json);
        let listed = json.as_object().is_some_and(|m| m.values().any(Value::is_array));
        if !listed {
            collect_ids(json, &mut self.touched);
        }
    }

    fn expect_state(&mut self, label: &str, expected: &str, json: &Value) {
        let actual = find_status(json);
        let result = match actual {
            Some(a) if a == expected => CheckResult::passed(CheckName::StateTransition),
            other => CheckResult::from_failures(
                CheckName::StateTransition,
                vec![checks::Failure::new(
                    format!("the resource is not in the state the scenario expects ({expected})"),
                    expected.to_owned(),
                    other.unwrap_or("no status in the answer").to_owned(),
                )],
                self.runner.config.strict,
            ),
        };
        self.push(label, result);
    }

    fn expect_fields(
        &mut self,
        label: &str,
        fields: &std::collections::BTreeMap<String, Value>,
        json: &Value,
    ) -> Result<(), Stop> {
        let mut failures = Vec::new();
        for (pointer, want) in fields {
            let pointer = render_str(pointer, &self.vars).map_err(|e| Stop::Error(e.to_string()))?;
            let want = render_value(want, &self.vars).map_err(|e| Stop::Error(e.to_string()))?;
            let got = select(json, &pointer).cloned().unwrap_or(Value::Null);
            if got != want {
                failures.push(checks::Failure::new(
                    format!("{pointer} does not show what the scenario did"),
                    want.to_string(),
                    got.to_string(),
                ));
            }
        }
        let r = CheckResult::from_failures(CheckName::ResourceLifecycle, failures, self.runner.config.strict);
        self.push(label, r);
        Ok(())
    }

    /// The id of the resource an action acts on.
    fn acted_id(
        &self,
        op: &Operation,
        actions: &[&Action],
        rendered: &Vars,
        entities: Option<&Value>,
    ) -> Option<String> {
        let action = actions.first()?;
        let k = kind(&action.machine)?;
        if let Some(Value::String(id)) = rendered.get(k.param) {
            return Some(id.clone());
        }
        if let Some(body) = rendered.get("__body") {
            if let Some(Value::String(id)) = select(body, "/replicationAttachment/replication_id") {
                if k.machine == "replication_pair" {
                    return Some(id.clone());
                }
            }
        }
        let _ = op;
        entities.and_then(|e| e.get(k.entity)).and_then(Value::as_str).map(str::to_owned)
    }

    #[allow(clippy::too_many_arguments)]
    async fn follow_job(
        &mut self,
        label: &str,
        step: &RequestStep,
        op: &Operation,
        actions: &[&Action],
        submit: &Exchange,
        rendered: &Vars,
        before: Option<String>,
    ) -> Result<(), Stop> {
        let spec =
            step.job.clone().unwrap_or(crate::cases::JobSpec { outcome: JobOutcome::NoWait, ..Default::default() });
        let Some(job_id) = submit.json().and_then(|j| j.get("job_id")).and_then(Value::as_str).map(str::to_owned)
        else {
            let ctx = self.ctx();
            let ev = checks::JobEvidence {
                submit,
                job_types: Vec::new(),
                entity: None,
                polls: &[],
                finished: false,
                follow_up: None,
            };
            let r = checks::job_protocol(&ctx, &ev);
            self.push(label, r);
            return if step.setup {
                Err(Stop::Error("the asynchronous write returned no job_id".into()))
            } else {
                Ok(())
            };
        };
        let creates = actions.iter().any(|a| a.creates);
        if creates {
            self.runner.ledger_job(&self.case.id, &op.id, &job_id);
        }
        if spec.outcome == JobOutcome::NoWait {
            self.registry.pending.push(job_id);
            return Ok(());
        }
        // Until its entities are known, a creation's job is pending: a case cut short while it
        // runs still deletes what it makes.
        if creates {
            self.registry.pending.push(job_id.clone());
        }
        // The job types and entity are those of any action the operation may be; the follow-up
        // below picks the action the job turned out to be.
        let job_types = job_types_of(op, actions);
        let entity = if creates && actions.iter().any(|a| a.job_type.is_some()) {
            op.async_job.as_ref().and_then(|a| a.entity.clone())
        } else {
            None
        };
        let mut watch = checks::JobWatch::new(self.ctx(), submit, job_types, entity);
        let deadline = spec.timeout.map(std::time::Duration::from_secs);
        let polled = self.runner.poll_watched(&job_id, deadline, &mut watch).await;
        if creates {
            self.register_entities(polled.entities());
            self.registry.pending.retain(|j| *j != job_id);
        }
        let job_type = polled.last.as_ref().and_then(|j| j.get("job_type")).and_then(Value::as_str).map(str::to_owned);
        let action = job_type
            .as_deref()
            .and_then(|jt| actions.iter().find(|a| a.job_type.as_deref() == Some(jt)))
            .or_else(|| spec.action.as_deref().and_then(|n| actions.iter().find(|a| a.name == n)))
            .or_else(|| actions.iter().find(|a| before.as_deref().is_some_and(|b| a.from.iter().any(|f| f == b))))
            .or(actions.first())
            .copied();
        for (var, entity) in &spec.capture {
            let found = polled
                .entities()
                .and_then(|e| e.get(entity).or_else(|| e.pointer(&format!("/sub_jobs/0/entities/{entity}"))))
                .cloned();
            match found {
                Some(v) => {
                    self.vars.insert(var.clone(), v);
                }
                None if step.setup && spec.outcome == JobOutcome::Success => {
                    return Err(Stop::Error(format!("the job's entities carry no {entity} to capture as {var}")));
                }
                None => {}
            }
        }
        let status = polled.status().map(str::to_owned);
        self.last_job = status.clone();
        let acted = self.acted_id(op, actions, rendered, polled.entities());
        // After the job: GET the acted-on resource and expect the action's end state.
        let mut follow_exchange = None;
        let mut expected_states = Vec::new();
        let mut expect_gone = false;
        let mut kind_used: Option<&Kind> = None;
        if let (Some(action), Some(id), Some(status)) = (action, acted.as_ref(), status.as_deref()) {
            if let (Some(k), Some(machine)) =
                (kind(&action.machine), self.runner.specs.states.machines.get(&action.machine))
            {
                let target: &Target = if status == "SUCCESS" { &action.success } else { &action.failure };
                expect_gone = matches!(target, Target::Gone);
                expected_states = target.resolve(machine, before.as_deref());
                if let Some(ex) = self.show(k, id).await {
                    if let Some(j) = ex.json() {
                        if ex.status() == Some(200) {
                            self.observe(&j.clone());
                        }
                    }
                    follow_exchange = Some(ex);
                    kind_used = Some(k);
                }
            }
        }
        // A group action moves its members too: read them, so every member's sequence stays
        // complete, and judge each against the action's cascade.
        if let (Some(a), Some(id), Some(status)) = (action, acted.as_ref(), status.as_deref()) {
            if !a.cascade.is_empty() {
                let after = self.members(a, id).await;
                let mut members = std::mem::take(&mut self.cascade_before);
                for m in &mut members {
                    m.after = after.iter().find(|n| n.id == m.id).and_then(|n| n.before.clone());
                }
                if matches!(status, "SUCCESS" | "FAIL") {
                    let ctx = self.ctx();
                    let r = checks::cascade(&ctx, a, id, &members, status == "SUCCESS");
                    if r.outcome != Outcome::Skipped {
                        self.push(label, r);
                    }
                }
            }
        }
        let ctx = self.ctx();
        let follow_up = match (&follow_exchange, kind_used) {
            (Some(ex), Some(k)) => Some(checks::FollowUp {
                exchange: ex,
                status_pointer: format!("/{}/status", k.one),
                expected_states: expected_states.clone(),
                expect_gone,
                gone_codes: gone_codes(self.runner.specs, k),
            }),
            _ => None,
        };
        let mut r = watch.conclude(polled.end, follow_up.as_ref());
        let wanted = spec.outcome;
        let mismatch = match (wanted, status.as_deref()) {
            (JobOutcome::Success, Some("FAIL")) => Some("the job failed but was expected to succeed"),
            (JobOutcome::Fail, Some("SUCCESS")) => Some("the job succeeded but was expected to fail"),
            _ => None,
        };
        if let (Some(why), false) = (mismatch, step.setup) {
            let reason = polled
                .last
                .as_ref()
                .map(|j| {
                    format!(
                        "{} {}",
                        j.get("error_code").unwrap_or(&Value::Null),
                        j.get("fail_reason").unwrap_or(&Value::Null)
                    )
                })
                .unwrap_or_default();
            let mut failures = r.failures.clone();
            failures.push(checks::Failure::new(
                why,
                format!("{wanted:?}"),
                format!("{} {reason}", status.as_deref().unwrap_or("?")),
            ));
            r = CheckResult::from_failures(CheckName::JobProtocol, failures, ctx.strict);
        }
        self.push(label, r);
        if polled.end == checks::PollEnd::Abandoned {
            let why = self.runner.breaker.jobs_trip().unwrap_or_else(|| "jobs of this target are not finishing".into());
            return Err(Stop::Error(format!("cut short: {why}")));
        }
        if step.setup {
            if let Some(why) = mismatch {
                return Err(Stop::Error(why.to_owned()));
            }
            if let (Some(rule), false) = (&polled.stopped, polled.finished) {
                return Err(Stop::Error(format!("job {job_id} broke the job protocol: {rule}")));
            }
            if !polled.finished {
                return Err(Stop::Error(format!("job {job_id} did not end")));
            }
        }
        // Lifecycle: a created resource is shown and listed; a deleted one is gone.
        if status.as_deref() == Some("SUCCESS") {
            if let (Some(action), Some(id)) = (action, acted) {
                if action.creates || action.deletes {
                    if let Some(k) = kind(&action.machine) {
                        self.lifecycle(label, k, &id, action.deletes, follow_exchange).await;
                    }
                }
            }
        }
        Ok(())
    }

    fn register_entities(&mut self, entities: Option<&Value>) {
        let Some(e) = entities else { return };
        if let Some(map) = e.as_object() {
            for (key, v) in map {
                if let (Some(k), Some(id)) = (kind_of_entity(key), v.as_str()) {
                    if self.registry.add(k.machine, id) {
                        self.runner.count_created(k.machine);
                        self.runner.ledger_created(&self.case.id, k.machine, id);
                    }
                }
            }
            if let Some(subs) = map.get("sub_jobs").and_then(Value::as_array) {
                for s in subs {
                    self.register_entities(s.get("entities"));
                }
            }
        }
    }

    pub(super) async fn show(&self, k: &Kind, id: &str) -> Option<Exchange> {
        let op = self.runner.specs.operation(k.show)?;
        let path = op.path.replace("{project_id}", self.runner.project_id()).replace(&format!("{{{}}}", k.param), id);
        let out = Outgoing { operation: op.id.clone(), method: "GET".into(), path, ..Outgoing::default() };
        Some(self.runner.send(&out).await)
    }

    pub(super) async fn list(&self, k: &Kind, query: Vec<(String, String)>) -> Option<Exchange> {
        let op = self.runner.specs.operation(k.list)?;
        let path = op.path.replace("{project_id}", self.runner.project_id());
        let out = Outgoing { operation: op.id.clone(), method: "GET".into(), path, query, ..Outgoing::default() };
        Some(self.runner.send(&out).await)
    }

    /// Reads what an action is about to change: the members a cascade moves, the resource a
    /// delete removes.
    async fn read_before(&mut self, op: &Operation, actions: &[&Action], rendered: &Vars) {
        self.cascade_before.clear();
        self.deleting = None;
        let Some(id) = self.acted_id(op, actions, rendered, None) else { return };
        if let Some(a) = actions.iter().find(|a| !a.cascade.is_empty()) {
            self.cascade_before = self.members(a, &id).await;
        }
        if let Some(k) = actions.iter().find(|a| a.deletes).and_then(|a| kind(&a.machine)) {
            if let Some(ex) = self.show(k, &id).await {
                self.deleting = ex.json().filter(|_| ex.status() == Some(200)).and_then(|j| j.get(k.one).cloned());
            }
        }
    }

    /// The members of group `group_id` that `action` cascades to, with their current statuses
    /// (in `before`).
    async fn members(&mut self, action: &Action, group_id: &str) -> Vec<checks::Member> {
        let mut members = Vec::new();
        for child in action.cascade.keys() {
            let Some(k) = kind(child) else { continue };
            let Some(ex) = self.list(k, vec![("server_group_id".to_owned(), group_id.to_owned())]).await else {
                continue;
            };
            let Some(json) = ex.json().filter(|_| ex.status() == Some(200)).cloned() else { continue };
            self.observe(&json);
            for item in json.get(k.many).and_then(Value::as_array).into_iter().flatten() {
                if let Some(id) = item.get("id").and_then(Value::as_str) {
                    members.push(checks::Member {
                        machine: k.machine.to_owned(),
                        id: id.to_owned(),
                        before: item.get("status").and_then(Value::as_str).map(str::to_owned),
                        after: None,
                    });
                }
            }
        }
        members
    }

    /// Reads a written resource back through show, the list and the lists filtered by its name,
    /// status and group, and judges the fields written.
    async fn read_back(&mut self, label: &str, rb: &crate::cases::ReadBack) -> Result<(), Stop> {
        let k = kind(&rb.resource).ok_or_else(|| Stop::Error(format!("unknown resource kind {}", rb.resource)))?;
        let id = render_str(&rb.id, &self.vars).map_err(|e| Stop::Error(e.to_string()))?;
        let mut fields = Vec::new();
        for (pointer, value) in &rb.fields {
            fields.push((pointer.clone(), render_value(value, &self.vars).map_err(|e| Stop::Error(e.to_string()))?));
        }
        let Some(show) = self.show(k, &id).await else { return Ok(()) };
        let shown = show.json().and_then(|j| j.get(k.one)).cloned().unwrap_or(Value::Null);
        let mut queries = vec![self.plain_query(k)];
        for filter in self.selecting_filters(k, &shown) {
            queries.push(vec![filter]);
        }
        let mut answers = Vec::new();
        for query in queries {
            let Some(ex) = self.list(k, query.clone()).await else { continue };
            answers.push((describe_query(&query), ex));
        }
        let ctx = self.ctx();
        let ev = checks::ReadBackEvidence {
            machine: k.machine.into(),
            id,
            fields,
            show: &show,
            show_pointer: format!("/{}", k.one),
            lists: answers
                .iter()
                .map(|(q, ex)| checks::Listing { query: q.clone(), exchange: ex, exact_count: false })
                .collect(),
            items_pointer: format!("/{}", k.many),
        };
        let r = checks::read_back(&ctx, &ev);
        self.push(label, r);
        Ok(())
    }

    /// The query of the plain list: every item on one page where the list pages.
    fn plain_query(&self, k: &Kind) -> Vec<(String, String)> {
        if k.machine == "replication_pair" {
            Vec::new()
        } else {
            vec![("limit".to_owned(), "1000".to_owned())]
        }
    }

    /// The list filters that should select `resource` (as shown): its name, status and group.
    fn selecting_filters(&self, k: &Kind, resource: &Value) -> Vec<(String, String)> {
        let mut filters = Vec::new();
        let keys: &[&str] =
            if k.machine == "server_group" { &["name", "status"] } else { &["name", "status", "server_group_id"] };
        for key in keys {
            if let Some(v) = resource.get(*key).and_then(Value::as_str).filter(|v| !v.is_empty()) {
                filters.push(((*key).to_owned(), v.to_owned()));
            }
        }
        filters
    }

    async fn lifecycle(&mut self, label: &str, k: &'static Kind, id: &str, deleted: bool, shown: Option<Exchange>) {
        let show = match shown {
            Some(s) => s,
            None => match self.show(k, id).await {
                Some(s) => s,
                None => return,
            },
        };
        let query =
            if k.machine == "replication_pair" { Vec::new() } else { vec![("limit".to_owned(), "1000".to_owned())] };
        let Some(list) = self.list(k, query).await else { return };
        if let Some(j) = list.json() {
            if list.status() == Some(200) {
                self.observe(&j.clone());
            }
        }
        let ctx = self.ctx();
        let ev = if deleted {
            checks::LifecycleEvidence::Deleted {
                machine: k.machine.into(),
                id: id.into(),
                show: &show,
                gone_codes: gone_codes(self.runner.specs, k),
                list: &list,
                list_items_pointer: format!("/{}", k.many),
            }
        } else {
            checks::LifecycleEvidence::Created {
                machine: k.machine.into(),
                id: id.into(),
                show: &show,
                show_id_pointer: format!("/{}/id", k.one),
                list: &list,
                list_items_pointer: format!("/{}", k.many),
            }
        };
        let r = checks::resource_lifecycle(&ctx, &ev);
        self.push(label, r);
        if deleted {
            self.gone_from_filtered_lists(label, k, id).await;
        }
    }

    /// After a deletion: the lists filtered by the resource's former name and group hold it no
    /// more, nor count it.
    async fn gone_from_filtered_lists(&mut self, label: &str, k: &'static Kind, id: &str) {
        let Some(former) = self.deleting.take() else { return };
        let prefix = self.vars.get("prefix").and_then(Value::as_str).unwrap_or("").to_owned();
        let mut answers = Vec::new();
        for (key, value) in self.selecting_filters(k, &former).into_iter().filter(|(key, _)| key != "status") {
            // Only the case's own names are unique to it: their count must be exact.
            let exact = key == "name" && !prefix.is_empty() && value.starts_with(&prefix);
            let query = vec![(key, value)];
            let Some(ex) = self.list(k, query.clone()).await else { continue };
            answers.push((describe_query(&query), ex, exact));
        }
        if answers.is_empty() {
            return;
        }
        let lists: Vec<checks::Listing> = answers
            .iter()
            .map(|(q, ex, exact)| checks::Listing { query: q.clone(), exchange: ex, exact_count: *exact })
            .collect();
        let ctx = self.ctx();
        let r = checks::gone_from_lists(&ctx, k.machine, id, &lists, &format!("/{}", k.many));
        self.push(label, r);
    }

    fn snapshot(&mut self, label: &str, name: &str, json: &Value) {
        let prefix = self.vars.get("prefix").and_then(Value::as_str).unwrap_or("").to_owned();
        let mut redactor = crate::report::Redactor::with_prefix(&prefix);
        let redacted = redactor.redact_value(json);
        let stored = self.runner.snapshots.load(name);
        let ctx = self.ctx();
        let r = checks::snapshot(&ctx, name, self.runner.snapshot_mode, &redacted, stored.as_ref());
        self.push(label, r);
        self.payloads.push((name.to_owned(), redacted));
    }

    async fn wait_job(&mut self, label: &str, w: &WaitJobStep) -> Result<(), Stop> {
        let id = render_str(&w.job, &self.vars).map_err(|e| Stop::Error(e.to_string()))?;
        let polled: Polled = self.runner.poll_job(&id, w.timeout.map(std::time::Duration::from_secs)).await;
        let ok = match (w.outcome, polled.status()) {
            (_, None) => false,
            (JobOutcome::Success, Some(s)) => s == "SUCCESS",
            (JobOutcome::Fail, Some(s)) => s == "FAIL",
            _ => polled.finished,
        };
        if !ok {
            return Err(Stop::Error(format!("job {id} ended {:?}, expected {:?}", polled.status(), w.outcome)));
        }
        let _ = label;
        Ok(())
    }

    async fn wait_status(&mut self, label: &str, w: &WaitStatusStep) -> Result<(), Stop> {
        let k = kind(&w.resource).ok_or_else(|| Stop::Error(format!("unknown resource kind {}", w.resource)))?;
        let id = render_str(&w.id, &self.vars).map_err(|e| Stop::Error(e.to_string()))?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(w.timeout.unwrap_or(600));
        let mut pause = self.runner.config.poll_interval;
        let mut polls = 0u32;
        loop {
            let ex = self.show(k, &id).await.ok_or_else(|| Stop::Error("no show operation".into()))?;
            let status = ex
                .json()
                .and_then(|j| j.pointer(&format!("/{}/status", k.one)))
                .and_then(Value::as_str)
                .map(str::to_owned);
            if let Some(j) = ex.json() {
                self.observe(&j.clone());
            }
            if let Some(s) = &status {
                if w.status.contains(s) {
                    return Ok(());
                }
            }
            polls += 1;
            // Pending jobs of this case advance the emulator's per-poll jobs.
            for job in self.registry.pending.clone() {
                self.runner.nudge_job(&job).await;
            }
            if std::time::Instant::now() >= deadline || self.runner.config.max_polls.is_some_and(|m| polls >= m) {
                return Err(Stop::Error(format!(
                    "{} {id} stayed {:?}, expected one of {:?} ({label})",
                    k.machine, status, w.status
                )));
            }
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
                pause = (pause + pause / 2).min(self.runner.config.poll_interval * 10);
            }
        }
    }

    async fn paginate(&mut self, label: &str, p: &PaginateStep) -> Result<(), Stop> {
        let op = self
            .runner
            .specs
            .operation(&p.operation)
            .ok_or_else(|| Stop::Error(format!("unknown operation {}", p.operation)))?;
        let mut base = Vec::new();
        for (k, v) in &p.query {
            let v = render_value(v, &self.vars).map_err(|e| Stop::Error(e.to_string()))?;
            base.push((k.clone(), v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())));
        }
        let path = op.path.replace("{project_id}", self.runner.project_id());
        let send = |query: Vec<(String, String)>| Outgoing {
            operation: op.id.clone(),
            method: "GET".into(),
            path: path.clone(),
            query,
            credentials: Credentials::Default,
            ..Outgoing::default()
        };
        let full = self.runner.send(&send(base.clone())).await;
        let items_key = kind_of_list(&op.id).unwrap_or("items");
        let total = full.json().and_then(|j| j.get(items_key)).and_then(Value::as_array).map(Vec::len).unwrap_or(0);
        if total < p.min_items {
            let message = format!("the list holds {total} item(s), the check needs at least {}", p.min_items);
            // Without setup the items are the target's own (no client creates RPO records): too
            // few of them is a target that cannot be judged, not a broken case.
            let set_up = self.case.steps.iter().any(|s| matches!(s, Step::Request(_)));
            return Err(if set_up { Stop::Error(message) } else { Stop::Skip(format!("{message}; none is created")) });
        }
        let mut pages = Vec::new();
        for (limit, offset) in &p.pages {
            let mut q = base.clone();
            if let Some(l) = limit {
                q.push(("limit".into(), l.to_string()));
            }
            if let Some(o) = offset {
                q.push(("offset".into(), o.to_string()));
            }
            pages.push((*limit, *offset, self.runner.send(&send(q)).await));
        }
        let count_pointer = op
            .responses
            .get(&200)
            .and_then(|r| r.schema_pointer.as_ref())
            .and_then(|ptr| self.runner.specs.api_of(op).document.pointer(ptr))
            .map(|_| "/count".to_owned())
            .filter(|_| op.id != "listProtectedInstancesByTags");
        let mut count_disputed: Vec<String> =
            op.disagreements.iter().filter(|d| ["INC-54", "INC-18"].contains(&d.as_str())).cloned().collect();
        count_disputed.extend(self.count_inferred(op));
        let ctx = self.ctx();
        let filters: Vec<(String, String, bool)> = base
            .iter()
            .filter_map(|(k, v)| match k.as_str() {
                "server_group_id" | "status" | "drill_vpc_id" | "protected_instance_id" => {
                    Some((k.clone(), v.clone(), false))
                }
                "name" => Some((k.clone(), v.clone(), true)),
                _ => None,
            })
            .collect();
        let ev = checks::PaginationEvidence {
            filters,
            items_pointer: format!("/{items_key}"),
            count_pointer,
            count_disputed,
            full: &full,
            pages: pages.iter().map(|(l, o, ex)| checks::Page { limit: *l, offset: *o, exchange: ex }).collect(),
        };
        let r = checks::pagination(&ctx, &ev);
        self.push(label, r);
        Ok(())
    }

    /// Runs `state_transition` over every resource the case saw.
    pub fn finish_observations(&mut self) {
        let ids: Vec<String> = self.touched.iter().cloned().collect();
        for id in ids {
            if let Some((machine, seq)) = self.observations.of(&id) {
                let ctx = self.ctx();
                let r = checks::state_transition(&ctx, &machine, &id, &seq);
                if r.outcome != Outcome::Skipped {
                    self.push("observed statuses", r);
                }
            }
        }
    }
}

/// `key=value&…` of a query, for messages.
fn describe_query(query: &[(String, String)]) -> String {
    query.iter().filter(|(k, _)| k != "limit").map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

fn kind_of_list(op: &str) -> Option<&'static str> {
    match op {
        "listProtectionGroups" => Some("server_groups"),
        "listProtectedInstances" => Some("protected_instances"),
        "listReplicationPairs" => Some("replications"),
        "listDrDrills" => Some("disaster_recovery_drills"),
        "listFailureJobs" => Some("failure_jobs"),
        "listRpoStatistics" => Some("resource_rpo_statistics"),
        _ => None,
    }
}

/// Codes meaning "no such resource" for a kind (from the show operation's path parameter).
/// The `job_type` values a job of `op` may carry: those of its actions (every action of one
/// operation names one, or none does), else the operation's own.
fn job_types_of(op: &Operation, actions: &[&Action]) -> Vec<String> {
    let mut types: Vec<String> = actions.iter().filter_map(|a| a.job_type.clone()).collect();
    if types.is_empty() {
        if let Some(aj) = &op.async_job {
            return aj.job_type.iter().chain(aj.alt_job_types.iter()).cloned().collect();
        }
    }
    types.sort();
    types.dedup();
    types
}

fn gone_codes(specs: &crate::spec::Specs, k: &Kind) -> Vec<String> {
    specs
        .operation(k.show)
        .and_then(|op| op.path_params().find(|p| p.name == k.param))
        .and_then(|p| p.not_found.as_ref())
        .map(|nf| vec![nf.code.clone()])
        .unwrap_or_default()
}

fn soften(r: CheckResult, disputed: &[String], strict: bool) -> CheckResult {
    let failures =
        r.failures.into_iter().map(|f| if f.disagreements().is_empty() { f.disputed(disputed) } else { f }).collect();
    CheckResult::from_failures(r.check, failures, strict)
}

fn find_status(json: &Value) -> Option<&str> {
    json.as_object()?.values().find_map(|v| v.get("status").and_then(Value::as_str))
}

fn collect_ids(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            if let (Some(Value::String(id)), Some(Value::String(_))) = (m.get("id"), m.get("status")) {
                out.insert(id.clone());
            }
            m.values().for_each(|c| collect_ids(c, out));
        }
        Value::Array(a) => a.iter().for_each(|c| collect_ids(c, out)),
        _ => {}
    }
}

fn excerpt(s: &str) -> String {
    s.chars().take(200).collect()
}

fn transport(ex: &Exchange) -> String {
    match &ex.response {
        Err(e) => e.message.clone(),
        Ok(r) => format!("status {}", r.status),
    }
}

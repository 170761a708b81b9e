//! A request step: rendering it, sending it, and the evidence of its answer.

use super::{excerpt, find_status, transport, CaseRun, Stop};
use crate::cases::template::{render_str, render_value, Vars};
use crate::cases::{Judge, RequestStep, StateGuard};
use crate::checks::{self, Evidence, Expectation, FieldSeen};
use crate::client::Outgoing;
use crate::exchange::Exchange;
use crate::runner::select::select;
use crate::spec::{Action, Operation};
use serde_json::Value;

impl CaseRun<'_> {
    /// Sends a request step and has its answer judged; follows its job and reads back what it wrote.
    pub(super) async fn request(&mut self, label: &str, step: &RequestStep) -> Result<(), Stop> {
        let specs = self.runner.specs;
        let op = specs
            .operation(&step.operation)
            .ok_or_else(|| Stop::Error(format!("unknown operation {}", step.operation)))?;
        let (out, rendered) = render_request(step, op, &self.vars, self.runner.project_id())?;
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
        let judged_from = self.results.len();
        self.judge(label, step, op, &ex);
        if let Some(guard) = &step.only_while {
            self.recheck_refusal(guard, &ex, judged_from).await?;
        }
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
    /// A refusal judged wrong while the state it needed may have ended on its way: a region's own
    /// job can end a transitional state between the guard's read and the request. When a new read
    /// shows the state gone, the answer proves nothing and the case is skipped, not failed. Only
    /// refusals are excused: an accepted request may have moved the resource itself.
    async fn recheck_refusal(&mut self, guard: &StateGuard, ex: &Exchange, judged_from: usize) -> Result<(), Stop> {
        let refused = ex.status().is_some_and(|s| (400..500).contains(&s));
        let judged_wrong = self.results[judged_from..].iter().any(|r| r.outcome == checks::CheckOutcome::Failed);
        if !(refused && judged_wrong) {
            return Ok(());
        }
        match self.still_in_state(guard).await {
            Err(Stop::Skip(why)) => {
                self.results.truncate(judged_from);
                Err(Stop::Skip(format!("{why}; the refusal came after that, so it was not judged")))
            }
            _ => Ok(()),
        }
    }

    async fn still_in_state(&mut self, guard: &StateGuard) -> Result<(), Stop> {
        let k = self
            .runner
            .specs
            .resources
            .kind(&guard.kind)
            .ok_or_else(|| Stop::Error(format!("unknown resource kind {}", guard.kind)))?;
        let id = render_str(&guard.id, &self.vars).map_err(|e| Stop::Error(e.to_string()))?;
        let shown = self.show(k, &id).await.ok_or_else(|| Stop::Error(format!("no show operation for {}", k.name)))?;
        let status = match shown.ok() {
            Some(resp) if resp.is_success() => {
                if let Some(json) = &resp.json {
                    self.observe(json);
                }
                resp.json.as_ref().and_then(find_status).map(str::to_owned)
            }
            Some(resp) if (400..500).contains(&resp.status) => None,
            _ => return Err(Stop::Error(format!("cannot read the {} {id}: {}", k.name, transport(&shown)))),
        };
        if status.as_deref() == Some(guard.status.as_str()) {
            return Ok(());
        }
        let now = status.map_or_else(|| "gone".to_owned(), |s| format!("`{s}`"));
        Err(Stop::Skip(format!(
            "the {} left `{}` by itself before the request could be sent (now {now})",
            k.name.replace('_', " "),
            guard.status
        )))
    }

    /// Whether the step accepts `status` (by default the operation's success status).
    fn status_expected(&self, step: &RequestStep, op: &Operation, status: u16) -> bool {
        match &step.expect.status {
            Some(set) => set.to_vec().contains(&status),
            None => status == op.success_status,
        }
    }

    /// Has the registry judge the answer, with what the step expects of it.
    fn judge(&mut self, label: &str, step: &RequestStep, op: &Operation, ex: &Exchange) {
        let statuses = step.expect.status.as_ref().map(|s| s.to_vec()).unwrap_or_else(|| vec![op.success_status]);
        let refused_with = statuses.first().copied().unwrap_or(400);
        let disputed = &step.expect.disagreements;
        let (rejection, refusal);
        let expect = match &step.expect.judge {
            Judge::StatusCode => Expectation::Status { codes: &step.expect.codes },
            Judge::NegativeRejection { mutation } => {
                rejection = checks::ExpectedRejection {
                    mutation: mutation.clone(),
                    status: refused_with,
                    codes: step.expect.codes.clone(),
                    disagreements: disputed.clone(),
                };
                Expectation::Rejection(&rejection)
            }
            Judge::Precondition { action, state } => {
                refusal = checks::ExpectedRefusal {
                    action: action.clone(),
                    state: state.clone(),
                    status: refused_with,
                    codes: step.expect.codes.clone(),
                    disagreements: disputed.clone(),
                    code_disagreements: step.expect.code_disagreements.clone(),
                };
                Expectation::Refusal(&refusal)
            }
            Judge::AuthRequired => Expectation::Credentials(step.credentials.describe()),
        };
        let answer = checks::Answer { op, exchange: ex, statuses: &statuses, expect, disputed };
        self.judge_evidence(label, &Evidence::Answer(answer), true);
    }

    /// The state the scenario expects the answer to show, judged by `state_transition`.
    fn expect_state(&mut self, label: &str, expected: &str, json: &Value) {
        let evidence = Evidence::ExpectedState { expected, actual: find_status(json) };
        self.judge_evidence(label, &evidence, true);
    }

    /// The fields the scenario expects the answer to show, judged by `resource_lifecycle`.
    fn expect_fields(
        &mut self,
        label: &str,
        fields: &std::collections::BTreeMap<String, Value>,
        json: &Value,
    ) -> Result<(), Stop> {
        let mut seen = Vec::new();
        for (pointer, want) in fields {
            let pointer = render_str(pointer, &self.vars).map_err(|e| Stop::Error(e.to_string()))?;
            let expected = render_value(want, &self.vars).map_err(|e| Stop::Error(e.to_string()))?;
            let actual = select(json, &pointer).cloned().unwrap_or(Value::Null);
            seen.push(FieldSeen { pointer, expected, actual });
        }
        self.judge_evidence(label, &Evidence::ExpectedFields(&seen), true);
        Ok(())
    }

    /// The answer's payload, redacted, against its recorded snapshot.
    fn snapshot(&mut self, label: &str, name: &str, json: &Value) {
        let prefix = self.vars.get("prefix").and_then(Value::as_str).unwrap_or("").to_owned();
        let mut redactor = crate::redact::Redactor::with_prefix(&prefix);
        let redacted = redactor.redact_value(json);
        let stored = self.runner.snapshots.load(name);
        let evidence =
            Evidence::Snapshot { name, mode: self.runner.snapshot_mode, actual: &redacted, stored: stored.as_ref() };
        self.judge_evidence(label, &evidence, true);
        self.payloads.push((name.to_owned(), redacted));
    }
}

/// The request of `step` to `op`, its templates rendered with `vars`, and the values put in the
/// path (and the body, as `__body`): what the action acts on.
fn render_request(step: &RequestStep, op: &Operation, vars: &Vars, project_id: &str) -> Result<(Outgoing, Vars), Stop> {
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
            project_id.to_owned()
        } else {
            let raw = step.path.get(name).ok_or_else(|| Stop::Error(format!("no value for path parameter {name}")))?;
            let v = render_value(raw, vars).map_err(|e| Stop::Error(e.to_string()))?;
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
        let v = render_value(v, vars).map_err(|e| Stop::Error(e.to_string()))?;
        query.push((
            k.clone(),
            match v {
                Value::String(s) => s,
                other => other.to_string(),
            },
        ));
    }
    let body = match (&step.raw_body, &step.body) {
        (Some(raw), _) => Some(render_str(raw, vars).map_err(|e| Stop::Error(e.to_string()))?.into_bytes()),
        (None, Some(b)) => {
            let v = render_value(b, vars).map_err(|e| Stop::Error(e.to_string()))?;
            path_values.insert("__body".into(), v.clone());
            Some(serde_json::to_vec(&v).expect("json"))
        }
        (None, None) => None,
    };
    let method = step.method_override.clone().unwrap_or_else(|| op.method.clone());
    Ok((Outgoing { operation: op.id.clone(), method, path, query, body, credentials: step.credentials }, path_values))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Specs;
    use serde_json::json;

    fn op(id: &str) -> &'static Operation {
        Specs::embedded().operation(id).expect("operation")
    }

    #[test]
    fn a_request_fills_the_project_and_the_path_from_the_variables() {
        let step = RequestStep {
            operation: "showProtectionGroup".into(),
            path: [("server_group_id".to_owned(), json!("${group}"))].into(),
            query: [("limit".to_owned(), json!(5))].into(),
            ..RequestStep::default()
        };
        let vars: Vars = [("group".to_owned(), json!("g-1"))].into();
        let (out, rendered) = render_request(&step, op("showProtectionGroup"), &vars, "p1").expect("rendered");
        assert_eq!(out.path, "/v1/p1/server-groups/g-1");
        assert_eq!(out.method, "GET");
        assert_eq!(out.query, [("limit".to_owned(), "5".to_owned())]);
        assert_eq!(rendered.get("server_group_id"), Some(&json!("g-1")));
        assert_eq!(out.body, None);
    }

    #[test]
    fn a_body_is_rendered_and_kept_for_the_acted_on_id() {
        let step = RequestStep {
            operation: "createProtectionGroup".into(),
            body: Some(json!({"server_group": {"name": "${prefix}-g"}})),
            ..RequestStep::default()
        };
        let vars: Vars = [("prefix".to_owned(), json!("sct-1"))].into();
        let (out, rendered) = render_request(&step, op("createProtectionGroup"), &vars, "p1").expect("rendered");
        let sent: Value = serde_json::from_slice(out.body.as_deref().expect("body")).expect("json");
        assert_eq!(sent, json!({"server_group": {"name": "sct-1-g"}}));
        assert_eq!(rendered.get("__body"), Some(&sent));
    }

    #[test]
    fn a_missing_path_value_or_variable_stops_the_case_as_an_error() {
        let step = RequestStep { operation: "showProtectionGroup".into(), ..RequestStep::default() };
        let err = render_request(&step, op("showProtectionGroup"), &Vars::new(), "p1").unwrap_err();
        assert_eq!(err, Stop::Error("no value for path parameter server_group_id".into()));
        let step = RequestStep { path: [("server_group_id".to_owned(), json!("${nothing}"))].into(), ..step };
        assert!(matches!(render_request(&step, op("showProtectionGroup"), &Vars::new(), "p1"), Err(Stop::Error(_))));
    }
}

//! Following the job of an asynchronous write: polling it under the job protocol's watch, the
//! resource it acted on read afterwards, and what it created registered for teardown.

use super::reads::gone_codes;
use super::{CaseRun, Stop};
use crate::cases::template::{render_str, Vars};
use crate::cases::{JobOutcome, RequestStep, WaitJobStep};
use crate::checks::{self, Evidence};
use crate::exchange::Exchange;
use crate::runner::jobs::Polled;
use crate::runner::select::select;
use crate::spec::ResourceKind;
use crate::spec::{Action, EndState, Operation};
use serde_json::Value;

impl CaseRun<'_> {
    /// The id of the resource an action acts on.
    pub(super) fn acted_id(
        &self,
        op: &Operation,
        actions: &[&Action],
        rendered: &Vars,
        entities: Option<&Value>,
    ) -> Option<String> {
        let action = actions.first()?;
        let k = self.runner.specs.resources.kind(&action.kind)?;
        if let Some(Value::String(id)) = rendered.get(&k.id_param) {
            return Some(id.clone());
        }
        if let Some(body) = rendered.get("__body") {
            if let Some(Value::String(id)) = select(body, "/replicationAttachment/replication_id") {
                if k.name == "replication_pair" {
                    return Some(id.clone());
                }
            }
        }
        let _ = op;
        entities.and_then(|e| e.get(&k.entity)).and_then(Value::as_str).map(str::to_owned)
    }

    /// Polls the job of an accepted asynchronous write under `job_protocol`'s watch, then reads
    /// the resource it acted on (and a group's members) for the checks.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn follow_job(
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
            let ev = checks::JobEvidence {
                submit,
                job_types: Vec::new(),
                entity: None,
                polls: &[],
                finished: false,
                follow_up: None,
            };
            self.judge_evidence(label, &Evidence::Job(&ev), true);
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
        let mut kind_used: Option<&ResourceKind> = None;
        if let (Some(action), Some(id), Some(status)) = (action, acted.as_ref(), status.as_deref()) {
            if let (Some(k), Some(machine)) =
                (self.runner.specs.resources.kind(&action.kind), self.runner.specs.states.machines.get(&action.kind))
            {
                let target: &EndState = if status == "SUCCESS" { &action.success } else { &action.failure };
                expect_gone = matches!(target, EndState::Gone);
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
                    let evidence = Evidence::Cascade {
                        action: a,
                        group_id: id,
                        members: &members,
                        succeeded: status == "SUCCESS",
                    };
                    self.judge_evidence(label, &evidence, false);
                }
            }
        }
        let ctx = self.ctx();
        let follow_up = match (&follow_exchange, kind_used) {
            (Some(ex), Some(k)) => Some(checks::FollowUp {
                exchange: ex,
                status_pointer: format!("/{}/status", k.wrapper),
                expected_states: expected_states.clone(),
                expect_gone,
                gone_codes: gone_codes(self.runner.specs, k),
            }),
            _ => None,
        };
        let mut r = watch.conclude(polled.end, follow_up.as_ref());
        let mismatch = match (spec.outcome, status.as_deref()) {
            (JobOutcome::Success, Some("FAIL")) => Some("the job failed but was expected to succeed"),
            (JobOutcome::Fail, Some("SUCCESS")) => Some("the job succeeded but was expected to fail"),
            _ => None,
        };
        // A setup's job that ends the other way is the harness's matter (below), not the target's.
        if let (Some(expected), false) = (expected_end(spec.outcome), step.setup) {
            r = checks::judge_expected_end(&ctx, r, expected, polled.last.as_ref());
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
                    if let Some(k) = self.runner.specs.resources.kind(&action.kind) {
                        self.lifecycle(label, k, &id, action.deletes, follow_exchange).await;
                    }
                }
            }
        }
        Ok(())
    }

    /// Registers for teardown (and the ledger) every resource a job's entities name.
    fn register_entities(&mut self, entities: Option<&Value>) {
        let Some(e) = entities else { return };
        if let Some(map) = e.as_object() {
            for (key, v) in map {
                if let (Some(k), Some(id)) = (self.runner.specs.resources.of_entity(key), v.as_str()) {
                    if self.registry.add(&k.name, id) {
                        self.runner.count_created(&k.name);
                        self.runner.ledger_created(&self.case.id, &k.name, id);
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

    /// Waits for a job a scenario names to end as it expects.
    pub(super) async fn wait_job(&mut self, label: &str, w: &WaitJobStep) -> Result<(), Stop> {
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
}

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

/// The end a case expects of a job it follows, when it expects one.
fn expected_end(outcome: JobOutcome) -> Option<checks::ExpectedEnd> {
    match outcome {
        JobOutcome::Success => Some(checks::ExpectedEnd::Success),
        JobOutcome::Fail => Some(checks::ExpectedEnd::Fail),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Specs;

    #[test]
    fn only_a_job_the_case_waits_for_to_succeed_or_fail_has_an_expected_end() {
        assert_eq!(expected_end(JobOutcome::Success), Some(checks::ExpectedEnd::Success));
        assert_eq!(expected_end(JobOutcome::Fail), Some(checks::ExpectedEnd::Fail));
        assert_eq!(expected_end(JobOutcome::Any), None);
        assert_eq!(expected_end(JobOutcome::NoWait), None);
    }

    #[test]
    fn the_job_types_of_an_operation_are_its_actions_once_each_else_its_own() {
        let specs = Specs::embedded();
        for op in specs.operations().filter(|o| o.async_job.is_some()) {
            let actions: Vec<&Action> = specs.states.actions_of(&op.id).collect();
            let types = job_types_of(op, &actions);
            if actions.iter().any(|a| a.job_type.is_some()) {
                let mut sorted = types.clone();
                sorted.sort();
                sorted.dedup();
                assert_eq!(types, sorted, "{}", op.id);
            }
            let own: Vec<String> =
                op.async_job.iter().flat_map(|a| a.job_type.iter().chain(&a.alt_job_types)).cloned().collect();
            for t in &types {
                assert!(actions.iter().any(|a| a.job_type.as_ref() == Some(t)) || own.contains(t), "{}: {t}", op.id);
            }
        }
    }
}

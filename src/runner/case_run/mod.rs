//! The execution of one case: its steps in order, with variables and a registry of what it
//! created. The runner collects evidence here (exchanges, statuses, job polls, reads) and hands
//! it to the checks (`crate::checks::registry`); no verdict is made in this module.
//!
//! `request` sends a request step and assembles its answer's evidence, `job` follows the job of
//! an asynchronous write, `reads` reads resources back (lifecycle, round trips, pagination,
//! waiting for a status), `verdicts` collects the checks' verdicts into the case's outcome.

mod job;
mod reads;
mod request;
mod verdicts;

use super::teardown::Registry;
use super::Runner;
use crate::cases::template::Vars;
use crate::cases::{Case, Step};
use crate::checks::CheckContext;
use crate::client::tape::{self, Tape};
use crate::exchange::Exchange;
use crate::outcome::CheckReport;
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
    observations: crate::runner::observe::Observations,
    /// Redacted payloads the case snapshots, by name.
    pub payloads: Vec<(String, Value)>,
    /// The status of the last job the case followed to its end.
    last_job: Option<String>,
    /// Members of the group an action with a cascade is about to move, with their statuses.
    cascade_before: Vec<crate::checks::Member>,
    /// The resource a delete is about to remove, as shown just before.
    deleting: Option<Value>,
    /// Every exchange the case completed, with its step: the evidence of a failure.
    pub tape: std::sync::Arc<std::sync::Mutex<Tape>>,
}

/// Why a case's steps stop before the last one.
#[derive(Debug, PartialEq, Eq)]
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
            observations: crate::runner::observe::Observations::default(),
            payloads: Vec::new(),
            last_job: None,
            cascade_before: Vec::new(),
            deleting: None,
            tape: Tape::new(&case.id),
        }
    }

    pub(in crate::runner) fn runner_ref(&self) -> &'r Runner {
        self.runner
    }

    pub(in crate::runner) fn case_id(&self) -> &str {
        &self.case.id
    }

    /// What the checks read besides their evidence.
    fn ctx(&self) -> CheckContext<'r> {
        let runner: &'r Runner = self.runner;
        CheckContext { specs: runner.specs, schemas: &runner.schemas, strict: runner.config.strict }
    }

    /// Records a harness error (the first one wins).
    pub fn harness_error(&mut self, message: String) {
        if self.error.is_none() {
            self.error = Some(message);
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

    /// Records the statuses of an answer; a show (not a list) makes the case judge that resource.
    fn observe(&mut self, json: &Value) {
        self.observations.record_body(&self.runner.specs.resources, json);
        let listed = json.as_object().is_some_and(|m| m.values().any(Value::is_array));
        if !listed {
            collect_ids(json, &mut self.touched);
        }
    }
}

/// `key=value&…` of a query, for messages.
fn describe_query(query: &[(String, String)]) -> String {
    query.iter().filter(|(k, _)| k != "limit").map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// The status of the resource an answer wraps (`{"server_group": {"status": …}}`).
fn find_status(json: &Value) -> Option<&str> {
    json.as_object()?.values().find_map(|v| v.get("status").and_then(Value::as_str))
}

/// The ids of every object in `v` that carries an id and a status.
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

/// The first characters of a body, for harness errors.
fn excerpt(s: &str) -> String {
    s.chars().take(200).collect()
}

/// Why an exchange has no usable answer, for harness errors.
fn transport(ex: &Exchange) -> String {
    match &ex.response {
        Err(e) => e.message.clone(),
        Ok(r) => format!("status {}", r.status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_status_is_read_from_the_wrapped_resource() {
        assert_eq!(find_status(&json!({"server_group": {"id": "g", "status": "available"}})), Some("available"));
        assert_eq!(find_status(&json!({"job_id": "j"})), None);
        assert_eq!(find_status(&json!([1])), None);
    }

    #[test]
    fn ids_are_collected_from_every_object_with_an_id_and_a_status() {
        let mut ids = BTreeSet::new();
        let body = json!({"a": {"id": "1", "status": "x", "b": [{"id": "2", "status": "y"}, {"id": "3"}]}});
        collect_ids(&body, &mut ids);
        assert_eq!(ids.into_iter().collect::<Vec<_>>(), ["1", "2"]);
    }

    #[test]
    fn queries_are_described_without_their_limit() {
        let q = [("limit".to_owned(), "1000".to_owned()), ("name".to_owned(), "sct-1".to_owned())];
        assert_eq!(describe_query(&q), "name=sct-1");
        assert_eq!(excerpt(&"é".repeat(300)).chars().count(), 200);
    }
}

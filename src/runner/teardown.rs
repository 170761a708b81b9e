//! Cleanup: what a case created is deleted after it, in the teardown order of the resource table
//! (drills, instances, pairs, groups), each by its kind's recipe (detach, stop, then delete),
//! waiting on each job. Only resources the case created, or members of containers it created
//! that carry its name prefix, are touched.
//!
//! [`Teardown`] needs only a client, the specs and the ledger: the runner tears down each case
//! through it, and `cleanup` replays a ledger through it without a run.

use super::jobs::{Poller, Polling};
use super::ledger::LedgerStamp;
use super::{CaseRun, Runner};
use crate::cases::template::Vars;
use crate::client::{Client, Outgoing};
use crate::spec::{fill, PrepStep, ResourceKind, SchemaSet, Specs};
use serde_json::Value;

/// What a case created.
#[derive(Debug, Default, Clone)]
pub struct Registry {
    /// (kind, id) in creation order.
    pub created: Vec<(String, String)>,
    /// Jobs the case did not wait for.
    pub pending: Vec<String>,
    /// The case was cut short: a creation may have been sent whose answer it never read.
    pub cut_short: bool,
}

impl Registry {
    /// Records a created resource; false when already known.
    pub fn add(&mut self, kind: &str, id: &str) -> bool {
        if self.created.iter().any(|(_, i)| i == id) {
            return false;
        }
        self.created.push((kind.to_owned(), id.to_owned()));
        true
    }

    fn of(&self, kind: &str) -> Vec<String> {
        self.created.iter().filter(|(k, _)| k == kind).map(|(_, i)| i.clone()).collect()
    }
}

/// Why one resource could not be deleted: the sentence a case's reason carries after the
/// resource's kind and id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TeardownError {
    /// The recipe names an operation the specs do not hold, or its path lacks a value.
    #[error("unknown operation")]
    UnknownOperation,
    /// The request got no HTTP answer.
    #[error("no answer")]
    NoAnswer,
    /// The target refused the request.
    #[error("{operation} answered {status}")]
    Refused {
        /// The operation sent.
        operation: String,
        /// The HTTP status it answered.
        status: u16,
    },
    /// The request's job did not succeed.
    #[error("{operation} job ended {status:?}")]
    JobEnded {
        /// The operation sent.
        operation: String,
        /// The job's last status, if a poll read one.
        status: Option<String>,
    },
    /// The resource is still moving and the breaker says its job will not end.
    #[error("still {status}, not waited for: {why}")]
    NotWaitedFor {
        /// The resource's status.
        status: String,
        /// Why the breaker tripped.
        why: String,
    },
    /// The resource was still moving after the most reads a teardown waits.
    #[error("still {status} after {reads} reads")]
    StillMoving {
        /// The resource's status.
        status: String,
        /// How many times it was read.
        reads: u32,
    },
}

/// Deletes resources through a client, by the recipes of the specs' resource table.
pub(crate) struct Teardown<'a> {
    poller: Poller<'a>,
    ledger: Option<LedgerStamp<'a>>,
}

/// What one teardown did: what it could not delete, and what it found created besides the registry.
#[derive(Debug, Default)]
pub(crate) struct TornDown {
    /// `<kind> <id>: <why>` for each resource left behind.
    pub left: Vec<String>,
    /// (kind, id) of the resources the pending jobs created.
    pub found: Vec<(String, String)>,
}

impl<'a> Teardown<'a> {
    /// A teardown through `client`, judging job polls with `specs`, recording in `ledger`.
    pub(crate) fn new(
        client: &'a Client,
        specs: &'a Specs,
        schemas: &'a SchemaSet,
        breaker: &'a super::breaker::Breaker,
        polling: Polling,
        ledger: Option<LedgerStamp<'a>>,
    ) -> Teardown<'a> {
        let ctx = crate::checks::CheckContext { specs, schemas, strict: false };
        Teardown { poller: Poller { client, breaker, polling, ctx }, ledger }
    }

    fn specs(&self) -> &'a Specs {
        self.poller.ctx.specs
    }

    fn project_id(&self) -> &str {
        &self.poller.client.target().project_id
    }

    /// Deletes the resources of `registry`, and the members named with `prefix` of its containers.
    pub(crate) async fn registry(&self, mut registry: Registry, prefix: &str) -> TornDown {
        let mut out = TornDown::default();
        let table = &self.specs().resources;
        if registry.cut_short && !prefix.is_empty() {
            for container in table.containers() {
                for id in self.named(container, prefix).await {
                    registry.add(&container.name, &id);
                }
            }
        }
        for job in std::mem::take(&mut registry.pending) {
            let polled = self.poller.poll_job(&job, None).await;
            if let Some(e) = polled.entities().and_then(Value::as_object) {
                for (key, v) in e {
                    if let (Some(k), Some(id)) = (table.of_entity(key), v.as_str()) {
                        if registry.add(&k.name, id) {
                            out.found.push((k.name.clone(), id.to_owned()));
                            if let Some(l) = &self.ledger {
                                l.created("teardown", &k.name, id);
                            }
                        }
                    }
                }
            }
        }
        // Members of the case's own containers that carry its prefix (batch creations, unreported ids).
        if !prefix.is_empty() {
            for container in table.containers() {
                for parent in registry.of(&container.name) {
                    for k in table.members_of(&container.name) {
                        let Some(filter) = &k.member_filter else { continue };
                        let Some(ex) = self.list(k, vec![(filter.clone(), parent.clone())]).await else { continue };
                        let items = ex.json().and_then(|j| j.get(&k.list_key)).and_then(Value::as_array);
                        for item in items.into_iter().flatten() {
                            let named = item.get("name").and_then(Value::as_str).is_some_and(|n| n.starts_with(prefix));
                            if let (true, Some(id)) = (named, item.get("id").and_then(Value::as_str)) {
                                registry.add(&k.name, id);
                            }
                        }
                    }
                }
            }
        }
        for k in table.kinds() {
            for id in registry.of(&k.name) {
                match self.delete_one(k, &id).await {
                    Err(why) => out.left.push(format!("{} {id}: {why}", k.name)),
                    Ok(()) => {
                        if let Some(l) = &self.ledger {
                            l.deleted(&k.name, &id);
                        }
                    }
                }
            }
        }
        out
    }

    /// Deletes resources a ledger names (outstanding (kind, id, endpoint, project) entries), the
    /// containers named with a recorded prefix, and what the recorded jobs created.
    pub(crate) async fn ledger(
        &self,
        outstanding: &[(String, String, String, String)],
        prefixes: &[String],
        jobs: &[String],
    ) -> Vec<String> {
        let mut registry = Registry::default();
        // Creations whose job a crash interrupted: follow them to the end first.
        registry.pending.extend(jobs.iter().cloned());
        for (kind, id, _, _) in outstanding {
            registry.add(kind, id);
        }
        for prefix in prefixes {
            for container in self.specs().resources.containers() {
                for id in self.named(container, prefix).await {
                    registry.add(&container.name, &id);
                }
            }
        }
        let mut left = Vec::new();
        // Members of recorded containers carry one of the recorded prefixes.
        for prefix in prefixes {
            left.extend(self.registry(std::mem::take(&mut registry), prefix).await.left);
        }
        left.extend(self.registry(registry, "").await.left);
        left
    }

    /// Ids of the resources of `k` whose name starts with `prefix`.
    async fn named(&self, k: &ResourceKind, prefix: &str) -> Vec<String> {
        let query: Vec<(String, String)> =
            std::iter::once(("name".to_owned(), prefix.to_owned())).chain(k.list_all.iter().cloned()).collect();
        let Some(ex) = self.list(k, query).await else { return Vec::new() };
        ex.json()
            .and_then(|j| j.get(&k.list_key))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|g| g.get("name").and_then(Value::as_str).is_some_and(|n| n.starts_with(prefix)))
            .filter_map(|g| g.get("id").and_then(Value::as_str).map(str::to_owned))
            .collect()
    }

    async fn list(&self, k: &ResourceKind, query: Vec<(String, String)>) -> Option<crate::exchange::Exchange> {
        let op = self.specs().operation(&k.list)?;
        let path = op.path.replace("{project_id}", self.project_id());
        Some(
            self.poller
                .send(&Outgoing { operation: op.id.clone(), method: "GET".into(), path, query, ..Outgoing::default() })
                .await,
        )
    }

    async fn show(&self, k: &ResourceKind, id: &str) -> Option<Value> {
        let op = self.specs().operation(&k.show)?;
        let path = op.path.replace("{project_id}", self.project_id()).replace(&format!("{{{}}}", k.id_param), id);
        let out = Outgoing { operation: op.id.clone(), method: "GET".into(), path, ..Outgoing::default() };
        let ex = self.poller.send(&out).await;
        if ex.status() != Some(200) {
            return None;
        }
        ex.json().and_then(|j| j.get(&k.wrapper)).cloned()
    }

    /// Sends a write and waits for its job; Err with the reason when it does not succeed.
    async fn write_and_wait(&self, operation: &str, path: String, body: Option<Value>) -> Result<(), TeardownError> {
        let op = self.specs().operation(operation).ok_or(TeardownError::UnknownOperation)?;
        let out = Outgoing {
            operation: operation.into(),
            method: op.method.clone(),
            path,
            body: body.map(|b| serde_json::to_vec(&b).expect("json")),
            ..Outgoing::default()
        };
        let ex = self.poller.send(&out).await;
        let status = ex.status().ok_or(TeardownError::NoAnswer)?;
        if !(200..300).contains(&status) {
            return Err(TeardownError::Refused { operation: operation.to_owned(), status });
        }
        if let Some(job) = ex.json().and_then(|j| j.get("job_id")).and_then(Value::as_str) {
            let polled = self.poller.poll_job(job, None).await;
            if polled.status() != Some("SUCCESS") {
                let status = polled.status().map(str::to_owned);
                return Err(TeardownError::JobEnded { operation: operation.to_owned(), status });
            }
        }
        Ok(())
    }

    /// The path of `operation` for the resource `id`, its other parameters taken from the
    /// resource or the item; `None` when a value is missing.
    fn path_of(
        &self,
        operation: &str,
        params: &[(String, crate::spec::Placeholder)],
        id: &str,
        resource: &Value,
        item: Option<&Value>,
    ) -> Option<String> {
        let op = self.specs().operation(operation)?;
        let mut path = op.path.replace("{project_id}", self.project_id());
        for (name, source) in params {
            let value = source.resolve(id, resource, item);
            path = path.replace(&format!("{{{name}}}"), value.as_str()?);
        }
        Some(path)
    }

    /// The steps a recipe sends before the delete, for `current`.
    async fn prepare(&self, step: &PrepStep, id: &str, current: &Value) -> Result<(), TeardownError> {
        let status = current.get("status").and_then(Value::as_str).unwrap_or("");
        if !step.when_status.is_empty() && !step.when_status.iter().any(|s| s == status) {
            return Ok(());
        }
        let items: Vec<Option<&Value>> = match &step.for_each {
            Some(field) => current.get(field).and_then(Value::as_array).into_iter().flatten().map(Some).collect(),
            None => vec![None],
        };
        for item in items {
            let Some(path) = self.path_of(&step.operation, &step.params, id, current, item) else { continue };
            let body = step.body.as_ref().map(|b| fill(b, id, current, item));
            let sent = self.write_and_wait(&step.operation, path, body).await;
            if !step.best_effort {
                sent?;
            }
        }
        Ok(())
    }

    async fn delete_one(&self, k: &ResourceKind, id: &str) -> Result<(), TeardownError> {
        let Some(mut current) = self.show(k, id).await else { return Ok(()) };
        // A resource still moving (a job a crash left running) is waited for before deletion.
        let transitional = |v: &Value| {
            let status = v.get("status").and_then(Value::as_str).unwrap_or("");
            self.specs()
                .states
                .machines
                .get(&k.name)
                .and_then(|m| m.states.get(status))
                .is_some_and(|s| s.kind == crate::spec::StateKind::Transitional)
        };
        let polling = self.poller.polling;
        let mut waited = 0u32;
        while transitional(&current) {
            // Its job will not end either: waiting for it would only spend the run's time.
            if let Some(why) = self.poller.breaker.jobs_trip() {
                return Err(TeardownError::NotWaitedFor { status: status_of(&current), why });
            }
            waited += 1;
            if waited > polling.max_polls.unwrap_or(u32::MAX).min(600) {
                return Err(TeardownError::StillMoving { status: status_of(&current), reads: waited });
            }
            if !polling.interval.is_zero() {
                tokio::time::sleep(polling.interval).await;
            }
            match self.show(k, id).await {
                Some(c) => current = c,
                None => return Ok(()),
            }
        }
        for step in &k.teardown.before {
            self.prepare(step, id, &current).await?;
        }
        let first = self.send_delete(k, id, &current).await;
        if first.is_ok() {
            return first;
        }
        // A delete whose job failed leaves the resource in the delete's failure state, from which
        // `states.yaml` allows deleting again (SDRS's own way out of `error-deleting`): one retry.
        match self.show(k, id).await {
            None => Ok(()),
            Some(after) if self.deletable_from(k, &after) => self.send_delete(k, id, &after).await,
            Some(_) => first,
        }
    }

    async fn send_delete(&self, k: &ResourceKind, id: &str, current: &Value) -> Result<(), TeardownError> {
        let own = [(k.id_param.clone(), crate::spec::Placeholder::Id)];
        let path = self.path_of(&k.delete, &own, id, current, None).ok_or(TeardownError::UnknownOperation)?;
        let body = k.teardown.body.as_ref().map(|b| fill(b, id, current, None));
        self.write_and_wait(&k.delete, path, body).await
    }

    /// Whether the delete of `k` is allowed from the status of `current`.
    fn deletable_from(&self, k: &ResourceKind, current: &Value) -> bool {
        let status = current.get("status").and_then(Value::as_str).unwrap_or("");
        self.specs()
            .states
            .actions
            .iter()
            .filter(|a| a.kind == k.name && a.deletes && a.operation == k.delete)
            .any(|a| a.from.iter().any(|f| f == status))
    }
}

/// The `status` of a resource as read, `?` when it has none.
fn status_of(current: &Value) -> String {
    current.get("status").and_then(Value::as_str).unwrap_or("?").to_owned()
}

impl CaseRun<'_> {
    /// Deletes what the case created.
    pub async fn teardown(&mut self) -> Vec<String> {
        let registry = std::mem::take(&mut self.registry);
        let notes = self.runner_ref().teardown_registry(registry, &self.vars).await;
        if !notes.is_empty() {
            tracing::warn!(case = %self.case_id(), ?notes, "teardown left resources behind");
        }
        notes
    }
}

impl Runner {
    /// The run's teardown: its client, breaker, polling and ledger.
    pub(crate) fn teardown(&self) -> Teardown<'_> {
        Teardown { poller: self.poller(), ledger: self.ledger_stamp() }
    }

    /// Deletes the resources of `registry`; returns what could not be deleted.
    pub(crate) async fn teardown_registry(&self, registry: Registry, vars: &Vars) -> Vec<String> {
        if self.config.mode == super::Mode::ReadOnly {
            return Vec::new();
        }
        let prefix = vars.get("prefix").and_then(Value::as_str).unwrap_or("");
        let done = self.teardown().registry(registry, prefix).await;
        for (kind, _) in &done.found {
            self.count_created(kind);
        }
        done.left
    }
}

#[cfg(test)]
mod tests {
    use super::TeardownError;

    #[test]
    fn each_reason_reads_as_the_case_reasons_always_read() {
        let cases = [
            (TeardownError::UnknownOperation, "unknown operation"),
            (TeardownError::NoAnswer, "no answer"),
            (
                TeardownError::Refused { operation: "deleteProtectionGroup".into(), status: 409 },
                "deleteProtectionGroup answered 409",
            ),
            (
                TeardownError::JobEnded { operation: "deleteProtectionGroup".into(), status: Some("FAILED".into()) },
                "deleteProtectionGroup job ended Some(\"FAILED\")",
            ),
            (TeardownError::JobEnded { operation: "x".into(), status: None }, "x job ended None"),
            (
                TeardownError::NotWaitedFor { status: "creating".into(), why: "jobs never end".into() },
                "still creating, not waited for: jobs never end",
            ),
            (TeardownError::StillMoving { status: "?".into(), reads: 601 }, "still ? after 601 reads"),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
    }
}

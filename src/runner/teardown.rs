//! Cleanup: what a case created is deleted after it, in dependency order (drills, attachments,
//! instances, pairs, groups), waiting on each job. Only resources the case created, or members
//! of groups it created that carry its name prefix, are touched.

use super::resources::{Kind, KINDS};
use super::{CaseRun, Runner};
use crate::cases::template::Vars;
use crate::client::Outgoing;
use serde_json::{json, Value};

/// What a case created.
#[derive(Debug, Default, Clone)]
pub struct Registry {
    /// (machine, id) in creation order.
    pub created: Vec<(String, String)>,
    /// Jobs the case did not wait for.
    pub pending: Vec<String>,
    /// The case was cut short: a creation may have been sent whose answer it never read.
    pub cut_short: bool,
}

impl Registry {
    /// Records a created resource; false when already known.
    pub fn add(&mut self, machine: &str, id: &str) -> bool {
        if self.created.iter().any(|(_, i)| i == id) {
            return false;
        }
        self.created.push((machine.to_owned(), id.to_owned()));
        true
    }

    fn of(&self, machine: &str) -> Vec<String> {
        self.created.iter().filter(|(m, _)| m == machine).map(|(_, i)| i.clone()).collect()
    }
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
    /// Deletes the resources of `registry`; returns what could not be deleted.
    pub(crate) async fn teardown_registry(&self, mut registry: Registry, vars: &Vars) -> Vec<String> {
        let mut notes = Vec::new();
        if self.config.mode == super::Mode::ReadOnly {
            return notes;
        }
        let prefix = vars.get("prefix").and_then(Value::as_str).unwrap_or("").to_owned();
        if registry.cut_short && !prefix.is_empty() {
            for id in self.groups_named(&prefix).await {
                registry.add("server_group", &id);
            }
        }
        for job in std::mem::take(&mut registry.pending) {
            let polled = self.poll_job(&job, None).await;
            if let Some(e) = polled.entities().and_then(Value::as_object) {
                for (key, v) in e {
                    if let (Some(k), Some(id)) = (super::resources::kind_of_entity(key), v.as_str()) {
                        if registry.add(k.machine, id) {
                            self.count_created(k.machine);
                            self.ledger_created("teardown", k.machine, id);
                        }
                    }
                }
            }
        }
        // Members of the case's own groups that carry its prefix (batch creations, unreported ids).
        if !prefix.is_empty() {
            for group in registry.of("server_group") {
                for k in KINDS.iter().filter(|k| k.machine != "server_group") {
                    let query = vec![("server_group_id".to_owned(), group.clone())];
                    if let Some(ex) = self.list_kind(k, query).await {
                        for item in
                            ex.json().and_then(|j| j.get(k.many)).and_then(Value::as_array).into_iter().flatten()
                        {
                            let named =
                                item.get("name").and_then(Value::as_str).is_some_and(|n| n.starts_with(&prefix));
                            if let (true, Some(id)) = (named, item.get("id").and_then(Value::as_str)) {
                                registry.add(k.machine, id);
                            }
                        }
                    }
                }
            }
        }
        for k in KINDS {
            for id in registry.of(k.machine) {
                if let Err(why) = self.delete_one(&k, &id).await {
                    notes.push(format!("{} {id}: {why}", k.machine));
                } else {
                    self.ledger_deleted(k.machine, &id);
                }
            }
        }
        notes
    }

    /// Ids of the protection groups whose name starts with `prefix`.
    async fn groups_named(&self, prefix: &str) -> Vec<String> {
        let groups = super::resources::kind("server_group").expect("server_group kind");
        let query = vec![("name".to_owned(), prefix.to_owned()), ("limit".to_owned(), "1000".to_owned())];
        let Some(ex) = self.list_kind(groups, query).await else { return Vec::new() };
        ex.json()
            .and_then(|j| j.get(groups.many))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|g| g.get("name").and_then(Value::as_str).is_some_and(|n| n.starts_with(prefix)))
            .filter_map(|g| g.get("id").and_then(Value::as_str).map(str::to_owned))
            .collect()
    }

    async fn list_kind(&self, k: &Kind, query: Vec<(String, String)>) -> Option<crate::exchange::Exchange> {
        let op = self.specs.operation(k.list)?;
        let path = op.path.replace("{project_id}", self.project_id());
        Some(
            self.send(&Outgoing { operation: op.id.clone(), method: "GET".into(), path, query, ..Outgoing::default() })
                .await,
        )
    }

    async fn show_kind(&self, k: &Kind, id: &str) -> Option<Value> {
        let op = self.specs.operation(k.show)?;
        let path = op.path.replace("{project_id}", self.project_id()).replace(&format!("{{{}}}", k.param), id);
        let ex =
            self.send(&Outgoing { operation: op.id.clone(), method: "GET".into(), path, ..Outgoing::default() }).await;
        if ex.status() != Some(200) {
            return None;
        }
        ex.json().and_then(|j| j.get(k.one)).cloned()
    }

    /// Sends a write and waits for its job; Err with the reason when it does not succeed.
    async fn write_and_wait(&self, operation: &str, path: String, body: Option<Value>) -> Result<(), String> {
        let op = self.specs.operation(operation).ok_or("unknown operation")?;
        let out = Outgoing {
            operation: operation.into(),
            method: op.method.clone(),
            path,
            body: body.map(|b| serde_json::to_vec(&b).expect("json")),
            ..Outgoing::default()
        };
        let ex = self.send(&out).await;
        let status = ex.status().ok_or_else(|| "no answer".to_owned())?;
        if !(200..300).contains(&status) {
            return Err(format!("{operation} answered {status}"));
        }
        if let Some(job) = ex.json().and_then(|j| j.get("job_id")).and_then(Value::as_str) {
            let polled = self.poll_job(job, None).await;
            if polled.status() != Some("SUCCESS") {
                return Err(format!("{operation} job ended {:?}", polled.status()));
            }
        }
        Ok(())
    }

    async fn delete_one(&self, k: &Kind, id: &str) -> Result<(), String> {
        let Some(mut current) = self.show_kind(k, id).await else { return Ok(()) };
        // A resource still moving (a job a crash left running) is waited for before deletion.
        let transitional = |v: &Value| {
            let status = v.get("status").and_then(Value::as_str).unwrap_or("");
            self.specs
                .states
                .machines
                .get(k.machine)
                .and_then(|m| m.states.get(status))
                .is_some_and(|s| s.kind == crate::spec::StateKind::Transitional)
        };
        let mut waited = 0u32;
        while transitional(&current) {
            // Its job will not end either: waiting for it would only spend the run's time.
            if let Some(why) = self.breaker.jobs_trip() {
                let status = current.get("status").and_then(Value::as_str).unwrap_or("?");
                return Err(format!("still {status}, not waited for: {why}"));
            }
            waited += 1;
            if waited > self.config.max_polls.unwrap_or(u32::MAX).min(600) {
                return Err(format!(
                    "still {} after {waited} reads",
                    current.get("status").and_then(Value::as_str).unwrap_or("?")
                ));
            }
            if !self.config.poll_interval.is_zero() {
                tokio::time::sleep(self.config.poll_interval).await;
            }
            match self.show_kind(k, id).await {
                Some(c) => current = c,
                None => return Ok(()),
            }
        }
        let project = self.project_id().to_owned();
        match k.machine {
            "protected_instance" => {
                for att in current.get("attachment").and_then(Value::as_array).into_iter().flatten() {
                    if let Some(rep) = att.get("replication").and_then(Value::as_str) {
                        // Best effort: some group states forbid detaching, deleting the instance still may work.
                        let path = format!("/v1/{project}/protected-instances/{id}/detachreplication/{rep}");
                        let _ = self.write_and_wait("detachReplicationPair", path, None).await;
                    }
                }
                let path = format!("/v1/{project}/protected-instances/{id}");
                self.write_and_wait(
                    "deleteProtectedInstance",
                    path,
                    Some(json!({"delete_target_server": true, "delete_target_eip": true})),
                )
                .await
            }
            "replication_pair" => {
                for att in current.get("attachment").and_then(Value::as_array).into_iter().flatten() {
                    if let Some(pi) = att.get("protected_instance").and_then(Value::as_str) {
                        let path = format!("/v1/{project}/protected-instances/{pi}/detachreplication/{id}");
                        let _ = self.write_and_wait("detachReplicationPair", path, None).await;
                    }
                }
                let group = current.get("server_group_id").cloned().unwrap_or(Value::Null);
                let path = format!("/v1/{project}/replications/{id}");
                self.write_and_wait(
                    "deleteReplicationPair",
                    path,
                    Some(json!({"replication": {"server_group_id": group, "delete_target_volume": true}})),
                )
                .await
            }
            "server_group" => {
                if current.get("status").and_then(Value::as_str) == Some("protected") {
                    let path = format!("/v1/{project}/server-groups/{id}/action");
                    self.write_and_wait("stopProtectionGroup", path, Some(json!({"stop-server-group": {}}))).await?;
                }
                self.write_and_wait("deleteProtectionGroup", format!("/v1/{project}/server-groups/{id}"), None).await
            }
            _ => {
                let path = format!("/v1/{project}/disaster-recovery-drills/{id}");
                self.write_and_wait("deleteDrDrill", path, None).await
            }
        }
    }
}

impl Runner {
    /// Deletes resources a ledger names (and the groups named with a recorded prefix).
    pub async fn cleanup_ledger(
        &self,
        outstanding: &[(String, String, String, String)],
        prefixes: &[String],
        jobs: &[String],
    ) -> Vec<String> {
        let mut registry = Registry::default();
        // Creations whose job a crash interrupted: follow them to the end first.
        registry.pending.extend(jobs.iter().cloned());
        for (machine, id, _, _) in outstanding {
            registry.add(machine, id);
        }
        for prefix in prefixes {
            for id in self.groups_named(prefix).await {
                registry.add("server_group", &id);
            }
        }
        let mut notes = Vec::new();
        // Members of recorded groups carry one of the recorded prefixes.
        for prefix in prefixes {
            let mut vars = Vars::new();
            vars.insert("prefix".into(), json!(prefix));
            notes.extend(self.teardown_registry(std::mem::take(&mut registry), &vars).await);
        }
        notes.extend(self.teardown_registry(registry, &Vars::new()).await);
        notes
    }
}

//! Reads that gather evidence beyond a request's own answer: show and list, the members a
//! cascade moves, read-backs, lifecycles, pagination and waiting for a status.

use super::{describe_query, CaseRun, Stop};
use crate::cases::template::{render_str, render_value, Vars};
use crate::cases::{Credentials, PaginateStep, Step, WaitStatusStep};
use crate::checks::{self, Evidence};
use crate::client::Outgoing;
use crate::exchange::Exchange;
use crate::spec::ResourceKind;
use crate::spec::{Action, Operation};
use serde_json::Value;

impl CaseRun<'_> {
    /// Sends the show operation of kind `k` for `id`.
    pub(in crate::runner) async fn show(&self, k: &ResourceKind, id: &str) -> Option<Exchange> {
        let op = self.runner.specs.operation(&k.show)?;
        let path =
            op.path.replace("{project_id}", self.runner.project_id()).replace(&format!("{{{}}}", k.id_param), id);
        let out = Outgoing { operation: op.id.clone(), method: "GET".into(), path, ..Outgoing::default() };
        Some(self.runner.send(&out).await)
    }

    /// Sends the list operation of kind `k` with `query`.
    pub(in crate::runner) async fn list(&self, k: &ResourceKind, query: Vec<(String, String)>) -> Option<Exchange> {
        let op = self.runner.specs.operation(&k.list)?;
        let path = op.path.replace("{project_id}", self.runner.project_id());
        let out = Outgoing { operation: op.id.clone(), method: "GET".into(), path, query, ..Outgoing::default() };
        Some(self.runner.send(&out).await)
    }

    /// Reads what an action is about to change: the members a cascade moves, the resource a
    /// delete removes.
    pub(super) async fn read_before(&mut self, op: &Operation, actions: &[&Action], rendered: &Vars) {
        self.cascade_before.clear();
        self.deleting = None;
        let Some(id) = self.acted_id(op, actions, rendered, None) else { return };
        if let Some(a) = actions.iter().find(|a| !a.cascade.is_empty()) {
            self.cascade_before = self.members(a, &id).await;
        }
        if let Some(k) = actions.iter().find(|a| a.deletes).and_then(|a| self.runner.specs.resources.kind(&a.kind)) {
            if let Some(ex) = self.show(k, &id).await {
                self.deleting = ex.json().filter(|_| ex.status() == Some(200)).and_then(|j| j.get(&k.wrapper).cloned());
            }
        }
    }

    /// The members of group `group_id` that `action` cascades to, with their current statuses
    /// (in `before`).
    pub(super) async fn members(&mut self, action: &Action, group_id: &str) -> Vec<checks::Member> {
        let mut members = Vec::new();
        for child in action.cascade.keys() {
            let Some(k) = self.runner.specs.resources.kind(child) else { continue };
            let Some(filter) = k.member_filter.clone() else { continue };
            let Some(ex) = self.list(k, vec![(filter, group_id.to_owned())]).await else {
                continue;
            };
            let Some(json) = ex.json().filter(|_| ex.status() == Some(200)).cloned() else { continue };
            self.observe(&json);
            for item in json.get(&k.list_key).and_then(Value::as_array).into_iter().flatten() {
                if let Some(id) = item.get("id").and_then(Value::as_str) {
                    members.push(checks::Member {
                        kind: k.name.to_owned(),
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
    pub(super) async fn read_back(&mut self, label: &str, rb: &crate::cases::ReadBack) -> Result<(), Stop> {
        let k = self
            .runner
            .specs
            .resources
            .kind(&rb.kind)
            .ok_or_else(|| Stop::Error(format!("unknown resource kind {}", rb.kind)))?;
        let id = render_str(&rb.id, &self.vars).map_err(|e| Stop::Error(e.to_string()))?;
        let mut fields = Vec::new();
        for (pointer, value) in &rb.fields {
            fields.push((pointer.clone(), render_value(value, &self.vars).map_err(|e| Stop::Error(e.to_string()))?));
        }
        let Some(show) = self.show(k, &id).await else { return Ok(()) };
        let shown = show.json().and_then(|j| j.get(&k.wrapper)).cloned().unwrap_or(Value::Null);
        let mut queries = vec![self.plain_query(k)];
        for filter in self.selecting_filters(k, &shown) {
            queries.push(vec![filter]);
        }
        let mut answers = Vec::new();
        for query in queries {
            let Some(ex) = self.list(k, query.clone()).await else { continue };
            answers.push((describe_query(&query), ex));
        }
        let ev = checks::ReadBackEvidence {
            kind: k.name.clone(),
            id,
            fields,
            show: &show,
            show_pointer: format!("/{}", k.wrapper),
            lists: answers
                .iter()
                .map(|(q, ex)| checks::Listing { query: q.clone(), exchange: ex, exact_count: false })
                .collect(),
            items_pointer: format!("/{}", k.list_key),
        };
        self.judge_evidence(label, &Evidence::ReadBack(&ev), true);
        Ok(())
    }

    /// The query of the plain list: every item on one page where the list pages.
    fn plain_query(&self, k: &ResourceKind) -> Vec<(String, String)> {
        k.list_all.clone()
    }

    /// The list filters that should select `resource` (as shown): its name, status and group.
    fn selecting_filters(&self, k: &ResourceKind, resource: &Value) -> Vec<(String, String)> {
        let mut filters = Vec::new();
        for key in k.selecting_fields() {
            if let Some(v) = resource.get(key).and_then(Value::as_str).filter(|v| !v.is_empty()) {
                filters.push((key.to_owned(), v.to_owned()));
            }
        }
        filters
    }

    pub(super) async fn lifecycle(
        &mut self,
        label: &str,
        k: &'static ResourceKind,
        id: &str,
        deleted: bool,
        shown: Option<Exchange>,
    ) {
        let show = match shown {
            Some(s) => s,
            None => match self.show(k, id).await {
                Some(s) => s,
                None => return,
            },
        };
        let Some(list) = self.list(k, self.plain_query(k)).await else { return };
        if let Some(j) = list.json() {
            if list.status() == Some(200) {
                self.observe(&j.clone());
            }
        }
        let ev = if deleted {
            checks::LifecycleEvidence::Deleted {
                kind: k.name.clone(),
                id: id.into(),
                show: &show,
                gone_codes: gone_codes(self.runner.specs, k),
                list: &list,
                list_items_pointer: format!("/{}", k.list_key),
            }
        } else {
            checks::LifecycleEvidence::Created {
                kind: k.name.clone(),
                id: id.into(),
                show: &show,
                show_id_pointer: format!("/{}/id", k.wrapper),
                list: &list,
                list_items_pointer: format!("/{}", k.list_key),
            }
        };
        self.judge_evidence(label, &Evidence::Lifecycle(&ev), true);
        if deleted {
            self.gone_from_filtered_lists(label, k, id).await;
        }
    }

    /// After a deletion: the lists filtered by the resource's former name and group hold it no
    /// more, nor count it.
    async fn gone_from_filtered_lists(&mut self, label: &str, k: &'static ResourceKind, id: &str) {
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
        let items_pointer = format!("/{}", k.list_key);
        let evidence = Evidence::GoneFromLists { kind: &k.name, id, lists: &lists, items_pointer: &items_pointer };
        self.judge_evidence(label, &evidence, true);
    }

    pub(super) async fn wait_status(&mut self, label: &str, w: &WaitStatusStep) -> Result<(), Stop> {
        let k = self
            .runner
            .specs
            .resources
            .kind(&w.kind)
            .ok_or_else(|| Stop::Error(format!("unknown resource kind {}", w.kind)))?;
        let id = render_str(&w.id, &self.vars).map_err(|e| Stop::Error(e.to_string()))?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(w.timeout.unwrap_or(600));
        let mut pause = self.runner.config.poll_interval;
        let mut polls = 0u32;
        loop {
            let ex = self.show(k, &id).await.ok_or_else(|| Stop::Error("no show operation".into()))?;
            let status = ex
                .json()
                .and_then(|j| j.pointer(&format!("/{}/status", k.wrapper)))
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
                    k.name, status, w.status
                )));
            }
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
                pause = (pause + pause / 2).min(self.runner.config.poll_interval * 10);
            }
        }
    }

    pub(super) async fn paginate(&mut self, label: &str, p: &PaginateStep) -> Result<(), Stop> {
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
        let items_key = kind_of_list(self.runner.specs, &op.id).unwrap_or("items");
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
        self.judge_evidence(label, &Evidence::Pages(&ev), true);
        Ok(())
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
}

/// The items key of a list operation's answer.
fn kind_of_list<'a>(specs: &'a crate::spec::Specs, op: &str) -> Option<&'a str> {
    if let Some(k) = specs.resources.of_list(op) {
        return Some(&k.list_key);
    }
    match op {
        "listFailureJobs" => Some("failure_jobs"),
        "listRpoStatistics" => Some("resource_rpo_statistics"),
        _ => None,
    }
}

/// Codes meaning "no such resource" for a kind (from the show operation's path parameter).
pub(super) fn gone_codes(specs: &crate::spec::Specs, k: &ResourceKind) -> Vec<String> {
    specs
        .operation(&k.show)
        .and_then(|op| op.path_params().find(|p| p.name == k.id_param))
        .and_then(|p| p.not_found.as_ref())
        .map(|nf| vec![nf.code.clone()])
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Specs;

    #[test]
    fn list_operations_name_their_items_key() {
        let specs = Specs::embedded();
        assert_eq!(kind_of_list(specs, "listProtectionGroups"), Some("server_groups"));
        assert_eq!(kind_of_list(specs, "listReplicationPairs"), Some("replications"));
        assert_eq!(kind_of_list(specs, "listFailureJobs"), Some("failure_jobs"));
        assert_eq!(kind_of_list(specs, "showQuotas"), None);
    }

    #[test]
    fn a_kind_s_gone_codes_come_from_its_show_operation_s_id_parameter() {
        let k = Specs::embedded().resources.kind("server_group").expect("kind");
        let codes = gone_codes(Specs::embedded(), k);
        assert_eq!(codes.len(), 1, "{codes:?}");
        assert!(codes[0].starts_with("SDRS."), "{codes:?}");
    }
}

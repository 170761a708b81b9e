//! The resource table: where each resource kind lives in the API, built at load time from the
//! state machines of `states.yaml` (a machine with a `delete:` operation is a kind) and the OpenAPI
//! documents, so that the runner, teardown and cleanup read the API's shape instead of writing it.
//!
//! A kind's name is its machine's name (`server_group`). What `states.yaml` says (operations,
//! wrapper and list keys, `member_of`, the teardown recipe) is checked against the documents; the
//! id parameter, the job entity key, the member filter and the one-page list query are derived.

use super::locate::{LineFinder, Location};
use super::openapi::{escape, Operation, ParamLocation};
use super::states::{Machine, RawTeardownStep};
use super::{SpecProblem, Specs};
use serde_json::Value;
use std::collections::BTreeSet;

/// Every resource kind, in teardown order.
#[derive(Debug, Default)]
pub struct ResourceTable {
    kinds: Vec<ResourceKind>,
}

/// The API shape of one resource kind.
#[derive(Debug, Clone)]
pub struct ResourceKind {
    /// The kind's name: its machine in `states.yaml`.
    pub name: String,
    /// Operation showing one resource.
    pub show: String,
    /// Operation listing them.
    pub list: String,
    /// Operation deleting one.
    pub delete: String,
    /// Path parameter naming one resource (derived from the show operation's path).
    pub id_param: String,
    /// Key wrapping one resource in the show answer.
    pub wrapper: String,
    /// Key of the array in the list answer.
    pub list_key: String,
    /// `entities` key of its jobs (derived from the job types of `states.yaml`).
    pub entity: String,
    /// The kind that contains this one, if any.
    pub member_of: Option<String>,
    /// Query parameter of the list selecting the members of one container (the container's id parameter).
    pub member_filter: Option<String>,
    /// Query that lists every resource on one page: the documented `limit` at its maximum, or nothing
    /// where the list documents no `limit` of its own.
    pub list_all: Vec<(String, String)>,
    /// How teardown deletes one.
    pub teardown: DeleteRecipe,
    /// Where its machine is written.
    pub location: Location,
}

/// How teardown deletes one resource of a kind.
#[derive(Debug, Clone, Default)]
pub struct DeleteRecipe {
    /// Kinds of lower order are deleted first.
    pub order: u32,
    /// Requests sent before the delete.
    pub before: Vec<PrepStep>,
    /// Body of the delete request, placeholders filled from the shown resource.
    pub body: Option<Value>,
}

/// A request teardown sends before a delete (a detach, a stop).
#[derive(Debug, Clone)]
pub struct PrepStep {
    /// Operation id.
    pub operation: String,
    /// One request per element of this array field of the shown resource.
    pub for_each: Option<String>,
    /// Sent only when the resource shows one of these states (empty: always).
    pub when_status: Vec<String>,
    /// Path parameters and where their values come from (the resource's own id parameter included).
    pub params: Vec<(String, Placeholder)>,
    /// Request body.
    pub body: Option<Value>,
    /// Its failure does not stop the delete.
    pub best_effort: bool,
}

/// Where a value of a teardown request comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placeholder {
    /// `${id}`: the resource's id.
    Id,
    /// `${field}`: a field of the shown resource.
    Field(String),
    /// `${item.field}`: a field of the `for_each` element.
    Item(String),
}

impl Placeholder {
    /// Parses a whole-string placeholder; `None` for any other string.
    pub fn parse(text: &str) -> Option<Placeholder> {
        let inner = text.strip_prefix("${")?.strip_suffix('}')?;
        let ok = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        match inner.strip_prefix("item.") {
            Some(field) if ok(field) => Some(Placeholder::Item(field.to_owned())),
            None if inner == "id" => Some(Placeholder::Id),
            None if ok(inner) => Some(Placeholder::Field(inner.to_owned())),
            _ => None,
        }
    }

    /// The value it names.
    pub fn resolve(&self, id: &str, resource: &Value, item: Option<&Value>) -> Value {
        match self {
            Placeholder::Id => Value::String(id.to_owned()),
            Placeholder::Field(f) => resource.get(f).cloned().unwrap_or(Value::Null),
            Placeholder::Item(f) => item.and_then(|i| i.get(f)).cloned().unwrap_or(Value::Null),
        }
    }
}

/// `template` with every whole-string placeholder replaced by the value it names.
pub fn fill(template: &Value, id: &str, resource: &Value, item: Option<&Value>) -> Value {
    match template {
        Value::String(s) => match Placeholder::parse(s) {
            Some(p) => p.resolve(id, resource, item),
            None => template.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(|v| fill(v, id, resource, item)).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), fill(v, id, resource, item))).collect())
        }
        other => other.clone(),
    }
}

impl ResourceKind {
    /// The list filters that select one resource as shown: its name, its status, and its container.
    pub fn selecting_fields(&self) -> Vec<&str> {
        ["name", "status"].into_iter().chain(self.member_filter.as_deref()).collect()
    }

    /// JSON pointer of the status in the show answer.
    pub fn status_pointer(&self) -> String {
        format!("/{}/status", self.wrapper)
    }
}

impl ResourceTable {
    /// Every kind, in teardown order.
    pub fn kinds(&self) -> impl Iterator<Item = &ResourceKind> {
        self.kinds.iter()
    }

    /// The kind of this name.
    pub fn kind(&self, name: &str) -> Option<&ResourceKind> {
        self.kinds.iter().find(|k| k.name == name)
    }

    /// The kind whose show wrapper or list key is `key`.
    pub fn of_key(&self, key: &str) -> Option<&ResourceKind> {
        self.kinds.iter().find(|k| k.wrapper == key || k.list_key == key)
    }

    /// The kind whose jobs name it under `entity`.
    pub fn of_entity(&self, entity: &str) -> Option<&ResourceKind> {
        self.kinds.iter().find(|k| k.entity == entity)
    }

    /// The kind listed by operation `list`.
    pub fn of_list(&self, list: &str) -> Option<&ResourceKind> {
        self.kinds.iter().find(|k| k.list == list)
    }

    /// Kinds contained in no other (protection groups).
    pub fn containers(&self) -> impl Iterator<Item = &ResourceKind> {
        self.kinds.iter().filter(|k| k.member_of.is_none())
    }

    /// Kinds whose resources belong to one of `container`, in teardown order.
    pub fn members_of<'a>(&'a self, container: &'a str) -> impl Iterator<Item = &'a ResourceKind> + 'a {
        self.kinds.iter().filter(move |k| k.member_of.as_deref() == Some(container))
    }

    /// Builds the table from the loaded documents; problems name the line of `states.yaml`.
    pub(super) fn build(specs: &Specs, states_text: &str, states_file: &str, problems: &mut Vec<SpecProblem>) -> Self {
        let finder = LineFinder::new(states_text, states_file);
        let mut b = Build { specs, finder, problems };
        for (name, m) in &specs.states.machines {
            b.operations_exist(name, m);
        }
        let mut kinds: Vec<ResourceKind> =
            specs.states.machines.iter().filter_map(|(name, m)| b.kind(name, m)).collect();
        let names: Vec<(String, String)> = kinds.iter().map(|k| (k.name.clone(), k.id_param.clone())).collect();
        for k in &mut kinds {
            b.membership(k, &names);
        }
        let mut orders = BTreeSet::new();
        for k in &kinds {
            if !orders.insert(k.teardown.order) {
                let at = b.at(&k.name, &["teardown", "order"]);
                b.problem(at, format!("kind {}: teardown order {} is taken by another kind", k.name, k.teardown.order));
            }
        }
        kinds.sort_by_key(|k| k.teardown.order);
        ResourceTable { kinds }
    }
}

struct Build<'a> {
    specs: &'a Specs,
    finder: LineFinder<'a>,
    problems: &'a mut Vec<SpecProblem>,
}

impl Build<'_> {
    fn at(&self, kind: &str, keys: &[&str]) -> Location {
        let path: Vec<&str> = ["machines", kind].into_iter().chain(keys.iter().copied()).collect();
        self.finder.locate(&path)
    }

    fn problem(&mut self, location: Location, message: String) {
        self.problems.push(SpecProblem { location, message });
    }

    /// Every operation a machine names exists (for the job machine too, which is no kind).
    fn operations_exist(&mut self, name: &str, m: &Machine) {
        for (key, op) in [("show", &m.show), ("list", &m.list), ("delete", &m.delete)] {
            if let Some(op) = op.as_deref().filter(|op| self.specs.operation(op).is_none()) {
                let hint = self.suggest(op);
                let at = self.at(name, &[key]);
                self.problem(at, format!("kind {name} names {key} operation {op}, which does not exist{hint}"));
            }
        }
    }

    fn suggest(&self, op: &str) -> String {
        let best = self
            .specs
            .operations()
            .map(|o| (crate::edit_distance::distance(&o.id.to_lowercase(), &op.to_lowercase()), &o.id))
            .min();
        match best {
            Some((d, id)) if d <= 3 => format!(" (did you mean {id}?)"),
            _ => String::new(),
        }
    }

    fn kind(&mut self, name: &str, m: &Machine) -> Option<ResourceKind> {
        let delete_id = m.delete.as_deref()?;
        let mut missing = Vec::new();
        for (key, v) in [("show", &m.show), ("list", &m.list), ("wrapper", &m.wrapper), ("list_key", &m.list_key)] {
            if v.is_none() {
                missing.push(key);
            }
        }
        if m.teardown.is_none() {
            missing.push("teardown");
        }
        if !missing.is_empty() {
            let at = self.at(name, &["delete"]);
            self.problem(at, format!("kind {name} has a delete operation but no {}", missing.join(", ")));
            return None;
        }
        let (show_id, list_id) = (m.show.as_deref()?, m.list.as_deref()?);
        let (show, list, delete) =
            (self.specs.operation(show_id)?, self.specs.operation(list_id)?, self.specs.operation(delete_id)?);
        let id_param = self.id_param(name, show, delete)?;
        let (wrapper, list_key) = (m.wrapper.clone()?, m.list_key.clone()?);
        self.answers_key(name, "wrapper", show, &wrapper);
        self.answers_key(name, "list_key", list, &list_key);
        if !self.specs.states.actions.iter().any(|a| a.kind == name && a.deletes && a.operation == delete_id) {
            let at = self.at(name, &["delete"]);
            self.problem(
                at,
                format!("kind {name}: no action of {name} with `deletes: true` is triggered by {delete_id}"),
            );
        }
        let entity = self.entity(name)?;
        let teardown = self.recipe(name, m, &id_param)?;
        Some(ResourceKind {
            name: name.to_owned(),
            show: show_id.to_owned(),
            list: list_id.to_owned(),
            delete: delete_id.to_owned(),
            id_param,
            wrapper,
            list_key,
            entity,
            member_of: m.member_of.clone(),
            member_filter: None,
            list_all: self.list_all(list),
            teardown,
            location: m.location.clone(),
        })
    }

    /// The one path parameter (besides the project) of the show operation; the delete takes it too.
    fn id_param(&mut self, name: &str, show: &Operation, delete: &Operation) -> Option<String> {
        let own: Vec<&str> = show.path_params().map(|p| p.name.as_str()).filter(|p| *p != "project_id").collect();
        let [param] = own.as_slice() else {
            let at = self.at(name, &["show"]);
            self.problem(
                at,
                format!("kind {name}: show operation {} must take one id parameter, it takes {own:?}", show.id),
            );
            return None;
        };
        if !delete.path_params().any(|p| p.name == *param) {
            let at = self.at(name, &["delete"]);
            self.problem(at, format!("kind {name}: delete operation {} takes no path parameter `{param}`", delete.id));
        }
        Some((*param).to_owned())
    }

    /// The job types of `states.yaml` name the kind under one `entities` key.
    fn entity(&mut self, name: &str) -> Option<String> {
        let keys: BTreeSet<&str> =
            self.specs.states.job_types.values().filter(|j| j.kind == name).map(|j| j.entity.as_str()).collect();
        match keys.iter().collect::<Vec<_>>().as_slice() {
            [one] => Some((**one).to_owned()),
            other => {
                let at = self.at(name, &["delete"]);
                self.problem(
                    at,
                    format!("kind {name}: the job types name it under {} entity keys {other:?}, not one", other.len()),
                );
                None
            }
        }
    }

    /// The success answer of `op` has the top-level property `key`.
    fn answers_key(&mut self, name: &str, field: &str, op: &Operation, key: &str) {
        let api = self.specs.api_of(op);
        let schema = op.responses.get(&op.success_status).and_then(|r| r.schema_pointer.as_deref());
        let mut node = schema.and_then(|p| api.document.pointer(p));
        for _ in 0..8 {
            match node.and_then(|n| n.get("$ref")).and_then(Value::as_str) {
                Some(r) => node = super::resolve_ref(&api.document, r),
                None => break,
            }
        }
        if node.and_then(|n| n.pointer(&format!("/properties/{}", escape(key)))).is_none() {
            let at = self.at(name, &[field]);
            self.problem(at, format!("kind {name}: {field} `{key}` is not a property of the answer of {}", op.id));
        }
    }

    /// `limit` at its documented maximum, unless the list's `limit` is only inferred (INC-18).
    fn list_all(&self, list: &Operation) -> Vec<(String, String)> {
        let api = self.specs.api_of(list);
        let raw = api.document.pointer(&format!("/paths/{}/{}", escape(&list.path), list.method.to_lowercase()));
        let inferred: Vec<&str> = raw
            .and_then(|r| r.get("x-sdrs-inferred-parameters"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| p.get("name").and_then(Value::as_str))
            .collect();
        list.query_params()
            .filter(|p| p.name == "limit" && !inferred.contains(&"limit"))
            .find_map(|p| p.schema.get("maximum").and_then(Value::as_u64))
            .map(|max| vec![("limit".to_owned(), max.to_string())])
            .unwrap_or_default()
    }

    fn membership(&mut self, k: &mut ResourceKind, kinds: &[(String, String)]) {
        let Some(container) = k.member_of.clone() else { return };
        let Some((_, param)) = kinds.iter().find(|(n, _)| *n == container) else {
            let at = self.at(&k.name, &["member_of"]);
            self.problem(at, format!("kind {}: member_of names {container}, which is no resource kind", k.name));
            return;
        };
        let listed = self.specs.operation(&k.list).is_some_and(|l| l.query_params().any(|p| p.name == *param));
        if !listed {
            let at = self.at(&k.name, &["member_of"]);
            self.problem(at, format!("kind {}: list operation {} has no query parameter `{param}`", k.name, k.list));
        }
        k.member_filter = Some(param.clone());
    }

    fn recipe(&mut self, name: &str, m: &Machine, id_param: &str) -> Option<DeleteRecipe> {
        let raw = m.teardown.as_ref()?;
        let mut before = Vec::new();
        for (i, step) in raw.before.iter().enumerate() {
            let at = self.at(name, &["teardown", "before", &format!("#{i}")]);
            if let Some(s) = self.step(name, m, id_param, step, at) {
                before.push(s);
            }
        }
        if let Some(body) = &raw.body {
            let at = self.at(name, &["teardown", "body"]);
            self.placeholders(name, body, false, &at);
        }
        Some(DeleteRecipe { order: raw.order, before, body: raw.body.clone() })
    }

    fn step(
        &mut self,
        name: &str,
        m: &Machine,
        id_param: &str,
        raw: &RawTeardownStep,
        at: Location,
    ) -> Option<PrepStep> {
        let Some(op) = self.specs.operation(&raw.operation) else {
            let hint = self.suggest(&raw.operation);
            self.problem(
                at,
                format!("kind {name}: teardown step names operation {}, which does not exist{hint}", raw.operation),
            );
            return None;
        };
        let path: Vec<String> = op.path_params().map(|p| p.name.clone()).filter(|p| p != "project_id").collect();
        let mut params = Vec::new();
        let mut ok = true;
        for (key, value) in &raw.params {
            if !op.parameters.iter().any(|p| p.name == *key && p.location == ParamLocation::Path) {
                self.problem(
                    at.clone(),
                    format!("kind {name}: teardown step {}: unknown path parameter `{key}` (it takes {path:?})", op.id),
                );
                ok = false;
                continue;
            }
            match Placeholder::parse(value) {
                Some(Placeholder::Item(_)) if raw.for_each.is_none() => {
                    self.problem(at.clone(), format!("kind {name}: teardown step {}: `{value}` needs for_each", op.id));
                    ok = false;
                }
                Some(p) => params.push((key.clone(), p)),
                None => {
                    self.problem(
                        at.clone(),
                        format!(
                            "kind {name}: teardown step {}: `{value}` is not ${{id}}, ${{field}} or ${{item.field}}",
                            op.id
                        ),
                    );
                    ok = false;
                }
            }
        }
        for p in &path {
            if !raw.params.contains_key(p) {
                if p == id_param {
                    params.push((p.clone(), Placeholder::Id));
                } else {
                    self.problem(
                        at.clone(),
                        format!("kind {name}: teardown step {} leaves path parameter `{p}` unbound", op.id),
                    );
                    ok = false;
                }
            }
        }
        for s in &raw.when_status {
            if !m.states.contains_key(s) {
                self.problem(
                    at.clone(),
                    format!("kind {name}: teardown step {}: unknown state `{s}` in when_status", op.id),
                );
                ok = false;
            }
        }
        if let Some(body) = &raw.body {
            self.placeholders(name, body, raw.for_each.is_some(), &at);
        }
        ok.then(|| PrepStep {
            operation: op.id.clone(),
            for_each: raw.for_each.clone(),
            when_status: raw.when_status.clone(),
            params,
            body: raw.body.clone(),
            best_effort: raw.best_effort,
        })
    }

    /// Strings of a body that look like placeholders are well formed.
    fn placeholders(&mut self, name: &str, body: &Value, items: bool, at: &Location) {
        match body {
            Value::String(s) if s.starts_with("${") => match Placeholder::parse(s) {
                Some(Placeholder::Item(_)) if !items => {
                    self.problem(at.clone(), format!("kind {name}: teardown body `{s}` needs for_each"))
                }
                Some(_) => {}
                None => self.problem(at.clone(), format!("kind {name}: teardown body `{s}` is no placeholder")),
            },
            Value::Array(v) => v.iter().for_each(|x| self.placeholders(name, x, items, at)),
            Value::Object(o) => o.values().for_each(|x| self.placeholders(name, x, items, at)),
            _ => {}
        }
    }
}

impl ResourceTable {
    /// Every `(kind, id, status)` a show or list answer body carries, in body order.
    pub fn statuses_in(&self, body: &Value) -> Vec<(&str, String, String)> {
        let mut found = Vec::new();
        collect_statuses(self, body, None, &mut found);
        found
    }
}

fn collect_statuses<'t>(
    table: &'t ResourceTable,
    v: &Value,
    kind: Option<&'t str>,
    out: &mut Vec<(&'t str, String, String)>,
) {
    match v {
        Value::Object(map) => {
            if let (Some(m), Some(Value::String(id)), Some(Value::String(status))) =
                (kind, map.get("id"), map.get("status"))
            {
                out.push((m, id.clone(), status.clone()));
            }
            for (k, child) in map {
                let m = table.of_key(k).map(|k| k.name.as_str()).or(if k == "resource_detail" {
                    Some("protected_instance")
                } else {
                    None
                });
                if m.is_some() {
                    collect_statuses(table, child, m, out);
                } else if matches!(child, Value::Array(_) | Value::Object(_)) && k == "resources" {
                    collect_statuses(table, child, None, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_statuses(table, i, kind, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{SpecError, SpecSources};

    fn table() -> &'static ResourceTable {
        &Specs::embedded().resources
    }

    #[test]
    fn every_machine_with_a_delete_is_a_kind_whose_operations_exist() {
        let specs = Specs::embedded();
        let with_delete: Vec<&String> =
            specs.states.machines.iter().filter(|(_, m)| m.delete.is_some()).map(|(n, _)| n).collect();
        assert_eq!(with_delete.len(), table().kinds().count());
        for k in table().kinds() {
            for op in [&k.show, &k.list, &k.delete] {
                assert!(specs.operation(op).is_some(), "{} names {op}", k.name);
            }
            for step in &k.teardown.before {
                assert!(specs.operation(&step.operation).is_some(), "{}", step.operation);
            }
        }
        // Every resource machine is a kind; the job machine (show only) is not.
        let resources: Vec<&str> = specs.states.machines.keys().filter(|n| *n != "job").map(String::as_str).collect();
        let mut kinds: Vec<&str> = table().kinds().map(|k| k.name.as_str()).collect();
        kinds.sort();
        assert_eq!(kinds, resources);
    }

    #[test]
    fn the_table_derives_what_the_documents_say() {
        let pair = table().kind("replication_pair").unwrap();
        assert_eq!((pair.id_param.as_str(), pair.entity.as_str()), ("replication_id", "replication_pair_id"));
        assert_eq!((pair.wrapper.as_str(), pair.list_key.as_str()), ("replication", "replications"));
        assert_eq!(pair.member_filter.as_deref(), Some("server_group_id"));
        // The pair list's limit is only inferred (INC-18): it is listed without one.
        assert!(pair.list_all.is_empty());
        let group = table().kind("server_group").unwrap();
        assert_eq!(group.list_all, vec![("limit".to_owned(), "1000".to_owned())]);
        assert_eq!(group.selecting_fields(), ["name", "status"]);
        let order: Vec<&str> = table().kinds().map(|k| k.name.as_str()).collect();
        assert_eq!(order, ["dr_drill", "protected_instance", "replication_pair", "server_group"]);
        assert_eq!(table().of_entity("disaster_recovery_drill_id").map(|k| k.name.as_str()), Some("dr_drill"));
        assert_eq!(table().of_key("protected_instances").map(|k| k.name.as_str()), Some("protected_instance"));
        let detach = &table().kind("protected_instance").unwrap().teardown.before[0];
        assert_eq!(
            detach.params,
            vec![
                ("replication_id".to_owned(), Placeholder::Item("replication".into())),
                ("protected_instance_id".to_owned(), Placeholder::Id)
            ]
        );
    }

    #[test]
    fn placeholders_fill_from_the_resource_and_the_item() {
        let body = serde_json::json!({"replication": {"server_group_id": "${server_group_id}", "keep": "${x", "n": 1}});
        let resource = serde_json::json!({"server_group_id": "g1"});
        let filled = fill(&body, "p1", &resource, None);
        assert_eq!(filled, serde_json::json!({"replication": {"server_group_id": "g1", "keep": "${x", "n": 1}}));
        assert_eq!(Placeholder::parse("${item.replication}"), Some(Placeholder::Item("replication".into())));
        assert_eq!(Placeholder::parse("${a-b}"), None);
        assert_eq!(Placeholder::Field("missing".into()).resolve("i", &resource, None), Value::Null);
    }

    /// The embedded specs with one edit of `states.yaml`; the problems it causes.
    fn problems_after(from: &str, to: &str) -> Vec<String> {
        let mut src = SpecSources::embedded();
        assert!(src.states.contains(from), "{from}");
        src.states = src.states.replacen(from, to, 1);
        match Specs::from_sources(&src) {
            Err(SpecError::Invalid(p)) => p.iter().map(ToString::to_string).collect(),
            other => panic!("expected problems, got {other:?}"),
        }
    }

    fn line_of(text: &str) -> usize {
        SpecSources::embedded().states.lines().position(|l| l.contains(text)).unwrap() + 1
    }

    #[test]
    fn an_unknown_delete_operation_names_its_line() {
        let p = problems_after("delete: deleteDrDrill", "delete: deleteDrDril");
        let line = line_of("delete: deleteDrDrill");
        assert!(
            p.iter().any(|m| m.starts_with(&format!("specs/states.yaml:{line}:"))
                && m.contains("deleteDrDril, which does not exist (did you mean deleteDrDrill?)")),
            "{p:?}"
        );
    }

    #[test]
    fn an_unknown_parameter_of_a_teardown_step_names_its_line() {
        let p = problems_after("params: {replication_id:", "params: {replication:");
        let line = line_of("params: {replication_id:");
        let at = format!("specs/states.yaml:{line}:");
        assert!(p.iter().any(|m| m.starts_with(&at) && m.contains("unknown path parameter `replication`")), "{p:?}");
        assert!(p.iter().any(|m| m.starts_with(&at) && m.contains("leaves path parameter `replication_id` unbound")));
    }

    #[test]
    fn a_wrong_wrapper_key_and_a_missing_list_are_problems_not_panics() {
        let p = problems_after("wrapper: replication\n", "wrapper: replications_pair\n");
        assert!(
            p.iter()
                .any(|m| m
                    .contains("wrapper `replications_pair` is not a property of the answer of showReplicationPair")),
            "{p:?}"
        );
        let p = problems_after("    list: listDrDrills\n", "");
        assert!(p.iter().any(|m| m.contains("kind dr_drill has a delete operation but no list")), "{p:?}");
        let p = problems_after("member_of: server_group", "member_of: server_groups");
        assert!(p.iter().any(|m| m.contains("member_of names server_groups, which is no resource kind")), "{p:?}");
    }
}

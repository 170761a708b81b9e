//! Cross-checks between the spec files: every name one file uses exists in the other.

use super::openapi::{escape, ApiSpec, Operation};
use super::{Location, SpecProblem, Specs};
use serde_json::Value;
use std::collections::BTreeSet;

pub(super) fn cross_check(specs: &Specs, problems: &mut Vec<SpecProblem>) {
    // The extension's operations are SDRS operations too: ids must be unique across both.
    duplicate_operation_ids(specs.sdrs_operations(), problems);
    provenance(&specs.extensions, problems);
    for api in specs.apis() {
        dangling_refs(api, problems);
        if !std::ptr::eq(api, &specs.sdrs) && !std::ptr::eq(api, &specs.extensions) {
            duplicate_operation_ids(api.operations.iter(), problems);
        }
        for op in &api.operations {
            let codes = op.errors.iter().chain(op.parameters.iter().filter_map(|p| p.error_code.as_ref()));
            for code in codes {
                unknown_code(specs, code, &op.location, &format!("operation {}", op.id), problems);
            }
        }
    }
    check_states(specs, problems);
    for api in specs.apis() {
        inferred_rules(specs, api, problems);
    }
}

/// Every `x-sdrs-inferred` is `{<keyword>: GAP-xx}` (or one GAP id), and every GAP id cited in a
/// document is in readings.yaml: an inferred rule always says which reading it is.
fn inferred_rules(specs: &Specs, api: &ApiSpec, problems: &mut Vec<SpecProblem>) {
    let mut stack: Vec<(String, &Value)> = vec![(String::new(), &api.document)];
    let mut report = |pointer: &str, message: String| {
        problems.push(SpecProblem {
            location: Location { file: api.file.clone(), line: 0 },
            message: format!("#{pointer}: {message}"),
        })
    };
    while let Some((pointer, node)) = stack.pop() {
        let Value::Object(map) = node else {
            if let Value::Array(items) = node {
                stack.extend(items.iter().enumerate().map(|(i, v)| (format!("{pointer}/{i}"), v)));
            }
            continue;
        };
        let mut cited: Vec<&str> = Vec::new();
        match map.get("x-sdrs-inferred") {
            None | Some(Value::Bool(true)) => {}
            Some(Value::String(id)) => cited.push(id),
            Some(Value::Object(by_keyword)) => {
                for (keyword, id) in by_keyword {
                    match id.as_str() {
                        Some(id) => cited.push(id),
                        None => report(&pointer, format!("x-sdrs-inferred.{keyword} is not a GAP id")),
                    }
                }
            }
            Some(_) => report(&pointer, "x-sdrs-inferred is neither a GAP id nor {keyword: GAP id}".into()),
        }
        if let Some(Value::Array(ids)) = map.get("x-sdrs-disagreements") {
            cited.extend(ids.iter().filter_map(Value::as_str).filter(|id| id.starts_with("GAP")));
        }
        for id in cited {
            if !specs.readings.gaps.contains_key(id) {
                report(&pointer, format!("cites {id}, which is not a gap of readings.yaml"));
            }
        }
        for (key, child) in map {
            let escaped = key.replace('~', "~0").replace('/', "~1");
            stack.push((format!("{pointer}/{escaped}"), child));
        }
    }
}

fn unknown_code(specs: &Specs, code: &str, location: &Location, owner: &str, problems: &mut Vec<SpecProblem>) {
    if specs.errors.get(code).is_some() || specs.errors.outside_table.iter().any(|c| c == code) {
        return;
    }
    let hint = specs.errors.suggest(code).map(|s| format!(" (did you mean {s}?)")).unwrap_or_default();
    problems.push(SpecProblem {
        location: location.clone(),
        message: format!("{owner} names error code {code}, which is not in errors.yaml{hint}"),
    });
}

fn dangling_refs(api: &ApiSpec, problems: &mut Vec<SpecProblem>) {
    let mut stack: Vec<(String, &Value)> = vec![(String::new(), &api.document)];
    while let Some((pointer, node)) = stack.pop() {
        match node {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    let ok = r.strip_prefix('#').is_some_and(|p| api.document.pointer(p).is_some());
                    if !ok {
                        let segments: Vec<String> = pointer.split('/').skip(1).map(unescape).collect();
                        let path: Vec<&str> = segments.iter().map(String::as_str).collect();
                        let text_loc = locate_in_file(api, &path);
                        problems.push(SpecProblem {
                            location: text_loc,
                            message: format!("dangling $ref `{r}` at {pointer}"),
                        });
                    }
                }
                for (k, v) in map {
                    stack.push((format!("{pointer}/{}", escape(k)), v));
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    stack.push((format!("{pointer}/{i}"), v));
                }
            }
            _ => {}
        }
    }
}

fn locate_in_file(api: &ApiSpec, path: &[&str]) -> Location {
    // The text is not kept; point at the operation when the pointer is inside one.
    let op = api.operations.iter().find(|o| path.len() > 1 && path[0] == "paths" && path[1] == o.path);
    op.map(|o| o.location.clone()).unwrap_or_else(|| Location { file: api.file.clone(), line: 0 })
}

fn unescape(s: &str) -> String {
    s.replace("~1", "/").replace("~0", "~")
}

/// A document from outside the seeds says where it comes from, and each operation where it is
/// documented: nothing in it can be traced to the seeds.
fn provenance(api: &ApiSpec, problems: &mut Vec<SpecProblem>) {
    if api.origin.as_deref().is_none_or(|o| o.trim().is_empty()) {
        problems.push(SpecProblem {
            location: Location { file: api.file.clone(), line: 0 },
            message: "info has no x-sdrs-origin saying where the document comes from".into(),
        });
    }
    for op in &api.operations {
        if op.source.as_deref().is_none_or(|s| s.trim().is_empty()) {
            problems.push(SpecProblem {
                location: op.location.clone(),
                message: format!("operation {} has no x-sdrs-source saying where it is documented", op.id),
            });
        }
    }
}

fn duplicate_operation_ids<'a>(ops: impl Iterator<Item = &'a Operation>, problems: &mut Vec<SpecProblem>) {
    let mut seen = BTreeSet::new();
    for op in ops {
        if !op.id.is_empty() && !seen.insert(op.id.as_str()) {
            problems.push(SpecProblem {
                location: op.location.clone(),
                message: format!("duplicate operationId {}", op.id),
            });
        }
    }
}

fn check_states(specs: &Specs, problems: &mut Vec<SpecProblem>) {
    let model = &specs.states;
    rule_provenance(specs, problems);
    for (action, kind, state) in model.named_states() {
        match model.machines.get(kind) {
            None => problems.push(SpecProblem {
                location: action.location.clone(),
                message: format!("action {} names unknown kind `{kind}`", action.name),
            }),
            Some(m) if !m.states.contains_key(state) => {
                let hint = m
                    .states
                    .keys()
                    .find(|k| k.contains(state) || state.contains(k.as_str()))
                    .map(|k| format!(" (did you mean {k}?)"))
                    .unwrap_or_default();
                problems.push(SpecProblem {
                    location: action.location.clone(),
                    message: format!("action {} names unknown state `{state}` of kind {kind}{hint}", action.name),
                });
            }
            _ => {}
        }
    }
    for action in &model.actions {
        if specs.operation(&action.operation).is_none() {
            problems.push(SpecProblem {
                location: action.location.clone(),
                message: format!(
                    "action {} is triggered by operation {}, which the OpenAPI files lack",
                    action.name, action.operation
                ),
            });
        }
        if let Some(jt) = &action.job_type {
            if !model.job_types.contains_key(jt) {
                problems.push(SpecProblem {
                    location: action.location.clone(),
                    message: format!("action {} names unknown job_type {jt}", action.name),
                });
            }
        }
        let codes = action
            .refusal
            .iter()
            .flat_map(|r| r.codes.iter())
            .chain(action.parents.iter().flat_map(|p| p.codes.iter()))
            .chain(action.requires.iter().flat_map(|r| r.codes.iter()));
        for code in codes {
            unknown_code(specs, code, &action.location, &format!("action {}", action.name), problems);
        }
        noted_ids(model, action, problems);
    }
    for (name, m) in &model.machines {
        let pointer = format!("/components/schemas/{}", escape(&m.status_schema));
        let Some(schema) = specs.sdrs.document.pointer(&pointer) else {
            problems.push(SpecProblem {
                location: Location { file: specs.sdrs.file.clone(), line: 0 },
                message: format!("kind {name} names status schema {}, which does not exist", m.status_schema),
            });
            continue;
        };
        let enumerated: BTreeSet<&str> =
            schema.get("enum").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
        let states: BTreeSet<&str> = m.states.keys().map(String::as_str).collect();
        if enumerated != states {
            problems.push(SpecProblem {
                location: Location { file: specs.sdrs.file.clone(), line: 0 },
                message: format!(
                    "kind {name} and schema {} disagree: only in states.yaml {:?}, only in the schema {:?}",
                    m.status_schema,
                    states.difference(&enumerated).collect::<Vec<_>>(),
                    enumerated.difference(&states).collect::<Vec<_>>()
                ),
            });
        }
        // The operations a machine names are checked with the resource table (resources.rs).
    }
}

/// Every `OWN-` id an action cites is a `noted` entry; one cited where it would make a check warn
/// must say `warns: true`, one that only touches the action `warns: false`.
fn noted_ids(model: &super::StateModel, action: &super::Action, problems: &mut Vec<SpecProblem>) {
    let disputing = action
        .disagreements
        .iter()
        .chain(action.parents.iter().flat_map(|p| p.disagreements.iter()))
        .chain(action.requires.iter().flat_map(|r| r.disagreements.iter().chain(r.code_disagreements.iter())));
    let cited = disputing.map(|id| (id, true)).chain(action.noted.iter().map(|id| (id, false)));
    for (id, warning) in cited.filter(|(id, _)| id.starts_with("OWN-")) {
        let message = match model.noted.iter().find(|n| &n.id == id) {
            None => format!("action {} cites {id}, which is not a `noted` entry", action.name),
            Some(n) if n.warns != warning => format!(
                "action {} cites {id} {}, but the entry says warns: {}",
                action.name,
                if warning { "as a disagreement" } else { "under `noted`" },
                n.warns
            ),
            Some(_) => continue,
        };
        problems.push(SpecProblem { location: action.location.clone(), message });
    }
}

/// Every rule of states.yaml says where it comes from: an action through its operation's
/// section; a parent rule or requirement through the A.1 codes that state it, a `source`, or a
/// reading it cites (INC, GAP or OWN).
fn rule_provenance(specs: &Specs, problems: &mut Vec<SpecProblem>) {
    for action in &specs.states.actions {
        let mut report = |message: String| {
            problems.push(SpecProblem {
                location: action.location.clone(),
                message: format!("action {}: {message}", action.name),
            })
        };
        match specs.operation(&action.operation) {
            Some(op) if !op.section.is_empty() => {}
            Some(op) => report(format!("operation {} has no x-sdrs-section, so the action has no source", op.id)),
            None => {}
        }
        for parent in &action.parents {
            if parent.codes.is_empty() && parent.disagreements.is_empty() {
                report(format!("the parent rule on {} names no A.1 code and cites no reading", parent.kind));
            }
        }
        for req in &action.requires {
            if req.codes.is_empty() && req.source.is_none() && req.disagreements.is_empty() {
                report(format!("the requirement \"{}\" names no A.1 code, no source and no reading", req.what));
            }
        }
    }
}

//! What the specs document, item by item, in the five sections of the coverage, with the reason
//! an item cannot be seen where the specs alone say so.

use super::Why;
use crate::spec::{Action, EndState, Specs};
use std::collections::{BTreeMap, BTreeSet};

/// What identifies an item, as the observer records it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    /// An operation id.
    Operation(String),
    /// An operation id and a status it documents.
    Status(String, u16),
    /// An A.1 code.
    Code(String),
    /// A change of one resource of a kind.
    Transition {
        /// Machine name.
        kind: String,
        /// State before.
        from: String,
        /// State after.
        to: String,
    },
    /// A refusal of an operation while a resource of `kind` was in `state`.
    Refusal {
        /// Operation id.
        operation: String,
        /// Kind of the resource whose state forbids the action.
        kind: String,
        /// The forbidden state.
        state: String,
    },
}

/// One documented item.
#[derive(Debug, Clone)]
pub struct Item {
    /// Its name in the report.
    pub id: String,
    /// What the observer records for it.
    pub key: Key,
    /// Why no exchange can show it, when the specs say so.
    pub by_design: Option<(Why, String)>,
}

/// Every documented item of the five sections, in spec order.
#[derive(Debug, Default)]
pub struct Catalogue {
    /// Every operation of the loaded documents.
    pub operations: Vec<Item>,
    /// Every (operation, documented status).
    pub statuses: Vec<Item>,
    /// Every A.1 code.
    pub error_codes: Vec<Item>,
    /// Every allowed change of every kind.
    pub transitions: Vec<Item>,
    /// Every (action, forbidden state).
    pub refusals: Vec<Item>,
}

fn item(id: String, key: Key) -> Item {
    Item { id, key, by_design: None }
}

impl Catalogue {
    /// The catalogue of `specs`.
    pub fn new(specs: &Specs) -> Catalogue {
        let mut c = Catalogue::default();
        for op in specs.operations() {
            c.operations.push(item(op.id.clone(), Key::Operation(op.id.clone())));
            for &status in op.responses.keys() {
                let mut it = item(format!("{} {status}", op.id), Key::Status(op.id.clone(), status));
                it.by_design = status_by_design(status);
                c.statuses.push(it);
            }
        }
        for row in &specs.errors.codes {
            let mut it = item(row.code.clone(), Key::Code(row.code.clone()));
            if row.status >= 500 {
                it.by_design = Some((
                    Why::UnreachableByDesign,
                    format!(
                        "documented with HTTP {}: a server-side failure no request of the harness provokes",
                        row.status
                    ),
                ));
            }
            c.error_codes.push(it);
        }
        let reachable = reachable_states(specs);
        let unreachable = |kind: &str, state: &str| -> Option<(Why, String)> {
            let info = specs.states.machines.get(kind)?.states.get(state)?;
            if let Some(source) = &info.named_only_in {
                return Some((
                    Why::UnreachableByDesign,
                    format!("{state} is named only in {source}: no action leads there"),
                ));
            }
            (!reachable.contains(&(kind, state))).then(|| {
                (
                    Why::UnreachableByDesign,
                    format!("no documented action leads a {kind} to {state}: the target alone sets it"),
                )
            })
        };
        for (kind, from, to) in specs.states.transitions() {
            let mut it = item(
                format!("{kind}: {from} -> {to}"),
                Key::Transition { kind: kind.to_owned(), from: from.to_owned(), to: to.to_owned() },
            );
            it.by_design = unreachable(kind, from).or_else(|| unreachable(kind, to));
            c.transitions.push(it);
        }
        for (operation, kind, state, action) in refusal_pairs(specs) {
            let mut it = item(
                format!("{action}: {kind} {state}"),
                Key::Refusal { operation: operation.to_owned(), kind: kind.to_owned(), state: state.to_owned() },
            );
            it.by_design = unreachable(kind, state);
            c.refusals.push(it);
        }
        c
    }
}

/// The statuses no answer of a conforming target to this harness can carry, and why.
fn status_by_design(status: u16) -> Option<(Why, String)> {
    let why = |w: Why, s: &str| Some((w, s.to_owned()));
    match status {
        500.. => why(
            Why::UnreachableByDesign,
            "a server error: a conforming target does not fail, and the harness provokes no failure",
        ),
        405 => why(
            Why::UnreachableByDesign,
            "another method makes another request: it matches no operation, so no answer of this one carries 405",
        ),
        407 => why(Why::UnreachableByDesign, "a proxy's answer, never the target's"),
        408 => why(Why::UnreachableByDesign, "the harness sends every request whole"),
        403 => why(
            Why::MissingFromWorld,
            "needs a credential lacking a permission; the world and profiles hold one credential",
        ),
        _ => None,
    }
}

/// The states some documented action leads a resource of each kind to (job states included).
fn reachable_states(specs: &Specs) -> BTreeSet<(&str, &str)> {
    let mut out: BTreeSet<(&str, &str)> = BTreeSet::new();
    for (name, m) in &specs.states.machines {
        for (from, tos) in &m.transitions {
            out.insert((name, from));
            out.extend(tos.iter().map(|t| (name.as_str(), t.as_str())));
        }
    }
    let mut add = |kind: &'_ str, transitional: &'_ str, ends: [&EndState; 2]| {
        let Some((name, m)) = specs.states.machines.get_key_value(kind) else { return };
        if let Some((t, _)) = m.states.get_key_value(transitional) {
            out.insert((name, t));
        }
        for end in ends {
            let states: Vec<&String> = match end {
                EndState::State(s) => vec![s],
                EndState::AnyOf(v) => v.iter().collect(),
                EndState::Restore => {
                    m.states.iter().filter(|(_, i)| i.named_only_in.is_none()).map(|(n, _)| n).collect()
                }
                EndState::Gone => Vec::new(),
            };
            for s in states {
                if let Some((s, _)) = m.states.get_key_value(s.as_str()) {
                    out.insert((name, s));
                }
            }
        }
    };
    for a in &specs.states.actions {
        add(&a.kind, &a.transitional, [&a.success, &a.failure]);
        for (child, c) in &a.cascade {
            add(child, &c.transitional, [&c.success, &c.failure]);
        }
    }
    out
}

/// `(operation, kind, state, action)` for every action tried from a state that forbids it,
/// as the precondition matrix pairs them: the actions of one operation share the union of their
/// source states (named by the first), and a creation is refused in a group whose state its
/// parent rule forbids.
fn refusal_pairs(specs: &Specs) -> Vec<(&str, &str, &str, &str)> {
    let mut by_operation: BTreeMap<&str, Vec<&Action>> = BTreeMap::new();
    for a in &specs.states.actions {
        by_operation.entry(a.operation.as_str()).or_default().push(a);
    }
    let mut out: Vec<(&str, &str, &str, &str)> = Vec::new();
    for (operation, actions) in &by_operation {
        let acting: Vec<&&Action> = actions.iter().filter(|a| !a.creates && !a.from.is_empty()).collect();
        if let Some(first) = acting.first() {
            if let Some((kind, m)) = specs.states.machines.get_key_value(&first.kind) {
                let allowed: BTreeSet<&str> = acting.iter().flat_map(|a| a.from.iter().map(String::as_str)).collect();
                for state in m.states.keys().filter(|s| !allowed.contains(s.as_str())) {
                    let e = (*operation, kind.as_str(), state.as_str(), first.name.as_str());
                    if !out.iter().any(|o| (o.0, o.1, o.2) == (e.0, e.1, e.2)) {
                        out.push(e);
                    }
                }
            }
        }
        for a in actions.iter().filter(|a| a.creates) {
            for parent in a.parents.iter().filter(|p| p.kind == "server_group") {
                let Some((kind, m)) = specs.states.machines.get_key_value(&parent.kind) else { continue };
                for state in m.states.keys().filter(|s| !parent.states.contains(s)) {
                    let e = (*operation, kind.as_str(), state.as_str(), a.name.as_str());
                    if !out.iter().any(|o| (o.0, o.1, o.2) == (e.0, e.1, e.2)) {
                        out.push(e);
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_catalogue_documents_every_a1_code_and_every_operation() {
        let specs = Specs::embedded();
        let c = Catalogue::new(specs);
        assert_eq!(c.error_codes.len(), 256);
        assert_eq!(c.operations.len(), specs.operations().count());
        let statuses: usize = specs.operations().map(|op| op.responses.len()).sum();
        assert_eq!(c.statuses.len(), statuses);
        assert_eq!(c.transitions.len(), specs.states.transitions().count());
        assert!(c.transitions.iter().any(|i| i.id == "job: INIT -> RUNNING"));
        assert!(c.refusals.iter().any(|i| i.id == "failover: server_group available"), "{:?}", ids(&c.refusals));
        // start and re-protect share startProtectionGroup: a failed-over group may be started.
        assert!(!c.refusals.iter().any(|i| i.id == "start_protection: server_group failed-over"));
        assert!(c.refusals.iter().any(|i| i.id == "create_instance: server_group deleting"), "{:?}", ids(&c.refusals));
    }

    fn ids(items: &[Item]) -> Vec<&str> {
        items.iter().map(|i| i.id.as_str()).collect()
    }

    #[test]
    fn server_errors_and_states_named_only_in_a1_are_unreachable_by_design() {
        let c = Catalogue::new(Specs::embedded());
        let get =
            |items: &[Item], id: &str| items.iter().find(|i| i.id == id).cloned().unwrap_or_else(|| panic!("{id}"));
        assert_eq!(get(&c.statuses, "showProtectionGroup 500").by_design.map(|d| d.0), Some(Why::UnreachableByDesign));
        assert_eq!(get(&c.statuses, "showProtectionGroup 200").by_design, None);
        let back = get(&c.refusals, "failover: server_group failed-over-back");
        assert!(back.by_design.unwrap().1.contains("named only in A.1"));
        assert_eq!(get(&c.refusals, "failover: server_group available").by_design, None);
    }
}

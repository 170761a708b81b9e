//! The state machines of appendix A.2-A.5 and jobs, and every action as data (`states.yaml`).

use super::locate::{LineFinder, Location};
use super::SpecProblem;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// What a state is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StateKind {
    /// A resting state.
    Stable,
    /// Shown while a job runs.
    Transitional,
    /// Left by a failed job.
    Error,
}

/// One state of a machine.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateInfo {
    /// Stable, transitional or error.
    pub kind: StateKind,
    /// Jobs only: no change after this state.
    #[serde(default)]
    pub terminal: bool,
    /// Where a state comes from when no state table lists it.
    #[serde(default)]
    pub named_only_in: Option<String>,
    /// INC entries that touch it.
    #[serde(default)]
    pub disagreements: Vec<String>,
}

/// A resource's status machine.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Machine {
    /// Appendix section.
    pub section: String,
    /// Unused prefix kept for readers.
    #[serde(default)]
    pub operation_prefix: Option<String>,
    /// Schema of the status enumeration in the OpenAPI document.
    pub status_schema: String,
    /// Operation that shows one resource.
    #[serde(default)]
    pub show: Option<String>,
    /// Operation that lists resources.
    #[serde(default)]
    pub list: Option<String>,
    /// Operation that deletes one resource: the machine's resources are a kind of the resource table.
    #[serde(default)]
    pub delete: Option<String>,
    /// Key wrapping one resource in the show answer (`server_group`).
    #[serde(default)]
    pub wrapper: Option<String>,
    /// Key of the array in the list answer (`server_groups`).
    #[serde(default)]
    pub list_key: Option<String>,
    /// The kind whose resources contain this one (instances, pairs and drills belong to a group).
    #[serde(default)]
    pub member_of: Option<String>,
    /// How teardown deletes a resource of this kind.
    #[serde(default)]
    pub teardown: Option<RawTeardown>,
    /// Every state by name.
    pub states: BTreeMap<String, StateInfo>,
    /// Explicit transitions (jobs); resource machines derive theirs from the actions.
    #[serde(default)]
    pub transitions: BTreeMap<String, Vec<String>>,
    /// Where the machine is written.
    #[serde(skip)]
    pub location: Location,
}

/// The `teardown:` entry of a machine, as written (the resource table checks and types it).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTeardown {
    /// Kinds with a lower order are deleted first (drills before groups).
    pub order: u32,
    /// Requests sent before the delete (detach, stop).
    #[serde(default)]
    pub before: Vec<RawTeardownStep>,
    /// Body of the delete request; `${field}` strings take the shown resource's field.
    #[serde(default)]
    pub body: Option<serde_json::Value>,
}

/// One request sent before a delete, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTeardownStep {
    /// Operation id.
    pub operation: String,
    /// One request per element of this array field of the shown resource.
    #[serde(default)]
    pub for_each: Option<String>,
    /// Only when the resource shows one of these states.
    #[serde(default)]
    pub when_status: Vec<String>,
    /// Path parameters besides the project and the resource's own id (`${item.field}`, `${field}`, `${id}`).
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// Request body.
    #[serde(default)]
    pub body: Option<serde_json::Value>,
    /// A failure does not stop the delete (some states forbid detaching; deleting may still work).
    #[serde(default)]
    pub best_effort: bool,
}

impl Machine {
    /// Stable states, the targets of `restore`.
    pub fn stable_states(&self) -> impl Iterator<Item = &str> {
        self.states
            .iter()
            .filter(|(_, s)| s.kind == StateKind::Stable && s.named_only_in.is_none())
            .map(|(n, _)| n.as_str())
    }
}

/// Where an action leaves the resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndState {
    /// One state.
    State(String),
    /// Any of these states.
    AnyOf(Vec<String>),
    /// The stable state held before the action.
    Restore,
    /// The resource no longer exists.
    Gone,
}

impl<'de> Deserialize<'de> for EndState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        Ok(match Raw::deserialize(d)? {
            Raw::One(s) if s == "restore" => EndState::Restore,
            Raw::One(s) if s == "gone" => EndState::Gone,
            Raw::One(s) => EndState::State(s),
            Raw::Many(v) => EndState::AnyOf(v),
        })
    }
}

impl EndState {
    /// The concrete states this target may be, given the state held before.
    pub fn resolve(&self, machine: &Machine, before: Option<&str>) -> Vec<String> {
        match self {
            EndState::State(s) => vec![s.clone()],
            EndState::AnyOf(v) => v.clone(),
            EndState::Gone => Vec::new(),
            EndState::Restore => match before {
                Some(b) if machine.states.get(b).is_some_and(|s| s.kind == StateKind::Stable) => vec![b.to_owned()],
                _ => machine.stable_states().map(str::to_owned).collect(),
            },
        }
    }

    fn named_states(&self) -> Vec<&str> {
        match self {
            EndState::State(s) => vec![s.as_str()],
            EndState::AnyOf(v) => v.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    }
}

/// How a wrong source state is refused.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refusal {
    /// HTTP status.
    pub status: u16,
    /// Accepted codes, the preferred reading first.
    pub codes: Vec<String>,
}

/// A precondition on another resource.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParentRule {
    /// Kind of the other resource (`machine:` is read too, the key of earlier spec files).
    #[serde(alias = "machine")]
    pub kind: String,
    /// States it must be in.
    pub states: Vec<String>,
    /// Accepted refusal codes.
    pub codes: Vec<String>,
    /// INC entries.
    #[serde(default)]
    pub disagreements: Vec<String>,
}

/// Any other documented precondition.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// Stable name, by which the case generator knows how to break the rule.
    #[serde(default)]
    pub id: Option<String>,
    /// What must hold, in words.
    pub what: String,
    /// Accepted refusal codes.
    pub codes: Vec<String>,
    /// Where the reference states the rule (seed, section, the sentence).
    #[serde(default)]
    pub source: Option<String>,
    /// INC entries (or noted ids) disputing the whole rule.
    #[serde(default)]
    pub disagreements: Vec<String>,
    /// Entries disputing only the codes: the refusal is documented, its code is our reading.
    #[serde(default)]
    pub code_disagreements: Vec<String>,
}

/// A disagreement between the documents that `SEED-CONTRADICTIONS.md` does not list, noted by us.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Noted {
    /// `OWN-<two digits>`.
    pub id: String,
    /// The places in the seeds that disagree.
    pub seeds: Vec<String>,
    /// What they say, in words.
    pub finding: String,
    /// The reading the checks enforce.
    pub enforced: String,
    /// The reading they do not.
    pub alternative: String,
    /// Whether a check resting on it only warns (it is cited in a `disagreements` list).
    pub warns: bool,
}

/// How a group action moves one kind of child resource.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cascade {
    /// Child states the action applies to.
    pub from: Vec<String>,
    /// Child state while the job runs.
    pub transitional: String,
    /// Child state after SUCCESS.
    pub success: EndState,
    /// Child state after FAIL.
    pub failure: EndState,
}

/// One action: an operation that moves a resource through its state machine.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// Stable name, such as `failover`.
    pub name: String,
    /// Kind of the resource acted on (`machine:` is read too, the key of earlier spec files).
    #[serde(alias = "machine")]
    pub kind: String,
    /// Operation id that triggers it.
    pub operation: String,
    /// Job type it creates, if documented.
    pub job_type: Option<String>,
    /// The action creates the resource.
    #[serde(default)]
    pub creates: bool,
    /// The action deletes the resource.
    #[serde(default)]
    pub deletes: bool,
    /// Allowed source states (empty for creations).
    #[serde(default)]
    pub from: Vec<String>,
    /// State while the job runs.
    pub transitional: String,
    /// State after SUCCESS.
    pub success: EndState,
    /// State after FAIL.
    pub failure: EndState,
    /// `failure_status` of the task-center entry a failure leaves.
    #[serde(default)]
    pub failure_status: Option<String>,
    /// How a wrong source state is refused.
    #[serde(default)]
    pub refusal: Option<Refusal>,
    /// Preconditions on other resources.
    #[serde(default)]
    pub parents: Vec<ParentRule>,
    /// Other preconditions.
    #[serde(default)]
    pub requires: Vec<Requirement>,
    /// Effects on child resources.
    #[serde(default)]
    pub cascade: BTreeMap<String, Cascade>,
    /// INC entries.
    #[serde(default)]
    pub disagreements: Vec<String>,
    /// Disagreements of our own noting (`noted`) that touch the action without disputing it.
    #[serde(default)]
    pub noted: Vec<String>,
    /// Reading enforced, in words.
    #[serde(default)]
    pub note: Option<String>,
    /// Where it is written.
    #[serde(skip)]
    pub location: Location,
}

/// Resource and entity key of a job type.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobTypeInfo {
    /// Kind of the resource (`resource:` is read too, the key of earlier spec files).
    #[serde(alias = "resource")]
    pub kind: String,
    /// `entities` key carrying its id.
    pub entity: String,
    /// Whether 5.1.1 lists it (false: seen only in examples).
    #[serde(skip)]
    pub documented: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJobTypes {
    #[allow(dead_code)]
    section: String,
    documented: BTreeMap<String, JobTypeInfo>,
    #[serde(default)]
    seen_in_examples: BTreeMap<String, JobTypeInfo>,
    #[serde(default)]
    common_entities: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    machines: BTreeMap<String, Machine>,
    job_types: RawJobTypes,
    actions: Vec<Action>,
    #[serde(default)]
    noted: Vec<Noted>,
}

/// Every state machine, job type and action.
#[derive(Debug)]
pub struct StateModel {
    /// Machines by name (`server_group`, `protected_instance`, `replication_pair`, `dr_drill`, `job`).
    pub machines: BTreeMap<String, Machine>,
    /// Job types by name.
    pub job_types: BTreeMap<String, JobTypeInfo>,
    /// Entities keys allowed on any job.
    pub common_entities: Vec<String>,
    /// Actions in file order.
    pub actions: Vec<Action>,
    /// Disagreements of our own noting.
    pub noted: Vec<Noted>,
    edges: BTreeMap<String, BTreeSet<(String, String)>>,
}

impl StateModel {
    /// Parses `states.yaml`.
    pub fn parse(text: &str, file: &str, problems: &mut Vec<SpecProblem>) -> Option<StateModel> {
        let raw: RawModel = match serde_yaml_ng::from_str(text) {
            Ok(r) => r,
            Err(e) => {
                let line = e.location().map(|l| l.line()).unwrap_or(0);
                problems.push(SpecProblem {
                    location: Location { file: file.to_owned(), line },
                    message: format!("malformed state model: {e}"),
                });
                return None;
            }
        };
        let finder = LineFinder::new(text, file);
        let mut machines = raw.machines;
        for (name, m) in machines.iter_mut() {
            m.location = finder.locate(&["machines", name]);
        }
        let mut actions = raw.actions;
        for (i, a) in actions.iter_mut().enumerate() {
            a.location = finder.locate(&["actions", &format!("#{i}")]);
        }
        let mut job_types = BTreeMap::new();
        for (name, mut info) in raw.job_types.documented {
            info.documented = true;
            job_types.insert(name, info);
        }
        for (name, info) in raw.job_types.seen_in_examples {
            job_types.insert(name, info);
        }
        let mut model = StateModel {
            machines,
            job_types,
            common_entities: raw.job_types.common_entities,
            actions,
            noted: raw.noted,
            edges: BTreeMap::new(),
        };
        model.edges = model.derive_edges();
        Some(model)
    }

    /// Where an unknown state name is used, for the cross-check.
    pub(crate) fn named_states(&self) -> Vec<(&Action, &str, &str)> {
        let mut out = Vec::new();
        for a in &self.actions {
            for s in &a.from {
                out.push((a, a.kind.as_str(), s.as_str()));
            }
            out.push((a, a.kind.as_str(), a.transitional.as_str()));
            for s in a.success.named_states().into_iter().chain(a.failure.named_states()) {
                out.push((a, a.kind.as_str(), s));
            }
            for p in &a.parents {
                for s in &p.states {
                    out.push((a, p.kind.as_str(), s.as_str()));
                }
            }
            for (m, c) in &a.cascade {
                for s in c.from.iter().map(String::as_str).chain([c.transitional.as_str()]) {
                    out.push((a, m.as_str(), s));
                }
                for s in c.success.named_states().into_iter().chain(c.failure.named_states()) {
                    out.push((a, m.as_str(), s));
                }
            }
        }
        out
    }

    fn derive_edges(&self) -> BTreeMap<String, BTreeSet<(String, String)>> {
        let mut edges: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
        for (name, m) in &self.machines {
            for (from, tos) in &m.transitions {
                for to in tos {
                    edges.entry(name.clone()).or_default().insert((from.clone(), to.clone()));
                }
            }
        }
        let mut add = |kind: &str, from: &[String], transitional: &str, success: &EndState, failure: &EndState| {
            let Some(m) = self.machines.get(kind) else { return };
            let set = edges.entry(kind.to_owned()).or_default();
            let sources: Vec<Option<&str>> =
                if from.is_empty() { vec![None] } else { from.iter().map(|s| Some(s.as_str())).collect() };
            for src in sources {
                let ends: Vec<String> = success.resolve(m, src).into_iter().chain(failure.resolve(m, src)).collect();
                for end in &ends {
                    set.insert((transitional.to_owned(), end.clone()));
                    if let Some(s) = src {
                        // A poll may miss the transitional state entirely.
                        set.insert((s.to_owned(), end.clone()));
                    }
                }
                if let Some(s) = src {
                    set.insert((s.to_owned(), transitional.to_owned()));
                }
            }
        };
        for a in &self.actions {
            add(&a.kind, &a.from, &a.transitional, &a.success, &a.failure);
            for (child, c) in &a.cascade {
                add(child, &c.from, &c.transitional, &c.success, &c.failure);
            }
        }
        edges
    }

    /// Whether a resource of `kind` may be seen in `to` right after `from`.
    pub fn allows(&self, kind: &str, from: &str, to: &str) -> bool {
        from == to || self.edges.get(kind).is_some_and(|e| e.contains(&(from.to_owned(), to.to_owned())))
    }

    /// Every allowed change `(kind, from, to)` with `from != to`, machines and pairs in order.
    pub fn transitions(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.edges.iter().flat_map(|(m, pairs)| {
            pairs.iter().filter(|(f, t)| f != t).map(move |(f, t)| (m.as_str(), f.as_str(), t.as_str()))
        })
    }

    /// States that may directly follow `from`.
    pub fn successors(&self, kind: &str, from: &str) -> Vec<&str> {
        self.edges
            .get(kind)
            .map(|e| e.iter().filter(|(f, _)| f == from).map(|(_, t)| t.as_str()).collect())
            .unwrap_or_default()
    }

    /// Actions triggered by an operation.
    pub fn actions_of<'a>(&'a self, operation: &'a str) -> impl Iterator<Item = &'a Action> + 'a {
        self.actions.iter().filter(move |a| a.operation == operation)
    }

    /// The action with this name.
    pub fn action(&self, name: &str) -> Option<&Action> {
        self.actions.iter().find(|a| a.name == name)
    }

    /// Whether a state is terminal (jobs).
    pub fn is_terminal(&self, kind: &str, state: &str) -> bool {
        self.machines.get(kind).and_then(|m| m.states.get(state)).is_some_and(|s| s.terminal)
    }
}

#[cfg(test)]
mod tests {
    use super::{Action, ParentRule};

    #[test]
    fn an_action_and_a_parent_rule_written_with_the_earlier_machine_key_name_their_kind() {
        let action: Action = serde_yaml_ng::from_str(
            "{name: stop, machine: server_group, operation: stopProtectionGroup, from: [protected], \
             transitional: stopping, success: available, failure: error-stopping}",
        )
        .unwrap();
        assert_eq!(action.kind, "server_group");
        let parent: ParentRule =
            serde_yaml_ng::from_str("{machine: server_group, states: [available], codes: []}").unwrap();
        assert_eq!(parent.kind, "server_group");
    }
}

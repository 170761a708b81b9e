//! What the emulator reads from the loaded specs instead of writing it: the actions of
//! `specs/states.yaml` (allowed source states, the states a job shows and leaves, the codes that
//! refuse a wrong state, parent rules, cascades), and through [`Kind`] the resource table (list
//! and wrapper keys, job entity keys, not-found codes, the states of each machine).
//!
//! The handlers keep in Rust only what the spec does not state (request validation, the order of
//! checks, how a fault or a variant bends a rule on purpose) and say so where they do.

use crate::spec::{Action, EndState, Machine, ResourceKind, SpecError, SpecProblem, Specs};

use super::errors::{ApiError, ApiResult};
use super::model::{Change, EndStatus, Kind};
use super::EmulatorError;

/// The embedded specs the emulator answers from (checked at start by [`check`]).
pub(super) fn specs() -> &'static Specs {
    Specs::embedded()
}

/// Whether the embedded specs are usable, and hold everything the handlers read from them; the
/// emulator refuses to start otherwise, so the lookups below cannot fail on a request.
pub(super) fn check() -> Result<(), EmulatorError> {
    let specs = match Specs::try_embedded() {
        Ok(specs) => specs,
        Err(SpecError::Invalid(problems)) => return Err(EmulatorError::Spec(SpecError::Invalid(problems.clone()))),
        Err(other) => {
            return Err(EmulatorError::Spec(SpecError::Invalid(vec![SpecProblem {
                location: Default::default(),
                message: other.to_string(),
            }])))
        }
    };
    let problems = gaps(specs);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(EmulatorError::Spec(SpecError::Invalid(problems)))
    }
}

/// The actions the handlers name (a unit test keeps this list and the handlers in step).
const NAMED: [&str; 21] = [
    "create_group",
    "delete_group",
    "start_protection",
    "reprotect",
    "stop_protection",
    "failover",
    "reverse",
    "create_instance",
    "delete_instance",
    "batch_create_instances",
    "batch_delete_instances",
    "add_nic",
    "delete_nic",
    "resize",
    "create_pair",
    "delete_pair",
    "attach_pair",
    "detach_pair",
    "expand_pair",
    "create_drill",
    "delete_drill",
];

/// Actions submitted only as sub jobs of a batch, which documents no job type of its own.
const BATCHES: [&str; 2] = ["batch_create_instances", "batch_delete_instances"];

/// What the handlers would read from `specs` and it lacks, each at the action or kind it concerns.
fn gaps(specs: &Specs) -> Vec<SpecProblem> {
    let mut out = Vec::new();
    let mut gap = |location: &crate::spec::Location, message: String| {
        out.push(SpecProblem { location: location.clone(), message: format!("the emulator needs {message}") })
    };
    let states_file = crate::spec::Location { file: "specs/states.yaml".into(), line: 0 };
    for kind in Kind::ALL {
        let name = kind.name();
        let Some(resource) = specs.resources.kind(name) else {
            gap(&states_file, format!("the resource kind {name}"));
            continue;
        };
        if !specs.states.machines.contains_key(name) {
            gap(&resource.location, format!("the state machine of {name}"));
        }
        if not_found_of(specs, resource).is_none() {
            gap(&resource.location, format!("an x-sdrs-not-found code on {} of {}", resource.id_param, resource.show));
        }
    }
    for name in NAMED {
        let Some(action) = specs.states.action(name) else {
            gap(&states_file, format!("the action {name}"));
            continue;
        };
        if action.job_type.is_none() && !BATCHES.contains(&name) {
            gap(&action.location, format!("the job type of action {name}"));
        }
    }
    for (_, operation) in super::handlers::GROUP_ACTION_KEYS {
        if !specs.states.actions.iter().any(|a| a.operation == operation) {
            gap(&states_file, format!("an action of {operation}"));
        }
    }
    for action in &specs.states.actions {
        let name = &action.name;
        if !Kind::ALL.iter().any(|k| k.name() == action.kind) {
            continue;
        }
        if action.failure_status.is_none() {
            gap(&action.location, format!("the failure_status of action {name}"));
        }
        if !matches!(action.failure, EndState::State(_) | EndState::Restore) {
            gap(&action.location, format!("one failure state of action {name}"));
        }
        let refusal_codes = action.refusal.as_ref().map_or(0, |r| r.codes.len());
        let rules = action.parents.iter().map(|p| p.codes.len()).chain(action.requires.iter().map(|r| r.codes.len()));
        if (!action.from.is_empty() && refusal_codes == 0) || rules.into_iter().any(|n| n == 0) {
            gap(&action.location, format!("a refusal code for every rule of action {name}"));
        }
    }
    out
}

/// The `x-sdrs-not-found` code of the id parameter of `kind`'s show operation.
fn not_found_of<'s>(specs: &'s Specs, kind: &ResourceKind) -> Option<&'s str> {
    let show = specs.operation(&kind.show)?;
    let param = show.path_params().find(|p| p.name == kind.id_param)?;
    param.not_found.as_ref().map(|nf| nf.code.as_str())
}

/// One action of `states.yaml`, as the emulator applies it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rule(&'static Action);

impl Rule {
    /// The action named `name` (the unit tests check every name a handler uses).
    pub(super) fn named(name: &str) -> Rule {
        let action = specs().states.action(name);
        Rule(action.unwrap_or_else(|| panic!("states.yaml has no action {name}")))
    }

    /// The action `operation` triggers on a resource in `status`: the first whose source states
    /// hold it, else the first of the operation (which then refuses the state).
    pub(super) fn of_operation(operation: &str, status: &str) -> Rule {
        let mut actions = specs().states.actions.iter().filter(|a| a.operation == operation);
        let first = actions.next().unwrap_or_else(|| panic!("states.yaml has no action of {operation}"));
        let chosen = std::iter::once(first).chain(actions).find(|a| a.from.iter().any(|s| s == status));
        Rule(chosen.unwrap_or(first))
    }

    /// The action's name (`failover`).
    pub(super) fn name(self) -> &'static str {
        &self.0.name
    }

    /// The job type it creates; an action without one is never submitted on its own (a batch).
    pub(super) fn job_type(self) -> &'static str {
        let job_type = self.0.job_type.as_deref();
        job_type.unwrap_or_else(|| panic!("action {} documents no job type", self.0.name))
    }

    /// Whether the action may start from `status`.
    pub(super) fn allows(self, status: &str) -> bool {
        self.0.from.iter().any(|s| s == status)
    }

    /// Refuses with the action's preferred refusal code unless it may start from `status`.
    pub(super) fn require(self, status: &str) -> ApiResult<()> {
        if self.allows(status) {
            Ok(())
        } else {
            Err(ApiError::State(first(self.0.refusal.as_ref().map_or(&[], |r| r.codes.as_slice()), self.0)))
        }
    }

    /// Refuses with the parent rule's preferred code unless the `parent` (the protection group of
    /// an instance, the instance a pair is attached to) is in one of the states the rule names.
    /// An action with no rule on that parent's kind has no precondition there.
    pub(super) fn require_parent(self, parent: Kind, status: &str) -> ApiResult<()> {
        let Some(rule) = self.0.parents.iter().find(|p| p.kind == parent.name()) else { return Ok(()) };
        if rule.states.iter().any(|s| s == status) {
            Ok(())
        } else {
            Err(ApiError::State(first(&rule.codes, self.0)))
        }
    }

    /// The preferred code of the requirement `id` (`has_pair`), if the action has it.
    pub(super) fn requirement(self, id: &str) -> Option<&'static str> {
        let found = self.0.requires.iter().find(|r| r.id.as_deref() == Some(id));
        found.map(|r| first(&r.codes, self.0))
    }

    /// The state the resource shows while the job runs.
    pub(super) fn transitional(self) -> &'static str {
        &self.0.transitional
    }

    /// Where the resource goes on SUCCESS.
    pub(super) fn success(self) -> EndStatus {
        end_status(&self.0.success)
    }

    /// Where the resource goes on FAIL.
    pub(super) fn failure(self) -> EndStatus {
        end_status(&self.0.failure)
    }

    /// The single state a FAIL leaves (`error-deleting`): a retry from it is not failed again.
    pub(super) fn failure_state(self) -> &'static str {
        match &self.0.failure {
            EndState::State(s) => s,
            other => panic!("action {} fails to {other:?}, not to one state", self.0.name),
        }
    }

    /// The `failure_status` of the task-center record a failure leaves.
    pub(super) fn failure_status(self) -> &'static str {
        let status = self.0.failure_status.as_deref();
        status.unwrap_or_else(|| panic!("action {} documents no failure_status", self.0.name))
    }

    /// The change of a resource of `kind` the action moves: transitional, success, failure.
    pub(super) fn change(self, kind: Kind, id: &str) -> Change {
        Change::new(kind, id, self.transitional(), self.success(), self.failure())
    }

    /// How a group action moves the members of `kind`, if it moves them.
    pub(super) fn cascade(self, kind: Kind) -> Option<Cascade> {
        self.0.cascade.get(kind.name()).map(|c| Cascade { kind, rule: c })
    }
}

/// How a group action moves one kind of member (`action.cascade` of `states.yaml`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Cascade {
    kind: Kind,
    rule: &'static crate::spec::Cascade,
}

impl Cascade {
    /// The change of member `id` in `status`, if the action moves a member in that state.
    pub(super) fn change(self, id: &str, status: &str) -> Option<Change> {
        let c = self.rule;
        c.from
            .iter()
            .any(|s| s == status)
            .then(|| Change::new(self.kind, id, &c.transitional, end_status(&c.success), end_status(&c.failure)))
    }
}

/// The first of `codes`: the reading the harness prefers, the code the emulator answers.
fn first(codes: &'static [String], action: &Action) -> &'static str {
    let code = codes.first().unwrap_or_else(|| panic!("action {} names a rule without codes", action.name));
    code
}

/// What the emulator does with a resource at an end state of `states.yaml`.
fn end_status(end: &'static EndState) -> EndStatus {
    match end {
        EndState::State(s) => EndStatus::To(s),
        EndState::Restore => EndStatus::Restore,
        EndState::Gone => EndStatus::Gone,
        // The spec allows any of the states (`[available, protected]` for a creation); the
        // emulator picks the one its group implies, an emulator-only detail (see `Store::joined_status`).
        EndState::AnyOf(_) => EndStatus::Join,
    }
}

impl Kind {
    /// Its kind in the resource table.
    fn resource(self) -> &'static ResourceKind {
        let name = self.name();
        specs()
            .resources
            .kind(name)
            .unwrap_or_else(|| panic!("the resource table has no kind {name} (checked at start)"))
    }

    /// Its machine in `states.yaml`.
    fn states_machine(self) -> &'static Machine {
        let name = self.name();
        specs()
            .states
            .machines
            .get(name)
            .unwrap_or_else(|| panic!("states.yaml has no machine {name} (checked at start)"))
    }

    /// The key of a list answer, and the task center's `resource_type` (the same words).
    pub(super) fn list_key(self) -> &'static str {
        &self.resource().list_key
    }

    /// The key wrapping one resource in show and rename answers and in rename bodies.
    pub(super) fn wrapper(self) -> &'static str {
        &self.resource().wrapper
    }

    /// The `entities` key naming a resource of this kind in a job.
    pub(super) fn entity(self) -> &'static str {
        &self.resource().entity
    }

    /// The A.1 code refusing an unknown ID of this kind: the `x-sdrs-not-found` code of the id
    /// parameter of its show operation.
    pub(super) fn not_found(self) -> &'static str {
        let kind = self.resource();
        let code = not_found_of(specs(), kind);
        code.unwrap_or_else(|| {
            panic!("{} documents no not-found code for {} (checked at start)", kind.show, kind.id_param)
        })
    }

    /// Every status of the kind (the values a `status` filter accepts).
    pub(super) fn statuses(self) -> Vec<&'static str> {
        self.states_machine().states.keys().map(String::as_str).collect()
    }

    /// Whether `status` is a stable state of the kind, the state a `restore` returns to.
    pub(super) fn is_stable(self, status: &str) -> bool {
        self.states_machine().stable_states().any(|s| s == status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_a_kind_of_the_resource_table_and_back() {
        let mut kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        let mut table: Vec<&str> = specs().resources.kinds().map(|k| k.name.as_str()).collect();
        kinds.sort();
        table.sort();
        assert_eq!(kinds, table);
    }

    #[test]
    fn each_kind_reads_its_keys_and_codes_from_the_specs() {
        let read: Vec<_> = Kind::ALL.iter().map(|k| (k.wrapper(), k.list_key(), k.entity(), k.not_found())).collect();
        assert_eq!(
            read,
            [
                ("server_group", "server_groups", "server_group_id", "SDRS.1013"),
                ("protected_instance", "protected_instances", "protected_instance_id", "SDRS.1320"),
                ("replication", "replications", "replication_pair_id", "SDRS.1608"),
                ("disaster_recovery_drill", "disaster_recovery_drills", "disaster_recovery_drill_id", "SDRS.1902"),
            ]
        );
        assert_eq!(Kind::Drill.statuses(), ["available", "creating", "deleting", "error", "error-deleting"]);
        assert!(Kind::Pair.is_stable("failed-over") && !Kind::Pair.is_stable("extending"));
        assert!(!Kind::Group.is_stable("failed-over-back"), "a state named only in A.1 is not restored to");
    }

    /// Every action resolves everything a handler may ask of it, so no request can reach a panic.
    #[test]
    fn every_action_of_states_yaml_is_complete_for_the_emulator() {
        let kind_of = |machine: &str| Kind::ALL.into_iter().find(|k| k.name() == machine);
        for action in &specs().states.actions {
            let rule = Rule::named(&action.name);
            assert!(kind_of(&action.kind).is_some(), "{}", action.name);
            rule.failure_status();
            if !action.from.is_empty() {
                assert!(rule.require("no-such-state").is_err(), "{} refuses a wrong state", action.name);
                assert!(rule.require(&action.from[0]).is_ok());
            }
            if action.job_type.is_some() {
                rule.job_type();
            }
            if action.failure != EndState::Restore {
                rule.failure_state();
            }
            for parent in &action.parents {
                let kind = kind_of(&parent.kind).unwrap_or_else(|| panic!("{}", parent.kind));
                assert!(rule.require_parent(kind, "no-such-state").is_err());
            }
            for machine in action.cascade.keys() {
                let kind = kind_of(machine).unwrap_or_else(|| panic!("{machine}"));
                assert!(rule.cascade(kind).is_some());
            }
            for requirement in action.requires.iter().filter_map(|r| r.id.as_deref()) {
                assert!(rule.requirement(requirement).is_some());
            }
        }
    }

    /// The handlers name actions by their names in `states.yaml`; a name that is not there would
    /// panic on the first request instead of failing here.
    #[test]
    fn every_action_a_handler_names_is_in_states_yaml() {
        let sources = [
            include_str!("handlers/groups.rs"),
            include_str!("handlers/instances.rs"),
            include_str!("handlers/instance_actions.rs"),
            include_str!("handlers/pairs.rs"),
            include_str!("handlers/drills.rs"),
        ];
        let mut named = 0;
        for source in sources {
            for piece in source.split("Rule::named(\"").skip(1) {
                let name = piece.split('"').next().unwrap_or_default();
                assert!(NAMED.contains(&name), "a handler names action {name}, which NAMED lacks");
                named += 1;
            }
            for piece in source.split("action.name() == \"").skip(1) {
                let name = piece.split('"').next().unwrap_or_default();
                assert!(NAMED.contains(&name), "a handler compares with action {name}, which NAMED lacks");
            }
        }
        assert!(named >= 20, "{named}");
    }

    #[test]
    fn start_re_protects_from_the_re_protect_states_and_refuses_as_start_elsewhere() {
        let op = "startProtectionGroup";
        assert_eq!(Rule::of_operation(op, "failed-over").name(), "reprotect");
        assert_eq!(Rule::of_operation(op, "error-reprotecting").name(), "reprotect");
        assert_eq!(Rule::of_operation(op, "available").name(), "start_protection");
        let stopping = Rule::of_operation(op, "stopping");
        assert_eq!(stopping.name(), "start_protection");
        assert_eq!(stopping.require("stopping"), Err(ApiError::State("SDRS.1002")));
    }

    #[test]
    fn the_embedded_specs_hold_everything_the_handlers_read() {
        assert_eq!(gaps(specs()), Vec::new());
    }

    #[test]
    fn specs_lacking_what_a_handler_reads_are_named_at_start_not_on_a_request() {
        let dir = tempfile::tempdir().unwrap();
        let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
        for entry in std::fs::read_dir(&source).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
        let states = dir.path().join("states.yaml");
        let text = std::fs::read_to_string(&states).unwrap();
        let edited = text.replacen("    failure_status: failoverFail\n", "", 1).replacen(
            "- name: expand_pair",
            "- name: grow_pair",
            1,
        );
        assert_ne!(edited, text);
        std::fs::write(&states, edited).unwrap();
        let specs = Specs::load_dir(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let messages: Vec<String> = gaps(&specs).iter().map(|p| p.to_string()).collect();
        assert!(messages.iter().any(|m| m.contains("the failure_status of action failover")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("the action expand_pair")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("states.yaml")), "{messages:?}");
    }
}

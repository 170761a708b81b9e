//! What the emulator reads from the loaded specs instead of writing it: the actions of
//! `specs/states.yaml` (allowed source states, the states a job shows and leaves, the codes that
//! refuse a wrong state, parent rules, cascades), and through [`Kind`] the resource table (list
//! and wrapper keys, job entity keys, not-found codes, the states of each machine).
//!
//! The handlers keep in Rust only what the spec does not state (request validation, the order of
//! checks, how a fault or a variant bends a rule on purpose) and say so where they do.

use crate::spec::{Action, EndState, Machine, ResourceKind, SpecError, SpecProblem, Specs};

use super::errors::{ApiError, ApiResult};
use super::model::{Change, Kind, Outcome};
use super::EmulatorError;

/// The embedded specs the emulator answers from (checked at start by [`check`]).
pub(super) fn specs() -> &'static Specs {
    Specs::embedded()
}

/// Whether the embedded specs are usable; the emulator refuses to start otherwise.
pub(super) fn check() -> Result<(), EmulatorError> {
    match Specs::try_embedded() {
        Ok(_) => Ok(()),
        Err(SpecError::Invalid(problems)) => Err(EmulatorError::Spec(SpecError::Invalid(problems.clone()))),
        Err(other) => Err(EmulatorError::Spec(SpecError::Invalid(vec![SpecProblem {
            location: Default::default(),
            message: other.to_string(),
        }]))),
    }
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
    pub(super) fn require_parent(self, parent: Kind, status: &str) -> ApiResult<()> {
        let machine = parent.machine();
        let rule = self.0.parents.iter().find(|p| p.machine == machine);
        let rule = rule.unwrap_or_else(|| panic!("action {} has no parent rule on {machine}", self.0.name));
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
    pub(super) fn success(self) -> Outcome {
        outcome(&self.0.success)
    }

    /// Where the resource goes on FAIL.
    pub(super) fn failure(self) -> Outcome {
        outcome(&self.0.failure)
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
        self.0.cascade.get(kind.machine()).map(|c| Cascade { kind, rule: c })
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
            .then(|| Change::new(self.kind, id, &c.transitional, outcome(&c.success), outcome(&c.failure)))
    }
}

/// The first of `codes`: the reading the harness prefers, the code the emulator answers.
fn first(codes: &'static [String], action: &Action) -> &'static str {
    let code = codes.first().unwrap_or_else(|| panic!("action {} names a rule without codes", action.name));
    code
}

/// The job outcome of an end state.
fn outcome(end: &'static EndState) -> Outcome {
    match end {
        EndState::State(s) => Outcome::To(s),
        EndState::Restore => Outcome::Restore,
        EndState::Gone => Outcome::Gone,
        // The spec allows any of the states (`[available, protected]` for a creation); the
        // emulator picks the one its group implies, an emulator-only detail (see `Store::joined_status`).
        EndState::AnyOf(_) => Outcome::Join,
    }
}

impl Kind {
    /// Its kind in the resource table.
    fn resource(self) -> &'static ResourceKind {
        let machine = self.machine();
        specs().resources.kind(machine).unwrap_or_else(|| panic!("the resource table has no kind {machine}"))
    }

    /// Its machine in `states.yaml`.
    fn states_machine(self) -> &'static Machine {
        let machine = self.machine();
        specs().states.machines.get(machine).unwrap_or_else(|| panic!("states.yaml has no machine {machine}"))
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
        let show = specs().operation(&kind.show);
        let param = show.and_then(|op| op.path_params().find(|p| p.name == kind.id_param));
        let code = param.and_then(|p| p.not_found.as_ref()).map(|nf| nf.code.as_str());
        code.unwrap_or_else(|| panic!("{} documents no not-found code for {}", kind.show, kind.id_param))
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
        let mut kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.machine()).collect();
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
        let kind_of = |machine: &str| Kind::ALL.into_iter().find(|k| k.machine() == machine);
        for action in &specs().states.actions {
            let rule = Rule::named(&action.name);
            assert!(kind_of(&action.machine).is_some(), "{}", action.name);
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
                let kind = kind_of(&parent.machine).unwrap_or_else(|| panic!("{}", parent.machine));
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
                assert!(specs().states.action(name).is_some(), "a handler names action {name}");
                named += 1;
            }
            for piece in source.split("action.name() == \"").skip(1) {
                let name = piece.split('"').next().unwrap_or_default();
                assert!(specs().states.action(name).is_some(), "a handler compares with action {name}");
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
}

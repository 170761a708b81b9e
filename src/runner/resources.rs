//! Where each resource kind lives in the API: its show and list operations, path parameter,
//! body wrapper keys and job entity key.

/// The API shape of one resource kind (a state machine of states.yaml).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// Machine name in states.yaml.
    pub machine: &'static str,
    /// Show operation.
    pub show: &'static str,
    /// List operation.
    pub list: &'static str,
    /// Delete operation.
    pub delete: &'static str,
    /// Path parameter naming one resource.
    pub param: &'static str,
    /// Key wrapping one resource in show answers.
    pub one: &'static str,
    /// Key of the array in list answers.
    pub many: &'static str,
    /// `entities` key of its jobs.
    pub entity: &'static str,
}

/// Every resource kind, in teardown order (drills first, groups last).
pub const KINDS: [Kind; 4] = [
    Kind {
        machine: "dr_drill",
        show: "showDrDrill",
        list: "listDrDrills",
        delete: "deleteDrDrill",
        param: "disaster_recovery_drill_id",
        one: "disaster_recovery_drill",
        many: "disaster_recovery_drills",
        entity: "disaster_recovery_drill_id",
    },
    Kind {
        machine: "protected_instance",
        show: "showProtectedInstance",
        list: "listProtectedInstances",
        delete: "deleteProtectedInstance",
        param: "protected_instance_id",
        one: "protected_instance",
        many: "protected_instances",
        entity: "protected_instance_id",
    },
    Kind {
        machine: "replication_pair",
        show: "showReplicationPair",
        list: "listReplicationPairs",
        delete: "deleteReplicationPair",
        param: "replication_id",
        one: "replication",
        many: "replications",
        entity: "replication_pair_id",
    },
    Kind {
        machine: "server_group",
        show: "showProtectionGroup",
        list: "listProtectionGroups",
        delete: "deleteProtectionGroup",
        param: "server_group_id",
        one: "server_group",
        many: "server_groups",
        entity: "server_group_id",
    },
];

/// The kind of a machine.
pub fn kind(machine: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.machine == machine)
}

/// The kind whose show/list wrapper key is `key` (singular or plural).
pub fn kind_of_key(key: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.one == key || k.many == key)
}

/// The kind whose job entity key is `entity`.
pub fn kind_of_entity(entity: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.entity == entity)
}

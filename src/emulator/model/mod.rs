//! The emulator's data: resource records (groups, instances, pairs, drills, NICs, task-center
//! records) and job types (jobs, sub jobs, changes, effects, undo). Plain data with no behaviour
//! beyond construction; the store keeps the records and the job engine runs the jobs.

mod job;
mod records;

pub(super) use job::{Change, Effect, Failure, Job, Outcome, Report};
pub(super) use records::{Attachment, Drill, FailureJob, Group, Instance, Nic, Pair, Tags};

/// The kind of resource a change, a report or a generic handler is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A protection group.
    Group,
    /// A protected instance.
    Instance,
    /// A replication pair.
    Pair,
    /// A DR drill.
    Drill,
}

impl Kind {
    /// The key of a list answer, and the task center's `resource_type` (the same words).
    pub(super) fn list_key(self) -> &'static str {
        match self {
            Kind::Group => "server_groups",
            Kind::Instance => "protected_instances",
            Kind::Pair => "replications",
            Kind::Drill => "disaster_recovery_drills",
        }
    }

    /// The key wrapping one resource in show and rename answers and in rename bodies.
    pub(super) fn wrapper(self) -> &'static str {
        match self {
            Kind::Group => "server_group",
            Kind::Instance => "protected_instance",
            Kind::Pair => "replication",
            Kind::Drill => "disaster_recovery_drill",
        }
    }

    /// The A.1 code refusing an unknown ID of this kind.
    pub(super) fn not_found(self) -> &'static str {
        match self {
            Kind::Group => "SDRS.1013",
            Kind::Instance => "SDRS.1320",
            Kind::Pair => "SDRS.1608",
            Kind::Drill => "SDRS.1902",
        }
    }
}

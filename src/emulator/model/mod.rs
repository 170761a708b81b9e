//! The emulator's data: resource records (groups, instances, pairs, drills, NICs, task-center
//! records) and job types (jobs, sub jobs, changes, effects, undo). Plain data with no behaviour
//! beyond construction; the store keeps the records and the job engine runs the jobs.

mod job;
mod records;

pub(super) use job::{Change, Effect, EndStatus, Failure, Job, Report};
pub(super) use records::{Attachment, Drill, FailureJob, Group, Instance, Nic, Pair, Tags};

/// The kind of resource a change, a report or a generic handler is about: a closed enum, so that
/// the store can hold one table per kind.
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
    /// Every kind.
    pub(super) const ALL: [Kind; 4] = [Kind::Group, Kind::Instance, Kind::Pair, Kind::Drill];

    /// Its machine in `states.yaml`, the name of its kind in the resource table; everything else
    /// about a kind (keys, codes, states) is read from there (`rules.rs`).
    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::Group => "server_group",
            Kind::Instance => "protected_instance",
            Kind::Pair => "replication_pair",
            Kind::Drill => "dr_drill",
        }
    }
}

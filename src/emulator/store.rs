//! The resource store: one [`Table`] per resource kind (its live records and the deleted ones a
//! fault keeps), plus the runtime copies of the world's servers and volumes that SDRS actions
//! change. The job engine reaches a table by [`Kind`] through the [`Records`] trait, so that a
//! kind is handled once, not in one `match` per operation. Lists keep creation order.
//!
//! The store knows nothing of jobs, faults or answers: it keeps records consistent (an instance
//! that goes takes its attachments with it) and says what states follow from others.

use super::model::{Drill, Group, Instance, Kind, Pair};
use super::world::{Server, Volume, World};

/// What every resource record offers the store, whatever its kind.
pub(super) trait Record: Clone {
    /// The kind of this record.
    const KIND: Kind;
    /// Its ID.
    fn id(&self) -> &str;
    /// Its name.
    fn name(&self) -> &str;
    /// Renames it (without touching `updated_at`).
    fn set_name(&mut self, name: String);
    /// Its status.
    fn status(&self) -> &str;
    /// Sets its status (without touching `updated_at`).
    fn set_status(&mut self, status: &str);
    /// Sets `updated_at`.
    fn touch(&mut self, now: i64);
    /// The protection group it belongs to (a group: itself).
    fn group_id(&self) -> &str;
}

macro_rules! record {
    ($type:ty, $kind:expr, |$r:ident| $group:expr) => {
        impl Record for $type {
            const KIND: Kind = $kind;
            fn id(&self) -> &str {
                &self.id
            }
            fn name(&self) -> &str {
                &self.name
            }
            fn set_name(&mut self, name: String) {
                self.name = name;
            }
            fn status(&self) -> &str {
                &self.status
            }
            fn set_status(&mut self, status: &str) {
                self.status = status.to_string();
            }
            fn touch(&mut self, now: i64) {
                self.updated_at = now;
            }
            fn group_id(&self) -> &str {
                let $r = self;
                $group
            }
        }
    };
}

record!(Group, Kind::Group, |r| &r.id);
record!(Instance, Kind::Instance, |r| &r.group_id);
record!(Pair, Kind::Pair, |r| &r.group_id);
record!(Drill, Kind::Drill, |r| &r.group_id);

/// What a deletion leaves behind, for the faults that keep deleted resources around.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Leftovers {
    /// A copy still shown, as available (fault `deleted-still-shown`).
    pub shown: bool,
    /// A copy still listed, as last shown (fault `ghost-in-lists`).
    pub listed: bool,
}

/// The records of one kind: live ones in creation order, and deleted ones kept by faults.
#[derive(Debug, Clone)]
pub(super) struct Table<R> {
    live: Vec<R>,
    /// Deleted, still shown (fault `deleted-still-shown`).
    shown_ghosts: Vec<R>,
    /// Deleted, still listed but not shown (fault `ghost-in-lists`).
    listed_ghosts: Vec<R>,
}

impl<R> Default for Table<R> {
    fn default() -> Self {
        Table { live: Vec::new(), shown_ghosts: Vec::new(), listed_ghosts: Vec::new() }
    }
}

impl<R: Record> Table<R> {
    /// The live records, in creation order.
    pub(super) fn iter(&self) -> std::slice::Iter<'_, R> {
        self.live.iter()
    }

    /// The live records, mutable.
    pub(super) fn iter_mut(&mut self) -> std::slice::IterMut<'_, R> {
        self.live.iter_mut()
    }

    /// How many records live.
    pub(super) fn len(&self) -> usize {
        self.live.len()
    }

    /// The most recently created live record.
    pub(super) fn last(&self) -> Option<&R> {
        self.live.last()
    }

    /// Adds a record.
    pub(super) fn push(&mut self, record: R) {
        self.live.push(record);
    }

    /// The live record with this ID.
    pub(super) fn get(&self, id: &str) -> Option<&R> {
        self.live.iter().find(|r| r.id() == id)
    }

    /// The live record with this ID, mutable.
    pub(super) fn get_mut(&mut self, id: &str) -> Option<&mut R> {
        self.live.iter_mut().find(|r| r.id() == id)
    }

    /// What a show of this ID finds: the live record, or a deleted one still shown.
    pub(super) fn shown(&self, id: &str) -> Option<&R> {
        self.get(id).or_else(|| self.shown_ghosts.iter().find(|r| r.id() == id))
    }

    /// What a list holds before its filters: the live records, then deleted ones still listed.
    pub(super) fn listed(&self) -> impl Iterator<Item = &R> {
        self.live.iter().chain(&self.listed_ghosts)
    }
}

/// The per-kind operations of the job engine, behind one interface for every kind.
pub(super) trait Records {
    /// The status of record `id`.
    fn status_of(&self, id: &str) -> Option<&str>;
    /// Sets the status of record `id` and its `updated_at`; false if there is no such record.
    fn set_status_of(&mut self, id: &str, status: &str, now: i64) -> bool;
    /// The name of record `id`.
    fn name_of(&self, id: &str) -> Option<&str>;
    /// The protection group record `id` belongs to.
    fn group_of(&self, id: &str) -> Option<&str>;
    /// Deletes record `id`, keeping the copies `leftovers` asks for; false if there was none.
    fn remove(&mut self, id: &str, leftovers: Leftovers) -> bool;
}

impl<R: Record> Records for Table<R> {
    fn status_of(&self, id: &str) -> Option<&str> {
        self.get(id).map(Record::status)
    }

    fn set_status_of(&mut self, id: &str, status: &str, now: i64) -> bool {
        let Some(record) = self.get_mut(id) else { return false };
        record.set_status(status);
        record.touch(now);
        true
    }

    fn name_of(&self, id: &str) -> Option<&str> {
        self.get(id).map(Record::name)
    }

    fn group_of(&self, id: &str) -> Option<&str> {
        self.get(id).map(Record::group_id)
    }

    fn remove(&mut self, id: &str, leftovers: Leftovers) -> bool {
        let Some(index) = self.live.iter().position(|r| r.id() == id) else { return false };
        let record = self.live.remove(index);
        if leftovers.shown {
            let mut ghost = record.clone();
            ghost.set_status("available");
            self.shown_ghosts.push(ghost);
        }
        if leftovers.listed {
            self.listed_ghosts.push(record);
        }
        true
    }
}

/// Every record the emulator holds, and the runtime state of the world's servers and volumes.
#[derive(Debug, Clone, Default)]
pub(super) struct Store {
    /// Protection groups.
    pub groups: Table<Group>,
    /// Protected instances.
    pub instances: Table<Instance>,
    /// Replication pairs.
    pub pairs: Table<Pair>,
    /// DR drills.
    pub drills: Table<Drill>,
    /// The world's servers as actions left them (flavors).
    pub servers: Vec<Server>,
    /// The world's volumes as actions left them (attachments, sizes).
    pub volumes: Vec<Volume>,
}

impl Store {
    /// An empty store over the servers and volumes of `world`.
    pub(super) fn new(world: &World) -> Store {
        Store { servers: world.servers.clone(), volumes: world.volumes.clone(), ..Store::default() }
    }

    /// The table of `kind`.
    pub(super) fn records(&self, kind: Kind) -> &dyn Records {
        match kind {
            Kind::Group => &self.groups,
            Kind::Instance => &self.instances,
            Kind::Pair => &self.pairs,
            Kind::Drill => &self.drills,
        }
    }

    /// The table of `kind`, mutable.
    pub(super) fn records_mut(&mut self, kind: Kind) -> &mut dyn Records {
        match kind {
            Kind::Group => &mut self.groups,
            Kind::Instance => &mut self.instances,
            Kind::Pair => &mut self.pairs,
            Kind::Drill => &mut self.drills,
        }
    }

    /// Deletes a record; an instance's attached pairs are detached first (their volumes freed).
    pub(super) fn remove(&mut self, kind: Kind, id: &str, leftovers: Leftovers, now: i64) {
        if kind == Kind::Instance {
            let attached: Vec<String> = self
                .pairs
                .iter()
                .filter(|p| p.attachment.as_ref().is_some_and(|a| a.instance_id == id))
                .map(|p| p.id.clone())
                .collect();
            for pair_id in attached {
                self.detach(&pair_id, now);
            }
        }
        self.records_mut(kind).remove(id, leftovers);
    }

    /// Removes a pair's attachment and frees its production volume.
    pub(super) fn detach(&mut self, pair_id: &str, now: i64) {
        let Some(pair) = self.pairs.get_mut(pair_id) else { return };
        pair.attachment = None;
        pair.updated_at = now;
        let volume_id = pair.volume_id.clone();
        if let Some(v) = self.volume_mut(&volume_id) {
            v.status = Some("available".into());
            v.attached_server = None;
        }
    }

    /// The protection group with this ID.
    pub(super) fn group(&self, id: &str) -> Option<&Group> {
        self.groups.get(id)
    }

    /// The protection group with this ID, mutable.
    pub(super) fn group_mut(&mut self, id: &str) -> Option<&mut Group> {
        self.groups.get_mut(id)
    }

    /// The protected instance with this ID.
    pub(super) fn instance(&self, id: &str) -> Option<&Instance> {
        self.instances.get(id)
    }

    /// The protected instance with this ID, mutable.
    pub(super) fn instance_mut(&mut self, id: &str) -> Option<&mut Instance> {
        self.instances.get_mut(id)
    }

    /// The replication pair with this ID.
    pub(super) fn pair(&self, id: &str) -> Option<&Pair> {
        self.pairs.get(id)
    }

    /// The replication pair with this ID, mutable.
    pub(super) fn pair_mut(&mut self, id: &str) -> Option<&mut Pair> {
        self.pairs.get_mut(id)
    }

    /// The DR drill with this ID.
    pub(super) fn drill(&self, id: &str) -> Option<&Drill> {
        self.drills.get(id)
    }

    /// The runtime server with this ID.
    pub(super) fn server(&self, id: &str) -> Option<&Server> {
        self.servers.iter().find(|s| s.id == id)
    }

    /// The runtime server with this ID, mutable.
    pub(super) fn server_mut(&mut self, id: &str) -> Option<&mut Server> {
        self.servers.iter_mut().find(|s| s.id == id)
    }

    /// The runtime volume with this ID.
    pub(super) fn volume(&self, id: &str) -> Option<&Volume> {
        self.volumes.iter().find(|v| v.id == id)
    }

    /// The runtime volume with this ID, mutable.
    pub(super) fn volume_mut(&mut self, id: &str) -> Option<&mut Volume> {
        self.volumes.iter_mut().find(|v| v.id == id)
    }

    /// The stable state to return to after a `restore` action, given the state a record of `kind`
    /// held before (the stable states are those of its machine in `states.yaml`); from another
    /// state the emulator picks the one its group implies, where the spec allows any stable state.
    pub(super) fn restore_status(&self, kind: Kind, previous: &str, group_id: &str) -> String {
        if kind.is_stable(previous) {
            return previous.to_string();
        }
        self.joined_status(group_id)
    }

    /// The status a new or restored member of a group takes: protected, failed-over or available.
    pub(super) fn joined_status(&self, group_id: &str) -> String {
        match self.group(group_id).map(|g| g.status.as_str()) {
            Some("protected") => "protected".into(),
            Some("failed-over") => "failed-over".into(),
            _ => "available".into(),
        }
    }

    /// The status of the server at an instance's current DR site: the original production
    /// server once a failover or reverse made the target site production (the emulator's own
    /// DR servers are always stopped).
    pub(super) fn dr_server_status(&self, instance: &Instance) -> String {
        let priority = self.group(&instance.group_id).map(|g| g.priority_station.as_str()).unwrap_or("source");
        if priority == "target" {
            self.server(&instance.source_server).map(|s| s.status.clone()).unwrap_or_else(|| "SHUTOFF".into())
        } else {
            "SHUTOFF".into()
        }
    }

    /// The status of the server currently playing production for an instance (DR servers are
    /// always stopped in the emulator).
    pub(super) fn production_server_status(&self, instance: &Instance) -> String {
        let priority = self.group(&instance.group_id).map(|g| g.priority_station.as_str()).unwrap_or("source");
        if priority == "target" {
            "SHUTOFF".into()
        } else {
            self.server(&instance.source_server).map(|s| s.status.clone()).unwrap_or_else(|| "SHUTOFF".into())
        }
    }

    /// Every server that shares a shared (multiattach) disk with `server_id`, itself included;
    /// empty when it has no shared disk.
    pub(super) fn shared_disk_servers(&self, server_id: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for v in self.volumes.iter().filter(|v| v.multiattach) {
            let attached: Vec<&String> = v.attached_server.iter().chain(v.shared_with.iter()).collect();
            if attached.iter().any(|s| *s == server_id) {
                for s in attached {
                    if !out.contains(s) {
                        out.push(s.clone());
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;

//! Exclusive use of prerequisites: a case takes the servers, volumes, drill VPCs and failing
//! objects it needs, all at once, and gives them back when it ends. A spare NIC comes back
//! only when no accepted request named it (one that deleted it is gone for good).

use crate::cases::prereq::{Prerequisites, ServerPrereq};
use crate::cases::template::Vars;
use crate::cases::Needs;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::Mutex;
use tokio::sync::Notify;

/// What a case holds.
#[derive(Debug, Default)]
pub struct Lease {
    servers: Vec<String>,
    volumes: Vec<String>,
    drill_vpcs: Vec<String>,
    failing: Vec<String>,
    invalid: Vec<String>,
    spare_nics: Vec<String>,
    used_nics: Vec<String>,
    /// Variables binding the taken items.
    pub vars: Vars,
}

impl Lease {
    /// Marks the spare NICs of this lease that are gone (an accepted request named them).
    pub fn used_up(&mut self, nics: &BTreeSet<String>) {
        let (gone, kept) = self.spare_nics.drain(..).partition(|n| nics.contains(n));
        self.used_nics.extend::<Vec<String>>(gone);
        self.spare_nics = kept;
    }

    /// The spare NICs this lease holds.
    pub fn spare_nics(&self) -> &[String] {
        &self.spare_nics
    }
}

#[derive(Debug)]
struct Free {
    servers: Vec<ServerPrereq>,
    volumes: Vec<String>,
    drill_vpcs: Vec<String>,
    failing: BTreeSet<String>,
    invalid: BTreeSet<String>,
    spare_nics: BTreeSet<String>,
    /// Spare NICs that are gone for good.
    used_nics: BTreeSet<String>,
}

/// Why the pool can never give what a case needs in this run: the sentence names what the
/// profile lacks or what is held for good.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{why}")]
pub struct LeaseRefusal {
    /// `needs 2 volume(s), the profile lists 1`.
    pub why: String,
}

/// The shared pool.
#[derive(Debug)]
pub struct Pool {
    prereq: Prerequisites,
    free: Mutex<Free>,
    /// What a lease kept for the whole run (the shared fixture) holds.
    kept: Mutex<Lease>,
    returned: Notify,
}

impl Pool {
    /// A pool over the target's prerequisites.
    pub fn new(prereq: &Prerequisites) -> Pool {
        let mut failing = BTreeSet::new();
        for (kind, map) in [
            ("servers", &prereq.failing.servers),
            ("volumes", &prereq.failing.volumes),
            ("vpcs", &prereq.failing.vpcs),
            ("drill_vpcs", &prereq.failing.drill_vpcs),
        ] {
            for job_type in map.keys() {
                failing.insert(format!("{kind}:{job_type}"));
            }
        }
        Pool {
            free: Mutex::new(Free {
                servers: prereq.servers.clone(),
                volumes: prereq.volumes.iter().map(|v| v.id.clone()).collect(),
                drill_vpcs: prereq.drill_vpcs.clone(),
                failing,
                invalid: prereq.invalid.keys().cloned().collect(),
                spare_nics: prereq.servers.iter().filter_map(|s| s.spare_nic.clone()).collect(),
                used_nics: BTreeSet::new(),
            }),
            prereq: prereq.clone(),
            kept: Mutex::new(Lease::default()),
            returned: Notify::new(),
        }
    }

    /// Why `needs` can never be met, if so.
    pub fn impossible(&self, needs: &Needs) -> Option<String> {
        let p = &self.prereq;
        let servers = p.servers.iter().filter(|s| !needs.shutoff || s.status.eq_ignore_ascii_case("SHUTOFF")).count();
        let spare = p.servers.iter().filter(|s| s.spare_nic.is_some()).count();
        if needs.servers > servers {
            return Some(format!(
                "needs {} {}server(s), the profile lists {servers}",
                needs.servers,
                if needs.shutoff { "SHUTOFF " } else { "" }
            ));
        }
        if needs.spare_nics > spare {
            return Some(format!("needs {} server(s) with a spare NIC, the profile lists {spare}", needs.spare_nics));
        }
        if needs.volumes > p.volumes.len() {
            return Some(format!("needs {} volume(s), the profile lists {}", needs.volumes, p.volumes.len()));
        }
        if needs.drill_vpcs > p.drill_vpcs.len() {
            return Some(format!("needs {} drill VPC(s), the profile lists {}", needs.drill_vpcs, p.drill_vpcs.len()));
        }
        for f in &needs.failing {
            let (kind, job_type) = f.split_once(':').unwrap_or((f, ""));
            let map = match kind {
                "servers" => &p.failing.servers,
                "volumes" => &p.failing.volumes,
                "vpcs" => &p.failing.vpcs,
                _ => &p.failing.drill_vpcs,
            };
            if !map.contains_key(job_type) {
                return Some(format!(
                    "needs a {kind} object that makes {job_type} fail; the target provides none (emulators only)"
                ));
            }
        }
        if let Some(name) = needs.invalid.iter().find(|n| !p.invalid.contains_key(*n)) {
            return Some(format!("needs the object `{name}` that breaks a rule; the profile's `invalid` lists none"));
        }
        None
    }

    /// Why `needs` can no longer be met in this run, if so: what the profile lacks, what a kept
    /// lease holds for good, or spare NICs already used up.
    pub fn unreachable(&self, needs: &Needs) -> Option<String> {
        if let Some(why) = self.impossible(needs) {
            return Some(why);
        }
        let kept = self.kept.lock().expect("pool poisoned");
        let fits = |s: &&ServerPrereq| !needs.shutoff || s.status.eq_ignore_ascii_case("SHUTOFF");
        let servers = self.prereq.servers.iter().filter(fits).filter(|s| !kept.servers.contains(&s.id)).count();
        let held = "the shared fixture holds the others for the whole run";
        if needs.servers > servers {
            return Some(format!("needs {} server(s), {servers} left free: {held}", needs.servers));
        }
        let volumes = self.prereq.volumes.len() - kept.volumes.len();
        if needs.volumes > volumes {
            return Some(format!("needs {} volume(s), {volumes} left free: {held}", needs.volumes));
        }
        let drill_vpcs = self.prereq.drill_vpcs.len() - kept.drill_vpcs.len();
        if needs.drill_vpcs > drill_vpcs {
            return Some(format!("needs {} drill VPC(s), {drill_vpcs} left free: {held}", needs.drill_vpcs));
        }
        if let Some(f) = needs.failing.iter().find(|f| kept.failing.contains(f)) {
            return Some(format!("needs the failing object {f}: {held}"));
        }
        if let Some(name) = needs.invalid.iter().find(|n| kept.invalid.contains(n)) {
            return Some(format!("needs the object {name}: {held}"));
        }
        drop(kept);
        let total = self.prereq.servers.iter().filter(|s| s.spare_nic.is_some()).count();
        let spare = total - self.free.lock().expect("pool poisoned").used_nics.len();
        if needs.spare_nics > spare {
            return Some(format!(
                "needs {} server(s) with a spare NIC, {spare} left: earlier cases used the others up",
                needs.spare_nics
            ));
        }
        None
    }

    /// Takes everything `needs` asks for, waiting while others hold it; an error says why it
    /// never can.
    pub async fn take(&self, needs: &Needs) -> Result<Lease, LeaseRefusal> {
        loop {
            let notified = self.returned.notified();
            if let Some(lease) = self.try_take(needs) {
                return Ok(lease);
            }
            if let Some(why) = self.unreachable(needs) {
                return Err(LeaseRefusal { why });
            }
            notified.await;
        }
    }

    /// Keeps a lease for the rest of the run: its items are never given back.
    pub fn keep(&self, lease: Lease) {
        // A spare NIC kept for good is as unavailable as one used up.
        self.free.lock().expect("pool poisoned").used_nics.extend(lease.spare_nics.iter().cloned());
        let mut kept = self.kept.lock().expect("pool poisoned");
        kept.servers.extend(lease.servers);
        kept.volumes.extend(lease.volumes);
        kept.drill_vpcs.extend(lease.drill_vpcs);
        kept.failing.extend(lease.failing);
        kept.invalid.extend(lease.invalid);
        drop(kept);
        // Cases waiting for what is now kept must learn that they wait in vain.
        self.returned.notify_waiters();
    }

    fn try_take(&self, needs: &Needs) -> Option<Lease> {
        let mut free = self.free.lock().expect("pool poisoned");
        let fits = |s: &ServerPrereq| !needs.shutoff || s.status.eq_ignore_ascii_case("SHUTOFF");
        let spare_ok = |s: &ServerPrereq| s.spare_nic.as_ref().is_some_and(|n| free.spare_nics.contains(n));
        let spare_idx: Vec<usize> = free
            .servers
            .iter()
            .enumerate()
            .filter(|(_, s)| spare_ok(s))
            .map(|(i, _)| i)
            .take(needs.spare_nics)
            .collect();
        let plain_idx: Vec<usize> = free
            .servers
            .iter()
            .enumerate()
            .filter(|(i, s)| fits(s) && !spare_idx.contains(i))
            .map(|(i, _)| i)
            .take(needs.servers)
            .collect();
        if spare_idx.len() < needs.spare_nics
            || plain_idx.len() < needs.servers
            || free.volumes.len() < needs.volumes
            || free.drill_vpcs.len() < needs.drill_vpcs
            || needs.failing.iter().any(|f| !free.failing.contains(f))
            || needs.invalid.iter().any(|n| !free.invalid.contains(n))
        {
            return None;
        }
        let mut lease = Lease::default();
        let mut taken: Vec<usize> = plain_idx.iter().chain(spare_idx.iter()).copied().collect();
        taken.sort_unstable_by(|a, b| b.cmp(a));
        let mut servers: Vec<(usize, ServerPrereq)> = taken.into_iter().map(|i| (i, free.servers.remove(i))).collect();
        servers.sort_by_key(|(i, _)| *i);
        let (mut n_plain, mut n_spare) = (0, 0);
        for (i, s) in servers {
            if spare_idx.contains(&i) {
                let nic = s.spare_nic.clone().unwrap_or_default();
                free.spare_nics.remove(&nic);
                lease.vars.insert(format!("spare_server.{n_spare}"), json!(s.id));
                lease.vars.insert(format!("spare_nic.{n_spare}"), json!(nic));
                lease.spare_nics.push(nic);
                n_spare += 1;
            } else {
                lease.vars.insert(format!("server.{n_plain}"), json!(s.id));
                n_plain += 1;
            }
            lease.servers.push(s.id);
        }
        for n in 0..needs.volumes {
            let v = free.volumes.remove(0);
            let size = self.prereq.volumes.iter().find(|p| p.id == v).and_then(|p| p.size);
            lease.vars.insert(format!("volume.{n}"), json!(v));
            if let Some(size) = size {
                lease.vars.insert(format!("volume.{n}.size"), json!(size));
            }
            lease.volumes.push(v);
        }
        for n in 0..needs.drill_vpcs {
            let v = free.drill_vpcs.remove(0);
            lease.vars.insert(format!("drill_vpc.{n}"), json!(v));
            lease.drill_vpcs.push(v);
        }
        for f in &needs.failing {
            free.failing.remove(f);
            let (kind, job_type) = f.split_once(':').unwrap_or((f, ""));
            let map = match kind {
                "servers" => &self.prereq.failing.servers,
                "volumes" => &self.prereq.failing.volumes,
                "vpcs" => &self.prereq.failing.vpcs,
                _ => &self.prereq.failing.drill_vpcs,
            };
            if let Some(id) = map.get(job_type) {
                lease.vars.insert(format!("failing.{kind}.{job_type}"), Value::String(id.clone()));
            }
            lease.failing.push(f.clone());
        }
        // Taken exclusively: a wrongly accepted request may hold the object until teardown.
        for name in &needs.invalid {
            free.invalid.remove(name);
            if let Some(id) = self.prereq.invalid.get(name) {
                lease.vars.insert(format!("invalid.{name}"), Value::String(id.clone()));
            }
            lease.invalid.push(name.clone());
        }
        Some(lease)
    }

    /// Gives a lease back.
    pub fn give_back(&self, lease: Lease) {
        let mut free = self.free.lock().expect("pool poisoned");
        for id in lease.servers {
            if let Some(s) = self.prereq.servers.iter().find(|s| s.id == id) {
                free.servers.push(s.clone());
            }
        }
        free.volumes.extend(lease.volumes);
        free.drill_vpcs.extend(lease.drill_vpcs);
        free.failing.extend(lease.failing);
        free.invalid.extend(lease.invalid);
        free.spare_nics.extend(lease.spare_nics);
        free.used_nics.extend(lease.used_nics);
        drop(free);
        self.returned.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::prereq::Profile;

    #[test]
    fn taken_items_are_exclusive_until_given_back() {
        let profile = Profile::emulator_default();
        let pool = Pool::new(&profile.prerequisites);
        let needs = Needs {
            servers: 2,
            volumes: 1,
            failing: vec!["servers:startProtectionGroupNoCG".into()],
            ..Needs::default()
        };
        let a = pool.try_take(&needs).expect("first lease");
        assert!(pool.try_take(&needs).is_none(), "the failing server is exclusive");
        let s0 = a.vars["server.0"].clone();
        pool.give_back(a);
        let b = pool.try_take(&needs).expect("after give back");
        assert!(b.vars.contains_key("failing.servers.startProtectionGroupNoCG"));
        let _ = s0;
    }

    #[test]
    fn an_object_that_breaks_a_rule_is_taken_exclusively_and_missing_ones_are_named() {
        let profile = Profile::emulator_default();
        let pool = Pool::new(&profile.prerequisites);
        let needs = Needs { invalid: vec!["server_shared_disk".into()], ..Needs::default() };
        let a = pool.try_take(&needs).expect("first lease");
        assert_eq!(a.vars["invalid.server_shared_disk"], json!(profile.prerequisites.invalid["server_shared_disk"]));
        assert!(pool.try_take(&needs).is_none(), "exclusive");
        pool.give_back(a);
        assert!(pool.try_take(&needs).is_some());
        let missing = Needs { invalid: vec!["volume_shared".into()], ..Needs::default() };
        let why = pool.impossible(&missing).expect("impossible");
        assert!(why.contains("volume_shared"), "{why}");
    }

    #[test]
    fn a_spare_nic_comes_back_unless_it_was_used_up() {
        let profile = Profile::emulator_default();
        let pool = Pool::new(&profile.prerequisites);
        let needs = Needs { spare_nics: 8, ..Needs::default() };
        let a = pool.try_take(&needs).expect("eight spare nics");
        pool.give_back(a);
        let mut b = pool.try_take(&needs).expect("all eight came back");
        let gone: BTreeSet<String> = b.spare_nics()[..1].iter().cloned().collect();
        b.used_up(&gone);
        pool.give_back(b);
        assert!(pool.try_take(&needs).is_none(), "one was used up");
        assert!(pool.try_take(&Needs { spare_nics: 7, ..Needs::default() }).is_some());
    }

    #[tokio::test]
    async fn needs_that_can_no_longer_be_met_are_refused_instead_of_waited_for() {
        let profile = Profile::emulator_default();
        let pool = Pool::new(&profile.prerequisites);
        let spare = profile.prerequisites.servers.iter().filter(|s| s.spare_nic.is_some()).count();
        let mut used = pool.take(&Needs { spare_nics: spare, ..Needs::default() }).await.expect("every spare NIC");
        let gone: BTreeSet<String> = used.spare_nics().iter().cloned().collect();
        used.used_up(&gone);
        pool.give_back(used);
        let why = pool.take(&Needs { spare_nics: 1, ..Needs::default() }).await.expect_err("none left");
        assert!(why.why.contains("used the others up"), "{why}");
        let all = profile.prerequisites.volumes.len();
        let fixture = pool.take(&Needs { volumes: 1, ..Needs::default() }).await.expect("one volume");
        let every_volume = Needs { volumes: all, ..Needs::default() };
        let waiting = pool.take(&every_volume);
        let (why, ()) = tokio::join!(waiting, async { pool.keep(fixture) });
        assert!(why.expect_err("one volume is kept").why.contains("shared fixture"));
    }

    #[test]
    fn needs_beyond_the_profile_are_reported() {
        let pool = Pool::new(&Prerequisites::default());
        let why = pool.impossible(&Needs { servers: 1, ..Needs::default() }).unwrap();
        assert!(why.contains("needs 1 server"), "{why}");
    }
}

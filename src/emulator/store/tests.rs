//! The store: one interface for every kind, leftovers of deletions, referential integrity.

use super::*;
use crate::emulator::model::{Attachment, Nic};

fn instance(id: &str, group_id: &str) -> Instance {
    Instance {
        id: id.into(),
        name: format!("name-of-{id}"),
        description: None,
        group_id: group_id.into(),
        status: "available".into(),
        source_server: "server".into(),
        target_server: "target".into(),
        target_flavor: "flavor".into(),
        tags: Vec::new(),
        nics: vec![Nic { id: "nic".into(), subnet_id: "subnet".into(), ip_address: "10.0.0.1".into(), primary: true }],
        created_at: 0,
        updated_at: 0,
    }
}

fn drill(id: &str) -> Drill {
    Drill {
        id: id.into(),
        name: format!("name-of-{id}"),
        group_id: "g1".into(),
        drill_vpc_id: "vpc".into(),
        status: "available".into(),
        drill_servers: Vec::new(),
        created_at: 0,
        updated_at: 0,
    }
}

fn store() -> Store {
    let mut store = Store::new(&World::default_world());
    store.instances.push(instance("i1", "g1"));
    store.instances.push(instance("i2", "g1"));
    store.drills.push(drill("d1"));
    store
}

#[test]
fn every_kind_answers_the_same_interface() {
    let mut store = store();
    for (kind, id) in [(Kind::Instance, "i2"), (Kind::Drill, "d1")] {
        let records = store.records_mut(kind);
        assert_eq!(records.status_of(id), Some("available"), "{kind:?}");
        assert_eq!(records.name_of(id), Some(format!("name-of-{id}").as_str()));
        assert_eq!(records.group_of(id), Some("g1"));
        assert!(records.set_status_of(id, "deleting", 7));
        assert_eq!(records.status_of(id), Some("deleting"));
        assert!(!records.set_status_of("nope", "deleting", 7));
        assert_eq!(records.status_of("nope"), None);
    }
    assert_eq!(store.drills.get("d1").map(|d| d.updated_at), Some(7), "a status change touches updated_at");
    assert_eq!(store.records(Kind::Group).status_of("d1"), None, "kinds do not mix");
}

#[test]
fn removal_keeps_only_the_leftovers_asked_for() {
    let mut store = store();
    let before = store.instances.get("i1").cloned().map(|mut i| {
        i.status = "deleting".into();
        i
    });
    store.records_mut(Kind::Instance).set_status_of("i1", "deleting", 0);
    store.remove(Kind::Instance, "i1", Leftovers::default(), 1);
    assert!(store.instances.get("i1").is_none() && store.instances.shown("i1").is_none());
    assert_eq!(store.instances.listed().count(), 1);
    store.instances.push(before.clone().unwrap());
    store.remove(Kind::Instance, "i1", Leftovers { shown: true, listed: false }, 1);
    assert_eq!(store.instances.shown("i1").map(|i| i.status.as_str()), Some("available"));
    assert_eq!(store.instances.listed().count(), 1, "a shown ghost is not listed");
    store.remove(Kind::Instance, "i2", Leftovers { shown: false, listed: true }, 1);
    assert!(store.instances.shown("i2").is_none(), "a listed ghost is not shown");
    let listed: Vec<&str> = store.instances.listed().map(|i| i.id.as_str()).collect();
    assert_eq!(listed, ["i2"]);
    assert!(!store.records_mut(Kind::Instance).remove("i2", Leftovers::default()), "already gone");
}

#[test]
fn an_instance_that_goes_takes_its_attachments_and_frees_their_volumes() {
    let mut store = store();
    let volume_id = store.volumes[0].id.clone();
    let pair = Pair {
        id: "p1".into(),
        name: "p".into(),
        description: String::new(),
        group_id: "g1".into(),
        volume_id: volume_id.clone(),
        dr_volume_id: "dr".into(),
        status: "protected".into(),
        attachment: Some(Attachment { instance_id: "i1".into(), device: "/dev/vdb".into() }),
        created_at: 0,
        updated_at: 0,
    };
    store.pairs.push(pair);
    store.volume_mut(&volume_id).unwrap().status = Some("in-use".into());
    store.remove(Kind::Instance, "i1", Leftovers::default(), 9);
    let pair = store.pair("p1").unwrap();
    assert!(pair.attachment.is_none());
    assert_eq!((pair.status.as_str(), pair.updated_at), ("protected", 9));
    assert_eq!(store.volume(&volume_id).unwrap().effective_status(), "available");
}

#[test]
fn members_join_and_restore_to_the_state_their_group_gives() {
    let mut store = store();
    assert_eq!(store.joined_status("no-group"), "available");
    assert_eq!(store.restore_status(Kind::Pair, "protected", "no-group"), "protected");
    assert_eq!(store.restore_status(Kind::Pair, "extending", "no-group"), "available");
    let mut group = crate::emulator::model::Group {
        id: "g1".into(),
        name: "g".into(),
        description: None,
        status: "failed-over".into(),
        source_az: "a".into(),
        target_az: "b".into(),
        domain_id: "d".into(),
        domain_name: "d".into(),
        priority_station: "target".into(),
        source_vpc_id: "v".into(),
        dr_type: "migration".into(),
        protected_status: None,
        replication_status: None,
        health_status: None,
        created_at: 0,
        updated_at: 0,
        shown_once: None,
    };
    assert_eq!(group.production_az(), "b");
    group.priority_station = "source".into();
    assert_eq!(group.production_az(), "a");
    store.groups.push(group);
    assert_eq!(store.joined_status("g1"), "failed-over");
    assert_eq!(store.restore_status(Kind::Pair, "nic-creating", "g1"), "failed-over");
}

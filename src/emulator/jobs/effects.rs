//! What a job does besides moving statuses: its effects on success, its undo on failure.

use crate::emulator::model::{Attachment, Effect};
use crate::emulator::store::Store;

/// Applies one effect at emulator time `now`.
pub(super) fn apply(store: &mut Store, effect: &Effect, now: i64) {
    match effect {
        Effect::GroupFlags { group_id, protected, replication } => {
            if let Some(g) = store.group_mut(group_id) {
                g.protected_status = Some(protected.to_string());
                g.replication_status = Some(replication.to_string());
                g.health_status = Some("normal".into());
            }
        }
        Effect::SetPriority { group_id, station } => {
            if let Some(g) = store.group_mut(group_id) {
                g.priority_station = station.clone();
                g.updated_at = now;
            }
        }
        Effect::AttachVolume { pair_id } => {
            let Some(pair) = store.pair(pair_id) else {
                return;
            };
            let volume_id = pair.volume_id.clone();
            let server =
                pair.attachment.as_ref().and_then(|a| store.instance(&a.instance_id)).map(|i| i.source_server.clone());
            if let Some(v) = store.volume_mut(&volume_id) {
                v.status = Some("in-use".into());
                v.attached_server = server;
            }
        }
        Effect::Detach { pair_id } => store.detach(pair_id, now),
        Effect::AddNic { instance_id, nic } => {
            if let Some(i) = store.instance_mut(instance_id) {
                i.nics.push(nic.clone());
            }
        }
        Effect::DeleteNic { instance_id, nic_id } => {
            if let Some(i) = store.instance_mut(instance_id) {
                i.nics.retain(|n| &n.id != nic_id);
            }
        }
        Effect::Resize { instance_id, production, dr } => {
            let Some(instance) = store.instance(instance_id).cloned() else {
                return;
            };
            if let Some(flavor) = production {
                if let Some(s) = store.server_mut(&instance.source_server) {
                    s.flavor = flavor.clone();
                }
            }
            if let Some(flavor) = dr {
                if let Some(i) = store.instance_mut(instance_id) {
                    i.target_flavor = flavor.clone();
                }
            }
        }
        Effect::ShowOnce { group_id, status } => {
            if let Some(g) = store.group_mut(group_id) {
                g.shown_once = Some(status.to_string());
            }
        }
        Effect::Expand { pair_id, new_size } => {
            if let Some(volume_id) = store.pair(pair_id).map(|p| p.volume_id.clone()) {
                if let Some(v) = store.volume_mut(&volume_id) {
                    v.size = *new_size;
                }
            }
        }
    }
}

/// Records a pending attachment (kept while the attach job runs, dropped if it fails).
pub(crate) fn pending_attachment(store: &mut Store, pair_id: &str, instance_id: &str, device: &str) {
    if let Some(p) = store.pair_mut(pair_id) {
        p.attachment = Some(Attachment { instance_id: instance_id.into(), device: device.into() });
    }
}

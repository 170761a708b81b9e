//! Every status each resource showed, in every show and list answer, in order: the evidence of
//! `state_transition`.

use crate::spec::ResourceTable;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;

/// Observed status sequences, per resource id.
#[derive(Debug, Default)]
pub(super) struct Observations {
    seen: Mutex<HashMap<String, (String, Vec<String>)>>,
}

impl Observations {
    /// Records the statuses found in an answer body.
    pub(super) fn record_body(&self, table: &ResourceTable, body: &Value) {
        let found = table.statuses_in(body);
        if found.is_empty() {
            return;
        }
        let mut seen = self.seen.lock().expect("observations poisoned");
        for (kind, id, status) in found {
            let entry = seen.entry(id).or_insert_with(|| (kind.to_owned(), Vec::new()));
            if entry.1.last() != Some(&status) {
                entry.1.push(status);
            }
        }
    }

    /// The kind and status sequence of a resource.
    pub(super) fn of(&self, id: &str) -> Option<(String, Vec<String>)> {
        self.seen.lock().expect("observations poisoned").get(id).cloned()
    }

    /// The last status seen for a resource.
    pub(super) fn last(&self, id: &str) -> Option<String> {
        self.seen.lock().expect("observations poisoned").get(id).and_then(|(_, s)| s.last().cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn statuses_of_shows_and_lists_are_recorded_once_per_change() {
        let o = Observations::default();
        let t = &crate::spec::Specs::embedded().resources;
        o.record_body(t, &json!({"server_group": {"id": "g", "status": "creating"}}));
        o.record_body(t, &json!({"server_groups": [{"id": "g", "status": "creating"}], "count": 1}));
        o.record_body(t, &json!({"server_group": {"id": "g", "status": "available"}}));
        o.record_body(t, &json!({"resources": [{"resource_detail": {"id": "i", "status": "protected"}}]}));
        assert_eq!(o.of("g"), Some(("server_group".into(), vec!["creating".into(), "available".into()])));
        assert_eq!(o.last("i").as_deref(), Some("protected"));
    }
}

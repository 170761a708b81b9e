//! What a stream of exchanges showed: the operations answered, their statuses, the A.1 codes of
//! error bodies, each resource's changes between successive reads, and the refusals of actions
//! while the acted-on resource was last seen in a forbidden state.

use super::Key;
use crate::exchange::Exchange;
use crate::spec::ResourceKind as Kind;
use crate::spec::Specs;
use crate::traffic::Matcher;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

/// The state machine of jobs, whose reads are polls of `showJobStatus`.
const JOB_MACHINE: &str = "job";

/// Accumulates what exchanges showed; feed them in the order they completed.
#[derive(Debug)]
pub struct Observer<'s> {
    specs: &'s Specs,
    matcher: Matcher<'s>,
    seen: BTreeSet<Key>,
    /// The last status each resource showed, by (kind, id), for transitions.
    last_read: HashMap<(String, String), String>,
    /// The same, forgotten once a write to the resource is accepted: the state a refusal is
    /// set against must not be older than the last accepted change.
    current: HashMap<(String, String), String>,
    exchanges: usize,
}

impl<'s> Observer<'s> {
    /// An observer that matches exchanges against the operations of `specs`.
    pub fn new(specs: &'s Specs) -> Observer<'s> {
        Observer {
            specs,
            matcher: Matcher::new(specs),
            seen: BTreeSet::new(),
            last_read: HashMap::new(),
            current: HashMap::new(),
            exchanges: 0,
        }
    }

    /// Whether an exchange showed the item of `key`.
    pub fn saw(&self, key: &Key) -> bool {
        self.seen.contains(key)
    }

    /// How many exchanges were matched to an operation and answered.
    pub fn exchanges(&self) -> usize {
        self.exchanges
    }

    /// Takes in one exchange. Its `operation` (set by the runner) picks among the operations its
    /// method and path may be; a recording's exchanges are matched by method, path and body alone.
    pub fn observe(&mut self, ex: &Exchange) {
        let Ok(m) = self.matcher.find(&ex.request.method, &ex.request.path, ex.request.body.as_deref()) else {
            return;
        };
        let op = match m.candidates.iter().find(|c| c.id == ex.operation) {
            Some(op) => *op,
            None if m.candidates.len() == 1 => m.operation,
            // A body that selects no variant: any of them, so none is counted.
            None => return,
        };
        let Some(resp) = ex.ok() else { return };
        self.exchanges += 1;
        let parsed;
        let json = match &resp.json {
            Some(j) => Some(j),
            None if !resp.body.is_empty() => {
                parsed = serde_json::from_slice::<Value>(&resp.body).ok();
                parsed.as_ref()
            }
            None => None,
        };
        self.seen.insert(Key::Operation(op.id.clone()));
        self.seen.insert(Key::Status(op.id.clone(), resp.status));
        let body: Option<Value> = ex.request.body.as_deref().and_then(|b| serde_json::from_str(b).ok());
        let acted = |k: &Kind| acted_ids(k, &m.params, body.as_ref());
        if resp.status >= 400 {
            if let Some(code) = json.and_then(error_code) {
                if self.specs.errors.get(&code).is_some() {
                    self.seen.insert(Key::Code(code));
                }
                if resp.status < 500 {
                    for k in self.specs.resources.kinds() {
                        for id in acted(k) {
                            if let Some(state) = self.current.get(&(k.name.clone(), id)) {
                                self.seen.insert(Key::Refusal {
                                    operation: op.id.clone(),
                                    kind: k.name.clone(),
                                    state: state.clone(),
                                });
                            }
                        }
                    }
                }
            }
        } else if resp.is_success() && op.method != "GET" {
            // Only the machines the operation acts on change: a pair's creation names its group
            // without moving it.
            let moved: Vec<&str> = self.specs.states.actions_of(&op.id).map(|a| a.kind.as_str()).collect();
            for k in self.specs.resources.kinds().filter(|k| moved.contains(&k.name.as_str())) {
                for id in acted(k) {
                    self.current.remove(&(k.name.clone(), id));
                }
            }
        }
        if resp.status == 200 && op.method == "GET" {
            if let Some(json) = json {
                let specs: &'s Specs = self.specs;
                let mut reads = specs.resources.statuses_in(json);
                let job_show = self.specs.states.machines.get(JOB_MACHINE).and_then(|j| j.show.as_deref());
                if job_show == Some(op.id.as_str()) {
                    if let (Some(Value::String(id)), Some(Value::String(status))) =
                        (json.get("job_id"), json.get("status"))
                    {
                        reads.push((JOB_MACHINE, id.clone(), status.clone()));
                    }
                }
                for (kind, id, status) in reads {
                    self.read(kind, id, status);
                }
            }
        }
    }

    /// One resource seen in `status`: a change from its last read is a transition.
    fn read(&mut self, kind: &str, id: String, status: String) {
        let key = (kind.to_owned(), id);
        if let Some(before) = self.last_read.get(&key) {
            if *before != status && self.specs.states.allows(kind, before, &status) {
                self.seen.insert(Key::Transition { kind: kind.to_owned(), from: before.clone(), to: status.clone() });
            }
        }
        self.current.insert(key.clone(), status.clone());
        self.last_read.insert(key, status);
    }
}

/// The code of a wrapped (`{"<type>": {"code": ...}}`) or flat (`{"error_code": ...}`) error body.
fn error_code(json: &Value) -> Option<String> {
    let obj = json.as_object()?;
    if let Some(Value::String(code)) = obj.get("error_code") {
        return Some(code.clone());
    }
    obj.values().find_map(|v| v.get("code").and_then(Value::as_str)).map(str::to_owned)
}

/// The ids of resources of kind `k` a request names: its path parameter, the same key anywhere
/// in the body (`server_group_id` of a creation, `replication_id` of an attachment), or the
/// `id`s of the body's list of them (a batch delete).
fn acted_ids(k: &Kind, params: &[(String, String)], body: Option<&Value>) -> Vec<String> {
    let mut out: Vec<String> = params.iter().filter(|(n, _)| *n == k.id_param).map(|(_, v)| v.clone()).collect();
    if let Some(body) = body {
        find_ids(body, k, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

fn find_ids(v: &Value, k: &Kind, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (key, child) in map {
                match child {
                    Value::String(s) if *key == k.id_param => out.push(s.clone()),
                    Value::Array(items) if *key == k.list_key => {
                        out.extend(
                            items.iter().filter_map(|i| i.get("id")).filter_map(Value::as_str).map(str::to_owned),
                        );
                    }
                    _ => find_ids(child, k, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| find_ids(i, k, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with_body(mut ex: Exchange, body: Value) -> Exchange {
        ex.request.body = Some(body.to_string());
        ex
    }

    fn group(status: &str) -> Exchange {
        Exchange::fake(
            "",
            "GET",
            "/v1/p/server-groups/g1",
            200,
            json!({"server_group": {"id": "g1", "status": status}}),
        )
    }

    fn refused_failover() -> Exchange {
        let ex = Exchange::fake(
            "",
            "POST",
            "/v1/p/server-groups/g1/action",
            400,
            json!({"error": {"code": "SDRS.1018", "message": "m"}}),
        );
        with_body(ex, json!({"failover-server-group": {}}))
    }

    fn refusal(state: &str) -> Key {
        Key::Refusal { operation: "failoverProtectionGroup".into(), kind: "server_group".into(), state: state.into() }
    }

    #[test]
    fn operations_statuses_and_codes_are_seen_from_answers() {
        let mut o = Observer::new(Specs::embedded());
        o.observe(&Exchange::fake(
            "",
            "GET",
            "/v1/p/server-groups/x",
            400,
            json!({"itemNotFound": {"code": "SDRS.1013", "message": "m"}}),
        ));
        o.observe(&Exchange::fake(
            "",
            "GET",
            "/v1/p/jobs/j",
            200,
            json!({"error_code": "SDRS.9999", "error_msg": "m"}),
        ));
        assert!(o.saw(&Key::Operation("showProtectionGroup".into())));
        assert!(o.saw(&Key::Status("showProtectionGroup".into(), 400)));
        assert!(!o.saw(&Key::Status("showProtectionGroup".into(), 200)));
        assert!(o.saw(&Key::Code("SDRS.1013".into())));
        // An error body on a 200 is no error answer; a code A.1 lacks is no A.1 code.
        assert!(!o.saw(&Key::Code("SDRS.9999".into())));
        assert_eq!(o.exchanges(), 2);
    }

    #[test]
    fn successive_reads_of_one_resource_show_its_allowed_changes_only() {
        let mut o = Observer::new(Specs::embedded());
        for s in ["creating", "available", "available", "protected", "creating"] {
            o.observe(&group(s));
        }
        let t =
            |from: &str, to: &str| Key::Transition { kind: "server_group".into(), from: from.into(), to: to.into() };
        assert!(o.saw(&t("creating", "available")));
        // A read may miss the transitional state between two others.
        assert!(o.saw(&t("available", "protected")));
        assert!(!o.saw(&t("protected", "creating")), "an illegal change is no coverage");
        o.observe(&Exchange::fake("", "GET", "/v1/p/jobs/j1", 200, json!({"job_id": "j1", "status": "INIT"})));
        o.observe(&Exchange::fake("", "GET", "/v1/p/jobs/j1", 200, json!({"job_id": "j1", "status": "RUNNING"})));
        assert!(o.saw(&Key::Transition { kind: "job".into(), from: "INIT".into(), to: "RUNNING".into() }));
    }

    #[test]
    fn a_refusal_counts_for_the_state_the_resource_was_last_seen_in() {
        let mut o = Observer::new(Specs::embedded());
        o.observe(&group("available"));
        o.observe(&refused_failover());
        assert!(o.saw(&refusal("available")));
        // Accepted: not a refusal, whatever the state.
        let mut o = Observer::new(Specs::embedded());
        o.observe(&group("deleting"));
        o.observe(&with_body(
            Exchange::fake("", "POST", "/v1/p/server-groups/g1/action", 200, json!({"job_id": "j"})),
            json!({"failover-server-group": {}}),
        ));
        o.observe(&refused_failover());
        assert!(!o.saw(&refusal("deleting")), "the state before an accepted write is stale");
        // A write to another resource naming the group leaves its state current.
        let mut o = Observer::new(Specs::embedded());
        o.observe(&group("available"));
        let pair = Exchange::fake("", "POST", "/v1/p/replications", 200, json!({"job_id": "j"}));
        o.observe(&with_body(pair, json!({"replication": {"server_group_id": "g1", "volume_id": "v"}})));
        o.observe(&refused_failover());
        assert!(o.saw(&refusal("available")));
    }

    #[test]
    fn a_refusal_without_an_error_code_or_an_earlier_read_counts_for_nothing() {
        let mut o = Observer::new(Specs::embedded());
        o.observe(&refused_failover());
        o.observe(&group("available"));
        let mut bare = refused_failover();
        bare.response.as_mut().unwrap().json = Some(json!({}));
        o.observe(&bare);
        assert!(!o.saw(&refusal("available")));
    }

    #[test]
    fn a_creation_names_its_group_in_the_body() {
        let mut o = Observer::new(Specs::embedded());
        o.observe(&group("deleting"));
        let create = Exchange::fake(
            "",
            "POST",
            "/v1/p/protected-instances",
            400,
            json!({"error": {"code": "SDRS.1301", "message": "m"}}),
        );
        o.observe(&with_body(create, json!({"protected_instance": {"server_group_id": "g1", "server_id": "s"}})));
        assert!(o.saw(&Key::Refusal {
            operation: "createProtectedInstance".into(),
            kind: "server_group".into(),
            state: "deleting".into()
        }));
    }
}

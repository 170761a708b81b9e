//! `resource_lifecycle`: what was created is shown and listed; what was deleted is gone from
//! both.

use super::{
    error_code_of, list, show_pointer, status_excerpt, value_excerpt, CheckContext, CheckName, CheckResult, Failure,
    STATES_SPEC,
};
use super::{Evidence, FieldSeen};
use crate::exchange::{Exchange, ResponseRecord};
use serde_json::Value;

/// What the runner saw after creating or deleting a resource.
#[derive(Debug, Clone)]
pub enum LifecycleEvidence<'a> {
    /// After a creation: the resource must be shown and listed.
    Created {
        /// Kind of the resource (`server_group`...).
        kind: String,
        /// The id the creation reported.
        id: String,
        /// The answer of the show operation.
        show: &'a Exchange,
        /// JSON pointer of the id in the show answer (`/server_group/id`).
        show_id_pointer: String,
        /// The answer of the list operation.
        list: &'a Exchange,
        /// JSON pointer of the items array in the list answer (`/server_groups`).
        list_items_pointer: String,
    },
    /// After a deletion: the resource must be gone.
    Deleted {
        /// Kind of the resource.
        kind: String,
        /// The id of the deleted resource.
        id: String,
        /// The answer of the show operation.
        show: &'a Exchange,
        /// Codes that say "no such resource" with status 400 (any 404 is accepted too).
        gone_codes: Vec<String>,
        /// The answer of the list operation.
        list: &'a Exchange,
        /// JSON pointer of the items array in the list answer.
        list_items_pointer: String,
    },
}

/// Judges whether the created resource is visible, or the deleted one is gone.
pub fn resource_lifecycle(ctx: &CheckContext, ev: &LifecycleEvidence) -> CheckResult {
    let name = CheckName::ResourceLifecycle;
    let mut failures = Vec::new();
    match ev {
        LifecycleEvidence::Created { kind, id, show, show_id_pointer, list, list_items_pointer } => {
            let spec = spec_of(ctx, kind, "show");
            match answered(show, "show", kind, id, &spec, &mut failures) {
                Some(resp) if resp.status != 200 => failures.push(
                    Failure::new(
                        format!("created {kind} {id} is not shown (status {})", resp.status),
                        "status 200 with the resource",
                        status_excerpt(resp),
                    )
                    .at(spec),
                ),
                Some(resp) => match resp.json.as_ref().and_then(|j| j.pointer(show_id_pointer)) {
                    Some(Value::String(shown)) if shown == id => {}
                    other => failures.push(
                        Failure::new(
                            format!(
                                "the show answer of {kind} {id} has another id at {}",
                                show_pointer(show_id_pointer)
                            ),
                            format!("\"{id}\" at {}", show_pointer(show_id_pointer)),
                            other.map(value_excerpt).unwrap_or_else(|| "(absent)".to_owned()),
                        )
                        .at(spec),
                    ),
                },
                None => {}
            }
            let spec = spec_of(ctx, kind, "list");
            if let Some(items) = listed(list, list_items_pointer, kind, id, &spec, &mut failures) {
                if !items.iter().any(|item| has_id(item, id)) {
                    failures.push(
                        Failure::new(
                            format!("created {kind} {id} is not listed"),
                            format!("an item with id \"{id}\" at {}", show_pointer(list_items_pointer)),
                            format!("{} items, ids: {}", items.len(), ids_of(items)),
                        )
                        .at(spec),
                    );
                }
            }
        }
        LifecycleEvidence::Deleted { kind, id, show, gone_codes, list, list_items_pointer } => {
            let spec = spec_of(ctx, kind, "show");
            if let Some(resp) = answered(show, "show", kind, id, &spec, &mut failures) {
                let code = resp.json.as_ref().and_then(error_code_of);
                let gone = match resp.status {
                    404 => true,
                    400 => gone_codes.is_empty() || code.is_some_and(|c| gone_codes.iter().any(|g| g == c)),
                    _ => false,
                };
                if !gone {
                    let title = if resp.is_success() {
                        format!("deleted {kind} {id} is still shown")
                    } else {
                        format!(
                            "deleted {kind} {id}: show answered {} {}",
                            resp.status,
                            code.unwrap_or("without a code")
                        )
                    };
                    failures.push(
                        Failure::new(
                            title,
                            format!("status 404, or 400 with {}", list_or_any(gone_codes)),
                            status_excerpt(resp),
                        )
                        .at(spec),
                    );
                }
            }
            let spec = spec_of(ctx, kind, "list");
            if let Some(items) = listed(list, list_items_pointer, kind, id, &spec, &mut failures) {
                if let Some(item) = items.iter().find(|item| has_id(item, id)) {
                    failures.push(
                        Failure::new(
                            format!("deleted {kind} {id} is still listed"),
                            format!("no item with id \"{id}\""),
                            value_excerpt(item),
                        )
                        .at(spec),
                    );
                }
            }
        }
    }
    CheckResult::from_failures(name, failures, ctx.strict)
}

/// The response of `ex`, or a failure saying it got none.
fn answered<'e>(
    ex: &'e Exchange,
    what: &str,
    kind: &str,
    id: &str,
    spec: &str,
    failures: &mut Vec<Failure>,
) -> Option<&'e ResponseRecord> {
    match &ex.response {
        Ok(resp) => Some(resp),
        Err(e) => {
            failures.push(
                Failure::new(
                    format!("the {what} request for {kind} {id} got no response"),
                    "an HTTP answer",
                    e.message.clone(),
                )
                .at(spec),
            );
            None
        }
    }
}

/// The items of a list answer, or failures saying why there are none to look at.
fn listed<'e>(
    ex: &'e Exchange,
    pointer: &str,
    kind: &str,
    id: &str,
    spec: &str,
    failures: &mut Vec<Failure>,
) -> Option<&'e Vec<Value>> {
    let resp = answered(ex, "list", kind, id, spec, failures)?;
    super::list_items(resp, &format!("the list of {kind}"), pointer, spec, failures)
}

/// Whether a list item is the resource `id`.
fn has_id(item: &Value, id: &str) -> bool {
    match item.get("id") {
        Some(Value::String(s)) => s == id,
        Some(Value::Number(n)) => n.to_string() == id,
        _ => false,
    }
}

/// The ids of some items, for messages.
fn ids_of(items: &[Value]) -> String {
    let ids: Vec<String> =
        items.iter().take(20).map(|i| i.get("id").map(value_excerpt).unwrap_or_else(|| "(no id)".into())).collect();
    let more = if items.len() > 20 { format!(" and {} more", items.len() - 20) } else { String::new() };
    format!("{}{more}", list(&ids))
}

fn list_or_any(codes: &[String]) -> String {
    if codes.is_empty() {
        "any code".to_owned()
    } else {
        format!("one of {}", list(codes))
    }
}

/// The state-machine entry naming the show or list operation of `kind`.
fn spec_of(ctx: &CheckContext, kind: &str, which: &str) -> String {
    let op =
        ctx.specs.states.machines.get(kind).and_then(|m| if which == "show" { m.show.clone() } else { m.list.clone() });
    match op {
        Some(op) => format!("{STATES_SPEC} machines.{kind}.{which} ({op})"),
        None => format!("{STATES_SPEC} machines.{kind}"),
    }
}

/// The fields a scenario expects an answer to show, each compared with what the answer holds.
pub fn judge_expected_fields(ctx: &CheckContext, fields: &[FieldSeen]) -> CheckResult {
    let failures = fields
        .iter()
        .filter(|f| f.actual != f.expected)
        .map(|f| {
            Failure::new(
                format!("{} does not show what the scenario did", f.pointer),
                f.expected.to_string(),
                f.actual.to_string(),
            )
            .pointer(f.pointer.clone())
        })
        .collect();
    CheckResult::from_failures(CheckName::ResourceLifecycle, failures, ctx.strict)
}

/// The registry's entry: lifecycles, read-backs, deleted resources in filtered lists, and the
/// fields scenarios expect.
pub(super) fn judge(ctx: &CheckContext, ev: &Evidence) -> Option<CheckResult> {
    match ev {
        Evidence::Lifecycle(lifecycle) => Some(resource_lifecycle(ctx, lifecycle)),
        Evidence::ReadBack(read) => Some(super::read_back(ctx, read)),
        Evidence::GoneFromLists { kind, id, lists, items_pointer } => {
            Some(super::gone_from_lists(ctx, kind, id, lists, items_pointer))
        }
        Evidence::ExpectedFields(fields) => Some(judge_expected_fields(ctx, fields)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{ctx, no_response};
    use crate::checks::CheckOutcome;
    use serde_json::json;

    const ID: &str = "0b3f5a4c-1d2e-4f60-8a7b-9c0d1e2f3a4b";

    fn show(status: u16, body: Value) -> Exchange {
        Exchange::fake("showProtectionGroup", "GET", "/v1/p/server-groups/g", status, body)
    }

    fn listing(ids: &[&str]) -> Exchange {
        let items: Vec<Value> = ids.iter().map(|i| json!({"id": i, "name": "pg"})).collect();
        Exchange::fake(
            "listProtectionGroups",
            "GET",
            "/v1/p/server-groups",
            200,
            json!({"server_groups": items, "count": ids.len()}),
        )
    }

    fn created<'a>(show: &'a Exchange, list: &'a Exchange) -> LifecycleEvidence<'a> {
        LifecycleEvidence::Created {
            kind: "server_group".into(),
            id: ID.into(),
            show,
            show_id_pointer: "/server_group/id".into(),
            list,
            list_items_pointer: "/server_groups".into(),
        }
    }

    fn deleted<'a>(show: &'a Exchange, list: &'a Exchange) -> LifecycleEvidence<'a> {
        LifecycleEvidence::Deleted {
            kind: "server_group".into(),
            id: ID.into(),
            show,
            gone_codes: vec!["SDRS.1013".into()],
            list,
            list_items_pointer: "/server_groups".into(),
        }
    }

    #[test]
    fn a_created_resource_that_is_shown_and_listed_passes() {
        let (s, l) = (show(200, json!({"server_group": {"id": ID}})), listing(&["other", ID]));
        let r = resource_lifecycle(&ctx(), &created(&s, &l));
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn a_created_resource_that_is_not_shown_or_listed_fails_twice() {
        let (s, l) = (show(400, json!({"error": {"code": "SDRS.1013", "message": "m"}})), listing(&["other"]));
        let r = resource_lifecycle(&ctx(), &created(&s, &l));
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures.len(), 2, "{}", r.details());
        assert_eq!(r.failures[0].title, format!("created server_group {ID} is not shown (status 400)"));
        assert_eq!(r.failures[1].title, format!("created server_group {ID} is not listed"));
        assert_eq!(
            r.failures[1].spec.as_deref(),
            Some("specs/states.yaml machines.server_group.list (listProtectionGroups)")
        );
    }

    #[test]
    fn a_show_answer_with_another_id_fails() {
        let (s, l) = (show(200, json!({"server_group": {"id": "someone-else"}})), listing(&[ID]));
        let r = resource_lifecycle(&ctx(), &created(&s, &l));
        assert_eq!(r.failures.len(), 1, "{}", r.details());
        assert_eq!(r.failures[0].actual, "\"someone-else\"");
    }

    #[test]
    fn a_list_without_an_items_array_fails() {
        let s = show(200, json!({"server_group": {"id": ID}}));
        let l = Exchange::fake("listProtectionGroups", "GET", "/", 200, json!({"server_groups": {"id": ID}}));
        let r = resource_lifecycle(&ctx(), &created(&s, &l));
        assert_eq!(r.failures[0].title, "the list of server_group has no items array at /server_groups");
    }

    #[test]
    fn a_deleted_resource_answering_400_with_a_gone_code_or_any_404_passes() {
        let l = listing(&["other"]);
        let s = show(400, json!({"badrequest": {"code": "SDRS.1013", "message": "m"}}));
        assert_eq!(resource_lifecycle(&ctx(), &deleted(&s, &l)).outcome, CheckOutcome::Passed);
        let s = show(404, json!({"itemNotFound": {"code": "SDRS.9999", "message": "m"}}));
        assert_eq!(resource_lifecycle(&ctx(), &deleted(&s, &l)).outcome, CheckOutcome::Passed);
        let s = show(404, json!(null));
        assert_eq!(resource_lifecycle(&ctx(), &deleted(&s, &l)).outcome, CheckOutcome::Passed);
    }

    #[test]
    fn a_deleted_resource_still_shown_and_listed_fails_twice() {
        let (s, l) = (show(200, json!({"server_group": {"id": ID, "status": "deleting"}})), listing(&[ID]));
        let r = resource_lifecycle(&ctx(), &deleted(&s, &l));
        assert_eq!(r.failures.len(), 2, "{}", r.details());
        assert_eq!(r.failures[0].title, format!("deleted server_group {ID} is still shown"));
        assert_eq!(r.failures[1].title, format!("deleted server_group {ID} is still listed"));
    }

    #[test]
    fn a_deleted_resource_answering_400_with_another_code_fails() {
        let (s, l) = (show(400, json!({"error": {"code": "SDRS.0207", "message": "m"}})), listing(&[]));
        let r = resource_lifecycle(&ctx(), &deleted(&s, &l));
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures[0].title, format!("deleted server_group {ID}: show answered 400 SDRS.0207"));
    }

    #[test]
    fn evidence_without_an_answer_fails() {
        let s = no_response("showProtectionGroup");
        let l = no_response("listProtectionGroups");
        let r = resource_lifecycle(&ctx(), &deleted(&s, &l));
        assert_eq!(r.failures.len(), 2, "{}", r.details());
        assert!(r.failures[0].actual.contains("no answer within 30s"));
    }

    #[test]
    fn the_failure_display_is_stable() {
        let (s, l) = (show(200, json!({"server_group": {"id": ID, "status": "deleting"}})), listing(&[ID]));
        let r = resource_lifecycle(&ctx(), &deleted(&s, &l));
        insta::assert_snapshot!(crate::checks::test_support::display(&r));
    }
}

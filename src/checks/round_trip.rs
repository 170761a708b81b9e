//! `resource_lifecycle`, round trips: every field a write sent reads back the same through show,
//! the list and the filtered lists that select the resource; a deleted resource is absent from
//! every list that would hold it, counts included.
//!
//! Only the fields the case sent are compared, so undocumented extra keys never matter; a value
//! sent empty (null, `[]`, `{}`) may come back absent, as a server may leave out empty fields.

use super::{
    list_items, show_pointer, status_excerpt, value_excerpt, CheckContext, CheckName, CheckResult, Failure, STATES_SPEC,
};
use crate::exchange::Exchange;
use serde_json::Value;

/// Where the rule that a shown or listed resource carries what it was given is stated.
const SOURCE: &str = "001: the request table of the create or update page and the response table of show and list";

/// One list read of the resource: the query it was sent with and its answer.
#[derive(Debug, Clone)]
pub struct Listing<'a> {
    /// The filters, for messages (`name=sct-…`; empty: the plain list).
    pub query: String,
    /// The answer.
    pub exchange: &'a Exchange,
    /// Whether `count` must equal the number of items (a filter that only the case's own
    /// resources match, and a page large enough to hold them all).
    pub exact_count: bool,
}

/// What the runner read back after a write the target accepted.
#[derive(Debug, Clone)]
pub struct ReadBackEvidence<'a> {
    /// Kind of the resource (`server_group`...).
    pub kind: String,
    /// The resource's id.
    pub id: String,
    /// Pointers inside the resource object (`/description`, `/tags`) and the values written there.
    pub fields: Vec<(String, Value)>,
    /// The show answer.
    pub show: &'a Exchange,
    /// Pointer of the resource in the show answer (`/server_group`).
    pub show_pointer: String,
    /// The list reads that should select the resource.
    pub lists: Vec<Listing<'a>>,
    /// Pointer of the items array in list answers (`/server_groups`).
    pub items_pointer: String,
}

/// Judges whether every field written reads back through show and every list.
pub fn read_back(ctx: &CheckContext, ev: &ReadBackEvidence) -> CheckResult {
    let mut failures = Vec::new();
    let (kind, id) = (&ev.kind, &ev.id);
    match &ev.show.response {
        Err(e) => failures.push(Failure::new(
            format!("the show request for {kind} {id} got no response"),
            "an HTTP answer",
            e.message.clone(),
        )),
        Ok(resp) if resp.status != 200 => failures.push(Failure::new(
            format!("{kind} {id} is not shown after the write (status {})", resp.status),
            "status 200 with the resource",
            status_excerpt(resp),
        )),
        Ok(resp) => match resp.json.as_ref().and_then(|j| j.pointer(&ev.show_pointer)) {
            Some(shown) => compare(&format!("the show of {kind} {id}"), &ev.fields, shown, false, &mut failures),
            None => failures.push(Failure::new(
                format!("the show answer of {kind} {id} has nothing at {}", show_pointer(&ev.show_pointer)),
                format!("the resource at {}", show_pointer(&ev.show_pointer)),
                status_excerpt(resp),
            )),
        },
    }
    for listing in &ev.lists {
        let what = list_name(kind, &listing.query);
        let Some(items) = items_of(listing, kind, &what, &ev.items_pointer, &mut failures) else { continue };
        match items.iter().find(|item| has_id(item, id)) {
            None => failures.push(Failure::new(
                format!("{kind} {id} is missing from {what}"),
                format!("an item with id \"{id}\""),
                format!("{} item(s)", items.len()),
            )),
            Some(item) => compare(&format!("{kind} {id} in {what}"), &ev.fields, item, true, &mut failures),
        }
    }
    let failures = failures.into_iter().map(|f| f.source(SOURCE)).collect();
    CheckResult::from_failures(CheckName::ResourceLifecycle, failures, ctx.strict)
}

/// Judges whether the deleted resource `id` is absent from every list, and not counted by one
/// whose count must be exact.
pub fn gone_from_lists(
    ctx: &CheckContext,
    kind: &str,
    id: &str,
    lists: &[Listing],
    items_pointer: &str,
) -> CheckResult {
    let mut failures = Vec::new();
    for listing in lists {
        let what = list_name(kind, &listing.query);
        let Some(items) = items_of(listing, kind, &what, items_pointer, &mut failures) else { continue };
        if let Some(item) = items.iter().find(|item| has_id(item, id)) {
            failures.push(Failure::new(
                format!("deleted {kind} {id} is still in {what}"),
                format!("no item with id \"{id}\""),
                value_excerpt(item),
            ));
        }
        let count = listing.exchange.json().and_then(|j| j.get("count").and_then(Value::as_u64));
        if let (true, Some(count)) = (listing.exact_count, count) {
            let held = items.iter().filter(|item| !has_id(item, id)).count() as u64;
            if count != held {
                failures.push(Failure::new(
                    format!("{what} counts {count} after {kind} {id} was deleted"),
                    format!("count {held}, the items that remain"),
                    format!("count {count}"),
                ));
            }
        }
    }
    let failures =
        failures.into_iter().map(|f| f.source("001: the delete page and the list page of the resource")).collect();
    CheckResult::from_failures(CheckName::ResourceLifecycle, failures, ctx.strict)
}

fn list_name(kind: &str, query: &str) -> String {
    if query.is_empty() {
        format!("the list of {kind}")
    } else {
        format!("the list of {kind} filtered by {query}")
    }
}

fn items_of<'e>(
    listing: &Listing<'e>,
    kind: &str,
    what: &str,
    pointer: &str,
    failures: &mut Vec<Failure>,
) -> Option<&'e Vec<Value>> {
    match &listing.exchange.response {
        Err(e) => {
            failures.push(Failure::new(format!("{what} got no response"), "an HTTP answer", e.message.clone()));
            None
        }
        Ok(resp) => list_items(resp, what, pointer, &format!("{STATES_SPEC} machines.{kind}.list"), failures),
    }
}

/// Compares every written field with what `resource` holds; `listed`: a field left out of a list
/// item only warns (GAP-01: a listed field may be absent).
fn compare(what: &str, fields: &[(String, Value)], resource: &Value, listed: bool, failures: &mut Vec<Failure>) {
    for (pointer, sent) in fields {
        match resource.pointer(pointer) {
            None if is_empty(sent) => {}
            None if listed => failures.push(
                Failure::new(format!("{what} lacks {pointer}"), value_excerpt(sent), "(absent)")
                    .disputed(&["GAP-01".to_owned()]),
            ),
            None => {
                failures.push(Failure::new(format!("{what} does not keep {pointer}"), value_excerpt(sent), "(absent)"))
            }
            Some(shown) if same(sent, shown) => {}
            Some(shown) => failures.push(Failure::new(
                format!("{what} does not show the {pointer} written"),
                value_excerpt(sent),
                value_excerpt(shown),
            )),
        }
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Whether `shown` holds what was `sent`: objects may carry more keys, arrays are compared as
/// unordered collections of the same size (the reference fixes no order of tags), numbers by value.
fn same(sent: &Value, shown: &Value) -> bool {
    match (sent, shown) {
        (Value::Object(s), Value::Object(o)) => s.iter().all(|(k, v)| match o.get(k) {
            Some(w) => same(v, w),
            None => is_empty(v),
        }),
        (Value::Array(s), Value::Array(o)) => {
            if s.len() != o.len() {
                return false;
            }
            let mut used = vec![false; o.len()];
            s.iter().all(|v| {
                let found = o.iter().enumerate().find(|(i, w)| !used[*i] && same(v, w)).map(|(i, _)| i);
                found.map(|i| used[i] = true).is_some()
            })
        }
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => sent == shown,
    }
}

fn has_id(item: &Value, id: &str) -> bool {
    item.get("id").and_then(Value::as_str) == Some(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::ctx;
    use crate::checks::CheckOutcome;
    use serde_json::json;

    const ID: &str = "0b3f5a4c-1d2e-4f60-8a7b-9c0d1e2f3a4b";

    fn show(group: Value) -> Exchange {
        Exchange::fake("showProtectionGroup", "GET", "/v1/p/server-groups/g", 200, json!({ "server_group": group }))
    }

    fn listing(items: Vec<Value>) -> Exchange {
        let n = items.len();
        Exchange::fake(
            "listProtectionGroups",
            "GET",
            "/v1/p/server-groups",
            200,
            json!({"server_groups": items, "count": n}),
        )
    }

    fn judge(shown: Value, listed: Vec<Value>) -> CheckResult {
        let (s, l) = (show(shown), listing(listed));
        let ev = ReadBackEvidence {
            kind: "server_group".into(),
            id: ID.into(),
            fields: vec![
                ("/name".into(), json!("pg-new")),
                ("/description".into(), json!("kept")),
                ("/tags".into(), json!([{"key": "a", "value": "1"}, {"key": "b", "value": ""}])),
                ("/labels".into(), json!([])),
            ],
            show: &s,
            show_pointer: "/server_group".into(),
            lists: vec![Listing { query: "name=pg-new".into(), exchange: &l, exact_count: true }],
            items_pointer: "/server_groups".into(),
        };
        read_back(&ctx(), &ev)
    }

    fn group(name: &str, description: Value) -> Value {
        json!({"id": ID, "name": name, "description": description, "extra": 1,
               "tags": [{"key": "b", "value": ""}, {"key": "a", "value": "1"}]})
    }

    #[test]
    fn fields_read_back_in_any_order_with_extra_keys_and_empty_ones_left_out_pass() {
        let r = judge(group("pg-new", json!("kept")), vec![group("pg-new", json!("kept"))]);
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn a_dropped_description_and_an_old_name_fail_in_show_and_list() {
        let r = judge(group("pg-old", Value::Null), vec![group("pg-old", json!("kept"))]);
        assert_eq!(r.outcome, CheckOutcome::Failed);
        let titles: Vec<&str> = r.failures.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(titles.len(), 3, "{titles:?}");
        assert!(titles[0].contains("does not show the /name written"), "{titles:?}");
        assert!(titles[1].contains("/description"), "{titles:?}");
        assert!(titles[2].contains("filtered by name=pg-new"), "{titles:?}");
    }

    #[test]
    fn a_resource_missing_from_a_filtered_list_fails_and_a_field_absent_from_a_list_item_only_warns() {
        let r = judge(group("pg-new", json!("kept")), vec![]);
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert!(
            r.failures[0].title.contains("is missing from the list of server_group filtered by"),
            "{}",
            r.details()
        );
        let mut item = group("pg-new", json!("kept"));
        item.as_object_mut().unwrap().remove("description");
        let r = judge(group("pg-new", json!("kept")), vec![item]);
        assert_eq!(r.outcome, CheckOutcome::Warned, "{}", r.details());
    }

    #[test]
    fn a_tag_set_of_another_size_fails() {
        let mut shown = group("pg-new", json!("kept"));
        shown["tags"] = json!([{"key": "a", "value": "1"}]);
        let r = judge(shown, vec![group("pg-new", json!("kept"))]);
        assert_eq!(r.failures.len(), 1, "{}", r.details());
        assert!(r.failures[0].title.ends_with("/tags written"));
    }

    #[test]
    fn a_deleted_resource_still_listed_or_counted_fails() {
        let ghost = listing(vec![json!({"id": ID})]);
        let counted = Exchange::fake("listProtectionGroups", "GET", "/", 200, json!({"server_groups": [], "count": 1}));
        let clean = listing(vec![json!({"id": "other"})]);
        let lists = [
            Listing { query: "name=pg".into(), exchange: &ghost, exact_count: true },
            Listing { query: "server_group_id=g".into(), exchange: &counted, exact_count: true },
            Listing { query: String::new(), exchange: &clean, exact_count: false },
        ];
        let r = gone_from_lists(&ctx(), "server_group", ID, &lists, "/server_groups");
        assert_eq!(r.failures.len(), 3, "{}", r.details());
        assert!(r.failures[0].title.starts_with("deleted server_group"));
        assert!(r.failures[2].title.contains("counts 1 after"));
        let r = gone_from_lists(&ctx(), "server_group", ID, &lists[2..], "/server_groups");
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn the_failure_display_is_stable() {
        let r = judge(group("pg-old", json!("kept")), vec![group("pg-new", json!("kept"))]);
        insta::assert_snapshot!(crate::checks::test_support::display(&r));
    }
}

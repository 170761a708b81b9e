//! `pagination`: `limit` and `offset` select the right slice of the full list, and `count` is the
//! total number of matching items, not the size of the page.

use super::Evidence;
use super::{list, show_pointer, value_excerpt, CheckContext, CheckName, CheckResult, Failure};
use crate::exchange::{Exchange, ResponseRecord};
use serde_json::Value;

/// Where the disagreements about the `limit` range are recorded (INC-14, INC-15).
const LIMIT_PARAMETER: &str = "/components/parameters/Limit";

/// One page request: the `limit` and `offset` sent (absent: not sent) and its answer.
#[derive(Debug, Clone)]
pub struct Page<'a> {
    /// The `limit` sent, if any.
    pub limit: Option<u64>,
    /// The `offset` sent, if any.
    pub offset: Option<u64>,
    /// The answer.
    pub exchange: &'a Exchange,
}

/// A full list and pages of the same list, with the same filters.
#[derive(Debug, Clone)]
pub struct PaginationEvidence<'a> {
    /// JSON pointer of the items array (`/server_groups`).
    pub items_pointer: String,
    /// JSON pointer of the count, when the list has one (`/count`).
    pub count_pointer: Option<String>,
    /// INC entries disputing what `count` means (INC-54): count failures only warn.
    pub count_disputed: Vec<String>,
    /// The list without `limit` and `offset`.
    pub full: &'a Exchange,
    /// The pages.
    pub pages: Vec<Page<'a>>,
    /// Filters sent with every request: (item field, value, fuzzy). Every item must match them.
    pub filters: Vec<(String, String, bool)>,
}

/// Items of the full list that do not match the filters sent.
fn filter_failures(items: &[Value], filters: &[(String, String, bool)], spec: &str) -> Vec<Failure> {
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        for (field, value, fuzzy) in filters {
            let Some(actual) = item.get(field).and_then(Value::as_str) else { continue };
            let ok = if *fuzzy { actual.to_lowercase().contains(&value.to_lowercase()) } else { actual == value };
            if !ok {
                out.push(
                    Failure::new(
                        format!("item {i} of the list does not match the filter {field}={value}"),
                        format!("{field} {} {value:?}", if *fuzzy { "containing" } else { "equal to" }),
                        format!("{field} = {actual:?}"),
                    )
                    .at(spec.to_owned()),
                );
            }
        }
    }
    out
}

/// Judges the full list's count and every page against the full list.
pub fn pagination(ctx: &CheckContext, ev: &PaginationEvidence) -> CheckResult {
    let name = CheckName::Pagination;
    let spec = match ctx.specs.operation(&ev.full.operation) {
        Some(op) => format!("{} ({} limit, offset, count)", op.location, op.id),
        None => format!("{}#{LIMIT_PARAMETER}", ctx.specs.sdrs.file),
    };
    let mut failures = Vec::new();
    let Some(full_items) = items_of(ev.full, "the full list", &ev.items_pointer, &spec, &mut failures) else {
        return CheckResult::from_failures(name, failures, ctx.strict);
    };
    failures.extend(filter_failures(full_items, &ev.filters, &spec));
    let mut total = full_items.len() as u64;
    if let (Some(pointer), Ok(resp)) = (&ev.count_pointer, &ev.full.response) {
        if let Some(count) = count_of(resp, "the full list", pointer, &spec, &mut failures) {
            if count != full_items.len() as u64 {
                failures.push(
                    Failure::new(
                        format!("the full list counts {count} but holds {} items", full_items.len()),
                        format!("{} at {} (the number of items)", full_items.len(), show_pointer(pointer)),
                        count.to_string(),
                    )
                    .at(spec.clone())
                    // Page size or total (INC-54): for the whole list both readings give its length.
                    .disputed(&without(&ev.count_disputed, PAGE_OR_TOTAL)),
                );
            }
            total = count;
        }
    }

    for page in &ev.pages {
        let label = label(page);
        let Some(items) = items_of(page.exchange, &label, &ev.items_pointer, &spec, &mut failures) else {
            continue;
        };
        let len = full_items.len();
        let start = page.offset.map_or(0, |o| usize::try_from(o).unwrap_or(usize::MAX)).min(len);
        let end = match page.limit {
            Some(l) => start.saturating_add(usize::try_from(l).unwrap_or(usize::MAX)).min(len),
            None => len,
        };
        let wanted: Vec<String> = full_items[start..end].iter().map(key_of).collect();
        let got: Vec<String> = items.iter().map(key_of).collect();
        if wanted != got {
            // limit=0 has no single documented outcome (INC-14, INC-15).
            let disputes = if page.limit == Some(0) { limit_disagreements(ctx) } else { Vec::new() };
            failures.push(
                Failure::new(
                    format!("{label}: the items are not items {start}..{end} of the full list"),
                    format!("{} items: {}", wanted.len(), keys_text(&wanted)),
                    format!("{} items: {}", got.len(), keys_text(&got)),
                )
                .at(spec.clone())
                .disputed(&disputes),
            );
        }
        if let (Some(pointer), Ok(resp)) = (&ev.count_pointer, &page.exchange.response) {
            if let Some(count) = count_of(resp, &label, pointer, &spec, &mut failures) {
                if count != total {
                    failures.push(
                        Failure::new(
                            format!("{label}: count is {count}, not the total {total}"),
                            format!("{total} at {} (all matching items, not the page size)", show_pointer(pointer)),
                            count.to_string(),
                        )
                        .at(spec.clone())
                        .disputed(&ev.count_disputed),
                    );
                }
            }
        }
    }
    CheckResult::from_failures(name, failures, ctx.strict)
}

/// `page limit=2 offset=1`, for titles.
fn label(page: &Page) -> String {
    let part = |name: &str, v: Option<u64>| v.map(|v| format!(" {name}={v}")).unwrap_or_default();
    format!("page{}{}", part("limit", page.limit), part("offset", page.offset))
}

/// The items array of a list answer, or failures saying why there is none.
fn items_of<'e>(
    ex: &'e Exchange,
    what: &str,
    pointer: &str,
    spec: &str,
    failures: &mut Vec<Failure>,
) -> Option<&'e Vec<Value>> {
    let resp = match &ex.response {
        Ok(resp) => resp,
        Err(e) => {
            failures.push(
                Failure::new(format!("{what} got no response"), "status 200 with the items", e.message.clone())
                    .at(spec),
            );
            return None;
        }
    };
    super::list_items(resp, what, pointer, spec, failures)
}

/// The count of a list answer, or a failure when it is absent or not a non-negative integer.
fn count_of(resp: &ResponseRecord, what: &str, pointer: &str, spec: &str, failures: &mut Vec<Failure>) -> Option<u64> {
    let value = resp.json.as_ref().and_then(|j| j.pointer(pointer));
    match value.and_then(Value::as_u64) {
        Some(c) => Some(c),
        None => {
            failures.push(
                Failure::new(
                    format!("{what} has no integer count at {}", show_pointer(pointer)),
                    format!("a non-negative integer at {}", show_pointer(pointer)),
                    value.map(value_excerpt).unwrap_or_else(|| "(absent)".to_owned()),
                )
                .at(spec),
            );
            None
        }
    }
}

/// What identifies an item: its `id`, or the whole item when it has none.
fn key_of(item: &Value) -> String {
    match item.get("id") {
        Some(Value::String(s)) => s.clone(),
        Some(id @ Value::Number(_)) => id.to_string(),
        _ => item.to_string(),
    }
}

/// Keys for messages: the first twenty, each shortened.
fn keys_text(keys: &[String]) -> String {
    let shown: Vec<String> = keys.iter().take(20).map(|k| super::excerpt(k, 60)).collect();
    let more = if keys.len() > 20 { format!(" and {} more", keys.len() - 20) } else { String::new() };
    format!("{}{more}", list(&shown))
}

/// The disagreements recorded on the `limit` parameter.
fn limit_disagreements(ctx: &CheckContext) -> Vec<String> {
    ctx.specs
        .sdrs
        .document
        .pointer(&format!("{LIMIT_PARAMETER}/x-sdrs-disagreements"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// INC-54: `count` is the page size or the total of matches, depending on the list page.
const PAGE_OR_TOTAL: &str = "INC-54";

/// `ids` without `id`.
fn without(ids: &[String], id: &str) -> Vec<String> {
    ids.iter().filter(|d| *d != id).cloned().collect()
}

/// The registry's entry: a list read whole and page by page.
pub(super) fn judge(ctx: &CheckContext, ev: &Evidence) -> Option<CheckResult> {
    let Evidence::Pages(pages) = ev else { return None };
    Some(pagination(ctx, pages))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{ctx, no_response, strict};
    use crate::checks::CheckOutcome;
    use serde_json::json;

    fn listing(ids: &[&str], count: Value) -> Exchange {
        let items: Vec<Value> = ids.iter().map(|i| json!({"id": i})).collect();
        Exchange::fake(
            "listProtectionGroups",
            "GET",
            "/v1/p/server-groups",
            200,
            json!({"server_groups": items, "count": count}),
        )
    }

    fn evidence<'a>(full: &'a Exchange, pages: Vec<Page<'a>>) -> PaginationEvidence<'a> {
        PaginationEvidence {
            items_pointer: "/server_groups".into(),
            count_pointer: Some("/count".into()),
            count_disputed: vec!["INC-54".into()],
            full,
            pages,
            filters: Vec::new(),
        }
    }

    #[test]
    fn pages_that_slice_the_full_list_pass() {
        let full = listing(&["a", "b", "c", "d"], json!(4));
        let p1 = listing(&["b", "c"], json!(4));
        let p2 = listing(&["d"], json!(4));
        let p3 = listing(&[], json!(4));
        let p4 = listing(&["c", "d"], json!(4));
        let pages = vec![
            Page { limit: Some(2), offset: Some(1), exchange: &p1 },
            Page { limit: Some(10), offset: Some(3), exchange: &p2 },
            Page { limit: Some(2), offset: Some(99), exchange: &p3 },
            Page { limit: None, offset: Some(2), exchange: &p4 },
        ];
        let r = pagination(&ctx(), &evidence(&full, pages));
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn items_without_ids_are_compared_whole() {
        let full = Exchange::fake(
            "listProtectedInstanceProjectTags",
            "GET",
            "/",
            200,
            json!({"tags": [{"key": "a"}, {"key": "b"}]}),
        );
        let page = Exchange::fake("listProtectedInstanceProjectTags", "GET", "/", 200, json!({"tags": [{"key": "a"}]}));
        let ev = PaginationEvidence {
            items_pointer: "/tags".into(),
            count_pointer: None,
            count_disputed: vec![],
            full: &full,
            filters: Vec::new(),
            pages: vec![Page { limit: Some(1), offset: Some(1), exchange: &page }],
        };
        let r = pagination(&ctx(), &ev);
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures[0].expected, "1 items: {\"key\":\"b\"}");
    }

    #[test]
    fn a_page_with_the_wrong_items_fails() {
        let full = listing(&["a", "b", "c"], json!(3));
        let page = listing(&["a", "b"], json!(3));
        let r = pagination(&ctx(), &evidence(&full, vec![Page { limit: Some(2), offset: Some(1), exchange: &page }]));
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures.len(), 1, "{}", r.details());
        assert_eq!(r.failures[0].title, "page limit=2 offset=1: the items are not items 1..3 of the full list");
        assert_eq!(r.failures[0].expected, "2 items: b, c");
        assert_eq!(r.failures[0].actual, "2 items: a, b");
    }

    #[test]
    fn a_page_count_equal_to_the_page_size_warns_as_disputed() {
        let full = listing(&["a", "b", "c"], json!(3));
        let page = listing(&["a"], json!(1));
        let ev = evidence(&full, vec![Page { limit: Some(1), offset: None, exchange: &page }]);
        let r = pagination(&ctx(), &ev);
        assert_eq!(r.outcome, CheckOutcome::Warned, "{}", r.details());
        assert_eq!(r.failures[0].title, "page limit=1: count is 1, not the total 3");
        assert_eq!(pagination(&strict(), &ev).outcome, CheckOutcome::Failed);
    }

    #[test]
    fn a_full_count_that_differs_from_the_items_fails_under_either_reading_of_count() {
        let full = listing(&["a", "b"], json!(5));
        let r = pagination(&ctx(), &evidence(&full, vec![]));
        assert_eq!(r.outcome, CheckOutcome::Failed, "{}", r.details());
        assert_eq!(r.failures[0].title, "the full list counts 5 but holds 2 items");
        let mut ev = evidence(&full, vec![]);
        ev.count_disputed = vec!["INC-18".into()];
        assert_eq!(pagination(&ctx(), &ev).outcome, CheckOutcome::Warned);
    }

    #[test]
    fn a_count_that_is_not_an_integer_fails() {
        let full = listing(&["a"], json!("1"));
        let r = pagination(&ctx(), &evidence(&full, vec![]));
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures[0].title, "the full list has no integer count at /count");
    }

    #[test]
    fn a_page_that_is_not_200_fails_and_the_other_pages_are_still_judged() {
        let full = listing(&["a", "b"], json!(2));
        let bad = Exchange::fake(
            "listProtectionGroups",
            "GET",
            "/",
            400,
            json!({"error": {"code": "SDRS.0221", "message": "m"}}),
        );
        let wrong = listing(&["a"], json!(2));
        let pages = vec![
            Page { limit: Some(5000), offset: None, exchange: &bad },
            Page { limit: Some(1), offset: Some(1), exchange: &wrong },
        ];
        let r = pagination(&ctx(), &evidence(&full, pages));
        assert_eq!(r.failures.len(), 2, "{}", r.details());
        assert_eq!(r.failures[0].title, "page limit=5000 answered 400");
    }

    #[test]
    fn an_item_that_does_not_match_the_filter_fails() {
        let full = Exchange::fake(
            "listProtectedInstances",
            "GET",
            "/",
            200,
            json!({"protected_instances": [{"id": "a", "server_group_id": "g1"}, {"id": "b", "server_group_id": "g2"}], "count": 2}),
        );
        let mut ev = evidence(&full, vec![]);
        ev.items_pointer = "/protected_instances".into();
        ev.filters = vec![("server_group_id".into(), "g1".into(), false)];
        let r = pagination(&ctx(), &ev);
        assert_eq!(r.outcome, CheckOutcome::Failed, "{}", r.details());
        assert_eq!(r.failures[0].title, "item 1 of the list does not match the filter server_group_id=g1");
        ev.filters = vec![("server_group_id".into(), "G".into(), true)];
        assert_eq!(pagination(&ctx(), &ev).outcome, CheckOutcome::Passed);
    }

    #[test]
    fn a_limit_of_zero_is_disputed() {
        let full = listing(&["a", "b"], json!(2));
        let page = listing(&["a", "b"], json!(2));
        let r = pagination(&ctx(), &evidence(&full, vec![Page { limit: Some(0), offset: None, exchange: &page }]));
        assert_eq!(r.outcome, CheckOutcome::Warned, "{}", r.details());
        assert_eq!(r.failures[0].disagreements(), vec!["INC-14".to_owned(), "INC-15".to_owned()]);
    }

    #[test]
    fn huge_offsets_and_limits_do_not_panic() {
        let full = listing(&["a"], json!(1));
        let page = listing(&[], json!(1));
        let page2 = listing(&["a"], json!(1));
        let pages = vec![
            Page { limit: Some(u64::MAX), offset: Some(u64::MAX), exchange: &page },
            Page { limit: Some(u64::MAX), offset: Some(0), exchange: &page2 },
        ];
        let r = pagination(&ctx(), &evidence(&full, pages));
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn a_full_list_without_an_answer_fails() {
        let full = no_response("listProtectionGroups");
        let r = pagination(&ctx(), &evidence(&full, vec![]));
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures[0].title, "the full list got no response");
    }

    #[test]
    fn the_failure_display_is_stable() {
        let full = listing(&["a", "b", "c"], json!(3));
        let page = listing(&["a", "b"], json!(2));
        let r = pagination(&ctx(), &evidence(&full, vec![Page { limit: Some(2), offset: Some(1), exchange: &page }]));
        insta::assert_snapshot!(crate::checks::test_support::display(&r));
    }
}

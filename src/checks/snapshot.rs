//! `snapshot`: a payload matches its recorded snapshot, exactly or in shape. Redaction of ids and
//! timestamps is the caller's job.

use super::Evidence;
use super::{value_excerpt, CheckContext, CheckName, CheckResult, Failure};
use serde_json::{Map, Value};

/// Most differences reported one by one; the rest are counted.
const MAX_DIFFERENCES: usize = 20;

/// Why a shape difference only warns: the snapshot is ours, not the reference's (readings.yaml).
const SHAPE_IS_A_READING: &str = "GAP-05";

/// How a payload is compared with its snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotMode {
    /// Every value must be equal.
    Exact,
    /// Only keys and JSON types must be equal (see [`shape_of`]).
    Shape,
}

/// Compares `actual` with the `stored` snapshot `name`; skipped when nothing was recorded.
pub fn snapshot(
    ctx: &CheckContext,
    name: &str,
    mode: SnapshotMode,
    actual: &Value,
    stored: Option<&Value>,
) -> CheckResult {
    let check = CheckName::Snapshot;
    let Some(stored) = stored else {
        return CheckResult::skipped(check, format!("no snapshot recorded for {name}"));
    };
    let mut diffs = Vec::new();
    match mode {
        SnapshotMode::Exact => diff(stored, actual, String::new(), &mut diffs),
        SnapshotMode::Shape => diff_shapes(&shape_of(stored), &shape_of(actual), String::new(), &mut diffs),
    }
    if mode == SnapshotMode::Shape {
        // Another server may add keys: the reference never closes an answer.
        diffs.retain(|d| d.what != "not in the snapshot");
    }
    let total = diffs.len();
    let spec = format!("snapshot {name}");
    let judged = |f: Failure| match mode {
        SnapshotMode::Exact => f,
        SnapshotMode::Shape => f.disputed(&[SHAPE_IS_A_READING.to_owned()]),
    };
    let mut failures: Vec<Failure> = diffs
        .into_iter()
        .take(MAX_DIFFERENCES)
        .map(|d| {
            let pointer = if d.pointer.is_empty() { "(root)".to_owned() } else { d.pointer };
            judged(Failure::new(format!("{pointer}: {}", d.what), d.expected, d.actual).at(spec.clone()))
        })
        .collect();
    if total > MAX_DIFFERENCES {
        failures.push(judged(Failure::new(format!("... and {} more", total - MAX_DIFFERENCES), "", "").at(spec)));
    }
    CheckResult::from_failures(check, failures, ctx.strict)
}

/// The shape of a value: object keys kept, leaves replaced by their JSON type name (`"string"`,
/// `"number"`, `"boolean"`, `"null"`), arrays reduced to the distinct shapes of their items.
///
/// Keys come out sorted and item shapes sorted and deduplicated, so equal shapes compare equal
/// whatever the order of keys and items.
pub fn shape_of(v: &Value) -> Value {
    match v {
        Value::Null => Value::String("null".into()),
        Value::Bool(_) => Value::String("boolean".into()),
        Value::Number(_) => Value::String("number".into()),
        Value::String(_) => Value::String("string".into()),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(keys.into_iter().map(|k| (k.clone(), shape_of(&map[k]))).collect::<Map<String, Value>>())
        }
        Value::Array(items) => {
            let mut shapes: Vec<(String, Value)> = items
                .iter()
                .map(|item| {
                    let s = shape_of(item);
                    (s.to_string(), s)
                })
                .collect();
            shapes.sort_by(|a, b| a.0.cmp(&b.0));
            shapes.dedup_by(|a, b| a.0 == b.0);
            Value::Array(shapes.into_iter().map(|(_, s)| s).collect())
        }
    }
}

/// One difference at a JSON pointer.
struct Difference {
    pointer: String,
    what: &'static str,
    expected: String,
    actual: String,
}

fn push(out: &mut Vec<Difference>, pointer: &str, what: &'static str, expected: String, actual: String) {
    out.push(Difference { pointer: pointer.to_owned(), what, expected, actual });
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Keys missing from `actual`, keys not in `stored`, and `compare` on the values of shared keys.
fn diff_objects(
    stored: &serde_json::Map<String, Value>,
    actual: &serde_json::Map<String, Value>,
    pointer: &str,
    out: &mut Vec<Difference>,
    compare: fn(&Value, &Value, String, &mut Vec<Difference>),
) {
    for (k, sv) in stored {
        let p = format!("{pointer}/{}", escape(k));
        match actual.get(k) {
            Some(av) => compare(sv, av, p, out),
            None => push(out, &p, "missing", value_excerpt(sv), "(absent)".into()),
        }
    }
    for (k, av) in actual.iter().filter(|(k, _)| !stored.contains_key(*k)) {
        push(out, &format!("{pointer}/{}", escape(k)), "not in the snapshot", "(absent)".into(), value_excerpt(av));
    }
}

/// Every pointer where `actual` differs from `stored`.
fn diff(stored: &Value, actual: &Value, pointer: String, out: &mut Vec<Difference>) {
    match (stored, actual) {
        (Value::Object(s), Value::Object(a)) => diff_objects(s, a, &pointer, out, diff),
        (Value::Array(s), Value::Array(a)) => {
            for (i, (sv, av)) in s.iter().zip(a).enumerate() {
                diff(sv, av, format!("{pointer}/{i}"), out);
            }
            for (i, sv) in s.iter().enumerate().skip(a.len()) {
                push(out, &format!("{pointer}/{i}"), "missing", value_excerpt(sv), "(absent)".into());
            }
            for (i, av) in a.iter().enumerate().skip(s.len()) {
                push(out, &format!("{pointer}/{i}"), "not in the snapshot", "(absent)".into(), value_excerpt(av));
            }
        }
        (s, a) if s == a => {}
        (s, a) => push(out, &pointer, "differs from the snapshot", value_excerpt(s), value_excerpt(a)),
    }
}

/// Every pointer where two shapes differ; array shapes are compared as sets of item shapes,
/// and a single item shape on both sides is compared key by key (pointer segment `*`).
fn diff_shapes(stored: &Value, actual: &Value, pointer: String, out: &mut Vec<Difference>) {
    match (stored, actual) {
        (Value::Object(s), Value::Object(a)) => diff_objects(s, a, &pointer, out, diff_shapes),
        // An empty list (or a recorded empty list) says nothing about the items' shape.
        (Value::Array(s), Value::Array(a)) if s.is_empty() || a.is_empty() => {}
        (Value::Array(s), Value::Array(a)) if s.len() == 1 && a.len() == 1 => {
            diff_shapes(&s[0], &a[0], format!("{pointer}/*"), out);
        }
        (Value::Array(s), Value::Array(a)) => {
            let p = format!("{pointer}/*");
            for sv in s.iter().filter(|sv| !a.contains(sv)) {
                push(out, &p, "item shape missing", value_excerpt(sv), "(absent)".into());
            }
            for av in a.iter().filter(|av| !s.contains(av)) {
                push(out, &p, "item shape not in the snapshot", "(absent)".into(), value_excerpt(av));
            }
        }
        (s, a) if s == a => {}
        (s, a) => push(out, &pointer, "has another type than in the snapshot", value_excerpt(s), value_excerpt(a)),
    }
}

/// The registry's entry: a payload and its recorded snapshot.
pub(super) fn judge(ctx: &CheckContext, ev: &Evidence) -> Option<CheckResult> {
    let Evidence::Snapshot { name, mode, actual, stored } = ev else { return None };
    Some(snapshot(ctx, name, *mode, actual, *stored))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::ctx;
    use crate::checks::CheckOutcome;
    use serde_json::json;

    #[test]
    fn an_equal_payload_passes() {
        let v = json!({"server_group": {"id": "<server_group_id:1>", "status": "available", "tags": [1, 2]}});
        let r = snapshot(&ctx(), "show_protection_group", SnapshotMode::Exact, &v, Some(&v.clone()));
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn key_order_does_not_matter() {
        let a = json!({"a": 1, "b": 2});
        let b = json!({"b": 2, "a": 1});
        assert_eq!(snapshot(&ctx(), "x", SnapshotMode::Exact, &a, Some(&b)).outcome, CheckOutcome::Passed);
    }

    #[test]
    fn every_differing_pointer_is_a_failure() {
        let stored = json!({"a": {"b": 1, "gone": true}, "list": [1, 2, 3], "k/e~y": "x"});
        let actual = json!({"a": {"b": 2, "new": null}, "list": [1, 5], "k/e~y": "y"});
        let r = snapshot(&ctx(), "x", SnapshotMode::Exact, &actual, Some(&stored));
        assert_eq!(r.outcome, CheckOutcome::Failed);
        let titles: Vec<&str> = r.failures.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(
            titles,
            vec![
                "/a/b: differs from the snapshot",
                "/a/gone: missing",
                "/a/new: not in the snapshot",
                "/list/1: differs from the snapshot",
                "/list/2: missing",
                "/k~1e~0y: differs from the snapshot",
            ]
        );
        assert_eq!(r.failures[0].expected, "1");
        assert_eq!(r.failures[0].actual, "2");
        assert_eq!(r.failures[0].spec.as_deref(), Some("snapshot x"));
    }

    #[test]
    fn more_than_twenty_differences_are_counted() {
        let stored = json!((0..50).collect::<Vec<i32>>());
        let actual = json!((100..150).collect::<Vec<i32>>());
        let r = snapshot(&ctx(), "x", SnapshotMode::Exact, &actual, Some(&stored));
        assert_eq!(r.failures.len(), 21);
        assert_eq!(r.failures[20].title, "... and 30 more");
    }

    #[test]
    fn a_different_root_type_is_one_failure() {
        let r = snapshot(&ctx(), "x", SnapshotMode::Exact, &json!([1]), Some(&json!({"a": 1})));
        assert_eq!(r.failures.len(), 1);
        assert_eq!(r.failures[0].title, "(root): differs from the snapshot");
    }

    #[test]
    fn no_recorded_snapshot_is_skipped() {
        let r = snapshot(&ctx(), "show_protection_group", SnapshotMode::Exact, &json!({}), None);
        assert_eq!(r.outcome, CheckOutcome::Skipped);
        assert_eq!(r.message, "no snapshot recorded for show_protection_group");
    }

    #[test]
    fn the_shape_keeps_keys_and_names_leaf_types() {
        let v = json!({"b": [1, 2.5, "x", {"k": null}, {"k": true}, 3], "a": false});
        assert_eq!(shape_of(&v), json!({"a": "boolean", "b": ["number", "string", {"k": "boolean"}, {"k": "null"}]}));
        assert_eq!(shape_of(&json!([])), json!([]));
    }

    #[test]
    fn a_payload_with_other_values_but_the_same_shape_passes() {
        let stored = json!({"items": [{"id": "a", "n": 1}], "count": 1});
        let actual = json!({"items": [{"id": "b", "n": 7}, {"id": "c", "n": 8}], "count": 2});
        let r = snapshot(&ctx(), "x", SnapshotMode::Shape, &actual, Some(&stored));
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn a_payload_with_another_shape_warns_per_pointer_and_fails_when_strict() {
        let stored = json!({"items": [{"id": "a", "n": 1}], "count": 1});
        let actual = json!({"items": [{"id": 5, "extra": true}], "count": "1"});
        let r = snapshot(&ctx(), "x", SnapshotMode::Shape, &actual, Some(&stored));
        assert_eq!(r.outcome, CheckOutcome::Warned);
        let titles: Vec<&str> = r.failures.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(
            titles,
            vec![
                "/count: has another type than in the snapshot",
                "/items/*/id: has another type than in the snapshot",
                "/items/*/n: missing",
            ]
        );
        let r = snapshot(&crate::checks::test_support::strict(), "x", SnapshotMode::Shape, &actual, Some(&stored));
        assert_eq!(r.outcome, CheckOutcome::Failed);
        let stored = json!({"items": [{"id": "a"}]});
        let actual = json!({"items": [{"id": "a"}, {"id": null}]});
        let r = snapshot(&ctx(), "x", SnapshotMode::Shape, &actual, Some(&stored));
        assert_eq!(r.failures.len(), 1, "{}", r.details());
        assert_eq!(r.failures[0].title, "/items/*: item shape not in the snapshot");
    }

    #[test]
    fn the_failure_display_is_stable() {
        let stored = json!({"items": [{"id": "a", "n": 1}], "count": 1});
        let actual = json!({"items": [{"id": 5, "extra": true}], "count": "1"});
        let r = snapshot(&ctx(), "list_protection_groups", SnapshotMode::Shape, &actual, Some(&stored));
        insta::assert_snapshot!(crate::checks::test_support::display(&r));
    }

    #[test]
    fn an_empty_list_fits_any_recorded_item_shape() {
        let stored = json!({"items": [{"id": "a", "n": 1}]});
        let r = snapshot(&ctx(), "s", SnapshotMode::Shape, &json!({"items": []}), Some(&stored));
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
        let r = snapshot(&ctx(), "s", SnapshotMode::Shape, &json!({"items": [{"id": 5}]}), Some(&stored));
        assert_eq!(r.outcome, CheckOutcome::Warned);
    }

    #[test]
    fn extra_keys_pass_in_shape_mode_and_fail_an_exact_comparison() {
        let stored = json!({"items": [{"id": "a"}]});
        let actual = json!({"items": [{"id": "b", "vendor": true}], "more": 1});
        let r = snapshot(&ctx(), "s", SnapshotMode::Shape, &actual, Some(&stored));
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
        let r = snapshot(&ctx(), "s", SnapshotMode::Exact, &actual, Some(&stored));
        assert_eq!(r.outcome, CheckOutcome::Failed);
    }
}

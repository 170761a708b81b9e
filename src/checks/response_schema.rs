//! `response_schema`: the body validates against the schema the operation documents for the
//! status received. A violation met under a schema node that records a disagreement of the
//! source documents (`x-sdrs-disagreements`) only warns.

use super::Evidence;
use super::{body_excerpt, excerpt, show_pointer, value_excerpt, CheckContext, CheckName, CheckResult, Failure};
use crate::exchange::Exchange;
use crate::spec::Operation;
use serde_json::Value;

/// Longest schema message quoted in a title.
const MESSAGE_CHARS: usize = 300;

/// How many `$ref`/`allOf`/`anyOf`/`oneOf` hops the disagreement walk follows from one node.
const MAX_EXPANSION: usize = 64;

/// Validates the body of `ex` against the schema `op` documents for its status.
pub fn response_schema(ctx: &CheckContext, op: &Operation, ex: &Exchange) -> CheckResult {
    let name = CheckName::ResponseSchema;
    let Some(resp) = ex.ok() else {
        return CheckResult::skipped(name, "no response (judged by status_code)");
    };
    let Some(documented) = op.responses.get(&resp.status) else {
        return CheckResult::skipped(
            name,
            format!("status {} is not documented for {} (judged by status_code)", resp.status, op.id),
        );
    };
    let request: Option<Value> = ex.request.body.as_deref().and_then(|b| serde_json::from_str(b).ok());
    let (pointer, chosen) = documented.schema_for(request.as_ref());
    let Some(pointer) = pointer else {
        return CheckResult::skipped(name, format!("status {} of {} documents no body schema", resp.status, op.id));
    };
    // A schema picked by the request says so, with the section that states that answer's shape.
    let answer_to =
        chosen.map(|k| format!(" (the answer to {}={}, section {})", k.field, k.value, k.section)).unwrap_or_default();
    let file = &op.location.file;
    let Some(json) = resp.json.as_ref() else {
        let failure = Failure::new(
            format!("the status {} body is not JSON, so it cannot fit its schema", resp.status),
            "a JSON body that fits the documented schema",
            body_excerpt(resp),
        )
        .at(format!("{file}#{pointer}"));
        return CheckResult::from_failures(name, vec![failure], ctx.strict);
    };
    let cache = ctx.schemas.for_operation(op);
    let violations = match cache.violations(pointer, json) {
        Ok(v) => v,
        // The spec, not the target, is at fault: the check cannot judge.
        Err(e) => return CheckResult::skipped(name, format!("cannot judge: {e}")),
    };
    let document = cache.document();
    let failures = violations
        .into_iter()
        .map(|v| {
            let schema_at = if v.schema_path.is_empty() { pointer.to_owned() } else { v.schema_path.clone() };
            let actual = match json.pointer(&v.instance_path) {
                Some(value) => value_excerpt(value),
                None => "(absent)".to_owned(),
            };
            let levels = nodes_along(document, pointer, &v.instance_path);
            let failure = Failure::new(
                format!("{}: {}", show_pointer(&v.instance_path), excerpt(&v.message, MESSAGE_CHARS)),
                format!("the `{}` rule of the schema at {schema_at}{answer_to}", v.keyword),
                actual,
            )
            .at(format!("{file}#{schema_at}"))
            .source(format!("{}: the response-parameter table", op.source()))
            // Tags on the response's root describe the page (its examples, its counts), not a field.
            .disputed(&below_root(&levels, "x-sdrs-disagreements"));
            let leaf = levels.last().map(Vec::as_slice).unwrap_or_default();
            let mut gaps: Vec<String> = leaf
                .iter()
                .filter_map(|n| n.get("x-sdrs-inferred")?.get(&v.keyword)?.as_str())
                .map(str::to_owned)
                .collect();
            if let Some(missing) = &v.missing {
                let stated = crate::spec::strings_under(leaf.iter().copied(), "x-sdrs-always-present")
                    .iter()
                    .any(|p| p == missing);
                if !stated {
                    gaps.push(LISTED_NOT_ALWAYS_PRESENT.to_owned());
                }
            }
            failure.disputed(&gaps)
        })
        .collect();
    CheckResult::from_failures(name, failures, ctx.strict)
}

/// A listed response field is absent: tables have no mandatory column (readings.yaml).
const LISTED_NOT_ALWAYS_PRESENT: &str = "GAP-01";

/// The schema nodes that describe each level of `instance_path` below the schema at
/// `schema_pointer` (local `$ref`s resolved; `properties`, `items`, `prefixItems`,
/// `additionalProperties` and `allOf`/`anyOf`/`oneOf` branches followed): the root's first.
fn nodes_along<'a>(document: &'a Value, schema_pointer: &str, instance_path: &str) -> Vec<Vec<&'a Value>> {
    let Some(root) = document.pointer(schema_pointer) else {
        return Vec::new();
    };
    let mut levels = vec![expand(document, vec![root])];
    for segment in segments(instance_path) {
        let Some(level) = levels.last() else { break };
        let next: Vec<&Value> = level.iter().flat_map(|node| children(node, &segment)).collect();
        if next.is_empty() {
            break;
        }
        levels.push(expand(document, next));
    }
    levels
}

/// The unescaped segments of a JSON pointer.
fn segments(pointer: &str) -> Vec<String> {
    pointer.split('/').skip(1).map(|s| s.replace("~1", "/").replace("~0", "~")).collect()
}

/// The subschemas that apply to the member `segment` of an instance `node` describes.
fn children<'a>(node: &'a Value, segment: &str) -> Vec<&'a Value> {
    let mut out = Vec::new();
    if let Some(p) = node.get("properties").and_then(|p| p.get(segment)) {
        out.push(p);
    } else if let Some(a) = node.get("additionalProperties").filter(|a| a.is_object()) {
        out.push(a);
    }
    if let Ok(index) = segment.parse::<usize>() {
        match node.get("prefixItems").and_then(Value::as_array).and_then(|p| p.get(index)) {
            Some(p) => out.push(p),
            None => {
                if let Some(items) = node.get("items").filter(|i| i.is_object()) {
                    out.push(items);
                }
            }
        }
    }
    out
}

/// The nodes plus everything they stand for: `$ref` targets and `allOf`/`anyOf`/`oneOf` branches.
fn expand<'a>(document: &'a Value, nodes: Vec<&'a Value>) -> Vec<&'a Value> {
    let mut out: Vec<&'a Value> = Vec::new();
    let mut queue = nodes;
    while let Some(node) = queue.pop() {
        if out.len() >= MAX_EXPANSION {
            break;
        }
        if out.iter().any(|seen| std::ptr::eq(*seen, node)) {
            continue;
        }
        out.push(node);
        if let Some(target) =
            node.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')).and_then(|p| document.pointer(p))
        {
            queue.push(target);
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(branches) = node.get(key).and_then(Value::as_array) {
                queue.extend(branches.iter());
            }
        }
    }
    out
}

/// What the nodes below the response's root record under `key` (tags on the root describe the page).
fn below_root(levels: &[Vec<&Value>], key: &str) -> Vec<String> {
    crate::spec::strings_under(levels.iter().skip(1).flatten().copied(), key)
}

/// The registry's entry: every answer to a request.
pub(super) fn judge(ctx: &CheckContext, ev: &Evidence) -> Option<CheckResult> {
    let Evidence::Answer(a) = ev else { return None };
    Some(response_schema(ctx, a.op, a.exchange))
}

/// Every `x-sdrs-disagreements` entry met walking the schema at `schema_pointer` along `instance_path`.
#[cfg(test)]
fn disagreements_along(document: &Value, schema_pointer: &str, instance_path: &str) -> Vec<String> {
    below_root(&nodes_along(document, schema_pointer, instance_path), "x-sdrs-disagreements")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::{ctx, no_response, op, raw, strict};
    use crate::checks::CheckOutcome;
    use serde_json::json;

    fn group() -> Value {
        json!({
            "id": "0b3f5a4c-1d2e-4f60-8a7b-9c0d1e2f3a4b",
            "name": "pg-1",
            "description": null,
            "status": "available",
            "progress": 0,
            "source_availability_zone": "az1",
            "target_availability_zone": "az2",
            "domain_id": "d1",
            "domain_name": "domain",
            "priority_station": "source",
            "protected_instance_num": 0,
            "replication_num": 0,
            "disaster_recovery_drill_num": 0,
            "protected_status": null,
            "replication_status": null,
            "health_status": null,
            "source_vpc_id": "vpc-1",
            "target_vpc_id": "vpc-1",
            "test_vpc_id": null,
            "dr_type": "migration",
            "created_at": "2019-04-01 12:00:00.000",
            "updated_at": "2019-04-01 12:00:00.000",
            "protection_type": "replication-pair",
            "replication_model": null,
            "server_type": "ECS"
        })
    }

    fn job() -> Value {
        json!({
            "job_id": "0123456789abcdef0123456789abcdef",
            "job_type": "createProtectionGroupNoCG",
            "status": "SUCCESS",
            "begin_time": "2019-04-01T12:00:00.000Z",
            "end_time": "2019-04-01T12:00:05.000Z",
            "error_code": null,
            "fail_reason": null,
            "entities": {"server_group_id": "g"}
        })
    }

    #[test]
    fn a_body_that_fits_its_schema_passes() {
        let ex = Exchange::fake(
            "showProtectionGroup",
            "GET",
            "/v1/p/server-groups/g",
            200,
            json!({"server_group": group()}),
        );
        let r = response_schema(&ctx(), op("showProtectionGroup"), &ex);
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
        let ex = Exchange::fake("showJobStatus", "GET", "/v1/p/jobs/j", 200, job());
        let r = response_schema(&ctx(), op("showJobStatus"), &ex);
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
    }

    #[test]
    fn every_violation_is_a_failure_titled_by_its_instance_pointer() {
        let mut body = job();
        body["status"] = json!("DONE");
        body["entities"] = json!([]);
        let ex = Exchange::fake("showJobStatus", "GET", "/v1/p/jobs/j", 200, body);
        let r = response_schema(&ctx(), op("showJobStatus"), &ex);
        assert_eq!(r.outcome, CheckOutcome::Failed, "{}", r.details());
        assert_eq!(r.failures.len(), 2, "{}", r.details());
        let status = r.failures.iter().find(|f| f.title.starts_with("/status: ")).expect("status failure");
        assert_eq!(status.spec.as_deref(), Some("specs/sdrs-v1.openapi.yaml#/components/schemas/JobStatus/enum"));
        assert_eq!(status.actual, "\"DONE\"");
        assert!(status.disagreements().is_empty());
        assert!(r.failures.iter().any(|f| f.title.starts_with("/entities: ")));
    }

    #[test]
    fn a_missing_required_property_names_the_object() {
        let ex = Exchange::fake("createProtectionGroup", "POST", "/v1/p/server-groups", 200, json!({"id": "x"}));
        let r = response_schema(&ctx(), op("createProtectionGroup"), &ex);
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures[0].title, "(root): \"job_id\" is a required property");
        assert_eq!(
            r.failures[0].expected,
            "the `required` rule of the schema at /components/schemas/AsyncJobResponse/required"
        );
    }

    #[test]
    fn a_violation_under_a_disputed_node_warns_with_every_disagreement_on_the_way() {
        let mut g = group();
        g["created_at"] = json!("01/04/2019");
        let ex = Exchange::fake(
            "listProtectionGroups",
            "GET",
            "/v1/p/server-groups",
            200,
            json!({"server_groups": [g], "count": 1}),
        );
        let r = response_schema(&ctx(), op("listProtectionGroups"), &ex);
        assert_eq!(r.outcome, CheckOutcome::Warned, "{}", r.details());
        let d = &r.failures[0].disagreements();
        assert_eq!(d, &vec!["INC-43".to_owned()], "only the tags on the way to the field count");
        let r = response_schema(&strict(), op("listProtectionGroups"), &ex);
        assert_eq!(r.outcome, CheckOutcome::Failed);
    }

    #[test]
    fn the_walk_goes_through_refs_items_and_branches() {
        let doc = ctx().schemas.for_operation(op("showJobStatus")).document().clone();
        let pointer = op("showJobStatus").responses[&200].schema_pointer.clone().expect("schema");
        // sub_jobs items are Jobs again: their job_id carries INC-50.
        let d = disagreements_along(&doc, &pointer, "/entities/sub_jobs/0/job_id");
        assert_eq!(d, vec!["INC-50".to_owned()]);
        // end_time is anyOf [Timestamp, null]: the Timestamp branch carries INC-43.
        let d = disagreements_along(&doc, &pointer, "/end_time");
        assert_eq!(d, vec!["INC-43".to_owned()]);
        // An error body: the wrapped form's additionalProperties lead to ErrorDetail.
        let pointer = op("showJobStatus").responses[&400].schema_pointer.clone().expect("schema");
        // The envelope's own tag (INC-34, on the root) says both shapes exist, not that a field is disputed.
        let d = disagreements_along(&doc, &pointer, "/error/code");
        assert!(d.is_empty(), "{d:?}");
        // A path the schema does not describe stops the walk without panicking.
        let d = disagreements_along(&doc, &pointer, "/a/b/c/~1x/~0y/99999999999999999999999");
        assert!(d.is_empty(), "{d:?}");
    }

    fn by_tags(action: &str, answer: Value) -> Exchange {
        let mut ex = Exchange::fake(
            "listProtectedInstancesByTags",
            "POST",
            "/v1/p/protected-instances/resource_instances/action",
            200,
            answer,
        );
        ex.request.body = Some(json!({"action": action}).to_string());
        ex
    }

    #[test]
    fn a_count_answer_carrying_more_than_total_count_fails_citing_5_8_1() {
        let op = op("listProtectedInstancesByTags");
        let r = response_schema(&ctx(), op, &by_tags("count", json!({"total_count": 3, "resources": []})));
        assert_eq!(r.outcome, CheckOutcome::Failed, "{}", r.details());
        assert_eq!(r.failures.len(), 1, "{}", r.details());
        let f = &r.failures[0];
        assert!(f.expected.ends_with("(the answer to action=count, section 5.8.1)"), "{}", f.expected);
        assert!(f.spec.as_deref().unwrap_or("").contains("ResourceInstancesCountResponse"), "{f}");
        assert!(f.disagreements().is_empty(), "stated by the reference, never a warning: {f}");
    }

    #[test]
    fn a_pure_count_answer_passes_and_a_filter_answer_keeps_the_open_schema() {
        let op = op("listProtectedInstancesByTags");
        let r = response_schema(&ctx(), op, &by_tags("count", json!({"total_count": 3})));
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
        let r = response_schema(&ctx(), op, &by_tags("filter", json!({"total_count": 0, "resources": [], "x": 1})));
        assert_eq!(r.outcome, CheckOutcome::Passed, "{}", r.details());
        let r = response_schema(&ctx(), op, &by_tags("count", json!({"total_count": "3"})));
        assert_eq!(r.outcome, CheckOutcome::Failed, "total_count is an integer: {}", r.details());
    }

    #[test]
    fn a_body_that_is_not_json_fails() {
        let ex = raw("showProtectionGroup", 200, Some("application/json"), b"{\"server_group\":");
        let r = response_schema(&ctx(), op("showProtectionGroup"), &ex);
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(r.failures[0].title, "the status 200 body is not JSON, so it cannot fit its schema");
    }

    #[test]
    fn huge_and_oddly_typed_bodies_do_not_panic() {
        let body = json!({"server_groups": (0..2000).map(|i| json!({"id": i})).collect::<Vec<_>>(), "count": 1e308});
        let ex = Exchange::fake("listProtectionGroups", "GET", "/v1/p/server-groups", 200, body);
        let r = response_schema(&ctx(), op("listProtectionGroups"), &ex);
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert!(r.failures.len() > 2000);
        for body in [json!(null), json!(7), json!("s"), json!([[[]]])] {
            let ex = Exchange::fake("showJobStatus", "GET", "/v1/p/jobs/j", 200, body);
            let _ = response_schema(&ctx(), op("showJobStatus"), &ex);
        }
    }

    #[test]
    fn undocumented_statuses_bodiless_statuses_and_no_response_are_skipped() {
        let ex = Exchange::fake("showProtectionGroup", "GET", "/v1/p/server-groups/g", 418, json!({}));
        assert_eq!(response_schema(&ctx(), op("showProtectionGroup"), &ex).outcome, CheckOutcome::Skipped);
        let ex = Exchange::fake("deleteFailureJob", "DELETE", "/v1/p/task-center/failure-jobs/j", 204, json!(null));
        assert_eq!(response_schema(&ctx(), op("deleteFailureJob"), &ex).outcome, CheckOutcome::Skipped);
        let r = response_schema(&ctx(), op("showProtectionGroup"), &no_response("showProtectionGroup"));
        assert_eq!(r.outcome, CheckOutcome::Skipped);
    }

    #[test]
    fn an_error_body_of_no_documented_shape_fails() {
        let ex = Exchange::fake("showProtectionGroup", "GET", "/v1/p/server-groups/g", 400, json!({"message": "bad"}));
        let r = response_schema(&ctx(), op("showProtectionGroup"), &ex);
        assert_eq!(r.outcome, CheckOutcome::Failed, "{}", r.details());
    }

    #[test]
    fn the_failure_display_is_stable() {
        let mut body = job();
        body["status"] = json!("DONE");
        body["end_time"] = json!(5);
        let ex = Exchange::fake("showJobStatus", "GET", "/v1/p/jobs/j", 200, body);
        let r = response_schema(&ctx(), op("showJobStatus"), &ex);
        insta::assert_snapshot!(crate::checks::test_support::display(&r));
    }
}

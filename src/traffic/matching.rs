//! Recorded request -> documented operation, by method and path template.
//!
//! Among the templates that fit a path, the most specific wins, segment by segment, a literal
//! beating a template (INC-41), so `protected-instances/tags` is never an instance id and
//! `failure-jobs/batch` never a failure-job id. Operations sharing one method and path
//! (`x-sdrs-variants`) are told apart by the request body, as the emulator dispatches them: the
//! body key or the `action` value. A body that names no variant still matches the shared
//! operation, whose variants document the same answers.

use crate::spec::{Discriminator, Operation, Specs};
use percent_encoding::percent_decode_str;
use serde_json::Value;

/// The operations of one method and path template (several for variants).
#[derive(Debug)]
struct Template<'s> {
    method: String,
    segments: Vec<String>,
    operations: Vec<&'s Operation>,
}

/// Matches recorded requests against every operation of the specs.
#[derive(Debug)]
pub struct Matcher<'s> {
    templates: Vec<Template<'s>>,
}

/// What a request matched.
#[derive(Debug, Clone)]
pub struct Matched<'s> {
    /// The operation judged: the variant the body selects, else the first variant.
    pub operation: &'s Operation,
    /// The name reported: the variant's id, or the shared id when the body selects none.
    pub name: String,
    /// Every operation the request may be (one, or each variant when the body selects none).
    pub candidates: Vec<&'s Operation>,
    /// The decoded values of the path's templates, by parameter name.
    pub params: Vec<(String, String)>,
}

impl Matched<'_> {
    /// The decoded value of a path parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Why a request matched nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmatched {
    /// No documented path has this shape.
    NoPath,
    /// The path is documented, but not with this method.
    NoMethod {
        /// The methods documented for the path.
        documented: Vec<String>,
    },
}

impl Unmatched {
    /// The skip reason of the exchange's case.
    pub fn reason(&self) -> String {
        match self {
            Unmatched::NoPath => "matches no documented operation".to_owned(),
            Unmatched::NoMethod { documented } => {
                format!("matches no documented operation: the path is documented for {} only", documented.join(", "))
            }
        }
    }
}

fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

/// One flag per segment (literal = true) when `pattern` fits `path`.
fn specificity(pattern: &[String], path: &[&str]) -> Option<Vec<bool>> {
    if pattern.len() != path.len() {
        return None;
    }
    pattern
        .iter()
        .zip(path)
        .map(|(p, s)| {
            if p.starts_with('{') && p.ends_with('}') {
                Some(false)
            } else if p == s {
                Some(true)
            } else {
                None
            }
        })
        .collect()
}

impl<'s> Matcher<'s> {
    /// A matcher over every operation of every document of `specs`.
    pub fn new(specs: &'s Specs) -> Matcher<'s> {
        let mut templates: Vec<Template<'s>> = Vec::new();
        for op in specs.operations() {
            let segs: Vec<String> = segments(&op.path).into_iter().map(str::to_owned).collect();
            match templates.iter_mut().find(|t| t.method == op.method && t.segments == segs) {
                Some(t) => t.operations.push(op),
                None => templates.push(Template { method: op.method.clone(), segments: segs, operations: vec![op] }),
            }
        }
        Matcher { templates }
    }

    /// The operation of `method path` (query string allowed), told apart by `body` for variants.
    pub fn find(&self, method: &str, path: &str, body: Option<&str>) -> Result<Matched<'s>, Unmatched> {
        let path = path.split(['?', '#']).next().unwrap_or("");
        let parts = segments(path);
        let fits: Vec<(Vec<bool>, &Template<'s>)> =
            self.templates.iter().filter_map(|t| specificity(&t.segments, &parts).map(|s| (s, t))).collect();
        let mut best: Option<&(Vec<bool>, &Template<'s>)> = None;
        for fit in fits.iter().filter(|(_, t)| t.method.eq_ignore_ascii_case(method)) {
            if best.is_none_or(|(b, _)| fit.0 > *b) {
                best = Some(fit);
            }
        }
        let Some((_, template)) = best else {
            // Name the methods of the most specific documented shape of this path.
            let Some(top) = fits.iter().map(|(s, _)| s).max() else {
                return Err(Unmatched::NoPath);
            };
            let mut documented: Vec<String> = Vec::new();
            for (_, t) in fits.iter().filter(|(s, _)| s == top) {
                if !documented.contains(&t.method) {
                    documented.push(t.method.clone());
                }
            }
            return Err(Unmatched::NoMethod { documented });
        };
        let params = template
            .segments
            .iter()
            .zip(&parts)
            .filter(|(p, _)| p.starts_with('{'))
            .map(|(p, s)| (p[1..p.len() - 1].to_owned(), percent_decode_str(s).decode_utf8_lossy().into_owned()))
            .collect();
        let ops = &template.operations;
        if ops.len() == 1 {
            return Ok(Matched { operation: ops[0], name: ops[0].id.clone(), candidates: vec![ops[0]], params });
        }
        let json: Option<Value> = body.and_then(|b| serde_json::from_str(b).ok());
        let selected: Vec<&'s Operation> =
            ops.iter().copied().filter(|op| json.as_ref().is_some_and(|j| selects(op, j))).collect();
        Ok(match selected.as_slice() {
            [one] => Matched { operation: one, name: one.id.clone(), candidates: vec![one], params },
            _ => Matched {
                operation: ops[0],
                name: ops[0].shared_id.clone().unwrap_or_else(|| ops[0].id.clone()),
                candidates: ops.clone(),
                params,
            },
        })
    }
}

/// Whether a request body selects the variant `op`.
fn selects(op: &Operation, body: &Value) -> bool {
    match &op.discriminator {
        Some(Discriminator::BodyKey(key)) => body.as_object().is_some_and(|o| o.contains_key(key)),
        Some(Discriminator::Field { field, value }) => match body.get(field) {
            Some(Value::String(s)) => s == value,
            Some(Value::Bool(b)) => value.as_str() == if *b { "true" } else { "false" },
            Some(Value::Number(n)) => value.parse::<f64>().ok().is_some_and(|v| Some(v) == n.as_f64()),
            _ => false,
        },
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher() -> Matcher<'static> {
        Matcher::new(Specs::embedded())
    }

    fn name(method: &str, path: &str, body: Option<&str>) -> String {
        matcher().find(method, path, body).map(|m| m.name).unwrap_or_else(|u| u.reason())
    }

    #[test]
    fn literal_segments_win_over_templates() {
        assert_eq!(name("GET", "/v1/p/protected-instances/tags", None), "listProtectedInstanceProjectTags");
        assert_eq!(name("GET", "/v1/p/protected-instances/abc", None), "showProtectedInstance");
        assert_eq!(name("DELETE", "/v1/p/task-center/failure-jobs/batch", None), "deleteAllFailureJobs");
        assert_eq!(name("DELETE", "/v1/p/task-center/failure-jobs/j1", None), "deleteFailureJob");
        assert_eq!(name("POST", "/v1/p/protected-instances/batch", None), "batchCreateProtectedInstances");
        assert_eq!(name("GET", "/v1", None), "showApiVersion");
        assert_eq!(name("GET", "/", None), "listApiVersions");
    }

    #[test]
    fn query_strings_and_trailing_slashes_do_not_change_the_match() {
        let m = matcher().find("GET", "/v1/p/server-groups/?limit=2&offset=0", None).unwrap();
        assert_eq!(m.name, "listProtectionGroups");
        let m = matcher().find("get", "/v1/p/jobs/0000abc?x=1", None).unwrap();
        assert_eq!(m.name, "showJobStatus");
        assert_eq!(m.param("job_id"), Some("0000abc"));
        assert_eq!(m.param("project_id"), Some("p"));
    }

    #[test]
    fn path_values_are_percent_decoded() {
        let m = matcher().find("DELETE", "/v1/p/protected-instances/i/tags/my%20key", None).unwrap();
        assert_eq!(m.name, "deleteProtectedInstanceTag");
        assert_eq!(m.param("key"), Some("my key"));
    }

    #[test]
    fn variants_are_told_apart_by_body_key_and_action_value() {
        let group = "/v1/p/server-groups/g/action";
        assert_eq!(name("POST", group, Some(r#"{"stop-server-group": {}}"#)), "stopProtectionGroup");
        assert_eq!(
            name("POST", group, Some(r#"{"reverse-server-group": {"priority_station": "source"}}"#)),
            "reverseProtectionGroup"
        );
        let tags = "/v1/p/protected-instances/i/tags/action";
        assert_eq!(name("POST", tags, Some(r#"{"action": "create", "tags": []}"#)), "batchCreateProtectedInstanceTags");
        assert_eq!(name("POST", tags, Some(r#"{"action": "delete", "tags": []}"#)), "batchDeleteProtectedInstanceTags");
    }

    #[test]
    fn a_body_that_selects_no_variant_matches_the_shared_operation_with_every_variant() {
        let m = matcher().find("POST", "/v1/p/server-groups/g/action", None).unwrap();
        assert_eq!(m.name, "protectionGroupAction");
        assert_eq!(m.candidates.len(), 4);
        let m = matcher()
            .find(
                "POST",
                "/v1/p/server-groups/g/action",
                Some(r#"{"stop-server-group": {}, "start-server-group": {}}"#),
            )
            .unwrap();
        assert_eq!(m.name, "protectionGroupAction");
        let m = matcher().find("POST", "/v1/p/protected-instances/i/tags/action", Some("not json")).unwrap();
        assert_eq!(m.name, "protectedInstanceTagsAction");
    }

    #[test]
    fn unknown_paths_and_methods_are_told_apart() {
        assert_eq!(
            matcher().find("GET", "/v1/p/resource/replication-statistics", None).unwrap_err(),
            Unmatched::NoPath
        );
        let err = matcher().find("PATCH", "/v1/p/server-groups", None).unwrap_err();
        assert_eq!(err, Unmatched::NoMethod { documented: vec!["GET".into(), "POST".into()] });
        assert!(err.reason().starts_with("matches no documented operation"), "{}", err.reason());
    }

    #[test]
    fn the_other_services_document_is_matched_too() {
        assert_eq!(name("POST", "/v2/p/disaster-recovery/d/start", None), "startDisasterRecovery");
    }
}

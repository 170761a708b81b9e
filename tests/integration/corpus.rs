//! The published payloads (`../shared/realworld/corpus.json`, read in place, never copied):
//! every response whose body is whole JSON becomes one recorded exchange, judged by the same code
//! as `check-traffic`. No check may fail (warnings are allowed), except the entries listed in
//! [`KNOWN_SPEC_GAPS`], which the current spec still rejects; the test fails when one of them
//! starts to pass too, so that the list stays exact. Every problem is reported in one message.

use sdrs_conformance::checks::{CheckContext, CheckOutcome};
use sdrs_conformance::report::{CaseOutcome, RunReport};
use sdrs_conformance::spec::{SchemaSet, Specs};
use sdrs_conformance::traffic::{self, Har, KIND_UNMATCHED};
use serde_json::{json, Map, Value};

/// The corpus, beside the clone.
const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/realworld/corpus.json");

/// The project id put into every path.
const PROJECT: &str = "0605767a3b8a4e4a9f1d2c3b4a5e6f70";

/// Entries the current spec rejects: (corpus id, failing check, the rule and the suggested fix). The lead
/// removes a line when the spec accepts the entry.
const KNOWN_SPEC_GAPS: &[(&str, &str, &str)] = &[];

/// The title `error_body` gives the code of the generic error templates: `XXX` is the pages'
/// placeholder, not a code, so only their envelope is evidence.
const PLACEHOLDER_CODE: &str = "unknown error code XXX";

/// One judged corpus entry.
struct Judged {
    id: String,
    report: RunReport,
    /// A generic error template whose code is the placeholder `XXX`.
    placeholder: bool,
}

fn corpus() -> Vec<Value> {
    let text = std::fs::read_to_string(CORPUS).unwrap_or_else(|e| {
        panic!("cannot read the published payloads at {CORPUS}: {e} (shared/ must sit beside the clone)")
    });
    match serde_json::from_str(&text) {
        Ok(Value::Array(entries)) => entries,
        Ok(_) => panic!("{CORPUS}: not a JSON array"),
        Err(e) => panic!("{CORPUS}: {e}"),
    }
}

/// The path template with every parameter given a value: the job id of a job answer, `v1` for
/// the API version, a readable placeholder otherwise.
fn concrete_path(template: &str, body: &Value) -> String {
    template
        .split('/')
        .map(|seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some("project_id") => PROJECT.to_owned(),
            Some("api_version") => "v1".to_owned(),
            Some("job_id") => body.get("job_id").and_then(Value::as_str).unwrap_or("job-1").to_owned(),
            Some(name) => format!("sample-{}", name.replace('_', "-")),
            None => seg.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A resource object (`fragment`) wrapped into the whole answer the pointer describes:
/// `/properties/k` -> `{"k": ...}`, `/items` -> `[...]`; a list's `count` is the one item wrapped.
fn wrap(fragment: &str, body: Value) -> Value {
    let segments: Vec<&str> = fragment.split('/').skip(1).collect();
    let mut value = body;
    let mut i = segments.len();
    while i > 0 {
        match segments[i - 1] {
            "items" => {
                value = Value::Array(vec![value]);
                i -= 1;
            }
            key if i >= 2 && segments[i - 2] == "properties" => {
                let mut map = Map::new();
                map.insert(key.to_owned(), value);
                value = Value::Object(map);
                i -= 2;
            }
            other => panic!("fragment pointer {fragment}: cannot wrap at `{other}`"),
        }
    }
    if let Value::Object(map) = &mut value {
        if map.len() == 1 && map.values().all(Value::is_array) {
            map.insert("count".to_owned(), json!(1));
        }
    }
    value
}

/// The entry as a one-exchange HAR; `None` for a body that is not JSON as published.
fn har_of(entry: &Value, specs: &Specs) -> Option<Value> {
    let no_body = entry["no_body"].as_bool().unwrap_or(false);
    let body = match (&entry["body"], no_body) {
        (Value::Null, true) => None,
        (Value::Null, false) => return None,
        (b, _) => Some(match entry["fragment"].as_str() {
            Some(pointer) => wrap(pointer, b.clone()),
            None => b.clone(),
        }),
    };
    let method = entry["method"].as_str().expect("method");
    let template = entry["path"].as_str().expect("path");
    let success = entry["operationId"].as_str().and_then(|id| specs.operation(id)).map(|op| op.success_status);
    let status = if entry["error_example"].as_bool().unwrap_or(false) {
        400
    } else {
        entry["status"].as_u64().map(|s| s as u16).or(success).unwrap_or(if no_body { 204 } else { 200 })
    };
    let path = concrete_path(template, body.as_ref().unwrap_or(&Value::Null));
    let content = match &body {
        Some(b) => json!({"size": b.to_string().len(), "mimeType": "application/json", "text": b.to_string()}),
        None => json!({"size": 0, "mimeType": ""}),
    };
    let headers = match &body {
        Some(_) => json!([{"name": "Content-Type", "value": "application/json;charset=UTF-8"}]),
        None => json!([]),
    };
    Some(json!({"log": {"version": "1.2", "creator": {"name": "corpus", "version": "1"}, "entries": [{
        "startedDateTime": "2026-01-01T00:00:00.000Z",
        "request": {"method": method, "url": format!("https://sdrs.example.com{path}"), "headers": []},
        "response": {"status": status, "headers": headers, "content": content}
    }]}}))
}

/// `check: first line of its message` for each failed check of the report, with the case id.
fn failures(report: &RunReport) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for case in &report.cases {
        for check in case.checks.iter().filter(|c| c.outcome == CheckOutcome::Failed) {
            out.push((case.id.clone(), check.name.as_str().to_owned(), check.text()));
        }
    }
    out
}

/// The title of each failure in a rendered check message (failures' other lines are indented).
fn titles(message: &str) -> Vec<&str> {
    message.lines().filter(|l| !l.starts_with(' ') && !l.is_empty()).collect()
}

#[test]
fn every_published_response_passes_check_traffic_except_the_known_spec_gaps() {
    let specs = Specs::embedded();
    let schemas = SchemaSet::new(specs);
    let ctx = CheckContext { specs, schemas: &schemas, strict: false };
    let mut judged: Vec<Judged> = Vec::new();
    let mut not_json: Vec<String> = Vec::new();
    for entry in corpus().iter().filter(|e| e["kind"] == "response") {
        let id = entry["id"].as_str().expect("id").to_owned();
        let Some(har) = har_of(entry, specs) else {
            not_json.push(format!("{id}: {}", entry["note"].as_str().unwrap_or("not valid JSON as published")));
            continue;
        };
        let har: Har = serde_json::from_value(har).expect("a HAR document");
        let code = entry["body"].as_object().and_then(|o| o.values().find_map(|v| v.get("code")?.as_str()));
        let placeholder =
            entry["error_example"] == true && code.is_some_and(|c| !c.is_empty() && c.chars().all(|x| x == 'X'));
        judged.push(Judged { report: traffic::judge(&har, &ctx, &id), id, placeholder });
    }
    println!("{} responses judged; {} not valid JSON as published, not judged:", judged.len(), not_json.len());
    for line in &not_json {
        println!("  {line}");
    }

    let mut problems: Vec<String> = Vec::new();
    let mut warned = 0;
    for j in &judged {
        let unmatched = j.report.cases.iter().any(|c| c.kind == KIND_UNMATCHED);
        // The rpo-statistics answer (an `unmatched` id of the corpus) matches the extension spec.
        if unmatched {
            problems.push(format!("{}: matches no documented operation", j.id));
        }
        for case in j.report.cases.iter().filter(|c| c.outcome == CaseOutcome::Warned) {
            warned += 1;
            for check in case.checks.iter().filter(|c| c.outcome == CheckOutcome::Warned) {
                println!("  warned: {} {}: {}", j.id, check.name, titles(&check.text()).join(" | "));
            }
        }
        let mut failed = failures(&j.report);
        if j.placeholder {
            failed.retain(|(_, check, message)| {
                !(check == "error_body" && titles(message).iter().all(|t| *t == PLACEHOLDER_CODE))
            });
        }
        let known: Vec<&(&str, &str, &str)> = KNOWN_SPEC_GAPS.iter().filter(|(id, ..)| *id == j.id).collect();
        for (case, check, message) in &failed {
            if !known.iter().any(|(_, c, _)| c == check) {
                let indented = message.lines().map(|l| format!("      {l}")).collect::<Vec<_>>().join("\n");
                problems.push(format!("{} ({case}) fails {check}:\n{indented}", j.id));
            }
        }
        for (_, check, _) in &known {
            if !failed.iter().any(|(_, c, _)| c == check) {
                problems.push(format!("{}: passes {check} now, remove it from KNOWN_SPEC_GAPS", j.id));
            }
        }
    }
    for (id, ..) in KNOWN_SPEC_GAPS {
        if !judged.iter().any(|j| j.id == *id) {
            problems.push(format!("{id}: listed in KNOWN_SPEC_GAPS but not a judged corpus entry"));
        }
    }
    println!("{warned} case(s) warned");
    assert!(judged.len() >= 50, "only {} responses judged", judged.len());
    assert!(problems.is_empty(), "{} problem(s) with the published payloads:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn a_fragment_is_wrapped_into_the_whole_answer_its_pointer_describes() {
    assert_eq!(wrap("/properties/server_group", json!({"id": "g"})), json!({"server_group": {"id": "g"}}));
    assert_eq!(
        wrap("/properties/failure_jobs/items", json!({"a": 1})),
        json!({"failure_jobs": [{"a": 1}], "count": 1})
    );
    assert_eq!(
        concrete_path("/v1/{project_id}/jobs/{job_id}", &json!({"job_id": "j9"})),
        format!("/v1/{PROJECT}/jobs/j9")
    );
    assert_eq!(concrete_path("/{api_version}", &Value::Null), "/v1");
}

#[test]
fn a_published_body_broken_on_purpose_is_caught() {
    let specs = Specs::embedded();
    let schemas = SchemaSet::new(specs);
    let ctx = CheckContext { specs, schemas: &schemas, strict: false };
    let mut entry = corpus()
        .into_iter()
        .find(|e| e["id"] == "otc-rst.showProtectionGroup.res1")
        .expect("the showProtectionGroup answer of the corpus");
    let judge = |entry: &Value| {
        let har: Har = serde_json::from_value(har_of(entry, specs).expect("a JSON body")).expect("HAR");
        traffic::judge(&har, &ctx, "corpus")
    };
    assert!(failures(&judge(&entry)).is_empty());
    entry["body"]["server_group"]["progress"] = json!("done");
    let broken = failures(&judge(&entry));
    assert!(
        broken.iter().any(|(_, check, m)| check == "response_schema" && m.contains("/server_group/progress")),
        "{broken:?}"
    );
}

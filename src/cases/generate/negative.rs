//! Negative cases from the documented input constraints: for every request-body property and
//! query parameter, a request that breaks exactly one rule (missing, too long, wrong
//! characters, outside the enumeration, out of range, too many items, wrong type), expecting
//! 400 and the code the spec attaches to that property (`x-sdrs-error-code`).

use super::recipes::Recipe;
use super::{case, Operation};
use crate::cases::model::{Case, CaseKind, Expect, Judge, RequestStep, StatusSet, Step};
use crate::spec::{resolve_ref, DisputedRule, Readings, Specs};
use serde_json::{json, Map, Value};

/// The generic code for invalid request parameters.
const GENERIC: &str = "SDRS.0201";

struct Mutation {
    slug: String,
    describe: String,
    apply: Edit,
    codes: Vec<String>,
    disagreements: Vec<String>,
}

enum Edit {
    Body(Vec<String>, Option<Value>),
    Query(String, Value),
    RawBody(String),
}

/// The negative cases of one operation.
pub(super) fn cases(specs: &Specs, op: &Operation, rec: &Recipe) -> Vec<Case> {
    if rec.skip.is_some() {
        return Vec::new();
    }
    let document = &specs.api_of(op).document;
    let mut mutations = Vec::new();
    if let (Some(pointer), Some(body)) = (&op.request_pointer, &rec.test.body) {
        if let Some(schema) = document.pointer(pointer) {
            let root_codes = codes_of(document, schema);
            walk(&specs.readings, document, schema, Some(body), &mut Vec::new(), &root_codes, &mut mutations);
        }
        mutations.push(Mutation {
            slug: "body/malformed-json".into(),
            describe: "a body that is not valid JSON".into(),
            apply: Edit::RawBody("{\"truncated\": ".into()),
            codes: vec![GENERIC.into()],
            disagreements: Vec::new(),
        });
    }
    for p in op.query_params() {
        query_mutations(document, p, &mut mutations);
    }
    mutations
        .into_iter()
        .map(|m| {
            let mut step = rec.test.clone();
            step.name = format!("send {}", m.describe);
            step.job = None;
            step.capture.clear();
            step.snapshot = None;
            apply(&mut step, m.apply);
            step.expect = Expect {
                status: Some(StatusSet::One(400)),
                codes: m.codes.clone(),
                judge: Judge::NegativeRejection { mutation: m.describe.clone() },
                disagreements: m.disagreements.clone(),
                ..Expect::default()
            };
            let mut steps = rec.builder.steps.clone();
            steps.push(Step::Request(Box::new(step)));
            let mut c = case(op, CaseKind::Negative, &m.slug, rec, steps, rec.builder.needs.clone());
            c.description = format!("{} refuses {} with 400 {}", op.id, m.describe, m.codes.join(" or "));
            c
        })
        .collect()
}

fn apply(step: &mut RequestStep, edit: Edit) {
    match edit {
        Edit::RawBody(text) => {
            step.body = None;
            step.raw_body = Some(text);
        }
        Edit::Query(name, value) => {
            step.query.insert(name, value);
        }
        Edit::Body(path, value) => {
            if let Some(body) = step.body.as_mut() {
                set_path(body, &path, value);
            }
        }
    }
}

fn set_path(target: &mut Value, path: &[String], value: Option<Value>) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut node = target;
    for seg in parents {
        node = match node {
            Value::Object(m) => m.entry(seg.clone()).or_insert_with(|| Value::Object(Map::new())),
            Value::Array(a) => match seg.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                Some(v) => v,
                None => return,
            },
            _ => return,
        };
    }
    match (node, value) {
        (Value::Object(m), Some(v)) => {
            m.insert(last.clone(), v);
        }
        (Value::Object(m), None) => {
            m.remove(last);
        }
        (Value::Array(a), Some(v)) => {
            if let Some(slot) = last.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                *slot = v;
            }
        }
        _ => {}
    }
}

/// Follows `$ref`s, keeping the sibling keywords of each reference (OpenAPI 3.1 allows them).
fn resolved<'a>(document: &'a Value, schema: &'a Value) -> Vec<&'a Value> {
    let mut chain = vec![schema];
    let mut current = schema;
    for _ in 0..8 {
        match current.get("$ref").and_then(Value::as_str).and_then(|r| resolve_ref(document, r)) {
            Some(next) => {
                chain.push(next);
                current = next;
            }
            None => break,
        }
    }
    chain
}

fn keyword<'a>(chain: &[&'a Value], key: &str) -> Option<&'a Value> {
    chain.iter().find_map(|s| s.get(key))
}

fn codes_of(document: &Value, schema: &Value) -> Vec<String> {
    let chain = resolved(document, schema);
    chain.iter().filter_map(|s| s.get("x-sdrs-error-code").and_then(Value::as_str)).map(str::to_owned).take(1).collect()
}

fn code_for(chain: &[&Value], rule: &str, inherited: &[String]) -> Vec<String> {
    for s in chain {
        if let Some(c) = s.get("x-sdrs-error-codes").and_then(|m| m.get(rule)).and_then(Value::as_str) {
            return vec![c.to_owned()];
        }
    }
    for s in chain {
        if let Some(c) = s.get("x-sdrs-error-code").and_then(Value::as_str) {
            return vec![c.to_owned()];
        }
    }
    if inherited.is_empty() {
        vec![GENERIC.to_owned()]
    } else {
        inherited.to_vec()
    }
}

fn disagreements_of(chain: &[&Value]) -> Vec<String> {
    crate::spec::strings_under(chain.iter().copied(), "x-sdrs-disagreements")
}

fn walk(
    readings: &Readings,
    document: &Value,
    schema: &Value,
    value: Option<&Value>,
    path: &mut Vec<String>,
    inherited: &[String],
    out: &mut Vec<Mutation>,
) {
    let chain = resolved(document, schema);
    let here = path.join(".");
    let disputed = disagreements_of(&chain);
    let mut push = |slug: &str, describe: String, edit: Edit, codes: Vec<String>| {
        let mut disagreements = relevant(readings, &disputed, slug);
        disagreements.extend(gaps_of(&chain, slug));
        out.push(Mutation { slug: format!("{here}/{slug}"), describe, apply: edit, codes, disagreements })
    };
    let ty = keyword(&chain, "type").and_then(Value::as_str).unwrap_or("");
    if !path.is_empty() {
        if let Some(max) = keyword(&chain, "maxLength").and_then(Value::as_u64) {
            let long = "a".repeat(max as usize + 1);
            push(
                "too-long",
                format!("{here} of {} characters (at most {max})", max + 1),
                Edit::Body(path.clone(), Some(json!(long))),
                code_for(&chain, "maxLength", inherited),
            );
        }
        if keyword(&chain, "minLength").and_then(Value::as_u64).unwrap_or(0) > 0 {
            push(
                "empty",
                format!("an empty {here}"),
                Edit::Body(path.clone(), Some(json!(""))),
                code_for(&chain, "minLength", inherited),
            );
        }
        if let Some(pattern) = keyword(&chain, "pattern").and_then(Value::as_str) {
            let max = keyword(&chain, "maxLength").and_then(Value::as_u64).unwrap_or(64) as usize;
            if let Some(bad) = violating_sample(pattern, max) {
                push(
                    "bad-characters",
                    format!("{here} = {bad:?}, outside the allowed characters"),
                    Edit::Body(path.clone(), Some(json!(bad))),
                    code_for(&chain, "pattern", inherited),
                );
            }
        }
        if keyword(&chain, "enum").is_some() && ty != "boolean" {
            push(
                "not-in-enum",
                format!("{here} outside its enumeration"),
                Edit::Body(path.clone(), Some(json!("bogus-value"))),
                code_for(&chain, "enum", inherited),
            );
        }
        if ty == "integer" || ty == "number" {
            if let Some(min) = keyword(&chain, "minimum").and_then(Value::as_i64) {
                push(
                    "below-minimum",
                    format!("{here} = {} (minimum {min})", min - 1),
                    Edit::Body(path.clone(), Some(json!(min - 1))),
                    code_for(&chain, "minimum", inherited),
                );
            }
            if let Some(max) = keyword(&chain, "maximum").and_then(Value::as_i64) {
                push(
                    "above-maximum",
                    format!("{here} = {} (maximum {max})", max + 1),
                    Edit::Body(path.clone(), Some(json!(max + 1))),
                    code_for(&chain, "maximum", inherited),
                );
            }
            push(
                "wrong-type",
                format!("{here} as a string"),
                Edit::Body(path.clone(), Some(json!("not-a-number"))),
                code_for(&chain, "type", inherited),
            );
        }
        if ty == "string" && value.is_some() {
            push(
                "wrong-type",
                format!("{here} as a number"),
                Edit::Body(path.clone(), Some(json!(12345))),
                code_for(&chain, "type", inherited),
            );
        }
    }
    if ty == "array" {
        if let Some(max) = keyword(&chain, "maxItems").and_then(Value::as_u64) {
            if let Some(item) = value.and_then(Value::as_array).and_then(|a| a.first()) {
                let items: Vec<Value> = (0..=max).map(|n| distinct(item, n)).collect();
                push(
                    "too-many-items",
                    format!("{here} with {} items (at most {max})", max + 1),
                    Edit::Body(path.clone(), Some(Value::Array(items))),
                    code_for(&chain, "maxItems", inherited),
                );
            }
        }
        if keyword(&chain, "minItems").and_then(Value::as_u64).unwrap_or(0) > 0 {
            push(
                "no-items",
                format!("an empty {here}"),
                Edit::Body(path.clone(), Some(json!([]))),
                code_for(&chain, "minItems", inherited),
            );
        }
        if let (Some(items_schema), Some(first)) =
            (keyword(&chain, "items"), value.and_then(Value::as_array).and_then(|a| a.first()))
        {
            path.push("0".into());
            walk(readings, document, items_schema, Some(first), path, inherited, out);
            path.pop();
        }
        return;
    }
    let Some(props) = keyword(&chain, "properties").and_then(Value::as_object) else { return };
    let required: Vec<&str> =
        keyword(&chain, "required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    for (name, prop) in props {
        let present = value.and_then(|v| v.get(name));
        let prop_chain = resolved(document, prop);
        let own = codes_of(document, prop);
        let inherited_here: Vec<String> = if own.is_empty() { inherited.to_vec() } else { own.clone() };
        path.push(name.clone());
        if required.contains(&name.as_str()) && present.is_some() {
            let mut codes = code_for(&prop_chain, "required", &inherited_here);
            if !codes.iter().any(|c| c == GENERIC) {
                codes.push(GENERIC.to_owned());
            }
            out.push(Mutation {
                slug: format!("{}/missing", path.join(".")),
                describe: format!("no {}", path.join(".")),
                apply: Edit::Body(path.clone(), None),
                codes,
                disagreements: relevant(readings, &disagreements_of(&prop_chain), "missing"),
            });
        }
        // Absent optional properties get invalid values too; their nested objects are left alone.
        let is_object = keyword(&prop_chain, "type").and_then(Value::as_str) == Some("object");
        if present.is_some() || !is_object {
            walk(readings, document, prop, present, path, &inherited_here, out);
        }
        path.pop();
    }
}

/// The readings of ours (`x-sdrs-inferred: {<keyword>: GAP-xx}`) behind the rule a mutation breaks.
fn gaps_of(chain: &[&Value], slug: &str) -> Vec<String> {
    let keyword = match slug {
        "too-long" => "maxLength",
        "empty" => "minLength",
        "bad-characters" => "pattern",
        "not-in-enum" => "enum",
        "wrong-type" => "type",
        "missing" => "required",
        _ => return Vec::new(),
    };
    let mut out: Vec<String> = Vec::new();
    for id in chain.iter().filter_map(|s| s.get("x-sdrs-inferred")?.get(keyword)?.as_str()) {
        if !out.iter().any(|o| o == id) {
            out.push(id.to_owned());
        }
    }
    out
}

/// A list page enumerates its filter values but never says what an unknown one does (GAP-04).
const UNKNOWN_FILTER_VALUE: &str = "GAP-04";

/// The disagreements that really make a mutation's expected refusal uncertain: those readings.yaml
/// lists for its kind (`negative.<slug>`). A node's tags concern one aspect (INC-01: Chinese
/// characters; INC-14: the limit boundaries 0 and 1000); a mutation that breaks the rule under
/// every reading stays undisputed.
fn relevant(readings: &Readings, disputed: &[String], slug: &str) -> Vec<String> {
    let applies = DisputedRule::of_mutation(slug).map_or(&[][..], |rule| readings.disputing(rule));
    disputed.iter().filter(|d| applies.contains(d)).cloned().collect()
}

/// A copy of an array item made distinct by its index (tag keys must not repeat).
fn distinct(item: &Value, n: u64) -> Value {
    match item {
        Value::Object(m) => {
            let mut m = m.clone();
            for key in ["key", "id", "server_id"] {
                if let Some(Value::String(s)) = m.get(key) {
                    let v = if key == "key" {
                        format!("k{n}")
                    } else if n == 0 {
                        s.clone()
                    } else {
                        format!("{s}-{n}")
                    };
                    m.insert(key.to_owned(), json!(v));
                }
            }
            Value::Object(m)
        }
        other => other.clone(),
    }
}

/// A short string that the pattern refuses.
fn violating_sample(pattern: &str, max: usize) -> Option<String> {
    let re = regex::Regex::new(pattern).ok()?;
    ["bad name!", "a<b>", "a*b", "a/b", "a=b", "x\u{1}y", " "]
        .into_iter()
        .find(|c| !re.is_match(c) && c.chars().count() <= max.max(1))
        .map(str::to_owned)
}

fn query_mutations(document: &Value, p: &crate::spec::Parameter, out: &mut Vec<Mutation>) {
    let chain = resolved(document, &p.schema);
    let codes = p.error_code.clone().map(|c| vec![c]).unwrap_or_else(|| vec![GENERIC.to_owned()]);
    let name = &p.name;
    // A refusal the spec only infers (`x-sdrs-inferred: GAP-xx` on the parameter) is disputed.
    let inferred: Vec<String> = p.inferred.iter().cloned().collect();
    let mut push = |slug: &str, describe: String, value: Value| {
        // -1, 1001 and "abc" are refused under every reading of INC-14/15/16.
        let mut disagreements = inferred.clone();
        if slug == "not-in-enum" {
            disagreements.push(UNKNOWN_FILTER_VALUE.to_owned());
        }
        out.push(Mutation {
            slug: format!("query.{name}/{slug}"),
            describe,
            apply: Edit::Query(name.clone(), value),
            codes: codes.clone(),
            disagreements,
        })
    };
    let ty = keyword(&chain, "type").and_then(Value::as_str).unwrap_or("");
    if ty == "integer" {
        if let Some(min) = keyword(&chain, "minimum").and_then(Value::as_i64) {
            push("below-minimum", format!("{name}={}", min - 1), json!(min - 1));
        }
        if let Some(max) = keyword(&chain, "maximum").and_then(Value::as_i64) {
            push("above-maximum", format!("{name}={}", max + 1), json!(max + 1));
        }
        push("not-an-integer", format!("{name}=abc"), json!("abc"));
    }
    if keyword(&chain, "enum").is_some() {
        push("not-in-enum", format!("{name} outside its enumeration"), json!("bogus-value"));
    }
    if let Some(bad) = keyword(&chain, "pattern").and_then(Value::as_str).and_then(|p| violating_sample(p, 64)) {
        push("bad-format", format!("{name} = {bad:?}, outside its format"), json!(bad));
    }
    let max_items = p.schema.get("x-sdrs-max-items").and_then(Value::as_u64);
    if let Some(max) = max_items.or_else(|| if name.ends_with("_ids") { Some(30) } else { None }) {
        let ids: Vec<String> = (0..=max).map(|n| format!("'{:08x}-0000-4000-8000-{:012x}'", n, n)).collect();
        let list = format!("[{}]", ids.join(","));
        out.push(Mutation {
            slug: format!("query.{name}/too-many-ids"),
            describe: format!("{name} with {} ids (at most {max})", max + 1),
            apply: Edit::Query(name.clone(), json!(list)),
            codes: vec!["SDRS.0226".into()],
            disagreements: p.disagreements.clone(),
        });
    }
}

//! Operations of an OpenAPI 3.1 document, with the `x-sdrs-*` extensions read into types.
//!
//! Operations that share one method and path (`x-sdrs-variants`) become one [`Operation`]
//! per variant, so that every documented operation has its own id.

use super::locate::{LineFinder, Location};
use super::SpecProblem;
use serde_json::Value;
use std::collections::BTreeMap;

/// One parsed OpenAPI document.
#[derive(Debug)]
pub struct ApiSpec {
    /// File name as shown in messages.
    pub file: String,
    /// `info.title`.
    pub title: String,
    /// `info.x-sdrs-origin`: where a document from outside the seeds comes from.
    pub origin: Option<String>,
    /// The whole document as JSON, used to resolve `$ref`s and compile schemas.
    pub document: Value,
    /// Every operation, variants expanded, in document order.
    pub operations: Vec<Operation>,
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamLocation {
    /// A `{name}` segment of the path.
    Path,
    /// A query-string parameter.
    Query,
}

/// A path or query parameter, `$ref`s resolved.
#[derive(Debug, Clone)]
pub struct Parameter {
    /// Name as sent.
    pub name: String,
    /// Path or query.
    pub location: ParamLocation,
    /// Whether it must be sent.
    pub required: bool,
    /// Its JSON Schema (resolved one level).
    pub schema: Value,
    /// The A.1 code a violation gets (`x-sdrs-error-code`).
    pub error_code: Option<String>,
    /// INC entries that touch it.
    pub disagreements: Vec<String>,
    /// How an unknown value is refused (`x-sdrs-not-found`).
    pub not_found: Option<NotFound>,
    /// Why its rules are our reading, when they are (`x-sdrs-inferred`).
    pub inferred: Option<String>,
}

/// The documented answer to an unknown id in a path parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotFound {
    /// HTTP status.
    pub status: u16,
    /// Error code.
    pub code: String,
    /// Why the reading is uncertain, when it is.
    pub note: Option<String>,
}

/// What an asynchronous operation promises about its job.
#[derive(Debug, Clone, PartialEq)]
pub struct AsyncJob {
    /// The documented `job_type`, when there is one.
    pub job_type: Option<String>,
    /// Other job types the same operation may create (start vs re-protect).
    pub alt_job_types: Vec<String>,
    /// The `entities` key naming the resource.
    pub entity: Option<String>,
}

/// How variants of one shared operation are told apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discriminator {
    /// The body's single top-level key.
    BodyKey(String),
    /// The value of a body field.
    Field {
        /// Field name.
        field: String,
        /// Value selecting this variant.
        value: String,
    },
}

/// One documented response status.
#[derive(Debug, Clone)]
pub struct ResponseSpec {
    /// JSON pointer of the body schema inside the document, if the status has a JSON body.
    pub schema_pointer: Option<String>,
    /// Schemas that replace `schema_pointer` for some requests (`x-sdrs-response-by-request`).
    pub by_request: Vec<RequestKeyedSchema>,
}

/// A body schema chosen by a value of the request body: the answer to `action=count` is not the
/// answer to `action=filter` (5.8.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestKeyedSchema {
    /// Top-level field of the request body.
    pub field: String,
    /// The value of that field which selects this schema.
    pub value: String,
    /// Section of the reference that states the shape.
    pub section: String,
    /// JSON pointer of the schema inside the document.
    pub schema_pointer: String,
}

impl ResponseSpec {
    /// The schema judging an answer to a request with this JSON body, and the rule that chose
    /// it when it is not the status's own schema.
    pub fn schema_for(&self, request: Option<&Value>) -> (Option<&str>, Option<&RequestKeyedSchema>) {
        let chosen = request.and_then(|body| {
            self.by_request.iter().find(|k| body.get(&k.field).and_then(Value::as_str) == Some(k.value.as_str()))
        });
        match chosen {
            Some(k) => (Some(k.schema_pointer.as_str()), Some(k)),
            None => (self.schema_pointer.as_deref(), None),
        }
    }
}

/// One operation of the API reference.
#[derive(Debug, Clone)]
pub struct Operation {
    /// `operationId` (or the variant's id).
    pub id: String,
    /// The id of the shared OpenAPI operation, for variants.
    pub shared_id: Option<String>,
    /// HTTP method in upper case.
    pub method: String,
    /// Path template, such as `/v1/{project_id}/server-groups`.
    pub path: String,
    /// Section of the reference (`5.4.1`).
    pub section: String,
    /// One-line summary.
    pub summary: String,
    /// First tag: the resource family.
    pub family: String,
    /// Path and query parameters.
    pub parameters: Vec<Parameter>,
    /// JSON pointer of the request-body schema.
    pub request_pointer: Option<String>,
    /// Whether a body is required.
    pub request_required: bool,
    /// Variant selector, for shared operations.
    pub discriminator: Option<Discriminator>,
    /// Every documented status with its body schema.
    pub responses: BTreeMap<u16, ResponseSpec>,
    /// The documented success status (the lowest 2xx).
    pub success_status: u16,
    /// The job this operation creates, if asynchronous.
    pub async_job: Option<AsyncJob>,
    /// A.1 codes the operation names.
    pub errors: Vec<String>,
    /// INC entries that touch the operation.
    pub disagreements: Vec<String>,
    /// Which reading the checks enforce, where the documents disagree.
    pub note: Option<String>,
    /// Where an operation from outside the seeds is documented (`x-sdrs-source`).
    pub source: Option<String>,
    /// Why some of its rules are our reading, when they are (`x-sdrs-inferred`).
    pub inferred: Option<String>,
    /// The operation needs no credentials: its security (its own, else the document's) is `[]`.
    pub anonymous: bool,
    /// Where the operation is written.
    pub location: Location,
}

impl Operation {
    /// Path parameters in template order.
    pub fn path_params(&self) -> impl Iterator<Item = &Parameter> {
        self.parameters.iter().filter(|p| p.location == ParamLocation::Path)
    }

    /// Query parameters.
    pub fn query_params(&self) -> impl Iterator<Item = &Parameter> {
        self.parameters.iter().filter(|p| p.location == ParamLocation::Query)
    }

    /// Where the reference documents this operation: `001 §5.4.3`, or the single page 002.
    pub fn source(&self) -> String {
        if self.section == "002" {
            "002 (the DWS start page)".to_owned()
        } else if self.location.file.ends_with(super::EXTENSIONS_FILE) {
            format!("outside the seeds: Huawei's reference, page {} (sdrs-v1-extensions.openapi.yaml)", self.section)
        } else {
            format!("001 §{}", self.section)
        }
    }

    /// Whether the operation only reads.
    pub fn is_read_only(&self) -> bool {
        self.method == "GET"
    }
}

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

impl ApiSpec {
    /// Parses one document; problems are appended, `None` when it cannot be used at all.
    pub fn parse(text: &str, file: &str, problems: &mut Vec<SpecProblem>) -> Option<ApiSpec> {
        let document: Value = match serde_yaml_ng::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                let line = e.location().map(|l| l.line()).unwrap_or(0);
                problems.push(SpecProblem {
                    location: Location { file: file.to_owned(), line },
                    message: format!("malformed yaml: {e}"),
                });
                return None;
            }
        };
        let finder = LineFinder::new(text, file);
        let title = document.pointer("/info/title").and_then(Value::as_str).unwrap_or("").to_owned();
        let origin = document.pointer("/info/x-sdrs-origin").and_then(Value::as_str).map(str::to_owned);
        let Some(paths) = document.get("paths").and_then(Value::as_object) else {
            problems.push(SpecProblem { location: finder.locate(&[]), message: "no `paths` object".into() });
            return None;
        };
        let mut operations = Vec::new();
        for (path, item) in paths {
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                let pointer = format!("/paths/{}/{}", escape(path), method);
                let location = finder.locate(&["paths", path, method]);
                let shared = item.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
                let ctx =
                    OpContext { document: &document, path, method, pointer: &pointer, location, problems, shared };
                ctx.expand(op, &mut operations);
            }
        }
        Some(ApiSpec { file: file.to_owned(), title, origin, document, operations })
    }
}

/// JSON-pointer escaping of one segment.
pub(super) fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

struct OpContext<'a> {
    document: &'a Value,
    path: &'a str,
    method: &'a str,
    pointer: &'a str,
    location: Location,
    problems: &'a mut Vec<SpecProblem>,
    /// Parameters declared for the whole path item (an operation's own ones override them).
    shared: Vec<Value>,
}

impl OpContext<'_> {
    fn problem(&mut self, message: String) {
        self.problems.push(SpecProblem { location: self.location.clone(), message });
    }

    fn expand(mut self, op: &Value, out: &mut Vec<Operation>) {
        let id = str_of(op, "operationId");
        if id.is_empty() {
            self.problem(format!("{} {} has no operationId", self.method.to_uppercase(), self.path));
        }
        let parameters = self.parameters(op);
        let (responses, success_status) = self.responses(op, &id);
        let request_pointer =
            op.get("requestBody").map(|_| format!("{}/requestBody/content/application~1json/schema", self.pointer));
        let request_required = op.pointer("/requestBody/required").and_then(Value::as_bool).unwrap_or(false);
        let base = Operation {
            id: id.clone(),
            shared_id: None,
            method: self.method.to_uppercase(),
            path: self.path.to_owned(),
            section: scalar(op.get("x-sdrs-section")),
            summary: str_of(op, "summary"),
            family: op.pointer("/tags/0").and_then(Value::as_str).unwrap_or("").to_owned(),
            parameters,
            request_pointer,
            request_required,
            discriminator: None,
            responses,
            success_status,
            async_job: op.get("x-sdrs-async").and_then(parse_async),
            errors: strings(op.get("x-sdrs-errors")),
            disagreements: strings(op.get("x-sdrs-disagreements")),
            note: op.get("x-sdrs-note").and_then(Value::as_str).map(str::to_owned),
            source: op.get("x-sdrs-source").and_then(Value::as_str).map(str::to_owned),
            inferred: super::inferred_gap(op),
            anonymous: op
                .get("security")
                .or_else(|| self.document.get("security"))
                .and_then(Value::as_array)
                .is_none_or(Vec::is_empty),
            location: self.location.clone(),
        };
        let Some(variants) = op.get("x-sdrs-variants").and_then(Value::as_array) else {
            out.push(base);
            return;
        };
        for (i, v) in variants.iter().enumerate() {
            let vid = str_of(v, "operationId");
            if vid.is_empty() {
                self.problem(format!("variant #{i} of {id} has no operationId"));
                continue;
            }
            let discriminator = match v.get("discriminator") {
                Some(d) if d.get("body_key").is_some() => Some(Discriminator::BodyKey(str_of(d, "body_key"))),
                Some(d) if d.get("field").is_some() => {
                    Some(Discriminator::Field { field: str_of(d, "field"), value: scalar(d.get("value")) })
                }
                _ => {
                    self.problem(format!("variant {vid} has no discriminator (body_key or field/value)"));
                    None
                }
            };
            let schema_name = str_of(v, "request_schema");
            let request_pointer = format!("/components/schemas/{}", escape(&schema_name));
            if self.document.pointer(&request_pointer).is_none() {
                self.problem(format!("variant {vid} names request_schema `{schema_name}`, which does not exist"));
            }
            let mut disagreements = base.disagreements.clone();
            for d in strings(v.get("disagreements")) {
                if !disagreements.contains(&d) {
                    disagreements.push(d);
                }
            }
            out.push(Operation {
                id: vid,
                shared_id: Some(id.clone()),
                section: scalar(v.get("section")),
                summary: str_of(v, "summary"),
                request_pointer: Some(request_pointer),
                discriminator,
                async_job: v.get("async").and_then(parse_async),
                errors: strings(v.get("errors")),
                disagreements,
                note: v.get("note").and_then(Value::as_str).map(str::to_owned).or(base.note.clone()),
                ..base.clone()
            });
        }
    }

    fn parameters(&mut self, op: &Value) -> Vec<Parameter> {
        let mut out: Vec<Parameter> = Vec::new();
        let own = op.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
        let all: Vec<Value> = self.shared.iter().chain(own.iter()).cloned().collect();
        for (i, raw) in all.iter().enumerate() {
            let (p, extra) = match raw.get("$ref").and_then(Value::as_str) {
                Some(r) => match resolve_ref(self.document, r) {
                    Some(target) => (target, raw),
                    None => {
                        self.problem(format!("parameter #{i} has a dangling $ref `{r}`"));
                        continue;
                    }
                },
                None => (raw, raw),
            };
            let location = match str_of(p, "in").as_str() {
                "path" => ParamLocation::Path,
                "query" => ParamLocation::Query,
                other => {
                    self.problem(format!(
                        "parameter `{}` is in `{other}`, only path and query are supported",
                        str_of(p, "name")
                    ));
                    continue;
                }
            };
            let mut schema = p.get("schema").cloned().unwrap_or(Value::Bool(true));
            if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
                if let Some(t) = resolve_ref(self.document, r) {
                    schema = t.clone();
                }
            }
            let mut disagreements = strings(p.get("x-sdrs-disagreements"));
            disagreements.extend(strings(extra.get("x-sdrs-disagreements")));
            let name = str_of(p, "name");
            out.retain(|q: &Parameter| !(q.name == name && q.location == location));
            out.push(Parameter {
                name,
                location,
                required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                schema,
                error_code: p
                    .get("x-sdrs-error-code")
                    .or_else(|| extra.get("x-sdrs-error-code"))
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                disagreements,
                inferred: super::inferred_gap(p).or_else(|| super::inferred_gap(extra)),
                not_found: p.get("x-sdrs-not-found").map(|nf| NotFound {
                    status: nf.get("status").and_then(Value::as_u64).unwrap_or(400) as u16,
                    code: str_of(nf, "code"),
                    note: nf.get("note").and_then(Value::as_str).map(str::to_owned),
                }),
            });
        }
        out
    }

    fn responses(&mut self, op: &Value, id: &str) -> (BTreeMap<u16, ResponseSpec>, u16) {
        let mut out = BTreeMap::new();
        let Some(map) = op.get("responses").and_then(Value::as_object) else {
            self.problem(format!("operation {id} documents no responses"));
            return (out, 200);
        };
        for (status, raw) in map {
            let Ok(code) = status.parse::<u16>() else {
                self.problem(format!("operation {id}: response key `{status}` is not an HTTP status"));
                continue;
            };
            let (resp, base_pointer) = match raw.get("$ref").and_then(Value::as_str) {
                Some(r) => match resolve_ref(self.document, r) {
                    Some(t) => (t, r.trim_start_matches('#').to_owned()),
                    None => {
                        self.problem(format!("operation {id}: response {status} has a dangling $ref `{r}`"));
                        continue;
                    }
                },
                None => (raw, format!("{}/responses/{}", self.pointer, status)),
            };
            let schema_pointer = resp
                .pointer("/content/application~1json/schema")
                .map(|_| format!("{base_pointer}/content/application~1json/schema"));
            let by_request = self.by_request(resp, id, status);
            out.insert(code, ResponseSpec { schema_pointer, by_request });
        }
        let success = out.keys().copied().find(|s| (200..300).contains(s)).unwrap_or_else(|| {
            self.problem(format!("operation {id} documents no 2xx status"));
            200
        });
        (out, success)
    }
}

impl OpContext<'_> {
    /// The `x-sdrs-response-by-request` entries of one response, each naming an existing schema.
    fn by_request(&mut self, resp: &Value, id: &str, status: &str) -> Vec<RequestKeyedSchema> {
        let mut out = Vec::new();
        let entries = resp.get("x-sdrs-response-by-request").and_then(Value::as_array).cloned().unwrap_or_default();
        for (i, e) in entries.iter().enumerate() {
            let reference = e.pointer("/schema/$ref").and_then(Value::as_str).unwrap_or("");
            let (field, value) = (str_of(e, "field"), scalar(e.get("value")));
            if field.is_empty() || value.is_empty() || resolve_ref(self.document, reference).is_none() {
                self.problem(format!(
                    "operation {id}: response {status}, x-sdrs-response-by-request #{i} needs a field, a value and \
                     a schema $ref that resolves (got `{reference}`)"
                ));
                continue;
            }
            let schema_pointer = reference.trim_start_matches('#').to_owned();
            out.push(RequestKeyedSchema { field, value, section: scalar(e.get("section")), schema_pointer });
        }
        out
    }
}

fn parse_async(v: &Value) -> Option<AsyncJob> {
    if !v.is_object() {
        return None;
    }
    Some(AsyncJob {
        job_type: v.get("job_type").and_then(Value::as_str).map(str::to_owned),
        alt_job_types: strings(v.get("alt_job_types")),
        entity: v.get("entity").and_then(Value::as_str).map(str::to_owned),
    })
}

/// Resolves a local `#/...` reference.
pub fn resolve_ref<'a>(document: &'a Value, reference: &str) -> Option<&'a Value> {
    reference.strip_prefix('#').and_then(|p| document.pointer(p))
}

fn str_of(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_owned()
}

fn scalar(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

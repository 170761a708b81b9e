//! Compiled JSON Schemas of a document, built once per schema and shared.
//!
//! Schemas are addressed by their JSON pointer inside the OpenAPI document; `$ref`s are
//! resolved against the whole document, which is registered under a fixed base URI.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Characters escaped in a URI fragment.
const FRAGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'%')
    .add(b'#');

/// Base URI under which the document is registered.
const BASE: &str = "https://sdrs-conformance.invalid/spec.json";

/// One violation of a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    /// JSON pointer into the instance.
    pub instance_path: String,
    /// JSON pointer into the schema (keywords walked).
    pub schema_path: String,
    /// The failing keyword.
    pub keyword: String,
    /// What is wrong.
    pub message: String,
    /// The property a `required` violation names as missing.
    pub missing: Option<String>,
}

struct DocRetriever(Arc<Value>);

impl jsonschema::Retrieve for DocRetriever {
    fn retrieve(&self, uri: &jsonschema::Uri<String>) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        if uri.as_str().starts_with(BASE) {
            Ok((*self.0).clone())
        } else {
            Err(format!("no such schema resource: {uri}").into())
        }
    }
}

/// Validators of one document, compiled on first use.
pub struct SchemaCache {
    document: Arc<Value>,
    compiled: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

impl std::fmt::Debug for SchemaCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaCache").finish_non_exhaustive()
    }
}

/// Why a schema of the specs cannot judge an answer: the spec, not the target, is at fault.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// No schema at the pointer.
    #[error("no schema at {pointer}")]
    Missing {
        /// JSON pointer into the OpenAPI document.
        pointer: String,
    },
    /// The schema at the pointer does not compile.
    #[error("cannot compile the schema at {pointer}: {source}")]
    Compile {
        /// JSON pointer into the OpenAPI document.
        pointer: String,
        /// What the validator builder said (boxed: it is large).
        #[source]
        source: Box<jsonschema::ValidationError<'static>>,
    },
}

impl SchemaCache {
    /// A cache over `document`.
    pub fn new(document: &Value) -> SchemaCache {
        SchemaCache { document: Arc::new(document.clone()), compiled: Mutex::new(HashMap::new()) }
    }

    /// The validator of the schema at `pointer`.
    pub fn validator(&self, pointer: &str) -> Result<Arc<jsonschema::Validator>, SchemaError> {
        if let Some(v) = self.compiled.lock().expect("schema cache poisoned").get(pointer) {
            return Ok(v.clone());
        }
        if self.document.pointer(pointer).is_none() {
            return Err(SchemaError::Missing { pointer: pointer.to_owned() });
        }
        let fragment = percent_encoding::utf8_percent_encode(pointer, FRAGMENT).to_string();
        let schema = serde_json::json!({ "$ref": format!("{BASE}#{fragment}") });
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .with_retriever(DocRetriever(self.document.clone()))
            .build(&schema)
            .map_err(|source| SchemaError::Compile { pointer: pointer.to_owned(), source: Box::new(source) })?;
        let validator = Arc::new(validator);
        self.compiled.lock().expect("schema cache poisoned").insert(pointer.to_owned(), validator.clone());
        Ok(validator)
    }

    /// Every violation of `instance` against the schema at `pointer`.
    pub fn violations(&self, pointer: &str, instance: &Value) -> Result<Vec<SchemaViolation>, SchemaError> {
        let validator = self.validator(pointer)?;
        Ok(validator
            .iter_errors(instance)
            .map(|e| {
                let schema_path = e.schema_path().as_str().to_owned();
                SchemaViolation {
                    instance_path: e.instance_path().as_str().to_owned(),
                    keyword: schema_path.rsplit('/').next().unwrap_or("").to_owned(),
                    schema_path,
                    message: e.to_string(),
                    missing: match e.kind() {
                        jsonschema::error::ValidationErrorKind::Required { property } => {
                            property.as_str().map(str::to_owned)
                        }
                        _ => None,
                    },
                }
            })
            .collect())
    }

    /// The document the schemas come from.
    pub fn document(&self) -> &Value {
        &self.document
    }
}

/// The schema caches of every document, chosen by the operation's file.
#[derive(Debug)]
pub struct SchemaSet {
    caches: Vec<(String, SchemaCache)>,
}

impl SchemaSet {
    /// Caches for every document of `specs`.
    pub fn new(specs: &super::Specs) -> SchemaSet {
        SchemaSet {
            caches: specs.apis().into_iter().map(|api| (api.file.clone(), SchemaCache::new(&api.document))).collect(),
        }
    }

    /// The cache of the document that defines `op`.
    pub fn for_operation(&self, op: &super::Operation) -> &SchemaCache {
        self.caches.iter().find(|(file, _)| *file == op.location.file).map(|(_, c)| c).unwrap_or(&self.caches[0].1)
    }
}

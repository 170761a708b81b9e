//! Integration tests of `specs/`: the OpenAPI documents against the published OpenAPI 3.1
//! schema, the loader's rejections (each with its file, line and offending value), the counts
//! the seeds document, and the disagreement register of `specs/README.md`. No network.

#[path = "spec/common.rs"]
mod common;

#[path = "spec/counts.rs"]
mod counts;
#[path = "spec/disagreements.rs"]
mod disagreements;
#[path = "spec/loader.rs"]
mod loader;
#[path = "spec/openapi_schema.rs"]
mod openapi_schema;

//! The three OpenAPI documents validate against the published OpenAPI 3.1 schema (2022-10-07),
//! kept in `tests/fixtures/` so that no test needs the network.

use serde_json::{json, Value};

use crate::common::{read_spec, yaml};

const SCHEMA: &str = include_str!("../fixtures/openapi-3.1-schema-2022-10-07.json");

/// The OpenAPI 3.1 schema compiled as JSON Schema draft 2020-12 (it uses `$dynamicRef`).
fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(SCHEMA).expect("the OpenAPI 3.1 schema is JSON");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .unwrap_or_else(|e| panic!("the OpenAPI 3.1 schema does not compile: {e}"))
}

/// Every violation of `document`, one line each.
fn violations(document: &Value) -> Vec<String> {
    validator().iter_errors(document).map(|e| format!("{} at {}", e, e.instance_path().as_str())).collect()
}

#[track_caller]
fn assert_valid(file: &str) {
    let document = yaml(&read_spec(file));
    let errors = violations(&document);
    assert!(errors.is_empty(), "{file} violates the OpenAPI 3.1 schema:\n{}", errors.join("\n"));
}

#[test]
fn the_fixture_is_the_published_openapi_3_1_schema_of_2022_10_07() {
    let schema: Value = serde_json::from_str(SCHEMA).unwrap();
    assert_eq!(schema["$id"], "https://spec.openapis.org/oas/3.1/schema/2022-10-07");
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
}

#[test]
fn the_sdrs_document_validates_against_the_openapi_3_1_schema() {
    assert_valid("sdrs-v1.openapi.yaml");
}

#[test]
fn the_dws_document_validates_against_the_openapi_3_1_schema() {
    assert_valid("dws-disaster-recovery.openapi.yaml");
}

#[test]
fn the_extension_document_validates_against_the_openapi_3_1_schema() {
    assert_valid("sdrs-v1-extensions.openapi.yaml");
}

#[test]
fn every_document_declares_openapi_3_1() {
    for file in ["sdrs-v1.openapi.yaml", "sdrs-v1-extensions.openapi.yaml", "dws-disaster-recovery.openapi.yaml"] {
        let document = yaml(&read_spec(file));
        let version = document["openapi"].as_str().unwrap_or_default();
        assert!(version.starts_with("3.1."), "{file} declares openapi {version}");
    }
}

#[test]
fn the_schema_refuses_a_parameter_located_in_the_body() {
    let mut document = yaml(&read_spec("sdrs-v1.openapi.yaml"));
    document["components"]["parameters"]["ProjectId"]["in"] = json!("body");
    assert!(!violations(&document).is_empty(), "a parameter `in: body` must be refused");
}

#[test]
fn the_schema_follows_dynamic_refs_and_refuses_a_schema_that_is_a_number() {
    // Schema objects are checked through `$dynamicRef: "#meta"`; 42 is neither an object nor a boolean.
    let mut document = yaml(&read_spec("sdrs-v1.openapi.yaml"));
    document["components"]["parameters"]["Limit"]["schema"] = json!(42);
    let errors = violations(&document);
    assert!(
        errors.iter().any(|e| e.contains("/components/parameters/Limit/schema")),
        "a numeric schema must be refused at its place, got: {errors:#?}"
    );
}

#[test]
fn the_schema_refuses_a_response_status_that_is_not_three_digits() {
    let mut document = yaml(&read_spec("sdrs-v1.openapi.yaml"));
    let responses = document["paths"]["/v1/{project_id}/sdrs/quotas"]["get"]["responses"].as_object_mut().unwrap();
    let ok = responses["200"].clone();
    responses.insert("2000".into(), ok);
    assert!(!violations(&document).is_empty(), "a response key 2000 must be refused");
}

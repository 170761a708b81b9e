//! The loader (`Specs::from_sources`) refuses broken specs with one problem per fault, each
//! naming its file and line and quoting the offending value.

use sdrs_conformance::spec::{SpecSources, Specs};

use crate::common::{edited, line_after, problem_about, problems, replace_once};

const SDRS: &str = "specs/sdrs-v1.openapi.yaml";
const STATES: &str = "specs/states.yaml";
const ERRORS: &str = "specs/errors.yaml";

/// The line of the `get:` of the quota operation, where its problems are reported.
fn quotas_get_line(text: &str) -> usize {
    line_after(text, "  /v1/{project_id}/sdrs/quotas:", "    get:")
}

/// The line of the list item of an action in states.yaml.
fn action_line(text: &str, action: &str) -> usize {
    line_after(text, "actions:", &format!("  - name: {action}"))
}

#[test]
fn the_embedded_specs_load_without_problems() {
    let specs = Specs::from_sources(&SpecSources::embedded()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(specs.sdrs.file, SDRS);
}

#[test]
fn malformed_yaml_is_refused_with_its_file_line_and_column() {
    let sources = edited(|s| replace_once(&mut s.sdrs, "\n  version: v1\n", "\n  version: v1: broken\n"));
    let found = problems(&sources);
    let p = problem_about(&found, "malformed yaml");
    let line = line_after(&sources.sdrs, "info:", "  version: v1: broken");
    assert_eq!(p.location.file, SDRS);
    assert_eq!(p.location.line, line, "{p}");
    assert!(p.message.contains(&format!("line {line} column")), "{p}");
    assert!(p.to_string().starts_with(&format!("{SDRS}:{line}: malformed yaml")), "{p}");
}

#[test]
fn a_malformed_state_model_is_refused_quoting_the_offending_value() {
    let sources = edited(|s| {
        replace_once(
            &mut s.states,
            "      available: {kind: stable}\n      protected: {kind: stable}\n",
            "      available: {kind: stabel}\n      protected: {kind: stable}\n",
        )
    });
    let found = problems(&sources);
    let p = problem_about(&found, "malformed state model");
    assert_eq!(p.location.file, STATES);
    assert_eq!(
        p.location.line,
        line_after(&sources.states, "  server_group:", "      available: {kind: stabel}"),
        "{p}"
    );
    assert!(p.message.contains("stabel"), "the offending value must be quoted: {p}");
}

#[test]
fn a_malformed_error_table_is_refused_quoting_the_offending_value() {
    let sources = edited(|s| {
        replace_once(
            &mut s.errors,
            "    status: 400\n    message: Invalid tenant token\n",
            "    status: four hundred\n    message: Invalid tenant token\n",
        )
    });
    let found = problems(&sources);
    let p = problem_about(&found, "malformed error table");
    assert_eq!(p.location.file, ERRORS);
    assert_eq!(p.location.line, line_after(&sources.errors, "code: SDRS.0002", "    status: four hundred"), "{p}");
    assert!(p.message.contains("four hundred"), "the offending value must be quoted: {p}");
}

#[test]
fn a_dangling_ref_is_refused_at_the_operation_that_holds_it() {
    let sources = edited(|s| {
        replace_once(
            &mut s.sdrs,
            "$ref: '#/components/schemas/QuotaResponse'",
            "$ref: '#/components/schemas/QuotaAnswer'",
        )
    });
    let found = problems(&sources);
    let p = problem_about(&found, "dangling $ref `#/components/schemas/QuotaAnswer`");
    assert_eq!(p.location.file, SDRS);
    assert_eq!(p.location.line, quotas_get_line(&sources.sdrs), "{p}");
    assert!(
        p.message.contains("/get/responses/200/content/application~1json/schema"),
        "the JSON pointer must be named: {p}"
    );
}

#[test]
fn a_dangling_parameter_ref_is_refused_naming_the_reference() {
    let sources = edited(|s| {
        replace_once(
            &mut s.sdrs,
            "      x-sdrs-section: 5.10.1\n      parameters:\n      - $ref: '#/components/parameters/ProjectId'\n",
            "      x-sdrs-section: 5.10.1\n      parameters:\n      - $ref: '#/components/parameters/ProjectID'\n",
        )
    });
    let found = problems(&sources);
    assert!(
        found.iter().any(|p| p.message.contains("`#/components/parameters/ProjectID`")
            && p.location.line == quotas_get_line(&sources.sdrs)),
        "{found:#?}"
    );
}

#[test]
fn an_unknown_state_named_by_an_action_is_refused() {
    let sources = edited(|s| {
        replace_once(&mut s.states, "    from: [protected, error-stopping]\n", "    from: [protected, error-stoping]\n")
    });
    let found = problems(&sources);
    let p = problem_about(&found, "`error-stoping`");
    assert_eq!(p.location.file, STATES);
    assert_eq!(p.location.line, action_line(&sources.states, "stop_protection"), "{p}");
    assert!(p.message.contains("action stop_protection") && p.message.contains("kind server_group"), "{p}");
}

#[test]
fn a_duplicate_error_code_is_refused_at_its_second_row() {
    let sources = edited(|s| replace_once(&mut s.errors, "  - code: SDRS.0002\n", "  - code: SDRS.0001\n"));
    let found = problems(&sources);
    let p = problem_about(&found, "duplicate code SDRS.0001");
    let second =
        sources.errors.lines().enumerate().filter(|(_, l)| *l == "  - code: SDRS.0001").nth(1).map(|(i, _)| i + 1);
    assert_eq!(p.location.file, ERRORS);
    assert_eq!(Some(p.location.line), second, "{p}");
    assert!(p.message.contains("first at row 1"), "{p}");
}

#[test]
fn an_unknown_error_code_named_by_an_operation_is_refused() {
    let sources = edited(|s| {
        replace_once(
            &mut s.sdrs,
            "      x-sdrs-errors:\n      - SDRS.0001\n      x-sdrs-disagreements:\n      - INC-34\n      x-sdrs-note: 'Checks enforce the table of 5.10.1",
            "      x-sdrs-errors:\n      - SDRS.0991\n      x-sdrs-disagreements:\n      - INC-34\n      x-sdrs-note: 'Checks enforce the table of 5.10.1",
        )
    });
    let found = problems(&sources);
    let p = problem_about(&found, "SDRS.0991");
    assert_eq!(p.location.file, SDRS);
    assert_eq!(p.location.line, quotas_get_line(&sources.sdrs), "{p}");
    assert!(p.message.contains("operation showQuotas names error code SDRS.0991"), "{p}");
}

#[test]
fn an_unknown_error_code_named_by_an_action_is_refused() {
    let sources = edited(|s| {
        replace_once(
            &mut s.states,
            "    refusal: {status: 400, codes: [SDRS.1913]}\n",
            "    refusal: {status: 400, codes: [SDRS.1931]}\n",
        )
    });
    let found = problems(&sources);
    let p = problem_about(&found, "SDRS.1931");
    assert_eq!(p.location.file, STATES);
    assert_eq!(p.location.line, action_line(&sources.states, "delete_drill"), "{p}");
    assert!(p.message.contains("action delete_drill names error code SDRS.1931"), "{p}");
}

#[test]
fn an_unknown_operation_named_by_an_action_is_refused() {
    let sources = edited(|s| {
        replace_once(&mut s.states, "    operation: stopProtectionGroup\n", "    operation: stopProtectionGroups\n")
    });
    let found = problems(&sources);
    let p = problem_about(&found, "stopProtectionGroups");
    assert_eq!(p.location.file, STATES);
    assert_eq!(p.location.line, action_line(&sources.states, "stop_protection"), "{p}");
    assert!(p.message.contains("action stop_protection is triggered by operation stopProtectionGroups"), "{p}");
}

#[test]
fn a_duplicate_operation_id_is_refused_at_the_second_operation() {
    let sources = edited(|s| replace_once(&mut s.sdrs, "operationId: showQuotas\n", "operationId: showJobStatus\n"));
    let found = problems(&sources);
    let p = problem_about(&found, "duplicate operationId showJobStatus");
    assert_eq!(p.location.file, SDRS);
    assert_eq!(p.location.line, quotas_get_line(&sources.sdrs), "{p}");
}

#[test]
fn a_variant_naming_a_missing_request_schema_is_refused() {
    let sources = edited(|s| {
        replace_once(
            &mut s.sdrs,
            "        request_schema: StopProtectionGroupRequest\n",
            "        request_schema: StopProtectionGroupBody\n",
        )
    });
    let found = problems(&sources);
    let p = problem_about(&found, "StopProtectionGroupBody");
    assert_eq!(p.location.file, SDRS);
    assert_eq!(
        p.location.line,
        line_after(&sources.sdrs, "  /v1/{project_id}/server-groups/{server_group_id}/action:", "    post:"),
        "{p}"
    );
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    let sources = edited(|s| {
        replace_once(&mut s.errors, "  - code: SDRS.0002\n", "  - code: SDRS.0001\n");
        replace_once(&mut s.states, "    operation: stopProtectionGroup\n", "    operation: stopProtectionGroups\n");
        replace_once(&mut s.sdrs, "operationId: showQuotas\n", "operationId: showJobStatus\n");
    });
    let found = problems(&sources);
    for needle in ["duplicate code SDRS.0001", "stopProtectionGroups", "duplicate operationId showJobStatus"] {
        problem_about(&found, needle);
    }
}

const EXTENSIONS: &str = "specs/sdrs-v1-extensions.openapi.yaml";

/// The line of the `get:` of the RPO-statistics operation.
fn rpo_get_line(text: &str) -> usize {
    line_after(text, "  /v1/{project_id}/resource/rpo-statistics:", "    get:")
}

#[test]
fn the_extension_document_is_loaded_beside_the_seed_document() {
    let specs = Specs::from_sources(&SpecSources::embedded()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(specs.extensions.file, EXTENSIONS);
    let op = specs.operation("listRpoStatistics").expect("listRpoStatistics is an operation of the specs");
    assert_eq!(op.location.file, EXTENSIONS);
    assert_eq!(specs.api_of(op).file, EXTENSIONS);
    assert!(op.source.as_deref().is_some_and(|s| s.contains("list_rpo_statistics")), "{:?}", op.source);
    assert!(specs.extensions.origin.as_deref().is_some_and(|o| o.contains("Outside the seeds")));
    assert!(specs.sdrs.operations.iter().all(|o| o.id != "listRpoStatistics"), "the seed document stays the seeds'");
}

#[test]
fn an_extension_error_code_missing_from_errors_yaml_is_refused_at_its_operation() {
    let sources = edited(|s| {
        replace_once(
            &mut s.extensions,
            "      - SDRS.0222\n      x-sdrs-inferred",
            "      - SDRS.9222\n      x-sdrs-inferred",
        )
    });
    let found = problems(&sources);
    let p = problem_about(&found, "SDRS.9222");
    assert_eq!(p.location.file, EXTENSIONS);
    assert_eq!(p.location.line, rpo_get_line(&sources.extensions), "{p}");
    assert!(p.message.contains("operation listRpoStatistics"), "{p}");
}

#[test]
fn an_extension_operation_without_its_source_is_refused() {
    let sources = edited(|s| replace_once(&mut s.extensions, "      x-sdrs-source:", "      x-sdrs-where:"));
    let found = problems(&sources);
    let p = problem_about(&found, "x-sdrs-source");
    assert_eq!(p.location.file, EXTENSIONS);
    assert_eq!(p.location.line, rpo_get_line(&sources.extensions), "{p}");
}

#[test]
fn an_extension_document_without_its_origin_is_refused() {
    let sources = edited(|s| replace_once(&mut s.extensions, "  x-sdrs-origin:", "  x-sdrs-from:"));
    let found = problems(&sources);
    let p = problem_about(&found, "x-sdrs-origin");
    assert_eq!(p.location.file, EXTENSIONS);
}

#[test]
fn an_extension_operation_id_that_repeats_a_seed_one_is_refused() {
    let sources =
        edited(|s| replace_once(&mut s.extensions, "operationId: listRpoStatistics\n", "operationId: showQuotas\n"));
    let found = problems(&sources);
    let p = problem_about(&found, "duplicate operationId showQuotas");
    assert_eq!(p.location.file, EXTENSIONS);
}

#[test]
fn a_requirement_with_no_code_no_source_and_no_reading_is_refused() {
    let sources = edited(|s| {
        replace_once(
            &mut s.states,
            "      - {id: no_drill, what: \"no DR drill in the group\", codes: [SDRS.1003]}\n",
            "      - {id: no_drill, what: \"no DR drill in the group\", codes: []}\n",
        )
    });
    let found = problems(&sources);
    let p = problem_about(&found, "no DR drill in the group");
    assert_eq!(p.location.file, STATES);
    assert_eq!(p.location.line, action_line(&sources.states, "delete_group"), "{p}");
    assert!(p.message.contains("names no A.1 code, no source and no reading"), "{p}");
}

#[test]
fn an_inferred_rule_must_cite_a_gap_that_readings_yaml_defines() {
    let sources = edited(|s| {
        replace_once(&mut s.sdrs, "x-sdrs-inferred: {enum: GAP-03}", "x-sdrs-inferred: {enum: GAP-93}");
    });
    let found = problems(&sources);
    let p = problem_about(&found, "GAP-93");
    assert_eq!(p.location.file, SDRS);
    assert!(p.message.contains("dr_type") && p.message.contains("not a gap of readings.yaml"), "{p}");
    let sources = edited(|s| {
        replace_once(&mut s.sdrs, "x-sdrs-inferred: {enum: GAP-03}", "x-sdrs-inferred: [GAP-03]");
    });
    let found = problems(&sources);
    assert!(found.iter().any(|p| p.message.contains("neither a GAP id nor {keyword: GAP id}")), "{found:#?}");
}

#[test]
fn a_malformed_readings_file_is_named_by_file_and_line() {
    let sources =
        edited(|s| s.readings = s.readings.replacen("    rule: a field listed", "    rul: a field listed", 1));
    let found = problems(&sources);
    let p = problem_about(&found, "invalid readings");
    assert_eq!(p.location.file, "specs/readings.yaml");
    assert!(p.location.line > 0, "{p}");
}

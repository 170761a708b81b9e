//! Fault modes: each fault makes the emulator break the contract in its named way. The same
//! requests without the fault are covered by the other modules (they answer correctly there).

use reqwest::Method;
use sdrs_conformance::emulator::{EmulatorConfig, Fault};
use serde_json::{json, Value};

use crate::common::Env;

/// An emulator committing one fault.
async fn with(fault: Fault) -> Env {
    Env::with(EmulatorConfig { faults: vec![fault], ..EmulatorConfig::default() }).await
}

/// An answer whose body need not be JSON.
struct Raw {
    status: u16,
    content_type: Option<String>,
    text: String,
}

/// `GET /v1/{project_id}` + `path` with a token, read as text.
async fn raw_get(env: &Env, path: &str) -> Raw {
    let response = env
        .client
        .get(format!("{}{}", env.emulator.uri(), Env::v1(path)))
        .header("X-Auth-Token", "emulator-test-token")
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_string());
    let text = response.text().await.expect("body");
    Raw { status, content_type, text }
}

/// `GET /v1/{project_id}/server-groups` with these headers only.
async fn groups_with_headers(env: &Env, headers: &[(&str, &str)]) -> u16 {
    let mut request = env.client.get(format!("{}{}", env.emulator.uri(), Env::v1("/server-groups")));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("request sent").status().as_u16()
}

/// Polls a job `n` times and returns the statuses seen.
async fn statuses(env: &Env, job_id: &str, n: usize) -> Vec<String> {
    let mut seen = Vec::new();
    for _ in 0..n {
        seen.push(env.poll(job_id).await["status"].as_str().unwrap().to_string());
    }
    seen
}

fn entity(job: &Value, key: &str) -> String {
    job["entities"][key].as_str().unwrap_or_else(|| panic!("no {key}: {job}")).to_string()
}

/// Every fault of the table, by name, that a test below exercises.
const TESTED: &[&str] = &[
    "undocumented-status",
    "async-write-wrong-status",
    "error-status-5xx",
    "wrong-content-type",
    "truncated-body",
    "non-json-body",
    "missing-required-field",
    "wrong-field-type",
    "enum-out-of-spec",
    "null-in-non-nullable",
    "error-code-not-in-table",
    "error-code-wrong-status",
    "error-body-unwrapped",
    "error-body-empty",
    "async-write-without-job-id",
    "job-wrong-type",
    "job-never-ends",
    "job-success-with-error-state",
    "job-status-regresses",
    "job-bad-id-format",
    "job-end-before-begin",
    "job-missing-entity",
    "stale-member-state",
    "job-success-with-error",
    "job-begin-time-drifts",
    "job-status-out-of-enum",
    "forbidden-transition",
    "unknown-status",
    "action-from-forbidden-state",
    "delete-group-with-members",
    "wrong-refusal-code",
    "invalid-input-accepted",
    "limit-not-validated",
    "missing-field-accepted",
    "no-auth",
    "bad-signature-accepted",
    "created-missing-from-list",
    "deleted-still-shown",
    "tag-not-stored",
    "quota-not-counted",
    "optional-field-dropped",
    "rename-not-kept",
    "ghost-in-lists",
    "limit-ignored",
    "offset-ignored",
    "count-wrong",
    "filter-ignored",
    "snapshot-drift",
];

#[test]
fn every_fault_has_a_test_here_and_every_name_parses() {
    let all: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
    assert_eq!(TESTED, all.as_slice());
    assert!(Fault::parse("no-such-fault").unwrap_err().to_string().contains("valid faults: "));
}

// status_code

#[tokio::test]
async fn undocumented_status_answers_201_to_show_group() {
    let env = with(Fault::UndocumentedStatus).await;
    let group = env.group("pg").await;
    let answer = env.get(&format!("/server-groups/{group}")).await;
    assert_eq!(answer.status, 201);
    assert_eq!(answer.body["server_group"]["id"], group.as_str());
}

#[tokio::test]
async fn async_write_wrong_status_answers_201_to_create_pair_and_still_runs_the_job() {
    let env = with(Fault::AsyncWriteWrongStatus).await;
    let group = env.group("pg").await;
    let body = json!({"replication": {"server_group_id": group, "volume_id": env.volume("evs-01"), "name": "rp"}});
    let answer = env.post("/replications", body).await;
    assert_eq!(answer.status, 201, "{}", answer.raw);
    let job = env.finish(answer.body["job_id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "SUCCESS");
}

#[tokio::test]
async fn error_status_5xx_answers_500_with_a_valid_error_body_to_list_drills() {
    let env = with(Fault::ErrorStatus5xx).await;
    let answer = env.get("/disaster-recovery-drills").await;
    assert_eq!(answer.status, 500);
    assert_eq!(answer.body, json!({"error": {"code": "SDRS.0013", "message": "Internal error"}}));
}

// content_type

#[tokio::test]
async fn wrong_content_type_labels_show_instance_text_plain() {
    let env = with(Fault::WrongContentType).await;
    let group = env.group("pg").await;
    let instance = env.instance(&group, "ecs-02").await;
    let raw = raw_get(&env, &format!("/protected-instances/{instance}")).await;
    assert_eq!(raw.status, 200);
    assert_eq!(raw.content_type.as_deref(), Some("text/plain;charset=UTF-8"));
    assert!(serde_json::from_str::<Value>(&raw.text).is_ok(), "{}", raw.text);
}

#[tokio::test]
async fn truncated_body_cuts_the_group_list_in_half() {
    let env = with(Fault::TruncatedBody).await;
    env.group("pg").await;
    let raw = raw_get(&env, "/server-groups").await;
    assert_eq!(raw.status, 200);
    assert_eq!(raw.content_type.as_deref(), Some("application/json;charset=UTF-8"));
    assert!(raw.text.starts_with("{\""), "{}", raw.text);
    assert!(serde_json::from_str::<Value>(&raw.text).is_err(), "{}", raw.text);
}

#[tokio::test]
async fn non_json_body_answers_quotas_with_an_html_page() {
    let env = with(Fault::NonJsonBody).await;
    let raw = raw_get(&env, "/sdrs/quotas").await;
    assert_eq!(raw.status, 200);
    assert_eq!(raw.content_type.as_deref(), Some("text/html;charset=UTF-8"));
    assert!(raw.text.starts_with("<!DOCTYPE html>"), "{}", raw.text);
}

// response_schema

#[tokio::test]
async fn missing_required_field_drops_domain_name_from_groups() {
    let env = with(Fault::MissingRequiredField).await;
    let group = env.group("pg").await;
    let shown = env.get(&format!("/server-groups/{group}")).await.body;
    assert!(shown["server_group"].get("domain_name").is_none(), "{shown}");
    assert_eq!(shown["server_group"]["name"], "pg");
    let listed = env.get("/server-groups").await.body;
    assert!(listed["server_groups"][0].get("domain_name").is_none(), "{listed}");
}

#[tokio::test]
async fn wrong_field_type_sends_instance_progress_as_a_string() {
    let env = with(Fault::WrongFieldType).await;
    let group = env.group("pg").await;
    let instance = env.instance(&group, "ecs-02").await;
    let shown = env.get(&format!("/protected-instances/{instance}")).await.body;
    assert_eq!(shown["protected_instance"]["progress"], json!("100"));
}

#[tokio::test]
async fn enum_out_of_spec_sends_pair_replication_status_syncing() {
    let env = with(Fault::EnumOutOfSpec).await;
    let group = env.group("pg").await;
    let pair = env.pair(&group, "evs-01").await;
    let shown = env.get(&format!("/replications/{pair}")).await.body;
    assert_eq!(shown["replication"]["replication_status"], "syncing");
}

#[tokio::test]
async fn null_in_non_nullable_sends_drill_names_as_null() {
    let env = with(Fault::NullInNonNullable).await;
    let group = env.group("pg").await;
    let body = json!({"disaster_recovery_drill": {"server_group_id": group, "name": "d"}});
    let job = env.succeed(env.post("/disaster-recovery-drills", body).await).await;
    let drill = entity(&job, "disaster_recovery_drill_id");
    let shown = env.get(&format!("/disaster-recovery-drills/{drill}")).await.body;
    assert_eq!(shown["disaster_recovery_drill"]["name"], Value::Null);
    assert!(shown["disaster_recovery_drill"].get("name").is_some());
    let listed = env.get("/disaster-recovery-drills").await.body;
    assert_eq!(listed["disaster_recovery_drills"][0]["name"], Value::Null);
}

// error_body

#[tokio::test]
async fn error_code_not_in_table_answers_invalid_requests_and_not_found_with_sdrs_9999() {
    let env = with(Fault::ErrorCodeNotInTable).await;
    let table = std::fs::read_to_string(format!("{}/specs/errors.yaml", env!("CARGO_MANIFEST_DIR"))).unwrap();
    assert!(!table.contains("SDRS.9999"));
    env.post("/server-groups", json!([])).await.refused("SDRS.9999");
    env.get("/server-groups/nope").await.refused("SDRS.9999");
    env.get("/replications/nope").await.refused("SDRS.9999");
    // Other refusals keep their codes.
    env.get("/server-groups?limit=x").await.refused("SDRS.0221");
}

#[tokio::test]
async fn error_code_wrong_status_sends_invalid_requests_with_409() {
    let env = with(Fault::ErrorCodeWrongStatus).await;
    let answer = env.post("/server-groups", json!([])).await;
    assert_eq!(answer.status, 409, "{}", answer.raw);
    assert_eq!(answer.body, json!({"error": {"code": "SDRS.0201", "message": "Invalid request parameters"}}));
    env.post("/server-groups", env.group_body("bad name", &env.vpc("vpc-prod"))).await.refused("SDRS.0202");
}

#[tokio::test]
async fn error_body_unwrapped_puts_code_and_message_at_the_top_level() {
    let env = with(Fault::ErrorBodyUnwrapped).await;
    let answer = env.get("/server-groups/nope").await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.body, json!({"code": "SDRS.1013", "message": "Protection group not found"}));
}

#[tokio::test]
async fn error_body_empty_sends_400_refusals_without_a_body() {
    let env = with(Fault::ErrorBodyEmpty).await;
    let raw = raw_get(&env, "/server-groups/nope").await;
    assert_eq!(raw.status, 400);
    assert_eq!(raw.text, "");
    assert_eq!(raw.content_type, None);
}

// job_protocol

#[tokio::test]
async fn async_write_without_job_id_answers_an_empty_object_but_creates_the_group() {
    let env = with(Fault::AsyncWriteWithoutJobId).await;
    let answer = env.post("/server-groups", env.group_body("pg", &env.vpc("vpc-prod"))).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, json!({}));
    let listed = env.get("/server-groups").await.body;
    assert_eq!(listed["server_groups"][0]["name"], "pg");
}

#[tokio::test]
async fn job_wrong_type_gives_create_pair_a_delete_job_type() {
    let env = with(Fault::JobWrongType).await;
    let group = env.group("pg").await;
    let body = json!({"replication": {"server_group_id": group, "volume_id": env.volume("evs-01"), "name": "rp"}});
    let job = env.succeed(env.post("/replications", body).await).await;
    assert_eq!(job["job_type"], "deleteReplicationPairNoCG");
}

#[tokio::test]
async fn job_never_ends_keeps_jobs_running_and_resources_transitional() {
    let env = with(Fault::JobNeverEnds).await;
    let answer = env.post("/server-groups", env.group_body("pg", &env.vpc("vpc-prod"))).await;
    let job_id = answer.job_id();
    let seen = statuses(&env, &job_id, 10).await;
    assert!(seen.iter().all(|s| s == "RUNNING"), "{seen:?}");
    let job = env.poll(&job_id).await;
    assert!(job["end_time"].is_null(), "{job}");
    let group = entity(&job, "server_group_id");
    assert_eq!(env.status(&format!("/server-groups/{group}"), "server_group").await, "creating");
}

#[tokio::test]
async fn job_success_with_error_state_leaves_a_started_group_in_error_starting() {
    let env = with(Fault::JobSuccessWithErrorState).await;
    let group = env.group("pg").await;
    env.pair(&group, "evs-01").await;
    let job = env.group_action(&group, json!({"start-server-group": {}})).await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    assert!(job["error_code"].is_null());
    assert_eq!(env.status(&format!("/server-groups/{group}"), "server_group").await, "error-starting");
}

#[tokio::test]
async fn job_success_with_error_gives_a_successful_job_the_error_fields_of_its_type() {
    let env = with(Fault::JobSuccessWithError).await;
    let answer = env.post("/server-groups", env.group_body("pg", &env.vpc("vpc-prod"))).await;
    let job_id = answer.job_id();
    let running = env.poll(&job_id).await;
    assert_eq!(running["status"], "RUNNING");
    assert!(running["error_code"].is_null() && running["fail_reason"].is_null(), "{running}");
    let done = env.poll(&job_id).await;
    assert_eq!(done["status"], "SUCCESS", "{done}");
    assert_eq!(done["error_code"], "SDRS.1014");
    assert!(done["fail_reason"].as_str().is_some_and(|r| !r.is_empty()), "{done}");
    let group = entity(&done, "server_group_id");
    assert_eq!(env.status(&format!("/server-groups/{group}"), "server_group").await, "available");
}

#[tokio::test]
async fn job_begin_time_drifts_moves_begin_time_earlier_at_every_poll() {
    let env = with(Fault::JobBeginTimeDrifts).await;
    let answer = env.post("/server-groups", env.group_body("pg", &env.vpc("vpc-prod"))).await;
    let job_id = answer.job_id();
    let first = env.poll(&job_id).await;
    let second = env.poll(&job_id).await;
    let third = env.poll(&job_id).await;
    let begin = |j: &Value| j["begin_time"].as_str().expect("begin_time").to_owned();
    // One format throughout, so that text order is time order.
    assert!(begin(&second) < begin(&first), "{first}\n{second}");
    assert!(begin(&third) < begin(&second), "{second}\n{third}");
    assert_eq!(third["status"], "SUCCESS");
    assert!(begin(&third).as_str() <= third["end_time"].as_str().expect("end_time"), "{third}");
}

#[tokio::test]
async fn job_status_out_of_enum_sends_statuses_in_lower_case() {
    let env = with(Fault::JobStatusOutOfEnum).await;
    let answer = env.post("/server-groups", env.group_body("pg", &env.vpc("vpc-prod"))).await;
    let seen = statuses(&env, &answer.job_id(), 3).await;
    assert_eq!(seen, ["running", "success", "success"]);
}

#[tokio::test]
async fn job_status_regresses_from_running_to_init_once() {
    let env = with(Fault::JobStatusRegresses).await;
    let answer = env.post("/server-groups", env.group_body("pg", &env.vpc("vpc-prod"))).await;
    let seen = statuses(&env, &answer.job_id(), 5).await;
    assert_eq!(seen, ["RUNNING", "INIT", "RUNNING", "SUCCESS", "SUCCESS"]);
}

#[tokio::test]
async fn job_bad_id_format_sends_job_ids_as_numbers() {
    let env = with(Fault::JobBadIdFormat).await;
    let answer = env.post("/server-groups", env.group_body("pg", &env.vpc("vpc-prod"))).await;
    assert_eq!(answer.status, 200);
    let id = answer.body["job_id"].as_u64().unwrap_or_else(|| panic!("not a number: {}", answer.raw));
    let job = env.poll(&id.to_string()).await;
    assert_eq!(job["job_id"], json!(id));
    assert_eq!(job["status"], "RUNNING");
    assert!(job["entities"]["sub_jobs"].is_array(), "{job}");
}

#[tokio::test]
async fn job_end_before_begin_ends_jobs_a_minute_before_they_began() {
    let env = with(Fault::JobEndBeforeBegin).await;
    let answer = env.post("/server-groups", env.group_body("pg", &env.vpc("vpc-prod"))).await;
    let job = env.finish(&answer.job_id()).await;
    assert_eq!(job["status"], "SUCCESS");
    let (begin, end) = (job["begin_time"].as_str().unwrap(), job["end_time"].as_str().unwrap());
    // Same fixed-width format: text order is time order.
    assert!(end < begin, "begin {begin}, end {end}");
}

#[tokio::test]
async fn job_missing_entity_ends_create_instance_without_the_instance_id() {
    let env = with(Fault::JobMissingEntity).await;
    let group = env.group("pg").await;
    let body =
        json!({"protected_instance": {"server_group_id": group, "server_id": env.server("ecs-02"), "name": "pi"}});
    let job = env.succeed(env.post("/protected-instances", body).await).await;
    assert_eq!(job["entities"], json!({}));
    let listed = env.get("/protected-instances").await.body;
    assert_eq!(listed["protected_instances"][0]["status"], "available");
}

// state_transition

#[tokio::test]
async fn forbidden_transition_shows_a_started_group_failed_over_once() {
    let env = with(Fault::ForbiddenTransition).await;
    let group = env.group("pg").await;
    env.pair(&group, "evs-01").await;
    let path = format!("/server-groups/{group}");
    let answer = env.post(&format!("{path}/action"), json!({"start-server-group": {}})).await;
    let job_id = answer.job_id();
    assert_eq!(env.status(&path, "server_group").await, "starting");
    assert_eq!(env.finish(&job_id).await["status"], "SUCCESS");
    assert_eq!(env.status(&path, "server_group").await, "failed-over");
    assert_eq!(env.status(&path, "server_group").await, "protected");
}

#[tokio::test]
async fn unknown_status_shows_available_instances_paused() {
    let env = with(Fault::UnknownStatus).await;
    let group = env.group("pg").await;
    let instance = env.instance(&group, "ecs-02").await;
    assert_eq!(env.status(&format!("/protected-instances/{instance}"), "protected_instance").await, "paused");
    let listed = env.get("/protected-instances").await.body;
    assert_eq!(listed["protected_instances"][0]["status"], "paused");
}

// precondition

#[tokio::test]
async fn action_from_forbidden_state_fails_over_an_available_group() {
    let env = with(Fault::ActionFromForbiddenState).await;
    let group = env.group("pg").await;
    let job = env.group_action(&group, json!({"failover-server-group": {}})).await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    assert_eq!(env.status(&format!("/server-groups/{group}"), "server_group").await, "failed-over");
    // Other forbidden actions are still refused.
    env.post(&format!("/server-groups/{group}/action"), json!({"failover-server-group": {}}))
        .await
        .refused("SDRS.1002");
}

#[tokio::test]
async fn delete_group_with_members_deletes_a_group_holding_an_instance_and_a_pair() {
    let env = with(Fault::DeleteGroupWithMembers).await;
    let group = env.group("pg").await;
    env.instance(&group, "ecs-02").await;
    env.pair(&group, "evs-01").await;
    env.succeed(env.delete(&format!("/server-groups/{group}")).await).await;
    env.get(&format!("/server-groups/{group}")).await.refused("SDRS.1013");
}

#[tokio::test]
async fn wrong_refusal_code_refuses_state_preconditions_with_sdrs_0201() {
    let env = with(Fault::WrongRefusalCode).await;
    let group = env.group("pg").await;
    env.post(&format!("/server-groups/{group}/action"), json!({"stop-server-group": {}})).await.refused("SDRS.0201");
    // Refusals that are not about a state keep their codes.
    env.get("/server-groups/nope").await.refused("SDRS.1013");
}

// negative_rejection

#[tokio::test]
async fn invalid_input_accepted_takes_descriptions_with_forbidden_characters() {
    let env = with(Fault::InvalidInputAccepted).await;
    let mut body = env.group_body("pg", &env.vpc("vpc-prod"));
    body["server_group"]["description"] = json!("<b>bold</b>");
    let job = env.succeed(env.post("/server-groups", body.clone()).await).await;
    let group = entity(&job, "server_group_id");
    assert_eq!(env.get(&format!("/server-groups/{group}")).await.body["server_group"]["description"], "<b>bold</b>");
    // Too long is still refused, and so are bad names.
    body["server_group"]["description"] = json!("x".repeat(65));
    env.post("/server-groups", body).await.refused("SDRS.0212");
    env.post("/server-groups", env.group_body("bad name", &env.vpc("vpc-prod"))).await.refused("SDRS.0202");
}

#[tokio::test]
async fn limit_not_validated_accepts_limit_5000() {
    let env = with(Fault::LimitNotValidated).await;
    let answer = env.get("/server-groups?limit=5000").await;
    assert_eq!(answer.status, 200, "{}", answer.raw);
    assert_eq!(env.get("/protected-instances?limit=5000").await.status, 200);
    env.get("/server-groups?limit=-1").await.refused("SDRS.0221");
}

#[tokio::test]
async fn missing_field_accepted_creates_a_group_without_source_vpc_id() {
    let env = with(Fault::MissingFieldAccepted).await;
    let mut body = env.group_body("pg", &env.vpc("vpc-prod"));
    body["server_group"].as_object_mut().unwrap().remove("source_vpc_id");
    let job = env.succeed(env.post("/server-groups", body).await).await;
    let group = entity(&job, "server_group_id");
    let shown = env.get(&format!("/server-groups/{group}")).await.body;
    assert_eq!(shown["server_group"]["source_vpc_id"], env.world.vpcs[0].id.as_str());
    // An empty value is still refused.
    let mut body = env.group_body("pg", "");
    body["server_group"]["name"] = json!("pg-2");
    env.post("/server-groups", body).await.refused("SDRS.0204");
}

// auth_required

#[tokio::test]
async fn no_auth_accepts_requests_without_credentials() {
    let env = with(Fault::NoAuth).await;
    assert_eq!(groups_with_headers(&env, &[]).await, 200);
}

#[tokio::test]
async fn bad_signature_accepted_takes_any_token_or_authorization_header() {
    let env = Env::with(EmulatorConfig {
        faults: vec![Fault::BadSignatureAccepted],
        token: Some("right".into()),
        ..EmulatorConfig::default()
    })
    .await;
    assert_eq!(groups_with_headers(&env, &[("X-Auth-Token", "wrong")]).await, 200);
    assert_eq!(groups_with_headers(&env, &[("X-Auth-Token", " ")]).await, 200);
    assert_eq!(groups_with_headers(&env, &[("Authorization", "SDK-HMAC-SHA256 garbage")]).await, 200);
    assert_eq!(groups_with_headers(&env, &[]).await, 401);
}

// resource_lifecycle

#[tokio::test]
async fn created_missing_from_list_omits_the_newest_group() {
    let env = with(Fault::CreatedMissingFromList).await;
    let first = env.group("pg-1").await;
    let second = env.group("pg-2").await;
    let listed = env.get("/server-groups").await.body;
    let ids: Vec<&str> =
        listed["server_groups"].as_array().unwrap().iter().map(|g| g["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [first.as_str()]);
    assert_eq!(env.status(&format!("/server-groups/{second}"), "server_group").await, "available");
}

#[tokio::test]
async fn deleted_still_shown_answers_a_deleted_pair_as_available() {
    let env = with(Fault::DeletedStillShown).await;
    let group = env.group("pg").await;
    let pair = env.pair(&group, "evs-01").await;
    env.succeed(env.delete_with(&format!("/replications/{pair}"), json!({"replication": {}})).await).await;
    assert_eq!(env.status(&format!("/replications/{pair}"), "replication").await, "available");
    assert_eq!(env.get("/replications").await.body["count"], 0);
    env.succeed(env.delete(&format!("/server-groups/{group}")).await).await;
    assert_eq!(env.status(&format!("/server-groups/{group}"), "server_group").await, "available");
}

#[tokio::test]
async fn tag_not_stored_answers_204_but_lists_no_tag() {
    let env = with(Fault::TagNotStored).await;
    let group = env.group("pg").await;
    let instance = env.instance(&group, "ecs-02").await;
    let tags = format!("/protected-instances/{instance}/tags");
    let created = env.post(&tags, json!({"tag": {"key": "env", "value": "prod"}})).await;
    assert_eq!(created.status, 204);
    let batch = json!({"action": "create", "tags": [{"key": "team", "value": "a"}]});
    assert_eq!(env.post(&format!("{tags}/action"), batch).await.status, 204);
    assert_eq!(env.get(&tags).await.body, json!({"tags": []}));
}

#[tokio::test]
async fn quota_not_counted_reports_nothing_used() {
    let env = with(Fault::QuotaNotCounted).await;
    let group = env.group("pg").await;
    env.pair(&group, "evs-01").await;
    let quotas = env.get("/sdrs/quotas").await.body;
    for resource in quotas["quotas"]["resources"].as_array().unwrap() {
        assert_eq!(resource["used"], 0, "{quotas}");
    }
}

// pagination

async fn three_groups(env: &Env) -> Vec<String> {
    let mut ids = Vec::new();
    for name in ["pg-1", "pg-2", "pg-3"] {
        ids.push(env.group(name).await);
    }
    ids
}

fn ids_of(list: &Value, key: &str) -> Vec<String> {
    list[key].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn limit_ignored_returns_every_item() {
    let env = with(Fault::LimitIgnored).await;
    let ids = three_groups(&env).await;
    let page = env.get("/server-groups?limit=1").await.body;
    assert_eq!(ids_of(&page, "server_groups"), ids);
    let page = env.get("/server-groups?limit=1&offset=1").await.body;
    assert_eq!(ids_of(&page, "server_groups"), ids[1..]);
}

#[tokio::test]
async fn offset_ignored_always_starts_at_the_first_item() {
    let env = with(Fault::OffsetIgnored).await;
    let ids = three_groups(&env).await;
    let page = env.get("/server-groups?offset=2&limit=1").await.body;
    assert_eq!(ids_of(&page, "server_groups"), ids[..1]);
}

#[tokio::test]
async fn count_wrong_counts_one_item_too_many() {
    let env = with(Fault::CountWrong).await;
    three_groups(&env).await;
    let list = env.get("/server-groups").await.body;
    assert_eq!(list["server_groups"].as_array().unwrap().len(), 3);
    assert_eq!(list["count"], 4);
    assert_eq!(env.get("/replications").await.body["count"], 1);
}

#[tokio::test]
async fn filter_ignored_lists_instances_of_every_group() {
    let env = with(Fault::FilterIgnored).await;
    let first = env.group("pg-1").await;
    let second = env.group("pg-2").await;
    env.instance(&first, "ecs-02").await;
    env.instance(&second, "ecs-03").await;
    let list = env.get(&format!("/protected-instances?server_group_id={first}")).await.body;
    assert_eq!(list["protected_instances"].as_array().unwrap().len(), 2, "{list}");
    let list = env.get(&format!("/protected-instances?server_group_ids=['{second}']")).await.body;
    assert_eq!(list["protected_instances"].as_array().unwrap().len(), 2, "{list}");
}

// snapshot

#[tokio::test]
async fn snapshot_drift_reports_v1_as_supported() {
    let env = with(Fault::SnapshotDrift).await;
    let versions = env.send(Method::GET, "/", None).await;
    assert_eq!(versions.status, 200);
    assert_eq!(versions.body["versions"][0]["status"], "SUPPORTED");
    let v1 = env.send(Method::GET, "/v1", None).await;
    assert_eq!(v1.body["version"]["status"], "SUPPORTED");
}

#[tokio::test]
async fn optional_field_dropped_shows_a_group_without_the_description_it_was_created_with() {
    let env = with(Fault::OptionalFieldDropped).await;
    let mut body = env.group_body("pg", &env.vpc("vpc-prod"));
    body["server_group"]["description"] = json!("kept by a conforming server");
    let job = env.succeed(env.post("/server-groups", body).await).await;
    let group = job["entities"]["server_group_id"].as_str().expect("group id").to_owned();
    let shown = env.get(&format!("/server-groups/{group}")).await.body;
    assert_ne!(shown["server_group"]["description"], json!("kept by a conforming server"), "{shown}");
}

#[tokio::test]
async fn rename_not_kept_answers_the_new_name_but_shows_the_old_one() {
    let env = with(Fault::RenameNotKept).await;
    let group = env.group("pg").await;
    let path = format!("/server-groups/{group}");
    let answer = env.put(&path, json!({"server_group": {"name": "pg-renamed"}})).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(answer.body["server_group"]["name"], "pg-renamed");
    assert_eq!(env.get(&path).await.body["server_group"]["name"], "pg");
}

#[tokio::test]
async fn ghost_in_lists_keeps_a_deleted_group_listed_and_counted() {
    let env = with(Fault::GhostInLists).await;
    let group = env.group("pg").await;
    env.succeed(env.delete(&format!("/server-groups/{group}")).await).await;
    assert_eq!(env.get(&format!("/server-groups/{group}")).await.status, 400);
    let listed = env.get("/server-groups").await.body;
    assert!(
        listed["server_groups"].as_array().is_some_and(|g| g.iter().any(|x| x["id"] == group.as_str())),
        "{listed}"
    );
}

#[tokio::test]
async fn stale_member_state_leaves_the_instances_of_a_started_group_available() {
    let env = with(Fault::StaleMemberState).await;
    let group = env.group("pg").await;
    let instance = env.instance(&group, "ecs-02").await;
    env.pair(&group, "evs-01").await;
    env.group_action(&group, json!({"start-server-group": {}})).await;
    assert_eq!(env.status(&format!("/server-groups/{group}"), "server_group").await, "protected");
    assert_eq!(env.status(&format!("/protected-instances/{instance}"), "protected_instance").await, "available");
}

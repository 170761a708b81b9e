//! Protection groups: lifecycle, validation, preconditions, actions, lists, quotas.

use sdrs_conformance::emulator::{EmulatorConfig, World};
use serde_json::json;

use crate::common::Env;

#[tokio::test]
async fn creating_a_group_shows_creating_until_the_job_succeeds() {
    let env = Env::new().await;
    let answer = env.post("/server-groups", env.group_body("pg-1", &env.vpc("vpc-prod"))).await;
    assert_eq!(answer.status, 200);
    let job_id = answer.job_id();
    assert_eq!(job_id.len(), 32);
    let first = env.get(&format!("/jobs/{job_id}")).await.body;
    assert_eq!(first["status"], "RUNNING");
    let group_id = first["entities"]["server_group_id"].as_str().unwrap().to_string();
    let path = format!("/server-groups/{group_id}");
    assert_eq!(env.status(&path, "server_group").await, "creating");
    let done = env.poll(&job_id).await;
    assert_eq!(done["status"], "SUCCESS");
    assert_eq!(done["job_type"], "createProtectionGroupNoCG");
    assert!(done["end_time"].is_string());
    assert!(done["error_code"].is_null() && done["fail_reason"].is_null());
    let group = env.get(&path).await.body["server_group"].clone();
    assert_eq!(group["status"], "available");
    assert!(group["protected_status"].is_null());
    assert!(group["replication_status"].is_null());
    assert!(group["health_status"].is_null());
    assert_eq!(group["protection_type"], "replication-pair");
    assert_eq!(group["server_type"], "ECS");
    assert_eq!(group["priority_station"], "source");
    assert_eq!(group["dr_type"], "migration");
    assert_eq!(group["target_vpc_id"], group["source_vpc_id"]);
    assert_eq!(group["protected_instance_num"], 0);
    assert!(group["description"].is_null());
    let created = group["created_at"].as_str().unwrap();
    assert_eq!(created.len(), "2026-01-01 00:00:00.000".len(), "{created}");
}

#[tokio::test]
async fn group_creation_refuses_each_invalid_field_with_its_code() {
    let env = Env::new().await;
    let valid = env.group_body("pg", &env.vpc("vpc-prod"));
    let cases = [
        ("name", json!("bad name"), "SDRS.0202"),
        ("name", json!("x".repeat(65)), "SDRS.0202"),
        ("description", json!("<b>"), "SDRS.0212"),
        ("source_availability_zone", json!("nowhere"), "SDRS.0203"),
        ("target_availability_zone", json!(7), "SDRS.0203"),
        ("domain_id", json!("not-the-domain"), "SDRS.0205"),
        ("source_vpc_id", json!("no-such-vpc"), "SDRS.0204"),
        ("dr_type", json!("sync"), "SDRS.0217"),
    ];
    for (field, value, code) in cases {
        let mut body = valid.clone();
        body["server_group"][field] = value;
        env.post("/server-groups", body).await.refused(code);
    }
    let mut missing = valid.clone();
    missing["server_group"].as_object_mut().unwrap().remove("name");
    env.post("/server-groups", missing).await.refused("SDRS.0202");
    let raw = env
        .client
        .post(format!("{}{}", env.emulator.uri(), Env::v1("/server-groups")))
        .header("X-Auth-Token", "emulator-test-token")
        .body("{not json")
        .send()
        .await
        .unwrap();
    Env::read(raw).await.refused("SDRS.0201");
    env.post("/server-groups", json!({})).await.refused("SDRS.0201");
}

#[tokio::test]
async fn unknown_groups_are_refused_with_sdrs_1013() {
    let env = Env::new().await;
    env.get("/server-groups/nope").await.refused("SDRS.1013");
    env.delete("/server-groups/nope").await.refused("SDRS.1013");
    env.put("/server-groups/nope", json!({"server_group": {"name": "x"}})).await.refused("SDRS.1013");
    env.post("/server-groups/nope/action", json!({"stop-server-group": {}})).await.refused("SDRS.1013");
}

#[tokio::test]
async fn renaming_a_group_validates_and_stores_the_name() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    let path = format!("/server-groups/{group}");
    env.put(&path, json!({"server_group": {"name": "a b"}})).await.refused("SDRS.0202");
    let answer = env.put(&path, json!({"server_group": {"name": "renamed"}})).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["server_group"]["name"], "renamed");
}

#[tokio::test]
async fn lists_page_filter_and_count_before_paging() {
    let env = Env::new().await;
    for name in ["alpha", "beta", "alphabet"] {
        env.group(name).await;
    }
    let all = env.get("/server-groups").await.body;
    assert_eq!(all["count"], 3);
    let names: Vec<_> =
        all["server_groups"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap().to_string()).collect();
    assert_eq!(names, ["alpha", "beta", "alphabet"]);
    let page = env.get("/server-groups?limit=1&offset=1").await.body;
    assert_eq!(page["count"], 3);
    assert_eq!(page["server_groups"][0]["name"], "beta");
    let beyond = env.get("/server-groups?offset=10").await.body;
    assert_eq!(beyond["server_groups"].as_array().unwrap().len(), 0);
    let fuzzy = env.get("/server-groups?name=ALPHA").await.body;
    assert_eq!(fuzzy["count"], 2);
    let by_status = env.get("/server-groups?status=protected").await.body;
    assert_eq!(by_status["count"], 0);
    let by_az = env.get("/server-groups?availability_zone=az1.dc1").await.body;
    assert_eq!(by_az["count"], 3);
    env.get("/server-groups?limit=1001").await.refused("SDRS.0221");
    env.get("/server-groups?limit=x").await.refused("SDRS.0221");
    env.get("/server-groups?offset=-1").await.refused("SDRS.0222");
    env.get("/server-groups?status=sleeping").await.refused("SDRS.0209");
}

#[tokio::test]
async fn deleting_a_group_needs_it_empty_then_removes_it() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    let instance = env.instance(&group, "ecs-02").await;
    env.delete(&format!("/server-groups/{group}")).await.refused("SDRS.1001");
    env.succeed(env.delete(&format!("/protected-instances/{instance}")).await).await;
    let pair = env.pair(&group, "evs-01").await;
    env.delete(&format!("/server-groups/{group}")).await.refused("SDRS.1010");
    env.succeed(env.delete_with(&format!("/replications/{pair}"), json!({"replication": {}})).await).await;
    let drill = env
        .post("/disaster-recovery-drills", json!({"disaster_recovery_drill": {"server_group_id": group, "name": "d"}}))
        .await;
    let drill_job = env.succeed(drill).await;
    env.delete(&format!("/server-groups/{group}")).await.refused("SDRS.1003");
    let drill_id = drill_job["entities"]["disaster_recovery_drill_id"].as_str().unwrap();
    env.succeed(env.delete(&format!("/disaster-recovery-drills/{drill_id}")).await).await;
    let answer = env.delete(&format!("/server-groups/{group}")).await;
    let job_id = answer.job_id();
    let path = format!("/server-groups/{group}");
    env.observe(&job_id, &path, "server_group", "deleting", None).await;
    env.get(&path).await.refused("SDRS.1013");
}

#[tokio::test]
async fn a_running_job_blocks_other_group_actions() {
    let env = Env::new().await;
    let answer = env.post("/server-groups", env.group_body("pg", &env.vpc("vpc-prod"))).await;
    let job = env.poll(&answer.job_id()).await;
    let group = job["entities"]["server_group_id"].as_str().unwrap();
    env.delete(&format!("/server-groups/{group}")).await.refused("SDRS.1002");
}

#[tokio::test]
async fn start_stop_failover_reprotect_and_reverse_follow_the_state_machine() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    let action = format!("/server-groups/{group}/action");
    let path = format!("/server-groups/{group}");
    env.post(&action, json!({"start-server-group": {}})).await.refused("SDRS.1002");
    let instance = env.instance(&group, "ecs-02").await;
    let pair = env.pair(&group, "evs-01").await;
    env.post(&action, json!({"stop-server-group": {}})).await.refused("SDRS.1002");

    let start = env.post(&action, json!({"start-server-group": {}})).await;
    let job_id = start.job_id();
    let pair_path = format!("/replications/{pair}");
    assert_eq!(env.status(&pair_path, "replication").await, "starting");
    env.observe(&job_id, &path, "server_group", "starting", Some("protected")).await;
    let job = env.poll(&job_id).await;
    assert_eq!(job["job_type"], "startProtectionGroupNoCG");
    assert_eq!(job["entities"]["sub_jobs"].as_array().unwrap().len(), 1);
    assert_eq!(env.status(&pair_path, "replication").await, "protected");
    let instance_path = format!("/protected-instances/{instance}");
    assert_eq!(env.status(&instance_path, "protected_instance").await, "protected");
    let group_body = env.get(&path).await.body["server_group"].clone();
    assert_eq!(group_body["protected_status"], "started");

    env.post(&action, json!({"reverse-server-group": {"priority_station": "source"}})).await.refused("SDRS.0216");
    env.post(&action, json!({"reverse-server-group": {"priority_station": "moon"}})).await.refused("SDRS.0216");
    let reverse = env.group_action(&group, json!({"reverse-server-group": {"priority_station": "target"}})).await;
    assert_eq!(reverse["status"], "SUCCESS");
    assert_eq!(env.get(&path).await.body["server_group"]["priority_station"], "target");

    let failover = env.group_action(&group, json!({"failover-server-group": {}})).await;
    assert_eq!(failover["job_type"], "failoverProtectionGroupNoCG");
    let after = env.get(&path).await.body["server_group"].clone();
    assert_eq!(after["status"], "failed-over");
    assert_eq!(after["priority_station"], "source");
    assert_eq!(env.status(&instance_path, "protected_instance").await, "failed-over");

    let reprotect = env.group_action(&group, json!({"start-server-group": {}})).await;
    assert_eq!(reprotect["job_type"], "reprotectProtectionGroupNoCG");
    assert_eq!(env.status(&path, "server_group").await, "protected");

    let stop = env.group_action(&group, json!({"stop-server-group": {}})).await;
    assert_eq!(stop["status"], "SUCCESS");
    assert_eq!(env.status(&path, "server_group").await, "available");
    assert_eq!(env.status(&pair_path, "replication").await, "available");
}

#[tokio::test]
async fn reverse_needs_the_production_servers_stopped() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    env.instance(&group, "ecs-01").await;
    env.pair(&group, "evs-01").await;
    env.group_action(&group, json!({"start-server-group": {}})).await;
    env.post(
        &format!("/server-groups/{group}/action"),
        json!({"reverse-server-group": {"priority_station": "target"}}),
    )
    .await
    .refused("SDRS.1319");
}

#[tokio::test]
async fn an_action_body_must_hold_exactly_one_known_key() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    let action = format!("/server-groups/{group}/action");
    env.post(&action, json!({"dance-server-group": {}})).await.refused("SDRS.0206");
    env.post(&action, json!({})).await.refused("SDRS.0206");
    env.post(&action, json!({"start-server-group": {}, "stop-server-group": {}})).await.refused("SDRS.0206");
}

#[tokio::test]
async fn the_group_quota_is_enforced_and_reported() {
    let mut world = World::default_world();
    world.quotas.server_groups = 1;
    let env = Env::with(EmulatorConfig { world, ..EmulatorConfig::default() }).await;
    env.group("pg").await;
    env.post("/server-groups", env.group_body("pg2", &env.vpc("vpc-prod"))).await.refused("SDRS.0305");
    let quotas = env.get("/sdrs/quotas").await.body;
    let groups = &quotas["quotas"]["resources"][0];
    assert_eq!(groups["type"], "server_groups");
    assert_eq!(groups["used"], 1);
    assert_eq!(groups["quota"], 1);
    assert_eq!(groups["min"], 0);
    assert_eq!(groups["max"], -1);
}

#[tokio::test]
async fn re_protect_needs_the_dr_site_servers_stopped() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    env.instance(&group, "ecs-running-dr").await;
    env.pair(&group, "evs-01").await;
    env.group_action(&group, json!({"start-server-group": {}})).await;
    env.group_action(&group, json!({"failover-server-group": {}})).await;
    // The instance's server, still running, is now the DR site's: 5.4.6 forbids the re-protect.
    env.post(&format!("/server-groups/{group}/action"), json!({"start-server-group": {}})).await.refused("SDRS.1342");
    assert_eq!(env.status(&format!("/server-groups/{group}"), "server_group").await, "failed-over");
}

#[tokio::test]
async fn re_protect_goes_ahead_when_the_dr_site_servers_are_stopped() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    env.instance(&group, "ecs-02").await;
    env.pair(&group, "evs-01").await;
    env.group_action(&group, json!({"start-server-group": {}})).await;
    env.group_action(&group, json!({"failover-server-group": {}})).await;
    let reprotect = env.group_action(&group, json!({"start-server-group": {}})).await;
    assert_eq!(
        (reprotect["job_type"].as_str(), reprotect["status"].as_str()),
        (Some("reprotectProtectionGroupNoCG"), Some("SUCCESS"))
    );
}

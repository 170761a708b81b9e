//! Task center and injected job failures.

use serde_json::json;

use crate::common::Env;

#[tokio::test]
async fn a_group_created_in_a_failing_vpc_ends_in_error_and_is_listed() {
    let env = Env::new().await;
    let body = env.group_body("doomed", &env.vpc("vpc-fail-create-group"));
    let answer = env.post("/server-groups", body).await;
    let job = env.finish(&answer.job_id()).await;
    assert_eq!(job["status"], "FAIL");
    assert_eq!(job["error_code"], "SDRS.1014");
    assert!(job["fail_reason"].as_str().unwrap().contains("createProtectionGroupNoCG"));
    let group = job["entities"]["server_group_id"].as_str().unwrap().to_string();
    assert_eq!(env.status(&format!("/server-groups/{group}"), "server_group").await, "error");

    let failures = env.get("/task-center/failure-jobs").await.body;
    assert_eq!(failures["count"], 1);
    let failure = &failures["failure_jobs"][0];
    assert_eq!(failure["job_status"], "FAIL");
    assert_eq!(failure["resource_type"], "server_groups");
    assert_eq!(failure["failure_status"], "createFail");
    assert_eq!(failure["resource_name"], "doomed");
    assert_eq!(failure["job_id"], job["job_id"]);
    assert_eq!(failure["job_type"], "createProtectionGroupNoCG");
    let filtered = env.get("/task-center/failure-jobs?failure_status=deleteFail").await.body;
    assert_eq!(filtered["count"], 0);
    env.get("/task-center/failure-jobs?failure_status=sad").await.refused("SDRS.0209");

    let job_id = job["job_id"].as_str().unwrap();
    let deleted = env.delete(&format!("/task-center/failure-jobs/{job_id}")).await;
    assert_eq!(deleted.status, 204);
    assert!(deleted.raw.is_empty());
    assert_eq!(env.get("/task-center/failure-jobs").await.body["count"], 0);
    env.delete(&format!("/task-center/failure-jobs/{job_id}")).await.refused("SDRS.0408");
}

#[tokio::test]
async fn failures_inside_a_group_are_listed_under_the_group_and_deleted_together() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    let failing = env.failing_server("createProtectedInstanceNoCG");
    let body = json!({"protected_instance": {"server_group_id": group, "server_id": failing, "name": "bad"}});
    let job = env.finish(&env.post("/protected-instances", body).await.job_id()).await;
    assert_eq!(job["status"], "FAIL");
    let id = job["entities"]["protected_instance_id"].as_str().unwrap();
    assert_eq!(env.status(&format!("/protected-instances/{id}"), "protected_instance").await, "error");
    assert_eq!(env.get("/task-center/failure-jobs").await.body["count"], 0);
    let inside = env.get(&format!("/task-center/failure-jobs?server_group_id={group}")).await.body;
    assert_eq!(inside["count"], 1);
    assert_eq!(inside["failure_jobs"][0]["resource_type"], "protected_instances");
    env.get("/task-center/failure-jobs?server_group_id=nope").await.refused("SDRS.1013");
    let all = env.delete("/task-center/failure-jobs/batch").await;
    assert_eq!(all.status, 204);
    let still = env.get(&format!("/task-center/failure-jobs?server_group_id={group}")).await.body;
    assert_eq!(still["count"], 1);
    let in_group = env.delete(&format!("/task-center/{group}/failure-jobs/batch")).await;
    assert_eq!(in_group.status, 204);
    let none = env.get(&format!("/task-center/failure-jobs?server_group_id={group}")).await.body;
    assert_eq!(none["count"], 0);
    env.delete("/task-center/nope/failure-jobs/batch").await.refused("SDRS.1013");
}

#[tokio::test]
async fn a_failing_volume_fails_the_start_of_its_group_and_every_sub_job() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    env.pair(&group, "evs-fail-startProtectionGroupNoCG").await;
    env.pair(&group, "evs-01").await;
    let job = env.group_action(&group, json!({"start-server-group": {}})).await;
    assert_eq!(job["status"], "FAIL");
    assert_eq!(job["error_code"], "SDRS.1027");
    let subs = job["entities"]["sub_jobs"].as_array().unwrap();
    assert_eq!(subs.len(), 2);
    assert!(subs.iter().all(|s| s["status"] == "FAIL"));
    assert_eq!(env.status(&format!("/server-groups/{group}"), "server_group").await, "error-starting");
    let failures = env.get("/task-center/failure-jobs").await.body;
    assert_eq!(failures["failure_jobs"][0]["failure_status"], "startFail");
}

#[tokio::test]
async fn a_failing_server_fails_only_its_sub_job_of_a_batch() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    let failing = env.failing_server("createProtectedInstanceNoCG");
    let servers = json!([{"server_id": env.server("ecs-02")}, {"server_id": failing}]);
    let answer = env
        .post(
            "/protected-instances/batch",
            json!({"protected_instances": {"name_prefix": "b", "server_group_id": group, "servers": servers}}),
        )
        .await;
    let job = env.finish(&answer.job_id()).await;
    assert_eq!(job["status"], "FAIL");
    let subs = job["entities"]["sub_jobs"].as_array().unwrap();
    assert_eq!(subs[0]["status"], "SUCCESS");
    assert_eq!(subs[1]["status"], "FAIL");
    let statuses: Vec<_> = env.get("/protected-instances").await.body["protected_instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(statuses, ["available", "error"]);
}

#[tokio::test]
async fn a_failed_nic_job_restores_the_instance_and_records_the_failure() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    let server = env.failing_server("addNicNew");
    let body = json!({"protected_instance": {"server_group_id": group, "server_id": server, "name": "nic"}});
    let job = env.succeed(env.post("/protected-instances", body).await).await;
    let id = job["entities"]["protected_instance_id"].as_str().unwrap();
    let subnet = env.world.vpcs[0].subnets[1].id.clone();
    let answer = env.post(&format!("/protected-instances/{id}/nic"), json!({"subnet_id": subnet})).await;
    let path = format!("/protected-instances/{id}");
    assert_eq!(env.status(&path, "protected_instance").await, "nic-creating");
    let job = env.finish(&answer.job_id()).await;
    assert_eq!(job["status"], "FAIL");
    assert_eq!(job["error_code"], "SDRS.1312");
    assert_eq!(env.status(&path, "protected_instance").await, "available");
    let failures = env
        .get(&format!("/task-center/failure-jobs?server_group_id={group}&resource_type=protected_instances"))
        .await
        .body;
    assert_eq!(failures["count"], 1);
    assert_eq!(failures["failure_jobs"][0]["failure_status"], "createFail");
    assert_eq!(failures["failure_jobs"][0]["job_type"], "addNicNew");
}

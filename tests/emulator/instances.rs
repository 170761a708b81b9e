//! Protected instances: lifecycle, validation, preconditions, batches, pairs, NICs, resize.

use serde_json::json;

use crate::common::Env;

#[tokio::test]
async fn creating_and_deleting_an_instance_passes_through_the_transitional_states() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    let body = json!({"protected_instance": {
        "server_group_id": group, "server_id": env.server("ecs-02"), "name": "pi-1",
        "description": "first", "tags": [{"key": "env", "value": "test"}],
    }});
    let answer = env.post("/protected-instances", body).await;
    let job_id = answer.job_id();
    let list = env.get("/protected-instances").await.body;
    let id = list["protected_instances"][0]["id"].as_str().unwrap().to_string();
    let path = format!("/protected-instances/{id}");
    env.observe(&job_id, &path, "protected_instance", "creating", Some("available")).await;
    let instance = env.get(&path).await.body["protected_instance"].clone();
    assert_eq!(instance["server_group_id"], group.as_str());
    assert_eq!(instance["source_server"], env.server("ecs-02").as_str());
    assert_eq!(instance["tags"][0]["key"], "env");
    assert_eq!(instance["priority_station"], "source");
    assert!(instance["attachment"].as_array().unwrap().is_empty());
    assert!(instance["metadata"].is_object());
    let group_body = env.get(&format!("/server-groups/{group}")).await.body;
    assert_eq!(group_body["server_group"]["protected_instance_num"], 1);

    let delete = env.delete_with(&path, json!({"delete_target_server": true})).await;
    let job = env.poll(&delete.job_id()).await;
    assert_eq!(job["job_type"], "deleteProtectedInstanceNoCG");
    assert_eq!(job["entities"]["protected_instance_id"], id.as_str());
    assert_eq!(env.status(&path, "protected_instance").await, "deleting");
    env.finish(&delete.job_id()).await;
    env.get(&path).await.refused("SDRS.1320");
}

#[tokio::test]
async fn instance_creation_refuses_invalid_input_and_unsuitable_servers() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    let body = |server: &str, name: &str| json!({"protected_instance": {"server_group_id": group, "server_id": server, "name": name}});
    let ok_server = env.server("ecs-02");
    env.post("/protected-instances", body(&ok_server, "a b")).await.refused("SDRS.0202");
    env.post("/protected-instances", json!({"protected_instance": {"server_id": ok_server, "name": "x"}}))
        .await
        .refused("SDRS.0207");
    env.post("/protected-instances", json!({"protected_instance": {"server_group_id": group, "name": "x"}}))
        .await
        .refused("SDRS.0210");
    let mut bad_ip = body(&ok_server, "x");
    bad_ip["protected_instance"]["primary_ip_address"] = json!("999.1.1.1");
    env.post("/protected-instances", bad_ip).await.refused("SDRS.0219");
    let mut bad_tenancy = body(&ok_server, "x");
    bad_tenancy["protected_instance"]["tenancy"] = json!("mine");
    env.post("/protected-instances", bad_tenancy).await.refused("SDRS.0228");
    env.post(
        "/protected-instances",
        json!({"protected_instance": {"server_group_id": "nope", "server_id": ok_server, "name": "x"}}),
    )
    .await
    .refused("SDRS.1013");
    env.post("/protected-instances", body("no-such-server", "x")).await.refused("SDRS.1326");
    env.post("/protected-instances", body(&env.server("ecs-other-vpc"), "x")).await.refused("SDRS.1304");
    env.post("/protected-instances", body(&env.server("ecs-dr-az"), "x")).await.refused("SDRS.1303");
    env.post("/protected-instances", body(&env.server("ecs-error"), "x")).await.refused("SDRS.1333");
    env.instance(&group, "ecs-02").await;
    env.post("/protected-instances", body(&ok_server, "x")).await.refused("SDRS.1305");
}

#[tokio::test]
async fn instances_cannot_join_a_group_that_is_busy() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    env.instance(&group, "ecs-02").await;
    env.pair(&group, "evs-01").await;
    let start = env.group_action(&group, json!({"start-server-group": {}})).await;
    assert_eq!(start["status"], "SUCCESS");
    env.group_action(&group, json!({"failover-server-group": {}})).await;
    env.post(
        "/protected-instances",
        json!({"protected_instance": {
            "server_group_id": group, "server_id": env.server("ecs-04"), "name": "x"}}),
    )
    .await
    .refused("SDRS.1024");
}

#[tokio::test]
async fn a_new_instance_in_a_protected_group_becomes_protected() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    env.pair(&group, "evs-01").await;
    env.group_action(&group, json!({"start-server-group": {}})).await;
    let id = env.instance(&group, "ecs-02").await;
    assert_eq!(env.status(&format!("/protected-instances/{id}"), "protected_instance").await, "protected");
}

#[tokio::test]
async fn instance_lists_filter_by_group_lists_ids_status_name_and_az() {
    let env = Env::new().await;
    let g1 = env.group("g1").await;
    let g2 = env.group("g2").await;
    let a = env.instance(&g1, "ecs-02").await;
    env.instance(&g2, "ecs-04").await;
    let all = env.get("/protected-instances").await.body;
    assert_eq!(all["count"], 2);
    let by_group = env.get(&format!("/protected-instances?server_group_id={g1}")).await.body;
    assert_eq!(by_group["count"], 1);
    let list = format!("%5B%22{g1}%22%2C%22{g2}%22%5D");
    let by_groups = env.get(&format!("/protected-instances?server_group_ids={list}")).await.body;
    assert_eq!(by_groups["count"], 2);
    let by_ids = env.get(&format!("/protected-instances?protected_instance_ids=['{a}']")).await.body;
    assert_eq!(by_ids["protected_instances"][0]["id"], a.as_str());
    let by_name = env.get("/protected-instances?name=ECS-04").await.body;
    assert_eq!(by_name["count"], 1);
    let paged = env.get("/protected-instances?limit=1&offset=1").await.body;
    assert_eq!(paged["protected_instances"].as_array().unwrap().len(), 1);
    assert_eq!(paged["count"], 2);
    let by_az = env.get("/protected-instances?availability_zone=az2.dc2").await.body;
    assert_eq!(by_az["count"], 0);
    let abnormal = env.get("/protected-instances?query_type=status_abnormal").await.body;
    assert_eq!(abnormal["count"], 0);
    let too_many = format!("[{}]", vec!["'x'"; 31].join(","));
    env.get(&format!("/protected-instances?server_group_ids={too_many}")).await.refused("SDRS.0226");
    env.get("/protected-instances?status=odd").await.refused("SDRS.0209");
}

#[tokio::test]
async fn renaming_an_instance_returns_it() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    let id = env.instance(&group, "ecs-02").await;
    let path = format!("/protected-instances/{id}");
    env.put(&path, json!({"protected_instance": {"name": ""}})).await.refused("SDRS.0202");
    let answer = env.put(&path, json!({"protected_instance": {"name": "new-name"}})).await;
    assert_eq!(answer.body["protected_instance"]["name"], "new-name");
    env.put("/protected-instances/nope", json!({"protected_instance": {"name": "n"}})).await.refused("SDRS.1320");
}

#[tokio::test]
async fn batch_creation_answers_202_with_one_sub_job_per_instance() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    let servers = json!([{"server_id": env.server("ecs-02")}, {"server_id": env.server("ecs-04")}]);
    let answer = env
        .post(
            "/protected-instances/batch",
            json!({"protected_instances": {"name_prefix": "web", "server_group_id": group, "servers": servers}}),
        )
        .await;
    assert_eq!(answer.status, 202);
    let job = env.finish(&answer.job_id()).await;
    assert_eq!(job["job_type"], "batchCreateProtectedInstances");
    assert_eq!(job["entities"]["server_group_id"], group.as_str());
    let subs = job["entities"]["sub_jobs"].as_array().unwrap();
    assert_eq!(subs.len(), 2);
    assert_eq!(subs[0]["job_type"], "createProtectedInstanceNoCG");
    assert_eq!(subs[0]["status"], "SUCCESS");
    let names: Vec<_> = env.get("/protected-instances").await.body["protected_instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["web-1", "web-2"]);

    let ids: Vec<_> = env.get("/protected-instances").await.body["protected_instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| json!({"id": i["id"]}))
        .collect();
    let delete = env
        .post("/protected-instances/delete", json!({"protected_instances": ids, "delete_target_server": false}))
        .await;
    assert_eq!(delete.status, 202);
    let job = env.finish(&delete.job_id()).await;
    assert_eq!(job["job_type"], "batchDeleteProtectedInstances");
    assert_eq!(job["entities"]["sub_jobs"][1]["job_type"], "deleteProtectedInstanceNoCG");
    assert_eq!(env.get("/protected-instances").await.body["count"], 0);
}

#[tokio::test]
async fn batch_operations_refuse_bad_server_lists_and_mixed_groups() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    let batch = |servers: serde_json::Value| json!({"protected_instances": {"name_prefix": "b", "server_group_id": group, "servers": servers}});
    let six: Vec<_> = (0..6).map(|i| json!({"server_id": format!("s{i}")})).collect();
    env.post("/protected-instances/batch", batch(json!(six))).await.refused("SDRS.1362");
    env.post("/protected-instances/batch", batch(json!([{"server_id": "nope"}]))).await.refused("SDRS.1360");
    let s = env.server("ecs-02");
    env.post("/protected-instances/batch", batch(json!([{"server_id": s}, {"server_id": s}])))
        .await
        .refused("SDRS.1361");
    let other = env.group("other").await;
    let a = env.instance(&group, "ecs-02").await;
    let b = env.instance(&other, "ecs-04").await;
    env.post("/protected-instances/delete", json!({"protected_instances": [{"id": a}, {"id": b}]}))
        .await
        .refused("SDRS.1364");
    env.post("/protected-instances/delete", json!({"protected_instances": [{"id": a}, {"id": a}]}))
        .await
        .refused("SDRS.1363");
    env.post("/protected-instances/delete", json!({"protected_instances": [{"id": "nope"}]}))
        .await
        .refused("SDRS.1320");
}

#[tokio::test]
async fn attaching_and_detaching_a_pair_moves_the_pair_through_its_states() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    let instance = env.instance(&group, "ecs-02").await;
    let pair = env.pair(&group, "evs-01").await;
    let attach_path = format!("/protected-instances/{instance}/attachreplication");
    let body = json!({"replicationAttachment": {"replication_id": pair, "device": "/dev/vdb"}});
    let answer = env.post(&attach_path, body.clone()).await;
    let pair_path = format!("/replications/{pair}");
    env.observe(&answer.job_id(), &pair_path, "replication", "attaching", Some("available")).await;
    let shown = env.get(&format!("/protected-instances/{instance}")).await.body;
    assert_eq!(shown["protected_instance"]["attachment"][0]["device"], "/dev/vdb");
    let shown_pair = env.get(&pair_path).await.body;
    assert_eq!(shown_pair["replication"]["attachment"][0]["protected_instance"], instance.as_str());
    env.post(&attach_path, body).await.refused("SDRS.1603");
    env.delete_with(&pair_path, json!({"replication": {}})).await.refused("SDRS.1605");
    let other = env.pair(&group, "evs-03").await;
    env.post(&attach_path, json!({"replicationAttachment": {"replication_id": other, "device": "/dev/vdb"}}))
        .await
        .refused("SDRS.1603");
    env.post(&attach_path, json!({"replicationAttachment": {"replication_id": "nope", "device": "/dev/vdc"}}))
        .await
        .refused("SDRS.1608");
    env.post(&attach_path, json!({"replicationAttachment": {"device": "/dev/vdc"}})).await.refused("SDRS.0213");

    let detach_other = format!("/protected-instances/{instance}/detachreplication/{other}");
    env.delete(&detach_other).await.refused("SDRS.1604");
    let detach = env.delete(&format!("/protected-instances/{instance}/detachreplication/{pair}")).await;
    env.observe(&detach.job_id(), &pair_path, "replication", "detaching", Some("available")).await;
    let shown = env.get(&format!("/protected-instances/{instance}")).await.body;
    assert!(shown["protected_instance"]["attachment"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_pair_of_another_group_cannot_be_attached() {
    let env = Env::new().await;
    let g1 = env.group("g1").await;
    let g2 = env.group("g2").await;
    let instance = env.instance(&g1, "ecs-02").await;
    let pair = env.pair(&g2, "evs-01").await;
    env.post(
        &format!("/protected-instances/{instance}/attachreplication"),
        json!({"replicationAttachment": {"replication_id": pair, "device": "/dev/vdb"}}),
    )
    .await
    .refused("SDRS.1611");
}

#[tokio::test]
async fn nics_are_added_and_deleted_with_their_checks() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    let instance = env.instance(&group, "ecs-02").await;
    let path = format!("/protected-instances/{instance}");
    let prod_subnet = env.world.vpcs[0].subnets[1].id.clone();
    let other_subnet = env.world.vpcs[1].subnets[0].id.clone();
    let nic = format!("{path}/nic");
    env.post(&nic, json!({"subnet_id": other_subnet})).await.refused("SDRS.1335");
    env.post(&nic, json!({"subnet_id": prod_subnet, "ip_address": "1.2.3"})).await.refused("SDRS.0219");
    let taken = env.world.servers[0].nics[0].clone();
    env.post(&nic, json!({"subnet_id": taken.subnet_id, "ip_address": taken.ip_address})).await.refused("SDRS.1334");
    let answer = env.post(&nic, json!({"subnet_id": prod_subnet, "ip_address": "192.168.1.50"})).await;
    env.observe(&answer.job_id(), &path, "protected_instance", "nic-creating", Some("available")).await;

    let delete = format!("{path}/nic/delete");
    env.post(&delete, json!({})).await.refused("SDRS.0223");
    env.post(&delete, json!({"nic_id": "nope"})).await.refused("SDRS.1310");
    let primary = env.world.server(&env.server("ecs-02")).unwrap().nics[0].port_id.clone();
    env.post(&delete, json!({"nic_id": primary})).await.refused("SDRS.1311");
}

#[tokio::test]
async fn resizing_needs_a_stopped_server_and_a_new_flavor() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    let running = env.instance(&group, "ecs-01").await;
    let stopped = env.instance(&group, "ecs-02").await;
    let resize = |id: &str| format!("/protected-instances/{id}/resize");
    env.post(&resize(&running), json!({"resize": {"flavorRef": "s3.xlarge.2"}})).await.refused("SDRS.1316");
    env.post(&resize(&stopped), json!({"resize": {"flavorRef": "s3.large.2"}})).await.refused("SDRS.1341");
    env.post(&resize(&stopped), json!({"resize": {"flavorRef": "no.such"}})).await.refused("SDRS.0201");
    env.post(&resize(&stopped), json!({"resize": {}})).await.refused("SDRS.0201");
    let answer = env.post(&resize(&stopped), json!({"resize": {"dr_flavorRef": "s3.xlarge.2"}})).await;
    env.observe(
        &answer.job_id(),
        &format!("/protected-instances/{stopped}"),
        "protected_instance",
        "resizing",
        Some("available"),
    )
    .await;
    env.post(&resize(&stopped), json!({"resize": {"dr_flavorRef": "s3.xlarge.2"}})).await.refused("SDRS.1341");
}

#[tokio::test]
async fn a_deleting_instance_refuses_another_delete() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    let id = env.instance(&group, "ecs-02").await;
    let path = format!("/protected-instances/{id}");
    env.delete(&path).await.job_id();
    env.delete(&path).await.refused("SDRS.1301");
}

#[tokio::test]
async fn a_secondary_nic_is_deleted_through_nic_deleting() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    let instance = env.instance(&group, "ecs-34").await;
    let path = format!("/protected-instances/{instance}");
    let secondary = env
        .world
        .server(&env.server("ecs-34"))
        .unwrap()
        .nics
        .iter()
        .find(|n| !n.primary)
        .expect("ecs-34 has a secondary NIC")
        .port_id
        .clone();
    let answer = env.post(&format!("{path}/nic/delete"), json!({"nic_id": secondary})).await;
    env.observe(&answer.job_id(), &path, "protected_instance", "nic-deleting", Some("available")).await;
    env.post(&format!("{path}/nic/delete"), json!({"nic_id": secondary})).await.refused("SDRS.1310");
}

#[tokio::test]
async fn work_on_resources_that_are_still_being_created_is_refused() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    let ready_pair = env.pair(&group, "evs-01").await;
    let pending_instance = env
        .post(
            "/protected-instances",
            json!({"protected_instance": {
                "server_group_id": group, "server_id": env.server("ecs-02"), "name": "p"}}),
        )
        .await;
    let job = env.poll(&pending_instance.job_id()).await;
    let instance = job["entities"]["protected_instance_id"].as_str().unwrap();
    let path = format!("/protected-instances/{instance}");
    env.post(
        &format!("{path}/attachreplication"),
        json!({"replicationAttachment": {"replication_id": ready_pair, "device": "/dev/vdb"}}),
    )
    .await
    .refused("SDRS.1328");
    env.post(&format!("{path}/nic"), json!({"subnet_id": env.world.vpcs[0].subnets[0].id})).await.refused("SDRS.1327");
    env.post(&format!("{path}/resize"), json!({"resize": {"flavorRef": "e2.small"}})).await.refused("SDRS.1328");
    env.delete(&path).await.refused("SDRS.1301");

    let pending_pair = env
        .post(
            "/replications",
            json!({"replication": {"server_group_id": group, "volume_id": env.volume("evs-03"), "name": "rp"}}),
        )
        .await;
    let job = env.poll(&pending_pair.job_id()).await;
    let pair = job["entities"]["replication_pair_id"].as_str().unwrap();
    env.post(&format!("/replications/{pair}/action"), json!({"extend-replication": {"new_size": 100}}))
        .await
        .refused("SDRS.1601");
    env.delete_with(&format!("/replications/{pair}"), json!({"replication": {}})).await.refused("SDRS.1601");
}

#[tokio::test]
async fn a_server_with_a_shared_disk_is_refused_alone_and_accepted_with_every_server_of_the_disk() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    let (one, two) = (env.server("ecs-shared-disk-1"), env.server("ecs-shared-disk-2"));
    let single = json!({"protected_instance": {"server_group_id": group, "server_id": one, "name": "x"}});
    env.post("/protected-instances", single).await.refused("SDRS.1408");
    let batch = |servers: serde_json::Value| json!({"protected_instances": {"name_prefix": "b", "server_group_id": group, "servers": servers}});
    env.post("/protected-instances/batch", batch(json!([{"server_id": one}]))).await.refused("SDRS.1408");
    env.post("/protected-instances/batch", batch(json!([{"server_id": two}, {"server_id": env.server("ecs-01")}])))
        .await
        .refused("SDRS.1408");
    let both = env.post("/protected-instances/batch", batch(json!([{"server_id": one}, {"server_id": two}]))).await;
    assert_eq!(both.status, 202, "{}", both.raw);
    assert_eq!(env.finish(&both.job_id()).await["status"], "SUCCESS");
}

#[tokio::test]
async fn a_batch_refuses_servers_already_protected_or_of_another_vpc() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    env.instance(&group, "ecs-01").await;
    let batch = |server: String| json!({"protected_instances": {"name_prefix": "b", "server_group_id": group, "servers": [{"server_id": server}]}});
    env.post("/protected-instances/batch", batch(env.server("ecs-01"))).await.refused("SDRS.1305");
    env.post("/protected-instances/batch", batch(env.server("ecs-other-vpc"))).await.refused("SDRS.1304");
}

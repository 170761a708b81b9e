//! Replication pairs: lifecycle, volume checks, expand, lists, quota.

use sdrs_conformance::emulator::{EmulatorConfig, World};
use serde_json::json;

use crate::common::Env;

#[tokio::test]
async fn creating_a_pair_shows_creating_then_available_with_volume_data() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    let body = json!({"replication": {
        "server_group_id": group, "volume_id": env.volume("evs-01"), "name": "rp", "description": "d"}});
    let answer = env.post("/replications", body).await;
    let job = env.poll(&answer.job_id()).await;
    assert_eq!(job["job_type"], "createReplicationPairNoCG");
    let pair = job["entities"]["replication_pair_id"].as_str().unwrap().to_string();
    let path = format!("/replications/{pair}");
    assert_eq!(env.status(&path, "replication").await, "creating");
    assert_eq!(env.poll(&answer.job_id()).await["status"], "SUCCESS");
    let shown = env.get(&path).await.body["replication"].clone();
    assert_eq!(shown["status"], "available");
    let volume_ids = shown["volume_ids"].as_str().unwrap();
    let (production, dr) = volume_ids.split_once(',').unwrap();
    assert_eq!(production, env.volume("evs-01"));
    assert_eq!(dr.len(), 36);
    assert_eq!(shown["fault_level"], "0");
    assert_eq!(shown["record_metadata"]["volume_size"], 20);
    assert_eq!(shown["record_metadata"]["volume_type"], "SSD");
    assert_eq!(shown["replication_model"], "hypermetro");
    let created = shown["created_at"].as_str().unwrap();
    assert_eq!(created.len(), "2026-01-01T00:00:00.000000".len(), "{created}");
    assert_eq!(&created[10..11], "T", "{created}");
    let group_body = env.get(&format!("/server-groups/{group}")).await.body;
    assert_eq!(group_body["server_group"]["replication_num"], 1);

    let delete = env.delete_with(&path, json!({"replication": {"server_group_id": group}})).await;
    env.observe(&delete.job_id(), &path, "replication", "deleting", None).await;
    env.get(&path).await.refused("SDRS.1608");
}

#[tokio::test]
async fn pair_creation_checks_the_volume() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    let create = |volume: String| json!({"replication": {"server_group_id": group, "volume_id": volume, "name": "rp"}});
    env.post("/replications", create("nope".into())).await.refused("SDRS.0211");
    env.post("/replications", create(env.volume("ecs-other-vpc-sys"))).await.refused("SDRS.1801");
    env.post("/replications", create(env.volume("evs-encrypted"))).await.refused("SDRS.1802");
    env.post("/replications", create(env.volume("evs-dr-az"))).await.refused("SDRS.1810");
    env.pair(&group, "evs-01").await;
    env.post("/replications", create(env.volume("evs-01"))).await.refused("SDRS.1811");
    env.post("/replications", json!({"replication": {"server_group_id": group, "name": "rp"}}))
        .await
        .refused("SDRS.0211");
    env.post(
        "/replications",
        json!({"replication": {"server_group_id": "nope", "volume_id": env.volume("evs-03"), "name": "rp"}}),
    )
    .await
    .refused("SDRS.1013");
}

#[tokio::test]
async fn the_pair_quota_is_enforced() {
    let mut world = World::default_world();
    world.quotas.replications = 1;
    let env = Env::with(EmulatorConfig { world, ..EmulatorConfig::default() }).await;
    let group = env.group("pg").await;
    env.pair(&group, "evs-01").await;
    env.post(
        "/replications",
        json!({"replication": {"server_group_id": group, "volume_id": env.volume("evs-03"), "name": "rp"}}),
    )
    .await
    .refused("SDRS.0306");
    let quotas = env.get("/sdrs/quotas").await.body;
    assert_eq!(quotas["quotas"]["resources"][1]["used"], 1);
}

#[tokio::test]
async fn expanding_a_pair_needs_a_larger_size() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    let pair = env.pair(&group, "evs-01").await;
    let action = format!("/replications/{pair}/action");
    env.post(&action, json!({"extend-replication": {"new_size": 10}})).await.refused("SDRS.0201");
    env.post(&action, json!({"extend-replication": {"new_size": "big"}})).await.refused("SDRS.0201");
    let answer = env.post(&action, json!({"extend-replication": {"new_size": 40}})).await;
    let path = format!("/replications/{pair}");
    env.observe(&answer.job_id(), &path, "replication", "extending", Some("available")).await;
    let shown = env.get(&path).await.body;
    assert_eq!(shown["replication"]["record_metadata"]["volume_size"], 40);
}

#[tokio::test]
async fn pair_lists_filter_by_group_and_instance() {
    let env = Env::new().await;
    let g1 = env.group("g1").await;
    let g2 = env.group("g2").await;
    let p1 = env.pair(&g1, "evs-01").await;
    env.pair(&g2, "evs-03").await;
    let instance = env.instance(&g1, "ecs-02").await;
    env.succeed(
        env.post(
            &format!("/protected-instances/{instance}/attachreplication"),
            json!({"replicationAttachment": {"replication_id": p1, "device": "/dev/vdb"}}),
        )
        .await,
    )
    .await;
    assert_eq!(env.get("/replications").await.body["count"], 2);
    let by_group = env.get(&format!("/replications?server_group_id={g2}")).await.body;
    assert_eq!(by_group["count"], 1);
    let by_instance = env.get(&format!("/replications?protected_instance_id={instance}")).await.body;
    assert_eq!(by_instance["replications"][0]["id"], p1.as_str());
    let paged = env.get("/replications?limit=1").await.body;
    assert_eq!(paged["replications"].as_array().unwrap().len(), 1);
    env.get("/replications?limit=-1").await.refused("SDRS.0221");
}

#[tokio::test]
async fn renaming_a_pair_returns_it() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    let pair = env.pair(&group, "evs-01").await;
    let answer = env.put(&format!("/replications/{pair}"), json!({"replication": {"name": "rp-2"}})).await;
    assert_eq!(answer.body["replication"]["name"], "rp-2");
    env.put("/replications/nope", json!({"replication": {"name": "x"}})).await.refused("SDRS.1608");
}

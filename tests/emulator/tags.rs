//! Tags: single and batch writes, lists, project tags, query by tags.

use serde_json::json;

use crate::common::Env;

async fn instance_with_tags(env: &Env, server: &str, tags: serde_json::Value) -> String {
    let group = env.group(&format!("g-{server}")).await;
    let body = json!({"protected_instance": {
        "server_group_id": group, "server_id": env.server(server), "name": format!("pi-{server}"), "tags": tags}});
    let job = env.succeed(env.post("/protected-instances", body).await).await;
    job["entities"]["protected_instance_id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_tag_is_added_listed_overwritten_and_deleted() {
    let env = Env::new().await;
    let id = instance_with_tags(&env, "ecs-02", json!([])).await;
    let tags = format!("/protected-instances/{id}/tags");
    let added = env.post(&tags, json!({"tag": {"key": "my key", "value": "v1"}})).await;
    assert_eq!(added.status, 204);
    assert!(added.raw.is_empty());
    env.post(&tags, json!({"tag": {"key": "my key", "value": "v2"}})).await;
    let listed = env.get(&tags).await.body;
    assert_eq!(listed["tags"], json!([{"key": "my key", "value": "v2"}]));
    let deleted = env.delete(&format!("{tags}/my%20key")).await;
    assert_eq!(deleted.status, 204);
    let missing = env.delete(&format!("{tags}/my%20key")).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["itemNotFound"]["code"], "SDRS.2206");
    env.get("/protected-instances/nope/tags").await.refused("SDRS.1320");
}

#[tokio::test]
async fn tag_rules_are_enforced_with_their_codes() {
    let env = Env::new().await;
    let id = instance_with_tags(&env, "ecs-02", json!([])).await;
    let tags = format!("/protected-instances/{id}/tags");
    env.post(&tags, json!({"tag": {"key": "", "value": "v"}})).await.refused("SDRS.2205");
    env.post(&tags, json!({"tag": {"key": "a/b", "value": "v"}})).await.refused("SDRS.2204");
    env.post(&tags, json!({"tag": {"key": "k".repeat(37), "value": "v"}})).await.refused("SDRS.2204");
    env.post(&tags, json!({"tag": {"key": "k"}})).await.refused("SDRS.2208");
    env.post(&tags, json!({"tag": {"key": "k", "value": "a=b"}})).await.refused("SDRS.2207");
    let action = format!("{tags}/action");
    env.post(&action, json!({"action": "update", "tags": [{"key": "k", "value": "v"}]})).await.refused("SDRS.2201");
    env.post(&action, json!({"action": "create", "tags": []})).await.refused("SDRS.2202");
    env.post(&action, json!({"action": "create", "tags": [{"key": "k", "value": "1"}, {"key": "k", "value": "2"}]}))
        .await
        .refused("SDRS.2209");
    let eleven: Vec<_> = (0..11).map(|i| json!({"key": format!("k{i}"), "value": "v"})).collect();
    env.post(&action, json!({"action": "create", "tags": eleven})).await.refused("SDRS.2203");
    let ten: Vec<_> = (0..10).map(|i| json!({"key": format!("k{i}"), "value": "v"})).collect();
    assert_eq!(env.post(&action, json!({"action": "create", "tags": ten})).await.status, 204);
    env.post(&tags, json!({"tag": {"key": "k10", "value": "v"}})).await.refused("SDRS.2203");
}

#[tokio::test]
async fn batch_delete_ignores_unknown_keys_and_matches_values() {
    let env = Env::new().await;
    let id = instance_with_tags(
        &env,
        "ecs-02",
        json!([{"key": "a", "value": "1"}, {"key": "b", "value": "2"}, {"key": "c", "value": "3"}]),
    )
    .await;
    let action = format!("/protected-instances/{id}/tags/action");
    let answer = env
        .post(
            &action,
            json!({"action": "delete", "tags": [{"key": "a"}, {"key": "b", "value": "other"}, {"key": "zzz"}]}),
        )
        .await;
    assert_eq!(answer.status, 204);
    let listed = env.get(&format!("/protected-instances/{id}/tags")).await.body;
    assert_eq!(listed["tags"], json!([{"key": "b", "value": "2"}, {"key": "c", "value": "3"}]));
}

#[tokio::test]
async fn project_tags_group_values_by_key() {
    let env = Env::new().await;
    instance_with_tags(&env, "ecs-02", json!([{"key": "env", "value": "prod"}])).await;
    instance_with_tags(&env, "ecs-04", json!([{"key": "env", "value": "test"}, {"key": "team", "value": "a"}])).await;
    let tags = env.get("/protected-instances/tags").await;
    assert_eq!(tags.status, 200);
    assert_eq!(
        tags.body["tags"],
        json!([{"key": "env", "values": ["prod", "test"]}, {"key": "team", "values": ["a"]}])
    );
}

#[tokio::test]
async fn instances_are_found_and_counted_by_tags() {
    let env = Env::new().await;
    let prod = instance_with_tags(&env, "ecs-02", json!([{"key": "env", "value": "prod"}])).await;
    let test =
        instance_with_tags(&env, "ecs-04", json!([{"key": "env", "value": "test"}, {"key": "team", "value": "a"}]))
            .await;
    let query = "/protected-instances/resource_instances/action";
    let found = env.post(query, json!({"action": "filter", "tags": [{"key": "env", "values": ["prod"]}]})).await.body;
    assert_eq!(found["total_count"], 1);
    assert_eq!(found["resources"][0]["resource_id"], prod.as_str());
    assert_eq!(found["resources"][0]["resource_detail"]["id"], prod.as_str());
    let any = env
        .post(query, json!({"action": "filter", "tags_any": [{"key": "team", "values": []}, {"key": "env", "values": ["prod"]}]}))
        .await
        .body;
    assert_eq!(any["total_count"], 2);
    let not_any =
        env.post(query, json!({"action": "filter", "not_tags_any": [{"key": "team", "values": []}]})).await.body;
    assert_eq!(not_any["resources"][0]["resource_id"], prod.as_str());
    let not_all = env
        .post(query, json!({"action": "count", "not_tags": [{"key": "env", "values": ["test"]}, {"key": "team", "values": ["a"]}]}))
        .await
        .body;
    assert_eq!(not_all, json!({"total_count": 1}));
    let by_name = env
        .post(query, json!({"action": "filter", "matches": [{"key": "resource_name", "value": "ECS-04"}]}))
        .await
        .body;
    assert_eq!(by_name["resources"][0]["resource_id"], test.as_str());
    let paged = env.post(query, json!({"action": "filter", "limit": "1", "offset": "1"})).await.body;
    assert_eq!(paged["total_count"], 2);
    assert_eq!(paged["resources"].as_array().unwrap().len(), 1);
    env.post(query, json!({"action": "sum"})).await.refused("SDRS.2210");
    env.post(query, json!({"action": "count", "limit": "1"})).await.refused("SDRS.2211");
    env.post(query, json!({"action": "filter", "limit": "0"})).await.refused("SDRS.2220");
    env.post(query, json!({"action": "filter", "limit": 5})).await.refused("SDRS.2220");
    env.post(query, json!({"action": "filter", "offset": "-1"})).await.refused("SDRS.0222");
    env.post(query, json!({"action": "filter", "matches": [{"key": "name", "value": "x"}]})).await.refused("SDRS.2214");
    env.post(query, json!({"action": "filter", "tags": [{"key": "a", "values": []}, {"key": "a", "values": []}]}))
        .await
        .refused("SDRS.2209");
    env.post(query, json!({"action": "filter", "tags": [{"key": "a", "values": ["x", "x"]}]}))
        .await
        .refused("SDRS.2219");
}

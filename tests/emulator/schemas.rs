//! Every operation's answers validate against the response schemas of the OpenAPI spec
//! (`specs/sdrs-v1.openapi.yaml`, its extension `specs/sdrs-v1-extensions.openapi.yaml`, and the
//! DWS spec for the v2 endpoint).

use std::collections::HashMap;

use reqwest::Method;
use sdrs_conformance::emulator::DEFAULT_PROJECT_ID;
use serde_json::{json, Value};

use crate::common::{Answer, Env};

fn load(file: &str) -> Value {
    let path = format!("{}/specs/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("spec readable");
    serde_yaml_ng::from_str(&text).expect("spec is YAML")
}

/// Validates answers against the spec, caching one validator per response.
struct Checker {
    spec: Value,
    extensions: Value,
    dws: Value,
    cache: HashMap<String, jsonschema::Validator>,
    operations: Vec<String>,
}

impl Checker {
    fn new() -> Checker {
        Checker {
            spec: load("sdrs-v1.openapi.yaml"),
            extensions: load("sdrs-v1-extensions.openapi.yaml"),
            dws: load("dws-disaster-recovery.openapi.yaml"),
            cache: HashMap::new(),
            operations: Vec::new(),
        }
    }

    #[track_caller]
    fn check(&mut self, method: &str, template: &str, answer: &Answer) {
        let document = if template.starts_with("/v2/") {
            &self.dws
        } else if self.extensions["paths"][template].is_object() {
            &self.extensions
        } else {
            &self.spec
        };
        let operation = &document["paths"][template][method];
        assert!(operation.is_object(), "{method} {template} is not in the spec");
        self.operations.push(format!("{method} {template}"));
        let status = answer.status.to_string();
        let mut response = &operation["responses"][&status];
        if let Some(reference) = response["$ref"].as_str() {
            let pointer = reference.trim_start_matches('#');
            response = document.pointer(pointer).expect("response reference resolves");
        }
        assert!(response.is_object(), "{method} {template}: status {status} undocumented");
        let schema = &response["content"]["application/json"]["schema"];
        if answer.status == 204 || !schema.is_object() {
            assert!(answer.raw.is_empty(), "{method} {template}: {}", answer.raw);
            return;
        }
        let key = format!("{method} {template} {status}");
        let root = document.clone();
        let validator = self.cache.entry(key).or_insert_with(|| {
            let mut root = root;
            for (k, v) in schema.as_object().unwrap() {
                root[k] = v.clone();
            }
            jsonschema::validator_for(&root).expect("schema compiles")
        });
        let errors: Vec<String> =
            validator.iter_errors(&answer.body).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "{method} {template} {status}: {errors:#?}\n{}", answer.raw);
    }
}

fn t(path: &str) -> String {
    format!("/v1/{{project_id}}{path}")
}

#[tokio::test]
async fn every_operation_answers_within_its_schema() {
    let env = Env::new().await;
    let mut c = Checker::new();

    let a = env.send(Method::GET, "/", None).await;
    c.check("get", "/", &a);
    let a = env.send(Method::GET, "/v1", None).await;
    c.check("get", "/{api_version}", &a);
    c.check("get", &t("/active-domains"), &env.get("/active-domains").await);
    c.check("get", &t("/sdrs/quotas"), &env.get("/sdrs/quotas").await);

    // groups
    let a = env.post("/server-groups", env.group_body("pg", &env.vpc("vpc-prod"))).await;
    c.check("post", &t("/server-groups"), &a);
    let job = a.job_id();
    let polled = env.get(&format!("/jobs/{job}")).await;
    c.check("get", &t("/jobs/{job_id}"), &polled);
    let group = polled.body["entities"]["server_group_id"].as_str().unwrap().to_string();
    c.check("get", &t("/server-groups/{server_group_id}"), &env.get(&format!("/server-groups/{group}")).await);
    c.check("get", &t("/jobs/{job_id}"), &env.get(&format!("/jobs/{job}")).await);
    c.check("get", &t("/server-groups"), &env.get("/server-groups").await);
    let a = env.put(&format!("/server-groups/{group}"), json!({"server_group": {"name": "pg2"}})).await;
    c.check("put", &t("/server-groups/{server_group_id}"), &a);
    let a = env.get("/server-groups/nope").await;
    c.check("get", &t("/server-groups/{server_group_id}"), &a);

    // instances
    let body = json!({"protected_instance": {"server_group_id": group, "server_id": env.server("ecs-02"),
        "name": "pi", "tags": [{"key": "k", "value": "v"}]}});
    let a = env.post("/protected-instances", body).await;
    c.check("post", &t("/protected-instances"), &a);
    let done = env.succeed(a).await;
    let instance = done["entities"]["protected_instance_id"].as_str().unwrap().to_string();
    let ip = format!("/protected-instances/{instance}");
    c.check("get", &t("/protected-instances"), &env.get("/protected-instances").await);
    c.check("get", &t("/protected-instances/{protected_instance_id}"), &env.get(&ip).await);
    let a = env.put(&ip, json!({"protected_instance": {"name": "pi2"}})).await;
    c.check("put", &t("/protected-instances/{protected_instance_id}"), &a);
    let servers = json!([{"server_id": env.server("ecs-04")}]);
    let a = env
        .post(
            "/protected-instances/batch",
            json!({"protected_instances": {"name_prefix": "b", "server_group_id": group, "servers": servers}}),
        )
        .await;
    c.check("post", &t("/protected-instances/batch"), &a);
    let batch_job = env.finish(&a.job_id()).await;
    c.check("get", &t("/jobs/{job_id}"), &env.get(&format!("/jobs/{}", batch_job["job_id"].as_str().unwrap())).await);
    let second =
        batch_job["entities"]["sub_jobs"][0]["entities"]["protected_instance_id"].as_str().unwrap().to_string();

    // pairs
    let a = env
        .post(
            "/replications",
            json!({"replication": {"server_group_id": group,
        "volume_id": env.volume("evs-01"), "name": "rp"}}),
        )
        .await;
    c.check("post", &t("/replications"), &a);
    let pair_job = env.succeed(a).await;
    let pair = pair_job["entities"]["replication_pair_id"].as_str().unwrap().to_string();
    let rp = format!("/replications/{pair}");
    c.check("get", &t("/replications/{replication_id}"), &env.get(&rp).await);
    c.check("get", &t("/replications"), &env.get("/replications").await);
    let a = env.put(&rp, json!({"replication": {"name": "rp2"}})).await;
    c.check("put", &t("/replications/{replication_id}"), &a);
    let a = env.post(&format!("{rp}/action"), json!({"extend-replication": {"new_size": 30}})).await;
    c.check("post", &t("/replications/{replication_id}/action"), &a);
    env.succeed(a).await;
    let a = env
        .post(
            &format!("{ip}/attachreplication"),
            json!({"replicationAttachment": {"replication_id": pair, "device": "/dev/vdb"}}),
        )
        .await;
    c.check("post", &t("/protected-instances/{protected_instance_id}/attachreplication"), &a);
    env.succeed(a).await;
    c.check("get", &t("/protected-instances/{protected_instance_id}"), &env.get(&ip).await);
    c.check("get", &t("/replications/{replication_id}"), &env.get(&rp).await);
    let a = env.delete(&format!("{ip}/detachreplication/{pair}")).await;
    c.check("delete", &t("/protected-instances/{protected_instance_id}/detachreplication/{replication_id}"), &a);
    env.succeed(a).await;

    // NICs and resize
    let subnet = env.world.vpcs[0].subnets[0].id.clone();
    let a = env.post(&format!("{ip}/nic"), json!({"subnet_id": subnet})).await;
    c.check("post", &t("/protected-instances/{protected_instance_id}/nic"), &a);
    env.succeed(a).await;
    let a = env.post(&format!("{ip}/nic/delete"), json!({"nic_id": "nope"})).await;
    c.check("post", &t("/protected-instances/{protected_instance_id}/nic/delete"), &a);
    let a = env.post(&format!("{ip}/resize"), json!({"resize": {"flavorRef": "s3.xlarge.2"}})).await;
    c.check("post", &t("/protected-instances/{protected_instance_id}/resize"), &a);
    env.succeed(a).await;

    // group actions
    let action = t("/server-groups/{server_group_id}/action");
    for body in [
        json!({"start-server-group": {}}),
        json!({"reverse-server-group": {"priority_station": "target"}}),
        json!({"failover-server-group": {}}),
        json!({"start-server-group": {}}),
        json!({"stop-server-group": {}}),
    ] {
        let a = env.post(&format!("/server-groups/{group}/action"), body).await;
        c.check("post", &action, &a);
        let job = env.succeed(a).await;
        let id = job["job_id"].as_str().unwrap();
        c.check("get", &t("/jobs/{job_id}"), &env.get(&format!("/jobs/{id}")).await);
        c.check("get", &t("/server-groups/{server_group_id}"), &env.get(&format!("/server-groups/{group}")).await);
    }

    // drills
    let a = env
        .post("/disaster-recovery-drills", json!({"disaster_recovery_drill": {"server_group_id": group, "name": "d"}}))
        .await;
    c.check("post", &t("/disaster-recovery-drills"), &a);
    let drill = env.succeed(a).await["entities"]["disaster_recovery_drill_id"].as_str().unwrap().to_string();
    let dp = format!("/disaster-recovery-drills/{drill}");
    c.check("get", &t("/disaster-recovery-drills/{disaster_recovery_drill_id}"), &env.get(&dp).await);
    c.check("get", &t("/disaster-recovery-drills"), &env.get("/disaster-recovery-drills").await);
    let a = env.put(&dp, json!({"disaster_recovery_drill": {"name": "d2"}})).await;
    c.check("put", &t("/disaster-recovery-drills/{disaster_recovery_drill_id}"), &a);
    let a = env.delete(&dp).await;
    c.check("delete", &t("/disaster-recovery-drills/{disaster_recovery_drill_id}"), &a);
    env.succeed(a).await;

    // tags
    let tags = format!("{ip}/tags");
    let a = env.post(&tags, json!({"tag": {"key": "k2", "value": "v2"}})).await;
    c.check("post", &t("/protected-instances/{protected_instance_id}/tags"), &a);
    let a =
        env.post(&format!("{tags}/action"), json!({"action": "create", "tags": [{"key": "k3", "value": ""}]})).await;
    c.check("post", &t("/protected-instances/{protected_instance_id}/tags/action"), &a);
    let a = env.post(&format!("{tags}/action"), json!({"action": "delete", "tags": [{"key": "k3"}]})).await;
    c.check("post", &t("/protected-instances/{protected_instance_id}/tags/action"), &a);
    c.check("get", &t("/protected-instances/{protected_instance_id}/tags"), &env.get(&tags).await);
    c.check("get", &t("/protected-instances/tags"), &env.get("/protected-instances/tags").await);
    let query = t("/protected-instances/resource_instances/action");
    let a = env.post("/protected-instances/resource_instances/action", json!({"action": "filter"})).await;
    c.check("post", &query, &a);
    let a = env.post("/protected-instances/resource_instances/action", json!({"action": "count"})).await;
    c.check("post", &query, &a);
    let a = env.delete(&format!("{tags}/k2")).await;
    c.check("delete", &t("/protected-instances/{protected_instance_id}/tags/{key}"), &a);
    let a = env.delete(&format!("{tags}/k2")).await;
    c.check("delete", &t("/protected-instances/{protected_instance_id}/tags/{key}"), &a);

    // task center (a failed group)
    let a = env.post("/server-groups", env.group_body("bad", &env.vpc("vpc-fail-create-group"))).await;
    let failed = env.finish(&a.job_id()).await;
    c.check("get", &t("/jobs/{job_id}"), &env.get(&format!("/jobs/{}", failed["job_id"].as_str().unwrap())).await);
    c.check("get", &t("/task-center/failure-jobs"), &env.get("/task-center/failure-jobs").await);
    let failed_id = failed["job_id"].as_str().unwrap();
    let a = env.delete(&format!("/task-center/failure-jobs/{failed_id}")).await;
    c.check("delete", &t("/task-center/failure-jobs/{failure_job_id}"), &a);
    let a = env.delete("/task-center/failure-jobs/batch").await;
    c.check("delete", &t("/task-center/failure-jobs/batch"), &a);
    let a = env.delete(&format!("/task-center/{group}/failure-jobs/batch")).await;
    c.check("delete", &t("/task-center/{server_group_id}/failure-jobs/batch"), &a);

    // deletes
    let a = env.post("/protected-instances/delete", json!({"protected_instances": [{"id": second}]})).await;
    c.check("post", &t("/protected-instances/delete"), &a);
    env.succeed(a).await;
    let a = env.delete(&ip).await;
    c.check("delete", &t("/protected-instances/{protected_instance_id}"), &a);
    env.succeed(a).await;
    let a = env.delete_with(&rp, json!({"replication": {"delete_target_volume": true}})).await;
    c.check("delete", &t("/replications/{replication_id}"), &a);
    env.succeed(a).await;
    let a = env.delete(&format!("/server-groups/{group}")).await;
    c.check("delete", &t("/server-groups/{server_group_id}"), &a);
    env.succeed(a).await;

    // the DWS endpoint
    let v2 = format!("/v2/{DEFAULT_PROJECT_ID}/disaster-recovery/x/start");
    let a = env.send(Method::POST, &v2, None).await;
    c.check("post", "/v2/{project_id}/disaster-recovery/{disaster_recovery_id}/start", &a);

    // the operation documented outside the seeds
    let a = env.get("/resource/rpo-statistics?limit=2&offset=1&resource_type=replication").await;
    c.check("get", &t("/resource/rpo-statistics"), &a);

    let mut seen = c.operations.clone();
    seen.sort();
    seen.dedup();
    let documented: usize = [&c.spec, &c.extensions, &c.dws]
        .iter()
        .map(|d| {
            d["paths"]
                .as_object()
                .unwrap()
                .values()
                .map(|ops| ["get", "post", "put", "delete"].iter().filter(|m| ops.get(**m).is_some()).count())
                .sum::<usize>()
        })
        .sum();
    assert_eq!(seen.len(), documented, "{seen:#?}");
}

//! Legal variants: each makes the emulator answer in its named way, one the reference allows.
//! The same requests without the variant are covered by the other modules (they answer in the
//! default way there); a few tests below compare both directly.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use sdrs_conformance::emulator::{EmulatorConfig, Variant};
use serde_json::{json, Value};

use crate::common::Env;

/// An emulator answering in these variants.
async fn with(variants: &[Variant]) -> Env {
    Env::with(EmulatorConfig { variants: variants.to_vec(), ..EmulatorConfig::default() }).await
}

/// The extra key of the variant `extra-keys`.
const EXTRA: &str = "x_vendor_note";

/// Every variant of the table, by name, that a test below exercises.
const TESTED: &[&str] = &[
    "extra-keys",
    "sdk-entity-keys",
    "omit-empty",
    "flat-errors",
    "wrapper-badrequest",
    "wrapper-itemnotfound",
    "wrapper-error",
    "not-found-404",
    "ignore-unknown-filters",
    "plain-json-content-type",
    "spaced-charset",
    "slow-jobs",
    "retry-after",
    "connection-close",
];

#[test]
fn every_variant_has_a_test_here() {
    let all: Vec<&str> = Variant::ALL.iter().map(|v| v.name()).collect();
    assert_eq!(TESTED, all.as_slice());
}

/// Every object in `value` except inside `metadata`, with its JSON pointer, lacking `key`.
fn objects_without(value: &Value, key: &str, at: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            let entities = at.ends_with("/entities");
            if !map.contains_key(key) && !entities {
                out.push(at.to_string());
            }
            for (k, child) in map {
                if k != "metadata" {
                    objects_without(child, key, &format!("{at}/{k}"), out);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                objects_without(child, key, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn extra_keys_reach_every_object_of_resources_lists_jobs_and_errors_but_not_data_maps() {
    let env = with(&[Variant::ExtraKeys]).await;
    let group = env.group("pg").await;
    let instance = env.instance(&group, "ecs-02").await;
    let mut missing = Vec::new();
    let shown = env.get(&format!("/protected-instances/{instance}")).await.body;
    objects_without(&shown, EXTRA, "", &mut missing);
    objects_without(&env.get("/server-groups").await.body, EXTRA, "", &mut missing);
    objects_without(&env.get("/sdrs/quotas").await.body, EXTRA, "", &mut missing);
    let refused = env.get("/server-groups/nope").await;
    objects_without(&refused.body, EXTRA, "", &mut missing);
    assert!(missing.is_empty(), "objects without {EXTRA}: {missing:?}");
    assert_eq!(shown["protected_instance"]["metadata"], json!({}), "{shown}");
    assert_eq!(refused.body["badrequest"]["code"], "SDRS.1013", "{}", refused.raw);

    let answer = env.post("/server-groups", env.group_body("pg2", &env.vpc("vpc-prod"))).await;
    assert!(answer.body.get(EXTRA).is_some(), "{}", answer.raw);
    let job = env.finish(&answer.job_id()).await;
    assert!(job.get(EXTRA).is_some() && job["entities"].get(EXTRA).is_none(), "{job}");
}

#[tokio::test]
async fn sdk_entity_keys_name_the_server_the_volumes_and_the_nic() {
    let env = with(&[Variant::SdkEntityKeys]).await;
    let group = env.group("pg").await;
    let body =
        json!({"protected_instance": {"server_group_id": group, "server_id": env.server("ecs-02"), "name": "pi"}});
    let job = env.succeed(env.post("/protected-instances", body).await).await;
    assert_eq!(job["entities"]["native_server_id"], env.server("ecs-02").as_str(), "{job}");
    let instance = job["entities"]["protected_instance_id"].as_str().unwrap().to_string();

    let body = json!({"replication": {"server_group_id": group, "volume_id": env.volume("evs-01"), "name": "rp"}});
    let job = env.succeed(env.post("/replications", body).await).await;
    let volumes = job["entities"]["volume_ids"].as_str().unwrap_or_else(|| panic!("no volume_ids: {job}"));
    assert!(volumes.starts_with(&format!("{},", env.volume("evs-01"))), "{volumes}");

    let subnet = env.world.vpcs[0].subnets[1].id.clone();
    let answer = env.post(&format!("/protected-instances/{instance}/nic"), json!({"subnet_id": subnet})).await;
    let job = env.succeed(answer).await;
    assert!(job["entities"]["nic_id"].as_str().is_some_and(|n| !n.is_empty()), "{job}");
    assert_eq!(job["entities"]["protected_instance_id"], instance.as_str());

    let servers = json!([{"server_id": env.server("ecs-04")}]);
    let batch = json!({"protected_instances": {"name_prefix": "b", "server_group_id": group, "servers": servers}});
    let job = env.finish(&env.post("/protected-instances/batch", batch).await.job_id()).await;
    let sub = &job["entities"]["sub_jobs"][0]["entities"];
    assert_eq!(sub["native_server_id"], env.server("ecs-04").as_str(), "{job}");
}

#[tokio::test]
async fn omit_empty_leaves_out_nulls_and_empty_fields_but_keeps_empty_lists() {
    let env = with(&[Variant::OmitEmpty]).await;
    assert_eq!(env.get("/server-groups").await.body, json!({"server_groups": [], "count": 0}));
    let group = env.group("pg").await;
    let instance = env.instance(&group, "ecs-02").await;
    let shown = env.get(&format!("/protected-instances/{instance}")).await.body["protected_instance"].clone();
    for key in ["tags", "metadata", "attachment", "description"] {
        assert!(shown.get(key).is_none(), "{key} is still there: {shown}");
    }
    assert_eq!(shown["id"], instance.as_str());
    let group_shown = env.get(&format!("/server-groups/{group}")).await.body["server_group"].clone();
    assert!(group_shown.get("protected_status").is_none(), "{group_shown}");
    let answer = env.post("/server-groups", env.group_body("pg2", &env.vpc("vpc-prod"))).await;
    let job = env.poll(&answer.job_id()).await;
    assert!(job.get("end_time").is_none() && job.get("error_code").is_none(), "{job}");

    let plain = Env::new().await;
    let group = plain.group("pg").await;
    let instance = plain.instance(&group, "ecs-02").await;
    let shown = plain.get(&format!("/protected-instances/{instance}")).await.body;
    assert_eq!(shown["protected_instance"]["tags"], json!([]), "the default keeps them: {shown}");
}

#[tokio::test]
async fn flat_errors_use_the_error_code_and_error_msg_envelope() {
    let env = with(&[Variant::FlatErrors]).await;
    let answer = env.get("/server-groups/nope").await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.body, json!({"error_code": "SDRS.1013", "error_msg": "Protection group not found"}));
}

#[tokio::test]
async fn each_wrapper_variant_uses_its_key_whatever_the_status() {
    for (variant, key) in [
        (Variant::WrapperBadrequest, "badrequest"),
        (Variant::WrapperItemNotFound, "itemNotFound"),
        (Variant::WrapperError, "error"),
    ] {
        let env = with(&[variant]).await;
        let answer = env.get("/server-groups/nope").await;
        assert_eq!(answer.status, 400);
        assert_eq!(answer.body, json!({key: {"code": "SDRS.1013", "message": "Protection group not found"}}));
        let group = env.group("pg").await;
        let instance = env.instance(&group, "ecs-02").await;
        let missing_tag = env.delete(&format!("/protected-instances/{instance}/tags/none")).await;
        assert_eq!(missing_tag.status, 404, "{}", missing_tag.raw);
        assert_eq!(missing_tag.body[key]["code"], "SDRS.2206", "{variant}: {}", missing_tag.raw);
    }
}

#[tokio::test]
async fn not_found_404_answers_unknown_path_ids_404_but_unknown_body_ids_400() {
    let env = with(&[Variant::NotFound404]).await;
    for (path, code) in [
        ("/server-groups/nope", "SDRS.1013"),
        ("/protected-instances/nope", "SDRS.1320"),
        ("/replications/nope", "SDRS.1608"),
        ("/disaster-recovery-drills/nope", "SDRS.1902"),
    ] {
        let answer = env.get(path).await;
        assert_eq!(answer.status, 404, "{path}: {}", answer.raw);
        assert_eq!(answer.body["itemNotFound"]["code"], code, "{path}: {}", answer.raw);
    }
    let body =
        json!({"protected_instance": {"server_group_id": "nope", "server_id": env.server("ecs-02"), "name": "pi"}});
    env.post("/protected-instances", body).await.refused("SDRS.1013");
}

#[tokio::test]
async fn ignore_unknown_filters_lists_as_if_the_filter_were_not_given() {
    let env = with(&[Variant::IgnoreUnknownFilters]).await;
    env.group("pg").await;
    for query in ["status=sleeping", "query_type=nonsense"] {
        let answer = env.get(&format!("/server-groups?{query}")).await;
        assert_eq!(answer.status, 200, "{query}: {}", answer.raw);
        assert_eq!(answer.body["count"], 1, "{query}: {}", answer.raw);
    }
    assert_eq!(env.get("/server-groups?status=protected").await.body["count"], 0, "a documented value still filters");
    assert_eq!(env.get("/protected-instances?status=sleeping").await.status, 200);
    assert_eq!(env.get("/disaster-recovery-drills?status=sleeping").await.status, 200);
    assert_eq!(env.get("/task-center/failure-jobs?failure_status=nope&resource_type=nope").await.status, 200);
    Env::new().await.get("/server-groups?status=sleeping").await.refused("SDRS.0209");
}

/// The `Content-Type` of `GET /sdrs/quotas`.
async fn quotas_content_type(env: &Env) -> String {
    let answer = env.get("/sdrs/quotas").await;
    answer.headers["content-type"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn content_type_variants_relabel_json_answers() {
    let plain = with(&[Variant::PlainJsonContentType]).await;
    assert_eq!(quotas_content_type(&plain).await, "application/json");
    let spaced = with(&[Variant::SpacedCharset]).await;
    assert_eq!(quotas_content_type(&spaced).await, "application/json; charset=utf-8");
    assert_eq!(quotas_content_type(&Env::new().await).await, "application/json;charset=UTF-8");
}

#[tokio::test]
async fn slow_jobs_stay_running_for_four_polls_and_keep_their_transitional_state() {
    let env = with(&[Variant::SlowJobs]).await;
    let body = env.group_body("pg", &env.vpc("vpc-prod"));
    let job_id = env.post("/server-groups", body).await.job_id();
    let mut seen = Vec::new();
    for _ in 0..6 {
        seen.push(env.poll(&job_id).await["status"].as_str().unwrap().to_string());
    }
    assert_eq!(seen, ["RUNNING", "RUNNING", "RUNNING", "RUNNING", "SUCCESS", "SUCCESS"]);
}

/// `GET /v1/{project_id}/sdrs/quotas` with a plain client: status and `Retry-After`.
async fn quotas_status(env: &Env) -> (u16, Option<String>, Value) {
    let response = env
        .client
        .get(format!("{}{}", env.emulator.uri(), Env::v1("/sdrs/quotas")))
        .header("X-Auth-Token", "emulator-test-token")
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    (status, retry_after, response.json().await.expect("JSON body"))
}

#[tokio::test]
async fn retry_after_throttles_every_fifth_get_and_serves_the_retry() {
    let env = with(&[Variant::RetryAfter]).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let (status, retry_after, body) = quotas_status(&env).await;
        statuses.push(status);
        if status == 429 {
            assert_eq!(retry_after.as_deref(), Some("0"));
            assert_eq!(body["error_code"], "APIGW.0308", "{body}");
        }
    }
    assert_eq!(statuses, [200, 200, 200, 200, 429]);
    let (status, _, body) = quotas_status(&env).await;
    assert_eq!(status, 200, "the retry is served: {body}");
    assert!(body["quotas"].is_object(), "{body}");
}

/// Sends one raw HTTP/1.1 request and reads until the server closes (or 5 s pass).
fn raw_exchange(address: std::net::SocketAddr) -> (String, bool) {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let request = format!("GET / HTTP/1.1\r\nHost: {address}\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let closed = loop {
        match stream.read(&mut buffer) {
            Ok(0) => break true,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(_) => break false,
        }
    };
    (String::from_utf8_lossy(&received).into_owned(), closed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_close_closes_the_connection_after_each_answer() {
    let env = with(&[Variant::ConnectionClose]).await;
    let address = env.emulator.address();
    let (text, closed) = tokio::task::spawn_blocking(move || raw_exchange(address)).await.unwrap();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.to_ascii_lowercase().contains("connection: close"), "{text}");
    assert!(closed, "the connection stayed open: {text}");
}

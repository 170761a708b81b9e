//! Versions, active-active domains, jobs, routing, headers, pacing, the DWS endpoint, serve.

use reqwest::Method;
use sdrs_conformance::emulator::{EmulatorConfig, JobPacing, World};
use serde_json::json;

use crate::common::Env;

#[tokio::test]
async fn version_discovery_lists_v1() {
    let env = Env::new().await;
    let versions = env.send(Method::GET, "/", None).await;
    assert_eq!(versions.status, 200);
    let v = &versions.body["versions"][0];
    assert_eq!(v["id"], "v1");
    assert_eq!(v["status"], "CURRENT");
    for key in ["links", "version", "updated", "min_version"] {
        assert!(v.get(key).is_some(), "{key}");
    }
    let unknown = env.send(Method::GET, "/v9", None).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body["error_code"], "APIGW.0101");
}

#[tokio::test]
async fn the_active_domain_comes_from_the_world() {
    let env = Env::new().await;
    let domains = env.get("/active-domains").await.body;
    let d = &domains["domains"][0];
    assert_eq!(d["id"], env.world.domain.id.as_str());
    assert_eq!(d["sold_out"], false);
    assert_eq!(d["local_replication_cluster"]["availability_zone"], "az1.dc1");
    assert_eq!(d["remote_replication_cluster"]["availability_zone"], "az2.dc2");
}

#[tokio::test]
async fn every_answer_has_a_request_id_and_json_answers_a_content_type() {
    let env = Env::new().await;
    let answer = env.get("/server-groups").await;
    let content_type = answer.headers["content-type"].to_str().unwrap();
    assert_eq!(content_type, "application/json;charset=UTF-8");
    let id = answer.headers["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 32);
    let error = env.get("/server-groups/nope").await;
    assert!(error.headers.contains_key("x-request-id"));
    assert_eq!(error.body["badrequest"]["message"], "Protection group not found");
}

#[tokio::test]
async fn unknown_paths_get_404_and_wrong_methods_405() {
    let env = Env::new().await;
    let missing = env.get("/no-such-thing").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["error_code"], "APIGW.0101");
    let wrong = env.send(Method::PATCH, &Env::v1("/server-groups"), None).await;
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.body["error_code"], "APIGW.0102");
}

#[tokio::test]
async fn unknown_jobs_are_refused() {
    let env = Env::new().await;
    env.get("/jobs/0123456789abcdef0123456789abcdef").await.refused("SDRS.0408");
}

#[tokio::test]
async fn jobs_paced_by_the_clock_advance_without_polls() {
    let env = Env::with(EmulatorConfig { jobs: JobPacing::AfterMillis(1000), ..EmulatorConfig::default() }).await;
    let answer = env.post("/server-groups", env.group_body("pg", &env.vpc("vpc-prod"))).await;
    let job_id = answer.job_id();
    assert_eq!(env.poll(&job_id).await["status"], "INIT");
    assert_eq!(env.poll(&job_id).await["status"], "INIT");
    env.emulator.advance_clock(500);
    assert_eq!(env.poll(&job_id).await["status"], "RUNNING");
    env.emulator.advance_clock(500);
    let groups = env.get("/server-groups").await.body;
    assert_eq!(groups["server_groups"][0]["status"], "available");
    assert_eq!(env.poll(&job_id).await["status"], "SUCCESS");
}

#[tokio::test]
async fn the_dws_start_endpoint_knows_no_disaster_recovery() {
    let env = Env::new().await;
    let path = format!(
        "/v2/{}/disaster-recovery/e59d6b86-9072-46eb-a996-13f8b44994c1/start",
        sdrs_conformance::emulator::DEFAULT_PROJECT_ID
    );
    let answer = env.send(Method::POST, &path, Some(json!({}))).await;
    assert_eq!(answer.status, 404);
    assert!(answer.body["itemNotFound"]["code"].is_string());
}

#[tokio::test]
async fn a_world_with_an_unknown_key_is_refused_with_its_location() {
    let text = "project_id: p\nplanets: []\n";
    let err = World::from_yaml(text, "bad.yaml").unwrap_err().to_string();
    assert!(err.contains("bad.yaml:"), "{err}");
    assert!(err.contains("planets"), "{err}");
    let missing = World::load(std::path::Path::new("/nonexistent/world.yaml")).unwrap_err().to_string();
    assert!(missing.contains("/nonexistent/world.yaml"), "{missing}");
}

#[tokio::test]
async fn serve_reports_an_address_it_cannot_bind() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let err = sdrs_conformance::emulator::serve("127.0.0.1".parse().unwrap(), port, EmulatorConfig::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
}

#[tokio::test]
async fn rpo_statistics_list_the_worlds_records_newest_first_with_their_total() {
    let env = Env::new().await;
    let all = env.get("/resource/rpo-statistics").await;
    assert_eq!(all.status, 200, "{}", all.raw);
    let world = World::default_world();
    let items = all.body["resource_rpo_statistics"].as_array().expect("an array of records");
    let ids: Vec<&str> = items.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let seeded: Vec<&str> = world.rpo_statistics.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, seeded);
    assert_eq!(all.body["count"], seeded.len());
    let first = &items[0];
    assert_eq!(first["resource_type"], "replication");
    assert!(first["resource_num"].is_u64() && first["point_time"].as_str().unwrap().len() == 16, "{first}");

    let page = env.get("/resource/rpo-statistics?limit=2&offset=1").await.body;
    let page_ids: Vec<&str> =
        page["resource_rpo_statistics"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(page_ids, seeded[1..3]);
    assert_eq!(page["count"], seeded.len(), "count is the number of all matches, not the page size");
}

#[tokio::test]
async fn rpo_statistics_are_filtered_by_period_and_type() {
    let env = Env::new().await;
    let world = World::default_world();
    let times: Vec<&str> = world.rpo_statistics.iter().map(|r| r.point_time.as_str()).collect();
    // Both bounds are inclusive; seconds and a fraction are accepted in the bounds.
    let (start, end) = (format!("{}:00.000", times[2]), format!("{}:00.000", times[1]));
    let path = format!(
        "/resource/rpo-statistics?start_time={}&end_time={}",
        start.replace(' ', "%20"),
        end.replace(' ', "%20")
    );
    let within = env.get(&path).await.body;
    let got: Vec<&str> = within["resource_rpo_statistics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["point_time"].as_str().unwrap())
        .collect();
    assert_eq!(got, times[1..3]);
    assert_eq!(within["count"], 2);
    let after = env.get("/resource/rpo-statistics?start_time=2030-01-01%2000:00:00.000").await.body;
    assert_eq!(after["count"], 0);
    assert_eq!(after["resource_rpo_statistics"], json!([]));
    let typed = env.get("/resource/rpo-statistics?resource_type=replication").await.body;
    assert_eq!(typed["count"], times.len());
}

#[tokio::test]
async fn rpo_statistics_refuse_bad_paging_times_and_types() {
    let env = Env::new().await;
    env.get("/resource/rpo-statistics?limit=1001").await.refused("SDRS.0221");
    env.get("/resource/rpo-statistics?limit=abc").await.refused("SDRS.0221");
    env.get("/resource/rpo-statistics?offset=-1").await.refused("SDRS.0222");
    env.get("/resource/rpo-statistics?start_time=yesterday").await.refused("SDRS.0201");
    env.get("/resource/rpo-statistics?end_time=2026-02-30%2000:00:00.000").await.refused("SDRS.0201");
    env.get("/resource/rpo-statistics?resource_type=server_groups").await.refused("SDRS.0201");
}

/// The end of a run drops the embedded emulator inside a tokio task whose cooperative budget may
/// be spent; wiremock's server then waited on a lock that kept answering "not yet" (CI hung).
#[test]
fn an_emulator_dropped_in_a_task_whose_budget_is_spent_stops() {
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(async {
            let emulator = sdrs_conformance::emulator::Emulator::start(Default::default()).await.expect("starts");
            let permits = tokio::sync::Semaphore::new(1);
            while tokio::task::coop::has_budget_remaining() {
                drop(permits.acquire().await.expect("open"));
            }
            drop(emulator);
        });
        let _ = done.send(());
    });
    // A guard against a hang only: the drop takes milliseconds.
    finished.recv_timeout(std::time::Duration::from_secs(120)).expect("the emulator's drop did not return");
}

//! Wall-clock pacing (`serve --job-duration`, `--time-scale`): jobs are held for real time, with
//! the clock moved by hand, so nothing sleeps and nothing depends on how fast the machine is.

use crate::common::Env;
use sdrs_conformance::emulator::{EmulatorConfig, JobPacing, ManualClock, WallClock};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// An emulator whose jobs follow `wall`, read from a clock the test moves.
async fn paced(wall: WallClock) -> (Env, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::default());
    let jobs = JobPacing::WallClock(wall.with_clock(clock.clone()));
    (Env::with(EmulatorConfig { jobs, ..EmulatorConfig::default() }).await, clock)
}

fn millis_between(job: &Value) -> i64 {
    let at = |key: &str| {
        chrono::DateTime::parse_from_rfc3339(job[key].as_str().unwrap_or_else(|| panic!("{key} of {job}")))
            .unwrap_or_else(|e| panic!("{key} of {job}: {e}"))
    };
    (at("end_time") - at("begin_time")).num_milliseconds()
}

#[tokio::test]
async fn a_job_held_two_seconds_runs_after_one_and_ends_after_two_whatever_the_polls() {
    let (env, clock) = paced(WallClock::fixed(Duration::from_secs(2))).await;
    let job_id = env.post("/server-groups", env.group_body("pg", &env.vpc("vpc-prod"))).await.job_id();
    for _ in 0..5 {
        assert_eq!(env.poll(&job_id).await["status"], "INIT", "polls alone do not move a wall-clock job");
    }
    let group = env.poll(&job_id).await["entities"]["server_group_id"].as_str().expect("group id").to_owned();
    let show = format!("/server-groups/{group}");
    clock.advance(Duration::from_millis(999));
    assert_eq!(env.poll(&job_id).await["status"], "INIT");
    clock.advance(Duration::from_millis(1));
    assert_eq!(env.poll(&job_id).await["status"], "RUNNING");
    assert_eq!(env.status(&show, "server_group").await, "creating");
    clock.advance(Duration::from_millis(999));
    assert_eq!(env.poll(&job_id).await["status"], "RUNNING");
    clock.advance(Duration::from_millis(1));
    // The group is done without a poll of its job, as on a region.
    assert_eq!(env.status(&show, "server_group").await, "available");
    let job = env.poll(&job_id).await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    let took = millis_between(&job);
    assert!((1900..2100).contains(&took), "the job's times show its wall-clock duration: {took} ms\n{job}");
}

#[tokio::test]
async fn a_time_scale_holds_each_job_type_for_its_share_of_the_table() {
    // 0.01: a group create (50 s) takes 0.5 s, a protected-instance create (6.5 min) 3.9 s.
    let (env, clock) = paced(WallClock::scaled(0.01)).await;
    let group_job = env.post("/server-groups", env.group_body("pg", &env.vpc("vpc-prod"))).await.job_id();
    clock.advance(Duration::from_millis(500));
    let job = env.poll(&group_job).await;
    assert_eq!(job["status"], "SUCCESS", "{job}");
    let group = job["entities"]["server_group_id"].as_str().expect("group id").to_owned();
    let body = json!({"protected_instance": {
        "server_group_id": group, "server_id": env.server("ecs-01"), "name": "pi-timing",
    }});
    let instance_job = env.post("/protected-instances", body).await.job_id();
    clock.advance(Duration::from_millis(1950));
    assert_eq!(env.poll(&instance_job).await["status"], "RUNNING");
    clock.advance(Duration::from_millis(1949));
    assert_eq!(env.poll(&instance_job).await["status"], "RUNNING");
    clock.advance(Duration::from_millis(1));
    assert_eq!(env.poll(&instance_job).await["status"], "SUCCESS");
}

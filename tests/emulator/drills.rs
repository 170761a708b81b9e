//! DR drills: lifecycle, VPC checks, lists.

use serde_json::json;

use crate::common::Env;

fn body(group: &str, vpc: Option<&str>) -> serde_json::Value {
    let mut b = json!({"disaster_recovery_drill": {"server_group_id": group, "name": "drill"}});
    if let Some(v) = vpc {
        b["disaster_recovery_drill"]["drill_vpc_id"] = json!(v);
    }
    b
}

#[tokio::test]
async fn a_drill_is_created_with_one_drill_server_per_instance_then_deleted() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    let instance = env.instance(&group, "ecs-02").await;
    let vpc = env.vpc("vpc-drill-1");
    let answer = env.post("/disaster-recovery-drills", body(&group, Some(&vpc))).await;
    let job = env.poll(&answer.job_id()).await;
    assert_eq!(job["job_type"], "createDisasterRecoveryDrill");
    let id = job["entities"]["disaster_recovery_drill_id"].as_str().unwrap().to_string();
    let path = format!("/disaster-recovery-drills/{id}");
    assert_eq!(env.status(&path, "disaster_recovery_drill").await, "creating");
    assert_eq!(env.poll(&answer.job_id()).await["status"], "SUCCESS");
    let drill = env.get(&path).await.body["disaster_recovery_drill"].clone();
    assert_eq!(drill["status"], "available");
    assert_eq!(drill["drill_vpc_id"], vpc.as_str());
    assert_eq!(drill["drill_servers"][0]["protected_instance"], instance.as_str());
    let count = env.get(&format!("/server-groups/{group}")).await.body;
    assert_eq!(count["server_group"]["disaster_recovery_drill_num"], 1);

    let renamed = env.put(&path, json!({"disaster_recovery_drill": {"name": "drill-2"}})).await;
    assert_eq!(renamed.body["disaster_recovery_drill"]["name"], "drill-2");

    let delete = env.delete(&path).await;
    env.observe(&delete.job_id(), &path, "disaster_recovery_drill", "deleting", None).await;
    env.get(&path).await.refused("SDRS.1902");
    env.delete(&path).await.refused("SDRS.1902");
}

#[tokio::test]
async fn drill_vpcs_must_exist_differ_from_the_group_and_be_unused() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    let drills = "/disaster-recovery-drills";
    env.post(drills, body(&group, Some(&env.vpc("vpc-prod")))).await.refused("SDRS.1907");
    env.post(drills, body(&group, Some("no-such-vpc"))).await.refused("SDRS.1928");
    env.succeed(env.post(drills, body(&group, Some(&env.vpc("vpc-drill-2")))).await).await;
    env.post(drills, body(&group, Some(&env.vpc("vpc-drill-2")))).await.refused("SDRS.1921");
    let auto = env.succeed(env.post(drills, body(&group, None)).await).await;
    let id = auto["entities"]["disaster_recovery_drill_id"].as_str().unwrap();
    let shown = env.get(&format!("{drills}/{id}")).await.body;
    assert_eq!(shown["disaster_recovery_drill"]["drill_vpc_id"].as_str().unwrap().len(), 36);
    env.post(drills, body("nope", None)).await.refused("SDRS.1013");
    env.post(drills, json!({"disaster_recovery_drill": {"server_group_id": group}})).await.refused("SDRS.0202");
    env.post(drills, json!({"disaster_recovery_drill": {"name": "d"}})).await.refused("SDRS.0207");
}

#[tokio::test]
async fn a_creating_drill_cannot_be_deleted() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    let answer = env.post("/disaster-recovery-drills", body(&group, None)).await;
    let job = env.poll(&answer.job_id()).await;
    let id = job["entities"]["disaster_recovery_drill_id"].as_str().unwrap();
    env.delete(&format!("/disaster-recovery-drills/{id}")).await.refused("SDRS.1913");
}

#[tokio::test]
async fn drill_lists_filter_and_page() {
    let env = Env::new().await;
    let g1 = env.group("g1").await;
    let g2 = env.group("g2").await;
    let vpc = env.vpc("vpc-drill-3");
    env.succeed(env.post("/disaster-recovery-drills", body(&g1, Some(&vpc))).await).await;
    env.succeed(env.post("/disaster-recovery-drills", body(&g2, None)).await).await;
    let list = "/disaster-recovery-drills";
    assert_eq!(env.get(list).await.body["count"], 2);
    assert_eq!(env.get(&format!("{list}?server_group_id={g2}")).await.body["count"], 1);
    assert_eq!(env.get(&format!("{list}?drill_vpc_id={vpc}")).await.body["count"], 1);
    assert_eq!(env.get(&format!("{list}?status=available&name=DRI")).await.body["count"], 2);
    let paged = env.get(&format!("{list}?limit=1&offset=1")).await.body;
    assert_eq!(paged["disaster_recovery_drills"].as_array().unwrap().len(), 1);
    env.get(&format!("{list}?status=nope")).await.refused("SDRS.0209");
}

#[tokio::test]
async fn a_drill_vpc_must_hold_the_subnet_blocks_of_the_group_vpc() {
    let env = Env::new().await;
    let group = env.group("pg").await;
    let drills = "/disaster-recovery-drills";
    env.post(drills, body(&group, Some(&env.vpc("vpc-drill-other-subnets")))).await.refused("SDRS.1909");
    env.succeed(env.post(drills, body(&group, Some(&env.vpc("vpc-drill-3")))).await).await;
}

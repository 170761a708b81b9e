//! Shared helpers: an emulator with a plain HTTP client, world lookups, and shortcuts that
//! create resources and drive their jobs to the end.

#![allow(dead_code)]

use reqwest::Method;
use sdrs_conformance::emulator::{Emulator, EmulatorConfig, World, DEFAULT_PROJECT_ID};
use serde_json::{json, Value};

/// A running emulator and a client for it.
pub struct Env {
    pub emulator: Emulator,
    pub client: reqwest::Client,
    pub world: World,
}

/// An answer: status, JSON body (Null when empty), headers.
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
    pub raw: String,
}

impl Answer {
    /// The A.1 code of a wrapped error body.
    pub fn code(&self) -> String {
        self.body
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(|v| v.get("code"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    }

    /// Asserts a 400 wrapped error with `code`.
    #[track_caller]
    pub fn refused(&self, code: &str) {
        assert_eq!(self.status, 400, "{code}: {}", self.raw);
        assert_eq!(self.code(), code, "{}", self.raw);
        assert!(self.body.get("badrequest").is_some(), "{}", self.raw);
    }

    /// The job ID of an async answer.
    pub fn job_id(&self) -> String {
        assert!(self.status == 200 || self.status == 202, "not accepted: {} {}", self.status, self.raw);
        self.body["job_id"].as_str().expect("job_id").to_string()
    }
}

impl Env {
    /// An emulator with the default configuration.
    pub async fn new() -> Env {
        Env::with(EmulatorConfig::default()).await
    }

    /// An emulator with this configuration.
    pub async fn with(config: EmulatorConfig) -> Env {
        let world = config.world.clone();
        let emulator = Emulator::start(config).await.expect("emulator starts");
        let client = reqwest::Client::builder().no_proxy().build().expect("client");
        Env { emulator, client, world }
    }

    /// `/v1/{project_id}` + `path`.
    pub fn v1(path: &str) -> String {
        format!("/v1/{DEFAULT_PROJECT_ID}{path}")
    }

    /// Sends a request with a token; `path` is absolute (starting with `/`).
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut request = self
            .client
            .request(method, format!("{}{}", self.emulator.uri(), path))
            .header("X-Auth-Token", "emulator-test-token");
        if let Some(body) = body {
            request = request.header("Content-Type", "application/json;charset=utf-8").body(body.to_string());
        }
        Env::read(request.send().await.expect("request sent")).await
    }

    /// Turns a response into an [`Answer`].
    pub async fn read(response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let raw = response.text().await.expect("body");
        let body = if raw.is_empty() { Value::Null } else { serde_json::from_str(&raw).expect("JSON body") };
        Answer { status, body, headers, raw }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, &Env::v1(path), None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, &Env::v1(path), Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.send(Method::PUT, &Env::v1(path), Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.send(Method::DELETE, &Env::v1(path), None).await
    }

    pub async fn delete_with(&self, path: &str, body: Value) -> Answer {
        self.send(Method::DELETE, &Env::v1(path), Some(body)).await
    }

    /// One poll of a job.
    pub async fn poll(&self, job_id: &str) -> Value {
        let answer = self.get(&format!("/jobs/{job_id}")).await;
        assert_eq!(answer.status, 200, "{}", answer.raw);
        answer.body
    }

    /// Polls a job until it ends; returns the final job body.
    pub async fn finish(&self, job_id: &str) -> Value {
        for _ in 0..5 {
            let job = self.poll(job_id).await;
            if job["status"] == "SUCCESS" || job["status"] == "FAIL" {
                return job;
            }
        }
        panic!("job {job_id} did not end");
    }

    /// Finishes an accepted job and asserts SUCCESS.
    pub async fn succeed(&self, answer: Answer) -> Value {
        let job = self.finish(&answer.job_id()).await;
        assert_eq!(job["status"], "SUCCESS", "{job}");
        job
    }

    /// The world VPC with this name.
    pub fn vpc(&self, name: &str) -> String {
        self.world.vpcs.iter().find(|v| v.name == name).unwrap_or_else(|| panic!("no VPC {name}")).id.clone()
    }

    /// The world server with this name.
    pub fn server(&self, name: &str) -> String {
        self.world.servers.iter().find(|s| s.name == name).unwrap_or_else(|| panic!("no server {name}")).id.clone()
    }

    /// The id of the world server whose jobs of `job_type` fail.
    pub fn failing_server(&self, job_type: &str) -> String {
        let failing = self.world.servers.iter().find(|s| s.fail_jobs.iter().any(|j| j == job_type));
        failing.unwrap_or_else(|| panic!("no server fails {job_type}")).id.clone()
    }

    /// The world volume with this name.
    pub fn volume(&self, name: &str) -> String {
        self.world.volumes.iter().find(|v| v.name == name).unwrap_or_else(|| panic!("no volume {name}")).id.clone()
    }

    /// A valid group creation body.
    pub fn group_body(&self, name: &str, vpc: &str) -> Value {
        json!({"server_group": {
            "name": name,
            "source_availability_zone": self.world.availability_zones.source,
            "target_availability_zone": self.world.availability_zones.target,
            "domain_id": self.world.domain.id,
            "source_vpc_id": vpc,
        }})
    }

    /// Creates a group in the production VPC and waits for it; returns its ID.
    pub async fn group(&self, name: &str) -> String {
        self.group_in(name, "vpc-prod").await
    }

    /// Creates a group in the named VPC and waits for it; returns its ID.
    pub async fn group_in(&self, name: &str, vpc: &str) -> String {
        let body = self.group_body(name, &self.vpc(vpc));
        let job = self.succeed(self.post("/server-groups", body).await).await;
        job["entities"]["server_group_id"].as_str().unwrap().to_string()
    }

    /// Creates a protected instance of the named server and waits for it; returns its ID.
    pub async fn instance(&self, group: &str, server: &str) -> String {
        let body = json!({"protected_instance": {
            "server_group_id": group, "server_id": self.server(server), "name": format!("pi-{server}"),
        }});
        let job = self.succeed(self.post("/protected-instances", body).await).await;
        job["entities"]["protected_instance_id"].as_str().unwrap().to_string()
    }

    /// Creates a replication pair of the named volume and waits for it; returns its ID.
    pub async fn pair(&self, group: &str, volume: &str) -> String {
        let body = json!({"replication": {
            "server_group_id": group, "volume_id": self.volume(volume), "name": format!("rp-{volume}"),
        }});
        let job = self.succeed(self.post("/replications", body).await).await;
        job["entities"]["replication_pair_id"].as_str().unwrap().to_string()
    }

    /// Runs a group action body and waits for its job; returns the job.
    pub async fn group_action(&self, group: &str, body: Value) -> Value {
        let answer = self.post(&format!("/server-groups/{group}/action"), body).await;
        self.finish(&answer.job_id()).await
    }

    /// The status of a resource at `path` under `key`.
    pub async fn status(&self, path: &str, key: &str) -> String {
        let answer = self.get(path).await;
        assert_eq!(answer.status, 200, "{}", answer.raw);
        answer.body[key]["status"].as_str().unwrap().to_string()
    }

    /// Checks the PerPoll protocol: transitional while INIT and RUNNING, final after SUCCESS.
    pub async fn observe(&self, job_id: &str, path: &str, key: &str, transitional: &str, success: Option<&str>) {
        assert_eq!(self.status(path, key).await, transitional);
        assert_eq!(self.poll(job_id).await["status"], "RUNNING");
        assert_eq!(self.status(path, key).await, transitional);
        let job = self.poll(job_id).await;
        assert_eq!(job["status"], "SUCCESS", "{job}");
        match success {
            Some(s) => assert_eq!(self.status(path, key).await, s),
            None => assert_eq!(self.get(path).await.status, 400),
        }
    }
}

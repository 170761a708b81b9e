//! Credentials: tokens, AK/SK signatures, project IDs.

use sdrs_conformance::emulator::{EmulatorConfig, KeyPair, DEFAULT_PROJECT_ID};
use sdrs_conformance::signing::{self, SignableRequest};

use crate::common::Env;

fn url(env: &Env, path: &str) -> String {
    format!("{}{}", env.emulator.uri(), Env::v1(path))
}

#[tokio::test]
async fn requests_without_credentials_get_401_but_versions_do_not_need_them() {
    let env = Env::new().await;
    let answer = Env::read(env.client.get(url(&env, "/server-groups")).send().await.unwrap()).await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.body["error_code"], "APIGW.0301");
    let versions = Env::read(env.client.get(env.emulator.uri()).send().await.unwrap()).await;
    assert_eq!(versions.status, 200);
    let v1 = Env::read(env.client.get(format!("{}/v1", env.emulator.uri())).send().await.unwrap()).await;
    assert_eq!(v1.body["version"]["id"], "v1");
}

#[tokio::test]
async fn a_configured_token_must_match() {
    let env = Env::with(EmulatorConfig { token: Some("right".into()), ..EmulatorConfig::default() }).await;
    let wrong =
        Env::read(env.client.get(url(&env, "/server-groups")).header("X-Auth-Token", "wrong").send().await.unwrap())
            .await;
    assert_eq!(wrong.status, 401);
    assert!(!wrong.raw.contains("right"));
    let right = env.client.get(url(&env, "/server-groups")).header("X-Auth-Token", "right").send().await.unwrap();
    assert_eq!(right.status(), 200);
}

fn signed(env: &Env, path: &str, ak: &str, sk: &str, date: Option<&str>) -> reqwest::RequestBuilder {
    let host = env.emulator.address().to_string();
    let mut headers = vec![("Host".to_string(), host)];
    if let Some(d) = date {
        headers.push(("X-Sdk-Date".to_string(), d.to_string()));
    }
    let full = Env::v1(path);
    let auth = signing::authorization(
        ak,
        sk,
        &SignableRequest {
            method: "GET",
            path: &full,
            query: &[("limit".to_string(), "5".to_string())],
            headers: &headers,
            body: b"",
        },
    );
    let mut request = env.client.get(format!("{}{}?limit=5", env.emulator.uri(), full)).header("Authorization", auth);
    if let Some(d) = date {
        request = request.header("X-Sdk-Date", d);
    }
    request
}

#[tokio::test]
async fn aksk_signatures_are_verified_when_the_key_pair_is_known() {
    let env = Env::with(EmulatorConfig {
        key_pair: Some(KeyPair { access_key: "AK1".into(), secret_key: "SK1-secret".into() }),
        ..EmulatorConfig::default()
    })
    .await;
    let date = Some("20260101T000000Z");
    let good = signed(&env, "/server-groups", "AK1", "SK1-secret", date).send().await.unwrap();
    assert_eq!(good.status(), 200);
    let bad = Env::read(signed(&env, "/server-groups", "AK1", "other", date).send().await.unwrap()).await;
    assert_eq!(bad.status, 401);
    assert!(bad.body["error_msg"].as_str().unwrap().contains("signature"));
    assert!(!bad.raw.contains("SK1-secret"));
    let unknown = signed(&env, "/server-groups", "AK2", "SK1-secret", date).send().await.unwrap();
    assert_eq!(unknown.status(), 401);
    let undated = signed(&env, "/server-groups", "AK1", "SK1-secret", None).send().await.unwrap();
    assert_eq!(undated.status(), 401);
    let malformed = env
        .client
        .get(url(&env, "/server-groups"))
        .header("Authorization", "SDK-HMAC-SHA256 nonsense")
        .header("X-Sdk-Date", "20260101T000000Z")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 401);
}

#[tokio::test]
async fn without_a_key_pair_a_well_formed_signature_is_enough() {
    let env = Env::new().await;
    let any = signed(&env, "/server-groups", "AK", "whatever", Some("20260101T000000Z")).send().await.unwrap();
    assert_eq!(any.status(), 200);
}

#[tokio::test]
async fn another_project_id_is_refused_with_sdrs_0001() {
    let env = Env::new().await;
    let path = "/v1/ffffffffffffffffffffffffffffffff/server-groups";
    let answer = env.send(reqwest::Method::GET, path, None).await;
    answer.refused("SDRS.0001");
    assert_ne!(DEFAULT_PROJECT_ID, "ffffffffffffffffffffffffffffffff");
}

//! End to end over HTTP: the real `revocation` and `rotation` binaries under `cargo lambda
//! watch`, the revocation API called through its function URL, the emergency rotation handed
//! to the rotation function through the Lambda Invoke API (the real adapter, pointed at the
//! local runtime), Genesys played by the simulator and AWS by moto.

use credguard::aws::secretsmanager::SecretsManager;
use credguard::credential::{TAG_CLIENT_ID, TAG_MANAGED};
use credguard::ports::secrets::{SecretStore, VersionRef, AWSCURRENT};
use credguard::redact::{ExposeSecret, SecretString};
use credguard_testkit::lambda_watch::LambdaWatch;
use credguard_testkit::{aws, create_records_table, unique, ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET};
use genesys_sim::demo::{DATA_ACTIONS, SAM};
use genesys_sim::{Seed, SimConfig};
use serde_json::{json, Value};
use std::time::Duration;

/// A JSON request to the revocation API under `key` (the function answers synchronously,
/// Genesys calls included, so it may take a while).
async fn post(http: &reqwest::Client, url: String, key: &str, body: Value) -> reqwest::Response {
    http.post(url)
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .json(&body)
        .timeout(Duration::from_secs(120))
        .send()
        .await
        .expect("the function URL answers")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_and_emergency_rotation_over_http() {
    let sim = genesys_sim::start(SimConfig::default(), Seed::demo())
        .await
        .unwrap();
    let aws = aws().await;
    let sm = SecretsManager::new(&aws);
    let table = unique("credguard-http");
    create_records_table(&aws, &table).await;
    let fleet = unique("fleet");
    let admin = unique("credguard/admin");
    let doc = json!({"schemaVersion": 1, "clientId": ADMIN_CLIENT_ID, "clientSecret": ADMIN_CLIENT_SECRET,
        "apiBaseUrl": sim.api_url(), "loginBaseUrl": sim.login_url()});
    sm.create(&admin, &SecretString::from(doc.to_string()), &[])
        .await
        .unwrap();
    let managed = unique("credguard/data-actions");
    let doc = json!({"schemaVersion": 1, "clientId": DATA_ACTIONS, "clientSecret": "DEMO-ONLY-not-a-real-secret-data-actions",
        "apiBaseUrl": sim.api_url(), "loginBaseUrl": sim.login_url(), "rotation": {"strategy": "regenerate"}});
    sm.create(
        &managed,
        &SecretString::from(doc.to_string()),
        &[(TAG_MANAGED, &fleet), (TAG_CLIENT_ID, DATA_ACTIONS)],
    )
    .await
    .unwrap();

    let aws_endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap();
    let mut env: Vec<(&str, String)> = vec![
        ("GENESYS_API_BASE_URL", sim.api_url()),
        ("GENESYS_LOGIN_BASE_URL", sim.login_url()),
        ("GENESYS_ADMIN_SECRET_ID", admin.clone()),
        ("RECORDS_TABLE_NAME", table.clone()),
        ("MANAGED_SECRET_TAG", format!("{TAG_MANAGED}={fleet}")),
        ("ROTATION_FUNCTION_NAME", "rotation".into()),
        ("LOCAL_CALLER_IDENTITY", "over-http-test".into()),
        ("AWS_ENDPOINT_URL", aws_endpoint),
        ("AWS_REGION", "us-east-1".into()),
        // The most verbose setting: nothing secret may appear in either binary's output.
        ("AWS_LAMBDA_LOG_LEVEL", "TRACE".into()),
    ];
    // One watch serves both functions with one environment: the admin key (the in-process
    // tests run each function under its own role).
    env.extend(credguard_testkit::admin_credentials_env());
    // The watch serves both functions; the revocation function's Lambda client must reach it.
    let watch = LambdaWatch::start_with(&mut env, |url| {
        vec![("AWS_ENDPOINT_URL_LAMBDA", url.to_owned())]
    })
    .expect("cargo lambda watch");
    let http = reqwest::Client::new();
    let url = watch.function_url("revocation");

    let token = sim.control().mint_user_token(SAM).unwrap().access_token;
    let resp = post(
        &http,
        format!("{url}/v1/users/{SAM}/revoke-tokens"),
        "http-1",
        json!({"reason": "end-to-end over HTTP"}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["outcome"], "completed", "{body}");
    assert_eq!(body["requestedBy"]["arn"], "local:over-http-test");
    // The token really died at Genesys.
    let head = http
        .head(format!("{}/api/v2/tokens/me", sim.api_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 401);

    // A leaked token, revoked by presenting it.
    let leaked = sim.control().mint_user_token(SAM).unwrap().access_token;
    let resp = post(
        &http,
        format!("{url}/v1/tokens/revoke"),
        "http-leak",
        json!({"accessToken": leaked, "reason": "pasted in a public channel"}),
    )
    .await;
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );

    // Bad input over HTTP: the JSON error shape, before any Genesys call.
    let resp = http
        .post(format!("{url}/v1/users/nope/revoke-tokens"))
        .header("content-type", "application/json")
        .header("idempotency-key", "http-2")
        .body("{\"reason\":\"x\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_id");

    // Emergency rotation: handed to the rotation function through the Lambda Invoke API.
    let current_version = || async {
        let meta = sm.describe(&managed).await.unwrap();
        meta.version_with_stage(AWSCURRENT).unwrap().to_owned()
    };
    let before = current_version().await;
    let resp = post(
        &http,
        format!("{url}/v1/clients/{DATA_ACTIONS}/rotate"),
        "http-3",
        json!({"reason": "secret found in a public repository"}),
    )
    .await;
    assert_eq!(resp.status(), 202);
    let started: Value = resp.json().await.unwrap();
    let revocation = started["revocationId"].as_str().expect("an id").to_owned();
    let mut rotated = false;
    for _ in 0..100 {
        if current_version().await != before {
            rotated = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        rotated,
        "the rotation function rotated the secret (see {})",
        watch.log_path.display()
    );
    let current = sm
        .get_version(&managed, VersionRef::Stage(AWSCURRENT))
        .await
        .unwrap();
    let doc: Value = serde_json::from_str(current.value.expose_secret()).unwrap();
    let check = sim
        .control()
        .check_secret(DATA_ACTIONS, doc["clientSecret"].as_str().unwrap());
    assert!(check.current && check.accepted);

    // The revocation record shows the outcome of the rotation it asked for.
    let mut seen = Value::Null;
    for _ in 0..50 {
        let resp = http
            .get(format!("{url}/v1/revocations/{revocation}"))
            .send()
            .await
            .unwrap();
        seen = resp.json().await.unwrap();
        if seen["rotation"]["outcome"] == "succeeded" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(seen["rotation"]["outcome"], "succeeded", "{seen}");
    assert_eq!(seen["rotation"]["token"], revocation.as_str(), "{seen}");

    // Both binaries' complete output at TRACE: no token, no secret.
    let output = std::fs::read_to_string(&watch.log_path).unwrap();
    assert!(output.contains("\"level\":\"TRACE\""), "TRACE was on");
    let new_secret = doc["clientSecret"].as_str().unwrap();
    for (what, needle) in [
        ("the revoked user token", token.as_str()),
        ("the leaked token", leaked.as_str()),
        ("the admin secret", ADMIN_CLIENT_SECRET),
        (
            "the rotated secret",
            "DEMO-ONLY-not-a-real-secret-data-actions",
        ),
        ("the new secret", new_secret),
    ] {
        assert!(
            !output.contains(needle),
            "{what} appears in {}",
            watch.log_path.display()
        );
    }
}

//! Demo: through the revocation API's HTTP interface (the real binary, function URL), revoke a
//! seeded user's tokens, see a protected user refused, disable a client, and read the records.

use crate::DemoStack;
use genesys_sim::demo::{ALEX_ADMIN, AUDIT_READER, SAM};
use serde_json::{json, Value};

async fn post(http: &reqwest::Client, url: &str, key: &str, body: Value) -> (u16, Value) {
    let resp = http
        .post(url)
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .json(&body)
        .send()
        .await
        .expect("the revocation API answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

pub async fn run(stack: &DemoStack) {
    println!("\n== revocation: the HTTP API (function URL of the revocation binary)");
    let http = reqwest::Client::new();
    let api = stack.functions.function_url("revocation");
    let genesys = stack
        .endpoints
        .api
        .as_str()
        .trim_end_matches('/')
        .to_owned();

    // Sam is logged in twice (two user tokens, minted by the simulator's admin API).
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let minted: Value = http
            .post(format!("{}/users/{SAM}/tokens", stack.sim_admin))
            .json(&json!({}))
            .send()
            .await
            .expect("simulator")
            .json()
            .await
            .expect("JSON");
        tokens.push(
            minted["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    let me = format!("{genesys}/api/v2/tokens/me");
    let before = count_valid(&http, &me, &tokens).await;

    let (status, body) = post(
        &http,
        &format!("{api}/v1/users/{SAM}/revoke-tokens"),
        "demo-sam-1",
        json!({"reason": "laptop stolen (demo)"}),
    )
    .await;
    let after = count_valid(&http, &me, &tokens).await;
    println!(
        "POST /v1/users/{SAM}/revoke-tokens -> {status} {}; checks: scimActive={} roles={}",
        body["outcome"], body["checks"]["scimActive"], body["checks"]["roles"]
    );
    println!("  Sam's sessions valid at Genesys: {before} before, {after} after");
    let sam_revocation = body["revocationId"].as_str().unwrap_or_default().to_owned();
    let (replay_status, replay) = post(
        &http,
        &format!("{api}/v1/users/{SAM}/revoke-tokens"),
        "demo-sam-1",
        json!({"reason": "laptop stolen (demo)"}),
    )
    .await;
    println!(
        "  the same Idempotency-Key again -> {replay_status}, same answer: {}",
        replay == body
    );

    let (status, body) = post(
        &http,
        &format!("{api}/v1/users/{ALEX_ADMIN}/revoke-tokens"),
        "demo-alex-1",
        json!({"reason": "suspicious login (demo)"}),
    )
    .await;
    println!(
        "POST /v1/users/{ALEX_ADMIN}/revoke-tokens -> {status} {}",
        body["error"]["code"]
    );

    let (status, body) = post(
        &http,
        &format!("{api}/v1/clients/{AUDIT_READER}/disable"),
        "demo-disable-1",
        json!({"reason": "client secret leaked (demo)"}),
    )
    .await;
    println!(
        "POST /v1/clients/{AUDIT_READER}/disable -> {status} {} (previous state {})",
        body["outcome"], body["previousState"]
    );

    let record: Value = http
        .get(format!("{api}/v1/revocations/{sam_revocation}"))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    println!(
        "GET /v1/revocations/{sam_revocation} -> action {}, outcome {}, requested by {}, correlation ids {}",
        record["action"], record["outcome"], record["requestedBy"]["arn"], record["correlationIds"]
    );
    let events = stack.tap.drain().await;
    let kinds: Vec<String> = events
        .iter()
        .filter_map(|e| e["detail-type"].as_str().map(str::to_owned))
        .collect();
    println!("security events on the bus: {kinds:?}");
}

/// How many of the tokens Genesys still accepts (`HEAD /api/v2/tokens/me`).
async fn count_valid(http: &reqwest::Client, me: &str, tokens: &[String]) -> usize {
    let mut n = 0;
    for t in tokens {
        if http
            .head(me)
            .bearer_auth(t)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            n += 1;
        }
    }
    n
}

//! Revocation figures: latency of a warm user revocation against the simulator (p50/p99 over
//! 1,000 requests, each a new Idempotency-Key), and the throughput of a 500-user bulk request
//! under the default Genesys rate limit (300 requests/min per token).

use crate::stats::{ms, percentile};
use credguard::aws::{
    dynamodb::DynamoRecords, eventbridge::EventBridgePublisher, lambda::LambdaRotationTrigger,
    secretsmanager::SecretsManager,
};
use credguard::revocation::config::RevocationConfig;
use credguard::rotation::config::ManagedSelection;
use credguard_revocation::{handle, Deps, SelfIdentity};
use credguard_testkit::{admin_client, aws, create_records_table, fast_options, unique};
use genesys_sim::{Seed, SeedUser, SimConfig};
use lambda_http::{Context, RequestExt};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const SAM: &str = "e5e50000-0002-4f00-9000-000000000002";

fn event(path: &str, body: &Value, key: &str) -> lambda_http::Request {
    let mut e: Value = serde_json::from_str(include_str!(
        "../../../functions/revocation/tests/fixtures/apigw-rest-revoke-user.json"
    ))
    .expect("fixture");
    e["path"] = path.into();
    e["body"] = body.to_string().into();
    e["headers"]["Idempotency-Key"] = key.into();
    e["multiValueHeaders"]["Idempotency-Key"] = json!([key]);
    let mut ctx = Context::default();
    ctx.deadline = (std::time::SystemTime::now() + Duration::from_secs(900))
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after epoch")
        .as_millis() as u64;
    lambda_http::request::from_str(&e.to_string())
        .expect("event")
        .with_lambda_context(ctx)
}

async fn deps(
    sim: &genesys_sim::SimHandle,
) -> Deps<
    credguard::genesys::GenesysClient,
    DynamoRecords,
    EventBridgePublisher,
    SecretsManager,
    LambdaRotationTrigger,
> {
    let aws = aws().await;
    let table = unique("bench-revocation");
    create_records_table(&aws, &table).await;
    Deps {
        genesys: admin_client(sim, fast_options()),
        records: DynamoRecords::new(&aws, &table),
        events: EventBridgePublisher::new(&aws, "default", "credguard"),
        secrets: SecretsManager::new(&aws),
        rotation: LambdaRotationTrigger::new(&aws, None),
        config: RevocationConfig::default(),
        identity: SelfIdentity::Known(credguard_testkit::ADMIN_CLIENT_ID.into()),
        managed: ManagedSelection::default(),
        deadline_margin: Duration::from_secs(5),
        function_timeout: Duration::from_secs(900),
    }
}

pub async fn run() {
    println!("== revocation (simulator; moto)");
    // Latency: the limiter is not what is measured here.
    let sim = genesys_sim::start(
        SimConfig {
            rate_limit_per_minute: 1_000_000,
            ..SimConfig::default()
        },
        Seed::demo(),
    )
    .await
    .expect("simulator");
    let d = deps(&sim).await;
    let path = format!("/v1/users/{SAM}/revoke-tokens");
    let body = json!({"reason": "bench"});
    handle(&d, event(&path, &body, &unique("warm")))
        .await
        .expect("warm-up");
    sim.control().clear_calls();
    let mut samples = Vec::with_capacity(1000);
    for i in 0..1000 {
        let started = Instant::now();
        let resp = handle(&d, event(&path, &body, &format!("bench-{i}")))
            .await
            .expect("answer");
        samples.push(started.elapsed());
        assert_eq!(resp.status(), 200);
    }
    samples.sort();
    let genesys_calls =
        sim.control().calls().counts.values().sum::<u64>() as f64 / samples.len() as f64;
    println!(
        "warm user revocation ({genesys_calls:.1} Genesys requests each): p50 {}  p99 {}  (1,000 requests)",
        ms(percentile(&samples, 50.0)),
        ms(percentile(&samples, 99.0))
    );
    sim.shutdown().await;

    // Throughput under the default limit of 300 requests/min per token.
    let mut seed = Seed::demo();
    let mut ids = Vec::new();
    for i in 0..500 {
        let id = format!("b0000000-0000-4000-8000-{i:012}");
        seed = seed.user(SeedUser::new(
            &id,
            &format!("Bulk User {i}"),
            &format!("bulk{i}@demo.invalid"),
        ));
        ids.push(id);
    }
    let sim = genesys_sim::start(SimConfig::default(), seed)
        .await
        .expect("simulator");
    let d = deps(&sim).await;
    let started = Instant::now();
    let resp = handle(
        &d,
        event(
            "/v1/users/revoke-tokens",
            &json!({"userIds": ids, "reason": "bench bulk"}),
            "bulk-1",
        ),
    )
    .await
    .expect("answer");
    let wall = started.elapsed();
    let body: Value = match resp.body() {
        lambda_http::Body::Text(t) => serde_json::from_str(t).expect("JSON"),
        _ => Value::Null,
    };
    let completed = body["results"]
        .as_array()
        .map(|r| r.iter().filter(|x| x["outcome"] == "completed").count())
        .unwrap_or(0);
    let throttled = sim
        .control()
        .calls()
        .calls
        .iter()
        .filter(|c| c.status == Some(429))
        .count();
    println!(
        "500-user bulk at 300 requests/min: {:.1} s, {completed} users revoked, {:.0} users/min, {} Genesys requests, {throttled} answered 429",
        wall.as_secs_f64(),
        completed as f64 / wall.as_secs_f64() * 60.0,
        sim.control().calls().calls.len(),
    );
    sim.shutdown().await;
}

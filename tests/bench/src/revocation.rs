//! Revocation figures: latency of a warm user revocation against the simulator (p50/p99 over
//! 1,000 requests, each a new Idempotency-Key), and a 500-user bulk revocation in the
//! background under the default Genesys rate limit (300 requests/min per token): time to the
//! answer, time to done, Genesys requests and 429s, every user's outcome read back.

use crate::setup;
use crate::stats::{ms, percentile};
use credguard::aws::{
    dynamodb::DynamoRecords, eventbridge::EventBridgePublisher, lambda::LambdaRotationTrigger,
    secretsmanager::SecretsManager,
};
use credguard::revocation::config::RevocationConfig;
use credguard::rotation::config::ManagedSelection;
use credguard::testing::QueuedJobs;
use credguard_revocation::{handle, Deps, SelfIdentity};
use credguard_testkit::{admin_client, aws, create_records_table, fast_options, unique};
use genesys_sim::demo::SAM;
use genesys_sim::{Seed, SeedUser, SimConfig};
use lambda_runtime::LambdaEvent;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn invocation(payload: Value) -> LambdaEvent<Value> {
    credguard_testkit::invocation(payload, Duration::from_secs(900))
}

fn rest(method: &str, path: &str, body: Option<&Value>, key: &str) -> Value {
    let mut e: Value = serde_json::from_str(include_str!(
        "../../../functions/revocation/tests/fixtures/apigw-rest-revoke-user.json"
    ))
    .expect("fixture");
    e["httpMethod"] = method.into();
    e["path"] = path.into();
    e["body"] = body
        .map(|b| Value::from(b.to_string()))
        .unwrap_or(Value::Null);
    e["headers"]["Idempotency-Key"] = key.into();
    e["multiValueHeaders"]["Idempotency-Key"] = json!([key]);
    e
}

fn event(path: &str, body: &Value, key: &str) -> LambdaEvent<Value> {
    invocation(rest("POST", path, Some(body), key))
}

/// The status and JSON body of a proxy response.
fn answer(resp: &Value) -> (u64, Value) {
    let body = serde_json::from_str(resp["body"].as_str().unwrap_or("null")).unwrap_or_default();
    (resp["statusCode"].as_u64().unwrap_or_default(), body)
}

async fn deps(
    sim: &genesys_sim::SimHandle,
) -> Deps<
    credguard::genesys::GenesysClient,
    DynamoRecords,
    EventBridgePublisher,
    SecretsManager,
    LambdaRotationTrigger,
    QueuedJobs,
> {
    let aws = aws().await;
    let table = unique("bench-revocation");
    create_records_table(&aws, &table).await;
    Deps {
        genesys: admin_client(sim, fast_options()),
        records: DynamoRecords::new(&aws, &table),
        events: EventBridgePublisher::new(&aws, "default", credguard::ports::events::EVENT_SOURCE),
        secrets: SecretsManager::new(&aws),
        rotation: LambdaRotationTrigger::new(&aws, None),
        jobs: QueuedJobs::default(),
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
    let sim = setup::unthrottled_sim().await;
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
        assert_eq!(answer(&resp).0, 200);
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
    let answered = started.elapsed();
    let (status, body) = answer(&resp);
    assert_eq!(status, 202, "{body}");
    let id = body["revocationId"].as_str().expect("an id").to_owned();
    // The function's own asynchronous invocations, as Lambda would run them.
    let mut invocations = 0;
    loop {
        let queued = d.jobs.take();
        if queued.is_empty() {
            break;
        }
        for job in queued {
            invocations += 1;
            handle(&d, invocation(credguard::aws::lambda::bulk_job_event(&job)))
                .await
                .expect("the job runs");
        }
    }
    let wall = started.elapsed();
    // Every user's outcome, read back a page at a time.
    let mut completed = 0;
    let mut read = 0;
    let mut after: Option<String> = None;
    loop {
        let mut e = rest(
            "GET",
            &format!("/v1/revocations/{id}/users"),
            None,
            "unused",
        );
        e["queryStringParameters"] = match &after {
            Some(a) => json!({"limit": "500", "after": a}),
            None => json!({"limit": "500"}),
        };
        let (_, page) = answer(&handle(&d, invocation(e)).await.expect("page"));
        let users = page["users"].as_array().cloned().unwrap_or_default();
        read += users.len();
        completed += users.iter().filter(|u| u["outcome"] == "completed").count();
        match page["next"].as_str() {
            Some(n) => after = Some(n.to_owned()),
            None => break,
        }
    }
    let throttled = sim.control().answered_with(429);
    println!(
        "500-user bulk at 300 requests/min: answered 202 in {}, done in {:.1} s ({invocations} invocation(s)), {completed} of {read} users revoked, {:.0} users/min, {} Genesys requests, {throttled} answered 429",
        ms(answered),
        wall.as_secs_f64(),
        completed as f64 / wall.as_secs_f64() * 60.0,
        sim.control().calls().calls.len(),
    );
    sim.shutdown().await;
}

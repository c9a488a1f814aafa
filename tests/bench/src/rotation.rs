//! Rotation figures: one rotation per strategy and trigger with 0 ms propagation (wall time,
//! Genesys and AWS calls), and a sweep over 200 managed secrets with nothing due.

use crate::setup::{self, HR_SYNC};
use crate::stats::ms;
use credguard::aws::{
    dynamodb::DynamoRecords, eventbridge::EventBridgePublisher, secretsmanager::SecretsManager,
};
use credguard::credential::{TAG_MANAGED, TAG_ROTATED_AT};
use credguard::ports::secrets::SecretStore;
use credguard::records::iso;
use credguard::redact::SecretString;
use credguard::rotation::config::ManagedSelection;
use credguard::rotation::RotationConfig;
use credguard_rotation::{handle, Deps};
use credguard_testkit::observe::{CallCounter, Observed};
use credguard_testkit::{admin_client, aws, create_records_table, endpoints, fast_options, unique};
use lambda_runtime::LambdaEvent;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn invocation(payload: Value) -> LambdaEvent<Value> {
    credguard_testkit::invocation(payload, Duration::from_secs(600))
}

pub async fn run() {
    let sim = setup::unthrottled_sim().await;
    let aws = aws().await;
    let table = unique("bench-rotation");
    create_records_table(&aws, &table).await;
    let fleet = unique("bench-fleet");
    let counter = CallCounter::default();
    let sm = SecretsManager::new(&aws);
    let deps = Deps {
        genesys: Observed::new(admin_client(&sim, fast_options()), counter.hook()),
        secrets: Observed::new(sm.clone(), counter.hook()),
        records: Observed::new(DynamoRecords::new(&aws, &table), counter.hook()),
        events: Observed::new(
            EventBridgePublisher::new(&aws, "default", credguard::ports::events::EVENT_SOURCE),
            counter.hook(),
        ),
        config: RotationConfig {
            managed: ManagedSelection::Tag {
                key: TAG_MANAGED.into(),
                value: fleet.clone(),
            },
            verify_interval: Duration::from_millis(50),
            ..RotationConfig::default()
        },
        endpoints: endpoints(&sim),
        deadline_margin: Duration::from_secs(5),
        function_timeout: Duration::from_secs(300),
        clock: Default::default(),
    };
    // Warm the token so the figures are for a warm container.
    handle(
        &deps,
        invocation(json!({"action": "sweep", "dryRun": true})),
    )
    .await
    .expect("warm-up");

    println!("== rotation (simulator, 0 ms propagation; moto)");
    for (label, client, secret, rotation) in setup::strategies() {
        let name = unique("bench/managed");
        setup::create_managed(&sm, &sim, &fleet, &name, (client, secret, rotation)).await;
        // Due: the sweep rotates it (one ListSecrets and one open-attempts query per run).
        sm.tag(&name, &[(TAG_ROTATED_AT, "2026-01-01T00:00:00.000Z")])
            .await
            .expect("tag");
        for (how, payload) in [
            // The sweep's figure includes its once-per-run ListSecrets and open-attempts query.
            ("sweep", json!({"action": "sweep"})),
            (
                "rotate now",
                json!({"action": "rotateNow", "secretId": name}),
            ),
        ] {
            counter.reset();
            sim.control().clear_calls();
            let started = Instant::now();
            let out = handle(&deps, invocation(payload)).await.expect("rotation");
            let wall = started.elapsed();
            let rotated = out["action"] == "rotated" || out["rotated"] == 1;
            assert!(rotated, "{out}");
            let aws_calls =
                counter.total("secrets.") + counter.total("records.") + counter.total("events.");
            println!(
                "one {label:<11} rotation by {how:<10}: {:>10}  genesys calls {:>2}  AWS calls {aws_calls:>2} (secrets manager {:>2}, dynamodb {:>2}, eventbridge {})",
                ms(wall),
                sim.control().calls().calls.len(),
                counter.total("secrets."),
                counter.total("records."),
                counter.total("events."),
            );
        }
        let _ = sm.tag(&name, &[(TAG_MANAGED, "retired-from-bench")]).await;
    }

    // 200 managed secrets, all rotated just now: nothing is due.
    let now = iso(chrono::Utc::now());
    for i in 0..200 {
        let name = unique(&format!("bench/fleet-{i}"));
        let doc = json!({"schemaVersion": 1, "clientId": HR_SYNC, "clientSecret": "x"});
        sm.create(
            &name,
            &SecretString::from(doc.to_string()),
            &[(TAG_MANAGED, &fleet), (TAG_ROTATED_AT, &now)],
        )
        .await
        .expect("secret");
    }
    counter.reset();
    sim.control().clear_calls();
    let started = Instant::now();
    let out = handle(&deps, invocation(json!({"action": "sweep"})))
        .await
        .expect("sweep");
    let wall = started.elapsed();
    assert_eq!(out["examined"], 200, "{out}");
    assert_eq!(out["rotated"], 0);
    println!(
        "sweep over 200 secrets, none due: {:>10}  genesys calls {}  secrets manager {} (ListSecrets, 100 per page)  dynamodb {}",
        ms(wall),
        sim.control().calls().calls.len(),
        counter.total("secrets."),
        counter.total("records."),
    );
    sim.shutdown().await;
}

//! Consumer continuity: a consumer that reads `AWSCURRENT` and requests a token every 100 ms
//! while 20 rotations run back to back (1 s apart, so that each rotation's window can be seen
//! on its own), per strategy, with the simulator's propagation delay on. Failed grants and the
//! longest window without a working credential.

use crate::setup;
use crate::stats::ms;
use credguard::aws::{
    dynamodb::DynamoRecords, eventbridge::EventBridgePublisher, secretsmanager::SecretsManager,
};
use credguard::credential::{ManagedCredential, TAG_MANAGED};
use credguard::genesys::login::client_credentials_grant;
use credguard::ports::secrets::{SecretStore, VersionRef, AWSCURRENT};
use credguard::rotation::config::ManagedSelection;
use credguard::rotation::RotationConfig;
use credguard_rotation::{handle, Deps};
use credguard_testkit::{admin_client, aws, create_records_table, endpoints, fast_options, unique};
use genesys_sim::{Seed, SimConfig};
use lambda_runtime::LambdaEvent;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ROTATIONS: usize = 20;
const PROPAGATION_MS: u64 = 1500;

fn invocation(payload: Value) -> LambdaEvent<Value> {
    credguard_testkit::invocation(payload, Duration::from_secs(600))
}

/// What the consumer saw.
#[derive(Default)]
struct Seen {
    grants: u32,
    failed: u32,
    longest_outage: Duration,
}

/// Reads the secret and asks for a token every 100 ms until told to stop.
async fn consume(sm: SecretsManager, name: String, login: url::Url, stop: Arc<AtomicBool>) -> Seen {
    let http = reqwest::Client::new();
    let mut seen = Seen::default();
    let mut failing_since: Option<Instant> = None;
    while !stop.load(Ordering::Relaxed) {
        let tick = Instant::now();
        let current = sm
            .get_version(&name, VersionRef::Stage(AWSCURRENT))
            .await
            .expect("read AWSCURRENT");
        let doc = ManagedCredential::parse(&current.value).expect("document");
        let ok =
            client_credentials_grant(&http, &login, &doc.credentials(), Duration::from_secs(5))
                .await
                .is_ok();
        seen.grants += 1;
        match (ok, failing_since) {
            (false, None) => {
                seen.failed += 1;
                failing_since = Some(tick);
            }
            (false, Some(_)) => seen.failed += 1,
            (true, Some(since)) => {
                seen.longest_outage = seen.longest_outage.max(tick - since);
                failing_since = None;
            }
            (true, None) => {}
        }
        tokio::time::sleep(Duration::from_millis(100).saturating_sub(tick.elapsed())).await;
    }
    if let Some(since) = failing_since {
        seen.longest_outage = seen.longest_outage.max(since.elapsed());
    }
    seen
}

pub async fn run() {
    let sim = genesys_sim::start(
        SimConfig {
            rate_limit_per_minute: 1_000_000,
            propagation_delay_ms: PROPAGATION_MS,
            ..SimConfig::default()
        },
        Seed::demo(),
    )
    .await
    .expect("simulator");
    let aws = aws().await;
    let table = unique("bench-continuity");
    create_records_table(&aws, &table).await;
    let fleet = unique("bench-continuity");
    let sm = SecretsManager::new(&aws);
    let deps = Deps {
        genesys: admin_client(&sim, fast_options()),
        secrets: sm.clone(),
        records: DynamoRecords::new(&aws, &table),
        events: EventBridgePublisher::new(&aws, "default", credguard::ports::events::EVENT_SOURCE),
        config: RotationConfig {
            managed: ManagedSelection::Tag {
                key: TAG_MANAGED.into(),
                value: fleet.clone(),
            },
            verify_interval: Duration::from_millis(100),
            ..RotationConfig::default()
        },
        endpoints: endpoints(&sim),
        deadline_margin: Duration::from_secs(5),
        function_timeout: Duration::from_secs(300),
        clock: Default::default(),
    };
    let login = endpoints(&sim).login;

    println!(
        "== consumer continuity ({ROTATIONS} rotations 1 s apart, {PROPAGATION_MS} ms propagation, a grant every 100 ms)"
    );
    for (label, client, secret, rotation) in setup::strategies() {
        let name = unique("bench/continuity");
        setup::create_managed(&sm, &sim, &fleet, &name, (client, secret, rotation)).await;
        let stop = Arc::new(AtomicBool::new(false));
        let consumer = tokio::spawn(consume(
            sm.clone(),
            name.clone(),
            login.clone(),
            stop.clone(),
        ));
        let started = Instant::now();
        for _ in 0..ROTATIONS {
            let out = handle(
                &deps,
                invocation(json!({"action": "rotateNow", "secretId": name})),
            )
            .await
            .expect("rotation");
            assert_eq!(out["action"], "rotated", "{out}");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let wall = started.elapsed();
        // A little longer, so a last window is seen closing.
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.store(true, Ordering::Relaxed);
        let seen = consumer.await.expect("consumer");
        println!(
            "{label:<11}: {ROTATIONS} rotations in {:>10}; {} grants, {} failed; longest window without a working credential {}",
            ms(wall),
            seen.grants,
            seen.failed,
            ms(seen.longest_outage),
        );
        let _ = sm.tag(&name, &[(TAG_MANAGED, "retired-from-bench")]).await;
    }
    sim.shutdown().await;
}

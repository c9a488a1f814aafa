//! No secret value in logs (captured at TRACE through the production subscriber), events or
//! DynamoDB, across both strategies and a failure. Its own test binary: it owns the global
//! subscriber.

mod support;

use credguard_testkit::{logs, ADMIN_CLIENT_SECRET};
use genesys_sim::FaultRule;
use serde_json::{json, Value};
use support::*;

#[tokio::test]
async fn no_secret_value_in_logs_events_or_records() {
    let captured = logs::capture();
    let env = env().await;
    let regen = env
        .managed_data_actions(json!({"strategy": "regenerate"}))
        .await;
    let alt = env
        .managed_hr(json!({"strategy": "alternating", "partnerClientId": LEGACY}))
        .await;
    for n in [&regen, &alt] {
        env.sm_tag_old(n).await;
    }
    // One failure on the way, so error paths are covered too.
    env.sim
        .control()
        .add_fault(FaultRule::status("POST /api/v2/oauth/clients/{clientId}/secret", 503).times(1))
        .unwrap();
    // The failed run fails its invocation (so Lambda retries it); the retry finishes.
    let first = env.scheduled_sweep().await;
    assert_eq!(first.unwrap_err().error_type(), "Retryable.SweepIncomplete");
    env.scheduled_sweep().await.unwrap();
    let new_regen = env.current(&regen).await;
    let new_alt = env.current(&alt).await;
    assert_ne!(new_regen["clientSecret"], DATA_ACTIONS_SECRET, "rotated");
    assert_eq!(new_alt["clientId"], LEGACY, "rotated");

    let mut secrets: Vec<String> = [
        DATA_ACTIONS_SECRET,
        HR_SYNC_SECRET,
        LEGACY_SECRET,
        ADMIN_CLIENT_SECRET,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for doc in [&new_regen, &new_alt] {
        secrets.push(doc["clientSecret"].as_str().unwrap().to_owned());
    }
    let needles: Vec<&str> = secrets.iter().map(String::as_str).collect();

    captured.assert_absent(&needles);
    let logs = captured.text();
    assert!(
        logs.contains("rotation step done"),
        "the rotation logged its steps"
    );
    assert!(logs.contains("\"level\":\"TRACE\""), "TRACE was captured");

    let events: Vec<Value> = env.tap.drain().await;
    assert!(!events.is_empty());
    let records = env.all_records().await;
    assert!(!records.is_empty());
    for (what, text) in [
        ("events", serde_json::to_string(&events).unwrap()),
        ("records", serde_json::to_string(&records).unwrap()),
    ] {
        for n in &needles {
            assert!(!text.contains(n), "a secret value appears in the {what}");
        }
    }
}

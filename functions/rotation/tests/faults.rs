//! Concurrency and Genesys faults: two sweeps at once, 429 storms, 5xx bursts, propagation
//! longer than the window.

mod support;

use credguard_rotation::handle;
use genesys_sim::FaultRule;
use serde_json::{json, Value};
use support::*;

const SECRET_OP: &str = "POST /api/v2/oauth/clients/{clientId}/secret";

fn action_of(report: &Value, name: &str) -> String {
    report["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["secretId"] == name)
        .map(|s| s["action"].as_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn two_sweeps_at_once_rotate_each_due_secret_once() {
    let env = env().await;
    let mut names = Vec::new();
    for (client, secret) in [
        (HR_SYNC, HR_SYNC_SECRET),
        (DATA_ACTIONS, DATA_ACTIONS_SECRET),
        (LEGACY, LEGACY_SECRET),
        (REPORTS, REPORTS_SECRET),
    ] {
        let n = env
            .managed_secret(client, secret, json!({"strategy": "regenerate"}))
            .await;
        env.sm_tag_old(&n).await;
        names.push((n, client));
    }
    let (a, b) = tokio::join!(
        env.scheduled_sweep(),
        handle(
            &env.deps,
            invocation(fixture("eventbridge-scheduled-event.json"))
        )
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        a["rotated"].as_u64().unwrap() + b["rotated"].as_u64().unwrap(),
        4,
        "{a}\n{b}"
    );
    for (name, client) in &names {
        let actions = [action_of(&a, name), action_of(&b, name)];
        assert_eq!(
            actions.iter().filter(|x| *x == "rotated").count(),
            1,
            "{name}: {actions:?}"
        );
        assert_eq!(env.sim.control().regenerations(client), 1, "{name}");
        env.assert_current_works(name).await;
    }
}

#[tokio::test]
async fn a_429_storm_fails_cleanly_and_a_later_run_rotates_once() {
    let env = env().await;
    let name = env.managed_hr(json!({"strategy": "regenerate"})).await;
    env.sm_tag_old(&name).await;
    env.sim
        .control()
        .add_fault(FaultRule::status(SECRET_OP, 429).retry_after(1).times(2))
        .unwrap();
    // The scheduled invocation fails, so that Lambda retries it soon (invariant 4).
    let err = env.scheduled_sweep().await.unwrap_err();
    assert_eq!(err.error_type(), "Retryable.SweepIncomplete");
    assert!(err.to_string().contains(&name), "{err}");
    for _ in 0..1 {
        let report = env.sweep().await;
        assert_eq!(
            report["secrets"][0]["errorType"], "Retryable.GenesysRateLimited",
            "{report}"
        );
        assert_eq!(report["unfinished"], name.as_str());
        // Nothing changed: the current credential still works.
        env.assert_current_works(&name).await;
        assert_eq!(
            env.rotation_record(&name).await["regenerations"],
            0,
            "a 429 is not applied"
        );
    }
    let report = env.sweep().await;
    assert_eq!(report["rotated"], 1, "{report}");
    env.assert_current_works(&name).await;
    assert_eq!(env.sim.control().regenerations(HR_SYNC), 1);
    let rec = env.rotation_record(&name).await;
    assert_eq!(rec["outcome"], "succeeded");
    let failures = rec["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["errorCode"] == "Retryable.GenesysRateLimited")
        .count();
    assert_eq!(failures, 2, "the record tells the story: {rec}");
}

#[tokio::test]
async fn server_error_bursts_are_absorbed_or_reconciled() {
    let env = env().await;
    let name = env.managed_hr(json!({"strategy": "regenerate"})).await;
    env.sm_tag_old(&name).await;
    // Reads retry within the call.
    env.sim
        .control()
        .add_fault(FaultRule::status("GET /api/v2/oauth/clients/{clientId}", 503).times(2))
        .unwrap();
    // A 503 on the regeneration itself is an unknown outcome: the next run reconciles.
    env.sim
        .control()
        .add_fault(FaultRule::status(SECRET_OP, 503).times(1))
        .unwrap();
    let report = env.sweep().await;
    assert_eq!(
        report["secrets"][0]["errorType"], "Retryable.GenesysOutcomeUnknown",
        "{report}"
    );
    env.assert_current_works(&name).await;
    let report = env.sweep().await;
    assert_eq!(report["rotated"], 1, "{report}");
    env.assert_current_works(&name).await;
    assert_eq!(env.sim.control().regenerations(HR_SYNC), 1);
    assert_eq!(
        env.rotation_record(&name).await["regenerations"],
        2,
        "a call whose outcome was unknown counts toward the attempt's bound, even though it \
         turned out not to apply: no crash loop can reset the bound"
    );
}

#[tokio::test]
async fn propagation_longer_than_the_window() {
    let env = env_with_propagation_delay(4000).await;
    let regen = env
        .managed_hr(json!({"strategy": "regenerate", "propagationWindowSeconds": 1}))
        .await;
    let alt = env
        .managed_data_actions(json!({"strategy": "alternating", "partnerClientId": LEGACY, "propagationWindowSeconds": 1, "integrationCredentials": []})).await;
    for n in [&regen, &alt] {
        env.sm_tag_old(n).await;
    }
    let report = env.sweep().await;
    for n in [&regen, &alt] {
        let s = report["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["secretId"] == n.as_str())
            .unwrap();
        assert_eq!(s["errorType"], "Retryable.PropagationTimeout", "{report}");
    }
    // Alternating: the current credential is untouched and works.
    env.assert_current_works(&alt).await;
    assert_eq!(env.current(&alt).await["clientId"], DATA_ACTIONS);
    // Regenerate (documented): the old secret is dead, the new one waits as AWSPENDING.
    assert!(
        !env.sim
            .control()
            .check_secret(HR_SYNC, HR_SYNC_SECRET)
            .current
    );
    let meta = credguard::ports::secrets::SecretStore::describe(&env.sm, &regen)
        .await
        .unwrap();
    assert!(meta.version_with_stage("AWSPENDING").is_some());
    let events = env.tap.drain().await;
    assert!(events.iter().any(|e| e["detail-type"] == "Rotation Failed"
        && e["detail"]["secretId"] == regen.as_str()
        && e["detail"]["severity"] == "CRITICAL"));

    // Once the secret has propagated, the next run finishes both.
    tokio::time::sleep(std::time::Duration::from_millis(4000)).await;
    let report = env.sweep().await;
    assert_eq!(report["rotated"], 2, "{report}");
    env.assert_current_works(&regen).await;
    env.assert_current_works(&alt).await;
    assert_eq!(env.sim.control().regenerations(HR_SYNC), 1);
}

/// Alternating: a partner regeneration refused with 429 did not happen, so it does not count
/// against the attempt's limit of three; the fourth run rotates.
#[tokio::test]
async fn rate_limited_partner_regenerations_do_not_count() {
    let env = env().await;
    let name = env
        .managed_hr(json!({"strategy": "alternating", "partnerClientId": LEGACY}))
        .await;
    env.sm_tag_old(&name).await;
    env.sim
        .control()
        .add_fault(FaultRule::status(SECRET_OP, 429).retry_after(1).times(3))
        .unwrap();
    for _ in 0..3 {
        let report = env.sweep().await;
        assert_eq!(
            report["secrets"][0]["errorType"], "Retryable.GenesysRateLimited",
            "{report}"
        );
    }
    assert_eq!(env.rotation_record(&name).await["regenerations"], 0);
    let report = env.sweep().await;
    assert_eq!(report["rotated"], 1, "{report}");
    assert_eq!(env.current(&name).await["clientId"], LEGACY);
    env.assert_current_works(&name).await;
}

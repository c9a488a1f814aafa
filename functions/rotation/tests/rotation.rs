//! Full rotations of both strategies against the Genesys simulator and moto, through the real
//! handler with real event JSON fixtures, for every entry point.

mod support;

use credguard::ports::secrets::SecretStore;
use credguard_rotation::handle;
use credguard_testkit::events::{of_type, sent_at};
use genesys_sim::{Seed, SeedClient, SimConfig};
use serde_json::{json, Value};
use support::*;

const SECRET_OP: &str = "POST /api/v2/oauth/clients/{clientId}/secret";

#[tokio::test]
async fn regenerate_through_secrets_manager_steps_with_propagation_delay() {
    let env = env_with_propagation_delay(1500).await;
    let name = env
        .managed_data_actions(json!({"strategy": "regenerate"}))
        .await;
    let arn = env.arn(&name).await;
    let before = env.current_version(&name).await;
    let token = uuid::Uuid::new_v4().to_string();
    env.start_sm_rotation(&name, &token).await;

    env.run_sm_steps(&arn, &token).await;
    // The same events again (Secrets Manager retries): nothing more happens.
    for step in ["createSecret", "finishSecret"] {
        let out = handle(&env.deps, invocation(env.sm_event(step, &arn, &token)))
            .await
            .unwrap();
        assert_eq!(out["result"], "alreadyCurrent");
    }

    assert_eq!(env.current_version(&name).await, token);
    env.assert_current_works(&name).await;
    let doc = env.current(&name).await;
    assert_eq!(doc["clientId"], DATA_ACTIONS);
    assert_ne!(doc["clientSecret"], DATA_ACTIONS_SECRET);
    assert_eq!(doc["owner"], "team-integrations", "consumer fields kept");
    let meta = env.sm.describe(&name).await.unwrap();
    assert_eq!(
        meta.version_with_stage("AWSPREVIOUS"),
        Some(before.as_str())
    );
    assert_eq!(meta.version_with_stage("AWSPENDING"), None);
    assert_eq!(meta.tags["credguard:client-id"], DATA_ACTIONS);
    assert_eq!(meta.tags["credguard:strategy"], "regenerate");
    assert!(
        !env.sim
            .control()
            .check_secret(DATA_ACTIONS, DATA_ACTIONS_SECRET)
            .current
    );
    assert_eq!(env.sim.control().call_count(SECRET_OP), 1);

    // The integration credential embedding the client got the new secret.
    let cred = env
        .sim
        .control()
        .credential_view(DATA_ACTIONS_CREDENTIAL)
        .unwrap();
    assert_eq!(cred["clientSecretCurrent"], true, "{cred}");

    let rec = env.rotation_record(&name).await;
    assert_eq!(rec["outcome"], "succeeded");
    assert_eq!(rec["trigger"], "secretsManager");
    assert_eq!(rec["regenerations"], 1);
    assert_eq!(rec["dependentsUpdated"], json!([DATA_ACTIONS_CREDENTIAL]));
    assert!(!rec["correlationIds"].as_array().unwrap().is_empty());

    let events = env.tap.drain().await;
    let completed = of_type(&events, "Rotation Completed");
    assert_eq!(completed.len(), 1);
    assert_eq!(completed[0]["detail"]["secretId"], name.as_str());
}

#[tokio::test]
async fn alternating_through_the_scheduled_sweep_then_retirement() {
    let env = env().await;
    // HR Directory Sync and Legacy Export hold the same role on all divisions: a valid pair.
    let name = env
        .managed_hr(json!({"strategy": "alternating", "partnerClientId": LEGACY, "maxAgeDays": 1}))
        .await;
    // Make it due: the current version is two days old by the rotation tag.
    env.sm_tag_old(&name).await;

    let report = handle(
        &env.deps,
        invocation(fixture("eventbridge-scheduled-event.json")),
    )
    .await
    .unwrap();
    let mine = report["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["secretId"] == name.as_str())
        .unwrap()
        .clone();
    assert_eq!(mine["action"], "rotated", "{report}");

    let doc = env.current(&name).await;
    assert_eq!(doc["clientId"], LEGACY);
    assert_eq!(doc["rotation"]["partnerClientId"], HR_SYNC);
    env.assert_current_works(&name).await;
    // The previous client keeps working, untouched.
    let check = env.sim.control().check_secret(HR_SYNC, HR_SYNC_SECRET);
    assert!(check.current && check.accepted);
    assert_eq!(env.sim.control().regenerations(HR_SYNC), 0);
    let meta = env.sm.describe(&name).await.unwrap();
    assert_eq!(meta.tags["credguard:client-id"], LEGACY);
    assert_eq!(meta.tags["credguard:partner-client-id"], HR_SYNC);
    let retire_after = meta.tags["credguard:retire-after"].clone();
    assert!(retire_after.starts_with("20"), "{retire_after}");

    // Not yet: the grace period runs.
    let report = env.scheduled_sweep().await.unwrap();
    assert_eq!(report["retired"], 0, "{report}");
    // After it, the sweep disables the previous client.
    env.sm_tag_past(&name, "credguard:retire-after").await;
    let report = env.scheduled_sweep().await.unwrap();
    assert_eq!(report["retired"], 1, "{report}");
    assert_eq!(
        env.sim.control().client_view(HR_SYNC).unwrap().state,
        "disabled"
    );
    assert_eq!(
        env.sm.describe(&name).await.unwrap().tags["credguard:retire-after"],
        "retired"
    );
    env.assert_current_works(&name).await;

    // The next rotation brings the retired client back into service with a new secret.
    env.sm_tag_old(&name).await;
    let report = env.scheduled_sweep().await.unwrap();
    assert_eq!(report["rotated"], 1, "{report}");
    let doc = env.current(&name).await;
    assert_eq!(doc["clientId"], HR_SYNC);
    assert_eq!(
        env.sim.control().client_view(HR_SYNC).unwrap().state,
        "active"
    );
    env.assert_current_works(&name).await;
    let rec = env.rotation_record(&name).await;
    assert_eq!(rec["previousClientId"], LEGACY);
    let events = env.tap.drain().await;
    assert_eq!(of_type(&events, "Rotation Completed").len(), 2);
    assert_eq!(of_type(&events, "Client Retired").len(), 1);
}

#[tokio::test]
async fn alternating_creates_its_partner_when_asked() {
    let env = env().await;
    let name = env
        .managed_hr(json!({"strategy": "alternating", "createPartner": true}))
        .await;
    let mut req = rotate_now_event(&name);
    req["retirePreviousNow"] = false.into();
    let report = handle(&env.deps, invocation(req)).await.unwrap();
    assert_eq!(report["action"], "rotated", "{report}");
    let doc = env.current(&name).await;
    let partner = doc["clientId"].as_str().unwrap().to_owned();
    assert_ne!(partner, HR_SYNC);
    assert_eq!(doc["rotation"]["partnerClientId"], HR_SYNC);
    env.assert_current_works(&name).await;
    let partners = env.partner_clients();
    assert_eq!(partners.len(), 1, "exactly one partner created");
    let rec = env.rotation_record(&name).await;
    assert_eq!(rec["createdClientId"], partner.as_str());
    assert_eq!(rec["trigger"], "rotateNow");
    assert_eq!(rec["reason"], "secret pasted into a support ticket");
}

#[tokio::test]
async fn rotate_now_for_a_leak_retires_the_previous_client_at_once() {
    let env = env().await;
    let name = env
        .managed_hr(json!({"strategy": "alternating", "partnerClientId": LEGACY}))
        .await;
    let req = rotate_now_event(&name);
    let report = handle(&env.deps, invocation(req)).await.unwrap();
    assert_eq!(report["action"], "rotated", "{report}");
    assert_eq!(env.current(&name).await["clientId"], LEGACY);
    // The leaked client is disabled now, not after the grace period.
    assert_eq!(
        env.sim.control().client_view(HR_SYNC).unwrap().state,
        "disabled"
    );
    assert!(
        !env.sim
            .control()
            .check_secret(HR_SYNC, HR_SYNC_SECRET)
            .accepted
    );
    env.assert_current_works(&name).await;
    assert_eq!(
        env.sm.describe(&name).await.unwrap().tags["credguard:retire-after"],
        "retired"
    );
}

#[tokio::test]
async fn guard_prologue_refuses_what_secrets_manager_should_not_ask() {
    let env = env().await;
    let name = env.managed_hr(Value::Null).await;
    let arn = env.arn(&name).await;
    let token = uuid::Uuid::new_v4().to_string();
    // Rotation not enabled on the secret.
    let err = handle(
        &env.deps,
        invocation(env.sm_event("createSecret", &arn, &token)),
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type(), "Fatal.RotationNotEnabled");
    env.start_sm_rotation(&name, &token).await;
    // A token that is not a version of the secret.
    let other = uuid::Uuid::new_v4().to_string();
    let err = handle(
        &env.deps,
        invocation(env.sm_event("setSecret", &arn, &other)),
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type(), "Fatal.UnknownVersion");
    // The current version: nothing to do.
    let current = env.current_version(&name).await;
    let out = handle(
        &env.deps,
        invocation(env.sm_event("testSecret", &arn, &current)),
    )
    .await
    .unwrap();
    assert_eq!(out["result"], "alreadyCurrent");
    // Not a Genesys call was made.
    assert_eq!(env.sim.control().call_count(SECRET_OP), 0);
}

#[tokio::test]
async fn dry_run_sweep_reports_and_changes_nothing() {
    let env = env().await;
    let due = env.managed_hr(Value::Null).await;
    env.sm_tag_old(&due).await;
    let fresh = env.managed_data_actions(Value::Null).await;
    let before = (
        env.current_version(&due).await,
        env.current_version(&fresh).await,
    );
    let mut event = fixture("scheduler-sweep.json");
    event["dryRun"] = true.into();
    let report = handle(&env.deps, invocation(event)).await.unwrap();
    let action = |n: &str| {
        report["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["secretId"] == n)
            .unwrap()["action"]
            .clone()
    };
    assert_eq!(action(&due), "wouldRotate");
    // Never seen before: it would be adopted, its clock starting now with its own policy.
    assert_eq!(action(&fresh), "wouldAdopt");
    let fresh_due = report["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["secretId"] == fresh.as_str())
        .unwrap()["dueAt"]
        .as_str()
        .map(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap())
        .expect("the next due time is shown");
    assert!(fresh_due > chrono::Utc::now() + chrono::Duration::days(29));
    assert!(!env
        .sm
        .describe(&fresh)
        .await
        .unwrap()
        .tags
        .contains_key("credguard:adopted-at"));
    assert_eq!(report["dryRun"], true);
    assert_eq!(
        (
            env.current_version(&due).await,
            env.current_version(&fresh).await
        ),
        before
    );
    assert_eq!(env.sim.control().call_count(SECRET_OP), 0);
    assert!(
        env.all_records().await.is_empty(),
        "a dry run writes nothing"
    );
}

#[tokio::test]
async fn sweep_caps_rotations_per_run_and_skips_what_secrets_manager_owns() {
    let mut env = env().await;
    env.deps.config.sweep_max_rotations = 1;
    let a = env.managed_hr(Value::Null).await;
    let b = env.managed_data_actions(Value::Null).await;
    for n in [&a, &b] {
        env.sm_tag_old(n).await;
    }
    let owned = env.managed_secret(LEGACY, LEGACY_SECRET, Value::Null).await;
    env.start_sm_rotation(&owned, &uuid::Uuid::new_v4().to_string())
        .await;

    let report = env.scheduled_sweep().await.unwrap();
    assert_eq!(report["rotated"], 1, "{report}");
    let actions: Vec<String> = report["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap().to_owned())
        .collect();
    assert!(actions.contains(&"deferred".to_owned()), "{report}");
    assert!(
        actions.contains(&"ownedBySecretsManager".to_owned()),
        "{report}"
    );
    assert_eq!(env.sim.control().regenerations(LEGACY), 0);
}

#[tokio::test]
async fn partner_drift_fails_clearly_and_changes_nothing() {
    let seed = Seed::demo().client(
        SeedClient::client_credentials(
            Some("c0ffee00-00aa-4a5b-8c6d-0000000000aa"),
            "Drifted partner",
            "drifted-secret-value",
        )
        .with_role("a1c0e5d2-0004-4c3b-9a7e-6f1d2c3b4a04"),
    );
    let env = env_with(SimConfig::default(), seed).await;
    let name = env
        .managed_hr(json!({"strategy": "alternating", "partnerClientId": "c0ffee00-00aa-4a5b-8c6d-0000000000aa"})).await;
    let req = rotate_now_event(&name);
    // The invocation fails: Lambda's retries and the failure queue see the request unmet.
    let err = handle(&env.deps, invocation(req)).await.unwrap_err();
    assert_eq!(err.error_type(), "Fatal.PartnerDrift", "{err}");
    assert!(err.to_string().contains("roleDivisions differ"), "{err}");
    assert_eq!(env.current(&name).await["clientId"], HR_SYNC);
    assert_eq!(env.sim.control().call_count(SECRET_OP), 0);
    let rec = env.rotation_record(&name).await;
    assert_eq!(rec["outcome"], "failed");
    assert_eq!(rec["errorCode"], "Fatal.PartnerDrift");
    let events = env.tap.drain().await;
    assert!(sent_at(&events, "Rotation Failed", "HIGH"));
}

#[tokio::test]
async fn rotate_now_hands_secrets_manager_owned_secrets_to_rotate_secret() {
    let env = env().await;
    let name = env.managed_hr(Value::Null).await;
    // Rotation enabled with this function as the rotation Lambda: Secrets Manager owns it.
    env.start_sm_rotation(&name, &uuid::Uuid::new_v4().to_string())
        .await;
    let req = rotate_now_event(&name);
    match handle(&env.deps, invocation(req)).await {
        Ok(report) => assert_eq!(report["action"], "startedBySecretsManager", "{report}"),
        // moto cannot invoke a Lambda, so its RotateSecret fails after our call was made.
        Err(e) => assert!(e.to_string().contains("credguard-rotation"), "{e}"),
    }
    // Secrets Manager does the work through the four steps: nothing was regenerated by us.
    assert_eq!(env.sim.control().call_count(SECRET_OP), 0);
    assert!(credguard_testkit::iam::observed("rotation").contains("secretsmanager:RotateSecret"));
}

#[tokio::test]
async fn alternating_through_secrets_manager_steps_with_propagation_delay() {
    let env = env_with_propagation_delay(1500).await;
    let name = env
        .managed_hr(json!({"strategy": "alternating", "partnerClientId": LEGACY}))
        .await;
    let arn = env.arn(&name).await;
    let token = uuid::Uuid::new_v4().to_string();
    env.start_sm_rotation(&name, &token).await;
    env.run_sm_steps(&arn, &token).await;
    assert_eq!(env.current_version(&name).await, token);
    let doc = env.current(&name).await;
    assert_eq!(doc["clientId"], LEGACY);
    env.assert_current_works(&name).await;
    // Zero downtime: the previous client's secret was never touched and still works.
    let check = env.sim.control().check_secret(HR_SYNC, HR_SYNC_SECRET);
    assert!(check.current && check.accepted);
    let rec = env.rotation_record(&name).await;
    assert_eq!(rec["outcome"], "succeeded");
    assert_eq!(rec["trigger"], "secretsManager");
    assert_eq!(rec["strategy"], "alternating");
}

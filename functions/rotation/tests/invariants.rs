//! The rotation invariants (shared/src/rotation/mod.rs) on the paths where reading the code
//! once found them broken: each test here failed before the fix it names.

mod support;

use chrono::Duration as Days;
use credguard::ports::secrets::SecretStore;
use credguard::records::lease::Leases;
use genesys_sim::{FaultRule, Seed, SimConfig};
use serde_json::{json, Value};
use std::time::Duration;
use support::memory::{Ended, MemEnv};
use support::*;

const SECRET_OP: &str = "POST /api/v2/oauth/clients/{clientId}/secret";
const PUT_CLIENT: &str = "PUT /api/v2/oauth/clients/{clientId}";

async fn env() -> MemEnv {
    MemEnv::new(SimConfig::default(), Seed::demo()).await
}

fn pair(env: &MemEnv) -> String {
    env.managed(
        "credguard/pair",
        HR_SYNC,
        HR_SYNC_SECRET,
        json!({"strategy": "alternating", "partnerClientId": LEGACY, "integrationCredentials": []}),
    )
}

/// `credguard/hr`: HR sync's credential, regenerated unless `rotation` says otherwise.
fn hr(env: &MemEnv, rotation: Value) -> String {
    env.managed("credguard/hr", HR_SYNC, HR_SYNC_SECRET, rotation)
}

fn report_of<'a>(ended: &'a Ended, name: &str) -> &'a Value {
    let Ended::Answered(v) = ended else {
        panic!("no report: {ended:?}")
    };
    v["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["secretId"] == name)
        .unwrap_or_else(|| panic!("{name} not in {v}"))
}

/// Genesys answers the next secret regeneration with 403.
fn forbid_next_regeneration(env: &MemEnv) {
    env.sim
        .control()
        .add_fault(FaultRule::status(SECRET_OP, 403).times(1))
        .unwrap();
}

fn rotated(ended: &Ended) -> bool {
    matches!(ended, Ended::Answered(v) if v["action"] == "rotated")
}

/// Invariant 1. A scheduled rotation makes B current (retire A in 24 h); an emergency
/// rotate-now inside those 24 h switches back to A and fails to retire B right away. When the
/// 24 h are up, the sweep must retire B (the leaked one), never A (the live one). Before the
/// fix it disabled A from the stale partner tag.
#[tokio::test]
async fn retirement_never_disables_the_live_client_after_a_switch_back() {
    let env = env().await;
    let name = pair(&env);
    assert!(rotated(&env.rotate_now(&name, false, None).await));
    assert_eq!(env.current(&name).await["clientId"], LEGACY);

    // Every client PUT fails while the emergency rotation runs (retries included).
    env.sim
        .control()
        .add_fault(FaultRule::status(PUT_CLIENT, 503).times(5))
        .unwrap();
    let emergency = env
        .rotate_now(&name, true, Some("7b0c3c1e-6f0a-4d43-9b9e-1a1a1a1a1a1a"))
        .await;
    assert_eq!(
        emergency,
        Ended::Failed("Retryable.GenesysServerError".into())
    );
    assert_eq!(
        env.current(&name).await["clientId"],
        HR_SYNC,
        "switched back"
    );
    env.sim.control().clear_faults();

    env.advance(Days::hours(25));
    let sweep = env.sweep().await;
    assert!(matches!(sweep, Ended::Answered(_)), "{sweep:?}");
    assert!(env.current_works(&name).await, "the live credential works");
    assert_eq!(env.client_state(HR_SYNC), "active", "the live client");
    assert_eq!(env.client_state(LEGACY), "disabled", "the leaked client");
}

/// Invariant 1, whatever the tags say: tags naming the live client as the one to retire are
/// not obeyed.
#[tokio::test]
async fn stale_tags_never_make_retirement_disable_the_live_client() {
    let env = env().await;
    let name = pair(&env);
    env.secrets
        .set_tag(&name, "credguard:partner-client-id", HR_SYNC);
    env.secrets
        .set_tag(&name, "credguard:retire-after", "2026-01-01T00:00:00.000Z");
    let sweep = env.sweep().await;
    assert!(matches!(sweep, Ended::Answered(_)), "{sweep:?}");
    assert_eq!(env.client_state(HR_SYNC), "active");
    assert!(env.current_works(&name).await);
    // The partner the live document names is the one retired.
    assert_eq!(report_of(&sweep, &name)["action"], "retired");
    assert_eq!(env.client_state(LEGACY), "disabled");
}

/// Invariant 4: "rotate now" answers Lambda with a failure unless it rotated, so async retries
/// and the failure queue see it. Before, busy and failed came back as successes.
#[tokio::test]
async fn rotate_now_fails_its_invocation_unless_it_rotated() {
    let env = env().await;
    let name = hr(&env, json!({"integrationCredentials": []}));
    let live = Leases::new(&env.records);
    assert!(live
        .acquire(
            &name,
            "sweep/live",
            Duration::from_secs(300),
            env.deps.clock.now()
        )
        .await
        .unwrap());
    assert_eq!(
        env.rotate_now(&name, false, None).await,
        Ended::Failed("Retryable.RotationBusy".into())
    );
    live.release(&name, "sweep/live").await.unwrap();

    forbid_next_regeneration(&env);
    assert_eq!(
        env.rotate_now(&name, false, None).await,
        Ended::Failed("Fatal.GenesysForbidden".into())
    );
    let records = env.rotation_records(&name);
    assert_eq!(records.last().unwrap()["outcome"], "failed");
}

/// Invariant 4: a rotate-now for a leak that crashed is finished by whoever resumes it, with
/// what was asked (the previous client retired at once). Before, a sweep resumed it as a sweep
/// and left the leaked client alive for 24 h.
#[tokio::test]
async fn a_resumed_rotate_now_keeps_its_intent() {
    let env = env().await;
    let name = pair(&env);
    env.crash.arm("secrets.put_pending", 1);
    assert_eq!(env.rotate_now(&name, true, None).await, Ended::Crashed);
    env.crash.disarm();
    env.lapse_leases();
    let sweep = env.sweep().await;
    assert_eq!(report_of(&sweep, &name)["action"], "rotated", "{sweep:?}");
    assert_eq!(env.current(&name).await["clientId"], LEGACY);
    assert_eq!(env.client_state(HR_SYNC), "disabled", "retired at once");
    let rec = env.rotation_records(&name).pop().unwrap();
    assert_eq!(rec["retirePreviousNow"], true);
    assert!(rec["retiredAt"].is_string(), "{rec}");
}

/// A retried request (Lambda's async retry, same request id) gets its attempt's outcome, not a
/// second rotation.
#[tokio::test]
async fn a_retried_request_does_not_rotate_twice() {
    let env = env().await;
    let name = hr(&env, json!({"integrationCredentials": []}));
    let id = "0e4f9a57-5c1d-4b8e-9d8e-2b2b2b2b2b2b";
    assert!(rotated(&env.rotate_now(&name, false, Some(id)).await));
    let again = env.rotate_now(&name, false, Some(id)).await;
    assert!(rotated(&again), "{again:?}");
    assert_eq!(env.sim.control().regenerations(HR_SYNC), 1);
    assert_eq!(env.rotation_records(&name).len(), 1);
    assert_eq!(env.rotation_records(&name)[0]["requestIds"], json!([id]));

    let failing = "5d8f1a11-0c4e-4f7b-8a6b-3c3c3c3c3c3c";
    forbid_next_regeneration(&env);
    assert_eq!(
        env.rotate_now(&name, false, Some(failing)).await,
        Ended::Failed("Fatal.GenesysForbidden".into())
    );
    assert_eq!(
        env.rotate_now(&name, false, Some(failing)).await,
        Ended::Failed("Fatal.RequestFailed".into()),
        "the same request fails the same way; a new request is a new rotation"
    );
    assert_eq!(env.sim.control().regenerations(HR_SYNC), 1);
}

/// With `RotateImmediately=false`, Secrets Manager runs only testSecret on a pending copy of
/// the current value. That tests the configuration: the current credential must work, nothing
/// rotates, no attempt is recorded. Before: `Fatal.VersionNotPending` and a failed record.
#[tokio::test]
async fn secrets_managers_configuration_test_checks_the_current_credential() {
    let env = env().await;
    let name = hr(&env, Value::Null);
    env.own_by_secrets_manager(&name);
    let token = "9a1d2c3b-4e5f-4a6b-8c7d-4d4d4d4d4d4d";
    env.secrets.stage_copy_of_current(&name, token);
    let ended = env.sm_step(&name, "testSecret", token).await;
    assert_eq!(
        ended,
        Ended::Answered(json!({"step": "testSecret", "result": "configurationTested"}))
    );
    assert!(env.rotation_records(&name).is_empty());
    assert_eq!(env.sim.control().regenerations(HR_SYNC), 0);

    // A configuration whose current credential does not work fails the test.
    let broken = env.managed("credguard/broken", HR_SYNC, "not-the-secret", Value::Null);
    env.own_by_secrets_manager(&broken);
    env.secrets.stage_copy_of_current(&broken, token);
    assert_eq!(
        env.sm_step(&broken, "testSecret", token).await,
        Ended::Failed("Fatal.GenesysLoginInvalidClient".into())
    );
}

/// Invariant 4 for Secrets Manager's rotations: a regenerate rotation whose retries ran out
/// leaves a dead `AWSCURRENT` and the new secret in `AWSPENDING`. The sweep notices the attempt
/// has not moved, re-drives it (with an event), and gives up to a human after three tries.
/// Before, nobody noticed.
#[tokio::test]
async fn a_stuck_secrets_manager_rotation_is_redriven() {
    let env = env().await;
    let name = hr(&env, json!({"integrationCredentials": []}));
    env.own_by_secrets_manager(&name);
    let token = "3f2e1d0c-9b8a-4765-8432-5e5e5e5e5e5e";
    env.secrets.start_rotation(&name, token).await.unwrap();
    assert!(matches!(
        env.sm_step(&name, "createSecret", token).await,
        Ended::Answered(_)
    ));
    // ...and Secrets Manager's retries of the next steps ran out.
    assert!(
        !env.sim
            .control()
            .check_secret(HR_SYNC, HR_SYNC_SECRET)
            .current
    );

    let quiet = env.sweep().await;
    assert_eq!(report_of(&quiet, &name)["action"], "ownedBySecretsManager");
    env.advance(Days::minutes(31));
    for n in 1..=3 {
        let sweep = env.sweep().await;
        let mine = report_of(&sweep, &name);
        assert_eq!(mine["action"], "redriven", "{mine}");
        assert_eq!(env.secrets.started_rotations(&name).len(), n + 1);
        env.advance(Days::minutes(31));
    }
    let stuck = env.events.of_type("Rotation Stuck");
    assert_eq!(stuck.len(), 3);
    assert_eq!(stuck[0].severity.as_str(), "CRITICAL", "AWSCURRENT is dead");
    let sweep = env.sweep().await;
    assert_eq!(report_of(&sweep, &name)["action"], "needsAttention");

    // Secrets Manager's re-driven steps finish the rotation.
    for step in ["setSecret", "testSecret", "finishSecret"] {
        let ended = env.sm_step(&name, step, token).await;
        assert!(matches!(ended, Ended::Answered(_)), "{step}: {ended:?}");
    }
    assert!(env.current_works(&name).await);
}

/// A secret newly tagged as managed is adopted: its clock starts then, with its own declared
/// max age, whatever the age of its current version. Before, it rotated at once (a regenerate
/// consumer window nobody announced) and at the default max age.
#[tokio::test]
async fn a_newly_managed_secret_is_adopted_not_rotated() {
    let env = env().await;
    let name = hr(
        &env,
        json!({"maxAgeDays": 90, "integrationCredentials": []}),
    );
    let meta = env.secrets.metadata(&name).unwrap();
    let version = meta.version_with_stage("AWSCURRENT").unwrap().to_owned();
    env.secrets
        .set_version_created(&name, &version, env.deps.clock.now() - Days::days(200));

    let dry = env.invoke(json!({"action": "sweep", "dryRun": true})).await;
    assert_eq!(report_of(&dry, &name)["action"], "wouldAdopt");
    let sweep = env.sweep().await;
    let mine = report_of(&sweep, &name);
    assert_eq!(mine["action"], "adopted", "{mine}");
    let due: chrono::DateTime<chrono::Utc> = mine["dueAt"].as_str().unwrap().parse().unwrap();
    assert!(due > env.deps.clock.now() + Days::days(89), "{due}");
    assert_eq!(
        env.secrets.metadata(&name).unwrap().tags["credguard:max-age-days"],
        "90"
    );
    assert_eq!(env.sim.control().regenerations(HR_SYNC), 0);
    env.advance(Days::days(89));
    assert_eq!(report_of(&env.sweep().await, &name)["action"], "notDue");
    env.advance(Days::days(2));
    assert_eq!(report_of(&env.sweep().await, &name)["action"], "rotated");
}

/// Invariant 3: the bound on non-idempotent calls per attempt cannot be reset by a crash loop.
/// Crashing right after the intent is recorded (before the call) over and over ends in
/// `RegenerationLimit`, not in endless tries. Before, each run found the old secret working,
/// reset the count and tried again.
#[tokio::test]
async fn a_crash_loop_cannot_reset_the_regeneration_bound() {
    use credguard::rotation::regenerate::MAX_REGENERATIONS;
    let env = env().await;
    let name = hr(&env, json!({"integrationCredentials": []}));
    env.secrets
        .set_tag(&name, "credguard:rotated-at", "2026-01-01T00:00:00.000Z");
    for _ in 0..MAX_REGENERATIONS {
        // Records written by the sweep's execution: the lease, then the intent.
        env.crash.arm("records.put", 2);
        assert_eq!(env.sweep().await, Ended::Crashed);
        env.lapse_leases();
    }
    env.crash.disarm();
    let sweep = env.sweep().await;
    assert_eq!(
        report_of(&sweep, &name)["errorType"],
        "Fatal.RegenerationLimit"
    );
    assert!(
        env.current_works(&name).await,
        "nothing applied, nothing lost"
    );
}

/// Invariant 3's bound, found by the interleaving test (503, dropped after applying, 503):
/// three regenerations in one attempt whose answers never arrived. The one that was applied
/// left a secret nobody received, so nothing can store it; the attempt must not regenerate a
/// fourth time, must say so loudly (failed, CRITICAL, the secret tagged for a person), and a
/// person's "rotate now" must recover it.
#[tokio::test]
async fn regenerations_lost_up_to_the_bound_stop_loudly_and_rotate_now_recovers() {
    use credguard::credential::TAG_LAST_FAILURE;
    use credguard::ports::events::Severity;
    use genesys_sim::FaultMode;
    let env = env().await;
    let name = hr(&env, json!({"integrationCredentials": []}));
    env.secrets
        .set_tag(&name, "credguard:rotated-at", "2026-01-01T00:00:00.000Z");
    let ctl = env.sim.control();
    for rule in [
        FaultRule::status(SECRET_OP, 503),
        FaultRule::new(SECRET_OP, FaultMode::DropAfterApply),
        FaultRule::status(SECRET_OP, 503),
    ] {
        ctl.add_fault(rule.times(1)).unwrap();
        env.sweep().await;
        env.lapse_leases();
    }
    let sweep = env.sweep().await;
    assert_eq!(
        report_of(&sweep, &name)["errorType"],
        "Fatal.RegenerationLimit"
    );
    let records = env.rotation_records(&name);
    assert_eq!(records.len(), 1, "one attempt: {records:?}");
    assert_eq!(records[0]["regenerations"], 3);
    assert_eq!(ctl.call_count(SECRET_OP), 3, "no fourth regeneration");
    assert!(
        !env.current_works(&name).await,
        "the applied regeneration killed the stored secret"
    );
    let loud = env
        .events
        .events()
        .iter()
        .any(|e| e.detail_type == "Rotation Failed" && e.severity == Severity::Critical);
    assert!(loud, "a CRITICAL Rotation Failed event");
    let tag = env.secrets.metadata(&name).unwrap().tags[TAG_LAST_FAILURE].clone();
    assert!(tag.contains("Fatal.RegenerationLimit"), "{tag}");
    // The sweep leaves it to a person...
    env.sweep().await;
    assert_eq!(ctl.call_count(SECRET_OP), 3);
    // ...whose rotate now starts a fresh attempt and recovers.
    assert!(rotated(&env.rotate_now(&name, false, None).await));
    assert!(env.current_works(&name).await);
}

/// The retirement is recorded on the attempt that scheduled it, not on whichever is latest.
#[tokio::test]
async fn retirement_is_recorded_on_the_attempt_that_scheduled_it() {
    let env = env().await;
    let name = pair(&env);
    assert!(rotated(&env.rotate_now(&name, false, None).await));
    let scheduler = env.rotation_records(&name)[0]["token"].clone();
    forbid_next_regeneration(&env);
    assert_eq!(
        env.rotate_now(&name, false, None).await,
        Ended::Failed("Fatal.GenesysForbidden".into())
    );
    env.advance(Days::hours(25));
    let sweep = env.sweep().await;
    assert_eq!(report_of(&sweep, &name)["action"], "retired", "{sweep:?}");
    assert_eq!(env.client_state(HR_SYNC), "disabled");
    for rec in env.rotation_records(&name) {
        let stamped = rec["retiredAt"].is_string();
        assert_eq!(stamped, rec["token"] == scheduler, "{rec}");
    }
}

// Sequences the interleaving test (interleavings.rs) found and shrank.

/// A rotate-now crashed right after its regeneration: no pending version exists to show it,
/// AWSCURRENT is dead, and the secret is not due. The sweep finds the attempt in the index of
/// open attempts and finishes it. Before: nothing resumed it until the secret fell due again.
#[tokio::test]
async fn a_lost_regeneration_without_a_pending_version_is_resumed_by_the_sweep() {
    let env = env().await;
    let name = hr(&env, json!({"integrationCredentials": []}));
    env.crash.arm("genesys.regenerate_secret", 1);
    assert_eq!(env.rotate_now(&name, false, None).await, Ended::Crashed);
    env.crash.disarm();
    assert!(!env.current_works(&name).await);
    env.lapse_leases();
    let sweep = env.sweep().await;
    assert_eq!(report_of(&sweep, &name)["action"], "rotated", "{sweep:?}");
    assert!(env.current_works(&name).await);
    let rec = env.rotation_records(&name).pop().unwrap();
    assert_eq!(rec["outcome"], "succeeded");
    assert_eq!(rec["regenerations"], 2);
}

/// Secrets Manager invokes setSecret before createSecret: refused, but the attempt is not
/// failed by it. createSecret then regenerates and crashes before storing: the attempt is open
/// (in progress), so it is re-driven and converges. Before: the out-of-order step failed the
/// attempt for good and the lost regeneration was recorded on a failed attempt nobody resumed.
#[tokio::test]
async fn an_out_of_order_step_does_not_fail_the_attempt() {
    let env = env().await;
    let name = hr(&env, json!({"integrationCredentials": []}));
    env.own_by_secrets_manager(&name);
    let started = env.rotate_now(&name, false, None).await;
    let Ended::Answered(v) = &started else {
        panic!("{started:?}")
    };
    let token = v["token"].as_str().unwrap().to_owned();
    assert_eq!(
        env.sm_step(&name, "setSecret", &token).await,
        Ended::Failed("Fatal.VersionNotPending".into())
    );
    assert_eq!(env.rotation_records(&name)[0]["outcome"], "inProgress");
    env.crash.arm("genesys.regenerate_secret", 1);
    assert_eq!(
        env.sm_step(&name, "createSecret", &token).await,
        Ended::Crashed
    );
    env.crash.disarm();
    assert_eq!(env.rotation_records(&name)[0]["outcome"], "inProgress");
    env.advance(Days::minutes(31));
    assert_eq!(report_of(&env.sweep().await, &name)["action"], "redriven");
    env.lapse_leases();
    for step in ["createSecret", "setSecret", "testSecret", "finishSecret"] {
        let ended = env.sm_step(&name, step, &token).await;
        assert!(matches!(ended, Ended::Answered(_)), "{step}: {ended:?}");
    }
    assert!(env.current_works(&name).await);
}

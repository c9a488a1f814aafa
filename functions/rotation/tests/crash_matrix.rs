//! The crash matrix: for each external call of each strategy, stop the process right after the
//! call (the effect exists, nothing after it ran), run again, and check that the rotation
//! converges: the secret in AWSCURRENT works, no client is left with a secret stored nowhere,
//! no orphan partner, and the records tell what happened.

mod support;

use credguard::ports::genesys::{ClientAdmin, ClientDirectory};
use credguard::ports::secrets::SecretStore;
use credguard_rotation::handle;
use credguard_testkit::events::sent_at;
use futures::FutureExt;
use genesys_sim::{Seed, SeedCredential, SimConfig};
use lambda_runtime::LambdaEvent;
use serde_json::{json, Value};
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};
use support::crash::{quiet_injected_panics, CRASH};
use support::*;

const STEPS: [&str; 4] = ["createSecret", "setSecret", "testSecret", "finishSecret"];
const HR_CREDENTIAL: &str = "1c3d5e7f-0009-4a2b-8c9d-00000000da09";

/// Runs the handler; `Err(())` if the injected crash stopped it.
async fn run(env: &Env, payload: Value) -> Result<Result<Value, String>, ()> {
    run_event(env, invocation(payload)).await
}

/// Runs `payload` with a crash armed at the `nth` call of `op`.
async fn run_crashing(
    env: &Env,
    op: &str,
    nth: u32,
    payload: Value,
) -> Result<Result<Value, String>, ()> {
    env.crash.arm(op, nth);
    let ran = run(env, payload).await;
    env.crash.disarm();
    ran
}

/// A scheduled sweep stopped right after the first `op`; the crashed invocation's lease on
/// `name` then lapses.
async fn crash_sweep_after(env: &Env, op: &str, name: &str) {
    let sweep = fixture("scheduler-sweep.json");
    let crashed = run_crashing(env, op, 1, sweep).await;
    assert!(
        crashed.is_err(),
        "the sweep crashed after {op}: {crashed:?}"
    );
    env.lapse_lease(name).await;
}

/// HR sync's seeded secret no longer works: a regeneration happened.
fn assert_old_secret_dead(env: &Env) {
    let check = env.sim.control().check_secret(HR_SYNC, HR_SYNC_SECRET);
    assert!(!check.current, "the seeded secret was replaced: {check:?}");
}

/// The scheduler's sweep, expected to succeed.
async fn sweep_ok(env: &Env) -> Value {
    run(env, fixture("scheduler-sweep.json"))
        .await
        .unwrap()
        .unwrap()
}

/// HR sync's managed secret (regenerate), due for rotation.
async fn due_hr(env: &Env) -> String {
    let name = env.managed_hr(json!({"strategy": "regenerate"})).await;
    env.sm_tag_old(&name).await;
    name
}

/// A human's "rotate now" rotates `name`, and what it stores works.
async fn assert_rotate_now_recovers(env: &Env, name: &str) {
    let report = run(env, rotate_now_event(name)).await.unwrap().unwrap();
    assert_eq!(report["action"], "rotated", "{report}");
    env.assert_current_works(name).await;
}

async fn run_event(env: &Env, event: LambdaEvent<Value>) -> Result<Result<Value, String>, ()> {
    match AssertUnwindSafe(handle(&env.deps, event))
        .catch_unwind()
        .await
    {
        Ok(r) => Ok(r.map_err(|e| e.error_type())),
        Err(p) => {
            let msg = p.downcast_ref::<String>().cloned().unwrap_or_default();
            assert!(msg.starts_with(CRASH), "unexpected panic: {msg}");
            Err(())
        }
    }
}

struct Point {
    step: &'static str,
    op: &'static str,
    nth: u32,
}

/// Successful writes of one step invocation, in order: the lease (`records.put` #1), the intent
/// before the regeneration (#2, createSecret only), the step's outcome (last); the release
/// (`records.delete`).
const REGENERATE_POINTS: &[Point] = &[
    Point {
        step: "createSecret",
        op: "records.put",
        nth: 1,
    },
    Point {
        step: "createSecret",
        op: "records.put",
        nth: 2,
    },
    Point {
        step: "createSecret",
        op: "genesys.regenerate_secret",
        nth: 1,
    },
    Point {
        step: "createSecret",
        op: "secrets.put_pending",
        nth: 1,
    },
    Point {
        step: "createSecret",
        op: "genesys.update_oauth_credential",
        nth: 1,
    },
    Point {
        step: "createSecret",
        op: "records.put",
        nth: 3,
    },
    Point {
        step: "createSecret",
        op: "records.delete",
        nth: 1,
    },
    Point {
        step: "setSecret",
        op: "genesys.update_oauth_credential",
        nth: 1,
    },
    Point {
        step: "testSecret",
        op: "genesys.verify_credentials",
        nth: 1,
    },
    Point {
        step: "finishSecret",
        op: "secrets.tag",
        nth: 1,
    },
    Point {
        step: "finishSecret",
        op: "secrets.move_stage.AWSCURRENT",
        nth: 1,
    },
    Point {
        step: "finishSecret",
        op: "secrets.move_stage.AWSPENDING",
        nth: 1,
    },
    Point {
        step: "finishSecret",
        op: "records.put",
        nth: 2,
    },
];

/// Regenerate, driven by Secrets Manager's step events: crash at each point, then Secrets
/// Manager retries the failed step with the same token and carries on.
#[tokio::test]
async fn regenerate_converges_after_a_crash_at_every_external_call() {
    quiet_injected_panics();
    for p in REGENERATE_POINTS {
        let label = format!("{} after {} #{}", p.step, p.op, p.nth);
        let env = env().await;
        let name = env
            .managed_data_actions(json!({"strategy": "regenerate"}))
            .await;
        let arn = env.arn(&name).await;
        let token = uuid::Uuid::new_v4().to_string();
        env.start_sm_rotation(&name, &token).await;

        let mut crashed_at = None;
        for (i, step) in STEPS.iter().enumerate() {
            if *step == p.step {
                env.crash.arm(p.op, p.nth);
            }
            match run(&env, env.sm_event(step, &arn, &token)).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => panic!("{label}: {step} failed: {e}"),
                Err(()) => {
                    crashed_at = Some(i);
                    break;
                }
            }
        }
        let from = crashed_at.unwrap_or_else(|| {
            panic!(
                "{label}: the crash point was never reached: {:?}",
                env.crash.seen()
            )
        });
        env.crash.disarm();
        // Secrets Manager retries later: the crashed invocation's lease has lapsed by then.
        env.lapse_lease(&name).await;
        for step in &STEPS[from..] {
            let out = run(&env, env.sm_event(step, &arn, &token)).await.unwrap();
            assert!(out.is_ok(), "{label}: re-run of {step}: {out:?}");
        }

        env.assert_current_works(&name).await;
        assert_eq!(env.current_version(&name).await, token, "{label}");
        let meta = env.sm.describe(&name).await.unwrap();
        assert_eq!(
            meta.version_with_stage("AWSPENDING"),
            None,
            "{label}: pending cleaned up"
        );
        assert_eq!(meta.tags["credguard:client-id"], DATA_ACTIONS, "{label}");
        let regenerations = env.sim.control().regenerations(DATA_ACTIONS);
        let rec = env.rotation_record(&name).await;
        assert_eq!(rec["outcome"], "succeeded", "{label}: {rec}");
        // A crash between the intent and the call leaves one counted call that never applied:
        // it stays counted (the bound holds across crashes).
        let intent_only = p.step == "createSecret" && p.op == "records.put" && p.nth == 2;
        assert_eq!(
            rec["regenerations"],
            regenerations + u64::from(intent_only),
            "{label}: the record counts every call"
        );
        let expected = if p.op == "genesys.regenerate_secret" {
            2
        } else {
            1
        };
        assert_eq!(
            regenerations, expected,
            "{label}: at most one extra regeneration"
        );
        // The dependent ends up with the stored secret.
        let cred = env
            .sim
            .control()
            .credential_view(DATA_ACTIONS_CREDENTIAL)
            .unwrap();
        assert_eq!(cred["clientSecretCurrent"], true, "{label}: {cred}");
        env.stack.sim.shutdown().await;
    }
}

fn alternating_seed() -> Seed {
    Seed::demo().credential(SeedCredential::oauth_client(
        HR_CREDENTIAL,
        "hr-sync-webhook",
        HR_SYNC,
        HR_SYNC_SECRET,
    ))
}

struct AltPoint {
    op: &'static str,
    nth: u32,
    create_partner: bool,
    retire_now: bool,
}

impl AltPoint {
    /// The re-enable of a retired partner only happens when the partner is disabled.
    fn partner_disabled(&self) -> bool {
        self.op == "genesys.update_client" && !self.retire_now
    }
}

// Successful record writes, in order: the execution's lease, the intent before the
// regeneration (or the partner's creation, then the created id), then the attempt's end.
const ALTERNATING_POINTS: &[AltPoint] = &[
    AltPoint {
        op: "records.put",
        nth: 1,
        create_partner: false,
        retire_now: false,
    },
    AltPoint {
        op: "records.put",
        nth: 2,
        create_partner: false,
        retire_now: false,
    },
    AltPoint {
        op: "genesys.update_client",
        nth: 1,
        create_partner: false,
        retire_now: false,
    },
    AltPoint {
        op: "genesys.regenerate_secret",
        nth: 1,
        create_partner: false,
        retire_now: false,
    },
    AltPoint {
        op: "secrets.put_pending",
        nth: 1,
        create_partner: false,
        retire_now: false,
    },
    AltPoint {
        op: "genesys.verify_credentials",
        nth: 1,
        create_partner: false,
        retire_now: false,
    },
    AltPoint {
        op: "genesys.update_oauth_credential",
        nth: 1,
        create_partner: false,
        retire_now: false,
    },
    AltPoint {
        op: "secrets.tag",
        nth: 1,
        create_partner: false,
        retire_now: false,
    },
    AltPoint {
        op: "secrets.move_stage.AWSCURRENT",
        nth: 1,
        create_partner: false,
        retire_now: false,
    },
    AltPoint {
        op: "secrets.move_stage.AWSPENDING",
        nth: 1,
        create_partner: false,
        retire_now: false,
    },
    AltPoint {
        op: "records.put",
        nth: 3,
        create_partner: false,
        retire_now: false,
    },
    AltPoint {
        op: "genesys.update_client",
        nth: 1,
        create_partner: false,
        retire_now: true,
    },
    AltPoint {
        op: "secrets.tag",
        nth: 2,
        create_partner: false,
        retire_now: true,
    },
    AltPoint {
        op: "records.put",
        nth: 2,
        create_partner: true,
        retire_now: false,
    },
    AltPoint {
        op: "genesys.create_client",
        nth: 1,
        create_partner: true,
        retire_now: false,
    },
    AltPoint {
        op: "records.put",
        nth: 3,
        create_partner: true,
        retire_now: false,
    },
];

/// Alternating, driven by "rotate now" (the sweep and rotate-now share the driver): crash at
/// each point, then the request is repeated.
#[tokio::test]
async fn alternating_converges_after_a_crash_at_every_external_call() {
    quiet_injected_panics();
    for p in ALTERNATING_POINTS {
        let label = format!(
            "{} #{} (createPartner: {}, retireNow: {})",
            p.op, p.nth, p.create_partner, p.retire_now
        );
        let env = env_with(SimConfig::default(), alternating_seed()).await;
        let rotation = if p.create_partner {
            json!({"strategy": "alternating", "createPartner": true, "integrationCredentials": [HR_CREDENTIAL]})
        } else {
            json!({"strategy": "alternating", "partnerClientId": LEGACY})
        };
        let name = env.managed_hr(rotation).await;
        if p.partner_disabled() {
            let d = credguard::deadline::Deadline::after(std::time::Duration::from_secs(10));
            let legacy = env.deps.genesys.inner.get_client(LEGACY, &d).await.unwrap();
            let mut req = legacy.to_request();
            req.state = Some(credguard::genesys::models::ClientState::Disabled);
            env.deps
                .genesys
                .inner
                .update_client(LEGACY, &req, &d)
                .await
                .unwrap();
        }
        let mut req = rotate_now_event(&name);
        req["retirePreviousNow"] = p.retire_now.into();
        // As the revocation API sends it: Lambda's retry of the crashed invocation carries the
        // same id, and gets the attempt's outcome rather than a second rotation.
        req["requestId"] = uuid::Uuid::new_v4().to_string().into();

        env.crash.arm(p.op, p.nth);
        let first = run(&env, req.clone()).await;
        assert!(
            first.is_err(),
            "{label}: the crash point was never reached: {:?} {:?}",
            first,
            env.crash.seen()
        );
        env.crash.disarm();
        env.lapse_lease(&name).await;
        let again = run(&env, req.clone())
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("{label}: re-run failed: {e}"));
        assert_eq!(again["action"], "rotated", "{label}: {again}");

        env.assert_current_works(&name).await;
        let doc = env.current(&name).await;
        let b = doc["clientId"].as_str().unwrap().to_owned();
        assert_ne!(b, HR_SYNC, "{label}: switched to the partner");
        assert_eq!(doc["rotation"]["partnerClientId"], HR_SYNC, "{label}");
        // The previous client's secret was never touched: nothing was lost.
        let ctl = env.sim.control();
        assert_eq!(ctl.regenerations(HR_SYNC), 0, "{label}");
        assert!(ctl.check_secret(HR_SYNC, HR_SYNC_SECRET).current, "{label}");
        let expected_state = if p.retire_now { "disabled" } else { "active" };
        assert_eq!(
            ctl.client_view(HR_SYNC).unwrap().state,
            expected_state,
            "{label}"
        );
        // No orphan partner.
        let partners = env.partner_clients().len();
        assert_eq!(
            partners,
            usize::from(p.create_partner),
            "{label}: partners created"
        );
        // Dependents follow the switch.
        let cred = ctl.credential_view(HR_CREDENTIAL).unwrap();
        assert_eq!(
            cred["credentialFields"]["clientId"],
            b.as_str(),
            "{label}: {cred}"
        );
        assert_eq!(cred["clientSecretCurrent"], true, "{label}: {cred}");
        let meta = env.sm.describe(&name).await.unwrap();
        assert_eq!(meta.version_with_stage("AWSPENDING"), None, "{label}");
        assert_eq!(meta.tags["credguard:client-id"], b.as_str(), "{label}");
        let rec = env.rotation_record(&name).await;
        assert_eq!(rec["outcome"], "succeeded", "{label}: {rec}");
        assert_eq!(rec["clientId"], b.as_str(), "{label}");
        env.stack.sim.shutdown().await;
    }
}

/// A regeneration lost to a crash, resumed by the next sweep (no pending version exists): the
/// sweep reuses the attempt, so the attempt's bound holds across runs.
#[tokio::test]
async fn a_lost_regeneration_is_recovered_by_the_next_sweep() {
    quiet_injected_panics();
    let env = env().await;
    let name = due_hr(&env).await;
    crash_sweep_after(&env, "genesys.regenerate_secret", &name).await;
    // The old secret is dead and the new one exists nowhere: consumers are down until...
    assert_old_secret_dead(&env);
    let report = sweep_ok(&env).await;
    assert_eq!(report["rotated"], 1, "{report}");
    env.assert_current_works(&name).await;
    assert_eq!(env.sim.control().regenerations(HR_SYNC), 2);
    let rec = env.rotation_record(&name).await;
    assert_eq!(rec["regenerations"], 2);
    assert_eq!(rec["trigger"], "sweep");
}

/// Lost regenerations in one attempt, up to the bound: the next call is refused and a human is
/// told (a CRITICAL event); "rotate now" starts a fresh attempt that converges.
#[tokio::test]
async fn regenerations_stop_at_the_attempts_bound_and_rotate_now_recovers() {
    use credguard::rotation::regenerate::MAX_REGENERATIONS;
    quiet_injected_panics();
    let env = env().await;
    let name = due_hr(&env).await;
    for _ in 0..MAX_REGENERATIONS {
        crash_sweep_after(&env, "genesys.regenerate_secret", &name).await;
    }
    let report = env.sweep().await;
    let mine = &report["secrets"][0];
    assert_eq!(mine["errorType"], "Fatal.RegenerationLimit", "{report}");
    assert_eq!(
        env.sim.control().regenerations(HR_SYNC),
        u64::from(MAX_REGENERATIONS),
        "no more"
    );
    let events = env.tap.drain().await;
    assert!(sent_at(&events, "Rotation Failed", "CRITICAL"));
    // The sweep leaves it for a human for a day (and does not fail its own run for it)...
    let report = sweep_ok(&env).await;
    assert_eq!(report["secrets"][0]["action"], "needsAttention", "{report}");
    // ...who rotates now.
    assert_rotate_now_recovers(&env, &name).await;
}

/// After a crash right after the regeneration, a working secret waits in AWSPENDING while
/// AWSCURRENT is dead. The crashed execution stops renewing its lease, which lapses within
/// `lease_ttl`; a run that arrives meanwhile waits for the lapse and resumes the attempt at
/// once, without regenerating again.
#[tokio::test]
async fn a_crashed_execution_is_resumed_as_soon_as_its_lease_lapses() {
    quiet_injected_panics();
    let mut env = env().await;
    env.deps.config.lease_ttl = Duration::from_secs(3);
    let name = due_hr(&env).await;
    let crashed = run_crashing(&env, "secrets.put_pending", 1, rotate_now_event(&name)).await;
    let crashed_at = Instant::now();
    assert!(crashed.is_err(), "{crashed:?}");
    assert_old_secret_dead(&env);

    // Lambda's retry (or the next sweep) arrives while the lease is still held.
    let report = sweep_ok(&env).await;
    assert_eq!(report["rotated"], 1, "{report}");
    let waited = crashed_at.elapsed();
    assert!(
        waited >= Duration::from_secs(2) && waited < Duration::from_secs(10),
        "waited {waited:?} for the lapse, not for a whole invocation"
    );
    env.assert_current_works(&name).await;
    assert_eq!(
        env.sim.control().regenerations(HR_SYNC),
        1,
        "resumed, not regenerated again"
    );
}

/// A pending version whose attempt then failed for good is not resumed by every sweep (each
/// would fail again and raise another event): it waits like any failed attempt, and "rotate
/// now" goes ahead.
#[tokio::test]
async fn a_pending_version_of_a_failed_attempt_waits_for_a_human() {
    use credguard::records::rotation::RotationRecords;
    quiet_injected_panics();
    let env = env().await;
    let name = due_hr(&env).await;
    crash_sweep_after(&env, "secrets.put_pending", &name).await;
    // The attempt then fails for good (as a 403 in setSecret would leave it).
    let repo = RotationRecords::new(&env.deps.records.inner);
    let token = env.rotation_record(&name).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut attempt = repo.get(&name, &token).await.unwrap().unwrap();
    attempt.fail(
        "setSecret",
        "Fatal.GenesysForbidden",
        "missing permission",
        false,
        chrono::Utc::now(),
    );
    repo.save(&mut attempt).await.unwrap();

    let report = sweep_ok(&env).await;
    assert_eq!(report["secrets"][0]["action"], "needsAttention", "{report}");
    assert_eq!(report["secrets"][0]["token"], token.as_str(), "{report}");

    assert_rotate_now_recovers(&env, &name).await;
}

/// The per-run cap counts rotations worked on: a secret found busy does not use up the slot
/// of a due one behind it, and the run fails so that it is retried soon (the busy secret has a
/// pending rotation).
#[tokio::test]
async fn a_busy_secret_does_not_use_up_the_per_run_cap() {
    use credguard::records::lease::Leases;
    quiet_injected_panics();
    let mut env = env().await;
    env.deps.config.sweep_max_rotations = 1;
    let busy = env.managed_hr(json!({"strategy": "regenerate"})).await;
    let due = env
        .managed_data_actions(json!({"strategy": "regenerate"}))
        .await;
    env.sm_tag_old(&due).await;
    // A crashed "rotate now" leaves `busy` pending (resumes sort first); a live execution
    // holds its lease for a while.
    let rotate_now = rotate_now_event(&busy);
    assert!(run_crashing(&env, "secrets.put_pending", 1, rotate_now)
        .await
        .is_err());
    env.lapse_lease(&busy).await;
    let live = Leases::new(&env.deps.records.inner);
    assert!(live
        .acquire(
            &busy,
            "live/x",
            Duration::from_secs(300),
            chrono::Utc::now()
        )
        .await
        .unwrap());

    let failed = run(&env, fixture("scheduler-sweep.json")).await.unwrap();
    assert_eq!(failed.unwrap_err(), "Retryable.SweepIncomplete");
    let report = env.sweep().await;
    let action = |name: &str| {
        report["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["secretId"] == name)
            .map(|s| s["action"].clone())
    };
    assert_eq!(action(&busy).unwrap(), "busy", "{report}");
    assert_eq!(report["unfinished"], busy.as_str(), "{report}");
    assert_eq!(
        action(&due).unwrap(),
        "notDue",
        "rotated by the first run: {report}"
    );
}

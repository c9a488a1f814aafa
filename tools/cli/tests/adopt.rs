//! `credguard adopt` against the simulator and moto: what it writes, what it refuses (and that
//! a refusal writes nothing), dependents in a fully redacting org, and the first rotation.

mod support;

use chrono::{Duration, Utc};
use credguard::credential::{
    TAG_ADOPTED_AT, TAG_CLIENT_ID, TAG_MANAGED, TAG_MAX_AGE_DAYS, TAG_PARTNER_CLIENT_ID,
    TAG_STRATEGY,
};
use credguard::ports::secrets::SecretStore;
use credguard::rotation::schedule::parse_time;
use genesys_sim::SimConfig;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adoption_writes_the_documented_secret_and_the_sweep_waits_for_its_policy() {
    let env = Env::new(SimConfig::default()).await;
    let name = env.name("hr-sync");
    let before = Utc::now();
    let adopt = [
        "adopt",
        HR_SYNC,
        "--name",
        &name,
        "--secret-from-stdin",
        "--max-age-days",
        "45",
        "--json",
    ];
    let dry = env
        .run(&[&adopt[..], &["--dry-run"]].concat(), Some(HR_SYNC_SECRET))
        .await
        .ok();
    assert_eq!(dry.json()["plan"]["client"]["name"], "HR Directory Sync");
    assert!(!env.exists(&name).await, "a dry run writes nothing");

    let run = env
        .run(&adopt, Some(&format!("{HR_SYNC_SECRET}\n")))
        .await
        .ok();
    assert_eq!(run.json()["adopted"]["name"], name.as_str());

    // The documented document, with the secret as given and the org the admin client uses.
    let doc = env.current_doc(&name).await;
    assert_eq!(doc["schemaVersion"], 1);
    assert_eq!(doc["clientId"], HR_SYNC);
    assert_eq!(doc["clientSecret"], HR_SYNC_SECRET);
    assert_eq!(doc["apiBaseUrl"], env.sim.api_url().as_str());
    assert_eq!(doc["rotation"]["strategy"], "regenerate");
    assert_eq!(doc["rotation"]["maxAgeDays"], 45);
    assert!(
        doc["rotation"].get("integrationCredentials").is_none(),
        "discovery works in this org"
    );

    // Its tags: managed (this deployment's selection), adopted now, its own policy.
    let meta = env.sm.describe(&name).await.unwrap();
    assert_eq!(meta.tags[TAG_MANAGED], env.fleet);
    assert_eq!(meta.tags[TAG_CLIENT_ID], HR_SYNC);
    assert_eq!(meta.tags[TAG_STRATEGY], "regenerate");
    assert_eq!(meta.tags[TAG_MAX_AGE_DAYS], "45");
    let adopted = parse_time(&meta.tags[TAG_ADOPTED_AT]).unwrap();
    assert!(adopted >= before - Duration::seconds(1) && adopted <= Utc::now());

    // The sweep's own dry run: not due before its policy says.
    let plan = env.run(&["plan", "--json"], None).await.ok().json();
    let mine = plan["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["secretId"] == name.as_str())
        .cloned()
        .unwrap();
    assert_eq!(mine["action"], "notDue", "{plan}");
    let due = parse_time(mine["dueAt"].as_str().unwrap()).unwrap();
    assert_eq!(due, adopted + Duration::days(45));

    // And status shows it, its client active, never rotated.
    let status = env.run(&["status", "--json"], None).await.ok().json();
    let s = &status["secrets"][0];
    assert_eq!(s["name"], name.as_str());
    assert_eq!(s["client"]["state"], "active");
    assert_eq!(s["basis"], "adopted");
    assert_eq!(s["attention"].as_array().unwrap().len(), 0, "{s}");
    let table = env.run(&["status"], None).await.ok();
    assert!(
        table.stdout.contains(&name) && table.stdout.contains("(in 45d)"),
        "{}",
        table.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_write_nothing_and_say_why() {
    let env = Env::new(SimConfig::default()).await;
    let adopt = |client: &'static str, name: String, extra: Vec<&'static str>| {
        let env = &env;
        async move {
            let mut args = vec!["adopt", client, "--name", &name, "--secret-from-stdin"];
            args.extend(extra);
            let run = env
                .run(&args, Some("DEMO-ONLY-not-a-real-secret-any"))
                .await;
            assert!(
                !env.exists(&name).await,
                "{name} was written despite: {}",
                run.stderr
            );
            run
        }
    };
    adopt(OLD_MIDDLEWARE, env.name("old"), vec![])
        .await
        .refused_with(3, "client_not_active");
    adopt(HR_SYNC, "elsewhere/hr-sync".into(), vec![])
        .await
        .refused_with(3, "outside_managed_prefix");
    adopt(
        HR_SYNC,
        env.name("hr"),
        vec!["--strategy", "alternating", "--partner", REPORTS],
    )
    .await
    .refused_with(3, "partner_mismatch");
    adopt(HR_SYNC, env.name("hr"), vec!["--strategy", "alternating"])
        .await
        .refused_with(3, "partner_required");
    adopt(AGENT_DESKTOP, env.name("desktop"), vec![])
        .await
        .refused_with(3, "grant_type_not_client_credentials");
    adopt(BREAK_GLASS_AUTOMATION, env.name("bga"), vec![])
        .await
        .refused_with(3, "admin_lacks_roles");
    adopt(
        credguard_testkit::ADMIN_CLIENT_ID,
        env.name("admin-self"),
        vec![],
    )
    .await
    .refused_with(3, "admin_client_itself");
    adopt(
        "c0ffee00-0099-4a5b-8c6d-000000000099",
        env.name("nobody"),
        vec![],
    )
    .await
    .refused_with(4, "client_not_found");
    // A secret that does not obtain a token for the client.
    adopt(HR_SYNC, env.name("hr"), vec![])
        .await
        .refused_with(3, "secret_rejected");
    // Usage errors: no secret source, a partner with the regenerate strategy.
    let run = env
        .run(&["adopt", HR_SYNC, "--name", &env.name("x")], None)
        .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = env
        .run(
            &[
                "adopt",
                HR_SYNC,
                "--name",
                &env.name("x"),
                "--partner",
                LEGACY,
                "--secret-from-stdin",
            ],
            Some("s"),
        )
        .await;
    assert_eq!(run.code, 2, "{}", run.stderr);

    // A client already managed by another secret, and a name already taken.
    let first = env.name("hr-sync");
    env.run(
        &["adopt", HR_SYNC, "--name", &first, "--secret-from-stdin"],
        Some(HR_SYNC_SECRET),
    )
    .await
    .ok();
    env.run(
        &[
            "adopt",
            HR_SYNC,
            "--name",
            &env.name("hr-again"),
            "--secret-from-stdin",
        ],
        Some(HR_SYNC_SECRET),
    )
    .await
    .refused_with(3, "client_already_managed");
    env.run(
        &["adopt", LEGACY, "--name", &first, "--secret-from-stdin"],
        Some("x"),
    )
    .await
    .refused_with(3, "secret_exists");
    assert_eq!(
        env.current_doc(&first).await["clientId"],
        HR_SYNC,
        "untouched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fully_redacting_org_is_onboarded_by_the_recorded_choice() {
    let env = Env::new(SimConfig {
        redact_all_credential_fields: true,
        ..SimConfig::default()
    })
    .await;
    let name = env.name("data-actions");
    let adopt = [
        "adopt",
        DATA_ACTIONS,
        "--name",
        &name,
        "--secret-from-stdin",
    ];
    // Discovery cannot tell which client the OAuth credential embeds: adopt lists it.
    let run = env.run(&adopt, Some(DATA_ACTIONS_SECRET)).await;
    run.refused_with(3, "dependents_unresolved");
    assert!(
        run.stderr.contains(DATA_ACTIONS_CREDENTIAL),
        "{}",
        run.stderr
    );
    assert!(!env.exists(&name).await);
    // A declared credential must be one of the org's OAuth credentials.
    let unknown_credential = "1c3d5e7f-0002-4a2b-8c9d-00000000da02";
    env.run(
        &[
            &adopt[..],
            &["--integration-credentials", unknown_credential],
        ]
        .concat(),
        Some(DATA_ACTIONS_SECRET),
    )
    .await
    .refused_with(3, "dependent_not_found");

    env.run(
        &[
            &adopt[..],
            &["--integration-credentials", DATA_ACTIONS_CREDENTIAL],
        ]
        .concat(),
        Some(DATA_ACTIONS_SECRET),
    )
    .await
    .ok();
    let doc = env.current_doc(&name).await;
    assert_eq!(
        doc["rotation"]["integrationCredentials"],
        serde_json::json!([DATA_ACTIONS_CREDENTIAL])
    );

    // The recorded choice unblocks rotation, which updates the credential.
    let run = env
        .run(&["rotate", &name, "--local", "--json"], None)
        .await
        .ok();
    assert_eq!(run.json()["action"], "rotated");
    let doc = env.current_doc(&name).await;
    assert!(
        env.sim
            .check_secret(DATA_ACTIONS, doc["clientSecret"].as_str().unwrap())
            .current
    );
    let cred = env.sim.credential_view(DATA_ACTIONS_CREDENTIAL).unwrap();
    assert_eq!(cred["clientSecretCurrent"], true, "{cred}");

    // A second secret with the same org declaring none: accepted, and recorded as empty.
    let other = env.name("hr-sync");
    env.adopt(HR_SYNC, &other, HR_SYNC_SECRET).await.ok();
    assert_eq!(
        env.current_doc(&other).await["rotation"]["integrationCredentials"],
        serde_json::json!([])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declared_dependents_must_be_complete_where_genesys_shows_them() {
    let env = Env::new(SimConfig::default()).await;
    let name = env.name("data-actions");
    env.adopt(DATA_ACTIONS, &name, DATA_ACTIONS_SECRET)
        .await
        .refused_with(3, "dependent_omitted");
    assert!(!env.exists(&name).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alternating_pair_and_regenerate_now() {
    let env = Env::new(SimConfig::default()).await;
    let pair = env.name("hr-pair");
    env.run(
        &[
            "adopt",
            HR_SYNC,
            "--name",
            &pair,
            "--strategy",
            "alternating",
            "--partner",
            LEGACY,
            "--secret-from-stdin",
        ],
        Some(HR_SYNC_SECRET),
    )
    .await
    .ok();
    let doc = env.current_doc(&pair).await;
    assert_eq!(doc["rotation"]["partnerClientId"], LEGACY);
    let meta = env.sm.describe(&pair).await.unwrap();
    assert_eq!(meta.tags[TAG_PARTNER_CLIENT_ID], LEGACY);
    // The partner is now held: no second secret may take it.
    env.run(
        &[
            "adopt",
            LEGACY,
            "--name",
            &env.name("legacy"),
            "--secret-from-stdin",
        ],
        Some("x"),
    )
    .await
    .refused_with(3, "client_already_managed");
    // Rotating makes the partner current; the old client keeps working until retired.
    env.run(&["rotate", &pair, "--local"], None).await.ok();
    let doc = env.current_doc(&pair).await;
    assert_eq!(doc["clientId"], LEGACY);
    assert!(env.sim.check_secret(HR_SYNC, HR_SYNC_SECRET).accepted);

    // Regenerate now: created, then rotated at once; the stored secret is Genesys' current.
    let reports = env.name("reports");
    let run = env
        .run(
            &[
                "adopt",
                REPORTS,
                "--name",
                &reports,
                "--regenerate-now",
                "--local",
                "--no-integration-credentials",
                "--json",
            ],
            None,
        )
        .await
        .ok();
    assert_eq!(
        run.json()["rotation"]["action"],
        "rotated",
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("stops working"),
        "the consumer window is announced: {}",
        run.stderr
    );
    let doc = env.current_doc(&reports).await;
    let check = env
        .sim
        .check_secret(REPORTS, doc["clientSecret"].as_str().unwrap());
    assert!(check.current && check.accepted, "{check:?}");
    let status = env
        .run(&["status", &reports, "--json"], None)
        .await
        .ok()
        .json();
    let s = &status["secrets"][0];
    assert_eq!(s["basis"], "rotated");
    assert_eq!(s["lastAttempt"]["outcome"], "succeeded", "{s}");
    assert_eq!(s["lastAttempt"]["trigger"], "rotateNow");
}

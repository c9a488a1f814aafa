//! The CLI against the deployed functions: the real `rotation` and `revocation` binaries under
//! `cargo lambda watch` (a local Lambda API), the revocation API reached through a recording
//! proxy, Genesys played by the simulator and AWS by moto.

mod support;

use credguard::ports::secrets::{SecretStore, AWSCURRENT};
use credguard::records::rotation::RotationRecords;
use credguard::revocation::routes::{self, ROUTES};
use credguard_testkit::lambda_watch::LambdaWatch;
use credguard_testkit::scan_table;
use genesys_sim::SimConfig;
use std::collections::BTreeSet;
use support::recorder::Recorder;
use support::*;

const REQUEST: &str = "cli-test-request-0000000000000001";

async fn token_works(env: &Env, token: &str) -> bool {
    reqwest::Client::new()
        .head(format!("{}/api/v2/tokens/me", env.sim.api_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        == 200
}

async fn current_version(env: &Env, name: &str) -> String {
    env.sm
        .describe(name)
        .await
        .unwrap()
        .version_with_stage(AWSCURRENT)
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_and_revoke_through_the_deployed_functions() {
    let mut env = Env::new(SimConfig::default()).await;
    let name = env.name("hr-sync");
    env.adopt(HR_SYNC, &name, HR_SYNC_SECRET).await.ok();

    let mut fn_env: Vec<(&str, String)> = vec![
        ("GENESYS_API_BASE_URL", env.sim.api_url()),
        ("GENESYS_LOGIN_BASE_URL", env.sim.login_url()),
        ("GENESYS_ADMIN_SECRET_ID", env.admin_secret.clone()),
        ("RECORDS_TABLE_NAME", env.table.clone()),
        (
            "MANAGED_SECRET_TAG",
            format!("credguard:managed={}", env.fleet),
        ),
        ("ROTATION_FUNCTION_NAME", "rotation".into()),
        ("LOCAL_CALLER_IDENTITY", "cli-test".into()),
        // Two users already go to the background, so the CLI follows a job.
        ("BULK_SYNC_MAX_USERS", "1".into()),
        (
            "AWS_ENDPOINT_URL",
            std::env::var("AWS_ENDPOINT_URL").unwrap(),
        ),
        ("AWS_REGION", "us-east-1".into()),
    ];
    fn_env.extend(credguard_testkit::admin_credentials_env());
    let watch = LambdaWatch::start_concurrent(
        &mut fn_env,
        |url| vec![("AWS_ENDPOINT_URL_LAMBDA", url.to_owned())],
        2,
    )
    .expect("cargo lambda watch");
    let api = Recorder::start(&watch.function_url("revocation")).await;
    env.extra = vec![
        ("CREDGUARD_ROTATION_FUNCTION".into(), "rotation".into()),
        ("AWS_ENDPOINT_URL_LAMBDA".into(), watch.url.clone()),
        ("CREDGUARD_API_URL".into(), api.url.clone()),
    ];

    // Rotate through the deployed function, waiting for its outcome.
    let before = current_version(&env, &name).await;
    let run = env
        .run(&["rotate", &name, "--request-id", REQUEST, "--json"], None)
        .await
        .ok();
    let report = run.json();
    assert_eq!(
        report["action"],
        "rotated",
        "{report} (logs: {})",
        watch.log_path.display()
    );
    let after = current_version(&env, &name).await;
    assert_ne!(before, after);
    let doc = env.current_doc(&name).await;
    assert!(
        env.sim
            .check_secret(HR_SYNC, doc["clientSecret"].as_str().unwrap())
            .current
    );
    let records = credguard::aws::dynamodb::DynamoRecords::new(&env.aws, env.table.clone());
    let rec = RotationRecords::new(&records)
        .latest(&name, 1)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(rec.trigger, "rotateNow");
    assert!(
        rec.request_ids.contains(&REQUEST.to_owned()) || rec.token == REQUEST,
        "{rec:?}"
    );
    assert!(
        rec.requested_by
            .as_deref()
            .is_some_and(|b| b.starts_with("arn:")),
        "the caller's identity: {rec:?}"
    );
    // The same request again: its first outcome, not a second rotation.
    let again = env
        .run(&["rotate", &name, "--request-id", REQUEST, "--json"], None)
        .await
        .ok();
    assert_eq!(again.json()["action"], "rotated");
    assert_eq!(current_version(&env, &name).await, after);
    // An id Secrets Manager could not take as a version id: refused before anything happens.
    let run = env
        .run(&["rotate", &name, "--request-id", "short"], None)
        .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    // A secret that is not managed: the function fails the invocation; the CLI says so.
    let run = env.run(&["rotate", &env.admin_secret], None).await;
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(run.stderr.contains("Fatal."), "{}", run.stderr);

    // Revoke a user's tokens (and a protected user's on the break-glass route).
    let token = env.sim.control().mint_user_token(SAM).unwrap().access_token;
    let run = env
        .run(
            &["revoke", "user", SAM, "--reason", "cli test", "--json"],
            None,
        )
        .await
        .ok();
    assert_completed(&run);
    assert!(
        run.stderr.contains("idempotency key credguard-cli-"),
        "{}",
        run.stderr
    );
    assert!(!token_works(&env, &token).await);
    env.run(
        &[
            "revoke",
            "user",
            ALEX_ADMIN,
            "--break-glass",
            "--reason",
            "cli test",
        ],
        None,
    )
    .await
    .ok();

    // A replay with the same key: the first answer, Genesys not called again.
    let key = ["--idempotency-key", "cli-replay-1"];
    let first = env
        .run(
            &[
                "revoke", "user", PAT_FORMER, "--reason", "r", "--json", key[0], key[1],
            ],
            None,
        )
        .await
        .ok();
    let second = env
        .run(
            &[
                "revoke", "user", PAT_FORMER, "--reason", "r", "--json", key[0], key[1],
            ],
            None,
        )
        .await
        .ok();
    assert_eq!(second.json()["replayed"], true);
    assert_eq!(
        first.json()["revocation"]["revocationId"],
        second.json()["revocation"]["revocationId"]
    );

    // Bulk in the background: accepted (202), followed to the end, per-user outcomes listed.
    let run = env
        .run(
            &[
                "revoke", "users", SAM, PAT_FORMER, "--reason", "cli bulk", "--json",
            ],
            None,
        )
        .await
        .ok();
    let out = run.json();
    assert_eq!(out["revocation"]["outcome"], "completed", "{out}");
    assert_eq!(out["revocation"]["progress"]["done"], 2, "{out}");
    assert_eq!(
        out["revocation"]["results"].as_array().unwrap().len(),
        2,
        "{out}"
    );

    // The break-glass bulk route, for holders of protected roles.
    let run = env
        .run(
            &[
                "revoke",
                "users",
                ALEX_ADMIN,
                SAM,
                "--break-glass",
                "--reason",
                "cli bulk",
                "--json",
            ],
            None,
        )
        .await
        .ok();
    assert_completed(&run);

    // A leaked token from stdin.
    let leaked = env.sim.control().mint_user_token(SAM).unwrap().access_token;
    env.run(
        &["revoke", "token", "--reason", "pasted in chat"],
        Some(&leaked),
    )
    .await
    .ok();
    assert!(!token_works(&env, &leaked).await);

    // A client disabled and enabled again.
    for (flag, state) in [("--disable", "disabled"), ("--enable", "active")] {
        let args = [
            "revoke",
            "client",
            AUDIT_READER,
            flag,
            "--reason",
            "cli test",
        ];
        env.run(&args, None).await.ok();
        assert_eq!(env.sim.client_view(AUDIT_READER).unwrap().state, state);
    }
    // Not found: exit 4 with the API's code.
    env.run(
        &[
            "revoke",
            "client",
            "c0ffee00-0099-4a5b-8c6d-000000000099",
            "--disable",
            "--reason",
            "x",
        ],
        None,
    )
    .await
    .refused_with(4, "client_not_found");

    // Emergency rotation through the API, followed until the rotation function is done.
    let before = current_version(&env, &name).await;
    let run = env
        .run(
            &[
                "revoke", "client", HR_SYNC, "--rotate", "--reason", "leak", "--json",
            ],
            None,
        )
        .await
        .ok();
    assert_eq!(
        run.json()["revocation"]["rotation"]["outcome"],
        "succeeded",
        "{}",
        run.stdout
    );
    assert_ne!(current_version(&env, &name).await, before);

    // Every route of the table was called, each request signed for execute-api.
    let seen = api.seen();
    let mut hit = BTreeSet::new();
    for s in &seen {
        let prefix = "/lambda-url/revocation";
        let segments: Vec<&str> = s
            .path
            .trim_start_matches(prefix)
            .split('/')
            .filter(|x| !x.is_empty())
            .collect();
        let found = routes::at(&segments);
        let route = found
            .iter()
            .find(|(r, _)| r.method == s.method)
            .unwrap_or_else(|| panic!("{} {} is no route of the API", s.method, s.path));
        hit.insert((route.0.method, route.0.path));
        assert!(
            s.authorization.starts_with("AWS4-HMAC-SHA256 Credential=")
                && s.authorization
                    .contains("/us-east-1/execute-api/aws4_request"),
            "{s:?}"
        );
        if s.method == "POST" {
            assert!(
                s.authorization.contains("idempotency-key"),
                "the key is signed: {s:?}"
            );
            assert!(s.idempotency_key.is_some());
        }
    }
    let all: BTreeSet<_> = ROUTES.iter().map(|r| (r.method, r.path)).collect();
    assert_eq!(hit, all, "the CLI reaches every route");

    // The records say what was done.
    let items = scan_table(&env.aws, &env.table).await;
    let actions: BTreeSet<String> = items
        .iter()
        .filter(|i| i["recordType"] == "revocation")
        .filter_map(|i| i["action"].as_str().map(str::to_owned))
        .collect();
    for a in [
        "revokeUserTokens",
        "revokeUserTokensBulk",
        "revokeAccessToken",
        "disableClient",
        "enableClient",
        "emergencyRotation",
    ] {
        assert!(actions.contains(a), "{a} recorded: {actions:?}");
    }
}

/// The revocation the command printed completed.
fn assert_completed(run: &Run) {
    let outcome = &run.json()["revocation"]["outcome"];
    assert_eq!(outcome, "completed", "{}", run.stdout);
}

//! Every endpoint against the simulator and moto, through the real handler with API Gateway
//! REST event fixtures.

mod support;

use credguard_testkit::events::{of_type, sent_at};
use genesys_sim::{FaultRule, SimConfig};
use serde_json::json;
use support::*;

#[tokio::test]
async fn fixtures_are_real_events_the_handler_understands() {
    let env = env().await;
    // Each checked-in fixture parses and routes (the token fixture carries a placeholder).
    for (name, expected) in [
        ("apigw-rest-revoke-user.json", 200),
        ("apigw-rest-revoke-users.json", 200),
        ("apigw-rest-disable-client.json", 200),
        ("apigw-rest-get-revocation.json", 404),
        ("apigw-rest-revoke-token.json", 200),
    ] {
        let a = env.call(&fixture(name)).await;
        assert_eq!(a.status, expected, "{name}: {}", a.body);
    }
}

#[tokio::test]
async fn revoking_a_user_kills_their_tokens_and_records_the_checks() {
    let env = env().await;
    let t1 = env.user_token(SAM);
    let t2 = env.user_token(SAM);
    let a = env
        .post(
            &format!("/v1/users/{SAM}/revoke-tokens"),
            json!({"reason": "account compromised"}),
            &key(),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["outcome"], "completed");
    assert_eq!(a.body["checks"]["userExists"], true);
    assert_eq!(a.body["checks"]["scimActive"], true);
    assert_eq!(
        a.body["requestedBy"]["arn"],
        "arn:aws:sts::123456789012:assumed-role/SecurityResponder/alice"
    );
    assert!(!a.body["correlationIds"].as_array().unwrap().is_empty());
    assert!(
        !env.token_valid(&t1).await && !env.token_valid(&t2).await,
        "the user's tokens really stop working"
    );

    let id = a.body["revocationId"].as_str().unwrap().to_owned();
    let got = env.revocation(&id).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body["outcome"], "completed");
    assert_eq!(got.body["target"]["userId"], SAM);
    let events = env.tap.drain().await;
    assert!(events
        .iter()
        .any(|e| e["detail-type"] == "User Tokens Revoked" && e["detail"]["userId"] == SAM));
}

/// A dry run checks and records what it would do, and revokes nothing: the record, not a
/// separate flag, tells each action so.
#[tokio::test]
async fn dry_runs_check_and_record_but_revoke_nothing() {
    let env = env().await;
    let token = env.user_token(SAM);
    let a = env
        .post(
            &format!("/v1/users/{SAM}/revoke-tokens"),
            json!({"reason": "rehearsal", "dryRun": true}),
            &key(),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["outcome"], "dryRun");
    assert_eq!(a.body["checks"]["userExists"], true);
    assert_eq!(a.body["dryRun"], true);

    use credguard::redact::ExposeSecret;
    let leaked = env.user_token(SAM);
    let raw = leaked.expose_secret().to_owned();
    let a = env
        .post(
            "/v1/tokens/revoke",
            json!({"accessToken": raw, "reason": "rehearsal", "dryRun": true}),
            &key(),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["outcome"], "dryRun");
    assert_eq!(a.body["checks"]["tokenValid"], true);

    assert!(env.token_valid(&token).await && env.token_valid(&leaked).await);
    assert_eq!(env.calls_to("DELETE /api/v2/tokens/{userId}"), 0);
    assert_eq!(env.calls_to("DELETE /api/v2/tokens/me"), 0);
}

#[tokio::test]
async fn protected_users_need_break_glass_which_always_raises_a_high_event() {
    let env = env().await;
    let token = env.user_token(ALEX_ADMIN);
    let path = format!("/v1/users/{ALEX_ADMIN}/revoke-tokens");
    let a = env
        .post(&path, json!({"reason": "suspicious login"}), &key())
        .await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert_eq!(a.body["error"]["code"], "break_glass_required");
    let message = a.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("/v1/break-glass/users/{ALEX_ADMIN}/revoke-tokens")),
        "the refusal names the route: {message}"
    );
    assert!(env.token_valid(&token).await, "refused: nothing revoked");
    assert_eq!(env.calls_to("DELETE /api/v2/tokens/{userId}"), 0);
    // The old field is no way around it.
    let a = env
        .post(
            &path,
            json!({"reason": "x", "breakGlass": {"reason": "y"}}),
            &key(),
        )
        .await;
    assert_eq!(a.body["error"]["code"], "break_glass_is_a_route");

    // Break glass is a route, which a role must be granted in IAM.
    let glass = format!("/v1/break-glass/users/{ALEX_ADMIN}/revoke-tokens");
    let a = env
        .post(
            &glass,
            json!({"reason": "CISO approved, incident 4711"}),
            &key(),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["breakGlass"], true);
    assert_eq!(a.body["breakGlassReason"], "CISO approved, incident 4711");
    assert_eq!(a.body["checks"]["protectedRoles"], json!(["Master Admin"]));
    assert!(!env.token_valid(&token).await);
    let events = env.tap.drain().await;
    assert!(!of_type(&events, "Revocation Refused").is_empty());
    assert!(sent_at(&events, "Break Glass Used", "HIGH"));
}

#[tokio::test]
async fn bulk_gives_one_result_per_user() {
    let env = env().await;
    let tokens = [env.user_token(SAM), env.user_token(ROBIN)];
    let body = json!({"userIds": [SAM, ROBIN, UNKNOWN, ALEX_ADMIN], "reason": "phishing campaign"});
    let a = env.post("/v1/users/revoke-tokens", body, &key()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["outcome"], "partial");
    let results = a.body["results"].as_array().unwrap();
    let outcome_of =
        |u: &str| results.iter().find(|r| r["userId"] == u).unwrap()["outcome"].clone();
    assert_eq!(outcome_of(SAM), "completed");
    assert_eq!(outcome_of(ROBIN), "completed");
    assert_eq!(outcome_of(UNKNOWN), "notFound");
    assert_eq!(outcome_of(ALEX_ADMIN), "refused");
    for t in &tokens {
        assert!(!env.token_valid(t).await);
    }
    let too_many: Vec<String> = (0..501)
        .map(|i| format!("00000000-0000-4000-8000-{i:012}"))
        .collect();
    let a = env
        .post(
            "/v1/users/revoke-tokens",
            json!({"userIds": too_many, "reason": "x"}),
            &key(),
        )
        .await;
    assert_eq!(a.status, 400);
    assert_eq!(a.body["error"]["code"], "too_many_users");
}

/// More users than a request can hold: accepted at once (202), done in the background by the
/// function's own asynchronous invocations, each user's outcome its own item, progress on the
/// record, one completion event. A worker that dies part-way is resumed without revoking
/// anyone twice.
#[tokio::test]
async fn a_large_bulk_runs_in_the_background_and_survives_a_lost_worker() {
    let (seed, ids) = demo_with_users(40);
    let env = env_with(SimConfig::default(), seed).await;
    let tokens: Vec<_> = ids.iter().map(|u| env.user_token(u)).collect();
    let mut users = ids.clone();
    users.push(ALEX_ADMIN.into());
    let k = key();
    let body = json!({"userIds": users, "reason": "phishing campaign"});
    let a = env.post("/v1/users/revoke-tokens", body.clone(), &k).await;
    assert_eq!(a.status, 202, "{}", a.body);
    assert_eq!(a.body["outcome"], "accepted");
    assert_eq!(a.body["checks"]["mode"], "background");
    let id = a.body["revocationId"].as_str().unwrap().to_owned();
    assert_eq!(
        env.calls_to("DELETE /api/v2/tokens/{userId}"),
        0,
        "nothing done in the request"
    );
    // A retry of the request (same key) is a replay, not a second job.
    let again = env.post("/v1/users/revoke-tokens", body, &k).await;
    assert_eq!(again.body["revocationId"], id.as_str());

    // The first worker dies after a few users (its invocation is lost with it)...
    let queued = env.deps.jobs.take();
    assert_eq!(queued, vec![id.clone()]);
    let mut short = invocation(credguard::aws::lambda::bulk_job_event(&id));
    short.context.deadline = (std::time::SystemTime::now() + std::time::Duration::from_secs(4))
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    credguard_revocation::handle(&env.deps, short)
        .await
        .unwrap();
    let progress = env.revocation(&id).await;
    assert_eq!(progress.body["outcome"], "inProgress", "{}", progress.body);
    let done_first = progress.body["progress"]["done"].as_u64().unwrap();
    assert!(done_first < 41, "{}", progress.body);
    // ...and the rest is continued by the invocations it handed over.
    let invocations = env.run_jobs().await;
    assert!(invocations >= 1);

    let done = env.revocation(&id).await;
    assert_eq!(done.body["outcome"], "partial", "{}", done.body);
    assert_eq!(done.body["progress"]["done"], 41);
    assert_eq!(done.body["progress"]["byOutcome"]["completed"], 40);
    assert_eq!(done.body["progress"]["byOutcome"]["refused"], 1);
    assert_eq!(
        env.calls_to("DELETE /api/v2/tokens/{userId}"),
        40,
        "each user once"
    );
    for t in &tokens {
        assert!(!env.token_valid(t).await);
    }
    // Per-user outcomes, a page at a time.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut e = rest_event("GET", &format!("/v1/revocations/{id}/users"), None, None);
        let mut q = serde_json::Map::new();
        q.insert("limit".into(), json!("15"));
        if let Some(a) = &after {
            q.insert("after".into(), json!(a));
        }
        e["queryStringParameters"] = serde_json::Value::Object(q);
        let page = env.call(&e).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let items = page.body["users"].as_array().unwrap();
        assert!(items.len() <= 15);
        seen.extend(
            items
                .iter()
                .map(|u| u["userId"].as_str().unwrap().to_owned()),
        );
        match page.body["next"].as_str() {
            Some(n) => after = Some(n.to_owned()),
            None => break,
        }
    }
    seen.sort();
    let mut expected = users.clone();
    expected.sort();
    assert_eq!(seen, expected);
    let events = env.tap.drain().await;
    let completed = of_type(&events, "Bulk Revocation Completed");
    assert_eq!(completed.len(), 1, "one event for the whole job");
    assert_eq!(completed[0]["detail"]["counts"]["completed"], 40);
    assert!(
        of_type(&events, "User Tokens Revoked").is_empty(),
        "no event per user"
    );
}

/// A retry from another session of the same role is a replay; another role is another caller.
#[tokio::test]
async fn idempotency_keys_are_scoped_to_the_role_not_the_session() {
    let env = env().await;
    let path = format!("/v1/users/{SAM}/revoke-tokens");
    let body = json!({"reason": "offboarding"});
    let k = key();
    let as_session = |session: &str, role: &str| {
        let mut e = rest_event("POST", &path, Some(&body), Some(&k));
        e["requestContext"]["identity"]["userArn"] = json!(format!(
            "arn:aws:sts::123456789012:assumed-role/{role}/{session}"
        ));
        e
    };
    let first = env.call(&as_session("alice-sso-1", "Responder")).await;
    assert_eq!(first.status, 200);
    let retry = env.call(&as_session("automation-7", "Responder")).await;
    assert_eq!(retry.headers["idempotent-replayed"], "true");
    assert_eq!(retry.body, first.body);
    assert_eq!(
        retry.body["requestedBy"]["arn"],
        "arn:aws:sts::123456789012:assumed-role/Responder/alice-sso-1",
        "the full principal of who did it"
    );
    let other = env.call(&as_session("bob", "Security")).await;
    assert!(other.headers.get("idempotent-replayed").is_none());
    assert_eq!(env.calls_to("DELETE /api/v2/tokens/{userId}"), 2);
}

#[tokio::test]
async fn a_leaked_token_is_revoked_and_only_its_fingerprint_is_kept() {
    let env = env().await;
    let token = env.user_token(ROBIN);
    use credguard::redact::ExposeSecret;
    let raw = token.expose_secret().to_owned();
    let a = env
        .post(
            "/v1/tokens/revoke",
            json!({"accessToken": raw, "reason": "posted in a public channel"}),
            &key(),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["outcome"], "completed");
    assert_eq!(
        a.body["target"]["tokenSha256"],
        credguard::redact::fingerprint(&token)
    );
    assert!(!env.token_valid(&token).await);
    // Again: Genesys already rejects it.
    let a = env
        .post(
            "/v1/tokens/revoke",
            json!({"accessToken": raw, "reason": "again"}),
            &key(),
        )
        .await;
    assert_eq!(a.body["outcome"], "alreadyDone");
    let everything = serde_json::to_string(&env.records().await).unwrap()
        + &serde_json::to_string(&env.tap.drain().await).unwrap();
    assert!(
        !everything.contains(&raw),
        "the token is never stored or published"
    );
}

#[tokio::test]
async fn disable_and_enable_a_client() {
    let env = env().await;
    let path = |a: &str| format!("/v1/clients/{HR_SYNC}/{a}");
    let a = env
        .post(
            &path("disable"),
            json!({"reason": "secret leaked", "dryRun": true}),
            &key(),
        )
        .await;
    assert_eq!(a.body["outcome"], "dryRun");
    assert_eq!(
        env.sim.control().client_view(HR_SYNC).unwrap().state,
        "active"
    );

    // A token the client holds right now (client-credentials grant with its secret).
    let hr_client = credguard_testkit::client_as(
        &env.sim,
        HR_SYNC,
        HR_SYNC_SECRET,
        credguard_testkit::fast_options(),
    );
    let d = credguard::deadline::Deadline::after(std::time::Duration::from_secs(10));
    use credguard::ports::genesys::AuthorizationDirectory;
    hr_client
        .list_scopes(&d)
        .await
        .expect("HR sync's own token works before");

    let a = env
        .post(&path("disable"), json!({"reason": "secret leaked"}), &key())
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["previousState"], "active");
    assert_eq!(
        env.sim.control().client_view(HR_SYNC).unwrap().state,
        "disabled"
    );
    // Its existing token is dead: the client's next call is refused (and so is a new grant).
    let err = hr_client.list_scopes(&d).await.unwrap_err();
    assert!(
        err.status() == Some(401) || matches!(err, credguard::genesys::GenesysError::Login(_)),
        "{err}"
    );
    assert!(
        !env.sim
            .control()
            .check_secret(HR_SYNC, HR_SYNC_SECRET)
            .accepted,
        "no new tokens"
    );
    let a = env
        .post(&path("disable"), json!({"reason": "again"}), &key())
        .await;
    assert_eq!(a.body["outcome"], "alreadyDone");

    let a = env
        .post(&path("enable"), json!({"reason": "secret rotated"}), &key())
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["previousState"], "disabled");
    assert!(
        env.sim
            .control()
            .check_secret(HR_SYNC, HR_SYNC_SECRET)
            .accepted
    );

    let a = env
        .post_reason(&format!(
            "/v1/clients/{}/disable",
            credguard_testkit::ADMIN_CLIENT_ID
        ))
        .await;
    assert_eq!(a.error(), (409, "cannot_disable_self"));
    let a = env
        .post_reason(&format!("/v1/clients/{UNKNOWN}/disable"))
        .await;
    assert_eq!(a.error(), (404, "client_not_found"));
    let events = env.tap.drain().await;
    assert!(sent_at(&events, "Client Disabled", "HIGH"));
}

#[tokio::test]
async fn replays_of_one_key_call_genesys_once_and_answer_the_same() {
    let env = env().await;
    let k = key();
    let path = format!("/v1/users/{SAM}/revoke-tokens");
    let body = json!({"reason": "offboarding"});
    let first = env.post(&path, body.clone(), &k).await;
    assert_eq!(first.status, 200);
    for _ in 0..99 {
        let again = env.post(&path, body.clone(), &k).await;
        assert_eq!(again.status, first.status);
        assert_eq!(again.body, first.body);
        assert_eq!(again.headers["idempotent-replayed"].as_str(), Some("true"));
    }
    assert_eq!(env.calls_to("DELETE /api/v2/tokens/{userId}"), 1);
    let mismatch = env
        .post(&path, json!({"reason": "something else"}), &k)
        .await;
    assert_eq!(mismatch.error(), (422, "idempotency_key_reused"));
    let revocations = env
        .records()
        .await
        .into_iter()
        .filter(|r| r["recordType"] == "revocation")
        .count();
    assert_eq!(revocations, 1, "one action recorded");
}

#[tokio::test]
async fn bad_input_is_refused_before_any_genesys_call() {
    let env = env().await;
    let user_path = format!("/v1/users/{SAM}/revoke-tokens");
    let cases: Vec<(serde_json::Value, u16, &str)> = vec![
        (
            rest_event(
                "POST",
                "/v1/users/not-a-uuid/revoke-tokens",
                Some(&json!({"reason": "x"})),
                Some("k1"),
            ),
            400,
            "invalid_id",
        ),
        (
            rest_event(
                "POST",
                &user_path,
                Some(&json!({"reason": "x", "admin": true})),
                Some("k2"),
            ),
            400,
            "unknown_field",
        ),
        (
            rest_event("POST", &user_path, Some(&json!({"reason": "x"})), None),
            400,
            "idempotency_key_required",
        ),
        (
            rest_event("DELETE", &user_path, None, Some("k3")),
            405,
            "method_not_allowed",
        ),
        (
            rest_event("POST", "/v1/users", None, Some("k4")),
            404,
            "not_found",
        ),
        (
            rest_event("GET", "/v1/revocations/nope", None, None),
            400,
            "invalid_id",
        ),
    ];
    for (event, status, code) in cases {
        let a = env.call(&event).await;
        assert_eq!(a.error(), (status, code), "{}", a.body);
    }
    let mut malformed = rest_event("POST", &user_path, None, Some("k5"));
    malformed["body"] = "{not json".into();
    assert_eq!(
        env.call(&malformed).await.body["error"]["code"],
        "malformed_json"
    );
    let mut wrong_type = rest_event(
        "POST",
        &user_path,
        Some(&json!({"reason": "x"})),
        Some("k6"),
    );
    wrong_type["headers"]["Content-Type"] = "text/plain".into();
    wrong_type["multiValueHeaders"]["Content-Type"] = json!(["text/plain"]);
    assert_eq!(env.call(&wrong_type).await.status, 415);
    let mut huge = rest_event("POST", &user_path, None, Some("k7"));
    huge["body"] = "x".repeat(70_000).into();
    assert_eq!(env.call(&huge).await.status, 413);
    let mut anonymous = rest_event(
        "POST",
        &user_path,
        Some(&json!({"reason": "x"})),
        Some("k8"),
    );
    anonymous["requestContext"]["identity"]["userArn"] = serde_json::Value::Null;
    anonymous["requestContext"]["identity"]["caller"] = serde_json::Value::Null;
    assert_eq!(env.call(&anonymous).await.status, 401);
    // What API Gateway may still pass on, answered in JSON rather than failing the invocation.
    let mut non_ascii = rest_event("POST", &user_path, Some(&json!({"reason": "x"})), None);
    non_ascii["headers"]["Idempotency-Key"] = "clé-ü".into();
    assert_eq!(
        env.call(&non_ascii).await.body["error"]["code"],
        "invalid_idempotency_key",
        "invalid, not missing"
    );
    let mut crlf = rest_event("POST", &user_path, Some(&json!({"reason": "x"})), None);
    crlf["headers"]["Idempotency-Key"] = "k\r\nInjected: 1".into();
    assert_eq!(
        env.call(&crlf).await.body["error"]["code"],
        "invalid_idempotency_key"
    );
    let mut bad_base64 = rest_event("POST", &user_path, None, Some("k9"));
    bad_base64["body"] = "%%% not base64 %%%".into();
    bad_base64["isBase64Encoded"] = true.into();
    let a = env.call(&bad_base64).await;
    assert_eq!(a.error(), (400, "invalid_request"));
    assert_eq!(env.genesys_calls(), 0, "no Genesys call for bad input");
}

#[tokio::test]
async fn genesys_errors_map_to_meaningful_responses() {
    let env = env_with(SimConfig::default(), genesys_sim::Seed::demo()).await;
    let path = format!("/v1/users/{SAM}/revoke-tokens");
    let a = env
        .post_reason(&format!("/v1/users/{UNKNOWN}/revoke-tokens"))
        .await;
    assert_eq!(a.error(), (404, "user_not_found"));
    let outcomes = |records: Vec<serde_json::Value>| -> Vec<String> {
        records
            .iter()
            .filter(|r| r["recordType"] == "revocation")
            .map(|r| {
                format!(
                    "{}:{}",
                    r["status"],
                    r["outcome"].as_str().unwrap_or_default()
                )
            })
            .collect()
    };

    env.sim
        .control()
        .add_fault(
            FaultRule::status("DELETE /api/v2/tokens/{userId}", 429)
                .retry_after(600)
                .times(1),
        )
        .unwrap();
    let k = key();
    let a = env.post(&path, json!({"reason": "x"}), &k).await;
    assert_eq!(a.status, 503, "{}", a.body);
    assert_eq!(a.body["error"]["code"], "genesys_rate_limited");
    assert_eq!(a.headers["retry-after"], "600");
    assert_eq!(env.calls_to("DELETE /api/v2/tokens/{userId}"), 1);
    // The key was given back (no replay of the 503), and the shared pacer honours Genesys's
    // Retry-After: an immediate retry is answered 503 without calling Genesys again.
    let a = env.post(&path, json!({"reason": "x"}), &k).await;
    assert_eq!(a.status, 503, "{}", a.body);
    assert!(a.headers.get("idempotent-replayed").is_none());
    assert_eq!(
        env.calls_to("DELETE /api/v2/tokens/{userId}"),
        1,
        "held back, not hammered"
    );
    let seen = outcomes(env.records().await);
    for o in ["404:notFound", "503:failed"] {
        assert!(seen.contains(&o.to_owned()), "{o} in {seen:?}");
    }

    // A fresh container (new client, no pacer history) with an admin client lacking a permission.
    let env = env_with(SimConfig::default(), genesys_sim::Seed::demo()).await;
    env.sim
        .control()
        .add_fault(FaultRule::status("DELETE /api/v2/tokens/{userId}", 403).times(1))
        .unwrap();
    let a = env.post(&path, json!({"reason": "y"}), &key()).await;
    assert_eq!(a.error(), (502, "genesys_permission_missing"));
    // Nothing half-recorded: each record says what happened.
    assert_eq!(outcomes(env.records().await), vec!["502:failed".to_owned()]);
}

/// GIVEN a bulk revocation handed to the background WHEN the worker starts at once and finishes
/// before the request that handed it over has ended (Lambda may start an asynchronous
/// invocation at once; a local emulator runs it synchronously) THEN the request does not undo
/// the worker's outcome: the job reads `completed`, not `accepted` forever.
#[tokio::test]
async fn a_worker_that_finishes_before_the_request_ends_keeps_its_outcome() {
    let (seed, ids) = demo_with_users(12);
    let env = env_with(SimConfig::default(), seed).await;
    let release = env.deps.jobs.hold();
    let body = json!({"userIds": ids, "reason": "phishing"});
    let k = key();
    let request = env.post("/v1/users/revoke-tokens", body, &k);
    let worker = async {
        while env.deps.jobs.pending() == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert_eq!(env.run_jobs().await, 1);
        release.send(()).unwrap();
    };
    let (answer, ()) = tokio::join!(request, worker);
    assert_eq!(answer.status, 202, "{}", answer.body);
    let id = answer.body["revocationId"].as_str().unwrap();
    let read = env.revocation(id).await;
    assert_eq!(read.body["outcome"], "completed", "{}", read.body);
    assert_eq!(read.body["status"], 200, "{}", read.body);
    assert!(read.body["completedAt"].is_string(), "{}", read.body);
}

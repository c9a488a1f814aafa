//! The Genesys client against the simulator: token caching, the request policy, pagination,
//! usage queries. Each test starts its own simulator.

use credguard::deadline::Deadline;
use credguard::genesys::models::{
    ClientState, GrantType, OAuthClientRequest, RoleDivision, UserExpand,
};
use credguard::genesys::{ClientOptions, GenesysError, UsageApi, UsageWindow};
use credguard::ports::genesys::{
    AuthorizationDirectory, ClientAdmin, ClientDirectory, CredentialVerifier, TokenAdmin,
    TokenRevocation, UsageReports, UserDirectory,
};
use credguard::redact::{ExposeSecret, SecretString};
use credguard_testkit::{admin_client, client_as, fast_options, sim};
use futures::future::join_all;
use genesys_sim::demo::HR_SYNC;
use genesys_sim::{FaultMode, FaultRule, Seed, SeedClient, SimConfig};
use std::time::{Duration, Instant};

const GRANT: &str = "POST /oauth/token";
const GET_CLIENT: &str = "GET /api/v2/oauth/clients/{clientId}";
const SECRET: &str = "POST /api/v2/oauth/clients/{clientId}/secret";

fn deadline() -> Deadline {
    Deadline::after(Duration::from_secs(60))
}

#[tokio::test]
async fn warm_calls_reuse_one_token() {
    let sim = sim(SimConfig::default()).await;
    let client = admin_client(&sim, fast_options());
    for _ in 0..20 {
        client.get_client(HR_SYNC, &deadline()).await.unwrap();
    }
    assert_eq!(sim.control().call_count(GRANT), 1);
    assert_eq!(client.stats().token_grants, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_cold_calls_make_exactly_one_grant() {
    let sim = sim(SimConfig::default()).await;
    // A slow login host widens the race window.
    sim.control()
        .add_fault(FaultRule::new(GRANT, FaultMode::Latency).latency_ms(300))
        .unwrap();
    let client = admin_client(&sim, fast_options());
    let d = deadline();
    let results = join_all((0..64).map(|_| client.get_client(HR_SYNC, &d))).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(sim.control().call_count(GRANT), 1);
    assert_eq!(sim.control().call_count(GET_CLIENT), 64);
}

#[tokio::test]
async fn token_is_refreshed_the_margin_before_expiry() {
    let sim = sim(SimConfig::default()).await;
    // The admin client's tokens live 3600 s; a 3599 s margin makes them stale after 1 s.
    let options = ClientOptions {
        token_refresh_margin: Duration::from_secs(3599),
        ..fast_options()
    };
    let client = admin_client(&sim, options);
    client.get_client(HR_SYNC, &deadline()).await.unwrap();
    client.get_client(HR_SYNC, &deadline()).await.unwrap();
    assert_eq!(client.stats().token_grants, 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client.get_client(HR_SYNC, &deadline()).await.unwrap();
    assert_eq!(client.stats().token_grants, 2);
}

#[tokio::test]
async fn a_401_refreshes_once_and_a_second_401_is_an_error() {
    let sim = sim(SimConfig::default()).await;
    let client = admin_client(&sim, fast_options());
    client.get_client(HR_SYNC, &deadline()).await.unwrap();
    // The token expires at Genesys (simulated clock) while the client still trusts it.
    sim.control().advance_clock(3601);
    client.get_client(HR_SYNC, &deadline()).await.unwrap();
    assert_eq!(client.stats().token_grants, 2);

    sim.control()
        .add_fault(FaultRule::status(GET_CLIENT, 401).times(2))
        .unwrap();
    let err = client.get_client(HR_SYNC, &deadline()).await.unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");
    assert_eq!(
        client.stats().token_grants,
        3,
        "exactly one refresh for the first 401"
    );
}

#[tokio::test]
async fn a_429_waits_retry_after_and_too_long_gives_up() {
    let sim = sim(SimConfig::default()).await;
    let client = admin_client(&sim, fast_options());
    client.get_client(HR_SYNC, &deadline()).await.unwrap();
    sim.control().clear_calls();
    sim.control()
        .add_fault(FaultRule::status(GET_CLIENT, 429).retry_after(1).times(1))
        .unwrap();
    let started = Instant::now();
    client.get_client(HR_SYNC, &deadline()).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(sim.control().call_count(GET_CLIENT), 2);

    // Longer than the 180 s cap: no wait, a rate-limit error carrying Retry-After.
    sim.control()
        .add_fault(FaultRule::status(GET_CLIENT, 429).retry_after(600).times(1))
        .unwrap();
    let started = Instant::now();
    let err = client.get_client(HR_SYNC, &deadline()).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(600)), "{err}");
}

#[tokio::test]
async fn server_errors_back_off_for_reads_but_not_for_writes() {
    let sim = sim(SimConfig::default()).await;
    let client = admin_client(&sim, fast_options());
    sim.control()
        .add_fault(FaultRule::status(GET_CLIENT, 503).times(2))
        .unwrap();
    let started = Instant::now();
    client.get_client(HR_SYNC, &deadline()).await.unwrap();
    assert_eq!(sim.control().call_count(GET_CLIENT), 3);
    // Two backoffs of at least 250 ms and 500 ms (equal jitter on 500 ms, 1 s).
    assert!(
        started.elapsed() >= Duration::from_millis(750),
        "{:?}",
        started.elapsed()
    );

    // A 500 on an idempotent write is not retried.
    let put = "PUT /api/v2/oauth/clients/{clientId}";
    sim.control()
        .add_fault(FaultRule::status(put, 500).times(1))
        .unwrap();
    let c = client.get_client(HR_SYNC, &deadline()).await.unwrap();
    let err = client
        .update_client(HR_SYNC, &c.to_request(), &deadline())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(sim.control().call_count(put), 1);
}

/// Regenerates HR sync's secret with `rule` applied once; the call must fail.
async fn regenerate_failing(
    client: &credguard::genesys::GenesysClient,
    ctl: &genesys_sim::SimControl,
    rule: FaultRule,
) -> GenesysError {
    ctl.add_fault(rule.times(1)).unwrap();
    client
        .regenerate_secret(HR_SYNC, &deadline())
        .await
        .unwrap_err()
}

#[tokio::test]
async fn regenerate_is_never_retried_and_unknown_outcomes_are_reported() {
    let sim = sim(SimConfig::default()).await;
    let client = admin_client(&sim, fast_options());
    let ctl = sim.control();

    let err = regenerate_failing(&client, &ctl, FaultRule::status(SECRET, 503)).await;
    assert!(matches!(err, GenesysError::OutcomeUnknown { .. }), "{err}");
    assert_eq!(ctl.call_count(SECRET), 1);

    let err =
        regenerate_failing(&client, &ctl, FaultRule::status(SECRET, 429).retry_after(1)).await;
    assert!(matches!(err, GenesysError::RateLimited { .. }), "{err}");
    assert_eq!(ctl.call_count(SECRET), 2);
    assert_eq!(ctl.regenerations(HR_SYNC), 0);

    // Applied, then the connection dropped: the secret changed and we were not told.
    let err = regenerate_failing(
        &client,
        &ctl,
        FaultRule::new(SECRET, FaultMode::DropAfterApply),
    )
    .await;
    assert!(matches!(err, GenesysError::OutcomeUnknown { .. }), "{err}");
    assert_eq!(ctl.call_count(SECRET), 3);
    assert_eq!(ctl.regenerations(HR_SYNC), 1);

    // Without faults: one call, the new secret is returned and is the client's current secret.
    let c = client
        .regenerate_secret(HR_SYNC, &deadline())
        .await
        .unwrap();
    let secret = c.secret.unwrap();
    assert!(ctl.check_secret(HR_SYNC, secret.expose_secret()).current);
    assert_eq!(ctl.call_count(SECRET), 4);
}

#[tokio::test]
async fn a_long_retry_after_holds_the_next_call_back_without_sending_it() {
    let sim = sim(SimConfig::default()).await;
    let client = admin_client(&sim, fast_options());
    let ctl = sim.control();
    let err = regenerate_failing(
        &client,
        &ctl,
        FaultRule::status(SECRET, 429).retry_after(300),
    )
    .await;
    assert!(matches!(err, GenesysError::RateLimited { .. }), "{err}");

    // The next call of this warm client, with far less time than the 300 s asked for: it
    // fails at once, says why, and sends nothing before Genesys's Retry-After has passed.
    let started = Instant::now();
    let err = client
        .get_client(HR_SYNC, &Deadline::after(Duration::from_secs(250)))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1), "fails fast");
    assert!(matches!(err, GenesysError::HeldBack { .. }), "{err}");
    assert_eq!(err.kind(), "GenesysRateLimited");
    assert!(
        err.retry_after().unwrap() > Duration::from_secs(290),
        "{err}"
    );
    assert_eq!(ctl.call_count(GET_CLIENT), 0, "nothing sent early");
}

#[tokio::test]
async fn calls_respect_the_callers_deadline() {
    let sim = sim(SimConfig::default()).await;
    let client = admin_client(&sim, fast_options());
    client.get_client(HR_SYNC, &deadline()).await.unwrap();
    sim.control()
        .add_fault(FaultRule::new(GET_CLIENT, FaultMode::Latency).latency_ms(5_000))
        .unwrap();
    let started = Instant::now();
    let err = client
        .get_client(HR_SYNC, &Deadline::after(Duration::from_millis(800)))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(
            err,
            GenesysError::DeadlineExceeded { .. } | GenesysError::Transport { .. }
        ),
        "{err}"
    );
    sim.control().clear_faults();

    // A Retry-After the budget cannot afford is not waited for.
    sim.control()
        .add_fault(FaultRule::status(GET_CLIENT, 429).retry_after(10).times(1))
        .unwrap();
    let started = Instant::now();
    let err = client
        .get_client(HR_SYNC, &Deadline::after(Duration::from_secs(3)))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(matches!(err, GenesysError::RateLimited { .. }), "{err}");
}

#[tokio::test]
async fn listings_follow_next_uri_and_roles_resolve_in_batches() {
    let mut seed = Seed::demo();
    let mut role_ids = Vec::new();
    for i in 0..230 {
        let id = format!("00000000-0000-4000-8000-{i:012}");
        seed = seed.role(&id, &format!("bulk role {i}"), &["analytics:report:view"]);
        role_ids.push(id);
    }
    let config = SimConfig {
        clients_list_page_size: Some(2),
        ..SimConfig::default()
    };
    let sim = genesys_sim::start(config, seed.clone()).await.unwrap();
    let client = admin_client(&sim, fast_options());

    let clients = client.list_clients(&deadline()).await.unwrap();
    assert_eq!(clients.len(), seed.clients.len());
    assert!(sim.control().call_count("GET /api/v2/oauth/clients") >= 3);

    role_ids.push("ffffffff-0000-4000-8000-000000000000".into()); // unknown: simply absent
    let roles = client.roles_by_id(&role_ids, &deadline()).await.unwrap();
    assert_eq!(roles.len(), 230);
    assert!(roles
        .iter()
        .all(|r| r.permissions == ["analytics:report:view"]));
    // 231 ids: batches of 100, 100 and 31 repeated `id` parameters.
    assert_eq!(
        sim.control().call_count("GET /api/v2/authorization/roles"),
        3
    );
}

#[tokio::test]
async fn client_lifecycle_create_disable_delete() {
    let sim = sim(SimConfig::default()).await;
    let client = admin_client(&sim, fast_options());
    let d = deadline();
    let admin = client
        .get_client(credguard_testkit::ADMIN_CLIENT_ID, &d)
        .await
        .unwrap();
    let req = OAuthClientRequest {
        name: "partner-test".into(),
        authorized_grant_type: GrantType::ClientCredentials,
        access_token_validity_seconds: Some(600),
        description: None,
        registered_redirect_uri: vec![],
        role_ids: vec![],
        scope: vec![],
        role_divisions: vec![RoleDivision {
            role_id: admin.role_divisions[0].role_id.clone(),
            division_id: admin.role_divisions[0].division_id.clone(),
        }],
        state: None,
        date_to_delete: None,
    };
    let created = client.create_client(&req, &d).await.unwrap();
    let secret = created.secret.clone().unwrap();
    assert!(client
        .get_client(&created.id, &d)
        .await
        .unwrap()
        .secret
        .is_none());

    let creds = credguard::genesys::ClientCredentials {
        client_id: created.id.clone(),
        client_secret: secret,
    };
    let proof = client.verify_credentials(&creds, &d).await.unwrap();
    assert_eq!(proof.client_id.as_deref(), Some(created.id.as_str()));
    assert_eq!(proof.expires_in_seconds, 600);
    assert_eq!(sim.control().call_count("DELETE /api/v2/tokens/me"), 1);

    // The lookup fails (retries exhausted): the proof token is revoked all the same.
    sim.control()
        .add_fault(FaultRule::status("GET /api/v2/tokens/me", 503))
        .unwrap();
    assert!(client.verify_credentials(&creds, &d).await.is_err());
    sim.control().clear_faults();
    assert_eq!(sim.control().call_count("DELETE /api/v2/tokens/me"), 2);

    let mut disable = created.to_request();
    disable.state = Some(ClientState::Disabled);
    let updated = client
        .update_client(&created.id, &disable, &d)
        .await
        .unwrap();
    assert_eq!(updated.state(), ClientState::Disabled);
    assert!(client.verify_credentials(&creds, &d).await.is_err());
}

#[tokio::test]
async fn user_tokens_and_presented_tokens() {
    let sim = sim(SimConfig::default()).await;
    let client = admin_client(&sim, fast_options());
    let d = deadline();
    let seed = Seed::demo();
    let user = &seed.users[0];
    let user_id = user.id.clone();

    let u = client
        .get_user(
            &user_id,
            &[UserExpand::Authorization, UserExpand::LastTokenIssued],
            &d,
        )
        .await
        .unwrap();
    assert_eq!(u.id, user_id);
    assert!(u.authorization.is_some());
    let scim = client.get_scim_user(&user_id, &d).await.unwrap();
    assert_eq!(scim.id, user_id);

    let t1 = SecretString::from(
        sim.control()
            .mint_user_token(&user_id)
            .unwrap()
            .access_token,
    );
    let t2 = SecretString::from(
        sim.control()
            .mint_user_token(&user_id)
            .unwrap()
            .access_token,
    );
    assert!(client.token_info(&t1, &d).await.is_ok());
    // Looking at a (leaked) token must not reset its idle timer.
    let info = client.token_info(&t1, &d).await.unwrap();
    assert!(info.organization.is_some());
    let looked = sim
        .control()
        .calls()
        .calls
        .into_iter()
        .filter(|c| c.operation == "GET /api/v2/tokens/me")
        .collect::<Vec<_>>();
    assert!(!looked.is_empty());
    assert!(looked
        .iter()
        .all(|c| c.query.as_deref() == Some("preserveIdleTTL=true")));
    let (outcome, receipt) = client.revoke_token(&t1, &d).await.unwrap();
    assert_eq!(outcome, TokenRevocation::Revoked);
    assert!(receipt.correlation_id.is_some());
    assert!(client.token_info(&t1, &d).await.is_err());
    assert_eq!(
        client.revoke_token(&t1, &d).await.unwrap().0,
        TokenRevocation::AlreadyInvalid
    );

    assert!(client.token_info(&t2, &d).await.is_ok());
    client.revoke_user_tokens(&user_id, &d).await.unwrap();
    assert!(client.token_info(&t2, &d).await.is_err());

    let err = client
        .get_user("00000000-0000-4000-8000-00000000dead", &[], &d)
        .await
        .unwrap_err();
    assert!(err.is_not_found());
}

#[tokio::test]
async fn missing_permission_is_a_403_with_genesys_code() {
    let seed = Seed::demo()
        .role(
            "11111111-0000-4000-8000-000000000001",
            "viewer",
            &["oauth:client:view"],
        )
        .client(
            SeedClient::client_credentials(
                Some("11111111-0000-4000-8000-0000000000c1"),
                "viewer",
                "viewer-secret-value",
            )
            .with_role("11111111-0000-4000-8000-000000000001"),
        );
    let sim = genesys_sim::start(SimConfig::default(), seed)
        .await
        .unwrap();
    let client = client_as(
        &sim,
        "11111111-0000-4000-8000-0000000000c1",
        "viewer-secret-value",
        fast_options(),
    );
    let err = client
        .revoke_user_tokens("e5e50000-0001-4f00-9000-000000000001", &deadline())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert_eq!(err.code(), Some("missing.any.permissions"));
    assert!(err.correlation_id().is_some());
}

#[tokio::test]
async fn org_usage_through_jobs_and_fallback() {
    let today = chrono::Utc::now().date_naive();
    let seed = Seed::demo();
    let sim = genesys_sim::start(
        SimConfig {
            usage_polls_before_complete: 2,
            ..SimConfig::default()
        },
        seed.clone(),
    )
    .await
    .unwrap();
    let client = admin_client(&sim, fast_options());
    let window = UsageWindow::last_days(30, today, UsageApi::Jobs);
    let by_jobs = client.org_usage(&window, &deadline()).await.unwrap();
    assert!(!by_jobs.is_empty());
    assert!(
        sim.control()
            .call_count("GET /api/v2/usage/aggregates/query/jobs/{jobId}")
            >= 3
    );

    // The same numbers through the older org query.
    let legacy = client
        .org_usage(
            &UsageWindow {
                api: UsageApi::Legacy,
                ..window.clone()
            },
            &deadline(),
        )
        .await
        .unwrap();
    let org_clients: Vec<String> = seed.clients.iter().filter_map(|c| c.id.clone()).collect();
    for id in &org_clients {
        assert_eq!(by_jobs.get(id), legacy.get(id), "client {id}");
    }

    // Auto falls back to the older query when the jobs API is forbidden.
    sim.control()
        .add_fault(FaultRule::status(
            "POST /api/v2/usage/aggregates/query/jobs",
            403,
        ))
        .unwrap();
    let auto = client
        .org_usage(
            &UsageWindow {
                api: UsageApi::Auto,
                ..window.clone()
            },
            &deadline(),
        )
        .await
        .unwrap();
    for id in &org_clients {
        assert_eq!(auto.get(id), legacy.get(id));
    }
}

/// A simulator allowing `per_window` requests per 2 s window.
async fn sim_limited_to(per_window: u32) -> genesys_sim::SimHandle {
    sim(SimConfig {
        rate_limit_per_minute: per_window,
        rate_limit_window_seconds: 2,
        ..SimConfig::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_work_is_paced_below_the_rate_limit() {
    let sim = sim_limited_to(20).await;
    let client = admin_client(&sim, fast_options());
    let d = deadline();
    let started = Instant::now();
    let results = join_all((0..50).map(|_| client.get_client(HR_SYNC, &d))).await;
    assert!(results.iter().all(Result::is_ok));
    let throttled = sim.control().answered_with(429);
    assert_eq!(throttled, 0, "the pacer kept every request under the limit");
    assert!(client.stats().paced_waits > 0);
    // 50 requests at 20 per 2 s window need at least two window resets.
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

/// The shape of a bulk revocation: 8 workers in flight, each making calls one after another.
/// Responses come back out of order; the pacer must hold requests back before the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_sequential_workers_stay_under_a_tight_limit() {
    let sim = sim_limited_to(18).await;
    let client = admin_client(&sim, fast_options());
    let d = deadline();
    let worker = |_: usize| async {
        for _ in 0..8 {
            client.get_client(HR_SYNC, &d).await.unwrap();
        }
    };
    join_all((0..8).map(worker)).await;
    let throttled = sim.control().answered_with(429);
    assert_eq!(throttled, 0, "held back before the limit, not after");
}

#[tokio::test]
async fn integration_credentials_are_listed_across_pages() {
    use credguard::ports::genesys::IntegrationCredentials;
    let mut seed = Seed::demo();
    let before = seed.integration_credentials.len();
    for i in 0..230 {
        seed = seed.credential(genesys_sim::SeedCredential::oauth_client(
            &format!("1c3d5e7f-0000-4a2b-8c9d-{i:012}"),
            &format!("bulk-{i}"),
            "c0ffee00-0002-4a5b-8c6d-000000000002",
            "DEMO-ONLY-not-a-real-secret-hr-sync",
        ));
    }
    let sim = genesys_sim::start(SimConfig::default(), seed)
        .await
        .unwrap();
    let client = admin_client(&sim, fast_options());
    let listed = client.list_credentials(&deadline()).await.unwrap();
    assert_eq!(listed.len(), before + 230);
    let pages = (before + 230).div_ceil(100) as u64;
    assert_eq!(
        sim.control()
            .call_count("GET /api/v2/integrations/credentials"),
        pages
    );
}

#[tokio::test]
async fn audit_queries_poll_then_follow_the_cursor_and_name_the_caller() {
    use credguard::genesys::models::{AuditQueryFilter, AuditQueryRequest};
    use credguard::ports::audit_trail::AuditTrail;
    let sim = sim(SimConfig {
        rate_limit_per_minute: 10_000,
        ..SimConfig::default()
    })
    .await;
    let client = admin_client(&sim, fast_options());
    let d = deadline();
    // 501 resets: two pages of up to 500.
    for _ in 0..501 {
        client.regenerate_secret(HR_SYNC, &d).await.unwrap();
    }
    let now = sim.control().now();
    let query = AuditQueryRequest {
        interval: format!(
            "{}/{}",
            (now - chrono::Duration::hours(1)).to_rfc3339(),
            (now + chrono::Duration::hours(1)).to_rfc3339()
        ),
        service_name: Some("PeoplePermissions".into()),
        filters: vec![AuditQueryFilter {
            property: "EntityType".into(),
            value: "OAuthClient".into(),
        }],
        sort: vec![],
    };
    sim.control().clear_calls();
    let messages = client.audit_messages(&query, &d).await.unwrap();
    assert_eq!(messages.len(), 501);
    let counts = sim.control().calls().counts;
    let n = |op: &str| counts.get(op).copied().unwrap_or(0);
    assert_eq!(n("POST /api/v2/audits/query"), 1);
    assert_eq!(
        n("GET /api/v2/audits/query/{transactionId}"),
        2,
        "Running, Succeeded"
    );
    assert_eq!(n("GET /api/v2/audits/query/{transactionId}/results"), 2);
    let m = &messages[0];
    assert_eq!(m.action.as_deref(), Some("Update"));
    assert_eq!(
        m.entity.as_ref().and_then(|e| e.id.as_deref()),
        Some(HR_SYNC)
    );
    assert_eq!(
        m.client.as_ref().and_then(|c| c.id.as_deref()),
        Some(credguard_testkit::ADMIN_CLIENT_ID)
    );
    assert!(m.event_date.is_some());
    assert_eq!(m.property_changes[0].property.as_deref(), Some("secret"));
    assert_eq!(
        client.acting_client_id().await.unwrap(),
        credguard_testkit::ADMIN_CLIENT_ID
    );

    // An interval over 30 days is refused by the service (a 400, not retried).
    let long = AuditQueryRequest {
        interval: "2026-01-01T00:00:00Z/2026-03-01T00:00:00Z".into(),
        ..query.clone()
    };
    let e = client.audit_messages(&long, &d).await.unwrap_err();
    assert_eq!(e.status(), Some(400));
}

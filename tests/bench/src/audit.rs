//! `make bench` section `audit`: one nightly run over 1,000 and over 10,000 seeded clients,
//! through the real handler, against the simulator and moto. Each size runs in its own child
//! process, and the simulator in another, so the peak RSS printed is the audit's own.
//!
//! Figures: wall time of the invocation, Genesys HTTP requests (the client's own counters, and
//! the simulator's count of the audit trail's), DynamoDB requests (the adapter's counter), peak
//! RSS (`VmHWM`) of the audit process. Before the run an operator resets the secrets of
//! [`TRAIL_EVENTS`] clients, so the audit trail holds that many events at both sizes: the
//! Genesys calls depend on the events (one result page per 500), not on the clients.

use credguard::audit::permissions::AUDIT_NEEDS;
use credguard::audit::AuditConfig;
use credguard::aws::secretsmanager::SecretsManager;
use credguard::config::CommonConfig;
use credguard::credential::{TAG_CLIENT_ID, TAG_MANAGED};
use credguard::redact::SecretString;
use credguard_testkit::events::EventTap;
use credguard_testkit::{aws, create_records_table, unique};
use futures::StreamExt;
use genesys_sim::{RoleDivision, Seed, SeedClient, SeedUsageRow, SimConfig};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ADMIN_ID: &str = "be0c0000-0000-4000-8000-000000000001";
const ADMIN_SECRET: &str = "bench-only-admin-secret";
const ROLES: [(&str, &str, &[&str]); 5] = [
    (
        "be0c0000-0000-4000-9000-000000000001",
        "Reader",
        &["directory:user:view"],
    ),
    (
        "be0c0000-0000-4000-9000-000000000002",
        "Reporting",
        &["analytics:*:view", "routing:queue:view"],
    ),
    (
        "be0c0000-0000-4000-9000-000000000003",
        "Client Manager",
        &["oauth:client:edit", "oauth:client:view"],
    ),
    (
        "be0c0000-0000-4000-9000-000000000004",
        "Sync",
        &["directory:user:edit", "directory:group:view"],
    ),
    (
        "be0c0000-0000-4000-9000-000000000005",
        "Master Admin",
        &["*:*:*"],
    ),
];
const AUDITOR: &str = "be0c0000-0000-4000-9000-0000000000aa";
/// A person's tool that resets secrets before the run (the trail's events).
const OPERATOR_ID: &str = "be0c0000-0000-4000-8000-000000000002";
const OPERATOR_SECRET: &str = "bench-only-operator-secret";
/// Secret resets in the audit trail of the run: two result pages of 500 (and one more for the
/// token deletions query, which finds none).
const TRAIL_EVENTS: usize = 600;
/// Managed secrets per run (the synthetic org's first clients).
const MANAGED: usize = 25;

fn client_id(i: usize) -> String {
    format!("5e7e0000-0000-4000-8000-{i:012x}")
}

/// The org: an auditor client plus `n` synthetic clients over five roles, 70% of them with
/// traffic on two days of the last 90.
fn seed(n: usize) -> Seed {
    let mut s = Seed::new("Bench Org").role(AUDITOR, "Auditor", AUDIT_NEEDS);
    for (id, name, perms) in ROLES {
        s = s.role(id, name, perms);
    }
    let home = s.home_division_id().unwrap_or_default().to_owned();
    s = s
        .client(
            SeedClient::client_credentials(Some(ADMIN_ID), "credguard audit", ADMIN_SECRET)
                .with_role(AUDITOR),
        )
        .client(
            SeedClient::client_credentials(Some(OPERATOR_ID), "operator tool", OPERATOR_SECRET)
                .with_role(ROLES[2].0),
        );
    s = s.synthetic_clients(n, ROLES[0].0);
    for (i, c) in s.clients.iter_mut().skip(2).enumerate() {
        c.id = Some(client_id(i));
        // Mostly readers and reporting, some client managers, a rare admin.
        let role = match i % 500 {
            0 => 4,
            x if x % 50 == 1 => 2,
            x => [0, 1, 3][x % 3],
        };
        c.role_divisions = vec![RoleDivision {
            role_id: ROLES[role].0.into(),
            division_id: if i % 4 == 0 { "*".into() } else { home.clone() },
        }];
    }
    for i in 0..n {
        if i % 10 < 7 {
            s = s
                .usage_row(SeedUsageRow::new(
                    1 + (i % 60) as i64,
                    &client_id(i),
                    "x",
                    40,
                ))
                .usage_row(SeedUsageRow::new(
                    61 + (i % 25) as i64,
                    &client_id(i),
                    "x",
                    5,
                ));
        }
    }
    s
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// The operator resets `TRAIL_EVENTS` clients' secrets (the audit trail of the run).
async fn reset_secrets(api: &str, login: &str, n: usize) {
    let http = reqwest::Client::new();
    let grant: Value = http
        .post(format!("{login}/oauth/token"))
        .basic_auth(OPERATOR_ID, Some(OPERATOR_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("token JSON");
    let token = grant["access_token"].as_str().expect("token").to_owned();
    let resets = (0..TRAIL_EVENTS.min(n)).map(|i| {
        let (http, token) = (&http, &token);
        async move {
            let r = http
                .post(format!(
                    "{api}/api/v2/oauth/clients/{}/secret",
                    client_id(i)
                ))
                .bearer_auth(token)
                .send()
                .await
                .expect("reset");
            assert!(r.status().is_success(), "reset {i}: {}", r.status());
        }
    });
    futures::stream::iter(resets)
        .buffer_unordered(8)
        .collect::<Vec<()>>()
        .await;
}

/// Child: hosts the simulator until its stdin closes.
async fn sim_host(n: usize) {
    let config = SimConfig {
        // The operator's resets come fast; the audit's own calls stay far below Genesys's limit.
        rate_limit_per_minute: 100_000,
        ..SimConfig::default()
    };
    let sim = genesys_sim::start(config, seed(n))
        .await
        .expect("simulator starts");
    reset_secrets(&sim.api_url(), &sim.login_url(), n).await;
    println!(
        "{}",
        json!({"api": sim.api_url(), "login": sim.login_url()})
    );
    let _ = tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
    })
    .await;
    sim.shutdown().await;
}

/// Child: one audit run through the handler; prints its figures as one JSON line.
async fn audit_child(n: usize, api: &str, login: &str) {
    let aws = aws().await;
    let table = unique("bench-audit");
    create_records_table(&aws, &table).await;
    let bus = unique("bench-audit-bus");
    let tap = EventTap::new(&aws, &bus, credguard_audit::EVENT_SOURCE).await;
    let prefix = format!("{}/", unique("bench-audit"));
    let sm = SecretsManager::new(&aws);
    let admin_secret = format!("{prefix}admin");
    let doc = json!({"clientId": ADMIN_ID, "clientSecret": ADMIN_SECRET, "apiBaseUrl": api, "loginBaseUrl": login});
    sm.create(&admin_secret, &SecretString::from(doc.to_string()), &[])
        .await
        .expect("admin secret");
    for i in 0..MANAGED.min(n) {
        let id = client_id(i);
        let value = json!({"clientId": id, "clientSecret": format!("synthetic-secret-{i}")});
        sm.create(
            &format!("{prefix}client-{i}"),
            &SecretString::from(value.to_string()),
            &[(TAG_MANAGED, "true"), (TAG_CLIENT_ID, id.as_str())],
        )
        .await
        .expect("managed secret");
    }
    let common = CommonConfig::from_env(
        &[
            ("GENESYS_API_BASE_URL", api),
            ("GENESYS_LOGIN_BASE_URL", login),
            ("GENESYS_ADMIN_SECRET_ID", admin_secret.as_str()),
            ("RECORDS_TABLE_NAME", table.as_str()),
            ("EVENT_BUS_NAME", bus.as_str()),
        ][..],
    )
    .expect("config");
    let config = AuditConfig::from_env(&[("AUDIT_SECRET_NAME_PREFIX", prefix.as_str())][..])
        .expect("audit config");
    let mut deps = credguard_audit::wire(&aws, &common, config).expect("wiring");
    deps.deadline_margin = Duration::from_secs(5);
    let http = reqwest::Client::new();
    http.delete(format!("{api}/__sim/calls"))
        .send()
        .await
        .expect("clear the simulator's call log");
    let rss_before = vm_hwm_kib();
    let ddb_before = deps.records.request_count();
    let started = Instant::now();
    let payload = json!({"scheduledTime": "2026-11-21T02:00:00Z"});
    // The Lambda limit: 15 minutes.
    let summary = credguard_audit::handler(
        &deps,
        credguard_audit::invocation(payload, Duration::from_secs(900)),
    )
    .await
    .expect("audit run completes");
    let wall = started.elapsed();
    let stats = deps.genesys.stats();
    let events = tap.drain().await.len();
    let calls: Value = http
        .get(format!("{api}/__sim/calls"))
        .send()
        .await
        .expect("call log")
        .json()
        .await
        .expect("call log JSON");
    let trail_requests: u64 = calls["counts"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(op, _)| op.contains("/api/v2/audits/query"))
        .filter_map(|(_, n)| n.as_u64())
        .sum();
    println!(
        "{}",
        json!({
            "clients": n,
            "wallMs": wall.as_millis() as u64,
            "genesysRequests": stats.attempts,
            "trailRequests": trail_requests,
            "tokenGrants": stats.token_grants,
            "retries": stats.retries,
            "dynamodbRequests": deps.records.request_count() - ddb_before,
            "rssBeforeKiB": rss_before,
            "peakRssKiB": vm_hwm_kib(),
            "findings": summary["findingsTotal"],
            "outcome": summary["outcome"],
            "events": events,
        })
    );
}

fn spawn(args: &[String]) -> std::process::Child {
    let exe = std::env::current_exe().expect("own path");
    Command::new(exe)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn child")
}

fn first_json_line(child: &mut std::process::Child) -> Value {
    let out = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(out).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    if v.is_object() {
                        return v;
                    }
                }
            }
            _ => panic!("child ended without a result line"),
        }
    }
}

fn measure(n: usize) -> Value {
    let mut sim = spawn(&["audit".into(), "--audit-sim-host".into(), n.to_string()]);
    let urls = first_json_line(&mut sim);
    let mut child = spawn(&[
        "audit".into(),
        "--audit-child".into(),
        n.to_string(),
        urls["api"].as_str().unwrap_or_default().into(),
        urls["login"].as_str().unwrap_or_default().into(),
    ]);
    let result = first_json_line(&mut child);
    let _ = child.wait();
    // Closing its stdin stops the simulator host.
    drop(sim.stdin.take());
    let _ = sim.wait();
    result
}

pub async fn run() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    if let Some(i) = args.iter().position(|a| a == "--audit-sim-host") {
        sim_host(arg(i + 1).parse().unwrap_or(1_000)).await;
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--audit-child") {
        audit_child(
            arg(i + 1).parse().unwrap_or(1_000),
            &arg(i + 2),
            &arg(i + 3),
        )
        .await;
        return;
    }
    println!("== audit (one nightly run through the handler; simulator + moto; each size in its own process)");
    println!(
        "{:>8} {:>10} {:>9} {:>7} {:>9} {:>12} {:>10} {:>9} {:>8}",
        "clients",
        "wall",
        "genesys",
        "trail",
        "dynamodb",
        "peak RSS",
        "RSS before",
        "findings",
        "events"
    );
    for n in [1_000, 10_000] {
        let r = tokio::task::spawn_blocking(move || measure(n))
            .await
            .expect("measure");
        let n_of = |v: &Value| v.as_u64().unwrap_or(0);
        let mib = |k: &Value| format!("{:.1} MiB", k.as_u64().unwrap_or(0) as f64 / 1024.0);
        println!(
            "{:>8} {:>10} {:>9} {:>7} {:>9} {:>12} {:>10} {:>9} {:>8}",
            n,
            format!("{:.2} s", r["wallMs"].as_u64().unwrap_or(0) as f64 / 1000.0),
            n_of(&r["genesysRequests"]),
            n_of(&r["trailRequests"]),
            n_of(&r["dynamodbRequests"]),
            mib(&r["peakRssKiB"]),
            mib(&r["rssBeforeKiB"]),
            n_of(&r["findings"]),
            n_of(&r["events"]),
        );
    }
    println!("genesys = HTTP requests to the API host (plus 1 token grant); trail = those of the audit trail");
    println!("({TRAIL_EVENTS} events: 2 queries, each submit + status polls + one page per 500); dynamodb = requests of the run");
    println!("(batched writes of 25 items); peak RSS = VmHWM of the audit process (simulator in another);");
    println!("RSS before = VmHWM after setup, before the run; events = finding events (capped) + summary");
}

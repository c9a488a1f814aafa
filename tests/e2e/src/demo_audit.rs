//! `make demo`, audit part: a nightly audit of the demo org through the real handler, then the
//! findings read back from DynamoDB and printed by severity.

use credguard::audit::AuditConfig;
use credguard::aws::secretsmanager::SecretsManager;
use credguard::config::{CommonConfig, ProcessEnv};
use credguard::credential::{TAG_CLIENT_ID, TAG_MANAGED};
use credguard::genesys::region::Endpoints;
use credguard::ports::records::{Item, Query, RecordStore};
use credguard::redact::SecretString;
use genesys_sim::demo::{HR_SYNC, REPORTS};
use serde_json::{json, Value};
use std::time::Duration;

/// A client the demo org does not have (deleted long ago).
const GONE: &str = "c0ffee00-00ff-4a5b-8c6d-0000000000ff";

fn text(i: &Item, k: &str) -> String {
    i.get(k).and_then(Value::as_str).unwrap_or("").to_owned()
}

/// Managed secrets for the demo: two held clients (one whose last rotation failed) and one
/// pointing at a client that no longer exists. Values are the demo's fake secrets.
async fn managed_secrets(sm: &SecretsManager, records: &impl RecordStore) {
    for (name, client, secret) in [
        (
            "credguard/demo-audit/hr-sync",
            HR_SYNC,
            "DEMO-ONLY-not-a-real-secret-hr-sync",
        ),
        (
            "credguard/demo-audit/reports",
            REPORTS,
            "DEMO-ONLY-not-a-real-secret-reports",
        ),
        (
            "credguard/demo-audit/legacy-crm",
            GONE,
            "DEMO-ONLY-not-a-real-secret-legacy-crm",
        ),
    ] {
        let value = json!({"schemaVersion": 1, "clientId": client, "clientSecret": secret, "region": "us-east-1"});
        if let Err(e) = sm
            .create(
                name,
                &SecretString::from(value.to_string()),
                &[(TAG_MANAGED, "true"), (TAG_CLIENT_ID, client)],
            )
            .await
        {
            println!("  (secret {name}: {e})");
        }
    }
    // What the rotation function records after a failed attempt.
    let started = credguard::records::iso(chrono::Utc::now() - chrono::Duration::hours(1));
    let item = json!({
        "pk": "SECRET#credguard/demo-audit/reports", "sk": "ROTATION#demo-failed-attempt",
        "gsi1pk": "SECRET#credguard/demo-audit/reports#ROTATIONS", "gsi1sk": started,
        "recordType": "rotation", "outcome": "failed", "startedAt": started,
        "errorCode": "GenesysForbidden",
    });
    if let Some(item) = item.as_object() {
        let _ = records
            .put(item.clone(), credguard::ports::records::Condition::Always)
            .await;
    }
}

pub async fn run(endpoints: &Endpoints, admin_secret: &str, table: &str) {
    println!("\n== audit: nightly inventory of the demo org");
    let aws = credguard_testkit::aws().await;
    let api = endpoints.api.as_str().trim_end_matches('/').to_owned();
    let login = endpoints.login.as_str().trim_end_matches('/').to_owned();
    let common = CommonConfig::from_env(
        &[
            ("GENESYS_API_BASE_URL", api.as_str()),
            ("GENESYS_LOGIN_BASE_URL", login.as_str()),
            ("GENESYS_ADMIN_SECRET_ID", admin_secret),
            ("RECORDS_TABLE_NAME", table),
        ][..],
    )
    .expect("demo configuration");
    let config = AuditConfig::from_env(&ProcessEnv).expect("audit configuration");
    let deps = credguard_audit::wire(&aws, &common, config).expect("wiring");
    managed_secrets(&SecretsManager::new(&aws), &deps.records).await;

    let scheduled = credguard::records::iso(chrono::Utc::now());
    let payload = json!({"scheduledTime": scheduled, "scheduleArn": "arn:aws:scheduler:us-east-1:000000000000:schedule/default/credguard-audit-nightly"});
    let event = credguard_audit::invocation(payload.clone(), Duration::from_secs(300));
    let summary = match credguard_audit::handler(&deps, event).await {
        Ok(s) => s,
        Err(e) => {
            println!("audit run did not complete: {e}");
            return;
        }
    };
    let run_id = summary["runId"].as_str().unwrap_or_default().to_owned();

    // Read the findings back from DynamoDB, as an auditor's export would.
    let mut findings: Vec<Item> = Vec::new();
    let mut cursor = None;
    loop {
        let page = deps
            .records
            .query(Query {
                pk: format!("AUDIT#{run_id}"),
                sk_prefix: Some("FINDING#".into()),
                cursor,
                ..Query::default()
            })
            .await
            .expect("query findings");
        findings.extend(page.items);
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let rank = |s: &str| {
        ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"]
            .iter()
            .position(|x| *x == s)
    };
    findings.sort_by_key(|f| {
        (
            rank(&text(f, "severity")),
            text(f, "code"),
            text(f, "subject"),
        )
    });
    println!(
        "\n{:<9} {:<30} {:<34} evidence",
        "severity", "code", "client / secret / credential"
    );
    for f in &findings {
        let who = match text(f, "subjectType").as_str() {
            "secret" => text(f, "secretName"),
            "credential" => text(f, "credentialName"),
            _ => text(f, "clientName"),
        };
        let evidence: String = text(f, "evidence").chars().take(70).collect();
        println!(
            "{:<9} {:<30} {:<34} {}",
            text(f, "severity"),
            text(f, "code"),
            who.chars().take(33).collect::<String>(),
            evidence
        );
    }
    let by = &summary["findingsBySeverity"];
    println!(
        "\nrun {run_id}: {} outcome, {} clients, {} managed secrets, findings CRITICAL {} HIGH {} MEDIUM {} LOW {} INFO {}; {} Genesys requests, {} DynamoDB requests, {} ms",
        summary["outcome"].as_str().unwrap_or("?"),
        summary["clientsSeen"],
        summary["managedSecretsSeen"],
        by["CRITICAL"], by["HIGH"], by["MEDIUM"], by["LOW"], by["INFO"],
        summary["genesysRequests"],
        summary["dynamodbRequests"],
        summary["durationMs"],
    );

    // The schedule fires again the same day (a retry): nothing is redone.
    let again = credguard_audit::handler(
        &deps,
        credguard_audit::invocation(payload, Duration::from_secs(60)),
    )
    .await;
    if let Ok(again) = again {
        println!(
            "same run again: alreadyComplete = {} (nothing rewritten, nothing re-announced)",
            again["alreadyComplete"]
        );
    }
}

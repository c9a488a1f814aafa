//! Demo: a scheduled sweep rotates seeded clients with both strategies; per secret, the
//! versions and clients before and after, and the outcome read back from DynamoDB.

use crate::{DemoStack, TABLE};
use credguard::aws::dynamodb::DynamoRecords;
use credguard::credential::{TAG_CLIENT_ID, TAG_MANAGED, TAG_ROTATED_AT};
use credguard::ports::secrets::{SecretStore, VersionRef, AWSCURRENT};
use credguard::records::rotation::RotationRecords;
use credguard::redact::{ExposeSecret, SecretString};
use serde_json::{json, Value};

struct Managed {
    name: &'static str,
    client: &'static str,
    secret: &'static str,
    rotation: Value,
}

pub async fn run(stack: &DemoStack) {
    println!("\n== rotation: a scheduled sweep over the managed secrets");
    let managed = [
        Managed {
            name: "credguard/data-actions",
            client: "c0ffee00-0008-4a5b-8c6d-000000000008",
            secret: "DEMO-ONLY-not-a-real-secret-data-actions",
            rotation: json!({"strategy": "regenerate", "maxAgeDays": 30}),
        },
        Managed {
            name: "credguard/nightly-reports",
            client: "c0ffee00-0003-4a5b-8c6d-000000000003",
            secret: "DEMO-ONLY-not-a-real-secret-reports",
            rotation: json!({"strategy": "regenerate", "maxAgeDays": 30, "integrationCredentials": []}),
        },
        Managed {
            name: "credguard/hr-directory-sync",
            client: "c0ffee00-0002-4a5b-8c6d-000000000002",
            secret: "DEMO-ONLY-not-a-real-secret-hr-sync",
            rotation: json!({"strategy": "alternating", "partnerClientId": "c0ffee00-0004-4a5b-8c6d-000000000004", "integrationCredentials": []}),
        },
    ];
    let mut before = Vec::new();
    for m in &managed {
        let doc = json!({
            "schemaVersion": 1, "clientId": m.client, "clientSecret": m.secret,
            "apiBaseUrl": stack.endpoints.api.as_str(), "loginBaseUrl": stack.endpoints.login.as_str(),
            "rotation": m.rotation,
        });
        stack
            .sm
            .create(
                m.name,
                &SecretString::from(doc.to_string()),
                &[
                    (TAG_MANAGED, "true"),
                    (TAG_CLIENT_ID, m.client),
                    (TAG_ROTATED_AT, "2026-09-01T00:00:00.000Z"),
                ],
            )
            .await
            .expect("create a managed secret");
        before.push(
            stack
                .sm
                .describe(m.name)
                .await
                .expect("describe")
                .version_with_stage(AWSCURRENT)
                .map(str::to_owned),
        );
    }
    println!(
        "seeded {} managed secrets, last rotated 2026-09-01 (due)",
        managed.len()
    );
    crate::demo_cli::adopt_and_plan(stack);

    let event: Value = serde_json::from_str(include_str!(
        "../../../functions/rotation/tests/fixtures/eventbridge-scheduled-event.json"
    ))
    .expect("fixture");
    let report = stack
        .functions
        .invoke("rotation", &event)
        .await
        .expect("the sweep runs");
    println!(
        "sweep: examined {}, rotated {}, retired {}, failed {}",
        report["examined"], report["rotated"], report["retired"], report["failed"]
    );
    for s in report["secrets"].as_array().into_iter().flatten() {
        println!(
            "  {:<28} {} {}",
            s["secretId"].as_str().unwrap_or_default(),
            s["action"],
            s["detail"].as_str().unwrap_or_default()
        );
    }

    let records = DynamoRecords::new(&stack.aws, TABLE);
    let repo = RotationRecords::new(&records);
    println!(
        "\n{:<28} {:<12} {:<10} {:<22} {:<16} record (DynamoDB)",
        "secret", "strategy", "outcome", "version before->after", "client"
    );
    for (m, before) in managed.iter().zip(before) {
        let current = stack
            .sm
            .get_version(m.name, VersionRef::Stage(AWSCURRENT))
            .await
            .expect("current");
        let doc: Value = serde_json::from_str(current.value.expose_secret()).expect("JSON");
        let rec = repo
            .latest(m.name, 1)
            .await
            .expect("records")
            .into_iter()
            .next();
        let (outcome, detail) = match &rec {
            Some(r) => (
                format!("{:?}", r.outcome).to_lowercase(),
                format!(
                    "{} ms, {} regeneration(s), dependents updated {:?}",
                    r.duration_ms.unwrap_or_default(),
                    r.regenerations,
                    r.dependents_updated
                ),
            ),
            None => ("none".into(), String::new()),
        };
        let short = |s: &str| s.chars().take(8).collect::<String>();
        let tail = |s: &str| format!("…{}", &s[s.len().saturating_sub(4)..]);
        println!(
            "{:<28} {:<12} {:<10} {:<22} {:<16} {}",
            m.name,
            m.rotation["strategy"].as_str().unwrap_or_default(),
            outcome,
            format!(
                "{} -> {}",
                short(before.as_deref().unwrap_or("?")),
                short(&current.version_id)
            ),
            format!(
                "{} -> {}",
                tail(m.client),
                tail(doc["clientId"].as_str().unwrap_or_default())
            ),
            detail
        );
    }
    let events = stack.tap.drain().await;
    let completed = events
        .iter()
        .filter(|e| e["detail-type"] == "Rotation Completed")
        .count();
    println!("security events on the bus: {completed} x Rotation Completed");
    crate::demo_cli::status(stack);
}

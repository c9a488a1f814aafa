//! GIVEN the seeded org (one client per finding code, clean clients) WHEN the nightly schedule
//! fires THEN exactly the expected findings per client, flat records, one event per new high
//! finding, no secret anywhere; a same-day re-run changes nothing.

use crate::common::*;
use credguard_testkit::events::of_type;
use serde_json::Value;

#[tokio::test]
async fn nightly_run_records_exactly_the_expected_findings() {
    let org = org(Options::default()).await;
    let summary = org
        .invoke(fixture("scheduler-event.json"))
        .await
        .expect("complete run");
    assert_eq!(summary["runId"], "2026-11-21");
    assert_eq!(summary["outcome"], "complete", "{summary}");
    assert_eq!(summary["clientsSeen"], 18);
    assert_eq!(summary["baseline"], true);

    // Exactly these findings, per subject.
    assert_eq!(
        org.findings("2026-11-21").await,
        expected_findings(&org.prefix)
    );

    let items = org.items("2026-11-21").await;
    let clients: Vec<&serde_json::Map<String, Value>> = items
        .iter()
        .filter(|i| i["recordType"] == "auditClient")
        .collect();
    assert_eq!(clients.len(), 18, "one item per client");
    for id in CLEAN_CLIENTS {
        let c = clients
            .iter()
            .find(|c| c["clientId"] == *id)
            .expect("clean client recorded");
        assert_eq!(c["findingsCount"], 0, "{id} must raise nothing: {c:?}");
        assert!(c.values().all(|v| !v.is_object()), "flat items");
    }
    let idle = clients
        .iter()
        .find(|c| c["clientId"] == IDLE)
        .expect("idle");
    assert_eq!(idle["roleNames"], serde_json::json!(["Reader"]));
    assert_eq!(idle["managed"], true);
    assert_eq!(idle["usageKnown"], true);
    assert!(idle["lastUsedDate"].is_string());
    let orphan = clients
        .iter()
        .find(|c| c["clientId"] == ORPHAN)
        .expect("orphan");
    assert_eq!(orphan["orphanedRoleIds"], serde_json::json!([R_DOOMED]));

    let run = org.run_record("2026-11-21").await;
    assert_eq!(run["outcome"], "complete");
    assert_eq!(run["findingsCritical"], 1);
    assert_eq!(run["trigger"], "schedule");
    assert_eq!(run["scheduledAt"], "2026-11-21T02:00:00.000Z");
    // Genesys calls: 3 client pages (7 per page) + scopes + 1 role lookup + usage (submit +
    // 1 poll) + 2 audit trail queries (submit + 1 status + 1 page each) + the credential
    // listing: O(1) in clients.
    assert!(run["genesysRequests"].as_u64().unwrap() <= 14, "{run:?}");

    // Events: one per new HIGH/CRITICAL finding, and the summary.
    let events = org.tap.drain().await;
    let findings = announced(&events, "Audit Finding");
    let p = &org.prefix;
    let mut expected = vec![
        format!("client:{ADMIN_STAR} ADMIN_PERMISSION"),
        format!("client:{ADMIN_STAR} CREDENTIAL_ADMIN_PERMISSION"),
        format!("client:{CRED} CREDENTIAL_ADMIN_PERMISSION"),
        format!("secret:{p}failing ROTATION_FAILED"),
        format!("secret:{p}ghost MANAGED_SECRET_MISSING_CLIENT"),
        format!("secret:{p}stale MANAGED_SECRET_STALE"),
    ];
    expected.sort();
    assert_eq!(findings, expected);
    let completed = of_type(&events, "Audit Completed");
    assert_eq!(completed.len(), 1);
    assert_eq!(completed[0]["source"], "credguard.audit");
    assert_eq!(completed[0]["detail"]["findingsBySeverity"]["CRITICAL"], 1);

    // No secret value in records or events.
    org.assert_no_secret("records", &serde_json::to_string(&items).unwrap());
    org.assert_no_secret("events", &serde_json::to_string(&events).unwrap());

    // The same day again: nothing redone, nothing duplicated, nothing announced.
    let again = org
        .invoke(fixture("scheduler-event.json"))
        .await
        .expect("re-run");
    assert_eq!(again["alreadyComplete"], true);
    assert_eq!(org.items("2026-11-21").await, items);
    assert!(org.tap.drain().await.is_empty());
    // Delivered by EventBridge's other door too: the same run.
    let again = org
        .invoke(fixture("eventbridge-scheduled-event.json"))
        .await
        .expect("re-run");
    assert_eq!(again["alreadyComplete"], true);
    org.stack.sim.shutdown().await;
}

#[tokio::test]
async fn a_dry_run_evaluates_without_writing() {
    let org = org(Options::default()).await;
    let summary = org
        .invoke(fixture("manual-dry-run.json"))
        .await
        .expect("dry run");
    assert_eq!(summary["dryRun"], true);
    assert_eq!(summary["findingsByCode"]["ADMIN_PERMISSION"], 1);
    let run_id = summary["runId"].as_str().unwrap().to_owned();
    assert!(org.items(&run_id).await.is_empty());
    assert!(org.tap.drain().await.is_empty());
    org.stack.sim.shutdown().await;
}

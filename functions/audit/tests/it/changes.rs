//! GIVEN a recorded run WHEN clients are added, removed and re-roled overnight THEN the next
//! run records exactly those changes and announces the new high findings.

use crate::common::*;
use credguard_testkit::events::of_type;
use genesys_sim::{RoleDivision, SeedClient, SeedUsageRow};
use serde_json::json;
use std::collections::BTreeSet;

#[tokio::test]
async fn changes_across_two_runs() {
    let org = org(Options {
        days_later: 0,
        clients_page_size: None,
        ..Options::default()
    })
    .await;
    let first = org
        .invoke(json!({"runId": "2026-11-20"}))
        .await
        .expect("first run");
    assert_eq!(first["baseline"], true);
    org.tap.drain().await;

    // Overnight: IDLE deleted, NEWCOMER (an admin) created, CLEAN given client management,
    // CRED reduced to a reader.
    let mut next = seed();
    next.clients.retain(|c| c.id.as_deref() != Some(IDLE));
    let home = next.home_division_id().unwrap().to_owned();
    let role = |r: &str| RoleDivision {
        role_id: r.into(),
        division_id: home.clone(),
    };
    for c in next.clients.iter_mut() {
        match c.id.as_deref() {
            Some(CLEAN) => c.role_divisions = vec![role(R_CLIENTS)],
            Some(CRED) => c.role_divisions = vec![role(R_READ)],
            _ => {}
        }
    }
    let mut newcomer =
        SeedClient::client_credentials(Some(NEWCOMER), "newcomer", &secret_of(NEWCOMER))
            .created_days_ago(1);
    newcomer.role_divisions.push(role(R_MASTER));
    next = next
        .client(newcomer)
        .usage_row(SeedUsageRow::new(1, NEWCOMER, "newcomer", 3));
    org.sim.reset(Some(next)).expect("reset");
    org.sim.remove_role(R_DOOMED).expect("doomed role");

    let second = org
        .invoke(json!({"runId": "2026-11-21"}))
        .await
        .expect("second run");
    assert_eq!(second["previousRunId"], "2026-11-20");
    let changes: BTreeSet<String> = org
        .items("2026-11-21")
        .await
        .into_iter()
        .filter(|i| i["recordType"] == "auditChange")
        .map(|i| i["sk"].as_str().unwrap().to_owned())
        .collect();
    let p = &org.prefix;
    let expected: BTreeSet<String> = [
        format!("CHANGE#CLIENT_ADDED#client:{NEWCOMER}"),
        format!("CHANGE#CLIENT_REMOVED#client:{IDLE}"),
        format!("CHANGE#ACCESS_CHANGED#client:{CLEAN}"),
        format!("CHANGE#ACCESS_CHANGED#client:{CRED}"),
        format!("CHANGE#FINDING_NEW#client:{NEWCOMER}#ADMIN_PERMISSION"),
        format!("CHANGE#FINDING_NEW#client:{NEWCOMER}#CREDENTIAL_ADMIN_PERMISSION"),
        format!("CHANGE#FINDING_NEW#client:{NEWCOMER}#UNMANAGED_SECRET"),
        format!("CHANGE#FINDING_NEW#client:{CLEAN}#CREDENTIAL_ADMIN_PERMISSION"),
        // A reseeded simulator keeps no audit trail: admin-level access appeared and nobody,
        // credguard included, is named for it.
        format!("CHANGE#FINDING_NEW#client:{NEWCOMER}#ADMIN_ACCESS_GRANTED"),
        format!("CHANGE#FINDING_NEW#client:{CLEAN}#ADMIN_ACCESS_GRANTED"),
        format!("CHANGE#FINDING_RESOLVED#client:{CRED}#CREDENTIAL_ADMIN_PERMISSION"),
        format!("CHANGE#FINDING_RESOLVED#client:{IDLE}#UNUSED"),
        format!("CHANGE#FINDING_NEW#secret:{p}idle#MANAGED_SECRET_MISSING_CLIENT"),
    ]
    .into_iter()
    .collect();
    assert_eq!(changes, expected);
    let run = org.run_record("2026-11-21").await;
    assert_eq!(
        (
            run["clientsAdded"].as_u64(),
            run["clientsRemoved"].as_u64(),
            run["accessChanged"].as_u64()
        ),
        (Some(1), Some(1), Some(2))
    );
    assert_eq!(
        (
            run["findingsNew"].as_u64(),
            run["findingsResolved"].as_u64()
        ),
        (Some(7), Some(2))
    );

    let events = org.tap.drain().await;
    let announced = announced(&events, "Audit Finding");
    let mut want = vec![
        format!("client:{NEWCOMER} ADMIN_PERMISSION"),
        format!("client:{NEWCOMER} CREDENTIAL_ADMIN_PERMISSION"),
        format!("client:{NEWCOMER} ADMIN_ACCESS_GRANTED"),
        format!("client:{CLEAN} CREDENTIAL_ADMIN_PERMISSION"),
        format!("client:{CLEAN} ADMIN_ACCESS_GRANTED"),
        format!("secret:{p}idle MANAGED_SECRET_MISSING_CLIENT"),
    ];
    want.sort();
    assert_eq!(announced, want);
    let summary = of_type(&events, "Audit Changes");
    assert_eq!(summary.len(), 1);
    assert_eq!(summary[0]["detail"]["counts"]["CLIENT_REMOVED"], 1);
    assert_eq!(summary[0]["detail"]["severity"], "CRITICAL");
    org.assert_no_secret("events", &serde_json::to_string(&events).unwrap());
    org.stack.sim.shutdown().await;
}

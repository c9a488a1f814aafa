//! GIVEN Security Hub on (moto, through a proxy supplying `BatchUpdateFindings`, which moto
//! 5.2 lacks) WHEN the nightly run happens twice with the org changed in between THEN the
//! first imports every finding in ASFF, the second updates the one that changed, archives and
//! resolves the one that disappeared, and leaves the rest alone.

use crate::common::*;
use credguard::audit::findings::codes::*;
use credguard::aws::securityhub::{ProductArn, SecurityHub};
use credguard::ports::events::Severity;
use credguard_audit::HubTarget;
use credguard_testkit::securityhub_gap::{all_findings, SecurityHubGap};
use genesys_sim::RoleDivision;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

const PRODUCT: &str = "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default";

/// This test's findings in moto, by id.
async fn hub_findings(upstream: &str, prefix: &str) -> BTreeMap<String, Value> {
    all_findings(upstream)
        .await
        .into_iter()
        .filter(|f| f["Id"].as_str().is_some_and(|id| id.starts_with(prefix)))
        .map(|f| (f["Id"].as_str().unwrap().to_owned(), f))
        .collect()
}

#[tokio::test]
async fn findings_are_imported_updated_and_resolved_across_two_runs() {
    let moto = std::env::var("AWS_ENDPOINT_URL").expect("moto");
    let mut org = org(Options {
        days_later: 0,
        clients_page_size: None,
        ..Options::default()
    })
    .await;
    let gap = SecurityHubGap::start(&moto, &org.fn_aws).await;
    // The service's own endpoint setting wins over AWS_ENDPOINT_URL (which points at moto).
    let client = aws_sdk_securityhub::Client::from_conf(
        aws_sdk_securityhub::config::Builder::from(&org.fn_aws)
            .endpoint_url(&gap.url)
            .build(),
    );
    org.deps.hub = Some(HubTarget {
        port: Arc::new(SecurityHub::from_client(
            client,
            ProductArn::parse(PRODUCT).unwrap(),
        )),
        records_table: org.table.clone(),
    });
    let prefix = format!("credguard/{}/", org.table);
    let p = org.prefix.clone();

    let first = org
        .invoke(json!({"runId": "2026-11-20"}))
        .await
        .expect("first run");
    assert_eq!(first["outcome"], "complete", "{first}");
    let hub = hub_findings(&moto, &prefix).await;
    assert_eq!(hub.len() as u64, first["findingsTotal"].as_u64().unwrap());
    let admin = &hub[&format!("{prefix}client:{ADMIN_STAR}/{ADMIN_PERMISSION}")];
    assert_eq!(admin["SchemaVersion"], "2018-10-08");
    assert_eq!(admin["ProductArn"], PRODUCT);
    assert_eq!(admin["GeneratorId"], "credguard-audit/ADMIN_PERMISSION");
    assert_eq!(admin["Severity"]["Label"], "CRITICAL");
    assert_eq!(
        admin["FindingProviderFields"]["Severity"]["Label"],
        "CRITICAL"
    );
    assert_eq!(admin["RecordState"], "ACTIVE");
    assert!(admin["Remediation"]["Recommendation"]["Text"]
        .as_str()
        .unwrap()
        .contains("role"));
    assert_eq!(
        admin["ProductFields"]["credguard/recordsTable"],
        org.table.as_str()
    );
    assert_eq!(admin["ProductFields"]["credguard/runId"], "2026-11-20");
    let resources: Vec<(String, String)> = admin["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["Type"].as_str().unwrap().to_owned(),
                r["Id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        resources[0],
        ("Other".into(), format!("genesys:oauth-client:{ADMIN_STAR}"))
    );
    assert_eq!(resources[1].0, "AwsSecretsManagerSecret");
    assert!(
        resources[1].1.starts_with("arn:aws:secretsmanager:")
            && resources[1].1.contains(&format!("{p}admin-star"))
    );
    let ghost = &hub[&format!("{prefix}secret:{p}ghost/{MANAGED_SECRET_MISSING_CLIENT}")];
    assert_eq!(ghost["Resources"][0]["Type"], "AwsSecretsManagerSecret");
    assert_eq!(
        ghost["Resources"][1]["Id"],
        format!("genesys:oauth-client:{GONE}").as_str()
    );
    let run = org.run_record("2026-11-20").await;
    assert_eq!(run["securityHubImported"], first["findingsTotal"]);

    // Overnight: CRED loses client management (its finding disappears) and the policy rates
    // orphaned roles higher (that finding changes).
    let mut next = seed();
    let home = next.home_division_id().unwrap().to_owned();
    for c in next.clients.iter_mut() {
        if c.id.as_deref() == Some(CRED) {
            c.role_divisions = vec![RoleDivision {
                role_id: R_READ.into(),
                division_id: home.clone(),
            }];
        }
    }
    org.sim.reset(Some(next)).expect("reset");
    org.sim.remove_role(R_DOOMED).expect("doomed role");
    org.deps
        .config
        .severity_overrides
        .insert(ORPHANED_ROLE.into(), Severity::High);

    let second = org
        .invoke(json!({"runId": "2026-11-21"}))
        .await
        .expect("second run");
    assert_eq!(second["outcome"], "complete", "{second}");
    let hub2 = hub_findings(&moto, &prefix).await;
    let gone = &hub2[&format!("{prefix}client:{CRED}/{CREDENTIAL_ADMIN_PERMISSION}")];
    assert_eq!(gone["RecordState"], "ARCHIVED");
    assert_eq!(gone["Workflow"]["Status"], "RESOLVED");
    let orphan = &hub2[&format!("{prefix}client:{ORPHAN}/{ORPHANED_ROLE}")];
    assert_eq!(orphan["Severity"]["Label"], "HIGH");
    assert!(
        orphan["UpdatedAt"].as_str()
            > hub[&format!("{prefix}client:{ORPHAN}/{ORPHANED_ROLE}")]["UpdatedAt"].as_str()
    );
    assert_eq!(
        orphan["CreatedAt"],
        hub[&format!("{prefix}client:{ORPHAN}/{ORPHANED_ROLE}")]["CreatedAt"],
        "first seen stays"
    );
    let same = &hub2[&format!("{prefix}client:{ADMIN_STAR}/{ADMIN_PERMISSION}")];
    assert_eq!(
        same["UpdatedAt"], admin["UpdatedAt"],
        "unchanged: not imported again"
    );
    // Imported again: exactly the findings whose content changed. Reseeding the simulator
    // moved two clients' dates as well (DISABLED's dateModified, DELETING's dateToDelete).
    let updated: Vec<&str> = hub2
        .iter()
        .filter(|(id, f)| {
            hub.get(*id)
                .is_some_and(|before| before["UpdatedAt"] != f["UpdatedAt"])
        })
        .filter(|(_, f)| f["RecordState"] == "ACTIVE")
        .map(|(id, _)| id.trim_start_matches(&prefix))
        .collect();
    let (orphan_id, disabled_id, deleting_id) = (
        format!("client:{ORPHAN}/{ORPHANED_ROLE}"),
        format!("client:{DISABLED}/{CLIENT_DISABLED}"),
        format!("client:{DELETING}/{CLIENT_PENDING_DELETION}"),
    );
    let mut want = vec![
        orphan_id.as_str(),
        disabled_id.as_str(),
        deleting_id.as_str(),
    ];
    want.sort();
    assert_eq!(updated, want);
    let run = org.run_record("2026-11-21").await;
    assert_eq!(
        (
            run["securityHubImported"].as_u64(),
            run["securityHubArchived"].as_u64(),
            run["securityHubUnchanged"].as_u64()
        ),
        (
            Some(3),
            Some(1),
            Some(second["findingsTotal"].as_u64().unwrap() - 3)
        ),
        "{run:?}"
    );
    let finding = org
        .items("2026-11-21")
        .await
        .into_iter()
        .find(|i| i["sk"] == format!("FINDING#client:{ORPHAN}#{ORPHANED_ROLE}").as_str())
        .unwrap();
    assert_eq!(
        finding["securityHubId"],
        format!("{prefix}client:{ORPHAN}/{ORPHANED_ROLE}").as_str()
    );
    org.assert_no_secret("Security Hub", &serde_json::to_string(&hub2).unwrap());
    org.stack.sim.shutdown().await;
}

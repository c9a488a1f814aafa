//! GIVEN the usage query fails and a role lookup 404s WHEN the run happens THEN it is recorded
//! as partial, naming what is missing, the invocation fails (so Lambda retries it), and the
//! retry with the same event completes the run.

use crate::common::*;
use credguard::audit::AuditError;
use genesys_sim::FaultRule;

#[tokio::test]
async fn partial_run_names_what_is_missing_and_a_retry_completes_it() {
    let org = org(Options::default()).await;
    org.sim
        .add_fault(FaultRule::status("POST /api/v2/usage/aggregates/query/jobs", 500).times(1))
        .expect("usage fault");
    org.sim
        .add_fault(FaultRule::status("GET /api/v2/authorization/roles", 404).times(1))
        .expect("roles fault");

    let err = org
        .invoke(fixture("scheduler-event.json"))
        .await
        .expect_err("partial run");
    assert_eq!(err.error_type(), "AuditRunPartial");
    let AuditError::Partial { missing, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(
        missing
            .iter()
            .any(|m| m.starts_with("usage:") && m.contains("500")),
        "{missing:?}"
    );
    assert!(
        missing
            .iter()
            .any(|m| m.starts_with("roles:") && m.contains("GenesysNotFound")),
        "{missing:?}"
    );
    let run = org.run_record("2026-11-21").await;
    assert_eq!(run["outcome"], "partial");
    assert_eq!(run["missingSources"], serde_json::json!(["roles", "usage"]));
    assert_eq!(run["clientsRecorded"], 18, "what could be recorded was");
    let items = org.items("2026-11-21").await;
    let idle = items
        .iter()
        .find(|i| i["clientId"] == IDLE && i["recordType"] == "auditClient")
        .expect("idle recorded");
    assert_eq!(idle["usageKnown"], false);
    assert_eq!(idle["rolesResolved"], false);

    // Lambda's retry: the same event, the same run id.
    let done = org
        .invoke(fixture("scheduler-event.json"))
        .await
        .expect("retry completes");
    assert_eq!(done["outcome"], "complete");
    assert_eq!(done["attempt"], 2);
    assert_eq!(
        org.findings("2026-11-21").await,
        expected_findings(&org.prefix)
    );
    let run = org.run_record("2026-11-21").await;
    assert_eq!(run["missing"], serde_json::json!([]));

    // Each new high finding was announced once across both attempts.
    let events = org.tap.drain().await;
    let mut keys: Vec<String> = events
        .iter()
        .filter(|e| e["detail-type"] == "Audit Finding")
        .map(|e| format!("{} {}", e["detail"]["subject"], e["detail"]["code"]))
        .collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!((keys.len(), n), (6, 6));
    org.stack.sim.shutdown().await;
}

#[tokio::test]
async fn batch_items_left_unprocessed_by_dynamodb_are_retried() {
    let mut org = org(Options::default()).await;
    let upstream = std::env::var("AWS_ENDPOINT_URL").expect("moto");
    let proxy =
        credguard_testkit::ddb_proxy::UnprocessedProxy::start(&upstream, 4, &org.fn_aws).await;
    let via_proxy = aws_sdk_dynamodb::config::Builder::from(&org.fn_aws)
        .endpoint_url(&proxy.url)
        .build();
    org.deps.records = credguard::aws::dynamodb::DynamoRecords::from_client(
        aws_sdk_dynamodb::Client::from_conf(via_proxy),
        &org.table,
    );
    let done = org
        .invoke(fixture("scheduler-event.json"))
        .await
        .expect("complete run");
    assert_eq!(done["outcome"], "complete");
    assert_eq!(
        proxy.faults_served(),
        4,
        "half of four batches came back unprocessed"
    );
    assert_eq!(
        org.findings("2026-11-21").await,
        expected_findings(&org.prefix)
    );
    let clients = org
        .items("2026-11-21")
        .await
        .into_iter()
        .filter(|i| i["recordType"] == "auditClient")
        .count();
    assert_eq!(clients, 18, "every client recorded exactly once");
    org.stack.sim.shutdown().await;
}

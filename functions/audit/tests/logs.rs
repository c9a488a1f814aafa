//! No secret or token value in anything the function logs, at TRACE, through a complete and a
//! partial run. Its own test binary: the log capture is process-wide.

#[path = "it/common.rs"]
mod common;

use common::*;
use genesys_sim::FaultRule;

#[tokio::test]
async fn nothing_secret_is_ever_logged() {
    let logs = credguard_testkit::logs::capture();
    let org = org(Options::default()).await;
    org.sim
        .add_fault(FaultRule::status("POST /api/v2/usage/aggregates/query/jobs", 500).times(1))
        .expect("fault");
    assert!(org.invoke(fixture("scheduler-event.json")).await.is_err());
    org.invoke(fixture("scheduler-event.json"))
        .await
        .expect("retry completes");
    let needles: Vec<&str> = org.secret_values.iter().map(String::as_str).collect();
    logs.assert_absent(&needles);
    let text = logs.text();
    assert!(
        text.contains("audit run finished"),
        "the capture saw the run"
    );
    for marker in ["MUST-NOT-LEAK", "access_token", "Bearer ", "clientSecret"] {
        assert!(!text.contains(marker), "{marker} appears in the logs");
    }
    org.stack.sim.shutdown().await;
}

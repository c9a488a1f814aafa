//! `credguard audit` against the simulator's demo org and moto: a trial without a records
//! table writes nothing anywhere; a recorded run is a run like the nightly one (its records,
//! its findings), which a managed secret's adoption changes; `--fail-on` gates scripts.

mod support;

use credguard_testkit::scan_table;
use genesys_sim::SimConfig;
use serde_json::Value;
use std::collections::BTreeSet;
use support::*;

fn codes_of(out: &Value, client: &str) -> BTreeSet<String> {
    out["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["subject"]["clientId"] == client)
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trial_writes_nothing_and_a_recorded_run_is_a_run() {
    let env = Env::new(SimConfig::default()).await;

    // A trial before deploying: no table at all.
    let vars: Vec<(String, String)> = env
        .vars()
        .into_iter()
        .filter(|(k, _)| k != "CREDGUARD_RECORDS_TABLE")
        .collect();
    let trial = env
        .run_with(vars.clone(), &["audit", "--no-record", "--json"], None)
        .await
        .ok();
    let out = trial.json();
    assert_eq!(out["summary"]["dryRun"], true);
    assert_eq!(out["summary"]["outcome"], "complete", "{}", trial.stderr);
    let total = out["summary"]["findingsTotal"].as_u64().unwrap();
    assert_eq!(out["findings"].as_array().unwrap().len() as u64, total);
    assert!(total > 0, "the demo org has findings");
    for f in out["findings"].as_array().unwrap() {
        assert!(
            f["remediation"].as_str().is_some_and(|r| !r.is_empty()),
            "{f}"
        );
    }
    // The HR sync client holds its secret unmanaged today.
    assert!(
        codes_of(&out, HR_SYNC).contains("UNMANAGED_SECRET"),
        "{out}"
    );
    assert!(
        trial.stderr.contains("no records table"),
        "{}",
        trial.stderr
    );
    assert!(
        scan_table(&env.aws, &env.table).await.is_empty(),
        "a trial records nothing"
    );
    // Recording needs a table, and says how to do without.
    env.run_with(vars, &["audit"], None)
        .await
        .refused_with(6, "configuration_missing");

    // The table of findings for people.
    let table = env.run(&["audit", "--no-record"], None).await.ok();
    assert!(
        table.stdout.contains("SEVERITY") && table.stdout.contains("UNMANAGED_SECRET"),
        "{}",
        table.stdout
    );

    // Adopted, the client's secret is managed: the finding goes.
    let name = env.name("hr-sync");
    env.adopt(HR_SYNC, &name, HR_SYNC_SECRET).await.ok();

    // Recorded: the run and its findings are in the table, as the nightly run writes them.
    let run = env
        .run(&["audit", "--run-id", "2026-12-04-cli", "--json"], None)
        .await
        .ok();
    let out = run.json();
    assert_eq!(out["summary"]["dryRun"], false);
    assert_eq!(out["summary"]["outcome"], "complete");
    assert_eq!(out["summary"]["managedSecretsSeen"], 1);
    assert!(
        !codes_of(&out, HR_SYNC).contains("UNMANAGED_SECRET"),
        "{out}"
    );
    let items = scan_table(&env.aws, &env.table).await;
    let run_item = items
        .iter()
        .find(|i| i["recordType"] == "auditRun" && i["runId"] == "2026-12-04-cli")
        .unwrap_or_else(|| panic!("the run's record: {items:?}"));
    assert_eq!(run_item["trigger"], "cli");
    assert_eq!(run_item["outcome"], "complete");
    let recorded: BTreeSet<String> = items
        .iter()
        .filter_map(|i| i["sk"].as_str())
        .filter(|sk| sk.starts_with("FINDING#"))
        .map(str::to_owned)
        .collect();
    let printed: BTreeSet<String> = out["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "FINDING#{}#{}",
                f["subject"]["key"].as_str().unwrap(),
                f["code"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(recorded, printed, "what is printed is what was recorded");
    // The same run id again: the recorded run, not a second one.
    let again = env
        .run(&["audit", "--run-id", "2026-12-04-cli", "--json"], None)
        .await
        .ok();
    assert_eq!(again.json()["summary"]["alreadyComplete"], true);

    // A gate for scripts: exit 8 when a finding is at least that severe.
    let highest = out["findings"][0]["severity"]
        .as_str()
        .unwrap()
        .to_ascii_lowercase();
    let gated = env
        .run(&["audit", "--no-record", "--fail-on", &highest], None)
        .await;
    assert_eq!(gated.code, 8, "{}", gated.stderr);
    env.run(&["audit", "--no-record", "--fail-on", "critical"], None)
        .await
        .ok_or_attention(highest == "critical");
}

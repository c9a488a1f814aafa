//! Unit tests of the rules and of a run, with in-memory fakes of every port (`security`: the
//! audit trail, notices, platform rules and dependents).
//! GIVEN an org, WHEN a run happens, THEN exactly these findings, records and events.

use super::config::AuditConfig;
use super::findings::codes::*;
use super::run::{run_audit, AuditRequest, Ports, RunId, RunSummary, RunTrigger};
use super::testing::{FakeGenesys, MemoryHub};
use super::AuditError;
use super::Hub;
use crate::credential::{TAG_CLIENT_ID, TAG_MANAGED, TAG_PARTNER_CLIENT_ID};
use crate::deadline::Deadline;
use crate::genesys::UsageSummary;
use crate::ports::records::{BatchStats, Condition, Item, Page, Query, RecordStore, StoreError};
use crate::testing::{MemoryEvents, MemoryRecords, MemorySecrets};
use chrono::{DateTime, Duration as Days, Utc};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

const HOME: &str = "d-home";

struct World {
    g: FakeGenesys,
    s: MemorySecrets,
    r: MemoryRecords,
    e: MemoryEvents,
    /// The findings hub, used when `hub_on`.
    h: MemoryHub,
    hub_on: bool,
    cfg: AuditConfig,
    now: DateTime<Utc>,
}

fn ago(now: DateTime<Utc>, days: i64) -> String {
    crate::records::iso(now - Days::days(days))
}

impl World {
    fn new() -> Self {
        let w = Self {
            g: FakeGenesys::default(),
            s: MemorySecrets::default(),
            r: MemoryRecords::default(),
            e: MemoryEvents::default(),
            h: MemoryHub::default(),
            hub_on: false,
            cfg: AuditConfig::default(),
            now: Utc::now(),
        };
        w.g.role("r-read", "Reader", &["directory:user:view"])
            .role("r-master", "Master Admin", &["*:*:*"])
            .role(
                "r-clients",
                "Client Manager",
                &["oauth:client:edit", "oauth:client:view"],
            )
            .role("r-dir", "Directory Admin", &["directory:user:*"])
            .scopes(&["users:readonly", "users", "oauth"]);
        w
    }

    /// A client-credentials client in the home division, created `age` days ago.
    fn cc(&self, id: &str, roles: &[&str], age: i64) -> Value {
        json!({
            "id": id, "name": format!("client {id}"), "authorizedGrantType": "CLIENT-CREDENTIALS",
            "accessTokenValiditySeconds": 3600, "state": "active",
            "dateCreated": ago(self.now, age),
            "roleDivisions": roles.iter().map(|r| json!({"roleId": r, "divisionId": HOME})).collect::<Vec<_>>(),
        })
    }

    fn used(&self, id: &str, days_ago: i64) {
        self.g.usage(
            id,
            UsageSummary {
                requests: 10,
                days_with_requests: 1,
                last_used: Some((self.now - Days::days(days_ago)).date_naive()),
                ..UsageSummary::default()
            },
        );
    }

    /// A managed secret holding `client`, current version `age_days` old.
    fn managed(&self, name: &str, client: Option<&str>, age_days: i64) {
        self.s
            .create(name, r#"{"clientId":"x","clientSecret":"NEVER-READ-ME"}"#);
        self.s.set_tag(name, TAG_MANAGED, "true");
        if let Some(c) = client {
            self.s.set_tag(name, TAG_CLIENT_ID, c);
        }
        self.s
            .set_version_created(name, "v1", self.now - Days::days(age_days));
    }

    async fn rotation(&self, secret: &str, token: &str, started_days_ago: i64, outcome: &str) {
        let started = ago(self.now, started_days_ago);
        let item = json!({
            "pk": format!("SECRET#{secret}"), "sk": format!("ROTATION#{token}"),
            "gsi1pk": format!("SECRET#{secret}#ROTATIONS"), "gsi1sk": started,
            "recordType": "rotation", "outcome": outcome, "startedAt": started, "errorCode": "GenesysForbidden",
        });
        self.r
            .put(item.as_object().cloned().unwrap(), Condition::Always)
            .await
            .unwrap();
    }

    async fn run(&self, run_id: &str) -> Result<RunSummary, AuditError> {
        self.run_with(run_id, false).await
    }

    async fn run_with(&self, run_id: &str, dry_run: bool) -> Result<RunSummary, AuditError> {
        self.run_within(run_id, dry_run, Duration::from_secs(60))
            .await
    }

    async fn run_within(
        &self,
        run_id: &str,
        dry_run: bool,
        budget: Duration,
    ) -> Result<RunSummary, AuditError> {
        let hub = Hub {
            port: &self.h,
            id_prefix: "credguard/test-table".into(),
            records_table: "test-table".into(),
        };
        let ports = Ports {
            genesys: &self.g,
            secrets: &self.s,
            records: &self.r,
            events: &self.e,
            genesys_meter: &(),
            records_meter: &(),
            hub: self.hub_on.then_some(&hub),
        };
        let req = AuditRequest {
            run_id: RunId::parse(run_id)?,
            trigger: RunTrigger::Manual,
            scheduled_at: None,
            dry_run,
            keep_findings: false,
        };
        run_audit(&ports, &self.cfg, &req, self.now, &Deadline::after(budget)).await
    }

    fn items(&self, run_id: &str, prefix: &str) -> Vec<Item> {
        let pk = format!("AUDIT#{run_id}");
        self.r
            .all()
            .into_iter()
            .filter(|i| i["pk"] == pk.as_str() && i["sk"].as_str().unwrap().starts_with(prefix))
            .collect()
    }

    /// subject → codes, from the FINDING items of a run.
    fn findings(&self, run_id: &str) -> BTreeMap<String, BTreeSet<String>> {
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for i in self.items(run_id, "FINDING#") {
            out.entry(i["subject"].as_str().unwrap().to_owned())
                .or_default()
                .insert(i["code"].as_str().unwrap().to_owned());
        }
        out
    }

    fn changes(&self, run_id: &str) -> BTreeSet<String> {
        self.items(run_id, "CHANGE#")
            .into_iter()
            .map(|i| i["sk"].as_str().unwrap().to_owned())
            .collect()
    }

    fn client_item(&self, run_id: &str, id: &str) -> Item {
        let sk = format!("CLIENT#{id}");
        self.items(run_id, &sk)
            .into_iter()
            .find(|i| i["sk"] == sk.as_str())
            .expect("client item")
    }
}

fn set(codes: &[&str]) -> BTreeSet<String> {
    codes.iter().map(|c| (*c).to_owned()).collect()
}

/// One client per finding code, plus clean clients (see the integration test for the same org
/// in the simulator).
/// An announced finding as `subject:code`.
fn subject_and_code(e: &crate::ports::events::SecurityEvent) -> String {
    let field = |k: &str| e.detail[k].as_str().unwrap().to_owned();
    format!("{}:{}", field("subject"), field("code"))
}

/// The seeded managed secrets' value appears nowhere in `written`.
fn assert_no_secret_value(written: &impl serde::Serialize) {
    let dump = serde_json::to_string(written).unwrap();
    assert!(!dump.contains("NEVER-READ-ME"));
}

fn seeded_world() -> World {
    let w = World::new();
    let g = &w.g;
    g.client(w.cc("clean", &["r-read"], 100));
    w.used("clean", 1);
    w.managed("team/clean", Some("clean"), 10);
    g.client(json!({"id": "code-clean", "name": "Desktop plugin", "authorizedGrantType": "CODE",
        "accessTokenValiditySeconds": 3600, "scope": ["users:readonly"], "dateCreated": ago(w.now, 100)}));
    w.used("code-clean", 2);

    g.client(w.cc("admin", &["r-master"], 100));
    g.client(w.cc("cred", &["r-clients"], 100));
    g.client(w.cc("wild", &["r-dir"], 100));
    let mut all_div = w.cc("alldiv", &[], 100);
    all_div["roleDivisions"] = json!([{"roleId": "r-read", "divisionId": "*"}]);
    g.client(all_div);
    g.client(w.cc("orphan", &["r-read", "r-gone"], 100));
    g.client(json!({"id": "scopes", "name": "Legacy app", "authorizedGrantType": "CODE",
        "accessTokenValiditySeconds": 3600, "scope": ["users", "legacy:thing"], "dateCreated": ago(w.now, 100)}));
    g.client(w.cc("idle", &["r-read"], 200));
    g.client(w.cc("idle-old", &["r-read"], 400));
    g.client(w.cc("never", &["r-read"], 20));
    g.client(w.cc("brand-new", &["r-read"], 2));
    let mut long = w.cc("long", &["r-read"], 100);
    long["accessTokenValiditySeconds"] = json!(172_800);
    g.client(long);
    g.client(w.cc("unmanaged", &["r-read"], 100));
    g.client(w.cc("stale", &["r-read"], 100));
    g.client(w.cc("failing", &["r-read"], 100));
    let mut disabled = w.cc("disabled", &["r-read"], 100);
    disabled["state"] = json!("disabled");
    g.client(disabled);
    let mut inactive = w.cc("deleting", &["r-master"], 100);
    inactive["state"] = json!("inactive");
    inactive["dateToDelete"] = json!(ago(w.now, -5));
    g.client(inactive);

    for id in [
        "admin",
        "cred",
        "wild",
        "alldiv",
        "orphan",
        "long",
        "unmanaged",
        "stale",
        "failing",
    ] {
        w.used(id, 1);
    }
    w.used("idle", 45);
    for id in [
        "admin",
        "cred",
        "wild",
        "alldiv",
        "orphan",
        "idle",
        "idle-old",
        "never",
        "brand-new",
        "long",
    ] {
        w.managed(&format!("team/{id}"), Some(id), 10);
    }
    w.managed("team/stale", Some("stale"), 120);
    w.managed("team/failing", Some("failing"), 10);
    w.managed("team/ghost", Some("deleted-long-ago"), 10);
    w.managed("team/untagged", None, 10);
    w
}

fn expected_seeded() -> BTreeMap<String, BTreeSet<String>> {
    [
        (
            "client:admin",
            set(&[ADMIN_PERMISSION, CREDENTIAL_ADMIN_PERMISSION]),
        ),
        ("client:cred", set(&[CREDENTIAL_ADMIN_PERMISSION])),
        ("client:wild", set(&[WILDCARD_PERMISSION])),
        ("client:alldiv", set(&[ALL_DIVISIONS])),
        ("client:orphan", set(&[ORPHANED_ROLE])),
        ("client:scopes", set(&[ORPHANED_SCOPE, UNUSED])),
        ("client:idle", set(&[UNUSED])),
        ("client:idle-old", set(&[UNUSED])),
        ("client:never", set(&[NEVER_USED])),
        ("client:long", set(&[TOKEN_VALIDITY_TOO_LONG])),
        ("client:unmanaged", set(&[UNMANAGED_SECRET])),
        ("client:disabled", set(&[CLIENT_DISABLED])),
        ("client:deleting", set(&[CLIENT_PENDING_DELETION])),
        ("secret:team/stale", set(&[MANAGED_SECRET_STALE])),
        ("secret:team/failing", set(&[ROTATION_FAILED])),
        ("secret:team/ghost", set(&[MANAGED_SECRET_MISSING_CLIENT])),
        ("secret:team/untagged", set(&[MANAGED_SECRET_UNTAGGED])),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

#[tokio::test]
async fn every_rule_fires_on_its_client_and_clean_clients_raise_nothing() {
    let w = seeded_world();
    w.rotation("team/failing", "t1", 3, "succeeded").await;
    w.rotation("team/failing", "t2", 1, "failed").await;
    w.rotation("team/clean", "t3", 10, "succeeded").await;
    let s = w.run("2026-11-21").await.unwrap();
    assert_eq!(s.outcome, "complete", "{s:?}");
    assert_eq!(w.findings("2026-11-21"), expected_seeded());
    for clean in ["clean", "code-clean", "brand-new"] {
        let c = w.client_item("2026-11-21", clean);
        assert_eq!(c["findingsCount"], 0, "{clean}: {c:?}");
    }
    assert_eq!(s.clients_seen, 18);
    assert!(s.baseline);
    // The audit never reads a secret value.
    assert_eq!(w.s.reads(), 0);
    assert_no_secret_value(&w.r.all());
}

#[tokio::test]
async fn records_are_flat_and_carry_the_evidence() {
    let w = seeded_world();
    w.run("2026-11-21").await.unwrap();
    let idle = w.client_item("2026-11-21", "idle");
    assert_eq!(idle["recordType"], "auditClient");
    assert_eq!(idle["roleNames"], json!(["Reader"]));
    assert_eq!(idle["roleDivisions"], json!(["r-read@d-home"]));
    assert_eq!(idle["managedSecretNames"], json!(["team/idle"]));
    assert_eq!(idle["usageKnown"], true);
    assert_eq!(idle["highestSeverity"], "MEDIUM");
    assert!(idle["expiresAt"].as_i64().unwrap() > w.now.timestamp() + 399 * 86_400);
    for v in idle.values() {
        assert!(!v.is_object(), "client items are flat: {v}");
    }
    let f = w.items("2026-11-21", "FINDING#client:cred#").pop().unwrap();
    assert_eq!(f["severity"], "HIGH");
    let evidence: Value = serde_json::from_str(f["evidence"].as_str().unwrap()).unwrap();
    assert_eq!(evidence["permissions"], json!(["oauth:client:edit"]));
    assert_eq!(evidence["roles"], json!(["Client Manager"]));
    assert_eq!(f["firstSeenRunId"], "2026-11-21");
    let run = w.items("2026-11-21", "RUN").pop().unwrap();
    assert_eq!(run["gsi1pk"], "AUDIT_RUNS");
    assert_eq!(run["findingsCritical"], 1);
    assert_eq!(run["outcome"], "complete");
}

#[tokio::test]
async fn new_high_findings_are_announced_one_by_one() {
    let w = seeded_world();
    w.rotation("team/failing", "t2", 1, "failed").await;
    w.run("2026-11-21").await.unwrap();
    let mut announced: Vec<String> =
        w.e.of_type("Audit Finding")
            .iter()
            .map(subject_and_code)
            .collect();
    announced.sort();
    assert_eq!(
        announced,
        vec![
            "client:admin:ADMIN_PERMISSION",
            "client:admin:CREDENTIAL_ADMIN_PERMISSION",
            "client:cred:CREDENTIAL_ADMIN_PERMISSION",
            "secret:team/failing:ROTATION_FAILED",
            "secret:team/ghost:MANAGED_SECRET_MISSING_CLIENT",
            "secret:team/stale:MANAGED_SECRET_STALE",
        ]
    );
    let done = w.e.of_type("Audit Completed");
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].detail["findingsBySeverity"]["CRITICAL"], 1);
    assert!(
        w.e.of_type("Audit Changes").is_empty(),
        "a baseline has no changes"
    );
    assert_no_secret_value(&w.e.events());
}

#[tokio::test]
async fn a_complete_run_is_not_redone_the_same_day() {
    let w = seeded_world();
    w.run("2026-11-21").await.unwrap();
    let items = w.r.all();
    let events = w.e.events().len();
    let again = w.run("2026-11-21").await.unwrap();
    assert!(again.already_complete);
    assert_eq!(again.outcome, "complete");
    assert_eq!(w.r.all(), items, "nothing overwritten");
    assert_eq!(w.e.events().len(), events, "nothing announced twice");
    assert_eq!(w.g.calls("clients"), 1, "Genesys not even asked");
}

#[tokio::test]
async fn usage_and_role_failures_make_a_partial_run_that_a_retry_completes() {
    let w = seeded_world();
    w.rotation("team/failing", "t2", 1, "failed").await;
    w.g.fail("usage", 500, 1).fail("roles", 404, 1);
    let s = w.run("2026-11-21").await.unwrap();
    let err = s.clone().into_result().unwrap_err();
    let AuditError::Partial { run_id, missing } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(run_id, "2026-11-21");
    assert_eq!(err.error_type(), "AuditRunPartial");
    assert!(
        missing
            .iter()
            .any(|m| m.starts_with("usage: ") && m.contains("GenesysServerError")),
        "{missing:?}"
    );
    assert!(
        missing
            .iter()
            .any(|m| m.starts_with("roles: ") && m.contains("GenesysNotFound")),
        "{missing:?}"
    );
    let run = w.items("2026-11-21", "RUN").pop().unwrap();
    assert_eq!(run["outcome"], "partial");
    assert_eq!(run["missingSources"], json!(["roles", "usage"]));
    let partial = w.findings("2026-11-21");
    assert!(!partial
        .values()
        .flatten()
        .any(|c| c == UNUSED || c == NEVER_USED));
    assert!(
        !partial.values().flatten().any(|c| c == ORPHANED_ROLE),
        "unresolved is not orphaned"
    );
    assert_eq!(w.client_item("2026-11-21", "idle")["usageKnown"], false);
    assert_eq!(
        w.client_item("2026-11-21", "orphan")["rolesResolved"],
        false
    );
    let first_events = w.e.of_type("Audit Finding").len();

    let s = w.run("2026-11-21").await.unwrap();
    assert_eq!((s.outcome.as_str(), s.attempt), ("complete", 2));
    assert!(s.missing.is_empty());
    assert_eq!(w.findings("2026-11-21"), expected_seeded());
    // Findings announced by the partial attempt are not announced again.
    let announced: Vec<_> = w.e.of_type("Audit Finding");
    let mut keys: Vec<String> = announced
        .iter()
        .map(|e| format!("{}#{}", e.detail["subject"], e.detail["code"]))
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), announced.len(), "duplicate finding events");
    assert!(announced.len() >= first_events);
}

#[tokio::test]
async fn without_the_client_listing_the_run_fails_and_says_why() {
    let w = seeded_world();
    w.g.fail("clients", 503, 1);
    let err = w.run("2026-11-21").await.unwrap_err();
    assert_eq!(err.error_type(), "AuditClientListing.Transient");
    let run = w.items("2026-11-21", "RUN").pop().unwrap();
    assert_eq!(run["outcome"], "failed");
    assert_eq!(run["errorCode"], "GenesysServerError");
    assert_eq!(w.run("2026-11-21").await.unwrap().outcome, "complete");
}

#[tokio::test]
async fn changes_between_runs_added_removed_and_re_roled() {
    let w = seeded_world();
    w.run("2026-11-20").await.unwrap();
    // The org changes overnight.
    w.g.remove_client("idle");
    w.g.client(w.cc("newcomer", &["r-master"], 1));
    w.used("newcomer", 1);
    w.g.client(w.cc("clean", &["r-clients"], 100));
    w.g.client(w.cc("cred", &["r-read"], 100));
    let s = w.run("2026-11-21").await.unwrap();
    assert_eq!(s.previous_run_id.as_deref(), Some("2026-11-20"));
    assert_eq!(
        w.changes("2026-11-21"),
        set(&[
            "CHANGE#CLIENT_ADDED#client:newcomer",
            "CHANGE#CLIENT_REMOVED#client:idle",
            "CHANGE#ACCESS_CHANGED#client:clean",
            "CHANGE#ACCESS_CHANGED#client:cred",
            "CHANGE#FINDING_NEW#client:newcomer#ADMIN_PERMISSION",
            // The trail names nobody for these: admin-level access appeared unexplained.
            "CHANGE#FINDING_NEW#client:newcomer#ADMIN_ACCESS_GRANTED",
            "CHANGE#FINDING_NEW#client:clean#ADMIN_ACCESS_GRANTED",
            "CHANGE#FINDING_NEW#client:newcomer#CREDENTIAL_ADMIN_PERMISSION",
            "CHANGE#FINDING_NEW#client:newcomer#UNMANAGED_SECRET",
            "CHANGE#FINDING_NEW#client:clean#CREDENTIAL_ADMIN_PERMISSION",
            "CHANGE#FINDING_RESOLVED#client:cred#CREDENTIAL_ADMIN_PERMISSION",
            "CHANGE#FINDING_RESOLVED#client:idle#UNUSED",
            "CHANGE#FINDING_NEW#secret:team/idle#MANAGED_SECRET_MISSING_CLIENT",
        ])
    );
    let access: Value = serde_json::from_str(
        w.items("2026-11-21", "CHANGE#ACCESS_CHANGED#client:clean")[0]["detail"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(access["added"], json!(["role:r-clients@d-home"]));
    assert_eq!(access["removed"], json!(["role:r-read@d-home"]));
    // Only the new HIGH/CRITICAL findings of this run are announced individually.
    let today: Vec<String> =
        w.e.of_type("Audit Finding")
            .iter()
            .filter(|e| e.detail["runId"] == "2026-11-21")
            .map(subject_and_code)
            .collect();
    assert_eq!(today.len(), 6, "{today:?}");
    let changes = w.e.of_type("Audit Changes");
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].detail["counts"]["CLIENT_ADDED"], 1);
    assert_eq!(
        changes[0].severity,
        crate::ports::events::Severity::Critical
    );
    // A finding seen in both runs keeps its first run.
    let admin = w
        .items("2026-11-21", "FINDING#client:admin#")
        .pop()
        .unwrap();
    assert_eq!(admin["firstSeenRunId"], "2026-11-20");
    assert_eq!(admin["isNew"], false);
}

#[tokio::test]
async fn a_partial_run_is_no_baseline_and_missing_data_resolves_nothing() {
    let w = seeded_world();
    w.run("2026-11-19").await.unwrap();
    w.g.fail("usage", 500, 1);
    assert_eq!(w.run("2026-11-20").await.unwrap().outcome, "partial");
    assert!(
        !w.changes("2026-11-20")
            .iter()
            .any(|c| c.starts_with("CHANGE#FINDING_RESOLVED")),
        "usage findings are not resolved by a run without usage: {:?}",
        w.changes("2026-11-20")
    );
    // The next day compares with the last complete run.
    let s = w.run("2026-11-21").await.unwrap();
    assert_eq!(s.previous_run_id.as_deref(), Some("2026-11-19"));
}

#[tokio::test]
async fn severities_patterns_and_codes_come_from_configuration() {
    let mut w = seeded_world();
    w.cfg = AuditConfig::from_env(&[
        ("AUDIT_SEVERITY_OVERRIDES", "UNUSED=LOW"),
        ("AUDIT_DISABLED_CODES", "UNMANAGED_SECRET"),
        (
            "AUDIT_CONFIG_JSON",
            r#"{"permissionRules": [{"code": "DIRECTORY_WRITE", "severity": "HIGH", "permissions": ["directory:user:edit"]}]}"#,
        ),
    ][..])
    .unwrap();
    w.run("2026-11-21").await.unwrap();
    let f = w.findings("2026-11-21");
    assert_eq!(
        f["client:wild"],
        set(&["DIRECTORY_WRITE", WILDCARD_PERMISSION])
    );
    assert_eq!(
        f["client:admin"],
        set(&[
            ADMIN_PERMISSION,
            CREDENTIAL_ADMIN_PERMISSION,
            "DIRECTORY_WRITE"
        ])
    );
    assert!(!f.contains_key("client:unmanaged"));
    let idle = w
        .items("2026-11-21", "FINDING#client:idle#UNUSED")
        .pop()
        .unwrap();
    assert_eq!(idle["severity"], "LOW");
}

#[tokio::test]
async fn a_dry_run_writes_and_publishes_nothing() {
    let w = seeded_world();
    let s = w.run_with("2026-11-21", true).await.unwrap();
    assert!(s.dry_run);
    assert_eq!(s.findings_by_code[ADMIN_PERMISSION], 1);
    assert!(w.r.all().is_empty());
    assert!(w.e.events().is_empty());
}

#[tokio::test]
async fn leftovers_of_an_earlier_attempt_are_removed() {
    let w = seeded_world();
    w.g.fail("usage", 500, 1);
    assert_eq!(w.run("2026-11-21").await.unwrap().outcome, "partial");
    // Between the attempts a client disappears: its earlier items must not linger.
    w.g.remove_client("long");
    w.run("2026-11-21").await.unwrap();
    assert!(w.items("2026-11-21", "CLIENT#long").is_empty());
    assert!(w.items("2026-11-21", "FINDING#client:long#").is_empty());
}

#[tokio::test]
async fn finding_events_are_capped_per_run() {
    let mut w = seeded_world();
    w.cfg.max_finding_events = 2;
    let s = w.run("2026-11-21").await.unwrap();
    assert_eq!(w.e.of_type("Audit Finding").len(), 2);
    assert_eq!(s.finding_events_sent, 2);
    assert_eq!(s.finding_events_suppressed, 3);
}

#[tokio::test]
async fn an_alternating_partner_counts_as_managed() {
    let w = World::new();
    w.g.client(w.cc("a", &["r-read"], 100))
        .client(w.cc("b", &["r-read"], 100));
    w.used("a", 1);
    w.used("b", 1);
    w.managed("pair", Some("a"), 1);
    w.s.set_tag("pair", TAG_PARTNER_CLIENT_ID, "b");
    w.run("2026-11-21").await.unwrap();
    assert!(w.findings("2026-11-21").is_empty());
    assert_eq!(w.client_item("2026-11-21", "b")["managed"], true);
}

#[tokio::test]
async fn role_lookups_are_batched_and_usage_is_one_org_query() {
    let w = World::new();
    for i in 0..250 {
        let id = format!("r{i}");
        w.g.role(&id, &id, &["directory:user:view"]);
        w.g.client(w.cc(&format!("c{i}"), &[id.as_str()], 100));
    }
    w.run("2026-11-21").await.unwrap();
    assert_eq!(
        w.g.calls("roles"),
        3,
        "250 role ids: 3 lookups of up to 100"
    );
    assert_eq!(w.g.calls("usage"), 1);
    assert_eq!(w.g.calls("clients"), 1);
    let window = &w.g.windows()[0];
    assert_eq!((window.last_day - window.first_day).num_days(), 89);
}

#[tokio::test]
async fn running_out_of_time_records_a_partial_run_naming_the_records() {
    let w = seeded_world();
    // Less than the time kept for the summary: no item is written, the summary still is.
    let s = w
        .run_within("2026-11-21", false, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(s.outcome, "partial");
    assert!(
        s.missing
            .iter()
            .any(|m| m.starts_with("records: time budget ran out") && m.contains("0 of 18 clients")),
        "{:?}",
        s.missing
    );
    assert_eq!(
        w.items("2026-11-21", "RUN")[0]["missingSources"],
        json!(["records"])
    );
    assert!(w.items("2026-11-21", "CLIENT#").is_empty());
    // With time, the retry completes the run.
    assert_eq!(w.run("2026-11-21").await.unwrap().outcome, "complete");
    assert_eq!(w.items("2026-11-21", "CLIENT#").len(), 18);
}

#[tokio::test]
async fn stale_means_older_than_the_maximum_age_plus_grace() {
    let w = World::new();
    for (id, age) in [("a", 31), ("b", 33)] {
        w.g.client(w.cc(id, &["r-read"], 100));
        w.used(id, 1);
        w.managed(&format!("team/{id}"), Some(id), age);
    }
    // A per-secret maximum from the tag: 7 days (+2 grace) is exceeded at 10.
    w.g.client(w.cc("c", &["r-read"], 100));
    w.used("c", 1);
    w.managed("team/c", Some("c"), 10);
    w.s.set_tag("team/c", crate::credential::TAG_MAX_AGE_DAYS, "7");
    w.run("2026-11-21").await.unwrap();
    let f = w.findings("2026-11-21");
    assert_eq!(
        f.keys().collect::<Vec<_>>(),
        vec!["secret:team/b", "secret:team/c"],
        "31 days is within 30 + 2 days of grace"
    );
    let c = w
        .items("2026-11-21", "FINDING#secret:team/c#")
        .pop()
        .unwrap();
    let evidence: Value = serde_json::from_str(c["evidence"].as_str().unwrap()).unwrap();
    assert_eq!(
        (
            evidence["maxAgeDays"].as_u64(),
            evidence["maxAgeFrom"].as_str()
        ),
        (Some(7), Some("tag"))
    );
}

/// The record store, with queries failing (as a throttled GSI would).
struct QueriesFail<'a>(&'a MemoryRecords);

impl RecordStore for QueriesFail<'_> {
    async fn put(&self, item: Item, c: Condition) -> Result<(), StoreError> {
        self.0.put(item, c).await
    }
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        self.0.get(pk, sk).await
    }
    async fn query(&self, _q: Query) -> Result<Page, StoreError> {
        Err(StoreError::Unavailable("injected".into()))
    }
    async fn put_batch(&self, items: Vec<Item>) -> Result<BatchStats, StoreError> {
        self.0.put_batch(items).await
    }
    async fn delete(&self, pk: &str, sk: &str, c: Condition) -> Result<(), StoreError> {
        self.0.delete(pk, sk, c).await
    }
}

#[tokio::test]
async fn a_run_stopped_by_an_error_after_it_started_is_recorded_failed() {
    let w = seeded_world();
    let failing = QueriesFail(&w.r);
    let ports = Ports {
        genesys: &w.g,
        secrets: &w.s,
        records: &failing,
        events: &w.e,
        genesys_meter: &(),
        records_meter: &(),
        hub: None,
    };
    let req = AuditRequest {
        run_id: RunId::parse("2026-11-21").unwrap(),
        trigger: RunTrigger::Manual,
        scheduled_at: None,
        dry_run: false,
        keep_findings: false,
    };
    let deadline = Deadline::after(Duration::from_secs(60));
    let err = run_audit(&ports, &w.cfg, &req, w.now, &deadline)
        .await
        .unwrap_err();
    let run = w.items("2026-11-21", "RUN").pop().unwrap();
    assert_eq!(run["outcome"], "failed", "{run:?}");
    assert_eq!(run["errorCode"], err.error_type());
    assert!(run["finishedAt"].is_string());
    // Nothing is lost: the next run with a healthy store completes.
    assert_eq!(w.run("2026-11-21").await.unwrap().outcome, "complete");
}

mod security;

/// GIVEN rotations left unfinished (a pending version that is not current, an attempt record
/// still in progress) WHEN they are older than `rotationStuckAfterHours` THEN `ROTATION_STUCK`;
/// younger ones, and a finished rotation whose `AWSPENDING` is also `AWSCURRENT`, raise nothing.
#[tokio::test]
async fn unfinished_rotations_are_reported_once_past_the_policy() {
    use crate::ports::secrets::{SecretStore, AWSCURRENT, AWSPENDING};
    use crate::redact::SecretString;
    let w = World::new();
    for id in ["a", "b", "c", "d"] {
        w.g.client(w.cc(id, &["r-read"], 100));
        w.used(id, 1);
    }
    let pending = |name: &'static str, token: &'static str, hours: i64| {
        let w = &w;
        async move {
            w.s.put_pending(name, token, &SecretString::from("NEVER-READ-ME"), None)
                .await
                .unwrap();
            w.s.set_version_created(name, token, w.now - Days::hours(hours));
        }
    };
    w.managed("team/stuck", Some("a"), 1);
    pending("team/stuck", "t-stuck", 10).await;
    w.managed("team/young", Some("b"), 1);
    pending("team/young", "t-young", 1).await;
    w.managed("team/open", Some("c"), 1);
    w.rotation("team/open", "t-open", 2, "inProgress").await;
    w.managed("team/finished", Some("d"), 1);
    pending("team/finished", "t-done", 30).await;
    w.s.move_stage("team/finished", AWSCURRENT, Some("t-done"), Some("v1"))
        .await
        .unwrap();
    assert!(w
        .s
        .metadata("team/finished")
        .unwrap()
        .stages_of("t-done")
        .iter()
        .any(|s| s == AWSPENDING));

    w.run("2026-11-21").await.unwrap();
    let found = w.findings("2026-11-21");
    let stuck: BTreeSet<&str> = found
        .iter()
        .filter(|(_, codes)| codes.contains(ROTATION_STUCK))
        .map(|(subject, _)| subject.as_str())
        .collect();
    assert_eq!(
        stuck,
        BTreeSet::from(["secret:team/open", "secret:team/stuck"])
    );
    let f = w
        .items("2026-11-21", "FINDING#secret:team/stuck#")
        .pop()
        .unwrap();
    assert_eq!(f["severity"], "HIGH");
    let evidence: Value = serde_json::from_str(f["evidence"].as_str().unwrap()).unwrap();
    assert_eq!(evidence["unfinishedHours"], 10);
    assert_eq!(evidence["policyHours"], 6);
    assert_eq!(evidence["rotatedBy"], "credguard");
    let f = w
        .items("2026-11-21", "FINDING#secret:team/open#")
        .pop()
        .unwrap();
    let evidence: Value = serde_json::from_str(f["evidence"].as_str().unwrap()).unwrap();
    assert!(evidence["attempt"]["startedAt"].is_string(), "{evidence}");
    assert_eq!(w.s.reads(), 0, "no secret value read");
}

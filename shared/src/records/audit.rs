//! Audit records (`infra/DATA-MODEL.md`, "Audit"): one run summary, one item per client, per
//! finding and per change, all under `pk = AUDIT#<runId>`, so a run is one `Query` and a
//! re-run of the same run id writes the same keys (idempotent). Flat camelCase attributes with
//! stable names for exports; evidence is a JSON string so its shape never changes the table's
//! schema. No secret or token value is ever written.

use super::{for_each_item, from_item, to_item};
use crate::ports::records::{Item, Query, RecordStore, StoreError, GSI1, SK};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::ops::ControlFlow;

pub const SCHEMA_VERSION: u32 = 1;
pub const RUN_SK: &str = "RUN";
/// gsi1pk of every run summary; gsi1sk is the run id, so runs list in run-id (= date) order.
pub const AUDIT_RUNS: &str = "AUDIT_RUNS";

pub const TYPE_RUN: &str = "auditRun";
pub const TYPE_CLIENT: &str = "auditClient";
pub const TYPE_FINDING: &str = "auditFinding";
pub const TYPE_CHANGE: &str = "auditChange";
pub const TYPE_TRAIL: &str = "auditTrailEvent";

pub const CLIENT_PREFIX: &str = "CLIENT#";
pub const FINDING_PREFIX: &str = "FINDING#";
pub const CHANGE_PREFIX: &str = "CHANGE#";
pub const TRAIL_PREFIX: &str = "TRAIL#";

pub fn run_pk(run_id: &str) -> String {
    format!("AUDIT#{run_id}")
}

pub fn client_sk(client_id: &str) -> String {
    format!("{CLIENT_PREFIX}{client_id}")
}

pub fn finding_sk(subject: &str, code: &str) -> String {
    format!("{FINDING_PREFIX}{subject}#{code}")
}

/// Events sort by time within a run.
pub fn trail_sk(event_date: &str, event_id: &str) -> String {
    format!("{TRAIL_PREFIX}{event_date}#{event_id}")
}

pub fn change_sk(kind: &str, subject: &str, code: Option<&str>) -> String {
    match code {
        Some(code) => format!("{CHANGE_PREFIX}{kind}#{subject}#{code}"),
        None => format!("{CHANGE_PREFIX}{kind}#{subject}"),
    }
}

/// Run outcomes. `partial` names what is missing in `missing`; a retry with the same run id
/// completes it.
pub mod outcome {
    pub const IN_PROGRESS: &str = "inProgress";
    pub const COMPLETE: &str = "complete";
    pub const PARTIAL: &str = "partial";
    pub const FAILED: &str = "failed";
}

/// The attributes every item of a run carries: its key, type, run and TTL.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RunItem {
    pub pk: String,
    pub sk: String,
    pub record_type: String,
    pub schema_version: u32,
    pub run_id: String,
    /// `YYYY-MM-DD` (UTC) the run is for.
    pub run_date: String,
    pub expires_at: i64,
}

impl RunItem {
    pub fn new(
        run_id: &str,
        run_date: &str,
        sk: String,
        record_type: &str,
        expires_at: i64,
    ) -> Self {
        Self {
            pk: run_pk(run_id),
            sk,
            record_type: record_type.into(),
            schema_version: SCHEMA_VERSION,
            run_id: run_id.into(),
            run_date: run_date.into(),
            expires_at,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RunRecord {
    #[serde(flatten)]
    pub item: RunItem,
    pub gsi1pk: String,
    pub gsi1sk: String,
    /// `schedule` or `manual`.
    pub trigger: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled_at: Option<String>,
    pub started_at: String,
    pub attempt: u32,
    pub attempt_started_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    pub duration_ms: u64,
    pub outcome: String,
    /// Human-readable: what this run could not collect or record, and why.
    pub missing: Vec<String>,
    /// Machine-readable: the sources missing (`usage`, `roles`, `scopes`, `secrets`,
    /// `rotations`, `records`, `events`).
    pub missing_sources: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    pub clients_seen: u64,
    pub clients_recorded: u64,
    pub managed_secrets_seen: u64,
    pub findings_total: u64,
    pub findings_critical: u64,
    pub findings_high: u64,
    pub findings_medium: u64,
    pub findings_low: u64,
    pub findings_info: u64,
    pub codes_raised: Vec<String>,
    pub baseline: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_run_id: Option<String>,
    pub changes_total: u64,
    pub clients_added: u64,
    pub clients_removed: u64,
    pub access_changed: u64,
    pub findings_new: u64,
    pub findings_resolved: u64,
    pub severity_changed: u64,
    pub usage_window_days: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage_first_day: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage_last_day: Option<String>,
    /// HTTP requests to Genesys (attempts, retries included) during this attempt.
    pub genesys_requests: u64,
    /// DynamoDB requests during this attempt, before this summary was written.
    pub dynamodb_requests: u64,
    pub events_published: bool,
    pub finding_events_sent: u64,
    pub finding_events_suppressed: u64,
    /// The window of Genesys's audit trail this run read (previous complete run to now).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trail_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trail_to: Option<String>,
    /// Audit trail events recorded with this run.
    pub trail_events: u64,
    /// Security Hub: findings imported (new or changed), left as they were, archived.
    pub security_hub_imported: u64,
    pub security_hub_unchanged: u64,
    pub security_hub_archived: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ClientRecord {
    #[serde(flatten)]
    pub item: RunItem,
    pub client_id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub grant_type: String,
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_to_delete: Option<String>,
    pub access_token_validity_seconds: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_modified: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modified_by_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modified_by_name: Option<String>,
    pub role_ids: Vec<String>,
    pub role_names: Vec<String>,
    /// `<roleId>@<divisionId>` per grant (`*` = all divisions); change detection compares it.
    pub role_divisions: Vec<String>,
    pub division_ids: Vec<String>,
    pub all_divisions: bool,
    pub orphaned_role_ids: Vec<String>,
    /// False when a role lookup failed in this run: permissions may be incomplete.
    pub roles_resolved: bool,
    pub permissions: Vec<String>,
    pub permission_count: u64,
    pub permissions_truncated: bool,
    pub scopes: Vec<String>,
    pub unknown_scopes: Vec<String>,
    /// False when the usage query failed in this run.
    pub usage_known: bool,
    pub requests: u64,
    pub status4xx: u64,
    pub status429: u64,
    pub status5xx: u64,
    pub days_with_requests: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used_date: Option<String>,
    pub managed: bool,
    pub managed_secret_names: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_last_rotated_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_rotation_outcome: Option<String>,
    pub finding_codes: Vec<String>,
    pub findings_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub highest_severity: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FindingRecord {
    #[serde(flatten)]
    pub item: RunItem,
    /// `client:<id>`, `secret:<name>` or `credential:<id>`.
    pub subject: String,
    pub subject_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_name: Option<String>,
    pub code: String,
    pub severity: String,
    pub title: String,
    /// JSON object, as a string.
    pub evidence: String,
    pub remediation: String,
    pub source: String,
    /// The first run (of the chain of complete runs) that raised it.
    pub first_seen_run_id: String,
    /// Not raised by the previous complete run.
    pub is_new: bool,
    /// Security Hub: the finding's id there, the digest of what was imported and when (a
    /// finding whose digest did not change is not imported again until it needs refreshing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_hub_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hub_digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hub_imported_at: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ChangeRecord {
    #[serde(flatten)]
    pub item: RunItem,
    pub previous_run_id: String,
    /// `CLIENT_ADDED`, `CLIENT_REMOVED`, `ACCESS_CHANGED`, `FINDING_NEW`, `FINDING_RESOLVED`,
    /// `SEVERITY_CHANGED`.
    pub kind: String,
    pub subject: String,
    pub subject_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_severity: Option<String>,
    /// JSON object, as a string (e.g. roles before and after).
    pub detail: String,
    /// Who made the change, from Genesys's audit trail (client changes only; absent when the
    /// trail has no event for it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_by_user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_by_user_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_by_client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_by_credguard: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit_event_id: Option<String>,
}

/// One event of Genesys's audit trail about an OAuth client or a token deletion, recorded with
/// the run that read it. Property names only, never their values.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TrailRecord {
    #[serde(flatten)]
    pub item: RunItem,
    pub event_id: String,
    pub event_date: String,
    pub service_name: String,
    pub entity_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_name: Option<String>,
    pub action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The person behind the change, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// The OAuth client that made the call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_client_id: Option<String>,
    pub remote_ip: Vec<String>,
    /// Names of the properties that changed.
    pub properties: Vec<String>,
    pub secret_reset: bool,
    /// Made by credguard (one of its clients, or explained by one of its rotation records).
    pub by_credguard: bool,
    /// The rotation attempt that explains it, when one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_token: Option<String>,
    /// Managed secrets holding the client the event is about.
    pub managed_secret_names: Vec<String>,
}

/// A recent rotation record of a managed secret, read as raw JSON: the rotation function owns
/// that type, the audit tolerates any attribute being absent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecentRotation {
    pub token: Option<String>,
    pub outcome: Option<String>,
    pub started_at: Option<String>,
    pub updated_at: Option<String>,
    pub finished_at: Option<String>,
    pub error_code: Option<String>,
    /// The client whose secret the attempt produced (alternating: the idle partner).
    pub client_id: Option<String>,
    pub previous_client_id: Option<String>,
    pub created_client_id: Option<String>,
    pub dependents_updated: Vec<String>,
    pub dependents_failed: Vec<String>,
}

impl RecentRotation {
    fn from_item(item: &Item) -> Self {
        let text = |k: &str| item.get(k).and_then(Value::as_str).map(str::to_owned);
        let list = |k: &str| -> Vec<String> {
            item.get(k)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        Self {
            token: text("token"),
            outcome: text("outcome"),
            started_at: text("startedAt"),
            updated_at: text("updatedAt"),
            finished_at: text("finishedAt"),
            error_code: text("errorCode"),
            client_id: text("clientId"),
            previous_client_id: text("previousClientId"),
            created_client_id: text("createdClientId"),
            dependents_updated: list("dependentsUpdated"),
            dependents_failed: list("dependentsFailed"),
        }
    }
}

pub struct AuditRecords<'a, S> {
    store: &'a S,
}

impl<'a, S: RecordStore> AuditRecords<'a, S> {
    pub fn new(store: &'a S) -> Self {
        Self { store }
    }

    pub async fn get_run(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
        match self.store.get(&run_pk(run_id), RUN_SK).await? {
            Some(item) => Ok(Some(from_item(item)?)),
            None => Ok(None),
        }
    }

    pub async fn put_run(&self, run: &RunRecord) -> Result<(), StoreError> {
        self.store
            .put(to_item(run), crate::ports::records::Condition::Always)
            .await
    }

    /// The newest complete run whose id sorts before `run_id` (change detection baseline).
    pub async fn previous_complete_run(
        &self,
        run_id: &str,
    ) -> Result<Option<RunRecord>, StoreError> {
        let runs = Query {
            index: Some(GSI1),
            pk: AUDIT_RUNS.into(),
            descending: true,
            limit: Some(50),
            ..Query::default()
        };
        for_each_item(self.store, runs, |item| {
            let run: RunRecord = from_item(item)?;
            Ok(
                if run.item.run_id.as_str() < run_id && run.outcome == outcome::COMPLETE {
                    ControlFlow::Break(run)
                } else {
                    ControlFlow::Continue(())
                },
            )
        })
        .await
    }

    /// Calls `f` with every item of a run whose sort key starts with `prefix`, page by page,
    /// so a 10,000-client run is never held in memory as raw items.
    pub async fn for_each(
        &self,
        run_id: &str,
        prefix: &str,
        mut f: impl FnMut(Item) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let items = Query {
            pk: run_pk(run_id),
            sk_prefix: Some(prefix.to_owned()),
            ..Query::default()
        };
        for_each_item(self.store, items, |item| {
            f(item).map(ControlFlow::<()>::Continue)
        })
        .await?;
        Ok(())
    }

    /// The sort keys of everything a run holds besides its summary.
    pub async fn item_keys(&self, run_id: &str) -> Result<Vec<String>, StoreError> {
        let mut keys = Vec::new();
        for prefix in [CLIENT_PREFIX, FINDING_PREFIX, CHANGE_PREFIX, TRAIL_PREFIX] {
            self.for_each(run_id, prefix, |item| {
                if let Some(sk) = item.get(SK).and_then(Value::as_str) {
                    keys.push(sk.to_owned());
                }
                Ok(())
            })
            .await?;
        }
        Ok(keys)
    }

    pub async fn delete_item(&self, run_id: &str, sk: &str) -> Result<(), StoreError> {
        self.store
            .delete(
                &run_pk(run_id),
                sk,
                crate::ports::records::Condition::Always,
            )
            .await
    }

    /// The newest rotation records of a secret, newest first (gsi1
    /// `SECRET#<name>#ROTATIONS`, descending).
    pub async fn recent_rotations(
        &self,
        secret_name: &str,
        limit: usize,
    ) -> Result<Vec<RecentRotation>, StoreError> {
        let newest_first = Query {
            index: Some(GSI1),
            pk: format!("SECRET#{secret_name}#ROTATIONS"),
            descending: true,
            limit: Some(limit as u32),
            ..Query::default()
        };
        let mut out = Vec::with_capacity(limit);
        for_each_item(self.store, newest_first, |item| {
            out.push(RecentRotation::from_item(&item));
            Ok(if out.len() >= limit {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            })
        })
        .await?;
        Ok(out)
    }
}

pub fn item<T: Serialize>(record: &T) -> Item {
    to_item(record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::records::Condition;
    use crate::testing::MemoryRecords;
    use serde_json::json;

    fn run(id: &str, outcome: &str) -> RunRecord {
        RunRecord {
            item: RunItem::new(id, &id[..10], RUN_SK.into(), TYPE_RUN, 0),
            gsi1pk: AUDIT_RUNS.into(),
            gsi1sk: id.into(),
            outcome: outcome.into(),
            ..RunRecord::default()
        }
    }

    #[tokio::test]
    async fn previous_complete_run_skips_later_and_unfinished_runs() {
        let store = MemoryRecords::default();
        let repo = AuditRecords::new(&store);
        for (id, o) in [
            ("2026-11-18", outcome::COMPLETE),
            ("2026-11-19", outcome::COMPLETE),
            ("2026-11-20", outcome::PARTIAL),
            ("2026-11-22", outcome::COMPLETE),
        ] {
            repo.put_run(&run(id, o)).await.unwrap();
        }
        let prev = repo.previous_complete_run("2026-11-21").await.unwrap();
        assert_eq!(prev.unwrap().item.run_id, "2026-11-19");
        assert!(repo
            .previous_complete_run("2026-11-18")
            .await
            .unwrap()
            .is_none());
        assert_eq!(
            repo.get_run("2026-11-20").await.unwrap().unwrap().outcome,
            "partial"
        );
    }

    #[tokio::test]
    async fn recent_rotations_tolerate_missing_attributes() {
        let store = MemoryRecords::default();
        for (token, started, extra) in [
            (
                "t1",
                "2026-11-01T00:00:00.000Z",
                json!({"outcome": "succeeded"}),
            ),
            (
                "t2",
                "2026-11-10T00:00:00.000Z",
                json!({"errorCode": "GenesysForbidden", "outcome": "failed"}),
            ),
            ("t3", "2026-11-05T00:00:00.000Z", json!({})),
        ] {
            let mut item = json!({
                "pk": "SECRET#team/a", "sk": format!("ROTATION#{token}"),
                "gsi1pk": "SECRET#team/a#ROTATIONS", "gsi1sk": started, "startedAt": started,
            });
            item.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            store
                .put(item.as_object().unwrap().clone(), Condition::Always)
                .await
                .unwrap();
        }
        let repo = AuditRecords::new(&store);
        let recent = repo.recent_rotations("team/a", 2).await.unwrap();
        assert_eq!(recent.len(), 2);
        let latest = &recent[0];
        assert_eq!(latest.outcome.as_deref(), Some("failed"));
        assert_eq!(latest.error_code.as_deref(), Some("GenesysForbidden"));
        assert_eq!(latest.finished_at, None);
        assert_eq!(
            recent[1].started_at.as_deref(),
            Some("2026-11-05T00:00:00.000Z")
        );
        assert!(repo.recent_rotations("team/b", 2).await.unwrap().is_empty());
    }

    #[test]
    fn keys_follow_the_data_model() {
        assert_eq!(run_pk("2026-11-21"), "AUDIT#2026-11-21");
        assert_eq!(client_sk("c1"), "CLIENT#c1");
        assert_eq!(
            finding_sk("client:c1", "UNUSED"),
            "FINDING#client:c1#UNUSED"
        );
        assert_eq!(
            change_sk("FINDING_NEW", "client:c1", Some("UNUSED")),
            "CHANGE#FINDING_NEW#client:c1#UNUSED"
        );
        assert_eq!(
            change_sk("CLIENT_ADDED", "client:c1", None),
            "CHANGE#CLIENT_ADDED#client:c1"
        );
        let item = item(&run("2026-11-21", outcome::COMPLETE));
        assert_eq!(item["gsi1pk"], "AUDIT_RUNS");
        assert!(
            !item.contains_key("previousRunId"),
            "absent options are omitted"
        );
    }
}

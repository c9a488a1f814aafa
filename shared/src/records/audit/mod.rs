//! Audit records (`infra/DATA-MODEL.md`, "Audit"): one run summary, one item per client, per
//! finding and per change, all under `pk = AUDIT#<runId>`, so a run is one `Query` and a
//! re-run of the same run id writes the same keys (idempotent). Flat camelCase attributes with
//! stable names for exports; evidence is a JSON string so its shape never changes the table's
//! schema. No secret or token value is ever written.

mod items;

pub use items::*;

use super::{for_each_item, from_item, to_item};
use crate::ports::records::{Item, Query, RecordStore, StoreError, GSI1, SK};
use serde::Serialize;
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

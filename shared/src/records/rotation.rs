//! Rotation attempts: one item per `ClientRequestToken`, updated step by step with
//! optimistic concurrency, so an auditor can read what each attempt did and where it stopped.

use super::{from_item, iso, to_item, ttl_after};
use crate::ports::records::{Condition, Query, RecordStore, StoreError, GSI1, GSI2, GSI2_SK};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AttemptState {
    Started,
    SecretCreated,
    SecretSet,
    Tested,
    Finished,
    Failed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    InProgress,
    Succeeded,
    Failed,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transition {
    pub at: String,
    pub step: String,
    pub state: AttemptState,
    pub error_code: Option<String>,
}

/// The `rotation` item (see infra/DATA-MODEL.md for every attribute).
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RotationRecord {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    /// Present while the attempt is in progress: the sparse index of open attempts.
    pub gsi2pk: Option<String>,
    pub gsi2sk: Option<String>,
    pub record_type: String,
    pub secret_id: String,
    pub secret_arn: String,
    pub token: String,
    pub strategy: String,
    pub trigger: String,
    pub reason: Option<String>,
    pub requested_by: Option<String>,
    /// Alternating: disable the previous client right after the switch (a leak). Kept with
    /// the attempt, so whichever execution finishes it does what was asked.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retire_previous_now: bool,
    /// Requests (e.g. revocation ids) this attempt answers: the requester reads its outcome here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub request_ids: Vec<String>,
    /// Times the sweep asked Secrets Manager to re-drive this stuck attempt.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub redriven: u32,
    pub client_id: String,
    pub previous_client_id: Option<String>,
    pub state: AttemptState,
    pub step_reached: String,
    pub outcome: Outcome,
    /// `POST .../secret` (or create) calls of this attempt that Genesys did not definitely
    /// refuse: what the attempt's bound counts. Never reset, whatever a later run finds.
    pub regenerations: u32,
    pub intent_at: Option<String>,
    pub created_client_id: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub retryable: Option<bool>,
    #[serde(default)]
    pub correlation_ids: Vec<String>,
    #[serde(default)]
    pub transitions: Vec<Transition>,
    #[serde(default)]
    pub dependents_updated: Vec<String>,
    #[serde(default)]
    pub dependents_failed: Vec<String>,
    pub retire_after: Option<String>,
    pub retired_at: Option<String>,
    pub started_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
    pub duration_ms: Option<i64>,
    pub expires_at: i64,
    pub revision: u64,
    /// Whether this revision is in the store (a new attempt is first written by `save`).
    #[serde(skip)]
    stored: bool,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// `gsi2pk` of every attempt in progress.
const OPEN_ATTEMPTS: &str = "ROTATIONS#OPEN";

/// Correlation ids kept per attempt (the most recent ones).
const MAX_CORRELATION_IDS: usize = 20;
const MAX_TRANSITIONS: usize = 40;

pub struct NewAttempt<'a> {
    pub secret_name: &'a str,
    pub secret_arn: &'a str,
    pub token: &'a str,
    pub strategy: &'a str,
    pub trigger: &'a str,
    pub reason: Option<&'a str>,
    pub requested_by: Option<&'a str>,
    pub client_id: &'a str,
    pub previous_client_id: Option<&'a str>,
}

impl RotationRecord {
    pub fn new(a: NewAttempt<'_>, now: DateTime<Utc>, retention_days: u32) -> Self {
        let started = iso(now);
        Self {
            pk: format!("SECRET#{}", a.secret_name),
            sk: format!("ROTATION#{}", a.token),
            gsi1pk: format!("SECRET#{}#ROTATIONS", a.secret_name),
            gsi1sk: started.clone(),
            gsi2pk: None,
            gsi2sk: None,
            record_type: "rotation".into(),
            secret_id: a.secret_name.into(),
            secret_arn: a.secret_arn.into(),
            token: a.token.into(),
            strategy: a.strategy.into(),
            trigger: a.trigger.into(),
            reason: a.reason.map(str::to_owned),
            requested_by: a.requested_by.map(str::to_owned),
            retire_previous_now: false,
            request_ids: vec![],
            redriven: 0,
            client_id: a.client_id.into(),
            previous_client_id: a.previous_client_id.map(str::to_owned),
            state: AttemptState::Started,
            step_reached: "createSecret".into(),
            outcome: Outcome::InProgress,
            regenerations: 0,
            intent_at: None,
            created_client_id: None,
            error_code: None,
            error_message: None,
            retryable: None,
            correlation_ids: vec![],
            transitions: vec![Transition {
                at: started.clone(),
                step: "createSecret".into(),
                state: AttemptState::Started,
                error_code: None,
            }],
            dependents_updated: vec![],
            dependents_failed: vec![],
            retire_after: None,
            retired_at: None,
            started_at: started.clone(),
            updated_at: started,
            finished_at: None,
            duration_ms: None,
            expires_at: ttl_after(now, retention_days),
            revision: 0,
            stored: false,
        }
    }

    /// Notes a request this attempt answers (once).
    pub fn answer_request(&mut self, id: &str) {
        if !self.request_ids.iter().any(|r| r == id) {
            self.request_ids.push(id.to_owned());
        }
    }

    pub fn note_correlation(&mut self, id: Option<&str>) {
        if let Some(id) = id.filter(|s| !s.is_empty()) {
            self.correlation_ids.push(id.to_owned());
            let excess = self
                .correlation_ids
                .len()
                .saturating_sub(MAX_CORRELATION_IDS);
            self.correlation_ids.drain(..excess);
        }
    }

    /// Moves to `state` after `step`, clearing any earlier error.
    pub fn advance(&mut self, step: &str, state: AttemptState, now: DateTime<Utc>) {
        self.step_reached = step.into();
        self.state = state;
        self.error_code = None;
        self.error_message = None;
        self.retryable = None;
        self.outcome = if state == AttemptState::Finished {
            Outcome::Succeeded
        } else {
            Outcome::InProgress
        };
        if state == AttemptState::Finished {
            self.finished_at = Some(iso(now));
            self.duration_ms = DateTime::parse_from_rfc3339(&self.started_at)
                .ok()
                .map(|s| (now - s.with_timezone(&Utc)).num_milliseconds());
        }
        self.push_transition(step, state, None, now);
    }

    /// Records a failed step. `Failed` is final only when the error is not retryable.
    pub fn fail(
        &mut self,
        step: &str,
        code: &str,
        message: &str,
        retryable: bool,
        now: DateTime<Utc>,
    ) {
        self.step_reached = step.into();
        self.error_code = Some(code.into());
        self.error_message = Some(message.chars().take(500).collect());
        self.retryable = Some(retryable);
        if !retryable {
            self.state = AttemptState::Failed;
            self.outcome = Outcome::Failed;
            self.finished_at = Some(iso(now));
        }
        self.push_transition(step, self.state, Some(code), now);
    }

    fn push_transition(
        &mut self,
        step: &str,
        state: AttemptState,
        code: Option<&str>,
        now: DateTime<Utc>,
    ) {
        self.updated_at = iso(now);
        self.transitions.push(Transition {
            at: iso(now),
            step: step.into(),
            state,
            error_code: code.map(str::to_owned),
        });
        let excess = self.transitions.len().saturating_sub(MAX_TRANSITIONS);
        self.transitions.drain(..excess);
    }
}

pub struct RotationRecords<'a, S> {
    store: &'a S,
}

impl<'a, S: RecordStore> RotationRecords<'a, S> {
    pub fn new(store: &'a S) -> Self {
        Self { store }
    }

    pub async fn get(
        &self,
        secret_name: &str,
        token: &str,
    ) -> Result<Option<RotationRecord>, StoreError> {
        let item = self
            .store
            .get(
                &format!("SECRET#{secret_name}"),
                &format!("ROTATION#{token}"),
            )
            .await?;
        item.map(loaded).transpose()
    }

    /// Saves `record` if nobody changed it since it was read (or, for a new attempt, if no
    /// attempt with its token exists yet); bumps its revision.
    pub async fn save(&self, record: &mut RotationRecord) -> Result<(), StoreError> {
        let open = record.outcome == Outcome::InProgress;
        record.gsi2pk = open.then(|| OPEN_ATTEMPTS.to_owned());
        record.gsi2sk = open.then(|| record.secret_id.clone());
        let expected = record.revision;
        let condition = if record.stored {
            Condition::Equals("revision", json!(expected))
        } else {
            Condition::NotExists
        };
        record.revision += 1;
        match self.store.put(to_item(record), condition).await {
            Ok(()) => {
                record.stored = true;
                Ok(())
            }
            Err(e) => {
                record.revision = expected;
                Err(e)
            }
        }
    }

    /// Secrets with an attempt in progress, and the attempts' tokens (one query per page of
    /// the sparse index, whatever the number of secrets).
    pub async fn open(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut out = Vec::new();
        let mut cursor = None;
        loop {
            let page = self
                .store
                .query(Query {
                    index: Some(GSI2),
                    pk: OPEN_ATTEMPTS.into(),
                    cursor,
                    ..Query::default()
                })
                .await?;
            for item in &page.items {
                let text = |k: &str| item.get(k).and_then(|v| v.as_str()).unwrap_or_default();
                let token = text("sk").trim_start_matches("ROTATION#").to_owned();
                out.push((text(GSI2_SK).to_owned(), token));
            }
            match page.cursor {
                Some(c) => cursor = Some(c),
                None => return Ok(out),
            }
        }
    }

    /// The attempt answering request `id`: the one it started (its token), or a recent one
    /// it joined.
    pub async fn answering(
        &self,
        secret_name: &str,
        id: &str,
    ) -> Result<Option<RotationRecord>, StoreError> {
        if let Some(r) = self.get(secret_name, id).await? {
            return Ok(Some(r));
        }
        Ok(self
            .latest(secret_name, 10)
            .await?
            .into_iter()
            .find(|r| r.request_ids.iter().any(|x| x == id)))
    }

    /// The most recent attempts for a secret, newest first.
    pub async fn latest(
        &self,
        secret_name: &str,
        limit: u32,
    ) -> Result<Vec<RotationRecord>, StoreError> {
        let page = self
            .store
            .query(Query {
                index: Some(GSI1),
                pk: format!("SECRET#{secret_name}#ROTATIONS"),
                descending: true,
                limit: Some(limit),
                ..Query::default()
            })
            .await?;
        page.items.into_iter().map(loaded).collect()
    }
}

fn loaded(item: crate::ports::records::Item) -> Result<RotationRecord, StoreError> {
    let mut r: RotationRecord = from_item(item)?;
    r.stored = true;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::MemoryRecords;

    fn attempt(token: &str) -> NewAttempt<'_> {
        NewAttempt {
            secret_name: "s",
            secret_arn: "arn:s",
            token,
            strategy: "regenerate",
            trigger: "sweep",
            reason: None,
            requested_by: None,
            client_id: "c",
            previous_client_id: None,
        }
    }

    #[tokio::test]
    async fn lifecycle_with_optimistic_concurrency() {
        let store = MemoryRecords::default();
        let repo = RotationRecords::new(&store);
        let now = Utc::now();
        let mut r = RotationRecord::new(attempt("t1"), now, 30);
        repo.save(&mut r).await.unwrap();
        // A second new attempt with the same token is refused; the stored one is read back.
        let mut twin = RotationRecord::new(attempt("t1"), now, 30);
        assert_eq!(repo.save(&mut twin).await, Err(StoreError::ConditionFailed));
        let again = repo.get("s", "t1").await.unwrap().unwrap();
        assert_eq!(again, r);

        let mut stale = r.clone();
        r.advance("createSecret", AttemptState::SecretCreated, now);
        repo.save(&mut r).await.unwrap();
        stale.advance("createSecret", AttemptState::SecretCreated, now);
        assert_eq!(
            repo.save(&mut stale).await,
            Err(StoreError::ConditionFailed)
        );

        r.fail(
            "testSecret",
            "PropagationTimeout",
            "not accepted yet",
            true,
            now,
        );
        assert_eq!(
            r.outcome,
            Outcome::InProgress,
            "retryable failures are not final"
        );
        repo.save(&mut r).await.unwrap();
        r.advance(
            "finishSecret",
            AttemptState::Finished,
            now + chrono::Duration::seconds(3),
        );
        repo.save(&mut r).await.unwrap();
        let stored = repo.get("s", "t1").await.unwrap().unwrap();
        assert_eq!(stored.outcome, Outcome::Succeeded);
        assert_eq!(stored.duration_ms, Some(3000));
        assert_eq!(stored.error_code, None);
        assert_eq!(stored.transitions.len(), 4);
        assert_eq!(stored.revision, 4);
    }

    #[tokio::test]
    async fn attempts_in_progress_are_found_in_one_query() {
        let store = MemoryRecords::default();
        let repo = RotationRecords::new(&store);
        let now = Utc::now();
        let mut open = RotationRecord::new(attempt("t1"), now, 30);
        repo.save(&mut open).await.unwrap();
        let mut done = RotationRecord::new(
            NewAttempt {
                secret_name: "other",
                ..attempt("t2")
            },
            now,
            30,
        );
        repo.save(&mut done).await.unwrap();
        assert_eq!(repo.open().await.unwrap().len(), 2);
        done.advance("finishSecret", AttemptState::Finished, now);
        repo.save(&mut done).await.unwrap();
        open.fail("createSecret", "Fatal.X", "no", false, now);
        repo.save(&mut open).await.unwrap();
        assert!(
            repo.open().await.unwrap().is_empty(),
            "finished and failed leave the index"
        );
        open.fail("createSecret", "Retryable.X", "later", true, now);
        open.outcome = Outcome::InProgress;
        repo.save(&mut open).await.unwrap();
        assert_eq!(
            repo.open().await.unwrap(),
            vec![("s".to_owned(), "t1".to_owned())]
        );
    }

    #[tokio::test]
    async fn latest_is_newest_first() {
        let store = MemoryRecords::default();
        let repo = RotationRecords::new(&store);
        let t0 = Utc::now();
        for (i, token) in ["a", "b", "c"].iter().enumerate() {
            let mut r =
                RotationRecord::new(attempt(token), t0 + chrono::Duration::seconds(i as i64), 30);
            repo.save(&mut r).await.unwrap();
        }
        let latest = repo.latest("s", 2).await.unwrap();
        assert_eq!(
            latest.iter().map(|r| r.token.as_str()).collect::<Vec<_>>(),
            vec!["c", "b"]
        );
    }
}

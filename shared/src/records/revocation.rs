//! Revocation records: one item per API action (who asked, what, the identity checks, the
//! outcome, Genesys correlation ids). Written when the action starts and again when it ends,
//! so a crash leaves a record that says so rather than nothing.

use super::{from_item, iso, to_item, ttl_after};
use crate::ports::records::{Condition, Query, RecordStore, StoreError, PK, SK};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallerIdentity {
    /// IAM principal ARN from the API Gateway request context.
    pub arn: String,
    pub account_id: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RevocationRecord {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    pub record_type: String,
    pub revocation_id: String,
    /// `revokeUserTokens`, `revokeUserTokensBulk`, `revokeAccessToken`, `disableClient`,
    /// `enableClient`, `emergencyRotation`.
    pub action: String,
    /// What was acted on: `{userId}`, `{userIds}`, `{tokenSha256}`, `{clientId}`.
    pub target: Value,
    pub requested_by: CallerIdentity,
    pub reason: String,
    pub dry_run: bool,
    pub break_glass: bool,
    pub break_glass_reason: Option<String>,
    /// The identity checks and their results.
    pub checks: Value,
    /// `inProgress`, `completed`, `dryRun`, `refused`, `notFound`, `alreadyDone`, `partial`,
    /// `started` (handed to another function), `failed`.
    pub outcome: String,
    /// HTTP status the API answered.
    pub status: u16,
    pub previous_state: Option<String>,
    #[serde(default)]
    pub correlation_ids: Vec<String>,
    pub idempotency_key: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// Bulk: one result per user.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<Value>,
    pub created_at: String,
    pub completed_at: Option<String>,
    pub expires_at: i64,
}

pub struct NewRevocation<'a> {
    pub id: &'a str,
    pub action: &'a str,
    pub target: Value,
    pub requested_by: CallerIdentity,
    pub reason: &'a str,
    pub dry_run: bool,
    pub break_glass_reason: Option<&'a str>,
    pub idempotency_key: Option<&'a str>,
}

impl RevocationRecord {
    pub fn new(n: NewRevocation<'_>, now: DateTime<Utc>, retention_days: u32) -> Self {
        let created = iso(now);
        Self {
            pk: format!("REVOCATION#{}", n.id),
            sk: "REVOCATION".into(),
            gsi1pk: format!("REVOCATIONS#{}", now.format("%Y-%m-%d")),
            gsi1sk: format!("{created}#{}", n.id),
            record_type: "revocation".into(),
            revocation_id: n.id.into(),
            action: n.action.into(),
            target: n.target,
            requested_by: n.requested_by,
            reason: n.reason.into(),
            dry_run: n.dry_run,
            break_glass: n.break_glass_reason.is_some(),
            break_glass_reason: n.break_glass_reason.map(str::to_owned),
            checks: Value::Object(Default::default()),
            outcome: "inProgress".into(),
            status: 0,
            previous_state: None,
            correlation_ids: vec![],
            idempotency_key: n.idempotency_key.map(str::to_owned),
            error_code: None,
            error_message: None,
            results: vec![],
            created_at: created,
            completed_at: None,
            expires_at: ttl_after(now, retention_days),
        }
    }

    pub fn note_correlation(&mut self, id: Option<&str>) {
        if let Some(id) = id.filter(|s| !s.is_empty()) {
            self.correlation_ids.push(id.to_owned());
        }
    }
}

pub struct RevocationRecords<'a, S> {
    store: &'a S,
}

impl<'a, S: RecordStore> RevocationRecords<'a, S> {
    pub fn new(store: &'a S) -> Self {
        Self { store }
    }

    pub async fn start(&self, r: &RevocationRecord) -> Result<(), StoreError> {
        self.store.put(to_item(r), Condition::NotExists).await
    }

    pub async fn finish(&self, r: &RevocationRecord) -> Result<(), StoreError> {
        self.store.put(to_item(r), Condition::Always).await
    }

    pub async fn get(&self, id: &str) -> Result<Option<RevocationRecord>, StoreError> {
        self.store
            .get(&format!("REVOCATION#{id}"), "REVOCATION")
            .await?
            .map(from_item)
            .transpose()
    }

    /// Writes (or overwrites) one user's outcome in a bulk revocation.
    pub async fn put_user(&self, u: &UserResult) -> Result<(), StoreError> {
        self.store.put(to_item(u), Condition::Always).await
    }

    /// A page of a bulk revocation's per-user outcomes, by user id, after `after`.
    pub async fn users_page(
        &self,
        id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<UserResult>, Option<String>), StoreError> {
        let pk = format!("REVOCATION#{id}");
        let mut cursor = after.map(|a| {
            let mut c = crate::ports::records::Item::new();
            c.insert(PK.into(), Value::String(pk.clone()));
            c.insert(SK.into(), Value::String(format!("USER#{a}")));
            c
        });
        let mut out = Vec::new();
        loop {
            let page = self
                .store
                .query(Query {
                    pk: pk.clone(),
                    sk_prefix: Some("USER#".into()),
                    limit: Some((limit - out.len()) as u32),
                    cursor,
                    ..Query::default()
                })
                .await?;
            for item in page.items {
                out.push(from_item(item)?);
            }
            match page.cursor {
                Some(c) if out.len() < limit => cursor = Some(c),
                c => {
                    let next = c.and(out.last().map(|u: &UserResult| u.user_id.clone()));
                    return Ok((out, next));
                }
            }
        }
    }

    /// Every per-user outcome of a bulk revocation.
    pub async fn all_users(&self, id: &str) -> Result<Vec<UserResult>, StoreError> {
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let (page, next) = self.users_page(id, after.as_deref(), 500).await?;
            out.extend(page);
            match next {
                Some(n) => after = Some(n),
                None => return Ok(out),
            }
        }
    }
}

/// One user's outcome in a bulk revocation (`REVOCATION#<id>` / `USER#<userId>`): its own item,
/// so a job of any size stays far from DynamoDB's item limit and can resume where it stopped.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserResult {
    pub pk: String,
    pub sk: String,
    pub record_type: String,
    pub revocation_id: String,
    pub user_id: String,
    /// `completed`, `dryRun`, `refused`, `notFound`, `failed`; `retrying` until it is final.
    pub outcome: String,
    pub status: u16,
    pub checks: Value,
    pub error: Option<Value>,
    pub correlation_id: Option<String>,
    /// Tries so far (a rate-limited or unavailable Genesys is tried again, up to a bound).
    pub attempts: u32,
    pub at: String,
    pub expires_at: i64,
}

impl UserResult {
    pub fn new(
        revocation_id: &str,
        user_id: &str,
        now: DateTime<Utc>,
        retention_days: u32,
    ) -> Self {
        Self {
            pk: format!("REVOCATION#{revocation_id}"),
            sk: format!("USER#{user_id}"),
            record_type: "revocationUser".into(),
            revocation_id: revocation_id.into(),
            user_id: user_id.into(),
            outcome: "retrying".into(),
            status: 0,
            checks: Value::Null,
            error: None,
            correlation_id: None,
            attempts: 0,
            at: iso(now),
            expires_at: ttl_after(now, retention_days),
        }
    }

    pub fn is_final(&self) -> bool {
        self.outcome != "retrying"
    }
}

//! `Idempotency-Key`: the first request with a key does the work and stores its response; a
//! replay with the same key and body gets that response back without any new Genesys call;
//! the same key with another body is refused. Keys are scoped to the caller and expire.

use super::{from_item, iso, to_item};
use crate::ports::records::{Condition, RecordStore, StoreError, TTL};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyItem {
    pk: String,
    sk: String,
    record_type: String,
    caller: String,
    key: String,
    request_hash: String,
    /// `inProgress` or `completed`.
    state: String,
    response_status: Option<u16>,
    response_body: Option<Value>,
    created_at: String,
    expires_at: i64,
}

/// What a request finds when it presents its key.
#[derive(Clone, Debug, PartialEq)]
pub enum Begin {
    /// First use: do the work, then `complete` (or `release`).
    Fresh,
    /// Same key, same request, already answered: return this.
    Replay { status: u16, body: Value },
    /// Same key, different request.
    Mismatch,
    /// Same key, same request, still being worked on.
    InProgress,
}

pub struct IdempotencyKeys<'a, S> {
    store: &'a S,
    ttl: chrono::Duration,
    /// An in-progress claim older than this is considered abandoned (its invocation died).
    stale_after: chrono::Duration,
}

fn pk(caller: &str, key: &str) -> String {
    format!("IDEMPOTENCY#{caller}#{key}")
}

impl<'a, S: RecordStore> IdempotencyKeys<'a, S> {
    pub fn new(store: &'a S, ttl: std::time::Duration) -> Self {
        Self {
            store,
            ttl: chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::hours(24)),
            stale_after: chrono::Duration::minutes(2),
        }
    }

    pub async fn begin(
        &self,
        caller: &str,
        key: &str,
        request_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Begin, StoreError> {
        let claim = self.item(caller, key, request_hash, None, now);
        // An expired key (not yet removed by TTL) is free again.
        match self
            .store
            .put(
                to_item(&claim),
                Condition::NotExistsOrBelow(TTL, now.timestamp()),
            )
            .await
        {
            Ok(()) => return Ok(Begin::Fresh),
            Err(StoreError::ConditionFailed) => {}
            Err(e) => return Err(e),
        }
        let Some(item) = self.store.get(&claim.pk, "IDEMPOTENCY").await? else {
            // Removed between the two calls: try once more.
            return match self.store.put(to_item(&claim), Condition::NotExists).await {
                Ok(()) => Ok(Begin::Fresh),
                Err(StoreError::ConditionFailed) => Ok(Begin::InProgress),
                Err(e) => Err(e),
            };
        };
        let stored: KeyItem = from_item(item)?;
        if stored.request_hash != request_hash {
            return Ok(Begin::Mismatch);
        }
        if stored.state == "completed" {
            return Ok(Begin::Replay {
                status: stored.response_status.unwrap_or(200),
                body: stored.response_body.unwrap_or(Value::Null),
            });
        }
        let started = DateTime::parse_from_rfc3339(&stored.created_at)
            .map(|t| t.with_timezone(&Utc))
            .ok();
        if started.is_some_and(|t| now - t > self.stale_after) {
            // The invocation that claimed it died: take it over (the actions are idempotent).
            let taken = self
                .store
                .put(
                    to_item(&claim),
                    Condition::Equals("createdAt", json!(stored.created_at)),
                )
                .await;
            return match taken {
                Ok(()) => Ok(Begin::Fresh),
                Err(StoreError::ConditionFailed) => Ok(Begin::InProgress),
                Err(e) => Err(e),
            };
        }
        Ok(Begin::InProgress)
    }

    /// Stores the final response for replays.
    pub async fn complete(
        &self,
        caller: &str,
        key: &str,
        request_hash: &str,
        status: u16,
        body: &Value,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let done = self.item(caller, key, request_hash, Some((status, body)), now);
        self.store.put(to_item(&done), Condition::Always).await
    }

    /// The key's item: in progress, or completed with its answer.
    fn item(
        &self,
        caller: &str,
        key: &str,
        request_hash: &str,
        answer: Option<(u16, &Value)>,
        now: DateTime<Utc>,
    ) -> KeyItem {
        KeyItem {
            pk: pk(caller, key),
            sk: "IDEMPOTENCY".into(),
            record_type: "idempotencyKey".into(),
            caller: caller.into(),
            key: key.into(),
            request_hash: request_hash.into(),
            state: if answer.is_some() {
                "completed"
            } else {
                "inProgress"
            }
            .into(),
            response_status: answer.map(|(status, _)| status),
            response_body: answer.map(|(_, body)| body.clone()),
            created_at: iso(now),
            expires_at: (now + self.ttl).timestamp(),
        }
    }

    /// Gives the key back (a transient failure the caller should retry with the same key).
    pub async fn release(&self, caller: &str, key: &str) -> Result<(), StoreError> {
        self.store
            .delete(
                &pk(caller, key),
                "IDEMPOTENCY",
                Condition::Equals("state", json!("inProgress")),
            )
            .await
            .or_else(|e| {
                if e == StoreError::ConditionFailed {
                    Ok(())
                } else {
                    Err(e)
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::MemoryRecords;
    use std::time::Duration;

    #[tokio::test]
    async fn first_use_replay_mismatch_and_release() {
        let store = MemoryRecords::default();
        let keys = IdempotencyKeys::new(&store, Duration::from_secs(3600));
        let now = Utc::now();
        for (caller, hash, expected) in [
            ("alice", "h1", Begin::Fresh),
            ("alice", "h1", Begin::InProgress),
            ("alice", "h2", Begin::Mismatch),
            // Another caller's key of the same name is another key.
            ("bob", "h2", Begin::Fresh),
        ] {
            let got = keys.begin(caller, "k1", hash, now).await.unwrap();
            assert_eq!(got, expected, "{caller} {hash}");
        }
        keys.complete("alice", "k1", "h1", 200, &json!({"ok": true}), now)
            .await
            .unwrap();
        assert_eq!(
            keys.begin("alice", "k1", "h1", now).await.unwrap(),
            Begin::Replay {
                status: 200,
                body: json!({"ok": true})
            }
        );
        keys.release("bob", "k1").await.unwrap();
        assert_eq!(
            keys.begin("bob", "k1", "h3", now).await.unwrap(),
            Begin::Fresh
        );
    }

    #[tokio::test]
    async fn abandoned_and_expired_keys_are_free_again() {
        let store = MemoryRecords::default();
        let keys = IdempotencyKeys::new(&store, Duration::from_secs(3600));
        let t0 = Utc::now();
        assert_eq!(keys.begin("a", "k", "h", t0).await.unwrap(), Begin::Fresh);
        let later = t0 + chrono::Duration::minutes(3);
        assert_eq!(
            keys.begin("a", "k", "h", later).await.unwrap(),
            Begin::Fresh,
            "abandoned claim taken over"
        );
        keys.complete("a", "k", "h", 200, &json!(1), later)
            .await
            .unwrap();
        let after_ttl = later + chrono::Duration::hours(2);
        assert_eq!(
            keys.begin("a", "k", "other", after_ttl).await.unwrap(),
            Begin::Fresh,
            "expired"
        );
    }
}

//! Leases: at most one holder per name at a time (e.g. one rotation per secret), taken over
//! only once expired, so a crashed holder cannot block forever.

use super::{iso, to_item};
use crate::ports::records::{Condition, Item, RecordStore, StoreError, TTL};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LeaseItem {
    pk: String,
    sk: String,
    record_type: String,
    name: String,
    owner: String,
    acquired_at: String,
    /// Epoch seconds; also the table's TTL attribute, so stale leases get cleaned up.
    expires_at: i64,
}

/// Who holds a lease, until when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    pub owner: String,
    pub lapses_at: DateTime<Utc>,
}

pub struct Leases<'a, S> {
    store: &'a S,
}

fn pk(name: &str) -> String {
    format!("LEASE#{name}")
}

fn lease_item(name: &str, owner: &str, ttl: std::time::Duration, now: DateTime<Utc>) -> Item {
    to_item(&LeaseItem {
        pk: pk(name),
        sk: "LEASE".into(),
        record_type: "lease".into(),
        name: name.into(),
        owner: owner.into(),
        acquired_at: iso(now),
        expires_at: expiry_seconds(now, ttl),
    })
}

/// `now + ttl` in whole seconds, rounded up: a lease never lapses before its time.
fn expiry_seconds(now: DateTime<Utc>, ttl: std::time::Duration) -> i64 {
    let until = chrono::Duration::from_std(ttl)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    until.timestamp() + i64::from(until.timestamp_subsec_nanos() > 0)
}

impl<'a, S: RecordStore> Leases<'a, S> {
    pub fn new(store: &'a S) -> Self {
        Self { store }
    }

    /// Takes the lease for `ttl`, or extends it if `owner` already holds it. `false` when
    /// someone else holds an unexpired lease.
    pub async fn acquire(
        &self,
        name: &str,
        owner: &str,
        ttl: std::time::Duration,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let free = Condition::NotExistsOrBelow(TTL, now.timestamp());
        let lease = lease_item(name, owner, ttl, now);
        // Held: ours to extend, or someone else's.
        Ok(self.put_if(lease, free).await? || self.renew(name, owner, ttl, now).await?)
    }

    /// Extends `owner`'s lease to `now + ttl`; `false` if `owner` no longer holds it.
    pub async fn renew(
        &self,
        name: &str,
        owner: &str,
        ttl: std::time::Duration,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let ours = Condition::Equals("owner", json!(owner));
        self.put_if(lease_item(name, owner, ttl, now), ours).await
    }

    /// Writes the lease `item` if `condition` holds; `false` if it does not.
    async fn put_if(&self, item: Item, condition: Condition) -> Result<bool, StoreError> {
        match self.store.put(item, condition).await {
            Ok(()) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Gives the lease up if `owner` still holds it (a lease taken over is left alone).
    pub async fn release(&self, name: &str, owner: &str) -> Result<(), StoreError> {
        match self
            .store
            .delete(&pk(name), "LEASE", Condition::Equals("owner", json!(owner)))
            .await
        {
            Ok(()) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The current holder, if the lease is unexpired.
    pub async fn holder(
        &self,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        Ok(self.held(name, now).await?.map(|h| h.owner))
    }

    /// The current holder and when its lease lapses, if it is unexpired.
    pub async fn held(&self, name: &str, now: DateTime<Utc>) -> Result<Option<Held>, StoreError> {
        Ok(self.store.get(&pk(name), "LEASE").await?.and_then(|i| {
            let item: LeaseItem = super::from_item(i).ok()?;
            (item.expires_at >= now.timestamp()).then(|| Held {
                owner: item.owner,
                // Lapsed once the whole second has passed (expiry is rounded up).
                lapses_at: DateTime::from_timestamp(item.expires_at + 1, 0)
                    .unwrap_or(DateTime::<Utc>::MAX_UTC),
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::MemoryRecords;
    use std::time::Duration;

    #[test]
    fn expiry_rounds_up_to_the_next_second() {
        let now = DateTime::parse_from_rfc3339("2026-01-01T00:00:00.400Z")
            .unwrap()
            .with_timezone(&Utc);
        let base = now.timestamp();
        let ttl = std::time::Duration::from_millis(2_500);
        assert_eq!(expiry_seconds(now, ttl), base + 3, "00:00:02.900 -> 3");
        assert_eq!(
            expiry_seconds(now, std::time::Duration::from_millis(600)),
            base + 1
        );
        assert!(
            expiry_seconds(now, std::time::Duration::MAX) > base,
            "saturates"
        );
    }

    #[tokio::test]
    async fn one_holder_until_expiry_and_reentrant() {
        let store = MemoryRecords::default();
        let leases = Leases::new(&store);
        let t0 = Utc::now();
        let ttl = Duration::from_secs(60);
        assert!(leases.acquire("s1", "a", ttl, t0).await.unwrap());
        assert!(!leases.acquire("s1", "b", ttl, t0).await.unwrap());
        assert!(
            leases.acquire("s1", "a", ttl, t0).await.unwrap(),
            "the holder may extend"
        );
        assert_eq!(leases.holder("s1", t0).await.unwrap().as_deref(), Some("a"));
        let later = t0 + chrono::Duration::seconds(62);
        assert!(
            leases.acquire("s1", "b", ttl, later).await.unwrap(),
            "expired: taken over"
        );
        leases.release("s1", "a").await.unwrap();
        assert_eq!(
            leases.holder("s1", later).await.unwrap().as_deref(),
            Some("b"),
            "a cannot release b's lease"
        );
        assert!(
            !leases.renew("s1", "a", ttl, later).await.unwrap(),
            "a no longer holds it"
        );
        let much_later = later + chrono::Duration::seconds(50);
        assert!(leases.renew("s1", "b", ttl, much_later).await.unwrap());
        let held = leases.held("s1", much_later).await.unwrap().unwrap();
        assert_eq!(held.owner, "b");
        assert!(held.lapses_at > much_later + chrono::Duration::seconds(60));
        leases.release("s1", "b").await.unwrap();
        assert_eq!(leases.holder("s1", later).await.unwrap(), None);
    }
}

//! Typed repositories over the [`RecordStore`] port: the key design of the one table lives
//! here and is documented in `infra/DATA-MODEL.md`. Items are flat JSON with stable camelCase
//! names, a `recordType`, ISO-8601 UTC timestamps and an `expiresAt` TTL, because auditors
//! read them through DynamoDB exports.

pub mod audit;
pub mod idempotency;
pub mod lease;
pub mod revocation;
pub mod rotation;

use crate::ports::records::{Item, Query, RecordStore, StoreError};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::ops::ControlFlow;

/// RFC 3339 UTC with milliseconds: sorts lexically in time order.
pub fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Epoch seconds `days` after `now`, for the `expiresAt` TTL attribute.
pub fn ttl_after(now: DateTime<Utc>, days: u32) -> i64 {
    (now + chrono::Duration::days(i64::from(days))).timestamp()
}

pub fn to_item<T: Serialize>(value: &T) -> Item {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(map)) => map,
        // Records are structs: anything else is a programming error caught by tests.
        other => panic!("record did not serialize to an object: {other:?}"),
    }
}

pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::Object(item))
        .map_err(|e| StoreError::Invalid(format!("stored record does not match its type: {e}")))
}

/// Hands every item `q` matches to `f`, page by page, until `f` breaks (its value is returned):
/// the one paging loop over the store, and a large partition is never held as raw items.
pub async fn for_each_item<S: RecordStore, B>(
    store: &S,
    mut q: Query,
    mut f: impl FnMut(Item) -> Result<ControlFlow<B>, StoreError>,
) -> Result<Option<B>, StoreError> {
    loop {
        let page = store.query(q.clone()).await?;
        for item in page.items {
            if let ControlFlow::Break(b) = f(item)? {
                return Ok(Some(b));
            }
        }
        match page.cursor {
            Some(c) => q.cursor = Some(c),
            None => return Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_has_millis_and_z() {
        let t = DateTime::parse_from_rfc3339("2026-11-21T06:00:00.5+00:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(iso(t), "2026-11-21T06:00:00.500Z");
        assert_eq!(ttl_after(t, 1) - t.timestamp(), 86_400);
    }

    #[tokio::test]
    async fn paging_visits_every_page_and_stops_when_told() {
        let store = crate::testing::MemoryRecords::default();
        for i in 0..7 {
            let item = serde_json::json!({"pk": "P", "sk": format!("S#{i}")});
            store
                .put(
                    item.as_object().cloned().unwrap(),
                    crate::ports::records::Condition::Always,
                )
                .await
                .unwrap();
        }
        let q = Query {
            pk: "P".into(),
            limit: Some(2),
            ..Query::default()
        };
        let mut seen = 0;
        let none: Option<()> = for_each_item(&store, q.clone(), |_| {
            seen += 1;
            Ok(ControlFlow::Continue(()))
        })
        .await
        .unwrap();
        assert_eq!((seen, none), (7, None));
        let fifth = for_each_item(&store, q, |item| {
            Ok(match item["sk"].as_str() {
                Some("S#4") => ControlFlow::Break("found"),
                _ => ControlFlow::Continue(()),
            })
        })
        .await
        .unwrap();
        assert_eq!(fifth, Some("found"));
    }
}

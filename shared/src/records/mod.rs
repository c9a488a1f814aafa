//! Typed repositories over the [`RecordStore`] port: the key design of the one table lives
//! here and is documented in `infra/DATA-MODEL.md`. Items are flat JSON with stable camelCase
//! names, a `recordType`, ISO-8601 UTC timestamps and an `expiresAt` TTL, because auditors
//! read them through DynamoDB exports.

pub mod audit;
pub mod idempotency;
pub mod lease;
pub mod revocation;
pub mod rotation;

use crate::ports::records::{Item, StoreError};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;

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
}

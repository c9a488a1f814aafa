//! What the domain needs from the record store: a key-value table with conditional writes,
//! range queries and batch writes. Items are JSON maps, so typed repositories (in
//! `crate::records`) own the key design and an in-memory store can stand in for DynamoDB.

use serde_json::{Map, Value};
use std::future::Future;

pub type Item = Map<String, Value>;

/// Partition and sort key attribute names of the table (and of its GSI).
pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const GSI1: &str = "gsi1";
pub const GSI1_PK: &str = "gsi1pk";
pub const GSI1_SK: &str = "gsi1sk";
/// A sparse index: only items that carry `gsi2pk` are in it (e.g. rotation attempts while
/// they are in progress), so one query finds them all.
pub const GSI2: &str = "gsi2";
pub const GSI2_PK: &str = "gsi2pk";
pub const GSI2_SK: &str = "gsi2sk";

/// The key attributes of the table (`None`) or of an index.
pub fn key_attributes(index: Option<&str>) -> Option<(&'static str, &'static str)> {
    match index {
        None => Some((PK, SK)),
        Some(GSI1) => Some((GSI1_PK, GSI1_SK)),
        Some(GSI2) => Some((GSI2_PK, GSI2_SK)),
        Some(_) => None,
    }
}
/// TTL attribute: epoch seconds after which DynamoDB may delete the item.
pub const TTL: &str = "expiresAt";

/// A write condition, kept to the few forms the domain needs.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    Always,
    /// No item with this key exists.
    NotExists,
    /// The item exists and `attr` equals the value (optimistic concurrency on `revision`).
    Equals(&'static str, Value),
    /// No item exists, or the numeric `attr` is below the value (an expired lease).
    NotExistsOrBelow(&'static str, i64),
    /// No item exists, or `attr` equals the value (re-taking one's own lease).
    NotExistsOrEquals(&'static str, Value),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Query {
    pub index: Option<&'static str>,
    pub pk: String,
    pub sk_prefix: Option<String>,
    pub descending: bool,
    pub limit: Option<u32>,
    /// Continuation from a previous page.
    pub cursor: Option<Item>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    pub items: Vec<Item>,
    pub cursor: Option<Item>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchStats {
    pub requests: u32,
    /// Items the store handed back unprocessed at least once (then retried).
    pub unprocessed_retried: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("condition not met")]
    ConditionFailed,
    #[error("record store throttled: {0}")]
    Throttled(String),
    #[error("record store unavailable: {0}")]
    Unavailable(String),
    #[error("record store rejected the request: {0}")]
    Invalid(String),
}

impl StoreError {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ConditionFailed => "RecordConditionFailed",
            Self::Throttled(_) => "RecordStoreThrottled",
            Self::Unavailable(_) => "RecordStoreUnavailable",
            Self::Invalid(_) => "RecordStoreInvalid",
        }
    }
}

pub trait RecordStore: Send + Sync {
    fn put(
        &self,
        item: Item,
        condition: Condition,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Strongly consistent read.
    fn get(
        &self,
        pk: &str,
        sk: &str,
    ) -> impl Future<Output = Result<Option<Item>, StoreError>> + Send;
    fn query(&self, q: Query) -> impl Future<Output = Result<Page, StoreError>> + Send;
    /// Writes many items (in batches of 25), retrying unprocessed items with backoff.
    fn put_batch(
        &self,
        items: Vec<Item>,
    ) -> impl Future<Output = Result<BatchStats, StoreError>> + Send;
    fn delete(
        &self,
        pk: &str,
        sk: &str,
        condition: Condition,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

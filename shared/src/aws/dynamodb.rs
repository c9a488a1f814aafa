//! DynamoDB adapter for [`RecordStore`]: JSON items ↔ attribute values, conditions as
//! expressions, batch writes with retry of unprocessed items.

use super::{failure, Failure};
use crate::backoff::Backoff;
use crate::ports::records::{
    key_attributes, BatchStats, Condition, Item, Page, Query, RecordStore, StoreError, PK, SK,
};
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use aws_sdk_dynamodb::Client;
use serde_json::{Number, Value};
use std::collections::HashMap;
use std::time::Duration;

/// DynamoDB accepts at most 25 items per `BatchWriteItem`.
const BATCH_SIZE: usize = 25;
const BATCH_ATTEMPTS: u32 = 8;

#[derive(Clone, Debug)]
pub struct DynamoRecords {
    client: Client,
    table: String,
    /// Counts requests made (figures: DynamoDB requests per audit run).
    requests: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

fn map(f: Failure) -> StoreError {
    let text = format!("{}: {}", f.code, f.message);
    match f.code.as_str() {
        "ConditionalCheckFailedException" => StoreError::ConditionFailed,
        "ValidationException" | "ResourceNotFoundException" | "SerializationException" => {
            StoreError::Invalid(text)
        }
        _ if f.is_throttling() => StoreError::Throttled(text),
        _ => StoreError::Unavailable(text),
    }
}

pub fn to_attr(v: &Value) -> AttributeValue {
    match v {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) => AttributeValue::S(s.clone()),
        Value::Array(a) => AttributeValue::L(a.iter().map(to_attr).collect()),
        Value::Object(o) => {
            AttributeValue::M(o.iter().map(|(k, v)| (k.clone(), to_attr(v))).collect())
        }
    }
}

pub fn from_attr(a: &AttributeValue) -> Value {
    match a {
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::N(n) => n
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| {
                n.parse::<f64>()
                    .map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number))
            })
            .unwrap_or(Value::Null),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::L(l) => Value::Array(l.iter().map(from_attr).collect()),
        AttributeValue::M(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), from_attr(v))).collect())
        }
        AttributeValue::Ss(s) => Value::Array(s.iter().cloned().map(Value::String).collect()),
        AttributeValue::Ns(n) => Value::Array(
            n.iter()
                .filter_map(|x| x.parse::<f64>().ok())
                .map(Value::from)
                .collect(),
        ),
        _ => Value::Null,
    }
}

fn to_item(item: &Item) -> HashMap<String, AttributeValue> {
    item.iter().map(|(k, v)| (k.clone(), to_attr(v))).collect()
}

fn from_item(item: &HashMap<String, AttributeValue>) -> Item {
    item.iter()
        .map(|(k, v)| (k.clone(), from_attr(v)))
        .collect()
}

/// Expression, names and values for a condition.
type Expr = (
    String,
    HashMap<String, String>,
    HashMap<String, AttributeValue>,
);

fn condition_expr(c: &Condition) -> Option<Expr> {
    let names = |attr: &str| {
        HashMap::from([
            ("#pk".to_owned(), PK.to_owned()),
            ("#c".to_owned(), attr.to_owned()),
        ])
    };
    match c {
        Condition::Always => None,
        Condition::NotExists => Some((
            "attribute_not_exists(#pk)".into(),
            HashMap::from([("#pk".to_owned(), PK.to_owned())]),
            HashMap::new(),
        )),
        Condition::Equals(attr, v) => Some((
            "#c = :c".into(),
            HashMap::from([("#c".to_owned(), (*attr).to_owned())]),
            HashMap::from([(":c".to_owned(), to_attr(v))]),
        )),
        Condition::NotExistsOrBelow(attr, n) => Some((
            "attribute_not_exists(#pk) OR #c < :c".into(),
            names(attr),
            HashMap::from([(":c".to_owned(), AttributeValue::N(n.to_string()))]),
        )),
        Condition::NotExistsOrEquals(attr, v) => Some((
            "attribute_not_exists(#pk) OR #c = :c".into(),
            names(attr),
            HashMap::from([(":c".to_owned(), to_attr(v))]),
        )),
    }
}

/// A condition as the optional request fields the SDK builders take.
type ExprParts = (
    Option<String>,
    Option<HashMap<String, String>>,
    Option<HashMap<String, AttributeValue>>,
);

fn condition_parts(c: &Condition) -> ExprParts {
    condition_expr(c).map_or((None, None, None), |(e, n, v)| {
        (Some(e), Some(n), (!v.is_empty()).then_some(v))
    })
}

impl DynamoRecords {
    pub fn new(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        Self::from_client(Client::new(config), table)
    }

    pub fn from_client(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            requests: Default::default(),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// DynamoDB requests made through this adapter so far.
    pub fn request_count(&self) -> u64 {
        self.requests.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn count(&self) {
        self.requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    fn key(pk: &str, sk: &str) -> HashMap<String, AttributeValue> {
        HashMap::from([
            (PK.to_owned(), AttributeValue::S(pk.to_owned())),
            (SK.to_owned(), AttributeValue::S(sk.to_owned())),
        ])
    }
}

impl crate::ports::meter::RequestMeter for DynamoRecords {
    fn requests(&self) -> u64 {
        self.request_count()
    }
}

impl RecordStore for DynamoRecords {
    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        let (expr, names, values) = condition_parts(&condition);
        self.count();
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&item)))
            .set_condition_expression(expr)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .send()
            .await
            .map_err(|e| map(failure(&e)))?;
        Ok(())
    }

    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        self.count();
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| map(failure(&e)))?;
        Ok(out.item().map(from_item))
    }

    async fn query(&self, q: Query) -> Result<Page, StoreError> {
        let (pk_attr, sk_attr) = key_attributes(q.index)
            .ok_or_else(|| StoreError::Invalid(format!("unknown index {:?}", q.index)))?;
        let mut names = HashMap::from([("#pk".to_owned(), pk_attr.to_owned())]);
        let mut values = HashMap::from([(":pk".to_owned(), AttributeValue::S(q.pk.clone()))]);
        let mut expr = "#pk = :pk".to_owned();
        if let Some(prefix) = &q.sk_prefix {
            names.insert("#sk".into(), sk_attr.into());
            values.insert(":sk".into(), AttributeValue::S(prefix.clone()));
            expr.push_str(" AND begins_with(#sk, :sk)");
        }
        self.count();
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(q.index.map(str::to_owned))
            .key_condition_expression(expr)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .scan_index_forward(!q.descending)
            .set_limit(q.limit.map(|l| l as i32))
            .set_exclusive_start_key(q.cursor.as_ref().map(to_item))
            .set_consistent_read(q.index.is_none().then_some(true))
            .send()
            .await
            .map_err(|e| map(failure(&e)))?;
        Ok(Page {
            items: out.items().iter().map(from_item).collect(),
            cursor: out.last_evaluated_key().map(from_item),
        })
    }

    async fn put_batch(&self, items: Vec<Item>) -> Result<BatchStats, StoreError> {
        let backoff = Backoff {
            base: Duration::from_millis(50),
            max: Duration::from_secs(2),
        };
        let mut stats = BatchStats::default();
        for chunk in items.chunks(BATCH_SIZE) {
            let mut pending: Vec<WriteRequest> = chunk
                .iter()
                .map(|item| {
                    WriteRequest::builder()
                        .put_request(
                            PutRequest::builder()
                                .set_item(Some(to_item(item)))
                                .build()
                                .expect("item is set"),
                        )
                        .build()
                })
                .collect();
            let mut attempt = 0;
            while !pending.is_empty() {
                attempt += 1;
                if attempt > BATCH_ATTEMPTS {
                    return Err(StoreError::Throttled(format!(
                        "{} items still unprocessed after {BATCH_ATTEMPTS} attempts",
                        pending.len()
                    )));
                }
                if attempt > 1 {
                    stats.unprocessed_retried += pending.len() as u32;
                    tokio::time::sleep(backoff.delay(attempt - 1)).await;
                }
                stats.requests += 1;
                self.count();
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, pending.clone())
                    .send()
                    .await
                    .map_err(|e| map(failure(&e)))?;
                pending = out
                    .unprocessed_items()
                    .and_then(|m| m.get(&self.table))
                    .cloned()
                    .unwrap_or_default();
            }
        }
        Ok(stats)
    }

    async fn delete(&self, pk: &str, sk: &str, condition: Condition) -> Result<(), StoreError> {
        let (expr, names, values) = condition_parts(&condition);
        self.count();
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk, sk)))
            .set_condition_expression(expr)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .send()
            .await
            .map_err(|e| map(failure(&e)))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_round_trips_through_attribute_values() {
        let v = json!({"s": "x", "n": 42, "f": 1.5, "b": true, "z": null, "l": [1, "a"], "m": {"k": "v"}});
        let Value::Object(item) = v.clone() else {
            unreachable!()
        };
        assert_eq!(Value::Object(from_item(&to_item(&item))), v);
    }

    #[test]
    fn conditions_become_expressions() {
        assert!(condition_expr(&Condition::Always).is_none());
        let (e, n, _) = condition_expr(&Condition::NotExists).unwrap();
        assert_eq!(e, "attribute_not_exists(#pk)");
        assert_eq!(n["#pk"], "pk");
        let (e, n, v) = condition_expr(&Condition::NotExistsOrBelow("expiresAt", 10)).unwrap();
        assert_eq!(e, "attribute_not_exists(#pk) OR #c < :c");
        assert_eq!(n["#c"], "expiresAt");
        assert_eq!(v[":c"], AttributeValue::N("10".into()));
    }
}

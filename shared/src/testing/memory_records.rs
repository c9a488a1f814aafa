use crate::ports::records::{
    key_attributes, BatchStats, Condition, Item, Page, Query, RecordStore, StoreError, PK, SK,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The record store in memory, with the same condition semantics as the DynamoDB adapter.
#[derive(Clone, Default)]
pub struct MemoryRecords {
    items: Arc<Mutex<BTreeMap<(String, String), Item>>>,
}

fn text(item: &Item, attr: &str) -> String {
    item.get(attr)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn holds(existing: Option<&Item>, condition: &Condition) -> bool {
    match condition {
        Condition::Always => true,
        Condition::NotExists => existing.is_none(),
        Condition::Equals(attr, v) => existing.is_some_and(|i| i.get(*attr) == Some(v)),
        Condition::NotExistsOrBelow(attr, n) => {
            existing.is_none_or(|i| i.get(*attr).and_then(Value::as_i64).is_some_and(|x| x < *n))
        }
        Condition::NotExistsOrEquals(attr, v) => existing.is_none_or(|i| i.get(*attr) == Some(v)),
    }
}

impl MemoryRecords {
    pub fn all(&self) -> Vec<Item> {
        self.items.lock().unwrap().values().cloned().collect()
    }
}

impl RecordStore for MemoryRecords {
    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        let key = (text(&item, PK), text(&item, SK));
        let mut items = self.items.lock().unwrap();
        if !holds(items.get(&key), &condition) {
            return Err(StoreError::ConditionFailed);
        }
        items.insert(key, item);
        Ok(())
    }

    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        Ok(self
            .items
            .lock()
            .unwrap()
            .get(&(pk.to_owned(), sk.to_owned()))
            .cloned())
    }

    async fn query(&self, q: Query) -> Result<Page, StoreError> {
        let (pk_attr, sk_attr) = key_attributes(q.index)
            .ok_or_else(|| StoreError::Invalid(format!("unknown index {:?}", q.index)))?;
        let mut hits: Vec<Item> = self
            .items
            .lock()
            .unwrap()
            .values()
            .filter(|i| text(i, pk_attr) == q.pk)
            .filter(|i| {
                q.sk_prefix
                    .as_ref()
                    .is_none_or(|p| text(i, sk_attr).starts_with(p.as_str()))
            })
            .cloned()
            .collect();
        hits.sort_by_key(|i| (text(i, sk_attr), text(i, PK), text(i, SK)));
        if q.descending {
            hits.reverse();
        }
        let start = q.cursor.as_ref().map_or(0, |c| {
            hits.iter()
                .position(|i| text(i, PK) == text(c, PK) && text(i, SK) == text(c, SK))
                .map_or(hits.len(), |p| p + 1)
        });
        let limit = q.limit.map_or(usize::MAX, |l| l as usize);
        let items: Vec<Item> = hits.iter().skip(start).take(limit).cloned().collect();
        let more = start + items.len() < hits.len();
        let cursor = more.then(|| {
            let last = items.last().expect("non-empty when more remain");
            let mut c = Item::new();
            c.insert(PK.into(), last[PK].clone());
            c.insert(SK.into(), last[SK].clone());
            c
        });
        Ok(Page { items, cursor })
    }

    async fn put_batch(&self, items: Vec<Item>) -> Result<BatchStats, StoreError> {
        let requests = items.len().div_ceil(25) as u32;
        for item in items {
            self.put(item, Condition::Always).await?;
        }
        Ok(BatchStats {
            requests,
            unprocessed_retried: 0,
        })
    }

    async fn delete(&self, pk: &str, sk: &str, condition: Condition) -> Result<(), StoreError> {
        let key = (pk.to_owned(), sk.to_owned());
        let mut items = self.items.lock().unwrap();
        if !holds(items.get(&key), &condition) {
            return Err(StoreError::ConditionFailed);
        }
        items.remove(&key);
        Ok(())
    }
}

//! Batched, bounded, deadline-aware writes of a run's items: memory stays bounded by the chunk
//! size, DynamoDB is kept busy with a few batches in flight, and writing stops (counting what it
//! dropped) when only the time to record the run's outcome is left.

use crate::deadline::Deadline;
use crate::ports::records::{BatchStats, Item, RecordStore, StoreError};
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::StreamExt;
use std::time::Duration;

/// Items per `put_batch` call, and calls in flight.
const WRITE_CHUNK: usize = 250;
const WRITES_IN_FLIGHT: usize = 4;
/// Time kept for the summary record and the events once records stop being written.
const FINISH_RESERVE: Duration = Duration::from_secs(3);

/// Object-safe view of `put_batch` (the port's methods return `impl Future`).
pub(super) trait DynStore: Send + Sync {
    fn put_batch_boxed(&self, items: Vec<Item>) -> BoxFuture<'_, Result<BatchStats, StoreError>>;
}

impl<R: RecordStore> DynStore for R {
    fn put_batch_boxed(&self, items: Vec<Item>) -> BoxFuture<'_, Result<BatchStats, StoreError>> {
        Box::pin(self.put_batch(items))
    }
}

pub(super) struct Writer<'a> {
    /// `None`: a dry run; items are accepted and dropped.
    store: Option<&'a (dyn DynStore + 'a)>,
    deadline: Deadline,
    buf: Vec<Item>,
    inflight: FuturesUnordered<BoxFuture<'a, Result<BatchStats, StoreError>>>,
    /// Items not written because time ran out.
    pub dropped: u64,
}

impl<'a> Writer<'a> {
    pub fn new(store: Option<&'a (dyn DynStore + 'a)>, deadline: Deadline) -> Self {
        Self {
            store,
            deadline,
            buf: Vec::with_capacity(WRITE_CHUNK),
            inflight: FuturesUnordered::new(),
            dropped: 0,
        }
    }

    fn out_of_time(&self) -> bool {
        self.deadline.remaining() < FINISH_RESERVE
    }

    /// Queues an item; `false` when it is not written (a dry run, or time ran out).
    pub async fn push(&mut self, item: Item) -> Result<bool, StoreError> {
        if self.store.is_none() {
            return Ok(false);
        }
        if self.out_of_time() {
            self.dropped += 1;
            return Ok(false);
        }
        self.buf.push(item);
        if self.buf.len() >= WRITE_CHUNK {
            self.flush_buffer().await?;
        }
        Ok(true)
    }

    async fn flush_buffer(&mut self) -> Result<(), StoreError> {
        let Some(store) = self.store else {
            return Ok(());
        };
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(WRITE_CHUNK));
        self.inflight.push(store.put_batch_boxed(chunk));
        while self.inflight.len() >= WRITES_IN_FLIGHT {
            self.settle_one().await?;
        }
        Ok(())
    }

    async fn settle_one(&mut self) -> Result<(), StoreError> {
        if let Some(r) = self.inflight.next().await {
            r?;
        }
        Ok(())
    }

    /// Writes what is buffered and waits for every batch in flight.
    pub async fn finish(&mut self) -> Result<(), StoreError> {
        self.flush_buffer().await?;
        while !self.inflight.is_empty() {
            self.settle_one().await?;
        }
        Ok(())
    }
}

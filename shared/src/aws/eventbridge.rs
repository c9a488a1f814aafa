//! EventBridge adapter for [`EventPublisher`]: `PutEvents` in batches of 10, retrying the
//! entries EventBridge reports as failed.

use super::failure;
use crate::backoff::Backoff;
use crate::ports::events::{EventError, EventPublisher, SecurityEvent};
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_eventbridge::Client;
use std::time::Duration;

/// `PutEvents` takes at most 10 entries.
const BATCH_SIZE: usize = 10;
const ATTEMPTS: u32 = 3;

#[derive(Clone, Debug)]
pub struct EventBridgePublisher {
    client: Client,
    bus: String,
    source: String,
}

impl EventBridgePublisher {
    pub fn new(
        config: &aws_config::SdkConfig,
        bus: impl Into<String>,
        source: impl Into<String>,
    ) -> Self {
        Self {
            client: Client::new(config),
            bus: bus.into(),
            source: source.into(),
        }
    }

    fn entry(&self, e: &SecurityEvent) -> PutEventsRequestEntry {
        let mut detail = e.detail.clone();
        if let Some(obj) = detail.as_object_mut() {
            obj.insert("severity".into(), e.severity.as_str().into());
        }
        PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(&self.source)
            .detail_type(&e.detail_type)
            .detail(detail.to_string())
            .set_resources((!e.resources.is_empty()).then(|| e.resources.clone()))
            .build()
    }
}

impl EventPublisher for EventBridgePublisher {
    async fn publish(&self, events: Vec<SecurityEvent>) -> Result<(), EventError> {
        let backoff = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        for chunk in events.chunks(BATCH_SIZE) {
            let mut pending: Vec<PutEventsRequestEntry> =
                chunk.iter().map(|e| self.entry(e)).collect();
            let mut last_error = String::new();
            for attempt in 1..=ATTEMPTS {
                if attempt > 1 {
                    tokio::time::sleep(backoff.delay(attempt - 1)).await;
                }
                let out = self
                    .client
                    .put_events()
                    .set_entries(Some(pending.clone()))
                    .send()
                    .await
                    .map_err(|e| {
                        let f = failure(&e);
                        EventError::Unavailable(format!("{}: {}", f.code, f.message))
                    })?;
                if out.failed_entry_count() == 0 {
                    pending.clear();
                    break;
                }
                // Results are positional: keep the entries that carry an error code.
                let failed: Vec<_> = out
                    .entries()
                    .iter()
                    .zip(pending.iter())
                    .filter(|(r, _)| r.error_code().is_some())
                    .map(|(r, e)| {
                        last_error = format!(
                            "{}: {}",
                            r.error_code().unwrap_or_default(),
                            r.error_message().unwrap_or_default()
                        );
                        e.clone()
                    })
                    .collect();
                pending = failed;
                if pending.is_empty() {
                    // Counted as failed, yet no entry says which: nothing left to resend.
                    break;
                }
            }
            if !pending.is_empty() {
                return Err(EventError::Rejected {
                    failed: pending.len(),
                    total: events.len(),
                    message: last_error,
                });
            }
        }
        Ok(())
    }
}

use crate::ports::events::{EventError, EventPublisher, SecurityEvent};
use std::sync::{Arc, Mutex};

/// Collects published events.
#[derive(Clone, Default)]
pub struct MemoryEvents {
    events: Arc<Mutex<Vec<SecurityEvent>>>,
}

impl MemoryEvents {
    pub fn events(&self) -> Vec<SecurityEvent> {
        self.events.lock().unwrap().clone()
    }

    pub fn of_type(&self, detail_type: &str) -> Vec<SecurityEvent> {
        self.events()
            .into_iter()
            .filter(|e| e.detail_type == detail_type)
            .collect()
    }
}

impl EventPublisher for MemoryEvents {
    async fn publish(&self, events: Vec<SecurityEvent>) -> Result<(), EventError> {
        self.events.lock().unwrap().extend(events);
        Ok(())
    }
}

use crate::ports::functions::{BackgroundJobs, TriggerError};
use std::sync::{Arc, Mutex};

/// Background jobs queued in memory instead of invoking a function: the test (or bench) runs
/// them by invoking the handler itself, as Lambda would asynchronously.
#[derive(Clone, Default)]
pub struct QueuedJobs {
    queued: Arc<Mutex<Vec<String>>>,
}

impl QueuedJobs {
    /// The jobs queued since the last call, oldest first.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.queued.lock().unwrap())
    }
}

impl BackgroundJobs for QueuedJobs {
    async fn continue_bulk(&self, id: &str) -> Result<(), TriggerError> {
        self.queued.lock().unwrap().push(id.to_owned());
        Ok(())
    }
}

use crate::ports::functions::{BackgroundJobs, TriggerError};
use std::sync::{Arc, Mutex};

/// Background jobs queued in memory instead of invoking a function: the test (or bench) runs
/// them by invoking the handler itself, as Lambda would asynchronously.
#[derive(Clone, Default)]
pub struct QueuedJobs {
    queued: Arc<Mutex<Vec<String>>>,
    /// Set by [`QueuedJobs::hold`]: the next hand-over waits for it.
    held: Arc<Mutex<Option<tokio::sync::oneshot::Receiver<()>>>>,
}

impl QueuedJobs {
    /// The jobs queued since the last call, oldest first.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.queued.lock().unwrap())
    }

    pub fn pending(&self) -> usize {
        self.queued.lock().unwrap().len()
    }

    /// The next hand-over does not return until the sender is used (or dropped): the worker
    /// can run before the request that queued it ends, as when Lambda starts an asynchronous
    /// invocation at once (or a local emulator runs it synchronously).
    pub fn hold(&self) -> tokio::sync::oneshot::Sender<()> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        *self.held.lock().unwrap() = Some(rx);
        tx
    }
}

impl BackgroundJobs for QueuedJobs {
    async fn continue_bulk(&self, id: &str) -> Result<(), TriggerError> {
        self.queued.lock().unwrap().push(id.to_owned());
        let held = self.held.lock().unwrap().take();
        if let Some(released) = held {
            let _ = released.await;
        }
        Ok(())
    }
}

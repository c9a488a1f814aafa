//! Wall-clock time for scheduling decisions (due times, grace periods, lease expiry).
//!
//! Production reads the system clock. Tests move a shared offset, so that days can pass in a
//! property test without sleeping; every copy of a clock sees the same offset.

use chrono::{DateTime, Duration, Utc};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves this clock (and every copy of it) forward.
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.num_milliseconds(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_share_the_offset() {
        let c = Clock::default();
        let copy = c.clone();
        c.advance(Duration::days(2));
        let drift = copy.now() - Utc::now();
        assert!(drift > Duration::hours(47) && drift < Duration::hours(49));
    }
}

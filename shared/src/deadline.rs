//! A point in time by which work must be finished, passed down from the Lambda context.

use std::time::{Duration, SystemTime};
use tokio::time::Instant;

/// An absolute deadline. Every outbound call is bounded by one, so a function fails cleanly
/// and records why instead of being killed by the Lambda timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deadline {
    at: Instant,
    /// When the invocation itself ends (Lambda stops it): `at` plus the safety margin.
    end: Instant,
}

impl Deadline {
    /// A deadline `budget` from now.
    pub fn after(budget: Duration) -> Self {
        let at = Instant::now() + budget;
        Self { at, end: at }
    }

    /// The Lambda invocation deadline (wall clock) minus a safety margin, so there is time
    /// left to record the outcome after the last call gives up.
    pub fn from_wall_clock(deadline: SystemTime, safety_margin: Duration) -> Self {
        let left = deadline
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        let end = Instant::now() + left;
        Self {
            at: end - left.min(safety_margin),
            end,
        }
    }

    /// The deadline of a Lambda invocation. A deadline already past when the invocation starts
    /// cannot come from Lambda (some local emulators send a fixed bogus value); the function's
    /// configured timeout stands in for it then.
    pub fn for_invocation(
        deadline: SystemTime,
        safety_margin: Duration,
        function_timeout: Duration,
    ) -> Self {
        if deadline <= SystemTime::now() {
            tracing::warn!(
                timeout_s = function_timeout.as_secs(),
                "invocation deadline is in the past; using the configured function timeout"
            );
            return Self::from_wall_clock(SystemTime::now() + function_timeout, safety_margin);
        }
        Self::from_wall_clock(deadline, safety_margin)
    }

    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    pub fn is_expired(&self) -> bool {
        self.remaining().is_zero()
    }

    /// The earlier of this deadline and `now + cap`.
    pub fn capped(&self, cap: Duration) -> Self {
        Self {
            at: self.at.min(Instant::now() + cap),
            end: self.end,
        }
    }

    /// Time until the invocation is stopped for good: after it, whatever this invocation
    /// holds (a lease) can be presumed abandoned.
    pub fn until_end(&self) -> Duration {
        self.end.saturating_duration_since(Instant::now())
    }

    pub fn instant(&self) -> Instant {
        self.at
    }

    /// True if waiting `wait` would leave less than `reserve` before the deadline.
    pub fn cannot_afford(&self, wait: Duration, reserve: Duration) -> bool {
        self.remaining() < wait.saturating_add(reserve)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_clock_deadline_subtracts_margin() {
        let d = Deadline::from_wall_clock(
            SystemTime::now() + Duration::from_secs(10),
            Duration::from_secs(3),
        );
        let r = d.remaining();
        assert!(
            r <= Duration::from_secs(7) && r > Duration::from_secs(6),
            "{r:?}"
        );
        let end = d.until_end();
        assert!(
            end <= Duration::from_secs(10) && end > Duration::from_secs(9),
            "{end:?}"
        );
        assert!(d.capped(Duration::from_secs(1)).until_end() > Duration::from_secs(9));
    }

    #[test]
    fn past_deadline_is_expired() {
        let d =
            Deadline::from_wall_clock(SystemTime::now() - Duration::from_secs(1), Duration::ZERO);
        assert!(d.is_expired());
        assert_eq!(d.remaining(), Duration::ZERO);
    }

    #[test]
    fn a_deadline_in_the_past_falls_back_to_the_function_timeout() {
        let bogus = SystemTime::UNIX_EPOCH + Duration::from_millis(600_000);
        let d = Deadline::for_invocation(bogus, Duration::from_secs(5), Duration::from_secs(300));
        let r = d.remaining();
        assert!(
            r <= Duration::from_secs(295) && r > Duration::from_secs(290),
            "{r:?}"
        );
        let real = SystemTime::now() + Duration::from_secs(20);
        let d = Deadline::for_invocation(real, Duration::from_secs(5), Duration::from_secs(300));
        assert!(d.remaining() <= Duration::from_secs(15));
    }

    #[test]
    fn capped_takes_the_earlier() {
        let d = Deadline::after(Duration::from_secs(100)).capped(Duration::from_secs(1));
        assert!(d.remaining() <= Duration::from_secs(1));
        let d2 = Deadline::after(Duration::from_secs(1)).capped(Duration::from_secs(100));
        assert!(d2.remaining() <= Duration::from_secs(1));
    }

    #[test]
    fn cannot_afford_accounts_for_reserve() {
        let d = Deadline::after(Duration::from_secs(10));
        assert!(!d.cannot_afford(Duration::from_secs(5), Duration::from_secs(1)));
        assert!(d.cannot_afford(Duration::from_secs(9), Duration::from_secs(2)));
    }
}

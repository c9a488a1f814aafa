//! The request policy, in one place: what is retried, how long to wait, when to give up.
//!
//! | class | 429 | 502/503/504 | 500 | transport error |
//! |---|---|---|---|---|
//! | `Read` (GET/HEAD) | wait `Retry-After` | backoff | backoff | backoff |
//! | `IdempotentWrite` (PUT, DELETE, job submit) | wait `Retry-After` | backoff | fail | backoff |
//! | `NonIdempotent` (`POST .../secret`, create) | fail, not applied | outcome unknown | outcome unknown | unknown unless never sent |
//!
//! A 401 is handled before this table (refresh the token once and resend; see `client.rs`).

use crate::backoff::{jittered, Backoff};
use crate::deadline::Deadline;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallClass {
    Read,
    IdempotentWrite,
    NonIdempotent,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per call for retryable failures (401 refresh not counted).
    pub max_attempts: u32,
    pub backoff: Backoff,
    /// A 429 asking for longer than this is not waited for (the SDKs use 180 s).
    pub max_retry_after: Duration,
    /// Wait used when a 429 has no `Retry-After` (the Java SDK uses 3 s).
    pub default_retry_after: Duration,
    /// Never start a wait that would leave less than this before the deadline.
    pub reserve: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            backoff: Backoff {
                base: Duration::from_millis(500),
                max: Duration::from_secs(8),
            },
            max_retry_after: Duration::from_secs(180),
            default_retry_after: Duration::from_secs(3),
            reserve: Duration::from_millis(250),
        }
    }
}

/// What to do after one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Wait this long, then send again.
    Retry(Duration),
    /// Return the failure as an API error.
    Fail,
    /// Return a rate-limit error carrying this `Retry-After`.
    RateLimited(Duration),
    /// The call may have been applied: return an outcome-unknown error.
    OutcomeUnknown,
    /// No time left for the wait this would need.
    OutOfTime,
}

/// How a transport failure happened, as far as the client can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportFailure {
    /// The connection was never established: the server cannot have seen the request.
    NotSent,
    /// Timeout or connection lost after sending started.
    MaybeSent,
}

impl RetryPolicy {
    pub fn after_status(
        &self,
        class: CallClass,
        status: u16,
        retry_after: Option<Duration>,
        attempt: u32,
        deadline: &Deadline,
    ) -> Verdict {
        match status {
            429 => {
                let wait = retry_after.unwrap_or(self.default_retry_after);
                if class == CallClass::NonIdempotent
                    || wait > self.max_retry_after
                    || attempt >= self.max_attempts
                    || deadline.cannot_afford(wait, self.reserve)
                {
                    Verdict::RateLimited(wait)
                } else {
                    Verdict::Retry(jittered(wait))
                }
            }
            500 | 502 | 503 | 504 if class == CallClass::NonIdempotent => Verdict::OutcomeUnknown,
            500 if class != CallClass::Read => Verdict::Fail,
            500 | 502 | 503 | 504 => self.backoff_or(attempt, deadline, Verdict::Fail),
            _ => Verdict::Fail,
        }
    }

    pub fn after_transport(
        &self,
        class: CallClass,
        failure: TransportFailure,
        attempt: u32,
        deadline: &Deadline,
    ) -> Verdict {
        match (class, failure) {
            (CallClass::NonIdempotent, TransportFailure::MaybeSent) => Verdict::OutcomeUnknown,
            (CallClass::NonIdempotent, TransportFailure::NotSent) => Verdict::Fail,
            _ => self.backoff_or(attempt, deadline, Verdict::Fail),
        }
    }

    fn backoff_or(&self, attempt: u32, deadline: &Deadline, exhausted: Verdict) -> Verdict {
        if attempt >= self.max_attempts {
            return exhausted;
        }
        let wait = self.backoff.delay(attempt);
        if deadline.cannot_afford(wait, self.reserve) {
            Verdict::OutOfTime
        } else {
            Verdict::Retry(wait)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long() -> Deadline {
        Deadline::after(Duration::from_secs(600))
    }

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        let b = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_millis(1000),
        };
        for _ in 0..200 {
            let d1 = b.delay(1);
            assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100));
            let d3 = b.delay(3);
            assert!(d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400));
            let d20 = b.delay(20);
            assert!(d20 >= Duration::from_millis(500) && d20 <= Duration::from_millis(1000));
        }
    }

    #[test]
    fn rate_limit_waits_retry_after_unless_too_long() {
        let p = RetryPolicy::default();
        match p.after_status(
            CallClass::Read,
            429,
            Some(Duration::from_secs(2)),
            1,
            &long(),
        ) {
            Verdict::Retry(w) => {
                assert!(w >= Duration::from_secs(2) && w <= Duration::from_millis(2500))
            }
            v => panic!("{v:?}"),
        }
        assert_eq!(
            p.after_status(
                CallClass::Read,
                429,
                Some(Duration::from_secs(181)),
                1,
                &long()
            ),
            Verdict::RateLimited(Duration::from_secs(181))
        );
        let short = Deadline::after(Duration::from_secs(1));
        assert_eq!(
            p.after_status(
                CallClass::Read,
                429,
                Some(Duration::from_secs(2)),
                1,
                &short
            ),
            Verdict::RateLimited(Duration::from_secs(2))
        );
        // Missing header: 3 s default.
        assert!(matches!(
            p.after_status(CallClass::IdempotentWrite, 429, None, 1, &long()),
            Verdict::Retry(w) if w >= Duration::from_secs(3)
        ));
    }

    #[test]
    fn non_idempotent_calls_are_never_retried() {
        let p = RetryPolicy::default();
        let c = CallClass::NonIdempotent;
        assert_eq!(
            p.after_status(c, 429, Some(Duration::from_secs(1)), 1, &long()),
            Verdict::RateLimited(Duration::from_secs(1))
        );
        for s in [500, 502, 503, 504] {
            assert_eq!(
                p.after_status(c, s, None, 1, &long()),
                Verdict::OutcomeUnknown,
                "{s}"
            );
        }
        assert_eq!(
            p.after_transport(c, TransportFailure::MaybeSent, 1, &long()),
            Verdict::OutcomeUnknown
        );
        assert_eq!(
            p.after_transport(c, TransportFailure::NotSent, 1, &long()),
            Verdict::Fail
        );
        assert_eq!(p.after_status(c, 400, None, 1, &long()), Verdict::Fail);
    }

    #[test]
    fn server_errors_back_off_within_budget() {
        let p = RetryPolicy::default();
        assert!(matches!(
            p.after_status(CallClass::Read, 500, None, 1, &long()),
            Verdict::Retry(_)
        ));
        assert_eq!(
            p.after_status(CallClass::IdempotentWrite, 500, None, 1, &long()),
            Verdict::Fail
        );
        assert!(matches!(
            p.after_status(CallClass::IdempotentWrite, 503, None, 1, &long()),
            Verdict::Retry(_)
        ));
        assert_eq!(
            p.after_status(CallClass::Read, 503, None, 5, &long()),
            Verdict::Fail
        );
        let short = Deadline::after(Duration::from_millis(100));
        assert_eq!(
            p.after_status(CallClass::Read, 503, None, 1, &short),
            Verdict::OutOfTime
        );
        assert_eq!(
            p.after_status(CallClass::Read, 404, None, 1, &long()),
            Verdict::Fail
        );
    }
}

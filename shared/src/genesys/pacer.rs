//! A limiter shared by every task using one Genesys client: it reads the `inin-ratelimit-*`
//! headers and holds requests back before the server would answer 429, and after a 429 it
//! holds everyone back until `Retry-After` has passed (not just the task that got it).
//!
//! The headers are not part of the spec [OBS in API-FACTS §7.3], so they only pace; decisions
//! about failing rest on `Retry-After`.

use crate::deadline::Deadline;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

#[derive(Debug, Default)]
struct State {
    /// Requests the server should still accept in the current window (our estimate).
    remaining: Option<u64>,
    allowed: Option<u64>,
    window_resets_at: Option<Instant>,
    /// The highest `inin-ratelimit-count` seen in the current window: responses arrive out of
    /// order, and an older one must not make the budget look bigger again.
    window_count: u64,
    /// Set after a 429: nobody sends before this.
    blocked_until: Option<Instant>,
    in_flight: u64,
    /// Times a request had to wait (for figures and tests).
    waits: u64,
}

impl State {
    /// Keep a small margin for requests other processes may make with the same client.
    fn reserve(&self) -> u64 {
        self.allowed.map(|a| (a / 50).max(1)).unwrap_or(1)
    }
}

/// Requests allowed in flight before the first response has told us the budget.
const PROBE_IN_FLIGHT: u64 = 4;

/// `inin-ratelimit-reset` is in whole seconds.
const WINDOW_ROUNDING: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
pub struct Pacer {
    state: Mutex<State>,
    /// Wakes waiters when a response brings news about the budget.
    news: tokio::sync::Notify,
}

/// Held while a request is in flight.
pub struct Permit<'a> {
    pacer: &'a Pacer,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut s = self.pacer.lock();
        s.in_flight = s.in_flight.saturating_sub(1);
        drop(s);
        self.pacer.news.notify_waiters();
    }
}

impl Pacer {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned lock only means another task panicked mid-update of plain counters.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until a request may be sent. `Err(wait)`, at once, if the wait is longer than
    /// `max_wait` or than the deadline affords: idling out an invocation helps nobody, and
    /// sending before the wait is over only draws another 429.
    pub async fn acquire(
        &self,
        deadline: &Deadline,
        max_wait: Duration,
    ) -> Result<Permit<'_>, Duration> {
        loop {
            let wait = {
                let mut s = self.lock();
                let now = Instant::now();
                if s.window_resets_at.is_some_and(|t| t <= now) {
                    s.remaining = None;
                    s.window_resets_at = None;
                }
                let reserve = s.reserve();
                if let Some(until) = s.blocked_until.filter(|t| *t > now) {
                    until - now
                } else if let (Some(rem), Some(reset)) = (s.remaining, s.window_resets_at) {
                    if rem <= reserve {
                        reset - now
                    } else {
                        s.remaining = Some(rem - 1);
                        s.in_flight += 1;
                        return Ok(Permit { pacer: self });
                    }
                } else if s.in_flight < PROBE_IN_FLIGHT {
                    s.in_flight += 1;
                    return Ok(Permit { pacer: self });
                } else {
                    // Budget unknown and probes already out: wait for their news.
                    Duration::ZERO
                }
            };
            if wait.is_zero() {
                if deadline.is_expired() {
                    return Err(Duration::from_millis(50));
                }
                let _ = tokio::time::timeout(Duration::from_millis(50), self.news.notified()).await;
                continue;
            }
            if wait > max_wait || deadline.cannot_afford(wait, Duration::ZERO) {
                return Err(wait);
            }
            self.lock().waits += 1;
            tracing::debug!(wait_ms = wait.as_millis() as u64, "pacing genesys requests");
            // A little spread so waiters do not all fire at the same instant.
            tokio::time::sleep(wait + Duration::from_millis(rand::random_range(0..=50))).await;
        }
    }

    /// Records `inin-ratelimit-count/allowed/reset` from a response (while its permit is held).
    pub fn observe(&self, count: u64, allowed: u64, reset: Duration) {
        tracing::trace!(
            count,
            allowed,
            reset_s = reset.as_secs(),
            "genesys rate-limit window"
        );
        let mut s = self.lock();
        // The header counts whole seconds: the window may last up to a second longer than it
        // says. Probing a window that has not reset yet is what draws 429s.
        let resets_at = Instant::now() + reset + WINDOW_ROUNDING;
        let same_window = s
            .window_resets_at
            .is_some_and(|t| t.max(resets_at) - t.min(resets_at) <= WINDOW_ROUNDING);
        let count = if same_window {
            count.max(s.window_count)
        } else {
            count
        };
        let others_in_flight = s.in_flight.saturating_sub(1);
        s.allowed = Some(allowed);
        s.window_count = count;
        s.remaining = Some(
            allowed
                .saturating_sub(count)
                .saturating_sub(others_in_flight),
        );
        if !same_window || s.window_resets_at.is_none_or(|t| resets_at > t) {
            s.window_resets_at = Some(resets_at);
        }
        drop(s);
        self.news.notify_waiters();
    }

    /// After a 429: hold every request until `wait` has passed.
    pub fn block_for(&self, wait: Duration) {
        let mut s = self.lock();
        let until = Instant::now() + wait;
        s.blocked_until = Some(s.blocked_until.map_or(until, |t| t.max(until)));
    }

    pub fn waits(&self) -> u64 {
        self.lock().waits
    }
}

/// Parses the three headers; `None` unless all are present and numeric.
pub fn parse_headers(headers: &reqwest::header::HeaderMap) -> Option<(u64, u64, Duration)> {
    let num = |name: &str| -> Option<u64> { headers.get(name)?.to_str().ok()?.trim().parse().ok() };
    Some((
        num("inin-ratelimit-count")?,
        num("inin-ratelimit-allowed")?,
        Duration::from_secs(num("inin-ratelimit-reset")?),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: Duration = Duration::from_secs(180);

    fn deadline() -> Deadline {
        Deadline::after(Duration::from_secs(30))
    }

    #[tokio::test]
    async fn a_long_block_fails_at_once_and_is_never_shortened() {
        let p = Pacer::default();
        // A 429 asked for 300 s: beyond the policy's longest wait and any invocation.
        p.block_for(Duration::from_secs(300));
        let long = Deadline::after(Duration::from_secs(900));
        let started = Instant::now();
        let wait = p.acquire(&long, MAX).await.err().expect("held back");
        assert!(started.elapsed() < Duration::from_millis(50), "fails fast");
        assert!(
            wait > Duration::from_secs(299),
            "the whole Retry-After is kept: {wait:?}"
        );
        // Whoever may wait that long waits it all.
        let wait = p
            .acquire(
                &Deadline::after(Duration::from_secs(1)),
                Duration::from_secs(400),
            )
            .await
            .err()
            .expect("the deadline cannot afford it either");
        assert!(wait > Duration::from_secs(299));
    }

    #[tokio::test]
    async fn holds_requests_when_the_window_is_nearly_spent() {
        let p = Pacer::default();
        {
            let _permit = p.acquire(&deadline(), MAX).await.unwrap();
            // Plenty left: nothing waits.
            p.observe(1, 10, Duration::from_secs(1));
        }
        let started = Instant::now();
        drop(p.acquire(&deadline(), MAX).await.unwrap());
        assert!(started.elapsed() < Duration::from_millis(100));
        assert_eq!(p.waits(), 0);

        {
            let _permit = p.acquire(&deadline(), MAX).await.unwrap();
            // 10 allowed, 9 used, "1 s" left (whole seconds: up to 2): only the reserve is left.
            p.observe(9, 10, Duration::from_secs(1));
        }
        let started = Instant::now();
        drop(p.acquire(&deadline(), MAX).await.unwrap());
        assert!(
            started.elapsed() >= Duration::from_millis(1900),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(p.waits(), 1);
    }

    #[test]
    fn an_older_response_does_not_enlarge_the_budget() {
        let p = Pacer::default();
        p.observe(8, 10, Duration::from_secs(30));
        // A response to an earlier request arrives late with a lower count.
        p.observe(5, 10, Duration::from_secs(30));
        assert_eq!(p.lock().remaining, Some(2));
        // A new window starts afresh.
        p.observe(1, 10, Duration::from_secs(60));
        assert_eq!(p.lock().remaining, Some(9));
    }

    #[tokio::test]
    async fn a_429_blocks_everyone_and_deadline_is_respected() {
        let p = Pacer::default();
        p.block_for(Duration::from_secs(5));
        let short = Deadline::after(Duration::from_secs(1));
        assert!(p.acquire(&short, MAX).await.is_err());
        p.block_for(Duration::from_millis(200));
        // The longer block stays in force.
        assert!(p.acquire(&short, MAX).await.is_err());
    }

    #[tokio::test]
    async fn unknown_budget_allows_only_a_few_probes() {
        let p = Pacer::default();
        let d = deadline();
        let permits: Vec<_> =
            futures::future::join_all((0..PROBE_IN_FLIGHT).map(|_| p.acquire(&d, MAX))).await;
        assert!(permits.iter().all(Result::is_ok));
        let blocked =
            tokio::time::timeout(Duration::from_millis(120), p.acquire(&deadline(), MAX)).await;
        assert!(
            blocked.is_err(),
            "a fifth request waits while the budget is unknown"
        );
        p.observe(4, 100, Duration::from_secs(60));
        drop(permits);
        assert!(p.acquire(&deadline(), MAX).await.is_ok());
    }

    #[test]
    fn in_flight_requests_reduce_the_estimate() {
        let p = Pacer::default();
        {
            let mut s = p.lock();
            s.in_flight = 4;
        }
        p.observe(0, 10, Duration::from_secs(10));
        assert_eq!(p.lock().remaining, Some(7));
    }

    #[test]
    fn header_parsing() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("inin-ratelimit-count", "1".parse().unwrap());
        h.insert("inin-ratelimit-allowed", "180".parse().unwrap());
        assert_eq!(parse_headers(&h), None);
        h.insert("inin-ratelimit-reset", "61".parse().unwrap());
        assert_eq!(parse_headers(&h), Some((1, 180, Duration::from_secs(61))));
    }
}

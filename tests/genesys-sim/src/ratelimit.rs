//! Per-token fixed-window rate limit of the API host (default 300 requests per 60 s window).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

/// Genesys's window; configurable through `rateLimitWindowSeconds`.
pub const WINDOW_SECONDS: i64 = 60;

#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: HashMap<String, Window>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: DateTime<Utc>,
    count: u64,
}

/// Outcome of one request against the limit; feeds the `inin-ratelimit-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub count: u64,
    pub allowed: u64,
    /// Whole seconds until the window resets (at least 1).
    pub reset_seconds: u64,
    pub exceeded: bool,
}

impl RateLimiter {
    pub fn hit(
        &mut self,
        key: &str,
        now: DateTime<Utc>,
        allowed: u32,
        window_seconds: i64,
    ) -> Verdict {
        let window = Duration::seconds(window_seconds.max(1));
        if self.windows.len() > 100_000 {
            // Forget idle windows so a long soak cannot grow the map without bound.
            self.windows.retain(|_, w| now < w.start + window);
        }
        let w = self.windows.entry(key.to_string()).or_insert(Window {
            start: now,
            count: 0,
        });
        if now >= w.start + window || now < w.start {
            *w = Window {
                start: now,
                count: 0,
            };
        }
        w.count += 1;
        let remaining_ms = (w.start + window - now).num_milliseconds();
        let reset_seconds = ((remaining_ms + 999) / 1000).max(1) as u64;
        Verdict {
            count: w.count,
            allowed: u64::from(allowed),
            reset_seconds,
            exceeded: w.count > u64::from(allowed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_then_resets_after_window() {
        let mut rl = RateLimiter::default();
        let t0 = Utc::now();
        for i in 1..=3 {
            let v = rl.hit("tok", t0, 3, WINDOW_SECONDS);
            assert!(!v.exceeded);
            assert_eq!(v.count, i);
        }
        let v = rl.hit("tok", t0 + Duration::seconds(10), 3, WINDOW_SECONDS);
        assert!(v.exceeded);
        assert_eq!(v.reset_seconds, 50);
        assert!(!rl.hit("other", t0, 3, WINDOW_SECONDS).exceeded);
        let v = rl.hit("tok", t0 + Duration::seconds(61), 3, WINDOW_SECONDS);
        assert!(!v.exceeded);
        assert_eq!(v.count, 1);
    }
}

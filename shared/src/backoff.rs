//! Waits between retries, shared by the Genesys client and the AWS adapters.

use std::time::Duration;

/// Exponential backoff with "equal jitter" (half fixed, half random), so a fleet that failed
/// together does not retry together, while every wait keeps a floor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Backoff {
    /// The wait before attempt `attempt + 1`, `attempt` counting from 1.
    pub fn delay(&self, attempt: u32) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.max);
        let half = exp / 2;
        half + random_up_to(half)
    }
}

fn random_up_to(d: Duration) -> Duration {
    let ms = d.as_millis() as u64;
    if ms == 0 {
        return Duration::ZERO;
    }
    Duration::from_millis(rand::random_range(0..=ms))
}

/// `Retry-After` plus up to 20% (at least 250 ms) so clients sharing a limit spread out.
pub fn jittered(retry_after: Duration) -> Duration {
    retry_after + random_up_to((retry_after / 5).max(Duration::from_millis(250)))
}

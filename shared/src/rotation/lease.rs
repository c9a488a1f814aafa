//! Invariant 5, one owner per secret at a time: every execution that changes a managed secret
//! (a Secrets Manager step, the sweep's work on one secret, "rotate now", a retirement) holds
//! the secret's lease while it works, and gives it up when it stops.
//!
//! The lease is short and renewed while the execution lives, so a crashed execution (a panic,
//! a timeout, a killed sandbox) stops renewing it and it lapses within `lease_ttl`: the next
//! execution can resume the attempt as soon as that is safe, not when the crashed invocation's
//! deadline would have passed.

use super::error::RotationError;
use crate::clock::Clock;
use crate::ports::records::RecordStore;
use crate::records::lease::{Held, Leases};
use std::future::Future;
use std::time::Duration;

pub(super) struct ExecutionLease<'a, R> {
    records: &'a R,
    clock: &'a Clock,
    name: String,
    owner: String,
    ttl: Duration,
}

impl<'a, R: RecordStore> ExecutionLease<'a, R> {
    /// Takes `name`'s lease for a new execution working on `purpose` (an attempt's token, or
    /// what it does). `Err(held)` while another execution holds it.
    pub async fn take(
        records: &'a R,
        clock: &'a Clock,
        name: &str,
        purpose: &str,
        ttl: Duration,
    ) -> Result<Result<Self, Held>, RotationError> {
        let owner = format!("{purpose}/{}", uuid::Uuid::new_v4());
        let leases = Leases::new(records);
        let now = clock.now();
        let mut taken = leases.acquire(name, &owner, ttl, now).await?;
        if !taken {
            match leases.held(name, now).await? {
                Some(held) => return Ok(Err(held)),
                // Lapsed or released between the two calls.
                None => taken = leases.acquire(name, &owner, ttl, now).await?,
            }
        }
        if !taken {
            return Ok(Err(Held {
                owner: "another execution (just now)".into(),
                lapses_at: now + chrono::Duration::from_std(ttl).unwrap_or_default(),
            }));
        }
        Ok(Ok(Self {
            records,
            clock,
            name: name.to_owned(),
            owner,
            ttl,
        }))
    }

    /// Runs `work` while renewing the lease every third of its TTL. If the lease cannot be
    /// kept (another execution took it after this one stalled, or renewals keep failing until
    /// it would lapse), `work` is dropped at its next await, exactly as if this execution had
    /// crashed there, which every step survives by design.
    pub async fn hold<T>(
        &self,
        work: impl Future<Output = Result<T, RotationError>>,
    ) -> Result<T, RotationError> {
        let work = std::pin::pin!(work);
        tokio::select! {
            biased;
            result = work => result,
            lost = self.renew_until_lost() => Err(lost),
        }
    }

    async fn renew_until_lost(&self) -> RotationError {
        let leases = Leases::new(self.records);
        let every = self.ttl / 3;
        let mut last_renewed = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(every).await;
            match leases
                .renew(&self.name, &self.owner, self.ttl, self.clock.now())
                .await
            {
                Ok(true) => last_renewed = tokio::time::Instant::now(),
                Ok(false) => break,
                Err(e) => {
                    tracing::warn!(secret = %self.name, error = %e, "could not renew the lease");
                    // Stop while the lease is surely still ours: nobody else can be working yet.
                    if last_renewed.elapsed() + every > self.ttl {
                        break;
                    }
                }
            }
        }
        tracing::error!(secret = %self.name, owner = %self.owner, "lost the secret's lease; stopping");
        RotationError::LeaseLost(self.name.clone())
    }

    /// Gives the lease up. Best effort: a lease left behind lapses within its TTL.
    pub async fn release(self) {
        if let Err(e) = Leases::new(self.records)
            .release(&self.name, &self.owner)
            .await
        {
            tracing::warn!(secret = %self.name, error = %e, "could not release the lease; it lapses on its own");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::MemoryRecords;

    #[tokio::test(start_paused = true)]
    async fn a_live_execution_keeps_its_lease_and_a_stalled_one_loses_it() {
        let records = MemoryRecords::default();
        let clock = Clock::default();
        let ttl = Duration::from_secs(30);
        let lease = ExecutionLease::take(&records, &clock, "s", "t1", ttl)
            .await
            .unwrap()
            .unwrap();
        // Work that outlives several TTLs keeps the lease, renewed as it goes.
        let r = lease
            .hold(async {
                tokio::time::sleep(Duration::from_secs(100)).await;
                Ok(7)
            })
            .await;
        assert_eq!(r.unwrap(), 7);
        let other = ExecutionLease::take(&records, &clock, "s", "t2", ttl)
            .await
            .unwrap();
        assert!(other.is_err(), "still held");
        lease.release().await;
        let mine = ExecutionLease::take(&records, &clock, "s", "t2", ttl)
            .await
            .unwrap()
            .expect("released");

        // Someone took it after it lapsed (this execution stalled): the work is stopped.
        clock.advance(chrono::Duration::seconds(32));
        let thief = ExecutionLease::take(&records, &clock, "s", "t3", ttl)
            .await
            .unwrap()
            .expect("lapsed, so taken");
        let r = mine
            .hold(async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                Ok(())
            })
            .await;
        assert!(matches!(r, Err(RotationError::LeaseLost(_))), "{r:?}");
        thief.release().await;
    }
}

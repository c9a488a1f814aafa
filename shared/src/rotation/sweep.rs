//! The scheduled sweep and "rotate now".
//!
//! One owner per secret's schedule: a secret whose rotation Secrets Manager runs (rotation
//! enabled with a rotation Lambda) is rotated by Secrets Manager, which invokes this function
//! for each step; the sweep leaves it to Secrets Manager. Every other managed secret is rotated
//! by the sweep, which drives the same four steps itself — no `RotateSecret` round trip, and it
//! works where Secrets Manager cannot invoke us. Concurrent runs cannot rotate a secret twice:
//! the sweep takes the secret's lease before re-reading it, and a pending version is resumed,
//! never started over.
//!
//! Planning reads only `ListSecrets` (tags carry when and how each secret was last rotated), so
//! a sweep over many secrets with nothing due costs one call per 100 secrets.

use super::alternating::retire;
use super::error::RotationError;
use super::event::{RotateNowRequest, Step};
use super::events;
use super::protocol::{Claim, RotationGenesys, Rotator, Trigger};
use crate::credential::{
    TAG_MAX_AGE_DAYS, TAG_PARTNER_CLIENT_ID, TAG_RETIRE_AFTER, TAG_ROTATED_AT,
};
use crate::deadline::Deadline;
use crate::ports::events::EventPublisher;
use crate::ports::records::RecordStore;
use crate::ports::secrets::{SecretMetadata, SecretStore, AWSCURRENT, AWSPENDING};
use crate::records::iso;
use crate::records::lease::Leases;
use crate::records::rotation::{Outcome, RotationRecord, RotationRecords};
use chrono::{DateTime, Duration as Days, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    Rotated,
    Retired,
    NotDue,
    OwnedBySecretsManager,
    StartedBySecretsManager,
    Busy,
    Deferred,
    NeedsAttention,
    Failed,
    WouldRotate,
    WouldRetire,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretReport {
    pub secret_id: String,
    pub action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_after: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
}

impl SecretReport {
    fn new(secret_id: &str, action: Action) -> Self {
        Self {
            secret_id: secret_id.into(),
            action,
            detail: None,
            token: None,
            version_before: None,
            version_after: None,
            due_at: None,
            error_type: None,
        }
    }

    fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = Some(d.into());
        self
    }

    /// `e` stopped the work on this secret; `context` says where.
    fn failed(secret_id: &str, context: Option<&str>, e: &RotationError) -> Self {
        let detail = match context {
            Some(c) => format!("{c}: {e}"),
            None => e.to_string(),
        };
        let mut r = Self::new(secret_id, Action::Failed).detail(detail);
        r.error_type = Some(e.error_type());
        r
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepReport {
    pub dry_run: bool,
    pub examined: usize,
    pub rotated: usize,
    pub retired: usize,
    pub failed: usize,
    pub secrets: Vec<SecretReport>,
}

/// Work the sweep found, in the order it is done.
struct Candidate {
    meta: SecretMetadata,
    /// Overdue by this long (resumes sort first).
    overdue: Days,
    resume: bool,
    due_at: Option<DateTime<Utc>>,
}

/// A deterministic offset in `[0, jitter)` from the secret's name.
fn jitter_offset(name: &str, jitter: Duration) -> Days {
    let secs = jitter.as_secs();
    if secs == 0 {
        return Days::zero();
    }
    let h = Sha256::digest(name.as_bytes());
    let n = u64::from_be_bytes(h[..8].try_into().expect("8 bytes"));
    Days::seconds((n % secs) as i64)
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn sm_owned(meta: &SecretMetadata) -> bool {
    meta.rotation_enabled && meta.rotation_lambda_arn.is_some()
}

/// An attempt that failed for good holds the sweep off for a while (a human's "rotate now",
/// which does not respect it, goes ahead): `Some` report while it does.
fn fatal_hold(
    meta: &SecretMetadata,
    attempt: RotationRecord,
    respect_fatal: bool,
) -> Option<SecretReport> {
    let recent = parse_time(&attempt.updated_at)
        .is_some_and(|t| Utc::now() - t < Days::hours(FATAL_RETRY_AFTER_HOURS));
    if !(respect_fatal && attempt.outcome == Outcome::Failed && recent) {
        return None;
    }
    let mut r = SecretReport::new(&meta.name, Action::NeedsAttention).detail(format!(
        "last attempt failed: {}",
        attempt.error_code.unwrap_or_default()
    ));
    r.token = Some(attempt.token);
    Some(r)
}

/// The version of an unfinished rotation, if one is pending.
fn pending_version(meta: &SecretMetadata) -> Option<&str> {
    let pending = meta.version_with_stage(AWSPENDING)?;
    (meta.version_with_stage(AWSCURRENT) != Some(pending)).then_some(pending)
}

/// A fatally failed attempt is retried by the sweep after this long (rotateNow at any time).
const FATAL_RETRY_AFTER_HOURS: i64 = 24;

impl<G, S, R, E> Rotator<'_, G, S, R, E>
where
    G: RotationGenesys,
    S: SecretStore,
    R: RecordStore,
    E: EventPublisher,
{
    /// When the current credential was made: the rotation tag, else the current version's date.
    async fn rotated_at(
        &self,
        meta: &SecretMetadata,
    ) -> Result<Option<DateTime<Utc>>, RotationError> {
        if let Some(t) = meta.tags.get(TAG_ROTATED_AT).and_then(|s| parse_time(s)) {
            return Ok(Some(t));
        }
        let versions = self.secrets.list_versions(&meta.arn_or_name()).await?;
        Ok(versions
            .iter()
            .find(|v| v.stages.iter().any(|s| s == AWSCURRENT))
            .and_then(|v| v.created)
            .or(meta.last_rotated)
            .or(meta.created))
    }

    fn due_at(&self, meta: &SecretMetadata, rotated_at: DateTime<Utc>) -> DateTime<Utc> {
        let max_age = meta
            .tags
            .get(TAG_MAX_AGE_DAYS)
            .and_then(|s| s.parse::<u32>().ok())
            .filter(|d| *d > 0)
            .unwrap_or(self.config.max_age_days);
        rotated_at + Days::days(i64::from(max_age))
            - jitter_offset(&meta.name, self.config.sweep_jitter)
    }

    /// Runs one sweep. `dry_run` reports what would happen and changes nothing.
    pub async fn sweep(
        &self,
        dry_run: bool,
        now: DateTime<Utc>,
        d: &Deadline,
    ) -> Result<SweepReport, RotationError> {
        let managed = self.config.managed.list(self.secrets).await?;
        let mut reports = Vec::new();
        let mut candidates = Vec::new();
        for meta in managed.iter() {
            if let Some(report) = self.retire_if_due(meta, now, dry_run, d).await {
                reports.push(report);
            }
            if let Some(pending) = pending_version(meta) {
                if sm_owned(meta) {
                    reports.push(
                        SecretReport::new(&meta.name, Action::OwnedBySecretsManager).detail(
                            format!("rotation {pending} in progress under Secrets Manager"),
                        ),
                    );
                } else {
                    candidates.push(Candidate {
                        meta: meta.clone(),
                        overdue: Days::MAX,
                        resume: true,
                        due_at: None,
                    });
                }
                continue;
            }
            if sm_owned(meta) {
                reports.push(SecretReport::new(&meta.name, Action::OwnedBySecretsManager));
                continue;
            }
            // One unreadable secret must not stop the sweep for the others.
            let due_at = match self.rotated_at(meta).await {
                Ok(Some(t)) => self.due_at(meta, t),
                Ok(None) => now,
                Err(e) => {
                    reports.push(SecretReport::failed(&meta.name, Some("plan"), &e));
                    continue;
                }
            };
            if due_at > now {
                let mut r = SecretReport::new(&meta.name, Action::NotDue);
                r.due_at = Some(iso(due_at));
                reports.push(r);
            } else {
                candidates.push(Candidate {
                    meta: meta.clone(),
                    overdue: now - due_at,
                    resume: false,
                    due_at: Some(due_at),
                });
            }
        }
        candidates.sort_by_key(|c| std::cmp::Reverse(c.overdue));

        let per_rotation = self.config.propagation_window + Duration::from_secs(30);
        // The cap counts rotations worked on, not secrets found busy or on hold.
        let mut started = 0;
        for c in candidates {
            let name = c.meta.name.clone();
            let mut report = if started >= self.config.sweep_max_rotations {
                SecretReport::new(&name, Action::Deferred).detail("per-run cap reached")
            } else if dry_run {
                started += 1;
                SecretReport::new(&name, Action::WouldRotate).detail(if c.resume {
                    "resume the pending rotation"
                } else {
                    "due"
                })
            } else if d.cannot_afford(per_rotation, Duration::ZERO) {
                SecretReport::new(&name, Action::Deferred).detail("time budget of this run spent")
            } else {
                let r = self.rotate_one(&c.meta, Trigger::Sweep, d, true).await;
                if matches!(r.action, Action::Rotated | Action::Failed) {
                    started += 1;
                }
                r
            };
            report.due_at = c.due_at.map(iso);
            reports.push(report);
        }
        let count = |a: Action| reports.iter().filter(|r| r.action == a).count();
        Ok(SweepReport {
            dry_run,
            examined: managed.len(),
            rotated: count(Action::Rotated),
            retired: count(Action::Retired),
            failed: count(Action::Failed),
            secrets: reports,
        })
    }

    /// "Rotate now" for one managed secret, whatever its age.
    pub async fn rotate_now(
        &self,
        req: &RotateNowRequest,
        d: &Deadline,
    ) -> Result<SecretReport, RotationError> {
        let meta = self.secrets.describe(&req.secret_id).await?;
        if !self.config.managed.includes(&meta) {
            return Err(RotationError::InvalidEvent(format!(
                "secret {} is not managed by credguard",
                meta.name
            )));
        }
        if sm_owned(&meta) {
            let token = uuid::Uuid::new_v4().to_string();
            self.secrets.rotate_now(&meta.arn_or_name(), &token).await?;
            let mut r = SecretReport::new(&meta.name, Action::StartedBySecretsManager);
            r.token = Some(token);
            return Ok(r);
        }
        let trigger = Trigger::RotateNow {
            reason: req.reason.as_deref(),
            requested_by: req.requested_by.as_deref(),
            retire_previous_now: req.retire_previous_now,
        };
        Ok(self.rotate_one(&meta, trigger, d, false).await)
    }

    /// The token to use: the pending version, or the latest unfinished attempt (it holds the
    /// count of regenerations that may have applied), or a new one. `None`: leave it alone.
    async fn attempt_token(
        &self,
        meta: &SecretMetadata,
        respect_fatal: bool,
    ) -> Result<Result<String, SecretReport>, RotationError> {
        let repo = RotationRecords::new(self.records);
        if let Some(p) = pending_version(meta) {
            // A pending version whose attempt failed for good waits like any other failure.
            if let Some(failed) = repo.get(&meta.name, p).await? {
                if let Some(hold) = fatal_hold(meta, failed, respect_fatal) {
                    return Ok(Err(hold));
                }
            }
            return Ok(Ok(p.to_owned()));
        }
        let latest = repo.latest(&meta.name, 1).await?;
        if let Some(last) = latest.into_iter().next() {
            match last.outcome {
                // Unfinished: its secret was never stored, or it is stored and maybe already
                // current (a crash after the switch still owes its bookkeeping).
                Outcome::InProgress
                    if !meta.has_version(&last.token)
                        || meta.version_with_stage(AWSCURRENT) == Some(last.token.as_str()) =>
                {
                    return Ok(Ok(last.token))
                }
                Outcome::Failed => {
                    if let Some(hold) = fatal_hold(meta, last, respect_fatal) {
                        return Ok(Err(hold));
                    }
                }
                _ => {}
            }
        }
        Ok(Ok(uuid::Uuid::new_v4().to_string()))
    }

    /// Drives the four steps for one secret under its lease.
    async fn rotate_one(
        &self,
        planned: &SecretMetadata,
        trigger: Trigger<'_>,
        d: &Deadline,
        respect_fatal: bool,
    ) -> SecretReport {
        let name = planned.name.clone();
        let failed = |e: RotationError| SecretReport::failed(&name, None, &e);
        let token = match self.attempt_token(planned, respect_fatal).await {
            Ok(Ok(t)) => t,
            Ok(Err(report)) => return report,
            Err(e) => return failed(e),
        };
        let owner = Claim::execution_owner(&token);
        let claim = Claim::for_execution(&owner, self.config.lease_ttl, d);
        match self.take_lease(&name, &claim).await {
            Ok(None) => {}
            Ok(Some(holder)) => {
                return SecretReport::new(&name, Action::Busy)
                    .detail(format!("execution {holder} holds the secret's lease"))
            }
            Err(e) => return failed(e),
        }
        let report = self.drive(planned, &token, trigger, d).await;
        // This execution is over either way; a later one resumes the attempt from its record.
        if let Err(e) = Leases::new(self.records).release(&name, &owner).await {
            tracing::warn!(secret = %name, error = %e, "could not release the lease; it lapses on its own");
        }
        report
    }

    /// The four steps of attempt `token`, under this execution's lease.
    async fn drive(
        &self,
        planned: &SecretMetadata,
        token: &str,
        trigger: Trigger<'_>,
        d: &Deadline,
    ) -> SecretReport {
        let name = &planned.name;
        // Under the lease, re-read: another run may have rotated it since we planned.
        let meta = match self.secrets.describe(&planned.arn_or_name()).await {
            Ok(m) => m,
            Err(e) => return SecretReport::failed(name, None, &e.into()),
        };
        let before = meta.version_with_stage(AWSCURRENT).map(str::to_owned);
        if before != planned.version_with_stage(AWSCURRENT).map(str::to_owned)
            && trigger == Trigger::Sweep
        {
            return SecretReport::new(name, Action::NotDue)
                .detail("rotated by another run meanwhile");
        }
        for step in Step::ALL {
            // Earlier steps of a version already current are no-ops; finish still runs to
            // complete any bookkeeping a crash left undone.
            if let Err(e) = self
                .run_step_as(&meta.arn_or_name(), token, step, trigger, None, d)
                .await
            {
                let mut r = SecretReport::failed(name, Some(step.as_str()), &e);
                r.token = Some(token.to_owned());
                r.version_before = before;
                return r;
            }
        }
        let mut r = SecretReport::new(name, Action::Rotated);
        r.token = Some(token.to_owned());
        r.version_after = Some(token.to_owned());
        r.version_before = before;
        r
    }

    /// Alternating: disables the previous client once its grace period is over.
    async fn retire_if_due(
        &self,
        meta: &SecretMetadata,
        now: DateTime<Utc>,
        dry_run: bool,
        d: &Deadline,
    ) -> Option<SecretReport> {
        let at = meta
            .tags
            .get(TAG_RETIRE_AFTER)
            .and_then(|s| parse_time(s))?;
        let previous = meta.tags.get(TAG_PARTNER_CLIENT_ID)?.clone();
        if at > now || pending_version(meta).is_some() {
            return None;
        }
        if dry_run {
            return Some(
                SecretReport::new(&meta.name, Action::WouldRetire)
                    .detail(format!("disable {previous}")),
            );
        }
        let result = async {
            let receipt = retire(self.genesys, &previous, d).await?;
            self.secrets
                .tag(&meta.arn_or_name(), &[(TAG_RETIRE_AFTER, "retired")])
                .await?;
            let repo = RotationRecords::new(self.records);
            if let Some(mut last) = repo.latest(&meta.name, 1).await?.into_iter().next() {
                last.retired_at = Some(iso(Utc::now()));
                last.note_correlation(receipt.as_ref().and_then(|r| r.correlation_id.as_deref()));
                repo.save(&mut last).await?;
                self.publish(vec![events::retired(&last, &previous)]).await;
            }
            Ok::<_, RotationError>(())
        }
        .await;
        Some(match result {
            Ok(()) => SecretReport::new(&meta.name, Action::Retired)
                .detail(format!("disabled {previous}")),
            Err(e) => SecretReport::failed(&meta.name, Some(&format!("retire {previous}")), &e),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_is_deterministic_and_bounded() {
        let j = Duration::from_secs(6 * 3600);
        let a = jitter_offset("credguard/a", j);
        assert_eq!(a, jitter_offset("credguard/a", j));
        let offsets: Vec<_> = (0..200)
            .map(|i| jitter_offset(&format!("s{i}"), j))
            .collect();
        assert!(offsets
            .iter()
            .all(|o| *o >= Days::zero() && *o < Days::hours(6)));
        let distinct: std::collections::BTreeSet<_> =
            offsets.iter().map(|o| o.num_minutes()).collect();
        // 200 uniform picks among 360 minutes give ~153 distinct values on average.
        assert!(
            distinct.len() > 120,
            "a fleet spreads out: {} distinct minutes",
            distinct.len()
        );
        assert_eq!(jitter_offset("x", Duration::ZERO), Days::zero());
    }
}

//! The scheduled sweep: plans from `ListSecrets` alone (tags carry when and how each secret was
//! last rotated, see [`schedule`]), then for each managed secret
//!
//! - retires an alternating pair's previous client once its grace period is over;
//! - watches a rotation Secrets Manager runs, and re-drives one that stopped moving;
//! - adopts a secret it sees for the first time;
//! - resumes an unfinished attempt (a pending version, or an attempt in progress), or rotates
//!   a secret that is due (at most `SWEEP_MAX_ROTATIONS` per run, most overdue first).
//!
//! Everything that changes a secret happens under its lease, after re-reading it; a sweep over
//! many secrets with nothing due costs one call per 100 secrets.

use super::driver::{owned_by_secrets_manager, pending_version, Plan};
use super::error::RotationError;
use super::events;
use super::lease::ExecutionLease;
use super::ports::RotationPorts;
use super::protocol::{Rotator, Trigger};
use super::report::{Action, SecretReport, SweepReport};
use super::retire;
use super::schedule::{self, parse_time};
use crate::credential::{ManagedCredential, Strategy, TAG_RETIRE_AFTER};
use crate::deadline::Deadline;
use crate::ports::secrets::{SecretMetadata, SecretStore, VersionRef, AWSCURRENT};
use crate::records::iso;
use crate::records::rotation::{Outcome, RotationRecords};
use chrono::{DateTime, Duration as Days, Utc};
use std::future::Future;
use std::time::Duration;

/// Re-drives of one stuck Secrets Manager rotation before it is left to a human.
const MAX_REDRIVES: u32 = 3;

/// Work the sweep found, in the order it is done.
struct Candidate {
    meta: SecretMetadata,
    /// Overdue by this long (resumes sort first).
    overdue: Days,
    resume: bool,
    due_at: Option<DateTime<Utc>>,
}

impl<P: RotationPorts> Rotator<'_, P> {
    /// Runs one sweep. `dry_run` reports what would happen (with each secret's next due time)
    /// and changes nothing.
    pub async fn sweep(&self, dry_run: bool, d: &Deadline) -> Result<SweepReport, RotationError> {
        let now = self.clock.now();
        let managed = self.config.managed.list(self.secrets).await?;
        // Attempts that stopped before storing a secret leave no pending version to see: the
        // index of open attempts finds them (a regeneration lost to a crash among them).
        let open: std::collections::BTreeMap<String, String> = RotationRecords::new(self.records)
            .open()
            .await?
            .into_iter()
            .collect();
        let mut reports = Vec::new();
        let mut candidates = Vec::new();
        for meta in managed.iter() {
            if let Some(report) = Box::pin(self.retire_if_due(meta, now, dry_run, d)).await {
                reports.push(report);
            }
            if owned_by_secrets_manager(meta) {
                reports.push(Box::pin(self.watch_secrets_manager(meta, now, dry_run, d)).await);
                continue;
            }
            if pending_version(meta).is_some() || open.contains_key(&meta.name) {
                candidates.push(Candidate {
                    meta: meta.clone(),
                    overdue: Days::MAX,
                    resume: true,
                    due_at: None,
                });
                continue;
            }
            match schedule::due(&meta.name, &meta.tags, self.config).at {
                None => reports.push(Box::pin(self.adopt(meta, now, dry_run)).await),
                Some(at) if at > now => {
                    let mut r = SecretReport::new(&meta.name, Action::NotDue);
                    r.due_at = Some(iso(at));
                    reports.push(r);
                }
                Some(at) => candidates.push(Candidate {
                    meta: meta.clone(),
                    overdue: now - at,
                    resume: false,
                    due_at: Some(at),
                }),
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
                let plan = Plan {
                    meta: &c.meta,
                    open: open.get(&name).cloned(),
                };
                let r = match Box::pin(self.rotate_one(
                    &name,
                    Some(&plan),
                    Trigger::Sweep,
                    d,
                    c.resume,
                ))
                .await
                {
                    Ok(r) => r,
                    Err(stopped) => stopped.report(&name),
                };
                if matches!(r.action, Action::Rotated | Action::Failed) {
                    started += 1;
                }
                r
            };
            // A pending rotation left for later may be all that stands between consumers and a
            // working secret: another run soon must pick it up.
            report.unfinished |=
                c.resume && matches!(report.action, Action::Busy | Action::Deferred);
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

    /// Runs `work` on `name` under its lease; `Busy` while another execution holds it.
    async fn leased(
        &self,
        name: &str,
        purpose: &str,
        work: impl Future<Output = Result<SecretReport, RotationError>>,
    ) -> SecretReport {
        let lease = match ExecutionLease::take(
            self.records,
            self.clock,
            name,
            purpose,
            self.config.lease_ttl,
        )
        .await
        {
            Ok(Ok(lease)) => lease,
            Ok(Err(held)) => {
                return SecretReport::new(name, Action::Busy)
                    .detail(format!("execution {} holds the secret's lease", held.owner))
            }
            Err(e) => return SecretReport::failed(name, Some(purpose), &e),
        };
        let report = lease
            .hold(work)
            .await
            .unwrap_or_else(|e| SecretReport::failed(name, Some(purpose), &e));
        lease.release().await;
        report
    }

    /// The live document, read under the lease.
    async fn live(&self, meta: &SecretMetadata) -> Result<ManagedCredential, RotationError> {
        let v = self
            .secrets
            .get_version(&meta.arn_or_name(), VersionRef::Stage(AWSCURRENT))
            .await?;
        Ok(ManagedCredential::parse(&v.value)?)
    }

    /// Alternating: disables the previous client once its grace period is over. The tags only
    /// say when; which client is decided under the lease from the live document (invariant 1).
    async fn retire_if_due(
        &self,
        planned: &SecretMetadata,
        now: DateTime<Utc>,
        dry_run: bool,
        d: &Deadline,
    ) -> Option<SecretReport> {
        let due = |m: &SecretMetadata| {
            m.tags
                .get(TAG_RETIRE_AFTER)
                .and_then(|s| parse_time(s))
                .is_some_and(|at| at <= now)
                && pending_version(m).is_none()
        };
        if !due(planned) {
            return None;
        }
        let name = &planned.name;
        if dry_run {
            return Some(SecretReport::new(name, Action::WouldRetire).detail(
                "disable the previous client (the partner named by the current document)",
            ));
        }
        let work = async {
            let meta = self.secrets.describe(&planned.arn_or_name()).await?;
            if !due(&meta) {
                return Ok(SecretReport::new(name, Action::NotDue)
                    .detail("retirement changed by another run meanwhile"));
            }
            let live = self.live(&meta).await?;
            let settings = live.settings();
            let Some(previous) = settings
                .partner_client_id
                .filter(|_| settings.strategy == Strategy::Alternating)
            else {
                retire::mark_retired(self.secrets, &meta.arn_or_name()).await?;
                return Ok(SecretReport::new(name, Action::NotDue).detail("no previous client"));
            };
            let receipt = retire::disable_previous(self.genesys, name, &live, &previous, d).await?;
            retire::mark_retired(self.secrets, &meta.arn_or_name()).await?;
            // The attempt that made the current version scheduled this retirement.
            let repo = RotationRecords::new(self.records);
            let scheduler = match meta.version_with_stage(AWSCURRENT) {
                Some(v) => repo.get(name, v).await?,
                None => None,
            };
            if let Some(mut rec) = scheduler {
                rec.retired_at = Some(iso(self.clock.now()));
                rec.note_correlation(receipt.as_ref().and_then(|r| r.correlation_id.as_deref()));
                repo.save(&mut rec).await?;
                self.publish(vec![events::retired(&rec, &previous)]).await;
            }
            Ok(SecretReport::new(name, Action::Retired).detail(format!("disabled {previous}")))
        };
        Some(self.leased(name, "retire", work).await)
    }

    /// A secret the sweep sees for the first time: its rotation clock starts now, with its own
    /// declared policy (see `schedule`).
    async fn adopt(
        &self,
        planned: &SecretMetadata,
        now: DateTime<Utc>,
        dry_run: bool,
    ) -> SecretReport {
        let name = &planned.name;
        let tags_for = |doc: &ManagedCredential| schedule::adoption_tags(doc, now, self.config);
        let due_at = |tags: &[(&str, String)]| {
            let map = tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect();
            schedule::due(name, &map, self.config).at.map(iso)
        };
        if dry_run {
            let mut r = match self.live(planned).await {
                Ok(doc) => {
                    let mut r = SecretReport::new(name, Action::WouldAdopt);
                    r.due_at = due_at(&tags_for(&doc));
                    r
                }
                Err(e) => SecretReport::failed(name, Some("adopt"), &e),
            };
            r.unfinished = false;
            return r;
        }
        let work = async {
            let meta = self.secrets.describe(&planned.arn_or_name()).await?;
            if schedule::due(name, &meta.tags, self.config).at.is_some() {
                return Ok(SecretReport::new(name, Action::NotDue)
                    .detail("adopted by another run meanwhile"));
            }
            let tags = tags_for(&self.live(&meta).await?);
            let pairs: Vec<(&str, &str)> = tags.iter().map(|(k, v)| (*k, v.as_str())).collect();
            self.secrets.tag(&meta.arn_or_name(), &pairs).await?;
            let mut r = SecretReport::new(name, Action::Adopted)
                .detail("rotation clock starts now, with the secret's own policy");
            r.due_at = due_at(&tags);
            Ok(r)
        };
        self.leased(name, "adopt", work).await
    }

    /// A secret whose rotation Secrets Manager runs: left to it, unless its pending rotation
    /// has not moved for `stuck_after` (its retries ran out, perhaps with a dead `AWSCURRENT`).
    /// Then it is re-driven (`RotateSecret` with the pending token), with an event, up to
    /// [`MAX_REDRIVES`] times.
    async fn watch_secrets_manager(
        &self,
        planned: &SecretMetadata,
        now: DateTime<Utc>,
        dry_run: bool,
        d: &Deadline,
    ) -> SecretReport {
        let name = &planned.name;
        let Some(pending) = pending_version(planned).map(str::to_owned) else {
            return SecretReport::new(name, Action::OwnedBySecretsManager);
        };
        let in_progress = SecretReport::new(name, Action::OwnedBySecretsManager).detail(format!(
            "rotation {pending} in progress under Secrets Manager"
        ));
        let repo = RotationRecords::new(self.records);
        let record = match repo.get(name, &pending).await {
            Ok(r) => r,
            Err(e) => return SecretReport::failed(name, Some("watch"), &e.into()),
        };
        let since = match &record {
            Some(r) if r.outcome == Outcome::Failed => {
                let mut report = SecretReport::new(name, Action::NeedsAttention).detail(format!(
                    "Secrets Manager's rotation {pending} failed: {}",
                    r.error_code.clone().unwrap_or_default()
                ));
                report.token = Some(pending);
                return report;
            }
            Some(r) => parse_time(&r.updated_at),
            None => match self.secrets.list_versions(&planned.arn_or_name()).await {
                Ok(versions) => versions
                    .into_iter()
                    .find(|v| v.version_id == pending)
                    .and_then(|v| v.created),
                Err(e) => return SecretReport::failed(name, Some("watch"), &e.into()),
            },
        };
        let stalled = chrono::Duration::from_std(self.config.stuck_after).unwrap_or_default();
        if since.is_some_and(|t| now - t < stalled) {
            return in_progress;
        }
        if record.as_ref().is_some_and(|r| r.redriven >= MAX_REDRIVES) {
            let mut report = SecretReport::new(name, Action::NeedsAttention).detail(format!(
                "Secrets Manager's rotation {pending} is stuck after {MAX_REDRIVES} re-drives"
            ));
            report.token = Some(pending);
            return report;
        }
        if dry_run {
            return SecretReport::new(name, Action::WouldRedrive).detail(format!(
                "rotation {pending} has not moved for {} min",
                self.config.stuck_after.as_secs() / 60
            ));
        }
        let work = async {
            let meta = self.secrets.describe(&planned.arn_or_name()).await?;
            if pending_version(&meta) != Some(pending.as_str()) {
                return Ok(SecretReport::new(name, Action::OwnedBySecretsManager)
                    .detail("the rotation moved meanwhile"));
            }
            let cx = self.context(meta, &pending, None, d).await?;
            let mut rec = match record {
                Some(r) => r,
                None if cx.is_staged_copy().await? => {
                    // A configuration test's copy, not a rotation.
                    return Ok(in_progress.clone().detail(format!(
                        "version {pending} is a staged copy of the current value"
                    )));
                }
                None => self.new_record(&cx, Trigger::SecretsManager),
            };
            self.secrets
                .start_rotation(&cx.meta.arn_or_name(), &pending)
                .await?;
            rec.redriven += 1;
            rec.updated_at = iso(self.clock.now());
            cx.repo.save(&mut rec).await?;
            self.publish(vec![events::stuck(&rec)]).await;
            let mut report = SecretReport::new(name, Action::Redriven).detail(format!(
                "rotation {pending} had not moved for {} min; re-drive {} of {MAX_REDRIVES}",
                self.config.stuck_after.as_secs() / 60,
                rec.redriven
            ));
            report.token = Some(pending.clone());
            Ok(report)
        };
        self.leased(name, "redrive", work).await
    }
}

//! Our own drivers of the four steps: the sweep's work on one secret and "rotate now".
//!
//! One execution takes the secret's lease, re-reads the secret under it, and runs the four
//! steps back to back, carrying what each learned to the next (one describe, one read of the
//! current value, the record written at the intent and at the end). An attempt is resumed,
//! never started over: a pending version, or the latest unfinished attempt, is picked up with
//! its record, so the count of non-idempotent calls carries over (invariant 3).
//!
//! Invariant 5's other half lives here: a secret whose rotation Secrets Manager runs is never
//! driven by us; "rotate now" hands it to Secrets Manager instead.

use super::error::RotationError;
use super::event::{RotateNowRequest, Step};
use super::lease::ExecutionLease;
use super::ports::RotationPorts;
use super::protocol::{apply_intent, check_step, Intent, Rotator, Trigger};
use super::report::{Action, SecretReport};
use super::schedule::parse_time;
use crate::credential::TAG_LAST_FAILURE;
use crate::deadline::Deadline;
use crate::ports::records::StoreError;
use crate::ports::secrets::{SecretMetadata, SecretStore, AWSCURRENT, AWSPENDING};
use crate::records::rotation::{AttemptState, Outcome, RotationRecord, RotationRecords};
use chrono::{DateTime, Duration as Days, Utc};
use std::time::Duration;

/// A fatally failed attempt holds the sweep off this long (a human's "rotate now" does not wait).
const FATAL_RETRY_AFTER_HOURS: i64 = 24;

/// Whether Secrets Manager runs this secret's rotation (rotation enabled with a Lambda).
pub fn owned_by_secrets_manager(meta: &SecretMetadata) -> bool {
    meta.rotation_enabled && meta.rotation_lambda_arn.is_some()
}

/// The version of an unfinished rotation, if one is pending.
pub fn pending_version(meta: &SecretMetadata) -> Option<&str> {
    let pending = meta.version_with_stage(AWSPENDING)?;
    (meta.version_with_stage(AWSCURRENT) != Some(pending)).then_some(pending)
}

/// What the sweep saw of a secret before taking its lease.
pub(super) struct Plan<'p> {
    pub meta: &'p SecretMetadata,
    /// An attempt in progress, from the index of open attempts.
    pub open: Option<String>,
}

/// The last fatal failure, as the secret's `credguard:last-failure` tag says:
/// `<time>|<error type>|<token>`.
struct LastFailure {
    at: DateTime<Utc>,
    error_type: String,
    token: String,
}

impl LastFailure {
    fn of(meta: &SecretMetadata) -> Option<Self> {
        let mut parts = meta.tags.get(TAG_LAST_FAILURE)?.splitn(3, '|');
        Some(Self {
            at: parse_time(parts.next()?)?,
            error_type: parts.next()?.to_owned(),
            token: parts.next()?.to_owned(),
        })
    }
}

/// Where an execution starts.
enum Start {
    /// A new attempt with this token.
    Fresh(String),
    /// An unfinished attempt.
    Resume(RotationRecord),
    /// The request was already answered by this attempt (a retried request).
    Answered(RotationRecord),
    /// Left alone: a recent fatal failure waits for a human.
    Hold(SecretReport),
}

/// Why an execution stopped without rotating.
pub(super) struct Stopped {
    pub token: Option<String>,
    pub step: Option<Step>,
    pub error: RotationError,
}

impl Stopped {
    pub fn report(&self, name: &str) -> SecretReport {
        if let RotationError::Busy { holder, .. } = &self.error {
            return SecretReport::new(name, Action::Busy)
                .detail(format!("execution {holder} holds the secret's lease"));
        }
        let mut r = SecretReport::failed(name, self.step.map(Step::as_str), &self.error);
        r.token = self.token.clone();
        r
    }
}

impl<P: RotationPorts> Rotator<'_, P> {
    /// "Rotate now" for one managed secret, whatever its age. The invocation fails unless the
    /// rotation succeeded (or was handed to Secrets Manager), so Lambda's retries and the
    /// failure queue see every request that did not get what it asked for.
    pub async fn rotate_now(
        &self,
        req: &RotateNowRequest,
        d: &Deadline,
    ) -> Result<SecretReport, RotationError> {
        // The lease is keyed by name: an ARN is resolved first.
        let name = if req.secret_id.starts_with("arn:") {
            self.secrets.describe(&req.secret_id).await?.name
        } else {
            req.secret_id.clone()
        };
        let intent = req.intent();
        // A request may find a crashed execution's lease about to lapse: worth the wait.
        Box::pin(self.rotate_one(&name, None, Trigger::RotateNow(&intent), d, true))
            .await
            .map_err(|s| s.error)
    }

    /// `RotateSecret` for a secret Secrets Manager rotates (a pending rotation is re-driven),
    /// with the request's intent written to the attempt its steps will load.
    async fn hand_to_secrets_manager(
        &self,
        meta: &SecretMetadata,
        intent: &Intent,
        d: &Deadline,
    ) -> Result<SecretReport, RotationError> {
        let token = pending_version(meta)
            .map(str::to_owned)
            .or_else(|| intent.request_id.clone())
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let cx = self.context(meta.clone(), &token, None, d).await?;
        self.secrets
            .start_rotation(&meta.arn_or_name(), &token)
            .await?;
        // Secrets Manager's createSecret may be writing the attempt at the same moment.
        for _ in 0..2 {
            let mut rec = match cx.repo.get(&meta.name, &token).await? {
                Some(r) => r,
                None => self.new_record(&cx, Trigger::RotateNow(intent)),
            };
            apply_intent(&mut rec, intent);
            match cx.repo.save(&mut rec).await {
                Err(StoreError::ConditionFailed) => continue,
                other => other?,
            }
            break;
        }
        let mut r = SecretReport::new(&meta.name, Action::StartedBySecretsManager);
        r.token = Some(token);
        Ok(r)
    }

    /// Drives one secret's attempt under its lease. `plan`: what the sweep saw (none for
    /// "rotate now"). `Err` says why it stopped. `urgent`: the attempt is being resumed
    /// (consumers may be waiting for it).
    pub(super) async fn rotate_one(
        &self,
        name: &str,
        plan: Option<&Plan<'_>>,
        trigger: Trigger<'_>,
        d: &Deadline,
        urgent: bool,
    ) -> Result<SecretReport, Box<Stopped>> {
        let stopped = |token: Option<String>, step: Option<Step>, error| {
            Box::new(Stopped { token, step, error })
        };
        let lease = self
            .lease_for(name, trigger.name(), urgent, d)
            .await
            .map_err(|e| stopped(None, None, e))?;
        // Every decision is taken under the lease, from what is stored now.
        let work = async {
            let meta = self
                .secrets
                .describe(name)
                .await
                .map_err(|e| stopped(None, None, e.into()))?;
            let intent = match trigger {
                Trigger::RotateNow(i) => Some(i),
                _ => None,
            };
            if let Some(intent) = intent {
                if !self.config.managed.includes(&meta) {
                    let e = RotationError::InvalidEvent(format!(
                        "secret {name} is not managed by credguard"
                    ));
                    return Err(stopped(None, None, e));
                }
                if owned_by_secrets_manager(&meta) {
                    return self
                        .hand_to_secrets_manager(&meta, intent, d)
                        .await
                        .map_err(|e| stopped(None, None, e));
                }
            }
            let (token, resumed) = match self.start(&meta, plan, intent).await {
                Err(e) => return Err(stopped(None, None, e)),
                Ok(Start::Hold(report)) => return Ok(report),
                Ok(Start::Answered(rec)) => return answered(name, rec),
                Ok(Start::Fresh(t)) => (t, None),
                Ok(Start::Resume(rec)) => (rec.token.clone(), Some(rec)),
            };
            Box::pin(self.drive(meta, plan.map(|p| p.meta), &token, resumed, trigger, d))
                .await
                .map_err(|(step, e)| stopped(Some(token), Some(step), e))
        };
        let result = match lease.hold(async { Ok(work.await) }).await {
            Ok(done) => done,
            // The lease was lost: stopped between two calls, as a crash would.
            Err(e) => Err(stopped(None, None, e)),
        };
        // This execution is over either way; a later one resumes the attempt from its record.
        lease.release().await;
        result
    }

    /// The secret's lease for this execution. A resumed attempt is urgent (a working secret may
    /// be waiting in `AWSPENDING`): if a crashed execution's lease is about to lapse, wait for
    /// it once rather than leave the attempt for the next run.
    async fn lease_for(
        &self,
        name: &str,
        purpose: &str,
        urgent: bool,
        d: &Deadline,
    ) -> Result<ExecutionLease<'_, P::Records>, RotationError> {
        let ttl = self.config.lease_ttl;
        let busy = |holder: String| RotationError::Busy {
            secret: name.to_owned(),
            holder,
        };
        let held = match ExecutionLease::take(self.records, self.clock, name, purpose, ttl).await? {
            Ok(lease) => return Ok(lease),
            Err(held) => held,
        };
        let wait = (held.lapses_at - self.clock.now())
            .to_std()
            .unwrap_or_default();
        // A live execution renews its lease; one within a TTL (and the rounding of its expiry
        // to whole seconds) of lapsing has stopped renewing it.
        if !urgent || wait > ttl + Duration::from_secs(2) || d.cannot_afford(wait, ttl) {
            return Err(busy(held.owner));
        }
        tracing::info!(
            secret = name,
            wait_ms = wait.as_millis() as u64,
            "waiting for a stalled execution's lease to lapse"
        );
        tokio::time::sleep(wait).await;
        ExecutionLease::take(self.records, self.clock, name, purpose, ttl)
            .await?
            .map_err(|h| busy(h.owner))
    }

    /// Where this execution starts: the pending attempt, the unfinished one (it holds the
    /// count of calls that may have applied), the attempt already answering this request, or
    /// a new one. The sweep knows the unfinished attempts from its index query (`plan`) and a
    /// recent fatal failure from the secret's tags; "rotate now" reads the latest attempt.
    async fn start(
        &self,
        meta: &SecretMetadata,
        plan: Option<&Plan<'_>>,
        intent: Option<&Intent>,
    ) -> Result<Start, RotationError> {
        let repo = RotationRecords::new(self.records);
        let now = self.clock.now();
        let respect_fatal = plan.is_some();
        let recent = |at: Option<DateTime<Utc>>| {
            at.is_some_and(|t| now - t < Days::hours(FATAL_RETRY_AFTER_HOURS))
        };
        let hold = |code: &str, token: &str| {
            let mut report = SecretReport::new(&meta.name, Action::NeedsAttention)
                .detail(format!("last attempt failed: {code}"));
            report.token = Some(token.to_owned());
            Start::Hold(report)
        };
        if let Some(p) = pending_version(meta) {
            return Ok(match repo.get(&meta.name, p).await? {
                Some(r)
                    if respect_fatal
                        && r.outcome == Outcome::Failed
                        && recent(parse_time(&r.updated_at)) =>
                {
                    hold(r.error_code.as_deref().unwrap_or_default(), &r.token)
                }
                Some(r) => Start::Resume(r),
                None => Start::Fresh(p.to_owned()),
            });
        }
        let request_id = intent.and_then(|i| i.request_id.as_deref());
        let mut last = match plan {
            Some(Plan { open: Some(t), .. }) => repo.get(&meta.name, t).await?,
            Some(Plan { open: None, .. }) => None,
            None => repo.latest(&meta.name, 1).await?.into_iter().next(),
        };
        if let Some(id) = request_id {
            let answers =
                |r: &RotationRecord| r.token == id || r.request_ids.iter().any(|x| x == id);
            if !last.as_ref().is_some_and(answers) {
                last = repo.get(&meta.name, id).await?.or(last);
            }
            if let Some(r) = last.take_if(|r| answers(r)) {
                return Ok(match r.outcome {
                    Outcome::InProgress => Start::Resume(r),
                    _ => Start::Answered(r),
                });
            }
        }
        // Unfinished: its secret was never stored, or it is stored and maybe already current
        // (a crash after the switch still owes its bookkeeping).
        if let Some(last) = last.filter(|r| {
            r.outcome == Outcome::InProgress
                && (!meta.has_version(&r.token)
                    || meta.version_with_stage(AWSCURRENT) == Some(r.token.as_str()))
        }) {
            return Ok(Start::Resume(last));
        }
        if respect_fatal {
            if let Some(failure) = LastFailure::of(meta).filter(|f| recent(Some(f.at))) {
                return Ok(hold(&failure.error_type, &failure.token));
            }
        }
        Ok(Start::Fresh(
            request_id
                .map(str::to_owned)
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        ))
    }

    /// The four steps of attempt `token` on `meta` (read under this execution's lease). `Err`
    /// names the step.
    async fn drive(
        &self,
        meta: SecretMetadata,
        planned: Option<&SecretMetadata>,
        token: &str,
        resumed: Option<RotationRecord>,
        trigger: Trigger<'_>,
        d: &Deadline,
    ) -> Result<SecretReport, (Step, RotationError)> {
        let name = meta.name.clone();
        let before_start = |e: RotationError| (Step::CreateSecret, e);
        if owned_by_secrets_manager(&meta) {
            return Err(before_start(RotationError::InvalidEvent(format!(
                "secret {name} is rotated by Secrets Manager; the sweep leaves it alone"
            ))));
        }
        let before = meta.version_with_stage(AWSCURRENT).map(str::to_owned);
        if let Some(planned) = planned {
            if resumed.is_none() && before.as_deref() != planned.version_with_stage(AWSCURRENT) {
                return Ok(SecretReport::new(&name, Action::NotDue)
                    .detail("rotated by another run meanwhile"));
            }
        }
        let mut cx = self
            .context(meta, token, None, d)
            .await
            .map_err(before_start)?;
        let mut rec = match resumed {
            Some(r) => r,
            None => self.new_record(&cx, trigger),
        };
        if let Trigger::RotateNow(intent) = trigger {
            apply_intent(&mut rec, intent);
        }
        for step in Step::ALL {
            let proceed = match check_step(&cx, step) {
                Ok(true) => true,
                // Earlier steps of a version already current are no-ops; finish still runs to
                // complete any bookkeeping a crash left undone.
                Ok(false) => step == Step::FinishSecret && rec.state != AttemptState::Finished,
                Err(e) => return Err((step, e)),
            };
            if !proceed {
                continue;
            }
            let outcome = self.step(&mut cx, &mut rec, step).await;
            self.conclude(&cx, &mut rec, step, outcome, false)
                .await
                .map_err(|e| (step, e))?;
        }
        let mut r = SecretReport::new(&name, Action::Rotated);
        r.token = Some(token.to_owned());
        r.version_after = Some(token.to_owned());
        r.version_before = before;
        Ok(r)
    }
}

/// A retried request whose attempt is already over gets that attempt's outcome, not a second
/// rotation.
fn answered(name: &str, rec: RotationRecord) -> Result<SecretReport, Box<Stopped>> {
    if rec.outcome == Outcome::Succeeded {
        let mut r =
            SecretReport::new(name, Action::Rotated).detail("already done for this request");
        r.token = Some(rec.token.clone());
        r.version_after = Some(rec.token);
        return Ok(r);
    }
    Err(Box::new(Stopped {
        token: Some(rec.token.clone()),
        step: None,
        error: RotationError::RequestFailed {
            secret: name.to_owned(),
            error_type: rec.error_code.clone().unwrap_or_default(),
            token: rec.token,
        },
    }))
}

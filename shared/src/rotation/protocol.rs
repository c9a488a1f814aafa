//! The four-step protocol of a Secrets Manager rotation, shared by every entry point.
//!
//! Secrets Manager invokes one step per invocation ([`Rotator::run_step`]); our own drivers
//! (the sweep and "rotate now", in `driver.rs`) run the four steps in one execution and carry
//! what each step learned to the next. Either way each step passes the standard guard prologue,
//! runs under the secret's lease, and every action first checks whether its effect already
//! exists, so running a step again is always safe. [`Rotator::conclude`] is where every step's
//! outcome is recorded (invariant 4); [`finish`] is the only place `AWSCURRENT` moves
//! (invariant 2).

use super::config::RotationConfig;
use super::dependents::Dependent;
use super::error::RotationError;
use super::event::Step;
use super::lease::ExecutionLease;
use super::{alternating, events, regenerate, retire, verify};
use crate::clock::Clock;
use crate::credential::{ManagedCredential, Strategy};
use crate::deadline::Deadline;
use crate::genesys::region::Endpoints;
use crate::ports::events::{EventPublisher, SecurityEvent};
use crate::ports::genesys::{ClientAdmin, CredentialVerifier, IntegrationCredentials};
use crate::ports::records::RecordStore;
use crate::ports::secrets::{SecretMetadata, SecretStore, VersionRef, AWSCURRENT, AWSPENDING};
use crate::records::iso;
use crate::records::rotation::{
    AttemptState, NewAttempt, Outcome, RotationRecord, RotationRecords,
};
use crate::redact::ExposeSecret;
use std::time::Duration;

/// Everything rotation needs from Genesys.
pub trait RotationGenesys: ClientAdmin + CredentialVerifier + IntegrationCredentials {}
impl<T: ClientAdmin + CredentialVerifier + IntegrationCredentials> RotationGenesys for T {}

/// What a requester asked for, beyond "rotate": kept with the attempt so that whichever
/// execution finishes it does what was asked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Intent {
    pub reason: Option<String>,
    pub requested_by: Option<String>,
    /// Alternating: disable the previous client right after the switch (a leak).
    pub retire_previous_now: bool,
    /// The requester's id for this request (a revocation id): the attempt answering it is
    /// found by it, and a retried request does not rotate twice.
    pub request_id: Option<String>,
}

/// Who asked for this attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger<'a> {
    /// Secrets Manager invoked the function: the strict guard applies.
    SecretsManager,
    /// Our sweep drives the steps itself.
    Sweep,
    /// An explicit request for one secret.
    RotateNow(&'a Intent),
}

impl Trigger<'_> {
    pub fn name(&self) -> &'static str {
        match self {
            Self::SecretsManager => "secretsManager",
            Self::Sweep => "sweep",
            Self::RotateNow(_) => "rotateNow",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepResult {
    Done,
    /// The version is already `AWSCURRENT`: nothing to do.
    AlreadyCurrent,
    /// Secrets Manager tested the rotation configuration (`testSecret` on a staged copy of the
    /// current value): the current credential works; no attempt was started.
    ConfigurationTested,
}

impl StepResult {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::AlreadyCurrent => "alreadyCurrent",
            Self::ConfigurationTested => "configurationTested",
        }
    }
}

/// The dependencies of a rotation, borrowed from the function's `main`.
pub struct Rotator<'a, G, S, R, E> {
    pub genesys: &'a G,
    pub secrets: &'a S,
    pub records: &'a R,
    pub events: &'a E,
    pub config: &'a RotationConfig,
    /// The Genesys org this function talks to; a secret declaring another is refused.
    pub endpoints: &'a Endpoints,
    pub clock: &'a Clock,
}

/// What the pending version holds.
enum Pending {
    Absent,
    /// A copy of the current value that Secrets Manager staged (a configuration test, or an
    /// emulator starting a rotation), not a new credential.
    StagedCopy,
    Stored(Box<ManagedCredential>),
}

/// One attempt as an execution sees it: read once, kept in step with its own writes.
pub(super) struct StepCtx<'c, G, S, R> {
    pub genesys: &'c G,
    pub secrets: &'c S,
    pub repo: RotationRecords<'c, R>,
    pub config: &'c RotationConfig,
    pub clock: &'c Clock,
    pub deadline: &'c Deadline,
    pub token: &'c str,
    pub rotation_token: Option<&'c str>,
    pub meta: SecretMetadata,
    pub current_version: String,
    /// The `AWSCURRENT` document when the execution started: the live credential.
    pub current: ManagedCredential,
    pending: Option<ManagedCredential>,
    /// Integration credentials found by an earlier step of this execution.
    pub dependents: Option<Vec<Dependent>>,
}

impl<G, S, R: RecordStore> StepCtx<'_, G, S, R> {
    /// Invariant 3's bound and order: a call that makes a new secret (regenerate, create a
    /// partner) is not idempotent, so at most `max` are made per attempt, whatever crashes in
    /// between; the intent is recorded before the call, and uncounted only when the call
    /// definitely did not apply (rejected, rate limited, never sent).
    pub async fn counted_secret_call<T>(
        &self,
        rec: &mut RotationRecord,
        max: u32,
        call: impl std::future::Future<Output = Result<T, crate::genesys::GenesysError>>,
    ) -> Result<T, RotationError> {
        if rec.regenerations >= max {
            return Err(RotationError::RegenerationLimit(rec.regenerations));
        }
        // An attempt with a call outstanding is in progress, whatever it was before: the index
        // of open attempts must show it until it ends again.
        rec.outcome = Outcome::InProgress;
        rec.finished_at = None;
        rec.regenerations += 1;
        rec.intent_at = Some(iso(self.clock.now()));
        self.repo.save(rec).await?;
        match call.await {
            Ok(v) => Ok(v),
            Err(e) => {
                if !matches!(e, crate::genesys::GenesysError::OutcomeUnknown { .. }) {
                    rec.regenerations -= 1;
                    self.repo.save(rec).await?;
                }
                Err(e.into())
            }
        }
    }
}

impl<G, S: SecretStore, R> StepCtx<'_, G, S, R> {
    async fn read_pending(&self) -> Result<Pending, RotationError> {
        if !self.meta.has_version(self.token) {
            return Ok(Pending::Absent);
        }
        let v = match self
            .secrets
            .get_version(&self.meta.arn_or_name(), VersionRef::Id(self.token))
            .await
        {
            Ok(v) => v,
            Err(crate::ports::secrets::SecretsError::NotFound(_)) => return Ok(Pending::Absent),
            Err(e) => return Err(e.into()),
        };
        let doc = ManagedCredential::parse(&v.value)?;
        // (A finish re-run after the switch reads its own version, which is current.)
        let staged_copy = self.current_version != self.token
            && doc.client_id == self.current.client_id
            && doc.client_secret.expose_secret() == self.current.client_secret.expose_secret();
        Ok(if staged_copy {
            Pending::StagedCopy
        } else {
            Pending::Stored(Box::new(doc))
        })
    }

    /// Whether the pending version holds a copy of the current value, not a new credential.
    pub async fn is_staged_copy(&self) -> Result<bool, RotationError> {
        Ok(matches!(self.read_pending().await?, Pending::StagedCopy))
    }

    /// The pending version's document, if a rotation has stored one.
    pub async fn pending(&mut self) -> Result<Option<ManagedCredential>, RotationError> {
        if self.pending.is_none() {
            if let Pending::Stored(doc) = self.read_pending().await? {
                self.pending = Some(*doc);
            }
        }
        Ok(self.pending.clone())
    }

    pub async fn require_pending(&mut self) -> Result<ManagedCredential, RotationError> {
        self.pending()
            .await?
            .ok_or_else(|| RotationError::NotPending {
                secret: self.meta.name.clone(),
                token: self.token.into(),
            })
    }

    /// Stores the pending version, retrying while the deadline allows: after a regeneration
    /// this value exists nowhere else.
    pub async fn store_pending(&mut self, doc: &ManagedCredential) -> Result<(), RotationError> {
        let value = doc.to_secret_string();
        let backoff = crate::backoff::Backoff {
            base: Duration::from_millis(200),
            max: Duration::from_secs(3),
        };
        let id = self.meta.arn_or_name();
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self
                .secrets
                .put_pending(&id, self.token, &value, self.rotation_token)
                .await
            {
                Ok(()) => break,
                Err(e) if e.is_transient() => {
                    let wait = backoff.delay(attempt);
                    if self.deadline.cannot_afford(wait, Duration::from_secs(1)) {
                        return Err(e.into());
                    }
                    tracing::warn!(error = %e, attempt, "storing the pending secret failed; retrying");
                    tokio::time::sleep(wait).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        stage(&mut self.meta, AWSPENDING, Some(self.token));
        self.pending = Some(doc.clone());
        Ok(())
    }
}

/// Keeps the metadata in step with a stage move this execution made.
fn stage(meta: &mut SecretMetadata, stage_name: &str, to: Option<&str>) {
    for stages in meta.versions.values_mut() {
        stages.retain(|s| s != stage_name);
    }
    if let Some(v) = to {
        meta.versions
            .entry(v.to_owned())
            .or_default()
            .push(stage_name.to_owned());
    }
}

enum Guard {
    Proceed,
    AlreadyCurrent,
}

/// The standard prologue: rotation enabled (when Secrets Manager drives it), the token is a
/// version of the secret, return early if it is already current, it must be pending.
fn guard(
    meta: &SecretMetadata,
    token: &str,
    step: Step,
    strict: bool,
) -> Result<Guard, RotationError> {
    if strict && !meta.rotation_enabled {
        return Err(RotationError::NotEnabled(meta.name.clone()));
    }
    let stages = meta.stages_of(token);
    if stages.iter().any(|s| s == AWSCURRENT) {
        return Ok(Guard::AlreadyCurrent);
    }
    if !meta.has_version(token) {
        // Our own drivers create the version in createSecret.
        if !strict && step == Step::CreateSecret {
            if let Some(other) = meta.version_with_stage(AWSPENDING) {
                if meta.version_with_stage(AWSCURRENT) != Some(other) {
                    return Err(RotationError::InProgressElsewhere {
                        secret: meta.name.clone(),
                        other: other.into(),
                    });
                }
            }
            return Ok(Guard::Proceed);
        }
        return Err(RotationError::UnknownVersion {
            secret: meta.name.clone(),
            token: token.into(),
        });
    }
    if !stages.iter().any(|s| s == AWSPENDING) {
        return Err(RotationError::NotPending {
            secret: meta.name.clone(),
            token: token.into(),
        });
    }
    Ok(Guard::Proceed)
}

impl<G, S, R, E> Rotator<'_, G, S, R, E>
where
    G: RotationGenesys,
    S: SecretStore,
    R: RecordStore,
    E: EventPublisher,
{
    /// Runs one step of the protocol for `token`, as Secrets Manager invokes it: each step is a
    /// separate invocation, holding the secret's lease while it runs.
    pub async fn run_step(
        &self,
        secret_id: &str,
        token: &str,
        step: Step,
        rotation_token: Option<&str>,
        d: &Deadline,
    ) -> Result<StepResult, RotationError> {
        let meta = self.secrets.describe(secret_id).await?;
        let checked = guard(&meta, token, step, true)?;
        let name = meta.name.clone();
        let lease = match ExecutionLease::take(
            self.records,
            self.clock,
            &name,
            token,
            self.config.lease_ttl,
        )
        .await?
        {
            Ok(lease) => lease,
            Err(held) => {
                return Err(RotationError::Busy {
                    secret: name,
                    holder: held.owner,
                })
            }
        };
        let result = lease
            .hold(self.step_invocation(meta, token, step, rotation_token, checked, d))
            .await;
        lease.release().await;
        result
    }

    async fn step_invocation(
        &self,
        meta: SecretMetadata,
        token: &str,
        step: Step,
        rotation_token: Option<&str>,
        checked: Guard,
        d: &Deadline,
    ) -> Result<StepResult, RotationError> {
        let record = RotationRecords::new(self.records)
            .get(&meta.name, token)
            .await?;
        if let Guard::AlreadyCurrent = checked {
            // A finish that crashed after moving AWSCURRENT still owes its bookkeeping.
            let unfinished = record
                .as_ref()
                .is_some_and(|r| r.state != AttemptState::Finished);
            if !(step == Step::FinishSecret && unfinished) {
                if step == Step::FinishSecret
                    && meta.stages_of(token).iter().any(|s| s == AWSPENDING)
                {
                    self.secrets
                        .move_stage(&meta.arn_or_name(), AWSPENDING, None, Some(token))
                        .await?;
                }
                tracing::info!(secret = %meta.name, token, step = step.as_str(), "version already current; nothing to do");
                return Ok(StepResult::AlreadyCurrent);
            }
        }
        let mut cx = self.context(meta, token, rotation_token, d).await?;
        let mut rec = match record {
            Some(r) => r,
            None if step == Step::TestSecret && cx.is_staged_copy().await? => {
                return self.test_configuration(&cx).await;
            }
            None => self.new_record(&cx, Trigger::SecretsManager),
        };
        // A step invoked before createSecret stored the secret (out of order) is refused
        // without touching the attempt: createSecret may still come.
        if step != Step::CreateSecret && cx.pending().await?.is_none() {
            return Err(RotationError::NotPending {
                secret: cx.meta.name.clone(),
                token: token.into(),
            });
        }
        let outcome = self.step(&mut cx, &mut rec, step).await;
        self.conclude(&cx, &mut rec, step, outcome, true).await
    }

    /// Secrets Manager's check of a rotation configuration (`RotateImmediately=false`): it runs
    /// only testSecret, on a pending copy of the current value. The current credential must
    /// work; nothing is rotated and no attempt is recorded.
    async fn test_configuration(
        &self,
        cx: &StepCtx<'_, G, S, R>,
    ) -> Result<StepResult, RotationError> {
        self.genesys
            .verify_credentials(&cx.current.credentials(), cx.deadline)
            .await?;
        tracing::info!(secret = %cx.meta.name, token = cx.token, "rotation configuration tested: the current credential works");
        Ok(StepResult::ConfigurationTested)
    }

    /// Reads the live credential (`AWSCURRENT`) for an execution working on `token`.
    pub(super) async fn context<'c>(
        &'c self,
        meta: SecretMetadata,
        token: &'c str,
        rotation_token: Option<&'c str>,
        d: &'c Deadline,
    ) -> Result<StepCtx<'c, G, S, R>, RotationError> {
        let current_version = self
            .secrets
            .get_version(&meta.arn_or_name(), VersionRef::Stage(AWSCURRENT))
            .await?;
        let current = ManagedCredential::parse(&current_version.value)?;
        self.check_org(&current)?;
        Ok(StepCtx {
            genesys: self.genesys,
            secrets: self.secrets,
            repo: RotationRecords::new(self.records),
            config: self.config,
            clock: self.clock,
            deadline: d,
            token,
            rotation_token,
            meta,
            current_version: current_version.version_id,
            current,
            pending: None,
            dependents: None,
        })
    }

    /// A new attempt for `cx.token`, as `trigger` asked for it. Written by its first save.
    pub(super) fn new_record(
        &self,
        cx: &StepCtx<'_, G, S, R>,
        trigger: Trigger<'_>,
    ) -> RotationRecord {
        let settings = cx.current.settings();
        let (client_id, previous) = match settings.strategy {
            Strategy::Regenerate => (cx.current.client_id.clone(), None),
            Strategy::Alternating => (
                settings.partner_client_id.clone().unwrap_or_default(),
                Some(cx.current.client_id.clone()),
            ),
        };
        let intent = match trigger {
            Trigger::RotateNow(i) => Some(i),
            _ => None,
        };
        let mut rec = RotationRecord::new(
            NewAttempt {
                secret_name: &cx.meta.name,
                secret_arn: &cx.meta.arn,
                token: cx.token,
                strategy: settings.strategy.as_str(),
                trigger: trigger.name(),
                reason: intent.and_then(|i| i.reason.as_deref()),
                requested_by: intent.and_then(|i| i.requested_by.as_deref()),
                client_id: &client_id,
                previous_client_id: previous.as_deref(),
            },
            self.clock.now(),
            self.config.retention_days,
        );
        if let Some(i) = intent {
            apply_intent(&mut rec, i);
        }
        rec
    }

    /// One step of `cx`'s attempt, by strategy.
    pub(super) async fn step(
        &self,
        cx: &mut StepCtx<'_, G, S, R>,
        rec: &mut RotationRecord,
        step: Step,
    ) -> Result<(), RotationError> {
        let strategy = cx.current.settings().strategy;
        // Boxed: the steps' futures differ a lot in size, and debug builds keep every one of
        // them on the stack of whoever awaits this.
        match (strategy, step) {
            (Strategy::Regenerate, Step::CreateSecret) => {
                Box::pin(regenerate::create(cx, rec)).await
            }
            (Strategy::Regenerate, Step::SetSecret) => Box::pin(regenerate::set(cx, rec)).await,
            (Strategy::Regenerate, Step::TestSecret) => Box::pin(regenerate::test(cx, rec)).await,
            (Strategy::Alternating, Step::CreateSecret) => {
                Box::pin(alternating::create(cx, rec)).await
            }
            (Strategy::Alternating, Step::SetSecret) => Box::pin(alternating::set(cx, rec)).await,
            (Strategy::Alternating, Step::TestSecret) => Box::pin(alternating::test(cx, rec)).await,
            (_, Step::FinishSecret) => Box::pin(finish(cx, rec, strategy)).await,
        }
    }

    /// Invariant 4, per step: the outcome is recorded with the attempt, measured and published
    /// before anyone is answered. `save_progress` is false for the steps our own drivers run
    /// back to back (the record is written when they stop); a failure or the finish is
    /// always written.
    pub(super) async fn conclude(
        &self,
        cx: &StepCtx<'_, G, S, R>,
        rec: &mut RotationRecord,
        step: Step,
        outcome: Result<(), RotationError>,
        save_progress: bool,
    ) -> Result<StepResult, RotationError> {
        let now = self.clock.now();
        let name = &cx.meta.name;
        let token = cx.token;
        match outcome {
            Ok(()) => {
                let state = match step {
                    Step::CreateSecret => AttemptState::SecretCreated,
                    Step::SetSecret => AttemptState::SecretSet,
                    Step::TestSecret => AttemptState::Tested,
                    Step::FinishSecret => AttemptState::Finished,
                };
                rec.advance(step.as_str(), state, now);
                if save_progress || step == Step::FinishSecret {
                    cx.repo.save(rec).await?;
                }
                let mut to_publish: Vec<SecurityEvent> = Vec::new();
                if !rec.dependents_failed.is_empty() && step == Step::CreateSecret {
                    to_publish.push(events::dependents_failed(rec));
                }
                if step == Step::FinishSecret {
                    // One dimension (Function) so that alarms can match the metric exactly.
                    crate::metrics::emit("rotation", &[("RotationSucceeded", 1.0)], &[]);
                    to_publish.push(events::completed(rec));
                    if rec.retired_at.is_some() {
                        to_publish.push(events::retired(
                            rec,
                            rec.previous_client_id.as_deref().unwrap_or_default(),
                        ));
                    }
                }
                self.publish(to_publish).await;
                tracing::info!(secret = %name, token, step = step.as_str(), "rotation step done");
                Ok(StepResult::Done)
            }
            Err(e) => {
                let error_type = e.error_type();
                crate::metrics::emit("rotation", &[("RotationFailed", 1.0)], &[]);
                tracing::warn!(secret = %name, token, step = step.as_str(), error_type = %error_type, error = %e, "rotation step failed");
                rec.fail(
                    step.as_str(),
                    &error_type,
                    &e.to_string(),
                    e.is_retryable(),
                    now,
                );
                if let Err(save) = cx.repo.save(rec).await {
                    tracing::error!(error = %save, "could not record the failed step");
                }
                if !e.is_retryable() {
                    // The sweep plans from tags: it holds off for a day after this.
                    let failure = format!("{}|{error_type}|{token}", iso(now));
                    let tags = [(crate::credential::TAG_LAST_FAILURE, failure.as_str())];
                    if let Err(tag) = cx.secrets.tag(&cx.meta.arn_or_name(), &tags).await {
                        tracing::warn!(error = %tag, "could not tag the failure on the secret");
                    }
                }
                self.publish(vec![events::failed(
                    rec,
                    step.as_str(),
                    &error_type,
                    e.is_retryable(),
                )])
                .await;
                Err(e)
            }
        }
    }

    /// A managed secret must belong to the org this function is configured for (a client only
    /// works in the region where it was created).
    fn check_org(&self, doc: &ManagedCredential) -> Result<(), RotationError> {
        if let Some(declared) = doc.endpoints()? {
            if declared.login != self.endpoints.login {
                return Err(RotationError::WrongOrg {
                    declared: declared.login.to_string(),
                    configured: self.endpoints.login.to_string(),
                });
            }
        }
        Ok(())
    }

    /// Events are best effort: a bus outage must not fail a rotation that succeeded.
    pub(super) async fn publish(&self, events: Vec<SecurityEvent>) {
        if events.is_empty() {
            return;
        }
        if let Err(e) = self.events.publish(events).await {
            tracing::error!(error = %e, "could not publish security events");
        }
    }
}

/// What a request adds to an attempt it starts or joins.
pub(super) fn apply_intent(rec: &mut RotationRecord, intent: &Intent) {
    rec.retire_previous_now |= intent.retire_previous_now;
    if let Some(id) = &intent.request_id {
        rec.answer_request(id);
    }
    if rec.reason.is_none() {
        rec.reason = intent.reason.clone();
    }
    if rec.requested_by.is_none() {
        rec.requested_by = intent.requested_by.clone();
    }
}

/// Run by the guard of every entry point: `step` is the next thing this execution does.
pub(super) fn check_step(
    cx: &StepCtx<'_, impl Sized, impl Sized, impl Sized>,
    step: Step,
) -> Result<bool, RotationError> {
    match guard(&cx.meta, cx.token, step, false)? {
        Guard::Proceed => Ok(true),
        Guard::AlreadyCurrent => Ok(false),
    }
}

/// finishSecret, invariant 2: `AWSCURRENT` moves only to a pending credential that has been
/// proven to work, and the tags that schedule what follows (the rotation time, the previous
/// client's retirement) are written before the move, so no reader ever sees a switch without
/// them.
async fn finish<G: RotationGenesys, S: SecretStore, R: RecordStore>(
    cx: &mut StepCtx<'_, G, S, R>,
    rec: &mut RotationRecord,
    strategy: Strategy,
) -> Result<(), RotationError> {
    let pending = cx.require_pending().await?;
    let id = cx.meta.arn_or_name();
    // Re-run after a crash that already moved AWSCURRENT: only the bookkeeping is left.
    let already_current = cx.current_version == cx.token;
    if !already_current {
        if rec.state != AttemptState::Tested {
            verify::verify_pending(cx).await?;
        }
        if strategy == Strategy::Alternating {
            alternating::before_finish(cx, rec, &pending).await?;
            if rec.retire_after.is_none() {
                let now = cx.clock.now();
                let hours = cx.config.retire_after_hours(&cx.current.settings());
                rec.retire_after = Some(iso(if rec.retire_previous_now {
                    now
                } else {
                    now + chrono::Duration::hours(i64::from(hours))
                }));
            }
        }
        write_tags(cx, rec, &pending, strategy).await?;
        cx.secrets
            .move_stage(&id, AWSCURRENT, Some(cx.token), Some(&cx.current_version))
            .await?;
        stage(&mut cx.meta, AWSCURRENT, Some(cx.token));
    }
    // After a rotation AWSPENDING is absent.
    if cx.meta.stages_of(cx.token).iter().any(|s| s == AWSPENDING) {
        cx.secrets
            .move_stage(&id, AWSPENDING, None, Some(cx.token))
            .await?;
        stage(&mut cx.meta, AWSPENDING, None);
    }
    if strategy == Strategy::Alternating && rec.retire_previous_now && rec.retired_at.is_none() {
        // `pending` is the live credential now.
        if let Some(previous) = rec.previous_client_id.clone() {
            let receipt = retire::disable_previous(
                cx.genesys,
                &cx.meta.name,
                &pending,
                &previous,
                cx.deadline,
            )
            .await?;
            rec.note_correlation(receipt.and_then(|r| r.correlation_id).as_deref());
            rec.retired_at = Some(iso(cx.clock.now()));
            retire::mark_retired(cx.secrets, &id).await?;
        }
    }
    Ok(())
}

/// The scheduling facts the sweep and the audit read from `ListSecrets` (no secret values),
/// describing the secret as it is once `pending` is current.
async fn write_tags<G, S: SecretStore, R>(
    cx: &StepCtx<'_, G, S, R>,
    record: &RotationRecord,
    pending: &ManagedCredential,
    strategy: Strategy,
) -> Result<(), RotationError> {
    use crate::credential::{
        TAG_CLIENT_ID, TAG_LAST_FAILURE, TAG_MAX_AGE_DAYS, TAG_PARTNER_CLIENT_ID, TAG_RETIRE_AFTER,
        TAG_ROTATED_AT, TAG_STRATEGY,
    };
    let settings = pending.settings();
    let rotated_at = iso(cx.clock.now());
    let max_age = cx.config.max_age_days(&settings).to_string();
    let mut tags = vec![
        (TAG_CLIENT_ID, pending.client_id.as_str()),
        (TAG_ROTATED_AT, rotated_at.as_str()),
        (TAG_STRATEGY, strategy.as_str()),
        (TAG_MAX_AGE_DAYS, max_age.as_str()),
        (TAG_LAST_FAILURE, ""),
    ];
    if strategy == Strategy::Alternating {
        if let Some(partner) = settings.partner_client_id.as_deref() {
            tags.push((TAG_PARTNER_CLIENT_ID, partner));
        }
        tags.push((
            TAG_RETIRE_AFTER,
            record.retire_after.as_deref().unwrap_or_default(),
        ));
    }
    cx.secrets.tag(&cx.meta.arn_or_name(), &tags).await?;
    Ok(())
}

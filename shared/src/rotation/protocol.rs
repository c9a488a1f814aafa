//! The four-step protocol of a Secrets Manager rotation, shared by every entry point.
//!
//! Secrets Manager invokes one step per invocation ([`Rotator::run_step`]); our own drivers
//! (the sweep and "rotate now", in `driver.rs`) run the four steps in one execution and carry
//! what each step learned to the next. Either way each step passes the standard guard prologue,
//! runs under the secret's lease, and every action first checks whether its effect already
//! exists, so running a step again is always safe. `Rotator::conclude` is where every step's
//! outcome is recorded (invariant 4); `finish` is the only place `AWSCURRENT` moves
//! (invariant 2).

use super::attempt::StepCtx;
use super::config::RotationConfig;
use super::error::RotationError;
use super::event::Step;
use super::lease::ExecutionLease;
use super::ports::RotationPorts;
use super::{alternating, events, finish, regenerate};
use crate::clock::Clock;
use crate::credential::{ManagedCredential, Strategy};
use crate::deadline::Deadline;
use crate::genesys::region::Endpoints;
use crate::ports::events::{EventPublisher, SecurityEvent};
use crate::ports::genesys::CredentialVerifier;
use crate::ports::secrets::{SecretMetadata, SecretStore, VersionRef, AWSCURRENT, AWSPENDING};
use crate::records::iso;
use crate::records::rotation::{AttemptState, NewAttempt, RotationRecord, RotationRecords};

/// A step's context over the ports of `P`.
type Ctx<'c, P> = StepCtx<
    'c,
    <P as RotationPorts>::Genesys,
    <P as RotationPorts>::Secrets,
    <P as RotationPorts>::Records,
>;

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
pub struct Rotator<'a, P: RotationPorts> {
    pub genesys: &'a P::Genesys,
    pub secrets: &'a P::Secrets,
    pub records: &'a P::Records,
    pub events: &'a P::Events,
    pub config: &'a RotationConfig,
    /// The Genesys org this function talks to; a secret declaring another is refused.
    pub endpoints: &'a Endpoints,
    pub clock: &'a Clock,
}

impl<'a, G, S, R, E> Rotator<'a, (G, S, R, E)>
where
    (G, S, R, E): RotationPorts<Genesys = G, Secrets = S, Records = R, Events = E>,
{
    /// A rotator over these adapters (their types make its `RotationPorts`).
    pub fn new(
        genesys: &'a G,
        secrets: &'a S,
        records: &'a R,
        events: &'a E,
        config: &'a RotationConfig,
        endpoints: &'a Endpoints,
        clock: &'a Clock,
    ) -> Self {
        Self {
            genesys,
            secrets,
            records,
            events,
            config,
            endpoints,
            clock,
        }
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

impl<P: RotationPorts> Rotator<'_, P> {
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
    async fn test_configuration(&self, cx: &Ctx<'_, P>) -> Result<StepResult, RotationError> {
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
    ) -> Result<Ctx<'c, P>, RotationError> {
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
    pub(super) fn new_record(&self, cx: &Ctx<'_, P>, trigger: Trigger<'_>) -> RotationRecord {
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
        cx: &mut Ctx<'_, P>,
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
            (_, Step::FinishSecret) => Box::pin(finish::finish(cx, rec, strategy)).await,
        }
    }

    /// Invariant 4, per step: the outcome is recorded with the attempt, measured and published
    /// before anyone is answered. `save_progress` is false for the steps our own drivers run
    /// back to back (the record is written when they stop); a failure or the finish is
    /// always written.
    pub(super) async fn conclude(
        &self,
        cx: &Ctx<'_, P>,
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

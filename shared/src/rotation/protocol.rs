//! The four-step protocol of a Secrets Manager rotation, shared by every entry point.
//!
//! Each step runs the standard guard prologue, takes the secret's lease, loads (or starts) the
//! attempt's record, and only then acts; every action first checks whether its effect already
//! exists, so running a step again is always safe.

use super::config::RotationConfig;
use super::error::RotationError;
use super::event::Step;
use super::{alternating, events, regenerate};
use crate::credential::{ManagedCredential, Strategy};
use crate::deadline::Deadline;
use crate::genesys::region::Endpoints;
use crate::ports::events::{EventPublisher, SecurityEvent};
use crate::ports::genesys::{ClientAdmin, CredentialVerifier, IntegrationCredentials};
use crate::ports::records::RecordStore;
use crate::ports::secrets::{SecretMetadata, SecretStore, VersionRef, AWSCURRENT, AWSPENDING};
use crate::records::lease::Leases;
use crate::records::rotation::{AttemptState, NewAttempt, RotationRecord, RotationRecords};
use crate::redact::ExposeSecret;
use chrono::Utc;
use std::time::Duration;

/// Everything rotation needs from Genesys.
pub trait RotationGenesys: ClientAdmin + CredentialVerifier + IntegrationCredentials {}
impl<T: ClientAdmin + CredentialVerifier + IntegrationCredentials> RotationGenesys for T {}

/// Who asked for this step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger<'a> {
    /// Secrets Manager invoked the function: the strict guard applies.
    SecretsManager { rotation_token: Option<&'a str> },
    /// Our sweep drives the steps itself.
    Sweep,
    /// An explicit request for one secret.
    RotateNow {
        reason: Option<&'a str>,
        requested_by: Option<&'a str>,
        retire_previous_now: bool,
    },
}

impl Trigger<'_> {
    pub fn name(&self) -> &'static str {
        match self {
            Self::SecretsManager { .. } => "secretsManager",
            Self::Sweep => "sweep",
            Self::RotateNow { .. } => "rotateNow",
        }
    }

    fn rotation_token(&self) -> Option<&str> {
        match self {
            Self::SecretsManager { rotation_token } => *rotation_token,
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepResult {
    Done,
    /// The version is already `AWSCURRENT`: nothing to do.
    AlreadyCurrent,
}

/// A claim on a secret's lease: who holds it and how long each acquisition lasts.
pub(super) struct Claim<'a> {
    pub owner: &'a str,
    pub ttl: Duration,
}

/// Lambda's and DynamoDB's clocks may disagree a little; an execution's claim outlives the
/// invocation by this much.
const CLOCK_SKEW: Duration = Duration::from_secs(2);

impl<'a> Claim<'a> {
    /// An owner naming one execution working on attempt `token`.
    pub fn execution_owner(token: &str) -> String {
        format!("{token}/{}", uuid::Uuid::new_v4())
    }

    /// One execution's claim: it lapses once the invocation has certainly ended, so a crashed
    /// run holds the next one off only until then, while a live one is never overtaken.
    pub fn for_execution(owner: &'a str, lease_ttl: Duration, d: &Deadline) -> Self {
        Self {
            owner,
            ttl: (d.until_end() + CLOCK_SKEW).min(lease_ttl),
        }
    }

    /// The attempt (rotation token) an owner works on.
    pub fn token_of(owner: &str) -> &str {
        owner.split('/').next().unwrap_or_default()
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
}

/// What a strategy step works with.
pub(super) struct StepCtx<'c, G, S, R> {
    pub genesys: &'c G,
    pub secrets: &'c S,
    pub repo: RotationRecords<'c, R>,
    pub config: &'c RotationConfig,
    pub meta: &'c SecretMetadata,
    pub token: &'c str,
    pub rotation_token: Option<&'c str>,
    pub retire_previous_now: bool,
    pub current_version: String,
    pub current: ManagedCredential,
    pub deadline: &'c Deadline,
}

impl<G, S, R: RecordStore> StepCtx<'_, G, S, R> {
    /// A call that makes a new secret (regenerate, create a partner) is not idempotent: the
    /// intent is recorded first and counts against the attempt's limit, and it is uncounted
    /// only when the call definitely did not apply (rejected, rate limited, never sent).
    pub async fn counted_secret_call<T>(
        &self,
        rec: &mut RotationRecord,
        call: impl std::future::Future<Output = Result<T, crate::genesys::GenesysError>>,
    ) -> Result<T, RotationError> {
        rec.regenerations += 1;
        rec.intent_at = Some(crate::records::iso(Utc::now()));
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

impl<G, S: SecretStore, R: RecordStore> StepCtx<'_, G, S, R> {
    /// The pending version's document, if its value has been stored.
    pub async fn pending(&self) -> Result<Option<ManagedCredential>, RotationError> {
        if !self.meta.has_version(self.token) {
            return Ok(None);
        }
        match self
            .secrets
            .get_version(&self.meta.arn_or_name(), VersionRef::Id(self.token))
            .await
        {
            Ok(v) => {
                let doc = ManagedCredential::parse(&v.value)?;
                // A pending version holding the current credential was staged, not created by
                // a rotation (some emulators copy the current value when a rotation starts).
                // (Unless this version is itself current: a finish re-run after the switch.)
                let staged_copy = self.current_version != self.token
                    && doc.client_id == self.current.client_id
                    && doc.client_secret.expose_secret()
                        == self.current.client_secret.expose_secret();
                Ok((!staged_copy).then_some(doc))
            }
            Err(crate::ports::secrets::SecretsError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn require_pending(&self) -> Result<ManagedCredential, RotationError> {
        self.pending()
            .await?
            .ok_or_else(|| RotationError::NotPending {
                secret: self.meta.name.clone(),
                token: self.token.into(),
            })
    }

    /// Stores the pending version, retrying while the deadline allows: after a regeneration
    /// this value exists nowhere else.
    pub async fn store_pending(&self, doc: &ManagedCredential) -> Result<(), RotationError> {
        let value = doc.to_secret_string();
        let backoff = crate::genesys::policy::Backoff {
            base: std::time::Duration::from_millis(200),
            max: std::time::Duration::from_secs(3),
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self
                .secrets
                .put_pending(
                    &self.meta.arn_or_name(),
                    self.token,
                    &value,
                    self.rotation_token,
                )
                .await
            {
                Ok(()) => return Ok(()),
                Err(e) if e.is_transient() => {
                    let wait = backoff.delay(attempt);
                    if self
                        .deadline
                        .cannot_afford(wait, std::time::Duration::from_secs(1))
                    {
                        return Err(e.into());
                    }
                    tracing::warn!(error = %e, attempt, "storing the pending secret failed; retrying");
                    tokio::time::sleep(wait).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

enum Guard {
    Proceed,
    AlreadyCurrent,
}

impl<G, S, R, E> Rotator<'_, G, S, R, E>
where
    G: RotationGenesys,
    S: SecretStore,
    R: RecordStore,
    E: EventPublisher,
{
    /// The standard prologue: rotation enabled (when Secrets Manager drives it), the token is a
    /// version of the secret, return early if it is already current, it must be pending.
    fn guard(
        &self,
        meta: &SecretMetadata,
        token: &str,
        step: Step,
        trigger: &Trigger<'_>,
    ) -> Result<Guard, RotationError> {
        let strict = matches!(trigger, Trigger::SecretsManager { .. });
        if strict && !meta.rotation_enabled {
            return Err(RotationError::NotEnabled(meta.name.clone()));
        }
        let stages = meta.stages_of(token);
        if stages.iter().any(|s| s == AWSCURRENT) {
            return Ok(Guard::AlreadyCurrent);
        }
        if !meta.has_version(token) {
            // Our own orchestration creates the version in createSecret.
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

    /// Runs one step of the protocol for `token`, as Secrets Manager invokes it: each step is
    /// a separate invocation, so the lease is held in the token's name across them.
    pub async fn run_step(
        &self,
        secret_id: &str,
        token: &str,
        step: Step,
        trigger: Trigger<'_>,
        d: &Deadline,
    ) -> Result<StepResult, RotationError> {
        let claim = Claim {
            owner: token,
            ttl: self.config.lease_ttl,
        };
        self.run_step_as(secret_id, token, step, trigger, Some(&claim), d)
            .await
    }

    /// One step of the protocol. With `lease`, the step takes the secret's lease itself and
    /// gives it up when the attempt is over; without, the caller holds it for its whole
    /// execution (our own drivers: sweep, rotate now).
    pub(super) async fn run_step_as(
        &self,
        secret_id: &str,
        token: &str,
        step: Step,
        trigger: Trigger<'_>,
        lease: Option<&Claim<'_>>,
        d: &Deadline,
    ) -> Result<StepResult, RotationError> {
        let meta = self.secrets.describe(secret_id).await?;
        let repo = RotationRecords::new(self.records);
        if let Guard::AlreadyCurrent = self.guard(&meta, token, step, &trigger)? {
            // A finish that crashed after moving AWSCURRENT still owes its bookkeeping.
            let unfinished = match repo.get(&meta.name, token).await? {
                Some(r) => r.state != AttemptState::Finished,
                None => false,
            };
            if !(step == Step::FinishSecret && unfinished) {
                if step == Step::FinishSecret
                    && meta.stages_of(token).iter().any(|s| s == AWSPENDING)
                {
                    self.secrets
                        .move_stage(&meta.arn_or_name(), AWSPENDING, None, Some(token))
                        .await?;
                }
                self.release_step_lease(&meta.name, lease).await;
                tracing::info!(secret = %meta.name, token, step = step.as_str(), "version already current; nothing to do");
                return Ok(StepResult::AlreadyCurrent);
            }
        }

        if let Some(claim) = lease {
            if let Some(holder) = self.take_lease(&meta.name, claim).await? {
                return Err(RotationError::Busy {
                    secret: meta.name.clone(),
                    holder,
                });
            }
        }

        let current_version = self
            .secrets
            .get_version(&meta.arn_or_name(), VersionRef::Stage(AWSCURRENT))
            .await?;
        let current = ManagedCredential::parse(&current_version.value)?;
        self.check_org(&current)?;
        let settings = current.settings();
        let (reason, requested_by, retire_now) = match trigger {
            Trigger::RotateNow {
                reason,
                requested_by,
                retire_previous_now,
            } => (reason, requested_by, retire_previous_now),
            _ => (None, None, false),
        };
        let (client_id, previous) = match settings.strategy {
            Strategy::Regenerate => (current.client_id.clone(), None),
            Strategy::Alternating => (
                settings.partner_client_id.clone().unwrap_or_default(),
                Some(current.client_id.clone()),
            ),
        };
        let strategy = settings.strategy.as_str();
        let mut record = repo
            .create_or_get(RotationRecord::new(
                NewAttempt {
                    secret_name: &meta.name,
                    secret_arn: &meta.arn,
                    token,
                    strategy,
                    trigger: trigger.name(),
                    reason,
                    requested_by,
                    client_id: &client_id,
                    previous_client_id: previous.as_deref(),
                },
                Utc::now(),
                self.config.retention_days,
            ))
            .await?;

        let cx = StepCtx {
            genesys: self.genesys,
            secrets: self.secrets,
            repo: RotationRecords::new(self.records),
            config: self.config,
            meta: &meta,
            token,
            rotation_token: trigger.rotation_token(),
            retire_previous_now: retire_now,
            current_version: current_version.version_id.clone(),
            current,
            deadline: d,
        };
        let outcome = match (settings.strategy, step) {
            (Strategy::Regenerate, Step::CreateSecret) => {
                regenerate::create(&cx, &mut record).await
            }
            (Strategy::Regenerate, Step::SetSecret) => regenerate::set(&cx, &mut record).await,
            (Strategy::Regenerate, Step::TestSecret) => regenerate::test(&cx, &mut record).await,
            (Strategy::Alternating, Step::CreateSecret) => {
                alternating::create(&cx, &mut record).await
            }
            (Strategy::Alternating, Step::SetSecret) => alternating::set(&cx, &mut record).await,
            (Strategy::Alternating, Step::TestSecret) => alternating::test(&cx, &mut record).await,
            (_, Step::FinishSecret) => finish(&cx, &mut record, settings.strategy).await,
        };

        let now = Utc::now();
        match outcome {
            Ok(()) => {
                let state = match step {
                    Step::CreateSecret => AttemptState::SecretCreated,
                    Step::SetSecret => AttemptState::SecretSet,
                    Step::TestSecret => AttemptState::Tested,
                    Step::FinishSecret => AttemptState::Finished,
                };
                record.advance(step.as_str(), state, now);
                repo.save(&mut record).await?;
                let mut to_publish: Vec<SecurityEvent> = Vec::new();
                if !record.dependents_failed.is_empty() && step == Step::CreateSecret {
                    to_publish.push(events::dependents_failed(&record));
                }
                if step == Step::FinishSecret {
                    // One dimension (Function) so that alarms can match the metric exactly.
                    crate::metrics::emit("rotation", &[("RotationSucceeded", 1.0)], &[]);
                    to_publish.push(events::completed(&record));
                    if record.retired_at.is_some() {
                        to_publish.push(events::retired(
                            &record,
                            record.previous_client_id.as_deref().unwrap_or_default(),
                        ));
                    }
                }
                self.publish(to_publish).await;
                if step == Step::FinishSecret {
                    self.release_step_lease(&meta.name, lease).await;
                }
                tracing::info!(secret = %meta.name, token, step = step.as_str(), "rotation step done");
                Ok(StepResult::Done)
            }
            Err(e) => {
                let error_type = e.error_type();
                crate::metrics::emit("rotation", &[("RotationFailed", 1.0)], &[]);
                tracing::warn!(secret = %meta.name, token, step = step.as_str(), error_type = %error_type, error = %e, "rotation step failed");
                record.fail(
                    step.as_str(),
                    &error_type,
                    &e.to_string(),
                    e.is_retryable(),
                    now,
                );
                if let Err(save) = repo.save(&mut record).await {
                    tracing::error!(error = %save, "could not record the failed step");
                }
                self.publish(vec![events::failed(
                    &record,
                    step.as_str(),
                    &error_type,
                    e.is_retryable(),
                )])
                .await;
                if !e.is_retryable() {
                    // This attempt is over: let the next one (or a human's rotateNow) start.
                    self.release_step_lease(&meta.name, lease).await;
                }
                Err(e)
            }
        }
    }

    /// Gives up a lease the step took itself. Best effort: the outcome is already recorded, and
    /// a lease left behind lapses or is taken over once its attempt is over.
    async fn release_step_lease(&self, name: &str, lease: Option<&Claim<'_>>) {
        let Some(claim) = lease else { return };
        if let Err(e) = Leases::new(self.records).release(name, claim.owner).await {
            tracing::warn!(secret = name, error = %e, "could not release the lease");
        }
    }

    /// Takes the secret's lease for `claim`. A lease left behind by an attempt that is over
    /// (a crash after it finished) is taken over rather than waited out. `Some(holder)` when
    /// another execution really holds it.
    pub(super) async fn take_lease(
        &self,
        name: &str,
        claim: &Claim<'_>,
    ) -> Result<Option<String>, RotationError> {
        let leases = Leases::new(self.records);
        let now = Utc::now();
        if leases.acquire(name, claim.owner, claim.ttl, now).await? {
            return Ok(None);
        }
        let Some(holder) = leases.holder(name, now).await? else {
            // Expired or released meanwhile: try once more.
            return Ok((!leases.acquire(name, claim.owner, claim.ttl, now).await?)
                .then(|| "another execution (just now)".to_owned()));
        };
        let holder_token = Claim::token_of(&holder);
        let over = RotationRecords::new(self.records)
            .get(name, holder_token)
            .await?
            .is_some_and(|r| r.outcome != crate::records::rotation::Outcome::InProgress);
        if over
            && leases
                .take_over(name, &holder, claim.owner, claim.ttl, now)
                .await?
        {
            tracing::info!(secret = name, stale = %holder, "took over the lease of a finished attempt");
            return Ok(None);
        }
        Ok(Some(holder))
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

/// finishSecret: make the pending version current, keep the tags in step, clean up.
async fn finish<G: RotationGenesys, S: SecretStore, R: RecordStore>(
    cx: &StepCtx<'_, G, S, R>,
    record: &mut RotationRecord,
    strategy: Strategy,
) -> Result<(), RotationError> {
    let pending = cx.require_pending().await?;
    let id = cx.meta.arn_or_name();
    // Re-run after a crash that already moved AWSCURRENT: only the bookkeeping is left.
    let already_current = cx.current_version == cx.token;
    if !already_current {
        if strategy == Strategy::Alternating {
            alternating::before_finish(cx, record, &pending).await?;
        }
        cx.secrets
            .move_stage(&id, AWSCURRENT, Some(cx.token), Some(&cx.current_version))
            .await?;
    }
    // After a rotation AWSPENDING is absent (or on the current version).
    if cx.meta.stages_of(cx.token).iter().any(|s| s == AWSPENDING) {
        cx.secrets
            .move_stage(&id, AWSPENDING, None, Some(cx.token))
            .await?;
    }
    if strategy == Strategy::Alternating {
        alternating::after_finish(cx, record).await?;
    }
    write_tags(cx, record, &pending, strategy).await
}

/// The scheduling facts the sweep and the audit read from `ListSecrets` (no secret values).
async fn write_tags<G, S: SecretStore, R>(
    cx: &StepCtx<'_, G, S, R>,
    record: &RotationRecord,
    pending: &ManagedCredential,
    strategy: Strategy,
) -> Result<(), RotationError> {
    use crate::credential::{
        TAG_CLIENT_ID, TAG_MAX_AGE_DAYS, TAG_PARTNER_CLIENT_ID, TAG_RETIRE_AFTER, TAG_ROTATED_AT,
        TAG_STRATEGY,
    };
    let settings = pending.settings();
    let rotated_at = crate::records::iso(Utc::now());
    let max_age = cx.config.max_age_days(&settings).to_string();
    let mut tags = vec![
        (TAG_CLIENT_ID, pending.client_id.as_str()),
        (TAG_ROTATED_AT, rotated_at.as_str()),
        (TAG_STRATEGY, strategy.as_str()),
        (TAG_MAX_AGE_DAYS, max_age.as_str()),
    ];
    let retire = match (&record.retired_at, &record.retire_after) {
        (Some(_), _) => "retired",
        (None, Some(at)) => at.as_str(),
        (None, None) => "",
    };
    if strategy == Strategy::Alternating {
        if let Some(partner) = settings.partner_client_id.as_deref() {
            tags.push((TAG_PARTNER_CLIENT_ID, partner));
        }
        tags.push((TAG_RETIRE_AFTER, retire));
    }
    cx.secrets.tag(&cx.meta.arn_or_name(), &tags).await?;
    Ok(())
}

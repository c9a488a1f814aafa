//! One attempt as an execution sees it ([`StepCtx`]): the secret's metadata and live document,
//! read once and kept in step with the execution's own writes, the pending credential once
//! read or stored, and invariant 3's counted, intent-first non-idempotent call.

use super::config::RotationConfig;
use super::dependents::Dependent;
use super::error::RotationError;
use crate::clock::Clock;
use crate::credential::ManagedCredential;
use crate::deadline::Deadline;
use crate::genesys::models::OAuthClient;
use crate::ports::genesys::ClientAdmin;
use crate::ports::records::RecordStore;
use crate::ports::secrets::{SecretMetadata, SecretStore, VersionRef, AWSPENDING};
use crate::records::iso;
use crate::records::rotation::{Outcome, RotationRecord, RotationRecords};
use crate::redact::ExposeSecret;
use std::time::Duration;

/// What the pending version holds.
pub(super) enum Pending {
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
    pub(super) pending: Option<ManagedCredential>,
    /// Integration credentials found by an earlier step of this execution.
    pub dependents: Option<Vec<Dependent>>,
}

impl<G, S, R: RecordStore> StepCtx<'_, G, S, R> {
    /// Invariant 3's bound and order: a call that makes a new secret (regenerate, create a
    /// partner) is not idempotent, so at most `max` are made per attempt, whatever crashes in
    /// between; the intent is recorded before the call, and uncounted only when the call
    /// definitely did not apply (rejected, rate limited, never sent). The answer's correlation id
    /// is noted in the record.
    pub async fn counted_secret_call(
        &self,
        rec: &mut RotationRecord,
        max: u32,
        call: impl std::future::Future<Output = Result<OAuthClient, crate::genesys::GenesysError>>,
    ) -> Result<OAuthClient, RotationError> {
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
            Ok(client) => {
                rec.note_correlation(client.correlation_id.as_deref());
                Ok(client)
            }
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

impl<G: ClientAdmin, S, R: RecordStore> StepCtx<'_, G, S, R> {
    /// Regenerates `client_id`'s secret under the bound of `counted_secret_call`.
    pub async fn counted_regeneration(
        &self,
        rec: &mut RotationRecord,
        max: u32,
        client_id: &str,
    ) -> Result<OAuthClient, RotationError> {
        let call = self.genesys.regenerate_secret(client_id, self.deadline);
        self.counted_secret_call(rec, max, call).await
    }
}

impl<G, S: SecretStore, R> StepCtx<'_, G, S, R> {
    pub(super) async fn read_pending(&self) -> Result<Pending, RotationError> {
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
pub(super) fn stage(meta: &mut SecretMetadata, stage_name: &str, to: Option<&str>) {
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

//! The `regenerate` strategy: one client, whose only secret is replaced.
//!
//! Genesys generates the value (`POST .../secret`) and the old secret stops working at once,
//! so createSecret both changes the credential in Genesys and stores it as `AWSPENDING`
//! immediately. Crash safety: the intent is recorded before the call; a later attempt that finds
//! an intent but no stored secret regenerates once more and stores the result at once (whether
//! or not the earlier call applied, the new secret is the one that counts). The count of calls
//! is never reset, so a crash loop cannot regenerate without bound: after
//! [`MAX_REGENERATIONS`] the attempt stops and a human looks.
//!
//! Unavoidable consumer window: from the regeneration until consumers read the new
//! `AWSCURRENT` (propagation + finishSecret + their cache TTL), the old secret is dead.

use super::attempt::StepCtx;
use super::clients::{active_client, secret_of};
use super::dependents;
use super::error::RotationError;
use super::ports::RotationGenesys;
use super::verify::verify_pending;
use crate::ports::records::RecordStore;
use crate::ports::secrets::SecretStore;
use crate::records::rotation::RotationRecord;

/// `POST .../secret` calls per attempt: the first, one to recover a secret lost in a crash,
/// and one for a call that never applied.
pub const MAX_REGENERATIONS: u32 = 3;

pub(super) async fn create<G: RotationGenesys, S: SecretStore, R: RecordStore>(
    cx: &mut StepCtx<'_, G, S, R>,
    rec: &mut RotationRecord,
) -> Result<(), RotationError> {
    if cx.pending().await?.is_some() {
        return Ok(());
    }
    let client_id = cx.current.client_id.clone();
    let d = cx.deadline;
    active_client(cx.genesys, &client_id, d).await?;
    if rec.regenerations > 0 {
        tracing::warn!(
            client = %client_id,
            calls = rec.regenerations,
            "an earlier run may have replaced the secret without storing it; regenerating once more"
        );
    }
    let deps = dependents::resolve(cx, &[client_id.as_str()]).await?;
    cx.dependents = Some(deps.clone());

    let regenerated = cx
        .counted_regeneration(rec, MAX_REGENERATIONS, &client_id)
        .await?;
    let secret = secret_of(regenerated)?;
    let doc = cx.current.with_client(&client_id, secret.clone(), None);
    cx.store_pending(&doc).await?;
    // The old secret is dead now: give dependents the new one right away.
    dependents::update(cx, rec, &deps, &client_id, &secret).await;
    Ok(())
}

/// Genesys set the value in createSecret. Dependents are pointed at it again (idempotent), so
/// a createSecret that stopped after storing the secret still gets them updated.
pub(super) async fn set<G: RotationGenesys, S: SecretStore, R: RecordStore>(
    cx: &mut StepCtx<'_, G, S, R>,
    rec: &mut RotationRecord,
) -> Result<(), RotationError> {
    let pending = cx.require_pending().await?;
    let found = match cx.dependents.clone() {
        Some(deps) => Ok(deps),
        None => dependents::resolve(cx, &[pending.client_id.as_str()]).await,
    };
    match found {
        Ok(deps) => {
            dependents::update(cx, rec, &deps, &pending.client_id, &pending.client_secret).await
        }
        // The secret has changed already: a lookup failure must not hold the rotation back.
        Err(e) => tracing::warn!(error = %e, "dependents not re-checked"),
    }
    Ok(())
}

pub(super) async fn test<G: RotationGenesys, S: SecretStore, R: RecordStore>(
    cx: &mut StepCtx<'_, G, S, R>,
    _rec: &mut RotationRecord,
) -> Result<(), RotationError> {
    verify_pending(cx).await?;
    Ok(())
}

//! The `regenerate` strategy: one client, whose only secret is replaced.
//!
//! Genesys generates the value (`POST .../secret`) and the old secret stops working at once,
//! so createSecret both changes the credential in Genesys and stores it as `AWSPENDING`
//! immediately. Crash safety: the intent is recorded before the call; a later attempt that
//! finds an intent but no stored secret checks whether the current secret still works — if it
//! does, the earlier call never applied; if it does not, the earlier secret was lost and one
//! more regeneration (stored at once) converges. A third is refused: a human looks.
//!
//! Unavoidable consumer window: from the regeneration until consumers read the new
//! `AWSCURRENT` (propagation + finishSecret + their cache TTL), the old secret is dead.

use super::alternating::{client_or, secret_of};
use super::dependents;
use super::error::RotationError;
use super::protocol::{RotationGenesys, StepCtx};
use super::verify::verify_pending;
use crate::genesys::models::ClientState;
use crate::genesys::LoginError;
use crate::ports::genesys::VerifyError;
use crate::ports::records::RecordStore;
use crate::ports::secrets::SecretStore;
use crate::records::rotation::RotationRecord;

/// The first regeneration plus at most one more to recover a lost secret.
pub const MAX_REGENERATIONS: u32 = 2;

pub(super) async fn create<G: RotationGenesys, S: SecretStore, R: RecordStore>(
    cx: &StepCtx<'_, G, S, R>,
    rec: &mut RotationRecord,
) -> Result<(), RotationError> {
    if cx.pending().await?.is_some() {
        return Ok(());
    }
    let client_id = cx.current.client_id.clone();
    let d = cx.deadline;
    let client = client_or(cx.genesys, &client_id, d, || {
        RotationError::ClientMissing(client_id.clone())
    })
    .await?;
    if client.state() != ClientState::Active {
        return Err(RotationError::ClientNotActive {
            client: client_id,
            state: client.state().to_string(),
        });
    }
    if rec.regenerations > 0 {
        // An earlier run of this step may have replaced the secret without storing it.
        match cx
            .genesys
            .verify_credentials(&cx.current.credentials(), d)
            .await
        {
            Ok(_) => {
                // Any applied regeneration kills the current secret: none applied.
                tracing::info!(client = %client_id, "current secret still works: the earlier regeneration did not apply");
                rec.regenerations = 0;
            }
            Err(VerifyError::Login(LoginError::InvalidClient { .. })) => {
                if rec.regenerations >= MAX_REGENERATIONS {
                    return Err(RotationError::RegenerationLimit(rec.regenerations));
                }
                tracing::warn!(
                    client = %client_id,
                    "current secret rejected: the earlier regeneration applied and its secret was lost; regenerating once more"
                );
            }
            Err(e) => return Err(e.into()),
        }
    }
    let deps = dependents::resolve(cx, &[client_id.as_str()]).await?;

    let regenerated = cx
        .counted_secret_call(rec, cx.genesys.regenerate_secret(&client_id, d))
        .await?;
    rec.note_correlation(regenerated.correlation_id.as_deref());
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
    cx: &StepCtx<'_, G, S, R>,
    rec: &mut RotationRecord,
) -> Result<(), RotationError> {
    let pending = cx.require_pending().await?;
    match dependents::resolve(cx, &[pending.client_id.as_str()]).await {
        Ok(deps) => {
            dependents::update(cx, rec, &deps, &pending.client_id, &pending.client_secret).await
        }
        // The secret has changed already: a lookup failure must not hold the rotation back.
        Err(e) => tracing::warn!(error = %e, "dependents not re-checked"),
    }
    Ok(())
}

pub(super) async fn test<G: RotationGenesys, S: SecretStore, R: RecordStore>(
    cx: &StepCtx<'_, G, S, R>,
    _rec: &mut RotationRecord,
) -> Result<(), RotationError> {
    verify_pending(cx).await?;
    Ok(())
}

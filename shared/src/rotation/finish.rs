//! finishSecret: the only place `AWSCURRENT` moves (invariant 2), the tags that schedule what
//! follows, and a leak's immediate retirement.

use super::attempt::{stage, StepCtx};
use super::error::RotationError;
use super::ports::RotationGenesys;
use super::{alternating, retire, verify};
use crate::credential::{ManagedCredential, Strategy};
use crate::ports::records::RecordStore;
use crate::ports::secrets::{SecretStore, AWSCURRENT, AWSPENDING};
use crate::records::iso;
use crate::records::rotation::{AttemptState, RotationRecord};

/// finishSecret, invariant 2: `AWSCURRENT` moves only to a pending credential that has been
/// proven to work, and the tags that schedule what follows (the rotation time, the previous
/// client's retirement) are written before the move, so no reader ever sees a switch without
/// them.
pub(super) async fn finish<G: RotationGenesys, S: SecretStore, R: RecordStore>(
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

//! The `alternating` strategy (the AWS "alternating users" idea applied to OAuth clients): the
//! secret names a pair of clients with the same grant, roles/divisions and token validity.
//! Each rotation regenerates the secret of the idle partner — nobody uses it, so a crash costs
//! nothing — tests it, and makes it current; the previous client keeps working until it is
//! retired (disabled) after a grace period, and is re-enabled by the next rotation.

use super::attempt::StepCtx;
use super::clients::{active_client, client_or, secret_of, set_state};
use super::dependents;
use super::error::RotationError;
use super::ports::RotationGenesys;
use super::verify::verify_pending;
use crate::credential::ManagedCredential;
use crate::genesys::models::{ClientState, OAuthClient, OAuthClientRequest, RoleDivision};
use crate::ports::records::RecordStore;
use crate::ports::secrets::SecretStore;
use crate::records::rotation::RotationRecord;
use crate::redact::SecretString;

/// Regenerating an idle partner is harmless, but still bounded: no loops.
const MAX_PARTNER_REGENERATIONS: u32 = 3;

fn sorted(v: &[RoleDivision]) -> Vec<(String, String)> {
    let mut out: Vec<_> = v
        .iter()
        .map(|r| (r.role_id.clone(), r.division_id.clone()))
        .collect();
    out.sort();
    out
}

/// Why `b` cannot stand in for `a`, if it cannot.
pub fn drift(a: &OAuthClient, b: &OAuthClient) -> Option<String> {
    if a.authorized_grant_type != b.authorized_grant_type {
        return Some(format!(
            "grant type {} vs {}",
            a.authorized_grant_type, b.authorized_grant_type
        ));
    }
    let (ra, rb) = (sorted(&a.role_divisions), sorted(&b.role_divisions));
    if ra != rb {
        let only_a: Vec<_> = ra.iter().filter(|x| !rb.contains(x)).collect();
        let only_b: Vec<_> = rb.iter().filter(|x| !ra.contains(x)).collect();
        return Some(format!(
            "roleDivisions differ (only on {}: {only_a:?}; only on {}: {only_b:?})",
            a.id, b.id
        ));
    }
    if a.token_validity_seconds() != b.token_validity_seconds() {
        return Some(format!(
            "accessTokenValiditySeconds {} vs {}",
            a.token_validity_seconds(),
            b.token_validity_seconds()
        ));
    }
    None
}

fn partner_name(active: &OAuthClient, token: &str) -> String {
    format!(
        "{} (credguard partner {})",
        active.name,
        &token[..token.len().min(8)]
    )
}

pub(super) async fn create<G: RotationGenesys, S: SecretStore, R: RecordStore>(
    cx: &mut StepCtx<'_, G, S, R>,
    rec: &mut RotationRecord,
) -> Result<(), RotationError> {
    if cx.pending().await?.is_some() {
        return Ok(());
    }
    let d = cx.deadline;
    let a_id = cx.current.client_id.clone();
    let a = active_client(cx.genesys, &a_id, d).await?;
    let settings = cx.current.settings();
    let (b_id, secret) = match settings.partner_client_id.clone() {
        Some(b_id) => {
            let b = client_or(cx.genesys, &b_id, d, || {
                RotationError::PartnerMissing(b_id.clone())
            })
            .await?;
            if b.state() == ClientState::Inactive {
                return Err(RotationError::PartnerDrift(format!(
                    "partner {b_id} is being deleted"
                )));
            }
            if let Some(why) = drift(&a, &b) {
                return Err(RotationError::PartnerDrift(why));
            }
            let secret = regenerate_idle(cx, rec, &b_id).await?;
            (b_id, secret)
        }
        None if settings.create_partner => create_partner(cx, rec, &a).await?,
        None => return Err(RotationError::NoPartner),
    };
    rec.client_id = b_id.clone();
    let doc = cx.current.with_client(&b_id, secret, Some(a_id));
    cx.store_pending(&doc).await
}

/// Regenerates the idle partner. Never the live client: that would cut off every consumer.
async fn regenerate_idle<G: RotationGenesys, S, R: RecordStore>(
    cx: &StepCtx<'_, G, S, R>,
    rec: &mut RotationRecord,
    b_id: &str,
) -> Result<SecretString, RotationError> {
    if b_id.eq_ignore_ascii_case(&cx.current.client_id) {
        return Err(RotationError::PartnerDrift(format!(
            "partner {b_id} is the client in use"
        )));
    }
    let b = cx
        .counted_regeneration(rec, MAX_PARTNER_REGENERATIONS, b_id)
        .await?;
    secret_of(b)
}

/// First rotation with `createPartner`: a second client with the active one's rights. The
/// create is not idempotent, so its name carries the attempt's token and an unknown outcome is
/// reconciled by looking for that name.
async fn create_partner<G: RotationGenesys, S, R: RecordStore>(
    cx: &StepCtx<'_, G, S, R>,
    rec: &mut RotationRecord,
    a: &OAuthClient,
) -> Result<(String, SecretString), RotationError> {
    let d = cx.deadline;
    let name = partner_name(a, cx.token);
    if rec.created_client_id.is_none() && rec.regenerations > 0 {
        let existing = cx.genesys.list_clients(d).await?;
        if let Some(c) = existing.into_iter().find(|c| c.name == name) {
            tracing::warn!(partner = %c.id, "found the partner an earlier attempt created");
            rec.created_client_id = Some(c.id);
            cx.repo.save(rec).await?;
        }
    }
    if let Some(b_id) = rec.created_client_id.clone() {
        // Created earlier, but its secret was never stored: it is idle, so regenerate it.
        let secret = regenerate_idle(cx, rec, &b_id).await?;
        return Ok((b_id, secret));
    }
    let req = OAuthClientRequest {
        name,
        authorized_grant_type: a.authorized_grant_type.clone(),
        access_token_validity_seconds: a.access_token_validity_seconds,
        description: Some(format!(
            "Alternating partner of {}, managed by credguard",
            a.id
        )),
        registered_redirect_uri: vec![],
        role_ids: vec![],
        scope: a.scope.clone(),
        role_divisions: a.role_divisions.clone(),
        state: Some(ClientState::Active),
        date_to_delete: None,
    };
    let b = cx
        .counted_secret_call(
            rec,
            MAX_PARTNER_REGENERATIONS,
            cx.genesys.create_client(&req, d),
        )
        .await?;
    rec.created_client_id = Some(b.id.clone());
    cx.repo.save(rec).await?;
    let id = b.id.clone();
    Ok((id, secret_of(b)?))
}

/// Makes sure the partner can be used: a retired (disabled) partner is enabled again.
pub(super) async fn set<G: RotationGenesys, S: SecretStore, R: RecordStore>(
    cx: &mut StepCtx<'_, G, S, R>,
    rec: &mut RotationRecord,
) -> Result<(), RotationError> {
    let pending = cx.require_pending().await?;
    let b = client_or(cx.genesys, &pending.client_id, cx.deadline, || {
        RotationError::PartnerMissing(pending.client_id.clone())
    })
    .await?;
    match b.state() {
        ClientState::Active => Ok(()),
        ClientState::Disabled => {
            let receipt = set_state(cx.genesys, &b, ClientState::Active, cx.deadline).await?;
            rec.note_correlation(receipt.correlation_id.as_deref());
            Ok(())
        }
        other => Err(RotationError::PartnerDrift(format!(
            "partner {} is {other}",
            b.id
        ))),
    }
}

/// The new credential works, and the pair still matches.
pub(super) async fn test<G: RotationGenesys, S: SecretStore, R: RecordStore>(
    cx: &mut StepCtx<'_, G, S, R>,
    _rec: &mut RotationRecord,
) -> Result<(), RotationError> {
    let pending = verify_pending(cx).await?;
    let d = cx.deadline;
    let a_id = &cx.current.client_id;
    let a = client_or(cx.genesys, a_id, d, || {
        RotationError::ClientMissing(a_id.clone())
    })
    .await?;
    let b = client_or(cx.genesys, &pending.client_id, d, || {
        RotationError::PartnerMissing(pending.client_id.clone())
    })
    .await?;
    if b.state() != ClientState::Active {
        return Err(RotationError::PartnerDrift(format!(
            "partner {} is {}",
            b.id,
            b.state()
        )));
    }
    if let Some(why) = drift(&a, &b) {
        return Err(RotationError::PartnerDrift(why));
    }
    Ok(())
}

/// Before the switch: dependents follow to the new client. Failing here loses nothing (the
/// current client still works), so it fails the step and is retried.
pub(super) async fn before_finish<G: RotationGenesys, S, R>(
    cx: &StepCtx<'_, G, S, R>,
    rec: &mut RotationRecord,
    pending: &ManagedCredential,
) -> Result<(), RotationError> {
    let deps = dependents::resolve(
        cx,
        &[cx.current.client_id.as_str(), pending.client_id.as_str()],
    )
    .await?;
    dependents::update(cx, rec, &deps, &pending.client_id, &pending.client_secret).await;
    if rec.dependents_failed.is_empty() {
        Ok(())
    } else {
        Err(RotationError::DependentsFailed(
            rec.dependents_failed.clone(),
        ))
    }
}

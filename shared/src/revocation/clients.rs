//! OAuth clients: disable (the kill switch: all of the client's tokens die) or re-enable, and
//! the emergency rotation of the managed secret holding a client (handed to the rotation
//! function; its outcome is shown with the record).

use super::error::ApiError;
use super::events::for_record;
use super::service::{RevocationGenesys, Revoker};
use crate::deadline::Deadline;
use crate::genesys::models::ClientState;
use crate::ports::events::{EventPublisher, SecurityEvent, Severity};
use crate::ports::functions::{BackgroundJobs, RotationTrigger};
use crate::ports::records::RecordStore;
use crate::ports::secrets::SecretStore;
use crate::records::revocation::RevocationRecord;
use crate::rotation::event::RotateNowRequest;
use serde_json::{json, Value};

impl<G, R, E, S, T, J> Revoker<'_, G, R, E, S, T, J>
where
    G: RevocationGenesys,
    R: RecordStore,
    E: EventPublisher,
    S: SecretStore,
    T: RotationTrigger,
    J: BackgroundJobs,
{
    /// Disable (kill switch: all of the client's tokens die) or re-enable a client.
    pub(super) async fn set_client_state(
        &self,
        record: &mut RevocationRecord,
        events: &mut Vec<SecurityEvent>,
        client_id: &str,
        wanted: ClientState,
        dry_run: bool,
        d: &Deadline,
    ) -> Result<u16, ApiError> {
        if wanted == ClientState::Disabled
            && self
                .self_client_id
                .is_some_and(|me| me.eq_ignore_ascii_case(client_id))
        {
            return Err(ApiError::new(
                409,
                "cannot_disable_self",
                "this is the admin client the revocation API acts as",
            ));
        }
        let client = self
            .genesys
            .get_client(client_id, d)
            .await
            .map_err(|e| ApiError::from_genesys(&e, "client"))?;
        let previous = client.state();
        record.previous_state = Some(previous.to_string());
        record.checks = json!({
            "clientExists": true, "name": client.name, "grantType": client.authorized_grant_type.to_string(),
            "state": previous.to_string(),
        });
        if previous == ClientState::Inactive {
            return Err(ApiError::new(
                409,
                "client_pending_deletion",
                "the client is being deleted",
            ));
        }
        if previous == wanted {
            record.outcome = "alreadyDone".into();
            return Ok(200);
        }
        if dry_run {
            record.outcome = "dryRun".into();
            return Ok(200);
        }
        let mut req = client.to_request();
        req.state = Some(wanted.clone());
        let updated = self
            .genesys
            .update_client(client_id, &req, d)
            .await
            .map_err(|e| ApiError::from_genesys(&e, "client"))?;
        record.note_correlation(updated.correlation_id.as_deref());
        record.outcome = "completed".into();
        let (detail_type, severity) = match wanted {
            ClientState::Disabled => ("Client Disabled", Severity::High),
            _ => ("Client Enabled", Severity::Medium),
        };
        events.push(for_record(
            record,
            detail_type,
            severity,
            json!({"clientId": client_id, "previousState": previous.to_string()}),
        ));
        Ok(200)
    }

    /// For an emergency rotation: how the rotation it asked for is going (the attempt that
    /// answers its id), or `pending` until the rotation function has picked it up.
    pub(super) async fn rotation_outcome(
        &self,
        r: &RevocationRecord,
    ) -> Result<Option<Value>, crate::ports::records::StoreError> {
        let secret = r.checks.get("managedSecret").and_then(Value::as_str);
        let (Some(secret), "started") = (secret, r.outcome.as_str()) else {
            return Ok(None);
        };
        let attempt = crate::records::rotation::RotationRecords::new(self.records)
            .answering(secret, &r.revocation_id)
            .await?;
        Ok(Some(match attempt {
            None => json!({"secretId": secret, "outcome": "pending"}),
            Some(a) => json!({
                "secretId": secret,
                "token": a.token,
                "outcome": a.outcome,
                "state": a.state,
                "stepReached": a.step_reached,
                "errorCode": a.error_code,
                "finishedAt": a.finished_at,
                "retiredAt": a.retired_at,
            }),
        }))
    }

    /// Hands a "rotate now" of the managed secret holding the client to the rotation function.
    pub(super) async fn emergency_rotation(
        &self,
        record: &mut RevocationRecord,
        events: &mut Vec<SecurityEvent>,
        client_id: &str,
        retire_previous_now: bool,
        dry_run: bool,
    ) -> Result<u16, ApiError> {
        use crate::credential::{TAG_CLIENT_ID, TAG_PARTNER_CLIENT_ID};
        let managed = self
            .managed
            .list(self.secrets)
            .await
            .map_err(|e| ApiError::new(503, "secrets_unavailable", e.to_string()))?;
        let holding: Vec<_> = managed
            .iter()
            .filter(|m| {
                [TAG_CLIENT_ID, TAG_PARTNER_CLIENT_ID].iter().any(|t| {
                    m.tags
                        .get(*t)
                        .is_some_and(|c| c.eq_ignore_ascii_case(client_id))
                })
            })
            .collect();
        let Some(secret) = holding.first() else {
            return Err(ApiError::new(
                404,
                "managed_secret_not_found",
                "no managed secret holds this client (tag credguard:client-id)",
            ));
        };
        record.checks = json!({
            "managedSecret": secret.name,
            "otherSecretsHoldingClient": holding.iter().skip(1).map(|m| m.name.clone()).collect::<Vec<_>>(),
        });
        if dry_run {
            record.outcome = "dryRun".into();
            return Ok(200);
        }
        let req = RotateNowRequest {
            action: "rotateNow".into(),
            secret_id: secret.name.clone(),
            reason: Some(format!(
                "{} [revocation {}]",
                record.reason, record.revocation_id
            )),
            requested_by: Some(record.requested_by.arn.clone()),
            retire_previous_now,
            request_id: Some(record.revocation_id.clone()),
        };
        self.rotation
            .request_rotation(&req)
            .await
            .map_err(|e| match e {
                crate::ports::functions::TriggerError::NotConfigured => {
                    ApiError::new(501, "rotation_not_configured", e.to_string())
                }
                other => ApiError::new(502, "rotation_unavailable", other.to_string()),
            })?;
        record.outcome = "started".into();
        events.push(for_record(
            record,
            "Emergency Rotation Requested",
            Severity::High,
            json!({"clientId": client_id, "secretId": secret.name}),
        ));
        Ok(202)
    }
}

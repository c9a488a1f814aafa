//! The single-target actions: one user (identity checks first — the user exists, SCIM state,
//! roles — then `DELETE /api/v2/tokens/{userId}`; holders of a protected role only on the
//! break-glass route), a leaked token (`GET /api/v2/tokens/me` without resetting its idle timer,
//! then `DELETE /api/v2/tokens/me` with it; only its SHA-256 is kept), and OAuth clients
//! (disable — every token dies — or re-enable; the emergency rotation of the managed secret
//! holding one, handed to the rotation function, its outcome shown with the record).

use super::error::ApiError;
use super::events::for_record;
use super::service::{RevocationPorts, Revoker};
use crate::deadline::Deadline;
use crate::genesys::models::ClientState;
use crate::genesys::models::UserExpand;
use crate::ports::events::{SecurityEvent, Severity};
use crate::ports::functions::RotationTrigger;
use crate::ports::genesys::{
    ClientAdmin, ClientDirectory, TokenAdmin, TokenRevocation, UserDirectory,
};
use crate::records::iso;
use crate::records::revocation::RevocationRecord;
use crate::rotation::event::RotateNowRequest;
use serde_json::{json, Value};

/// What one user's revocation found and did (also one entry of a bulk result).
pub(super) struct UserOutcome {
    pub status: u16,
    pub outcome: &'static str,
    pub checks: Value,
    pub error: Option<ApiError>,
    pub correlation_id: Option<String>,
    pub protected_roles: Vec<String>,
}

/// What an action writes as it goes: the request's record, and the events to publish once the
/// record is stored.
pub(super) struct Work {
    pub record: RevocationRecord,
    pub events: Vec<SecurityEvent>,
}

impl<P: RevocationPorts> Revoker<'_, P> {
    /// Identity checks, then `DELETE /api/v2/tokens/{userId}`.
    pub(super) async fn check_and_revoke_user(
        &self,
        user_id: &str,
        dry_run: bool,
        break_glass: bool,
        d: &Deadline,
    ) -> UserOutcome {
        let failed = |e: ApiError, checks: Value| UserOutcome {
            status: e.status,
            outcome: if e.status == 404 {
                "notFound"
            } else {
                "failed"
            },
            checks,
            error: Some(e),
            correlation_id: None,
            protected_roles: vec![],
        };
        let expand = [
            UserExpand::Authorization,
            UserExpand::LastTokenIssued,
            UserExpand::DateLastLogin,
        ];
        let user = match self.genesys.get_user(user_id, &expand, d).await {
            Ok(u) => u,
            Err(e) => {
                return failed(
                    ApiError::from_genesys(&e, "user"),
                    json!({"userExists": e.is_not_found().then_some(false)}),
                )
            }
        };
        let scim = match self.genesys.get_scim_user(user_id, d).await {
            Ok(s) => json!(s.active),
            Err(e) if e.is_not_found() => Value::Null,
            Err(e) => json!({"unavailable": e.kind()}),
        };
        let roles: Vec<(String, String)> = user
            .authorization
            .as_ref()
            .map(|a| {
                a.roles
                    .iter()
                    .map(|r| (r.id.clone(), r.name.clone().unwrap_or_default()))
                    .collect()
            })
            .unwrap_or_default();
        let protected: Vec<String> = roles
            .iter()
            .filter(|(id, name)| {
                self.config
                    .protected_roles
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(id) || p.eq_ignore_ascii_case(name))
            })
            .map(|(id, name)| {
                if name.is_empty() {
                    id.clone()
                } else {
                    name.clone()
                }
            })
            .collect();
        let checks = json!({
            "userExists": true,
            "state": user.state,
            "scimActive": scim,
            "roles": roles.iter().map(|(id, name)| json!({"id": id, "name": name})).collect::<Vec<_>>(),
            "protectedRoles": protected,
            "lastTokenIssued": user.last_token_issued.and_then(|t| t.date_issued).map(iso),
            "dateLastLogin": user.date_last_login.map(iso),
        });
        if !protected.is_empty() && !break_glass {
            return UserOutcome {
                status: 403,
                outcome: "refused",
                checks,
                error: Some(ApiError::new(
                    403,
                    "break_glass_required",
                    format!("the user holds protected roles {protected:?}: only the break-glass route may revoke them (POST /v1/break-glass/users/{user_id}/revoke-tokens, a permission of its own)"),
                )),
                correlation_id: None,
                protected_roles: protected,
            };
        }
        if dry_run {
            return UserOutcome {
                status: 200,
                outcome: "dryRun",
                checks,
                error: None,
                correlation_id: None,
                protected_roles: protected,
            };
        }
        match self.genesys.revoke_user_tokens(user_id, d).await {
            Ok(receipt) => UserOutcome {
                status: 200,
                outcome: "completed",
                checks,
                error: None,
                correlation_id: receipt.correlation_id,
                protected_roles: protected,
            },
            Err(e) => UserOutcome {
                protected_roles: protected,
                ..failed(ApiError::from_genesys(&e, "user"), checks)
            },
        }
    }

    pub(super) fn user_events(
        &self,
        record: &RevocationRecord,
        user_id: &str,
        o: &UserOutcome,
        break_glass: bool,
    ) -> Vec<SecurityEvent> {
        let extra = json!({"userId": user_id, "protectedRoles": o.protected_roles});
        match o.outcome {
            // The break-glass route was used: always a HIGH event, protected roles or not.
            "completed" if break_glass => vec![
                for_record(record, "User Tokens Revoked", Severity::High, extra.clone()),
                for_record(record, "Break Glass Used", Severity::High, extra),
            ],
            "completed" => vec![for_record(
                record,
                "User Tokens Revoked",
                Severity::Medium,
                extra,
            )],
            "refused" => vec![for_record(
                record,
                "Revocation Refused",
                Severity::Medium,
                extra,
            )],
            _ => vec![],
        }
    }

    pub(super) async fn revoke_user(
        &self,
        work: &mut Work,
        user_id: &str,
        d: &Deadline,
    ) -> Result<u16, ApiError> {
        let Work { record, events } = work;
        let dry_run = record.dry_run;
        let break_glass = record.break_glass;
        let o = self
            .check_and_revoke_user(user_id, dry_run, break_glass, d)
            .await;
        record.checks = o.checks.clone();
        record.outcome = o.outcome.into();
        record.note_correlation(o.correlation_id.as_deref());
        events.extend(self.user_events(record, user_id, &o, break_glass));
        match o.error {
            Some(e) => Err(e),
            None => Ok(o.status),
        }
    }
    /// `DELETE /api/v2/tokens/me` sent with the leaked token; `GET` first says whose it is.
    pub(super) async fn revoke_token(
        &self,
        work: &mut Work,
        token: &crate::redact::SecretString,
        d: &Deadline,
    ) -> Result<u16, ApiError> {
        let Work { record, events } = work;
        let dry_run = record.dry_run;
        match self.genesys.token_info(token, d).await {
            Ok(info) => {
                let client = info.oauth_client.as_ref();
                record.checks = json!({
                    "tokenValid": true,
                    "clientId": client.and_then(|c| c.id.clone()),
                    "clientName": client.and_then(|c| c.name.clone()),
                    "grantType": client.and_then(|c| c.authorized_grant_type.as_ref().map(|g| g.to_string())),
                    "organizationId": info.organization.and_then(|o| o.id),
                });
            }
            Err(e) if e.status() == Some(401) => {
                record.checks = json!({"tokenValid": false});
                record.outcome = "alreadyDone".into();
                return Ok(200);
            }
            Err(e) => return Err(ApiError::from_genesys(&e, "token")),
        }
        if dry_run {
            record.outcome = "dryRun".into();
            return Ok(200);
        }
        let (result, receipt) = self
            .genesys
            .revoke_token(token, d)
            .await
            .map_err(|e| ApiError::from_genesys(&e, "token"))?;
        record.note_correlation(receipt.correlation_id.as_deref());
        record.outcome = match result {
            TokenRevocation::Revoked => "completed",
            TokenRevocation::AlreadyInvalid => "alreadyDone",
        }
        .into();
        events.push(for_record(
            record,
            "Access Token Revoked",
            Severity::Medium,
            json!({}),
        ));
        Ok(200)
    }
    /// Disable (kill switch: all of the client's tokens die) or re-enable a client.
    pub(super) async fn set_client_state(
        &self,
        work: &mut Work,
        client_id: &str,
        wanted: ClientState,
        d: &Deadline,
    ) -> Result<u16, ApiError> {
        let Work { record, events } = work;
        let dry_run = record.dry_run;
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
        work: &mut Work,
        client_id: &str,
        retire_previous_now: bool,
    ) -> Result<u16, ApiError> {
        let Work { record, events } = work;
        let dry_run = record.dry_run;
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

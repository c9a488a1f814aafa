//! One user: identity checks first (the user exists, SCIM state, roles), then `DELETE
//! /api/v2/tokens/{userId}`. Holders of a protected role are revoked only on the break-glass
//! route.

use super::error::ApiError;
use super::events::for_record;
use super::service::{RevocationGenesys, Revoker};
use crate::deadline::Deadline;
use crate::genesys::models::UserExpand;
use crate::ports::events::{EventPublisher, SecurityEvent, Severity};
use crate::ports::functions::{BackgroundJobs, RotationTrigger};
use crate::ports::records::RecordStore;
use crate::ports::secrets::SecretStore;
use crate::records::iso;
use crate::records::revocation::RevocationRecord;
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

impl<G, R, E, S, T, J> Revoker<'_, G, R, E, S, T, J>
where
    G: RevocationGenesys,
    R: RecordStore,
    E: EventPublisher,
    S: SecretStore,
    T: RotationTrigger,
    J: BackgroundJobs,
{
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
        record: &mut RevocationRecord,
        events: &mut Vec<SecurityEvent>,
        user_id: &str,
        dry_run: bool,
        d: &Deadline,
    ) -> Result<u16, ApiError> {
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
}

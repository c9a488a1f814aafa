//! The revocation use cases. Identity checks come first; every action records who asked, what
//! was checked and what happened; an `Idempotency-Key` replay returns the first response and
//! calls Genesys no more.
//!
//! Levers (API-FACTS §4 — there is no generic "revoke token" endpoint): `DELETE
//! /api/v2/tokens/{userId}`, `DELETE /api/v2/tokens/me` sent with the leaked token, the client's
//! `state: disabled`, and regenerating the secret (through the rotation function).

use super::config::RevocationConfig;
use super::error::ApiError;
use super::events::for_record;
use super::request::{parse, BreakGlass, Command, ParsedRequest, RawRequest};
use crate::deadline::Deadline;
use crate::genesys::models::{ClientState, UserExpand};
use crate::ports::events::{EventPublisher, SecurityEvent, Severity};
use crate::ports::functions::RotationTrigger;
use crate::ports::genesys::{ClientAdmin, TokenAdmin, TokenRevocation, UserDirectory};
use crate::ports::records::RecordStore;
use crate::ports::secrets::SecretStore;
use crate::records::idempotency::{Begin, IdempotencyKeys};
use crate::records::iso;
use crate::records::revocation::{NewRevocation, RevocationRecord, RevocationRecords};
use crate::redact::fingerprint;
use crate::rotation::config::ManagedSelection;
use crate::rotation::event::RotateNowRequest;
use chrono::Utc;
use futures::StreamExt;
use serde_json::{json, Value};

/// Everything revocation needs from Genesys.
pub trait RevocationGenesys: UserDirectory + TokenAdmin + ClientAdmin {}
impl<T: UserDirectory + TokenAdmin + ClientAdmin> RevocationGenesys for T {}

/// An HTTP answer, before the Lambda adapter turns it into a response.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiResponse {
    pub status: u16,
    pub body: Value,
    pub retry_after: Option<u64>,
    /// True when this is the stored answer of an earlier request with the same key.
    pub replayed: bool,
}

impl ApiResponse {
    fn ok(status: u16, body: Value) -> Self {
        Self {
            status,
            body,
            retry_after: None,
            replayed: false,
        }
    }

    fn error(e: &ApiError) -> Self {
        Self {
            status: e.status,
            body: e.body(),
            retry_after: e.retry_after,
            replayed: false,
        }
    }
}

pub struct Revoker<'a, G, R, E, S, T> {
    pub genesys: &'a G,
    pub records: &'a R,
    pub events: &'a E,
    pub secrets: &'a S,
    pub rotation: &'a T,
    pub config: &'a RevocationConfig,
    /// The admin client this function acts as: it refuses to disable itself.
    pub self_client_id: Option<&'a str>,
    /// Which secrets are managed (the rotation sweep's selection).
    pub managed: &'a ManagedSelection,
}

/// The record as the API shows it: without the table's key attributes.
pub fn record_view(r: &RevocationRecord) -> Value {
    let mut v = serde_json::to_value(r).expect("record serializes");
    if let Some(o) = v.as_object_mut() {
        for k in ["pk", "sk", "gsi1pk", "gsi1sk", "recordType", "expiresAt"] {
            o.remove(k);
        }
    }
    v
}

/// What one user's revocation found and did (also one entry of a bulk result).
struct UserOutcome {
    status: u16,
    outcome: &'static str,
    checks: Value,
    error: Option<ApiError>,
    correlation_id: Option<String>,
    protected_roles: Vec<String>,
}

impl<G, R, E, S, T> Revoker<'_, G, R, E, S, T>
where
    G: RevocationGenesys,
    R: RecordStore,
    E: EventPublisher,
    S: SecretStore,
    T: RotationTrigger,
{
    /// Parses, routes and answers one API request. Never panics; every failure is a JSON error.
    pub async fn handle(&self, raw: &RawRequest<'_>, d: &Deadline) -> ApiResponse {
        let parsed = match parse(raw, self.config.local_caller.as_deref()) {
            Ok(p) => p,
            Err(e) => return ApiResponse::error(&e),
        };
        if let Command::GetRevocation { id } = &parsed.command {
            return match RevocationRecords::new(self.records).get(id).await {
                Ok(Some(r)) => match self.rotation_outcome(&r).await {
                    Ok(rotation) => {
                        let mut view = record_view(&r);
                        if let Some(rotation) = rotation {
                            view["rotation"] = rotation;
                        }
                        ApiResponse::ok(200, view)
                    }
                    Err(e) => ApiResponse::error(&ApiError::from_store(&e)),
                },
                Ok(None) => ApiResponse::error(&ApiError::new(
                    404,
                    "revocation_not_found",
                    "no revocation with this id",
                )),
                Err(e) => ApiResponse::error(&ApiError::from_store(&e)),
            };
        }
        let Some(key) = parsed.idempotency_key.clone() else {
            return ApiResponse::error(&ApiError::new(
                400,
                "idempotency_key_required",
                "missing Idempotency-Key",
            ));
        };
        let keys = IdempotencyKeys::new(self.records, self.config.idempotency_ttl);
        let caller = parsed.caller.arn.clone();
        match keys
            .begin(&caller, &key, &parsed.request_hash, Utc::now())
            .await
        {
            Ok(Begin::Fresh) => {}
            Ok(Begin::Replay { status, body }) => {
                return ApiResponse {
                    replayed: true,
                    ..ApiResponse::ok(status, body)
                }
            }
            Ok(Begin::Mismatch) => {
                return ApiResponse::error(&ApiError::new(
                    422,
                    "idempotency_key_reused",
                    "this Idempotency-Key was used with a different request",
                ))
            }
            Ok(Begin::InProgress) => {
                return ApiResponse::error(&ApiError::new(
                    409,
                    "request_in_progress",
                    "a request with this Idempotency-Key is still being processed; retry shortly",
                ))
            }
            Err(e) => return ApiResponse::error(&ApiError::from_store(&e)),
        }
        let hash = parsed.request_hash.clone();
        let response = self.execute(parsed, &key, d).await;
        // Final answers are kept for replays; a 5xx gives the key back so a retry can work.
        let stored = if response.status >= 500 {
            keys.release(&caller, &key).await
        } else {
            keys.complete(
                &caller,
                &key,
                &hash,
                response.status,
                &response.body,
                Utc::now(),
            )
            .await
        };
        if let Err(e) = stored {
            tracing::error!(error = %e, "could not store the idempotency outcome");
        }
        response
    }

    async fn execute(&self, p: ParsedRequest, key: &str, d: &Deadline) -> ApiResponse {
        let id = uuid::Uuid::new_v4().to_string();
        let (target, reason, dry_run, break_glass) = match &p.command {
            Command::RevokeUser { user_id, body } => (
                json!({"userId": user_id}),
                &body.reason,
                body.dry_run,
                body.break_glass.as_ref(),
            ),
            Command::RevokeUsers { user_ids, body } => (
                json!({"userIds": user_ids}),
                &body.reason,
                body.dry_run,
                body.break_glass.as_ref(),
            ),
            Command::RevokeToken { body } => (
                json!({"tokenSha256": fingerprint(&body.access_token)}),
                &body.reason,
                body.dry_run,
                None,
            ),
            Command::DisableClient { client_id, body }
            | Command::EnableClient { client_id, body } => (
                json!({"clientId": client_id}),
                &body.reason,
                body.dry_run,
                None,
            ),
            Command::RotateClient { client_id, body } => (
                json!({"clientId": client_id}),
                &body.reason,
                body.dry_run,
                None,
            ),
            Command::GetRevocation { .. } => unreachable!("reads are answered before"),
        };
        let mut record = RevocationRecord::new(
            NewRevocation {
                id: &id,
                action: p.command.action(),
                target,
                requested_by: p.caller.clone(),
                reason,
                dry_run,
                break_glass_reason: break_glass.map(|b| b.reason.as_str()),
                idempotency_key: Some(key),
            },
            Utc::now(),
            self.config.retention_days,
        );
        let repo = RevocationRecords::new(self.records);
        if let Err(e) = repo.start(&record).await {
            return ApiResponse::error(&ApiError::from_store(&e));
        }
        let mut events = Vec::new();
        let result = match &p.command {
            Command::RevokeUser { user_id, body } => {
                self.revoke_user(
                    &mut record,
                    &mut events,
                    user_id,
                    body.dry_run,
                    body.break_glass.as_ref(),
                    d,
                )
                .await
            }
            Command::RevokeUsers { user_ids, body } => {
                self.revoke_users(
                    &mut record,
                    &mut events,
                    user_ids,
                    body.dry_run,
                    body.break_glass.as_ref(),
                    d,
                )
                .await
            }
            Command::RevokeToken { body } => {
                self.revoke_token(
                    &mut record,
                    &mut events,
                    &body.access_token,
                    body.dry_run,
                    d,
                )
                .await
            }
            Command::DisableClient { client_id, body } => {
                self.set_client_state(
                    &mut record,
                    &mut events,
                    client_id,
                    ClientState::Disabled,
                    body.dry_run,
                    d,
                )
                .await
            }
            Command::EnableClient { client_id, body } => {
                self.set_client_state(
                    &mut record,
                    &mut events,
                    client_id,
                    ClientState::Active,
                    body.dry_run,
                    d,
                )
                .await
            }
            Command::RotateClient { client_id, body } => {
                self.emergency_rotation(
                    &mut record,
                    &mut events,
                    client_id,
                    body.retire_previous_now,
                    body.dry_run,
                )
                .await
            }
            Command::GetRevocation { .. } => unreachable!("reads are answered before"),
        };
        let response = match result {
            Ok(status) => {
                record.status = status;
                ApiResponse::ok(status, Value::Null)
            }
            Err(e) => {
                record.status = e.status;
                if record.outcome == "inProgress" {
                    record.outcome = if e.status == 404 {
                        "notFound"
                    } else if e.status < 500 {
                        "refused"
                    } else {
                        "failed"
                    }
                    .into();
                }
                record.error_code = Some(e.code.into());
                record.error_message = Some(e.message.clone());
                ApiResponse::error(&e)
            }
        };
        record.completed_at = Some(iso(Utc::now()));
        if let Err(e) = repo.finish(&record).await {
            tracing::error!(revocation = %id, error = %e, "could not record the outcome");
        }
        if !events.is_empty() {
            if let Err(e) = self.events.publish(events).await {
                tracing::error!(error = %e, "could not publish security events");
            }
        }
        let failed = if record.status >= 500 { 1.0 } else { 0.0 };
        crate::metrics::emit(
            "revocation",
            &[
                ("RevocationActions", 1.0),
                ("RevocationFailures", failed),
                ("BreakGlassUsed", f64::from(u8::from(record.break_glass))),
            ],
            &[],
        );
        tracing::info!(
            revocation = %id,
            action = record.action,
            outcome = %record.outcome,
            status = record.status,
            caller = %record.requested_by.arn,
            "revocation request handled"
        );
        if response.status < 400 {
            ApiResponse::ok(response.status, record_view(&record))
        } else {
            let mut body = response.body;
            body["revocationId"] = json!(id);
            ApiResponse { body, ..response }
        }
    }

    /// Identity checks, then `DELETE /api/v2/tokens/{userId}`.
    async fn check_and_revoke_user(
        &self,
        user_id: &str,
        dry_run: bool,
        break_glass: Option<&BreakGlass>,
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
        if !protected.is_empty() && break_glass.is_none() {
            return UserOutcome {
                status: 403,
                outcome: "refused",
                checks,
                error: Some(ApiError::new(
                    403,
                    "break_glass_required",
                    format!("the user holds protected roles {protected:?}; send breakGlass with a reason to proceed"),
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

    fn user_events(
        &self,
        record: &RevocationRecord,
        user_id: &str,
        o: &UserOutcome,
        break_glass: bool,
    ) -> Vec<SecurityEvent> {
        let extra = json!({"userId": user_id, "protectedRoles": o.protected_roles});
        match o.outcome {
            "completed" if break_glass && !o.protected_roles.is_empty() => vec![
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

    async fn revoke_user(
        &self,
        record: &mut RevocationRecord,
        events: &mut Vec<SecurityEvent>,
        user_id: &str,
        dry_run: bool,
        break_glass: Option<&BreakGlass>,
        d: &Deadline,
    ) -> Result<u16, ApiError> {
        let o = self
            .check_and_revoke_user(user_id, dry_run, break_glass, d)
            .await;
        record.checks = o.checks.clone();
        record.outcome = o.outcome.into();
        record.note_correlation(o.correlation_id.as_deref());
        events.extend(self.user_events(record, user_id, &o, break_glass.is_some()));
        match o.error {
            Some(e) => Err(e),
            None => Ok(o.status),
        }
    }

    /// Bulk: the same checks per user, a few at a time; the client's shared pacer keeps the
    /// whole batch under the Genesys rate limit. One result per user.
    async fn revoke_users(
        &self,
        record: &mut RevocationRecord,
        events: &mut Vec<SecurityEvent>,
        user_ids: &[String],
        dry_run: bool,
        break_glass: Option<&BreakGlass>,
        d: &Deadline,
    ) -> Result<u16, ApiError> {
        if user_ids.len() > self.config.bulk_max_users {
            return Err(ApiError::new(
                400,
                "too_many_users",
                format!("at most {} users per request", self.config.bulk_max_users),
            ));
        }
        let outcomes: Vec<(String, UserOutcome)> = futures::stream::iter(user_ids.iter().cloned())
            .map(|id| async move {
                // Stop starting users when the budget is nearly spent: they are reported as
                // deferred (to resubmit), never half-done.
                if d.cannot_afford(std::time::Duration::from_secs(3), std::time::Duration::ZERO) {
                    let deferred = UserOutcome {
                        status: 503,
                        outcome: "deferred",
                        checks: Value::Null,
                        error: Some(ApiError::new(
                            503,
                            "time_budget_exhausted",
                            "not attempted: resubmit this user",
                        )),
                        correlation_id: None,
                        protected_roles: vec![],
                    };
                    return (id, deferred);
                }
                let o = self
                    .check_and_revoke_user(&id, dry_run, break_glass, d)
                    .await;
                (id, o)
            })
            .buffered(self.config.bulk_concurrency)
            .collect()
            .await;
        let mut counts = std::collections::BTreeMap::<&str, usize>::new();
        for (id, o) in &outcomes {
            *counts.entry(o.outcome).or_default() += 1;
            record.note_correlation(o.correlation_id.as_deref());
            record.results.push(json!({
                "userId": id, "outcome": o.outcome, "status": o.status, "checks": o.checks,
                "error": o.error.as_ref().map(|e| json!({"code": e.code, "message": e.message})),
            }));
        }
        for (id, o) in &outcomes {
            events.extend(self.user_events(record, id, o, break_glass.is_some()));
        }
        let all = |x: &str| counts.get(x).copied().unwrap_or(0) == outcomes.len();
        record.outcome = if all("completed") {
            "completed"
        } else if all("dryRun") {
            "dryRun"
        } else {
            "partial"
        }
        .into();
        record.checks = json!({ "counts": counts });
        Ok(200)
    }

    /// `DELETE /api/v2/tokens/me` sent with the leaked token; `GET` first says whose it is.
    async fn revoke_token(
        &self,
        record: &mut RevocationRecord,
        events: &mut Vec<SecurityEvent>,
        token: &crate::redact::SecretString,
        dry_run: bool,
        d: &Deadline,
    ) -> Result<u16, ApiError> {
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
    async fn set_client_state(
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
    async fn rotation_outcome(
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
    async fn emergency_rotation(
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

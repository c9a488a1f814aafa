//! The revocation API's requests: parse and route, answer reads, and run each action once per
//! `Idempotency-Key` with a record of who asked, what was checked and what happened.
//!
//! Levers (API-FACTS §4 — there is no generic "revoke token" endpoint): `DELETE
//! /api/v2/tokens/{userId}`, `DELETE /api/v2/tokens/me` sent with the leaked token, the client's
//! `state: disabled` and regenerating the secret through the rotation function
//! ([`actions`](super::actions)); many users at once in the background ([`bulk`](super::bulk)).

use super::actions::Work;
use super::command::{Command, ParsedRequest};
use super::config::RevocationConfig;
use super::error::ApiError;
use super::request::{parse, Limits, RawRequest};
use crate::deadline::Deadline;
use crate::genesys::models::ClientState;
use crate::ports::events::{EventPublisher, SecurityEvent};
use crate::ports::functions::{BackgroundJobs, RotationTrigger};
use crate::ports::genesys::{ClientAdmin, TokenAdmin, UserDirectory};
use crate::ports::records::RecordStore;
use crate::ports::secrets::SecretStore;
use crate::records::idempotency::{Begin, IdempotencyKeys};
use crate::records::iso;
use crate::records::revocation::{NewRevocation, RevocationRecord, RevocationRecords};
use crate::rotation::config::ManagedSelection;
use chrono::Utc;
use serde_json::{json, Value};

/// Everything revocation needs from Genesys.
pub trait RevocationGenesys: UserDirectory + TokenAdmin + ClientAdmin {}
impl<T: UserDirectory + TokenAdmin + ClientAdmin> RevocationGenesys for T {}

/// The six ports revocation works through, bound once: `Revoker`'s impl blocks (here, in
/// `actions.rs` and `bulk.rs`) take `P: RevocationPorts` rather than repeating six bounds.
/// Implemented for the tuple of the adapters' types.
pub trait RevocationPorts {
    type Genesys: RevocationGenesys;
    type Records: RecordStore;
    type Events: EventPublisher;
    type Secrets: SecretStore;
    type Rotation: RotationTrigger;
    type Jobs: BackgroundJobs;
}

impl<G, R, E, S, T, J> RevocationPorts for (G, R, E, S, T, J)
where
    G: RevocationGenesys,
    R: RecordStore,
    E: EventPublisher,
    S: SecretStore,
    T: RotationTrigger,
    J: BackgroundJobs,
{
    type Genesys = G;
    type Records = R;
    type Events = E;
    type Secrets = S;
    type Rotation = T;
    type Jobs = J;
}

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
    pub(super) fn ok(status: u16, body: Value) -> Self {
        Self {
            status,
            body,
            retry_after: None,
            replayed: false,
        }
    }

    pub(super) fn error(e: &ApiError) -> Self {
        Self {
            status: e.status,
            body: e.body(),
            retry_after: e.retry_after,
            replayed: false,
        }
    }
}

pub struct Revoker<'a, P: RevocationPorts> {
    pub genesys: &'a P::Genesys,
    pub records: &'a P::Records,
    pub events: &'a P::Events,
    pub secrets: &'a P::Secrets,
    pub rotation: &'a P::Rotation,
    /// Runs bulk revocations in the background.
    pub jobs: &'a P::Jobs,
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

/// The scope of an `Idempotency-Key`: the account and role, not the session. An assumed role's
/// ARN names the session (`…:assumed-role/Responder/alice-sso-1234`); a retry from a new SSO
/// or automation session of the same role is the same caller. The full principal stays in the
/// record.
pub fn idempotency_scope(caller_arn: &str) -> String {
    match caller_arn.split_once(":assumed-role/") {
        Some((account, rest)) => {
            let role = rest.split('/').next().unwrap_or(rest);
            format!("{account}:assumed-role/{role}")
        }
        None => caller_arn.to_owned(),
    }
}

impl<P: RevocationPorts> Revoker<'_, P> {
    /// Parses, routes and answers one API request. Never panics; every failure is a JSON error.
    pub async fn handle(&self, raw: &RawRequest<'_>, d: &Deadline) -> ApiResponse {
        let limits = Limits {
            local_caller: self.config.local_caller.as_deref(),
            bulk_max_users: self.config.bulk_max_users,
        };
        let parsed = match parse(raw, limits) {
            Ok(p) => p,
            Err(e) => return ApiResponse::error(&e),
        };
        let route = parsed.route;
        let response = self.answer(parsed, d).await;
        debug_assert!(
            route.answers(response.status),
            "{} {} answered {}, which its route does not declare",
            route.method,
            route.path,
            response.status
        );
        response
    }

    async fn answer(&self, parsed: ParsedRequest, d: &Deadline) -> ApiResponse {
        match &parsed.command {
            Command::GetRevocation { id } => return self.read(id).await,
            Command::GetRevocationUsers { id, after, limit } => {
                return self.read_users(id, after.as_deref(), *limit).await
            }
            _ => {}
        }
        let Some(key) = parsed.idempotency_key.clone() else {
            return ApiResponse::error(&ApiError::new(
                400,
                "idempotency_key_required",
                "missing Idempotency-Key",
            ));
        };
        let keys = IdempotencyKeys::new(self.records, self.config.idempotency_ttl);
        let scope = idempotency_scope(&parsed.caller.arn);
        match keys
            .begin(&scope, &key, &parsed.request_hash, Utc::now())
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
            keys.release(&scope, &key).await
        } else {
            keys.complete(
                &scope,
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

    async fn read(&self, id: &str) -> ApiResponse {
        let repo = RevocationRecords::new(self.records);
        let record = match repo.get(id).await {
            Ok(Some(r)) => r,
            Ok(None) => {
                return ApiResponse::error(&ApiError::new(
                    404,
                    "revocation_not_found",
                    "no revocation with this id",
                ))
            }
            Err(e) => return ApiResponse::error(&ApiError::from_store(&e)),
        };
        let mut view = record_view(&record);
        let extra = match record.action.as_str() {
            "emergencyRotation" => self
                .rotation_outcome(&record)
                .await
                .map(|r| r.map(|r| ("rotation", r))),
            "revokeUserTokensBulk" if record.results.is_empty() => self
                .bulk_progress(&record)
                .await
                .map(|p| Some(("progress", p))),
            _ => Ok(None),
        };
        match extra {
            Ok(Some((field, value))) => view[field] = value,
            Ok(None) => {}
            Err(e) => return ApiResponse::error(&ApiError::from_store(&e)),
        }
        ApiResponse::ok(200, view)
    }

    async fn execute(&self, p: ParsedRequest, key: &str, d: &Deadline) -> ApiResponse {
        let id = uuid::Uuid::new_v4().to_string();
        let Some(recorded) = p.command.recorded_as() else {
            unreachable!("reads are answered before")
        };
        let record = RevocationRecord::new(
            NewRevocation {
                id: &id,
                action: p.route.action,
                target: recorded.target,
                requested_by: p.caller.clone(),
                reason: recorded.reason,
                dry_run: recorded.dry_run,
                // On the break-glass route the reason is the justification, always recorded.
                break_glass_reason: recorded.break_glass.then_some(recorded.reason),
                idempotency_key: Some(key),
            },
            Utc::now(),
            self.config.retention_days,
        );
        let repo = RevocationRecords::new(self.records);
        if let Err(e) = repo.start(&record).await {
            return ApiResponse::error(&ApiError::from_store(&e));
        }
        let mut work = Work {
            record,
            events: Vec::new(),
        };
        // The record carries what the request asked for (dry run, break glass).
        let w = &mut work;
        let result = match &p.command {
            Command::RevokeUser { user_id, .. } => self.revoke_user(w, user_id, d).await,
            Command::RevokeUsers { user_ids, .. } => self.revoke_users(w, user_ids, d).await,
            Command::RevokeToken { body } => self.revoke_token(w, &body.access_token, d).await,
            Command::DisableClient { client_id, .. } => {
                self.set_client_state(w, client_id, ClientState::Disabled, d)
                    .await
            }
            Command::EnableClient { client_id, .. } => {
                self.set_client_state(w, client_id, ClientState::Active, d)
                    .await
            }
            Command::RotateClient { client_id, body } => {
                self.emergency_rotation(w, client_id, body.retire_previous_now)
                    .await
            }
            Command::GetRevocation { .. } | Command::GetRevocationUsers { .. } => {
                unreachable!("reads are answered before")
            }
        };
        let Work { mut record, events } = work;
        let response = match result {
            Ok(status) => {
                record.status = status;
                ApiResponse::ok(status, Value::Null)
            }
            Err(e) => {
                record.status = e.status;
                // "accepted" here: stored, but the hand-over to the worker failed.
                if matches!(record.outcome.as_str(), "inProgress" | "accepted") {
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
        // A job accepted for the background was stored when it was handed over; from then on
        // its record is the worker's (writing it here could undo the worker's progress).
        if record.outcome != "accepted" {
            record.completed_at = Some(iso(Utc::now()));
            if let Err(e) = repo.finish(&record).await {
                tracing::error!(revocation = %id, error = %e, "could not record the outcome");
            }
        }
        self.publish(events).await;
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

    /// Events are best effort: a bus outage must not fail an action that was done.
    pub(super) async fn publish(&self, events: Vec<SecurityEvent>) {
        if events.is_empty() {
            return;
        }
        if let Err(e) = self.events.publish(events).await {
            tracing::error!(error = %e, "could not publish security events");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_belong_to_the_role_not_the_session() {
        let a = "arn:aws:sts::123456789012:assumed-role/Responder/alice-sso-1";
        let b = "arn:aws:sts::123456789012:assumed-role/Responder/automation-42";
        assert_eq!(idempotency_scope(a), idempotency_scope(b));
        assert_eq!(
            idempotency_scope(a),
            "arn:aws:sts::123456789012:assumed-role/Responder"
        );
        let other_role = "arn:aws:sts::123456789012:assumed-role/Security/alice-sso-1";
        assert_ne!(idempotency_scope(a), idempotency_scope(other_role));
        let other_account = "arn:aws:sts::999999999999:assumed-role/Responder/alice-sso-1";
        assert_ne!(idempotency_scope(a), idempotency_scope(other_account));
        let user = "arn:aws:iam::123456789012:user/alice";
        assert_eq!(idempotency_scope(user), user);
    }
}

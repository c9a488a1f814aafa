//! Many users at once. A user costs three Genesys requests, so under the default 300 requests
//! a minute a 500-user incident takes about five minutes: longer than an API request may.
//!
//! - Up to `BULK_SYNC_MAX_USERS` users are done within the request (`mode: synchronous`);
//!   users the time budget does not reach, or that Genesys holds back, are `deferred`.
//! - Larger batches are accepted (`202`, `mode: background`) and done by the function itself,
//!   invoked asynchronously with the revocation id ([`BackgroundJobs`]): no queue or state
//!   machine to deploy, Lambda's asynchronous retries (and the failure queue) cover a crash,
//!   and each invocation continues the job from the per-user items it finds, so a crash loses
//!   nothing and no user is revoked twice. One invocation works on a job at a time (a lease);
//!   one that runs out of time hands the rest to a fresh invocation.
//! - Every user's outcome is its own item (`GET /v1/revocations/{id}/users`, paged); the job
//!   record shows progress; the end raises one `Bulk Revocation Completed` event with counts.

use super::actions::UserOutcome;
use super::actions::Work;
use super::error::ApiError;
use super::events::for_record;
use super::request::MAX_PAGE;
use super::service::{ApiResponse, RevocationPorts, Revoker};
use crate::deadline::Deadline;
use crate::ports::events::Severity;
use crate::ports::functions::BackgroundJobs;
use crate::ports::records::StoreError;
use crate::records::iso;
use crate::records::lease::Leases;
use crate::records::revocation::{RevocationRecord, RevocationRecords, UserResult};
use chrono::Utc;
use futures::StreamExt;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// Tries per user when Genesys is rate limiting or unavailable, across invocations.
const MAX_ATTEMPTS: u32 = 3;
/// A user is not started with less time than this left.
const PER_USER: Duration = Duration::from_secs(3);

/// Whether a user's failure is worth another try later (Genesys said "not now").
fn transient(o: &UserOutcome) -> bool {
    matches!(o.status, 503 | 504)
}

/// What a job's users came to, by outcome.
fn counts<'a>(outcomes: impl Iterator<Item = &'a str>) -> BTreeMap<String, usize> {
    let mut c = BTreeMap::new();
    for o in outcomes {
        *c.entry(o.to_owned()).or_default() += 1;
    }
    c
}

fn overall(counts: &BTreeMap<String, usize>, total: usize) -> &'static str {
    let all = |x: &str| counts.get(x).copied().unwrap_or(0) == total;
    if all("completed") {
        "completed"
    } else if all("dryRun") {
        "dryRun"
    } else {
        "partial"
    }
}

fn user_ids(record: &RevocationRecord) -> Vec<String> {
    record.target["userIds"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

impl<P: RevocationPorts> Revoker<'_, P> {
    /// `POST /v1/users/revoke-tokens`: within the request when small, else in the background.
    pub(super) async fn revoke_users(
        &self,
        work: &mut Work,
        user_ids: &[String],
        d: &Deadline,
    ) -> Result<u16, ApiError> {
        let Work { record, events } = work;
        if user_ids.len() > self.config.bulk_sync_max_users {
            return self.accept(record).await;
        }
        let (dry_run, break_glass) = (record.dry_run, record.break_glass);
        let outcomes: Vec<(String, UserOutcome)> = futures::stream::iter(user_ids.iter().cloned())
            .map(|id| async move {
                // Not started when the budget is nearly spent: deferred (to resubmit), never
                // half-done.
                if d.cannot_afford(PER_USER, Duration::ZERO) {
                    return (id, deferred("not attempted: the request's time ran out"));
                }
                let o = self
                    .check_and_revoke_user(&id, dry_run, break_glass, d)
                    .await;
                if transient(&o) {
                    return (id, deferred("Genesys asked us to wait: resubmit this user"));
                }
                (id, o)
            })
            .buffered(self.config.bulk_concurrency)
            .collect()
            .await;
        for (id, o) in &outcomes {
            record.note_correlation(o.correlation_id.as_deref());
            record.results.push(json!({
                "userId": id, "outcome": o.outcome, "status": o.status, "checks": o.checks,
                "error": o.error.as_ref().map(|e| json!({"code": e.code, "message": e.message})),
            }));
            events.extend(self.user_events(record, id, o, break_glass));
        }
        let counts = counts(outcomes.iter().map(|(_, o)| o.outcome));
        record.outcome = overall(&counts, outcomes.len()).into();
        record.checks = json!({ "counts": counts, "mode": "synchronous" });
        Ok(200)
    }

    /// Hands a large batch to the background; the caller follows it by id. The record is
    /// written here, complete, and from the hand-over on only the worker writes it: the worker
    /// may start (and even finish) before this request ends.
    async fn accept(&self, record: &mut RevocationRecord) -> Result<u16, ApiError> {
        record.outcome = "accepted".into();
        record.status = 202;
        record.checks = json!({"mode": "background", "total": user_ids(record).len()});
        // Stored before the worker can look for it.
        RevocationRecords::new(self.records)
            .finish(record)
            .await
            .map_err(|e| ApiError::from_store(&e))?;
        self.jobs
            .continue_bulk(&record.revocation_id)
            .await
            .map_err(|e| ApiError::new(502, "worker_unavailable", e.to_string()))?;
        Ok(202)
    }

    /// The worker: continues bulk revocation `id` until it is done or this invocation's time
    /// runs out, then hands the rest to a fresh invocation. Safe to run again at any point.
    pub async fn continue_bulk(&self, id: &str, d: &Deadline) -> Result<Value, ApiError> {
        let repo = RevocationRecords::new(self.records);
        let store = |e: StoreError| ApiError::from_store(&e);
        let mut record = repo.get(id).await.map_err(store)?.ok_or_else(|| {
            ApiError::new(404, "revocation_not_found", "no revocation with this id")
        })?;
        if record.completed_at.is_some() {
            return Ok(json!({"revocationId": id, "outcome": record.outcome}));
        }
        // One invocation at a time; a crashed one's claim ends with its invocation.
        let leases = Leases::new(self.records);
        let owner = format!("bulk/{}", uuid::Uuid::new_v4());
        let lease = format!("bulk:{id}");
        let ttl = d.until_end() + Duration::from_secs(2);
        if !leases
            .acquire(&lease, &owner, ttl, Utc::now())
            .await
            .map_err(store)?
        {
            return Ok(json!({"revocationId": id, "outcome": "busy"}));
        }
        let result = self.work_on(&mut record, d).await;
        if let Err(e) = leases.release(&lease, &owner).await {
            tracing::warn!(revocation = id, error = %e, "could not release the job's lease");
        }
        let remaining = result?;
        if remaining > 0 {
            self.jobs
                .continue_bulk(id)
                .await
                .map_err(|e| ApiError::new(502, "worker_unavailable", e.to_string()))?;
        }
        Ok(json!({"revocationId": id, "outcome": record.outcome, "remaining": remaining}))
    }

    /// Revokes the users not done yet, each one's outcome stored as it ends. Returns how many
    /// are left for the next invocation.
    async fn work_on(
        &self,
        record: &mut RevocationRecord,
        d: &Deadline,
    ) -> Result<usize, ApiError> {
        let repo = RevocationRecords::new(self.records);
        let store = |e: StoreError| ApiError::from_store(&e);
        let id = record.revocation_id.clone();
        let done: BTreeMap<String, UserResult> = repo
            .all_users(&id)
            .await
            .map_err(store)?
            .into_iter()
            .map(|u| (u.user_id.clone(), u))
            .collect();
        let todo: Vec<String> = user_ids(record)
            .into_iter()
            .filter(|u| !done.get(u).is_some_and(UserResult::is_final))
            .collect();
        if record.outcome == "accepted" {
            record.outcome = "inProgress".into();
            repo.finish(record).await.map_err(store)?;
        }
        let (dry_run, break_glass) = (record.dry_run, record.break_glass);
        let (job, id, repo) = (&*record, &id, &repo);
        let ended: Vec<Result<Option<UserResult>, StoreError>> =
            futures::stream::iter(todo.iter().cloned())
                .map(|user| {
                    let earlier = done.get(&user).cloned();
                    async move {
                        if d.cannot_afford(PER_USER, Duration::ZERO) {
                            return Ok(None);
                        }
                        let o = self
                            .check_and_revoke_user(&user, dry_run, break_glass, d)
                            .await;
                        let mut r = earlier.unwrap_or_else(|| {
                            UserResult::new(id, &user, Utc::now(), self.config.retention_days)
                        });
                        r.attempts += 1;
                        r.at = iso(Utc::now());
                        r.status = o.status;
                        r.checks = o.checks.clone();
                        r.correlation_id = o.correlation_id.clone();
                        r.error = o
                            .error
                            .as_ref()
                            .map(|e| json!({"code": e.code, "message": e.message}));
                        r.outcome = if transient(&o) && r.attempts < MAX_ATTEMPTS {
                            "retrying".into()
                        } else {
                            o.outcome.into()
                        };
                        repo.put_user(&r).await?;
                        // Break glass is told user by user; the rest once, with counts.
                        if break_glass && o.outcome == "completed" {
                            self.publish(self.user_events(job, &user, &o, true)).await;
                        }
                        Ok(Some(r))
                    }
                })
                .buffered(self.config.bulk_concurrency)
                .collect()
                .await;
        let mut finished = 0;
        for r in ended {
            if r.map_err(store)?.is_some_and(|u| u.is_final()) {
                finished += 1;
            }
        }
        let remaining = todo.len() - finished;
        if remaining == 0 {
            self.complete(record).await?;
        }
        Ok(remaining)
    }

    /// The job is done: counts on the record, one event.
    async fn complete(&self, record: &mut RevocationRecord) -> Result<(), ApiError> {
        let repo = RevocationRecords::new(self.records);
        let users = repo
            .all_users(&record.revocation_id)
            .await
            .map_err(|e| ApiError::from_store(&e))?;
        let counts = counts(users.iter().map(|u| u.outcome.as_str()));
        record.outcome = overall(&counts, users.len()).into();
        record.status = 200;
        record.checks = json!({"mode": "background", "total": users.len(), "counts": counts});
        record.completed_at = Some(iso(Utc::now()));
        repo.finish(record)
            .await
            .map_err(|e| ApiError::from_store(&e))?;
        let severity = if record.outcome == "completed" || record.outcome == "dryRun" {
            Severity::Medium
        } else {
            Severity::High
        };
        self.publish(vec![for_record(
            record,
            "Bulk Revocation Completed",
            severity,
            json!({"counts": counts, "total": users.len()}),
        )])
        .await;
        Ok(())
    }

    /// `progress` of a background job: users done by outcome, of the total.
    pub(super) async fn bulk_progress(
        &self,
        record: &RevocationRecord,
    ) -> Result<Value, StoreError> {
        let users = RevocationRecords::new(self.records)
            .all_users(&record.revocation_id)
            .await?;
        let counts = counts(users.iter().map(|u| u.outcome.as_str()));
        let done = users.iter().filter(|u| u.is_final()).count();
        Ok(json!({"total": user_ids(record).len(), "done": done, "byOutcome": counts}))
    }

    /// `GET /v1/revocations/{id}/users`: one page of per-user outcomes.
    pub(super) async fn read_users(
        &self,
        id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> ApiResponse {
        let repo = RevocationRecords::new(self.records);
        match repo.get(id).await {
            Ok(Some(r)) if r.action == "revokeUserTokensBulk" => {}
            Ok(_) => {
                return ApiResponse::error(&ApiError::new(
                    404,
                    "revocation_not_found",
                    "no bulk revocation with this id",
                ))
            }
            Err(e) => return ApiResponse::error(&ApiError::from_store(&e)),
        }
        match repo.users_page(id, after, limit.min(MAX_PAGE)).await {
            Ok((users, next)) => {
                let items: Vec<Value> = users
                    .iter()
                    .map(|u| {
                        json!({"userId": u.user_id, "outcome": u.outcome, "status": u.status,
                            "checks": u.checks, "error": u.error, "attempts": u.attempts, "at": u.at})
                    })
                    .collect();
                ApiResponse::ok(
                    200,
                    json!({"revocationId": id, "users": items, "next": next}),
                )
            }
            Err(e) => ApiResponse::error(&ApiError::from_store(&e)),
        }
    }
}

fn deferred(why: &str) -> UserOutcome {
    UserOutcome {
        status: 503,
        outcome: "deferred",
        checks: Value::Null,
        error: Some(ApiError::new(503, "deferred", why)),
        correlation_id: None,
        protected_roles: vec![],
    }
}

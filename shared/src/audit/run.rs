//! One audit run: collect, evaluate, compare with the previous complete run, record, announce.
//!
//! Idempotent per run id: a complete run is never redone (a re-run returns its summary and
//! writes nothing); a partial, failed or interrupted run is redone under the same id, its items
//! overwritten in place and leftovers of the earlier attempt deleted. A dry run takes the same
//! path (collect → baseline → evaluate) and records nothing. Memory stays bounded by the number
//! of clients: records are written in batches while clients are evaluated.

use super::changes::Baseline;
pub use super::collect::AuditGenesys;
use super::collect::{collect, Scope};
use super::config::AuditConfig;
use super::error::AuditError;
use super::events;
use super::findings::Source;
pub use super::hub::Hub;
use super::mapping::RunItems;
use super::produce::{produce, Context, Outputs, Produced};
pub use super::request::{AuditRequest, RunId, RunTrigger};
pub use super::summary::RunSummary;
use crate::deadline::Deadline;
use crate::ports::events::{EventPublisher, Severity};
pub use crate::ports::meter::RequestMeter;
use crate::ports::records::RecordStore;
use crate::ports::secrets::SecretStore;
use crate::records::audit::{
    outcome, AuditRecords, RunItem, RunRecord, AUDIT_RUNS, FINDING_PREFIX, RUN_SK, TYPE_RUN,
};
use crate::records::lease::Leases;
use crate::records::{iso, ttl_after};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

/// The ports one run uses (the audit function's whole footprint: Genesys reads, Secrets
/// Manager metadata, the records table, the event bus).
pub struct Ports<'a, G, S, R, E> {
    pub genesys: &'a G,
    pub secrets: &'a S,
    pub records: &'a R,
    pub events: &'a E,
    pub genesys_meter: &'a dyn RequestMeter,
    pub records_meter: &'a dyn RequestMeter,
    /// AWS Security Hub, when findings go there too.
    pub hub: Option<&'a Hub<'a>>,
}

/// Share of the remaining time collection may use when recording; the rest is for writing.
const COLLECTION_SHARE: f64 = 0.6;

/// Runs (or re-runs) one audit. `now` is the wall clock; `deadline` already keeps the margin
/// needed after it.
pub async fn run_audit<G, S, R, E>(
    ports: &Ports<'_, G, S, R, E>,
    cfg: &AuditConfig,
    req: &AuditRequest,
    now: DateTime<Utc>,
    deadline: &Deadline,
) -> Result<RunSummary, AuditError>
where
    G: AuditGenesys,
    S: SecretStore,
    R: RecordStore,
    E: EventPublisher,
{
    let flow = Flow::new(ports, cfg, req, now, deadline);
    if req.dry_run {
        return flow.dry().await;
    }
    let run_id = req.run_id.as_str();
    if let Some(done) = flow.completed().await? {
        tracing::info!(run_id, "audit run already complete; nothing redone");
        return Ok(done);
    }
    let lease_name = format!("audit:{run_id}");
    let owner = uuid::Uuid::new_v4().to_string();
    let leases = Leases::new(ports.records);
    let ttl = deadline.remaining() + Duration::from_secs(60);
    if !leases.acquire(&lease_name, &owner, ttl, now).await? {
        return Err(AuditError::RunInProgress(run_id.to_owned()));
    }
    let result = flow.recorded().await;
    if let Err(e) = leases.release(&lease_name, &owner).await {
        tracing::warn!(run_id, error = %e, "could not release the audit lease; it expires on its own");
    }
    result
}

/// What an attempt that records carries from the earlier attempt of the same run.
struct Recording {
    /// Findings the earlier attempt already announced.
    announced: HashSet<String>,
    retrying: bool,
}

struct Flow<'p, 'a, G, S, R, E> {
    ports: &'p Ports<'a, G, S, R, E>,
    cfg: &'p AuditConfig,
    req: &'p AuditRequest,
    now: DateTime<Utc>,
    deadline: &'p Deadline,
    started: tokio::time::Instant,
    /// Request counters when the run started.
    meters_at_start: (u64, u64),
}

impl<'p, 'a, G, S, R, E> Flow<'p, 'a, G, S, R, E>
where
    G: AuditGenesys,
    S: SecretStore,
    R: RecordStore,
    E: EventPublisher,
{
    fn new(
        ports: &'p Ports<'a, G, S, R, E>,
        cfg: &'p AuditConfig,
        req: &'p AuditRequest,
        now: DateTime<Utc>,
        deadline: &'p Deadline,
    ) -> Self {
        Self {
            ports,
            cfg,
            req,
            now,
            deadline,
            started: tokio::time::Instant::now(),
            meters_at_start: (
                ports.genesys_meter.requests(),
                ports.records_meter.requests(),
            ),
        }
    }

    fn repo(&self) -> AuditRecords<'a, R> {
        AuditRecords::new(self.ports.records)
    }

    fn run_id(&self) -> &'p str {
        self.req.run_id.as_str()
    }

    /// The summary of this run id if it is complete already.
    async fn completed(&self) -> Result<Option<RunSummary>, AuditError> {
        Ok(self
            .repo()
            .get_run(self.run_id())
            .await?
            .filter(|r| r.outcome == outcome::COMPLETE)
            .map(|done| RunSummary {
                already_complete: true,
                ..RunSummary::of(&done, BTreeMap::new())
            }))
    }

    /// The run's record as it starts (an attempt number of 0: a dry run).
    fn new_record(&self, earlier: Option<&RunRecord>, expires_at: i64) -> RunRecord {
        let run_id = self.run_id();
        RunRecord {
            item: RunItem::new(
                run_id,
                self.req.run_id.date(),
                RUN_SK.into(),
                TYPE_RUN,
                expires_at,
            ),
            gsi1pk: AUDIT_RUNS.into(),
            gsi1sk: run_id.into(),
            trigger: self.req.trigger.as_str().into(),
            scheduled_at: self.req.scheduled_at.map(iso),
            started_at: earlier
                .map(|r| r.started_at.clone())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| iso(self.now)),
            attempt: earlier.map_or(1, |r| r.attempt + 1),
            attempt_started_at: iso(self.now),
            outcome: outcome::IN_PROGRESS.into(),
            usage_window_days: self.cfg.usage_window_days,
            ..RunRecord::default()
        }
    }

    /// Collect → baseline → evaluate (and write, when recording): the one path of every run.
    async fn evaluate(
        &self,
        run: &mut RunRecord,
        recording: Option<Recording>,
    ) -> Result<Produced, AuditError> {
        let run_id = self.run_id();
        let writes = recording.is_some();
        let collect_deadline = match recording {
            Some(_) => self
                .deadline
                .capped(self.deadline.remaining().mul_f64(COLLECTION_SHARE)),
            None => *self.deadline,
        };
        let p = self.ports;
        let repo = self.repo();
        let previous = repo.previous_complete_run(run_id).await?;
        let scope = Scope {
            cfg: self.cfg,
            now: self.now,
            previous_run_at: previous
                .as_ref()
                .and_then(|r| DateTime::parse_from_rfc3339(&r.attempt_started_at).ok())
                .map(|t| t.with_timezone(&Utc)),
        };
        let inv = collect(p.genesys, p.secrets, p.records, &scope, &collect_deadline)
            .await
            .map_err(|e| {
                run.missing = vec![format!("clients: {} ({e})", e.kind())];
                run.missing_sources = vec![Source::Clients.as_str().into()];
                AuditError::ClientListing(e)
            })?;
        for m in &inv.missing {
            tracing::warn!(run_id, source = m.source.as_str(), detail = %m.detail, "audit source missing");
        }
        let baseline = match &previous {
            Some(p) => Some(Baseline::load(&repo, &p.item.run_id).await?),
            None => None,
        };
        let previous_run_id = previous.map(|p| p.item.run_id);
        let (announced, retrying) = match recording {
            Some(r) => (r.announced, r.retrying),
            None => (HashSet::new(), false),
        };
        let ctx = Context {
            cfg: self.cfg,
            items: RunItems {
                run_id,
                run_date: self.req.run_id.date(),
                expires_at: run.item.expires_at,
                previous_run_id: previous_run_id.clone(),
            },
            announced,
            keep_findings: self.req.keep_findings,
        };
        let produced = produce(
            &ctx,
            &inv,
            baseline,
            Outputs {
                records: writes.then_some(p.records),
                hub: p.hub.filter(|_| writes),
            },
            *self.deadline,
            self.now,
            retrying,
        )
        .await?;
        run.clients_seen = inv.clients.len() as u64;
        run.managed_secrets_seen = inv.secrets.as_ref().map_or(0, |s| s.len() as u64);
        run.usage_first_day = Some(inv.window.first_day.to_string());
        run.usage_last_day = Some(inv.window.last_day.to_string());
        run.trail_from = inv.trail.as_ref().map(|t| iso(t.from));
        run.trail_to = inv.trail.as_ref().map(|t| iso(t.to));
        produced.tally.record_into(run, previous_run_id);
        (
            run.security_hub_imported,
            run.security_hub_unchanged,
            run.security_hub_archived,
        ) = produced.hub_counts;
        Ok(produced)
    }

    /// Time and requests spent so far, into the record.
    fn measure(&self, run: &mut RunRecord) {
        let (g0, r0) = self.meters_at_start;
        run.duration_ms = self.started.elapsed().as_millis() as u64;
        run.genesys_requests = self.ports.genesys_meter.requests() - g0;
        run.dynamodb_requests = self.ports.records_meter.requests() - r0;
    }

    /// Collect and evaluate; write and publish nothing.
    async fn dry(&self) -> Result<RunSummary, AuditError> {
        let mut run = self.new_record(None, 0);
        run.attempt = 0;
        let produced = self.evaluate(&mut run, None).await?;
        run.outcome = if produced.missing.is_empty() {
            outcome::COMPLETE
        } else {
            outcome::PARTIAL
        }
        .into();
        run.missing = produced.missing;
        self.measure(&mut run);
        Ok(RunSummary {
            dry_run: true,
            findings: produced.tally.kept,
            ..RunSummary::of(&run, produced.tally.by_code)
        })
    }

    /// An attempt under the run's lease: recorded `inProgress` first, and whatever stops it
    /// from there on, the record does not stay `inProgress`.
    async fn recorded(&self) -> Result<RunSummary, AuditError> {
        let run_id = self.run_id();
        let repo = self.repo();
        // Read again under the lease: another invocation may have finished meanwhile.
        let earlier = repo.get_run(run_id).await?;
        if let Some(done) = earlier.as_ref().filter(|r| r.outcome == outcome::COMPLETE) {
            return Ok(RunSummary {
                already_complete: true,
                ..RunSummary::of(done, BTreeMap::new())
            });
        }
        let earlier_keys: HashSet<String> = match &earlier {
            Some(_) => repo.item_keys(run_id).await?.into_iter().collect(),
            None => HashSet::new(),
        };
        let announced: HashSet<String> = match &earlier {
            Some(r) if r.events_published => earlier_keys
                .iter()
                .filter(|k| k.starts_with(FINDING_PREFIX))
                .cloned()
                .collect(),
            _ => HashSet::new(),
        };
        let mut run = self.new_record(
            earlier.as_ref(),
            ttl_after(self.now, self.cfg.retention_days),
        );
        repo.put_run(&run).await?;
        tracing::info!(run_id, attempt = run.attempt, "audit run started");
        let recording = Recording {
            announced,
            retrying: earlier.is_some(),
        };
        let result = async {
            let produced = self.evaluate(&mut run, Some(recording)).await?;
            // Leftovers of an earlier attempt that this one did not produce again.
            if let Some(written) = &produced.written_keys {
                for sk in earlier_keys.iter().filter(|k| !written.contains(*k)) {
                    repo.delete_item(run_id, sk).await?;
                }
            }
            let summary = self.conclude(&mut run, produced).await;
            repo.put_run(&run).await?;
            tracing::info!(
                run_id,
                outcome = %run.outcome,
                clients = run.clients_seen,
                findings = run.findings_total,
                changes = run.changes_total,
                genesys_requests = run.genesys_requests,
                dynamodb_requests = run.dynamodb_requests,
                duration_ms = run.duration_ms,
                "audit run finished"
            );
            Ok(summary)
        }
        .await;
        if let Err(e) = &result {
            run.outcome = outcome::FAILED.into();
            run.error_code = Some(
                match e {
                    AuditError::ClientListing(g) => g.kind(),
                    other => other.error_type(),
                }
                .into(),
            );
            run.error_message = Some(e.to_string());
            run.finished_at = Some(iso(Utc::now()));
            self.measure(&mut run);
            if let Err(se) = repo.put_run(&run).await {
                tracing::error!(run_id, error = %se, "could not record the failed run");
            }
        }
        result
    }

    /// Announces the run (finding events, changes, the summary) and settles its outcome.
    async fn conclude(&self, run: &mut RunRecord, produced: Produced) -> RunSummary {
        let run_id = self.run_id();
        let Produced {
            mut missing,
            mut missing_sources,
            mut tally,
            ..
        } = produced;
        let mut to_publish = std::mem::take(&mut tally.events);
        let finding_events = to_publish.len() as u64;
        if let Some(prev) = &run.previous_run_id {
            if tally.changes_total > 0 {
                to_publish.push(events::changes_event(
                    run_id,
                    prev,
                    json!(tally.changes),
                    std::mem::take(&mut tally.change_sample),
                    tally.changes_total,
                    tally.highest_new.unwrap_or(Severity::Info),
                ));
            }
        }
        let partial = !missing.is_empty();
        run.outcome = if partial {
            outcome::PARTIAL
        } else {
            outcome::COMPLETE
        }
        .into();
        run.missing = missing.clone();
        run.missing_sources = missing_sources.iter().cloned().collect();
        run.finding_events_sent = finding_events;
        run.finding_events_suppressed = tally.events_suppressed;
        self.measure(run);
        let announced = RunSummary::of(run, tally.by_code.clone());
        to_publish.push(events::completed_event(
            serde_json::to_value(&announced).unwrap_or_default(),
            partial,
        ));
        match self.ports.events.publish(to_publish).await {
            Ok(()) => run.events_published = true,
            Err(e) => {
                tracing::warn!(run_id, error = %e, "audit events not published");
                missing.push(format!("events: not published ({e})"));
                missing_sources.insert("events".into());
                run.finding_events_sent = 0;
                run.outcome = outcome::PARTIAL.into();
            }
        }
        run.missing = missing;
        run.missing_sources = missing_sources.into_iter().collect();
        run.finished_at = Some(iso(Utc::now()));
        self.measure(run);
        RunSummary {
            findings: tally.kept,
            ..RunSummary::of(run, tally.by_code)
        }
    }
}

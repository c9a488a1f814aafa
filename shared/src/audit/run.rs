//! One audit run: collect, evaluate, compare with the previous complete run, record, announce.
//!
//! Idempotent per run id: a complete run is never redone (a re-run returns its summary and
//! writes nothing); a partial, failed or interrupted run is redone under the same id, its items
//! overwritten in place and leftovers of the earlier attempt deleted. Memory stays bounded by
//! the number of clients: records are written in batches while clients are evaluated.

use super::changes::{access_of, Baseline, Change, ChangeKind, Differ};
use super::collect::{collect, Inventory};
use super::config::AuditConfig;
use super::error::AuditError;
use super::events;
use super::findings::{Finding, Source};
pub use super::meter::RequestMeter;
use super::rules::{highest, Assessment, Rules};
use crate::deadline::Deadline;
use crate::genesys::models::OAuthClient;
use crate::ports::events::{EventPublisher, SecurityEvent, Severity};
use crate::ports::genesys::{AuthorizationDirectory, ClientDirectory, UsageReports};
use crate::ports::records::{BatchStats, Item, RecordStore, StoreError};
use crate::ports::secrets::SecretStore;
use crate::records::audit::{
    change_sk, client_sk, finding_sk, item, outcome, run_pk, AuditRecords, ChangeRecord,
    ClientRecord, FindingRecord, RunRecord, AUDIT_RUNS, RUN_SK, SCHEMA_VERSION, TYPE_CHANGE,
    TYPE_CLIENT, TYPE_FINDING, TYPE_RUN,
};
use crate::records::lease::Leases;
use crate::records::{iso, ttl_after};
use chrono::{DateTime, NaiveDate, Utc};
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::StreamExt;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashSet};
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
}

/// `YYYY-MM-DD`, optionally followed by a suffix of `[A-Za-z0-9._:-]`: run ids sort in date
/// order (the previous run is the one sorting just before).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunId(String);

impl RunId {
    pub fn for_date(d: NaiveDate) -> Self {
        Self(d.format("%Y-%m-%d").to_string())
    }

    pub fn parse(raw: &str) -> Result<Self, AuditError> {
        let bad = |why: &str| AuditError::InvalidInput(format!("runId {raw:?}: {why}"));
        if raw.len() > 64 {
            return Err(bad("longer than 64 characters"));
        }
        let date = raw
            .get(..10)
            .ok_or_else(|| bad("must start with a YYYY-MM-DD date"))?;
        NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map_err(|_| bad("must start with a YYYY-MM-DD date"))?;
        if !raw[10..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
        {
            return Err(bad(
                "may only contain letters, digits and . _ : - after the date",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn date(&self) -> &str {
        &self.0[..10]
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    Schedule,
    Manual,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Schedule => "schedule",
            Self::Manual => "manual",
        }
    }
}

#[derive(Clone, Debug)]
pub struct AuditRequest {
    pub run_id: RunId,
    pub trigger: Trigger,
    pub scheduled_at: Option<DateTime<Utc>>,
    /// Collect and evaluate only: nothing written, nothing published.
    pub dry_run: bool,
}

/// What the function returns (and the "Audit Completed" event carries).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunSummary {
    pub run_id: String,
    pub outcome: String,
    /// The run was already complete: nothing was redone.
    pub already_complete: bool,
    pub dry_run: bool,
    pub attempt: u32,
    pub clients_seen: u64,
    pub clients_recorded: u64,
    pub managed_secrets_seen: u64,
    pub findings_total: u64,
    pub findings_by_severity: BTreeMap<String, u64>,
    pub findings_by_code: BTreeMap<String, u64>,
    pub baseline: bool,
    pub previous_run_id: Option<String>,
    pub changes: BTreeMap<String, u64>,
    pub missing: Vec<String>,
    pub duration_ms: u64,
    pub genesys_requests: u64,
    pub dynamodb_requests: u64,
    pub finding_events_sent: u64,
    pub finding_events_suppressed: u64,
}

impl RunSummary {
    /// A partial run as an error (naming what is missing), so the invocation fails and is
    /// retried with the same run id.
    pub fn into_result(self) -> Result<Self, AuditError> {
        if self.outcome == outcome::PARTIAL && !self.dry_run {
            Err(AuditError::Partial {
                run_id: self.run_id,
                missing: self.missing,
            })
        } else {
            Ok(self)
        }
    }
}

const SEVERITIES: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Info,
];

impl RunSummary {
    fn from_record(r: &RunRecord) -> Self {
        let by_sev = [
            r.findings_critical,
            r.findings_high,
            r.findings_medium,
            r.findings_low,
            r.findings_info,
        ];
        let changes = [
            (ChangeKind::ClientAdded, r.clients_added),
            (ChangeKind::ClientRemoved, r.clients_removed),
            (ChangeKind::AccessChanged, r.access_changed),
            (ChangeKind::FindingNew, r.findings_new),
            (ChangeKind::FindingResolved, r.findings_resolved),
            (ChangeKind::SeverityChanged, r.severity_changed),
        ];
        Self {
            run_id: r.run_id.clone(),
            outcome: r.outcome.clone(),
            already_complete: false,
            dry_run: false,
            attempt: r.attempt,
            clients_seen: r.clients_seen,
            clients_recorded: r.clients_recorded,
            managed_secrets_seen: r.managed_secrets_seen,
            findings_total: r.findings_total,
            findings_by_severity: SEVERITIES
                .iter()
                .zip(by_sev)
                .map(|(s, n)| (s.as_str().to_owned(), n))
                .collect(),
            findings_by_code: BTreeMap::new(),
            baseline: r.baseline,
            previous_run_id: r.previous_run_id.clone(),
            changes: changes
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(k, n)| (k.as_str().to_owned(), *n))
                .collect(),
            missing: r.missing.clone(),
            duration_ms: r.duration_ms,
            genesys_requests: r.genesys_requests,
            dynamodb_requests: r.dynamodb_requests,
            finding_events_sent: r.finding_events_sent,
            finding_events_suppressed: r.finding_events_suppressed,
        }
    }
}

/// Items per `put_batch` call, and calls in flight: bounds memory and keeps DynamoDB busy.
const WRITE_CHUNK: usize = 250;
const WRITES_IN_FLIGHT: usize = 4;
/// Time kept for the summary record and the events once records stop being written.
const FINISH_RESERVE: Duration = Duration::from_secs(3);
/// Share of the remaining time collection may use; the rest is for writing.
const COLLECTION_SHARE: f64 = 0.6;
/// Permissions listed per client record (a DynamoDB item holds 400 KB).
const MAX_PERMISSIONS_RECORDED: usize = 500;

/// Batched, bounded, deadline-aware writes.
struct Writer<'a> {
    store: Option<&'a (dyn DynStore + 'a)>,
    deadline: Deadline,
    buf: Vec<Item>,
    inflight: FuturesUnordered<BoxFuture<'a, Result<BatchStats, StoreError>>>,
    dropped: u64,
}

/// Object-safe view of `put_batch` (the port's methods return `impl Future`).
trait DynStore: Send + Sync {
    fn put_batch_boxed(&self, items: Vec<Item>) -> BoxFuture<'_, Result<BatchStats, StoreError>>;
}

impl<R: RecordStore> DynStore for R {
    fn put_batch_boxed(&self, items: Vec<Item>) -> BoxFuture<'_, Result<BatchStats, StoreError>> {
        Box::pin(self.put_batch(items))
    }
}

impl<'a> Writer<'a> {
    fn new(store: Option<&'a (dyn DynStore + 'a)>, deadline: Deadline) -> Self {
        Self {
            store,
            deadline,
            buf: Vec::with_capacity(WRITE_CHUNK),
            inflight: FuturesUnordered::new(),
            dropped: 0,
        }
    }

    fn out_of_time(&self) -> bool {
        self.deadline.remaining() < FINISH_RESERVE
    }

    /// Queues an item; `false` when it was dropped because time ran out.
    async fn push(&mut self, item: Item) -> Result<bool, StoreError> {
        if self.store.is_none() {
            return Ok(true);
        }
        if self.out_of_time() {
            self.dropped += 1;
            return Ok(false);
        }
        self.buf.push(item);
        if self.buf.len() >= WRITE_CHUNK {
            self.flush_buffer().await?;
        }
        Ok(true)
    }

    async fn flush_buffer(&mut self) -> Result<(), StoreError> {
        let Some(store) = self.store else {
            return Ok(());
        };
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(WRITE_CHUNK));
        self.inflight.push(store.put_batch_boxed(chunk));
        while self.inflight.len() >= WRITES_IN_FLIGHT {
            self.settle_one().await?;
        }
        Ok(())
    }

    async fn settle_one(&mut self) -> Result<(), StoreError> {
        if let Some(r) = self.inflight.next().await {
            r?;
        }
        Ok(())
    }

    async fn finish(&mut self) -> Result<(), StoreError> {
        self.flush_buffer().await?;
        while !self.inflight.is_empty() {
            self.settle_one().await?;
        }
        Ok(())
    }
}

#[derive(Default)]
struct Tally {
    by_severity: BTreeMap<Severity, u64>,
    by_code: BTreeMap<String, u64>,
    changes: BTreeMap<&'static str, u64>,
    clients_recorded: u64,
    events: Vec<SecurityEvent>,
    events_suppressed: u64,
    change_sample: Vec<Value>,
    changes_total: usize,
    highest_new: Option<Severity>,
}

impl Tally {
    fn total(&self) -> u64 {
        self.by_severity.values().sum()
    }
}

struct Context<'a> {
    cfg: &'a AuditConfig,
    run_id: &'a str,
    run_date: &'a str,
    expires_at: i64,
    previous_run_id: Option<String>,
    /// Findings the earlier attempt of this run already announced.
    announced: HashSet<String>,
}

fn client_record(
    ctx: &Context<'_>,
    c: &OAuthClient,
    a: &Assessment,
    access: &[String],
) -> ClientRecord {
    let f = &a.facts;
    let usage = f.usage.clone().unwrap_or_default();
    let mut codes: Vec<String> = a.findings.iter().map(|x| x.code.clone()).collect();
    codes.sort();
    ClientRecord {
        pk: run_pk(ctx.run_id),
        sk: client_sk(&c.id),
        record_type: TYPE_CLIENT.into(),
        schema_version: SCHEMA_VERSION,
        run_id: ctx.run_id.into(),
        run_date: ctx.run_date.into(),
        client_id: c.id.clone(),
        name: c.name.clone(),
        description: c.description.clone(),
        grant_type: c.authorized_grant_type.as_str().to_owned(),
        state: c.state().as_str().to_owned(),
        date_to_delete: c.date_to_delete.map(iso),
        access_token_validity_seconds: c.token_validity_seconds(),
        date_created: c.date_created.map(iso),
        created_by_id: c.created_by.as_ref().and_then(|r| r.id.clone()),
        created_by_name: c.created_by.as_ref().and_then(|r| r.name.clone()),
        date_modified: c.date_modified.map(iso),
        modified_by_id: c.modified_by.as_ref().and_then(|r| r.id.clone()),
        modified_by_name: c.modified_by.as_ref().and_then(|r| r.name.clone()),
        role_ids: f.role_ids.clone(),
        role_names: f.role_names.clone(),
        role_divisions: access
            .iter()
            .filter_map(|a| a.strip_prefix("role:"))
            .map(str::to_owned)
            .collect(),
        division_ids: f.division_ids.clone(),
        all_divisions: f.all_divisions,
        orphaned_role_ids: f.orphaned_role_ids.clone(),
        roles_resolved: f.roles_resolved,
        permission_count: f.permissions.len() as u64,
        permissions_truncated: f.permissions.len() > MAX_PERMISSIONS_RECORDED,
        permissions: f
            .permissions
            .iter()
            .take(MAX_PERMISSIONS_RECORDED)
            .cloned()
            .collect(),
        scopes: c.scope.clone(),
        unknown_scopes: f.unknown_scopes.clone(),
        usage_known: f.usage.is_some(),
        requests: usage.requests,
        status4xx: usage.status400,
        status429: usage.status429,
        status5xx: usage.status500,
        days_with_requests: u64::from(usage.days_with_requests),
        last_used_date: usage.last_used.map(|d| d.to_string()),
        managed: !f.managed_by.is_empty(),
        managed_secret_names: f.managed_by.clone(),
        secret_last_rotated_at: f.secret_last_rotated_at.map(iso),
        last_rotation_outcome: f.last_rotation_outcome.clone(),
        findings_count: codes.len() as u64,
        finding_codes: codes,
        highest_severity: highest(&a.findings).map(|s| s.as_str().to_owned()),
        expires_at: ctx.expires_at,
    }
}

fn finding_record(ctx: &Context<'_>, f: &Finding, first_seen: &str, is_new: bool) -> FindingRecord {
    let (client_name, secret_name) = match &f.subject {
        super::findings::Subject::Client { name, .. } => (Some(name.clone()), None),
        super::findings::Subject::Secret { name, .. } => (None, Some(name.clone())),
    };
    let subject = f.subject.key();
    FindingRecord {
        pk: run_pk(ctx.run_id),
        sk: finding_sk(&subject, &f.code),
        record_type: TYPE_FINDING.into(),
        schema_version: SCHEMA_VERSION,
        run_id: ctx.run_id.into(),
        run_date: ctx.run_date.into(),
        subject,
        subject_type: f.subject.kind().into(),
        client_id: f.subject.client_id().map(str::to_owned),
        client_name,
        secret_name,
        code: f.code.clone(),
        severity: f.severity.as_str().into(),
        title: f.title.clone(),
        evidence: f.evidence.to_string(),
        remediation: f.remediation.clone(),
        source: f.source.as_str().into(),
        first_seen_run_id: first_seen.into(),
        is_new,
        expires_at: ctx.expires_at,
    }
}

fn change_record(ctx: &Context<'_>, c: &Change) -> ChangeRecord {
    ChangeRecord {
        pk: run_pk(ctx.run_id),
        sk: change_sk(c.kind.as_str(), &c.subject, c.code.as_deref()),
        record_type: TYPE_CHANGE.into(),
        schema_version: SCHEMA_VERSION,
        run_id: ctx.run_id.into(),
        run_date: ctx.run_date.into(),
        previous_run_id: ctx.previous_run_id.clone().unwrap_or_default(),
        kind: c.kind.as_str().into(),
        subject: c.subject.clone(),
        subject_type: c.subject_type.clone(),
        client_id: c.client_id.clone(),
        name: c.name.clone(),
        code: c.code.clone(),
        severity: c.severity.map(|s| s.as_str().to_owned()),
        previous_severity: c.previous_severity.map(|s| s.as_str().to_owned()),
        detail: c.detail.to_string(),
        expires_at: ctx.expires_at,
    }
}

/// Everything a run produced before the summary is written.
struct Produced {
    inv_missing: Vec<String>,
    missing_sources: BTreeSet<String>,
    tally: Tally,
    clients_seen: u64,
    managed_secrets_seen: u64,
    usage_first_day: NaiveDate,
    usage_last_day: NaiveDate,
    written_keys: Option<HashSet<String>>,
}

/// Where a run's items go: the writer, the tally, and (when retrying) the keys written.
struct Sink<'a> {
    writer: Writer<'a>,
    tally: Tally,
    keys: Option<HashSet<String>>,
}

impl Sink<'_> {
    async fn write(&mut self, sk: &str, record: Item) -> Result<bool, StoreError> {
        if let Some(k) = self.keys.as_mut() {
            k.insert(sk.to_owned());
        }
        self.writer.push(record).await
    }

    /// Written as it is found: changes are never all held in memory.
    async fn change(&mut self, ctx: &Context<'_>, c: Change) -> Result<(), StoreError> {
        let t = &mut self.tally;
        *t.changes.entry(c.kind.as_str()).or_default() += 1;
        t.changes_total += 1;
        if c.kind == ChangeKind::FindingNew {
            t.highest_new = t.highest_new.max(c.severity);
        }
        if t.change_sample.len() < events::CHANGES_IN_EVENT {
            t.change_sample.push(events::change_json(&c));
        }
        let rec = change_record(ctx, &c);
        self.write(&rec.sk, item(&rec)).await?;
        Ok(())
    }

    async fn finding(
        &mut self,
        ctx: &Context<'_>,
        differ: &mut Differ,
        f: &Finding,
    ) -> Result<(), StoreError> {
        let h = differ.finding(f, ctx.run_id);
        let rec = finding_record(ctx, f, &h.first_seen_run_id, h.is_new);
        let t = &mut self.tally;
        *t.by_severity.entry(f.severity).or_default() += 1;
        *t.by_code.entry(f.code.clone()).or_default() += 1;
        if h.is_new && f.severity >= Severity::High && !ctx.announced.contains(&rec.sk) {
            if t.events.len() < ctx.cfg.max_finding_events {
                t.events
                    .push(events::finding_event(ctx.run_id, f, &h.first_seen_run_id));
            } else {
                t.events_suppressed += 1;
            }
        }
        self.write(&rec.sk, item(&rec)).await?;
        if let Some(c) = h.change {
            self.change(ctx, c).await?;
        }
        Ok(())
    }
}

#[allow(clippy::too_many_arguments)]
async fn produce<R: RecordStore>(
    ctx: &Context<'_>,
    inv: &Inventory,
    baseline: Option<Baseline>,
    records: Option<&R>,
    deadline: Deadline,
    today: NaiveDate,
    now: DateTime<Utc>,
    retrying: bool,
) -> Result<Produced, StoreError> {
    let rules = Rules::new(ctx.cfg, inv, today, now);
    let mut differ = Differ::new(baseline);
    let dyn_store: Option<&dyn DynStore> = records.map(|r| r as &dyn DynStore);
    let mut sink = Sink {
        writer: Writer::new(dyn_store, deadline),
        tally: Tally::default(),
        keys: retrying.then(HashSet::new),
    };

    for c in &inv.clients {
        let a = rules.client(c);
        let access = access_of(c);
        if let Some(change) = differ.client(&c.id, &c.name, &access) {
            sink.change(ctx, change).await?;
        }
        for f in &a.findings {
            sink.finding(ctx, &mut differ, f).await?;
        }
        let rec = client_record(ctx, c, &a, &access);
        if sink.write(&rec.sk, item(&rec)).await? {
            sink.tally.clients_recorded += 1;
        }
    }
    for s in inv.secrets.iter().flatten() {
        for f in rules.secret(s) {
            sink.finding(ctx, &mut differ, &f).await?;
        }
    }
    for change in differ.finish(|s| inv.complete(s)) {
        sink.change(ctx, change).await?;
    }
    sink.writer.finish().await?;
    let Sink {
        writer,
        tally,
        keys,
    } = sink;

    let mut missing: Vec<String> = inv.missing.iter().map(|m| m.text()).collect();
    let mut missing_sources: BTreeSet<String> = inv
        .missing_sources()
        .into_iter()
        .map(|s| s.as_str().to_owned())
        .collect();
    if writer.dropped > 0 {
        missing.push(format!(
            "records: time budget ran out, {} items not written ({} of {} clients recorded)",
            writer.dropped,
            tally.clients_recorded,
            inv.clients.len()
        ));
        missing_sources.insert("records".into());
    }
    Ok(Produced {
        inv_missing: missing,
        missing_sources,
        clients_seen: inv.clients.len() as u64,
        managed_secrets_seen: inv.secrets.as_ref().map_or(0, |s| s.len() as u64),
        usage_first_day: inv.window.first_day,
        usage_last_day: inv.window.last_day,
        tally,
        // Keys only matter when an earlier attempt's leftovers must be found.
        written_keys: keys,
    })
}

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
    G: ClientDirectory + AuthorizationDirectory + UsageReports,
    S: SecretStore,
    R: RecordStore,
    E: EventPublisher,
{
    let started = tokio::time::Instant::now();
    let (g0, r0) = (
        ports.genesys_meter.requests(),
        ports.records_meter.requests(),
    );
    let run_id = req.run_id.as_str();
    let repo = AuditRecords::new(ports.records);
    let today = now.date_naive();

    if req.dry_run {
        return dry_run(ports, cfg, req, now, deadline).await;
    }

    if let Some(done) = repo
        .get_run(run_id)
        .await?
        .filter(|r| r.outcome == outcome::COMPLETE)
    {
        tracing::info!(run_id, "audit run already complete; nothing redone");
        return Ok(RunSummary {
            already_complete: true,
            ..RunSummary::from_record(&done)
        });
    }
    let lease_name = format!("audit:{run_id}");
    let owner = uuid::Uuid::new_v4().to_string();
    let leases = Leases::new(ports.records);
    let ttl = deadline.remaining() + Duration::from_secs(60);
    if !leases.acquire(&lease_name, &owner, ttl, now).await? {
        return Err(AuditError::RunInProgress(run_id.to_owned()));
    }
    let result = run_locked(ports, cfg, req, now, today, deadline, started, (g0, r0)).await;
    if let Err(e) = leases.release(&lease_name, &owner).await {
        tracing::warn!(run_id, error = %e, "could not release the audit lease; it expires on its own");
    }
    result
}

#[allow(clippy::too_many_arguments)]
async fn run_locked<G, S, R, E>(
    ports: &Ports<'_, G, S, R, E>,
    cfg: &AuditConfig,
    req: &AuditRequest,
    now: DateTime<Utc>,
    today: NaiveDate,
    deadline: &Deadline,
    started: tokio::time::Instant,
    (g0, r0): (u64, u64),
) -> Result<RunSummary, AuditError>
where
    G: ClientDirectory + AuthorizationDirectory + UsageReports,
    S: SecretStore,
    R: RecordStore,
    E: EventPublisher,
{
    let run_id = req.run_id.as_str();
    let repo = AuditRecords::new(ports.records);
    // Read again under the lease: another invocation may have finished meanwhile.
    let earlier = repo.get_run(run_id).await?;
    if let Some(done) = earlier.as_ref().filter(|r| r.outcome == outcome::COMPLETE) {
        return Ok(RunSummary {
            already_complete: true,
            ..RunSummary::from_record(done)
        });
    }
    let attempt = earlier.as_ref().map_or(1, |r| r.attempt + 1);
    let earlier_keys: HashSet<String> = match &earlier {
        Some(_) => repo.item_keys(run_id).await?.into_iter().collect(),
        None => HashSet::new(),
    };
    let announced: HashSet<String> = match &earlier {
        Some(r) if r.events_published => earlier_keys
            .iter()
            .filter(|k| k.starts_with(crate::records::audit::FINDING_PREFIX))
            .cloned()
            .collect(),
        _ => HashSet::new(),
    };
    let mut run = RunRecord {
        pk: run_pk(run_id),
        sk: RUN_SK.into(),
        gsi1pk: AUDIT_RUNS.into(),
        gsi1sk: run_id.into(),
        record_type: TYPE_RUN.into(),
        schema_version: SCHEMA_VERSION,
        run_id: run_id.into(),
        run_date: req.run_id.date().into(),
        trigger: req.trigger.as_str().into(),
        scheduled_at: req.scheduled_at.map(iso),
        started_at: earlier
            .as_ref()
            .map(|r| r.started_at.clone())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| iso(now)),
        attempt,
        attempt_started_at: iso(now),
        outcome: outcome::IN_PROGRESS.into(),
        usage_window_days: cfg.usage_window_days,
        expires_at: ttl_after(now, cfg.retention_days),
        ..RunRecord::default()
    };
    repo.put_run(&run).await?;
    tracing::info!(run_id, attempt, "audit run started");
    // Whatever stops the run from here on, the record must not stay `inProgress`.
    let result = async {

        let collect_deadline = deadline.capped(deadline.remaining().mul_f64(COLLECTION_SHARE));
        let inv = match collect(
            ports.genesys,
            ports.secrets,
            ports.records,
            cfg,
            today,
            &collect_deadline,
        )
        .await
        {
            Ok(inv) => inv,
            Err(e) => {
                run.missing = vec![format!("clients: {} ({e})", e.kind())];
                run.missing_sources = vec![Source::Clients.as_str().into()];
                return Err(AuditError::ClientListing(e));
            }
        };
        for m in &inv.missing {
            tracing::warn!(run_id, source = m.source.as_str(), detail = %m.detail, "audit source missing");
        }

        let previous = repo.previous_complete_run(run_id).await?;
        let baseline = match &previous {
            Some(p) => Some(Baseline::load(&repo, &p.run_id).await?),
            None => None,
        };
        let ctx = Context {
            cfg,
            run_id,
            run_date: req.run_id.date(),
            expires_at: run.expires_at,
            previous_run_id: previous.as_ref().map(|p| p.run_id.clone()),
            announced,
        };
        let produced = produce(
            &ctx,
            &inv,
            baseline,
            Some(ports.records),
            *deadline,
            today,
            now,
            earlier.is_some(),
        )
        .await?;
        drop(inv);

        // Leftovers of an earlier attempt that this one did not produce again.
        if let Some(written) = &produced.written_keys {
            for sk in earlier_keys.iter().filter(|k| !written.contains(*k)) {
                repo.delete_item(run_id, sk).await?;
            }
        }

        let Produced {
            inv_missing: mut missing,
            mut missing_sources,
            mut tally,
            ..
        } = produced;
        fill_counts(&mut run, &tally, ctx.previous_run_id.clone());
        run.clients_seen = produced.clients_seen;
        run.clients_recorded = tally.clients_recorded;
        run.managed_secrets_seen = produced.managed_secrets_seen;
        run.usage_first_day = Some(produced.usage_first_day.to_string());
        run.usage_last_day = Some(produced.usage_last_day.to_string());

        let partial_before_events = !missing.is_empty();
        let mut summary_json = summary_event_json(&run, &tally, &missing);
        let mut to_publish = std::mem::take(&mut tally.events);
        let finding_events = to_publish.len() as u64;
        if let Some(prev) = &ctx.previous_run_id {
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
        summary_json["outcome"] = json!(if partial_before_events {
            outcome::PARTIAL
        } else {
            outcome::COMPLETE
        });
        to_publish.push(events::completed_event(summary_json, partial_before_events));
        match ports.events.publish(to_publish).await {
            Ok(()) => {
                run.events_published = true;
                run.finding_events_sent = finding_events;
            }
            Err(e) => {
                tracing::warn!(run_id, error = %e, "audit events not published");
                missing.push(format!("events: not published ({e})"));
                missing_sources.insert("events".into());
            }
        }
        run.finding_events_suppressed = tally.events_suppressed;
        run.outcome = if missing.is_empty() {
            outcome::COMPLETE
        } else {
            outcome::PARTIAL
        }
        .into();
        run.missing = missing;
        run.missing_sources = missing_sources.into_iter().collect();
        run.finished_at = Some(iso(chrono::Utc::now()));
        run.duration_ms = started.elapsed().as_millis() as u64;
        run.genesys_requests = ports.genesys_meter.requests() - g0;
        run.dynamodb_requests = ports.records_meter.requests() - r0;
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
        let mut summary = RunSummary::from_record(&run);
        summary.findings_by_code = tally.by_code.iter().map(|(k, v)| (k.clone(), *v)).collect();
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
        run.finished_at = Some(iso(chrono::Utc::now()));
        run.duration_ms = started.elapsed().as_millis() as u64;
        run.genesys_requests = ports.genesys_meter.requests() - g0;
        run.dynamodb_requests = ports.records_meter.requests() - r0;
        if let Err(se) = repo.put_run(&run).await {
            tracing::error!(run_id, error = %se, "could not record the failed run");
        }
    }
    result
}

fn fill_counts(run: &mut RunRecord, tally: &Tally, previous_run_id: Option<String>) {
    let n = |s: Severity| tally.by_severity.get(&s).copied().unwrap_or(0);
    run.findings_total = tally.total();
    run.findings_critical = n(Severity::Critical);
    run.findings_high = n(Severity::High);
    run.findings_medium = n(Severity::Medium);
    run.findings_low = n(Severity::Low);
    run.findings_info = n(Severity::Info);
    run.codes_raised = tally.by_code.keys().cloned().collect();
    run.baseline = previous_run_id.is_none();
    run.previous_run_id = previous_run_id;
    let c = |k: ChangeKind| tally.changes.get(k.as_str()).copied().unwrap_or(0);
    run.changes_total = tally.changes_total as u64;
    run.clients_added = c(ChangeKind::ClientAdded);
    run.clients_removed = c(ChangeKind::ClientRemoved);
    run.access_changed = c(ChangeKind::AccessChanged);
    run.findings_new = c(ChangeKind::FindingNew);
    run.findings_resolved = c(ChangeKind::FindingResolved);
    run.severity_changed = c(ChangeKind::SeverityChanged);
}

fn summary_event_json(run: &RunRecord, tally: &Tally, missing: &[String]) -> Value {
    json!({
        "runId": run.run_id,
        "attempt": run.attempt,
        "trigger": run.trigger,
        "clientsSeen": run.clients_seen,
        "managedSecretsSeen": run.managed_secrets_seen,
        "findingsTotal": run.findings_total,
        "findingsBySeverity": {
            "CRITICAL": run.findings_critical, "HIGH": run.findings_high, "MEDIUM": run.findings_medium,
            "LOW": run.findings_low, "INFO": run.findings_info,
        },
        "findingsByCode": tally.by_code,
        "baseline": run.baseline,
        "previousRunId": run.previous_run_id,
        "changes": tally.changes,
        "missing": missing,
        "findingEventsSuppressed": tally.events_suppressed,
    })
}

/// Collect and evaluate, write and publish nothing.
async fn dry_run<G, S, R, E>(
    ports: &Ports<'_, G, S, R, E>,
    cfg: &AuditConfig,
    req: &AuditRequest,
    now: DateTime<Utc>,
    deadline: &Deadline,
) -> Result<RunSummary, AuditError>
where
    G: ClientDirectory + AuthorizationDirectory + UsageReports,
    S: SecretStore,
    R: RecordStore,
{
    let started = tokio::time::Instant::now();
    let (g0, r0) = (
        ports.genesys_meter.requests(),
        ports.records_meter.requests(),
    );
    let run_id = req.run_id.as_str();
    let repo = AuditRecords::new(ports.records);
    let today = now.date_naive();
    let inv = collect(
        ports.genesys,
        ports.secrets,
        ports.records,
        cfg,
        today,
        deadline,
    )
    .await
    .map_err(AuditError::ClientListing)?;
    let previous = repo.previous_complete_run(run_id).await?;
    let baseline = match &previous {
        Some(p) => Some(Baseline::load(&repo, &p.run_id).await?),
        None => None,
    };
    let ctx = Context {
        cfg,
        run_id,
        run_date: req.run_id.date(),
        expires_at: 0,
        previous_run_id: previous.map(|p| p.run_id),
        announced: HashSet::new(),
    };
    let produced = produce::<R>(&ctx, &inv, baseline, None, *deadline, today, now, false).await?;
    let mut run = RunRecord {
        run_id: run_id.into(),
        attempt: 0,
        outcome: if produced.inv_missing.is_empty() {
            outcome::COMPLETE
        } else {
            outcome::PARTIAL
        }
        .into(),
        clients_seen: produced.clients_seen,
        managed_secrets_seen: produced.managed_secrets_seen,
        missing: produced.inv_missing.clone(),
        ..RunRecord::default()
    };
    fill_counts(&mut run, &produced.tally, ctx.previous_run_id.clone());
    run.duration_ms = started.elapsed().as_millis() as u64;
    run.genesys_requests = ports.genesys_meter.requests() - g0;
    run.dynamodb_requests = ports.records_meter.requests() - r0;
    let mut summary = RunSummary::from_record(&run);
    summary.dry_run = true;
    summary.findings_by_code = produced.tally.by_code.clone();
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_start_with_a_date() {
        assert_eq!(RunId::parse("2026-11-21").unwrap().date(), "2026-11-21");
        assert_eq!(
            RunId::parse("2026-11-21T10:00:00Z-manual").unwrap().date(),
            "2026-11-21"
        );
        for bad in [
            "",
            "2026-13-01",
            "yesterday",
            "2026-11-21/../x",
            "2026-11-21 x",
            &"2026-11-21".repeat(7),
        ] {
            assert!(RunId::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            RunId::for_date(NaiveDate::from_ymd_opt(2026, 1, 2).unwrap()).as_str(),
            "2026-01-02"
        );
    }
}

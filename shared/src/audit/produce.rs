//! One pass over what was collected: every client and managed secret is evaluated, compared
//! with the baseline and written as it goes (through the [`Writer`]), while the [`Tally`]
//! counts. Nothing is held for the whole org but the counts and the keys written.

use super::changes::{access_of, Baseline, Change, Differ};
use super::collect::Inventory;
use super::config::AuditConfig;
use super::events;
use super::findings::{codes, Finding};
use super::hub::{Hub, HubSync, SecretsByClient};
use super::mapping::RunItems;
use super::rules::Rules;
use super::tally::Tally;
use super::trail::TrailIndex;
use super::writer::{DynStore, Writer};
use crate::deadline::Deadline;
use crate::ports::events::Severity;
use crate::ports::records::{Item, RecordStore, StoreError};
use crate::records::audit::item;
use chrono::{DateTime, Utc};
use std::collections::{BTreeSet, HashSet};

pub(super) struct Context<'a> {
    pub cfg: &'a AuditConfig,
    pub items: RunItems<'a>,
    /// Findings the earlier attempt of this run already announced.
    pub announced: HashSet<String>,
    /// Keep every finding for the caller.
    pub keep_findings: bool,
}

/// What a pass produced, before the run's outcome is recorded.
pub(super) struct Produced {
    /// What could not be collected or recorded (`missing`), and the sources behind it.
    pub missing: Vec<String>,
    pub missing_sources: BTreeSet<String>,
    pub tally: Tally,
    /// The sort keys written, when an earlier attempt's leftovers must be found.
    pub written_keys: Option<HashSet<String>>,
    /// Security Hub: findings imported, left as they were, archived.
    pub hub_counts: (u64, u64, u64),
}

/// Where a run's items go: the writer, the tally, and (when retrying) the keys written.
struct Sink<'a> {
    writer: Writer<'a>,
    tally: Tally,
    keys: Option<HashSet<String>>,
    hub: HubSync<'a>,
}

impl Sink<'_> {
    async fn write(&mut self, sk: &str, record: Item) -> Result<bool, StoreError> {
        if let Some(k) = self.keys.as_mut() {
            k.insert(sk.to_owned());
        }
        self.writer.push(record).await
    }

    /// Written as it is found: changes are never all held in memory. A client change is
    /// attributed to whoever the trail says made it.
    async fn change(
        &mut self,
        ctx: &Context<'_>,
        trail: Option<&TrailIndex<'_>>,
        mut c: Change,
    ) -> Result<(), StoreError> {
        if c.actor.is_none() {
            c.actor = trail.and_then(|t| t.actor_of(&c));
        }
        self.tally.change(&c);
        let rec = ctx.items.change(&c);
        self.write(&rec.item.sk, item(&rec)).await?;
        Ok(())
    }

    async fn finding(
        &mut self,
        ctx: &Context<'_>,
        differ: &mut Differ,
        f: &Finding,
    ) -> Result<(), StoreError> {
        let h = differ.finding(f, ctx.items.run_id);
        let mut rec = ctx.items.finding(f, &h.first_seen_run_id, h.is_new);
        if let Some(hub) = self.hub.finding(f, &rec, &h.hub).await {
            rec.security_hub_id = Some(hub.id);
            rec.hub_digest = Some(hub.digest);
            rec.hub_imported_at = Some(hub.imported_at);
        }
        self.tally.finding(f);
        let t = &mut self.tally;
        let notice = codes::NOTICES.contains(&f.code.as_str());
        let announce = if notice {
            true
        } else {
            h.is_new && f.severity >= Severity::High
        };
        if announce && !ctx.announced.contains(&rec.item.sk) {
            if t.events.len() < ctx.cfg.max_finding_events {
                t.events.push(if notice {
                    events::notice_event(ctx.items.run_id, f)
                } else {
                    events::finding_event(ctx.items.run_id, f, &h.first_seen_run_id)
                });
            } else {
                t.events_suppressed += 1;
            }
        }
        self.write(&rec.item.sk, item(&rec)).await?;
        if let Some(c) = h.change {
            self.change(ctx, None, c).await?;
        }
        Ok(())
    }
}

/// The managed secrets holding each client (current or partner).
fn secrets_by_client(inv: &Inventory) -> SecretsByClient {
    let mut out = SecretsByClient::new();
    for s in inv.secrets.iter().flatten() {
        for c in [&s.client_id, &s.partner_client_id].into_iter().flatten() {
            out.entry(c.clone())
                .or_default()
                .push((s.name.clone(), s.arn.clone()));
        }
    }
    out
}

/// Where a pass's results go besides the records: the findings hub, when recording with one.
pub(super) struct Outputs<'a, R> {
    pub records: Option<&'a R>,
    pub hub: Option<&'a Hub<'a>>,
}

/// Evaluates, compares and (unless `out.records` is `None`: a dry run) writes.
pub(super) async fn produce<R: RecordStore>(
    ctx: &Context<'_>,
    inv: &Inventory,
    mut baseline: Option<Baseline>,
    out: Outputs<'_, R>,
    deadline: Deadline,
    now: DateTime<Utc>,
    retrying: bool,
) -> Result<Produced, StoreError> {
    let records = out.records;
    let carried = baseline
        .as_mut()
        .map(Baseline::take_carried)
        .unwrap_or_default();
    let rules = Rules::new(ctx.cfg, inv, now, &carried);
    let trail = rules.trail();
    let mut differ = Differ::new(baseline);
    let dyn_store: Option<&dyn DynStore> = records.map(|r| r as &dyn DynStore);
    let mut sink = Sink {
        writer: Writer::new(dyn_store, deadline),
        tally: Tally {
            kept: ctx.keep_findings.then(Vec::new),
            ..Tally::default()
        },
        keys: retrying.then(HashSet::new),
        hub: HubSync::new(
            out.hub,
            secrets_by_client(inv),
            ctx.items.run_id,
            now,
            ctx.cfg.security_hub_refresh_days,
        ),
    };

    for c in &inv.clients {
        let mut a = rules.client(c);
        let access = access_of(c);
        let change = differ.client(&c.id, &c.name, &access);
        let granted = rules.admin_grant(c, &a, change.as_ref());
        a.findings.extend(granted);
        if let Some(change) = change {
            sink.change(ctx, trail, change).await?;
        }
        for f in &a.findings {
            sink.finding(ctx, &mut differ, f).await?;
        }
        let rec = ctx.items.client(c, &a, &access);
        if sink.write(&rec.item.sk, item(&rec)).await? {
            sink.tally.clients_recorded += 1;
        }
    }
    for s in inv.secrets.iter().flatten() {
        for f in rules.secret(s) {
            sink.finding(ctx, &mut differ, &f).await?;
        }
    }
    for f in rules.credentials() {
        sink.finding(ctx, &mut differ, &f).await?;
    }
    if let Some(t) = trail {
        for e in &t.trail().events {
            let rec = ctx.items.trail_event(e, t);
            if sink.write(&rec.item.sk, item(&rec)).await? {
                sink.tally.trail_events += 1;
            }
        }
    }
    let finished = differ.finish(|s| inv.complete(s));
    for change in finished.changes {
        sink.change(ctx, trail, change).await?;
    }
    for prev in &finished.resolved {
        sink.hub.resolved(prev).await;
    }
    sink.writer.finish().await?;
    sink.hub.finish().await;
    let Sink {
        writer,
        tally,
        keys,
        hub,
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
    if !hub.failures.is_empty() {
        missing.extend(hub.failures);
        missing_sources.insert("securityHub".into());
    }
    Ok(Produced {
        missing,
        missing_sources,
        tally,
        written_keys: keys,
        hub_counts: (hub.imported, hub.unchanged, hub.archived),
    })
}

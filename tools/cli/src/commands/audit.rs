//! `credguard audit [--no-record] [--fail-on SEVERITY]`: the audit's own run
//! (`credguard::audit::run_audit`), in this process, as the deployment's audit admin client.
//! Recorded (the default) it is a run like the nightly one (trigger `cli`), so the next run
//! compares with it; `--no-record` is its dry run: nothing written or published, and without a
//! records table (a trial before deploying) no baseline and no rotation history are read.

use crate::args::AuditArgs;
use crate::context::{AdminFor, Context};
use crate::exit::{CliError, Exit};
use crate::output;
use crate::progress::Progress;
use chrono::Utc;
use credguard::audit::{
    run_audit, AuditConfig, AuditGenesys, AuditRequest, Finding, Ports, RequestMeter, RunId,
    RunSummary, RunTrigger,
};
use credguard::deadline::Deadline;
use credguard::ports::events::{EventError, EventPublisher, SecurityEvent, Severity};
use credguard::ports::records::{Condition, Item, Page, Query, RecordStore, StoreError};
use credguard::ports::secrets::SecretStore;
use credguard::records::audit::outcome;
use serde_json::{json, Value};
use std::time::Duration;

/// The audit function's timeout: a CLI run gets as long.
const RUN_BUDGET: Duration = Duration::from_secs(900);

const NO_TABLE: &str =
    "no records table to record the run in: pass --stack or --table, or --no-record for a trial";

/// No records table (`--no-record` without one): nothing was ever recorded. Only a dry run
/// uses it, and a dry run writes nothing.
struct NoRecords;

impl RecordStore for NoRecords {
    async fn put(&self, _: Item, _: Condition) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("no records table".into()))
    }
    async fn get(&self, _: &str, _: &str) -> Result<Option<Item>, StoreError> {
        Ok(None)
    }
    async fn query(&self, _: Query) -> Result<Page, StoreError> {
        Ok(Page::default())
    }
    async fn put_batch(
        &self,
        _: Vec<Item>,
    ) -> Result<credguard::ports::records::BatchStats, StoreError> {
        Err(StoreError::Unavailable("no records table".into()))
    }
    async fn delete(&self, _: &str, _: &str, _: Condition) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("no records table".into()))
    }
}

impl RequestMeter for NoRecords {
    fn requests(&self) -> u64 {
        0
    }
}

/// A dry run publishes nothing; the type the ports need.
struct NoEvents;

impl EventPublisher for NoEvents {
    async fn publish(&self, _: Vec<SecurityEvent>) -> Result<(), EventError> {
        Ok(())
    }
}

pub async fn run(ctx: &Context, args: AuditArgs) -> Result<Exit, CliError> {
    let config = ctx.audit_config()?;
    let admin = ctx.admin(AdminFor::Audit).await?;
    let secrets = ctx.secrets();
    let now = Utc::now();
    let run_id = match &args.run_id {
        Some(id) => RunId::parse(id).map_err(|e| CliError::usage(format!("--run-id: {e}")))?,
        None => RunId::parse(&format!("{}-cli", now.format("%Y-%m-%dT%H:%M:%SZ")))
            .map_err(|e| CliError::usage(e.to_string()))?,
    };
    let request = AuditRequest {
        run_id,
        trigger: RunTrigger::Cli,
        scheduled_at: None,
        dry_run: args.no_record,
        keep_findings: true,
    };
    let summary = match (args.no_record, ctx.records()) {
        (false, None) => return Err(CliError::config(NO_TABLE)),
        (true, None) => {
            output::note("no records table: no baseline to compare with, no rotation history read");
            audit(
                &admin.client,
                &secrets,
                &NoRecords,
                &NoEvents,
                &config,
                &request,
            )
            .await?
        }
        (true, Some(records)) => {
            audit(
                &admin.client,
                &secrets,
                &records,
                &NoEvents,
                &config,
                &request,
            )
            .await?
        }
        (false, Some(records)) => {
            let events = ctx.audit_events();
            audit(
                &admin.client,
                &secrets,
                &records,
                &events,
                &config,
                &request,
            )
            .await?
        }
    };
    print(ctx, &summary, args.fail_on.map(Severity::from))
}

async fn audit<G, S, R, E>(
    genesys: &G,
    secrets: &S,
    records: &R,
    events: &E,
    config: &AuditConfig,
    request: &AuditRequest,
) -> Result<RunSummary, CliError>
where
    G: AuditGenesys + RequestMeter,
    S: SecretStore,
    R: RecordStore + RequestMeter,
    E: EventPublisher,
{
    let ports = Ports {
        genesys,
        secrets,
        records,
        events,
        genesys_meter: genesys,
        records_meter: records,
        hub: None,
    };
    let _p = Progress::spinner(if request.dry_run {
        "auditing the org (nothing recorded)"
    } else {
        "auditing the org"
    });
    Box::pin(run_audit(
        &ports,
        config,
        request,
        Utc::now(),
        &Deadline::after(RUN_BUDGET),
    ))
    .await
    .map_err(|e| CliError::new(Exit::Failure, e.error_type(), e.to_string()))
}

fn finding_json(f: &Finding) -> Value {
    json!({
        "severity": f.severity.as_str(),
        "code": f.code,
        "subject": {"kind": f.subject.kind(), "key": f.subject.key(), "name": f.subject.name(),
                    "clientId": f.subject.client_id()},
        "title": f.title,
        "evidence": f.evidence,
        "remediation": f.remediation,
        "source": f.source.as_str(),
    })
}

fn print(ctx: &Context, summary: &RunSummary, fail_on: Option<Severity>) -> Result<Exit, CliError> {
    let mut findings: Vec<&Finding> = summary.findings.iter().flatten().collect();
    findings.sort_by(|a, b| {
        (b.severity, &a.code, a.subject.key()).cmp(&(a.severity, &b.code, b.subject.key()))
    });
    if ctx.global.json {
        output::json(&json!({
            "summary": summary,
            "findings": findings.iter().map(|f| finding_json(f)).collect::<Vec<_>>(),
        }));
    } else {
        let by_severity: Vec<String> = summary
            .findings_by_severity
            .iter()
            .map(|(s, n)| format!("{s} {n}"))
            .collect();
        println!(
            "audit run {}{}: {} client(s), {} managed secret(s), {} finding(s){}",
            summary.run_id,
            if summary.dry_run {
                " (not recorded)"
            } else {
                ""
            },
            summary.clients_seen,
            summary.managed_secrets_seen,
            summary.findings_total,
            if by_severity.is_empty() {
                String::new()
            } else {
                format!(" ({})", by_severity.join(", "))
            },
        );
        let rows = findings
            .iter()
            .map(|f| {
                let subject = match f.subject.client_id() {
                    Some(id) if f.subject.kind() != "secret" => {
                        format!(
                            "{} {} ({})",
                            f.subject.kind(),
                            f.subject.name(),
                            output::short(id)
                        )
                    }
                    _ => format!("{} {}", f.subject.kind(), f.subject.name()),
                };
                vec![
                    f.severity.as_str().to_owned(),
                    f.code.clone(),
                    subject,
                    f.title.clone(),
                ]
            })
            .collect::<Vec<_>>();
        if !rows.is_empty() {
            println!(
                "{}",
                output::table(&["severity", "code", "subject", "finding"], rows)
            );
        }
        if !summary.dry_run {
            output::note(format!(
                "recorded as run {} ({} Genesys requests); the evidence and remediation of each finding: --json",
                summary.run_id, summary.genesys_requests
            ));
        }
    }
    for m in &summary.missing {
        output::warn(format!("not evaluated: {m}"));
    }
    if summary.outcome == outcome::PARTIAL {
        return Err(CliError::new(
            Exit::Unavailable,
            "audit_partial",
            "the audit could not read everything (above); run it again",
        ));
    }
    if let Some(threshold) = fail_on {
        if findings.iter().any(|f| f.severity >= threshold) {
            return Ok(Exit::Attention);
        }
    }
    Ok(Exit::Ok)
}

//! The run summary: what the function returns and the "Audit Completed" event carries. Built in
//! one place, from the run's record, whatever the path (recorded, dry, already complete).

use super::changes::ChangeKind;
use super::error::AuditError;
use crate::ports::events::Severity;
use crate::records::audit::{outcome, RunRecord};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunSummary {
    pub run_id: String,
    pub outcome: String,
    /// The run was already complete: nothing was redone.
    pub already_complete: bool,
    pub dry_run: bool,
    pub attempt: u32,
    pub trigger: String,
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
    /// Every finding, when the request kept them; never part of the function's answer or
    /// the event (their size grows with the org).
    #[serde(skip)]
    pub findings: Option<Vec<super::findings::Finding>>,
}

const SEVERITIES: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Info,
];

impl RunSummary {
    /// The summary of `run`; `by_code` is known only to the attempt that evaluated it (the
    /// record keeps the codes, not their counts).
    pub fn of(run: &RunRecord, by_code: BTreeMap<String, u64>) -> Self {
        let by_sev = [
            run.findings_critical,
            run.findings_high,
            run.findings_medium,
            run.findings_low,
            run.findings_info,
        ];
        let changes = [
            (ChangeKind::ClientAdded, run.clients_added),
            (ChangeKind::ClientRemoved, run.clients_removed),
            (ChangeKind::AccessChanged, run.access_changed),
            (ChangeKind::FindingNew, run.findings_new),
            (ChangeKind::FindingResolved, run.findings_resolved),
            (ChangeKind::SeverityChanged, run.severity_changed),
        ];
        Self {
            run_id: run.item.run_id.clone(),
            outcome: run.outcome.clone(),
            already_complete: false,
            dry_run: false,
            attempt: run.attempt,
            trigger: run.trigger.clone(),
            clients_seen: run.clients_seen,
            clients_recorded: run.clients_recorded,
            managed_secrets_seen: run.managed_secrets_seen,
            findings_total: run.findings_total,
            findings_by_severity: SEVERITIES
                .iter()
                .zip(by_sev)
                .map(|(s, n)| (s.as_str().to_owned(), n))
                .collect(),
            findings_by_code: by_code,
            baseline: run.baseline,
            previous_run_id: run.previous_run_id.clone(),
            changes: changes
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(k, n)| (k.as_str().to_owned(), *n))
                .collect(),
            missing: run.missing.clone(),
            duration_ms: run.duration_ms,
            genesys_requests: run.genesys_requests,
            dynamodb_requests: run.dynamodb_requests,
            finding_events_sent: run.finding_events_sent,
            finding_events_suppressed: run.finding_events_suppressed,
            findings: None,
        }
    }

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

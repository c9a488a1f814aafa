//! Counting what a run produced, as it is produced, and writing the counts into its record.

use super::changes::{Change, ChangeKind};
use super::events;
use super::findings::Finding;
use crate::ports::events::{SecurityEvent, Severity};
use crate::records::audit::RunRecord;
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Default)]
pub(super) struct Tally {
    pub by_severity: BTreeMap<Severity, u64>,
    pub by_code: BTreeMap<String, u64>,
    pub changes: BTreeMap<&'static str, u64>,
    pub changes_total: usize,
    pub clients_recorded: u64,
    pub trail_events: u64,
    /// Finding events to publish (new HIGH/CRITICAL findings, up to the cap).
    pub events: Vec<SecurityEvent>,
    pub events_suppressed: u64,
    /// The first changes, listed in the changes event.
    pub change_sample: Vec<Value>,
    pub highest_new: Option<Severity>,
    /// Every finding, when the caller asked for them ([`super::AuditRequest::keep_findings`]).
    pub kept: Option<Vec<Finding>>,
}

impl Tally {
    pub fn finding(&mut self, f: &Finding) {
        if let Some(kept) = self.kept.as_mut() {
            kept.push(f.clone());
        }
        *self.by_severity.entry(f.severity).or_default() += 1;
        *self.by_code.entry(f.code.clone()).or_default() += 1;
    }

    pub fn change(&mut self, c: &Change) {
        *self.changes.entry(c.kind.as_str()).or_default() += 1;
        self.changes_total += 1;
        if c.kind == ChangeKind::FindingNew {
            self.highest_new = self.highest_new.max(c.severity);
        }
        if self.change_sample.len() < events::CHANGES_IN_EVENT {
            self.change_sample.push(events::change_json(c));
        }
    }

    /// Finding and change counts into the run's record.
    pub fn record_into(&self, run: &mut RunRecord, previous_run_id: Option<String>) {
        let n = |s: Severity| self.by_severity.get(&s).copied().unwrap_or(0);
        run.findings_total = self.by_severity.values().sum();
        run.findings_critical = n(Severity::Critical);
        run.findings_high = n(Severity::High);
        run.findings_medium = n(Severity::Medium);
        run.findings_low = n(Severity::Low);
        run.findings_info = n(Severity::Info);
        run.codes_raised = self.by_code.keys().cloned().collect();
        run.baseline = previous_run_id.is_none();
        run.previous_run_id = previous_run_id;
        let c = |k: ChangeKind| self.changes.get(k.as_str()).copied().unwrap_or(0);
        run.changes_total = self.changes_total as u64;
        run.clients_added = c(ChangeKind::ClientAdded);
        run.clients_removed = c(ChangeKind::ClientRemoved);
        run.access_changed = c(ChangeKind::AccessChanged);
        run.findings_new = c(ChangeKind::FindingNew);
        run.findings_resolved = c(ChangeKind::FindingResolved);
        run.severity_changed = c(ChangeKind::SeverityChanged);
        run.clients_recorded = self.clients_recorded;
        run.trail_events = self.trail_events;
    }
}

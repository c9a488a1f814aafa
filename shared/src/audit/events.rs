//! Security events of a run: a summary ("Audit Completed"), one event per new HIGH or CRITICAL
//! finding ("Audit Finding"), and a summary of changes ("Audit Changes"). Ids, names, codes and
//! counts only; never a secret value.

use super::changes::Change;
use super::findings::Finding;
use crate::ports::events::{SecurityEvent, Severity};
use serde_json::{json, Value};

pub const DETAIL_COMPLETED: &str = "Audit Completed";
pub const DETAIL_FINDING: &str = "Audit Finding";
pub const DETAIL_CHANGES: &str = "Audit Changes";
/// Changes listed in the changes event (the full list is in the records).
pub const CHANGES_IN_EVENT: usize = 50;

pub fn finding_event(run_id: &str, f: &Finding, first_seen_run_id: &str) -> SecurityEvent {
    let (subject_name, secret_name, resources) = match &f.subject {
        super::findings::Subject::Client { name, .. } => (name.clone(), None, vec![]),
        super::findings::Subject::Secret { name, arn, .. } => (
            name.clone(),
            Some(name.clone()),
            if arn.starts_with("arn:") {
                vec![arn.clone()]
            } else {
                vec![]
            },
        ),
    };
    SecurityEvent {
        detail_type: DETAIL_FINDING.into(),
        severity: f.severity,
        resources,
        detail: json!({
            "runId": run_id,
            "code": f.code,
            "title": f.title,
            "subject": f.subject.key(),
            "subjectType": f.subject.kind(),
            "subjectName": subject_name,
            "clientId": f.subject.client_id(),
            "secretName": secret_name,
            "evidence": f.evidence,
            "remediation": f.remediation,
            "firstSeenRunId": first_seen_run_id,
        }),
    }
}

pub fn change_json(c: &Change) -> Value {
    json!({
        "kind": c.kind.as_str(),
        "subject": c.subject,
        "name": c.name,
        "code": c.code,
        "severity": c.severity.map(Severity::as_str),
        "previousSeverity": c.previous_severity.map(Severity::as_str),
    })
}

pub fn changes_event(
    run_id: &str,
    previous_run_id: &str,
    counts: Value,
    sample: Vec<Value>,
    total: usize,
    severity: Severity,
) -> SecurityEvent {
    SecurityEvent {
        detail_type: DETAIL_CHANGES.into(),
        severity,
        resources: vec![],
        detail: json!({
            "runId": run_id,
            "previousRunId": previous_run_id,
            "counts": counts,
            "total": total,
            "changes": sample,
            "truncated": total > CHANGES_IN_EVENT,
        }),
    }
}

pub fn completed_event(summary: Value, partial: bool) -> SecurityEvent {
    SecurityEvent {
        detail_type: DETAIL_COMPLETED.into(),
        severity: if partial {
            Severity::Medium
        } else {
            Severity::Info
        },
        resources: vec![],
        detail: summary,
    }
}

//! Security events of a run: a summary ("Audit Completed"), one event per new HIGH or CRITICAL
//! finding ("Audit Finding"), one per rotation notice while it holds ("Audit Rotation Notice"),
//! and a summary of changes ("Audit Changes"). Ids, names, codes and counts only; never a
//! secret value.

use super::changes::Change;
use super::findings::{Finding, Subject};
use crate::ports::events::{SecurityEvent, Severity};
use serde_json::{json, Value};

/// EventBridge `Source` of the audit's security events (the function's and the CLI's runs).
pub const EVENT_SOURCE: &str = "credguard.audit";

pub const DETAIL_COMPLETED: &str = "Audit Completed";
pub const DETAIL_FINDING: &str = "Audit Finding";
pub const DETAIL_CHANGES: &str = "Audit Changes";
pub const DETAIL_NOTICE: &str = "Audit Rotation Notice";
/// Changes listed in the changes event (the full list is in the records).
pub const CHANGES_IN_EVENT: usize = 50;

pub fn finding_event(run_id: &str, f: &Finding, first_seen_run_id: &str) -> SecurityEvent {
    let secret_name = match &f.subject {
        Subject::Secret { name, .. } => Some(name.clone()),
        Subject::Client { .. } | Subject::Credential { .. } => None,
    };
    about(
        DETAIL_FINDING,
        run_id,
        f,
        json!({
            "subjectType": f.subject.kind(),
            "subjectName": f.subject.name(),
            "secretName": secret_name,
            "evidence": f.evidence,
            "firstSeenRunId": first_seen_run_id,
        }),
    )
}

/// A rotation due soon that cannot happen, or overdue: sent in every run while it holds, like
/// Key Vault's near-expiry event, for the people who must act.
pub fn notice_event(run_id: &str, f: &Finding) -> SecurityEvent {
    about(
        DETAIL_NOTICE,
        run_id,
        f,
        json!({
            "secretName": f.subject.name(),
            "dueAt": f.evidence["dueAt"],
            "dueInHours": f.evidence.get("dueInHours"),
            "overdueHours": f.evidence.get("overdueHours"),
            "blockers": f.evidence["blockers"],
            "owner": f.evidence.get("owner"),
        }),
    )
}

/// An event about one finding: the secret's ARN as its resource, the fields every such event
/// carries, and `fields` of its kind.
fn about(detail_type: &str, run_id: &str, f: &Finding, fields: Value) -> SecurityEvent {
    let resources = match &f.subject {
        Subject::Secret { arn, .. } if arn.starts_with("arn:") => vec![arn.clone()],
        _ => vec![],
    };
    let mut detail = json!({
        "runId": run_id,
        "code": f.code,
        "title": f.title,
        "subject": f.subject.key(),
        "clientId": f.subject.client_id(),
        "remediation": f.remediation,
    });
    if let (Some(detail), Value::Object(fields)) = (detail.as_object_mut(), fields) {
        detail.extend(fields);
    }
    SecurityEvent {
        detail_type: detail_type.into(),
        severity: f.severity,
        resources,
        detail,
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

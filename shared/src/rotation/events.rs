//! Security events of rotation. Ids and outcomes only: never a secret value.

use crate::ports::events::{SecurityEvent, Severity};
use crate::records::rotation::RotationRecord;
use serde_json::json;

fn arn_list(r: &RotationRecord) -> Vec<String> {
    if r.secret_arn.starts_with("arn:") {
        vec![r.secret_arn.clone()]
    } else {
        vec![]
    }
}

pub fn completed(r: &RotationRecord) -> SecurityEvent {
    SecurityEvent {
        detail_type: "Rotation Completed".into(),
        severity: Severity::Info,
        resources: arn_list(r),
        detail: json!({
            "secretId": r.secret_id, "token": r.token, "strategy": r.strategy, "trigger": r.trigger,
            "clientId": r.client_id, "previousClientId": r.previous_client_id,
            "durationMs": r.duration_ms, "regenerations": r.regenerations,
            "dependentsUpdated": r.dependents_updated, "correlationIds": r.correlation_ids,
        }),
    }
}

pub fn failed(r: &RotationRecord, step: &str, error_type: &str, retryable: bool) -> SecurityEvent {
    // A regenerate attempt that may already have replaced the secret leaves consumers without a
    // working credential until it converges: that is urgent.
    let severity = if r.strategy == "regenerate" && r.regenerations > 0 {
        Severity::Critical
    } else if retryable {
        Severity::Medium
    } else {
        Severity::High
    };
    SecurityEvent {
        detail_type: "Rotation Failed".into(),
        severity,
        resources: arn_list(r),
        detail: json!({
            "secretId": r.secret_id, "token": r.token, "strategy": r.strategy, "trigger": r.trigger,
            "clientId": r.client_id, "step": step, "errorType": error_type, "retryable": retryable,
            "regenerations": r.regenerations, "errorMessage": r.error_message,
        }),
    }
}

pub fn retired(r: &RotationRecord, client_id: &str) -> SecurityEvent {
    SecurityEvent {
        detail_type: "Client Retired".into(),
        severity: Severity::Info,
        resources: arn_list(r),
        detail: json!({ "secretId": r.secret_id, "token": r.token, "retiredClientId": client_id }),
    }
}

pub fn dependents_failed(r: &RotationRecord) -> SecurityEvent {
    SecurityEvent {
        detail_type: "Rotation Dependents Failed".into(),
        severity: Severity::High,
        resources: arn_list(r),
        detail: json!({
            "secretId": r.secret_id, "token": r.token, "clientId": r.client_id,
            "integrationCredentials": r.dependents_failed,
        }),
    }
}

/// A Secrets Manager rotation that stopped moving was started again.
pub fn stuck(r: &RotationRecord) -> SecurityEvent {
    // A regenerate attempt past its regeneration may have left a dead AWSCURRENT.
    let severity = if r.strategy == "regenerate" && r.regenerations > 0 {
        Severity::Critical
    } else {
        Severity::High
    };
    SecurityEvent {
        detail_type: "Rotation Stuck".into(),
        severity,
        resources: arn_list(r),
        detail: json!({
            "secretId": r.secret_id, "token": r.token, "strategy": r.strategy,
            "clientId": r.client_id, "stepReached": r.step_reached, "updatedAt": r.updated_at,
            "redriven": r.redriven, "regenerations": r.regenerations,
        }),
    }
}

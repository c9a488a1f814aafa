//! Security events of the revocation API. Ids, fingerprints and outcomes: never a token.

use crate::ports::events::{SecurityEvent, Severity};
use crate::records::revocation::RevocationRecord;
use serde_json::{json, Value};

pub fn for_record(
    r: &RevocationRecord,
    detail_type: &str,
    severity: Severity,
    extra: Value,
) -> SecurityEvent {
    let mut detail = json!({
        "revocationId": r.revocation_id, "action": r.action, "outcome": r.outcome,
        "target": r.target, "requestedBy": r.requested_by.arn, "reason": r.reason,
        "breakGlass": r.break_glass, "dryRun": r.dry_run, "correlationIds": r.correlation_ids,
    });
    if let (Some(d), Value::Object(e)) = (detail.as_object_mut(), extra) {
        d.extend(e);
    }
    SecurityEvent {
        detail_type: detail_type.into(),
        severity,
        resources: vec![],
        detail,
    }
}

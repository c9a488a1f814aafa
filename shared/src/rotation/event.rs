//! What invokes the rotation function: Secrets Manager's rotation event, a schedule (sweep), or
//! an explicit "rotate now" request.

use super::error::RotationError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The native Secrets Manager rotation event. Our own struct: `RotationToken` must reach
/// `PutSecretValue` when present.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct SecretsManagerRotationEvent {
    #[serde(rename = "Step")]
    pub step: String,
    #[serde(rename = "SecretId")]
    pub secret_id: String,
    #[serde(rename = "ClientRequestToken")]
    pub client_request_token: String,
    #[serde(rename = "RotationToken", default)]
    pub rotation_token: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    CreateSecret,
    SetSecret,
    TestSecret,
    FinishSecret,
}

impl Step {
    pub const ALL: [Step; 4] = [
        Step::CreateSecret,
        Step::SetSecret,
        Step::TestSecret,
        Step::FinishSecret,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "createSecret" => Some(Self::CreateSecret),
            "setSecret" => Some(Self::SetSecret),
            "testSecret" => Some(Self::TestSecret),
            "finishSecret" => Some(Self::FinishSecret),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreateSecret => "createSecret",
            Self::SetSecret => "setSecret",
            Self::TestSecret => "testSecret",
            Self::FinishSecret => "finishSecret",
        }
    }
}

/// `{"action": "rotateNow", ...}`: one secret, now (the revocation API's emergency rotation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RotateNowRequest {
    pub action: String,
    pub secret_id: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub requested_by: Option<String>,
    /// Alternating: disable the previous client right after the switch (a leak), instead of
    /// after the grace period.
    #[serde(default)]
    pub retire_previous_now: bool,
    /// The requester's id for this request (the revocation id): a retry of the same request
    /// gets the first attempt's outcome instead of a second rotation, and the requester finds
    /// the attempt by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// A request id becomes the version id (`ClientRequestToken`) of the attempt it starts, which
/// Secrets Manager accepts only with 32 to 64 characters: checked before anything happens, not
/// after a secret was regenerated.
pub fn valid_request_id(id: &str) -> bool {
    (32..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

impl RotateNowRequest {
    pub fn intent(&self) -> super::protocol::Intent {
        super::protocol::Intent {
            reason: self.reason.clone(),
            requested_by: self.requested_by.clone(),
            retire_previous_now: self.retire_previous_now,
            request_id: self.request_id.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invocation {
    Step(SecretsManagerRotationEvent, Step),
    Sweep { dry_run: bool },
    RotateNow(RotateNowRequest),
}

/// Recognises the three shapes. A scheduled EventBridge event (rule or Scheduler with no
/// input) is a sweep; Scheduler input `{"action": "sweep", "dryRun": true}` too.
pub fn parse(payload: &Value) -> Result<Invocation, RotationError> {
    let bad = |m: String| RotationError::InvalidEvent(m);
    if payload.get("Step").is_some() {
        let e: SecretsManagerRotationEvent = serde_json::from_value(payload.clone())
            .map_err(|e| bad(format!("rotation event: {e}")))?;
        let step = Step::parse(&e.step).ok_or_else(|| bad(format!("unknown Step {:?}", e.step)))?;
        if e.secret_id.is_empty() || e.client_request_token.is_empty() {
            return Err(bad(
                "SecretId and ClientRequestToken must not be empty".into()
            ));
        }
        return Ok(Invocation::Step(e, step));
    }
    match payload.get("action").and_then(Value::as_str) {
        Some("sweep") => {
            let dry_run = match payload.get("dryRun") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err(bad("dryRun must be a boolean".into())),
            };
            Ok(Invocation::Sweep { dry_run })
        }
        Some("rotateNow") => {
            let req: RotateNowRequest = serde_json::from_value(payload.clone())
                .map_err(|e| bad(format!("rotateNow: {e}")))?;
            if req
                .request_id
                .as_deref()
                .is_some_and(|id| !valid_request_id(id))
            {
                return Err(bad(
                    "rotateNow: requestId must be 32 to 64 letters, digits or '-' (it becomes the version id)".into(),
                ));
            }
            Ok(Invocation::RotateNow(req))
        }
        Some(other) => Err(bad(format!(
            "unknown action {other:?} (sweep or rotateNow)"
        ))),
        None if payload.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event") => {
            Ok(Invocation::Sweep { dry_run: false })
        }
        None => Err(bad(
            "expected a Secrets Manager rotation event, a scheduled event, or {\"action\": ...}"
                .into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn recognises_each_shape() {
        let sm = json!({"Step": "createSecret", "SecretId": "arn:x", "ClientRequestToken": "t", "RotationToken": "rt"});
        match parse(&sm).unwrap() {
            Invocation::Step(e, Step::CreateSecret) => {
                assert_eq!(e.rotation_token.as_deref(), Some("rt"))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            parse(&json!({"action": "sweep", "dryRun": true})).unwrap(),
            Invocation::Sweep { dry_run: true }
        );
        assert_eq!(
            parse(&json!({"detail-type": "Scheduled Event", "source": "aws.events"})).unwrap(),
            Invocation::Sweep { dry_run: false }
        );
        assert!(matches!(
            parse(&json!({"action": "rotateNow", "secretId": "s", "reason": "leak"})).unwrap(),
            Invocation::RotateNow(_)
        ));
        // The revocation API's ids are UUIDs.
        let id = "0b6f3c1e-8a52-4d0f-9f4e-2f7c1a9d3e55";
        assert!(matches!(
            parse(&json!({"action": "rotateNow", "secretId": "s", "requestId": id})).unwrap(),
            Invocation::RotateNow(r) if r.request_id.as_deref() == Some(id)
        ));
    }

    #[test]
    fn rejects_bad_input_with_a_typed_error() {
        for bad in [
            json!({"Step": "deleteSecret", "SecretId": "s", "ClientRequestToken": "t"}),
            json!({"Step": "createSecret", "SecretId": "s"}),
            json!({"action": "explode"}),
            json!({"action": "rotateNow"}),
            json!({"action": "rotateNow", "secretId": "s", "surprise": 1}),
            json!({"action": "rotateNow", "secretId": "s", "requestId": "too-short"}),
            json!({"action": "rotateNow", "secretId": "s", "requestId": "a/b".repeat(12)}),
            json!({"action": "sweep", "dryRun": "yes"}),
            json!([1, 2]),
            json!(null),
        ] {
            assert!(
                matches!(parse(&bad), Err(RotationError::InvalidEvent(_))),
                "{bad}"
            );
        }
    }
}

//! Lambda adapter for [`RotationTrigger`]: an asynchronous `Invoke` of the rotation function.

use super::failure;
use crate::ports::functions::{RotationTrigger, TriggerError};
use crate::rotation::event::RotateNowRequest;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use aws_sdk_lambda::Client;

#[derive(Clone, Debug)]
pub struct LambdaRotationTrigger {
    client: Client,
    function: Option<String>,
}

impl LambdaRotationTrigger {
    pub fn new(config: &aws_config::SdkConfig, function: Option<String>) -> Self {
        Self {
            client: Client::new(config),
            function,
        }
    }
}

impl RotationTrigger for LambdaRotationTrigger {
    async fn rotate_now(&self, req: &RotateNowRequest) -> Result<(), TriggerError> {
        let function = self
            .function
            .as_deref()
            .ok_or(TriggerError::NotConfigured)?;
        let payload = serde_json::json!({
            "action": "rotateNow",
            "secretId": req.secret_id,
            "reason": req.reason,
            "requestedBy": req.requested_by,
            "retirePreviousNow": req.retire_previous_now,
        });
        super::iam::used("lambda:InvokeFunction");
        let out = self
            .client
            .invoke()
            .function_name(function)
            .invocation_type(InvocationType::Event)
            .payload(Blob::new(payload.to_string()))
            .send()
            .await
            .map_err(|e| {
                let f = failure(&e);
                TriggerError::Failed(format!("{}: {}", f.code, f.message))
            })?;
        match out.function_error() {
            Some(err) => Err(TriggerError::Failed(err.to_owned())),
            None => Ok(()),
        }
    }
}

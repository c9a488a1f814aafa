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
    async fn request_rotation(&self, req: &RotateNowRequest) -> Result<(), TriggerError> {
        let function = self
            .function
            .as_deref()
            .ok_or(TriggerError::NotConfigured)?;
        // The request as the rotation function parses it: a field added there travels too.
        let payload = serde_json::to_vec(req).map_err(|e| TriggerError::Failed(e.to_string()))?;
        // An `Event` invocation is queued (202): the function's own outcome is not known here.
        self.client
            .invoke()
            .function_name(function)
            .invocation_type(InvocationType::Event)
            .payload(Blob::new(payload))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                let f = failure(&e);
                TriggerError::Failed(format!("{}: {}", f.code, f.message))
            })
    }
}

//! Lambda adapters: [`RotationTrigger`] (an asynchronous `Invoke` of the rotation function) and
//! [`BackgroundJobs`] (an asynchronous `Invoke` of the revocation function itself).

use super::failure;
use crate::ports::functions::{BackgroundJobs, RotationTrigger, TriggerError};
use crate::rotation::event::RotateNowRequest;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use aws_sdk_lambda::Client;
use serde::Serialize;

/// One function, invoked asynchronously (`Event`): the call is queued (202) and the function's
/// own outcome is not known here.
#[derive(Clone, Debug)]
struct AsyncFunction {
    client: Client,
    function: Option<String>,
}

impl AsyncFunction {
    async fn invoke(&self, payload: &impl Serialize) -> Result<(), TriggerError> {
        let function = self
            .function
            .as_deref()
            .ok_or(TriggerError::NotConfigured)?;
        let payload =
            serde_json::to_vec(payload).map_err(|e| TriggerError::Failed(e.to_string()))?;
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

#[derive(Clone, Debug)]
pub struct LambdaRotationTrigger(AsyncFunction);

impl LambdaRotationTrigger {
    pub fn new(config: &aws_config::SdkConfig, function: Option<String>) -> Self {
        Self(AsyncFunction {
            client: Client::new(config),
            function,
        })
    }
}

impl RotationTrigger for LambdaRotationTrigger {
    async fn request_rotation(&self, req: &RotateNowRequest) -> Result<(), TriggerError> {
        // The request as the rotation function parses it: a field added there travels too.
        self.0.invoke(req).await
    }
}

/// What the revocation function receives to continue a bulk revocation in the background.
pub fn bulk_job_event(id: &str) -> serde_json::Value {
    serde_json::json!({"action": "continueBulkRevocation", "revocationId": id})
}

/// Invokes a function (the revocation function itself) asynchronously with a job.
#[derive(Clone, Debug)]
pub struct LambdaJobs(AsyncFunction);

impl LambdaJobs {
    /// `function`: the function to invoke; in Lambda, its own name (`AWS_LAMBDA_FUNCTION_NAME`).
    pub fn new(config: &aws_config::SdkConfig, function: Option<String>) -> Self {
        Self(AsyncFunction {
            client: Client::new(config),
            function,
        })
    }
}

impl BackgroundJobs for LambdaJobs {
    async fn continue_bulk(&self, id: &str) -> Result<(), TriggerError> {
        self.0.invoke(&bulk_job_event(id)).await
    }
}

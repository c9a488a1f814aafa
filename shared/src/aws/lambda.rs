//! Lambda adapters: [`RotationTrigger`] (an asynchronous `Invoke` of the rotation function),
//! [`BackgroundJobs`] (an asynchronous `Invoke` of the revocation function itself) and
//! [`RotationCall`] (a synchronous `Invoke` of the rotation function, for the CLI).

use super::failure;
use crate::ports::functions::{
    BackgroundJobs, RotationCall, RotationCallError, RotationTrigger, TriggerError,
};
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

/// The rotation function invoked synchronously (`RequestResponse`): the answer is its report,
/// or its error when it did not rotate. A rotation may outlast the SDK's usual 15 s, so this
/// client waits as long as the function may run.
#[derive(Clone, Debug)]
pub struct LambdaRotationCall {
    client: Client,
    function: Option<String>,
}

impl LambdaRotationCall {
    /// `wait`: how long one invocation may take (the function's timeout and a margin).
    pub fn new(
        config: &aws_config::SdkConfig,
        function: Option<String>,
        wait: std::time::Duration,
    ) -> Self {
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(std::time::Duration::from_secs(3))
            .read_timeout(wait)
            .operation_attempt_timeout(wait)
            .operation_timeout(wait)
            .build();
        let conf = aws_sdk_lambda::config::Builder::from(config)
            .timeout_config(timeouts)
            .build();
        Self {
            client: Client::from_conf(conf),
            function,
        }
    }
}

impl RotationCall for LambdaRotationCall {
    async fn rotate_now(
        &self,
        req: &RotateNowRequest,
    ) -> Result<serde_json::Value, RotationCallError> {
        let function = self
            .function
            .as_deref()
            .ok_or(RotationCallError::NotConfigured)?;
        let payload =
            serde_json::to_vec(req).map_err(|e| RotationCallError::Unavailable(e.to_string()))?;
        let out = self
            .client
            .invoke()
            .function_name(function)
            .invocation_type(InvocationType::RequestResponse)
            .payload(Blob::new(payload))
            .send()
            .await
            .map_err(|e| {
                // Local Lambda emulators answer a function's error with an error status and
                // the error document, where Lambda answers 200 with `FunctionError`.
                let document = e
                    .raw_response()
                    .and_then(|r| r.body().bytes())
                    .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
                    .filter(|v| v.get("errorType").is_some());
                match document {
                    Some(v) => function_failed(&v, None),
                    None => {
                        let f = failure(&e);
                        RotationCallError::Unavailable(format!("{}: {}", f.code, f.message))
                    }
                }
            })?;
        let body: serde_json::Value = out
            .payload()
            .and_then(|p| serde_json::from_slice(p.as_ref()).ok())
            .unwrap_or(serde_json::Value::Null);
        if out.function_error().is_some() || body.get("errorType").is_some() {
            return Err(function_failed(&body, out.function_error()));
        }
        Ok(body)
    }
}

/// The function's error document (`errorType`, `errorMessage`).
fn function_failed(doc: &serde_json::Value, function_error: Option<&str>) -> RotationCallError {
    let text = |k: &str| doc.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    RotationCallError::Failed {
        error_type: text("errorType")
            .or_else(|| function_error.map(str::to_owned))
            .unwrap_or_else(|| "Unhandled".into()),
        message: text("errorMessage").unwrap_or_default(),
    }
}

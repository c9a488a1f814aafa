//! The AWS adapters: one per service, each implementing a port from `crate::ports`.
//! Endpoints come from the standard SDK configuration (`AWS_ENDPOINT_URL` locally).

#[cfg(feature = "cloudformation")]
pub mod cloudformation;
pub mod dynamodb;
pub mod eventbridge;
pub mod lambda;
pub mod secretsmanager;
pub mod securityhub;
#[cfg(any(test, feature = "testing"))]
pub mod setup;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use std::time::Duration;

/// Loads the SDK configuration once per container. Each AWS call is bounded: one attempt may
/// take 5 s, a call with its retries 15 s, so a slow dependency cannot eat the Lambda budget.
pub async fn load_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_attempt_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(15))
                .build(),
        )
        .load()
        .await
}

/// What went wrong with an SDK call, reduced to an error code and a message.
pub(crate) struct Failure {
    pub code: String,
    pub message: String,
}

impl Failure {
    pub fn is_throttling(&self) -> bool {
        matches!(
            self.code.as_str(),
            "ThrottlingException"
                | "Throttling"
                | "TooManyRequestsException"
                | "ProvisionedThroughputExceededException"
                | "RequestLimitExceeded"
                | "LimitExceededException"
        )
    }

    pub fn is_access_denied(&self) -> bool {
        matches!(
            self.code.as_str(),
            "AccessDeniedException" | "AccessDenied" | "UnrecognizedClientException"
        )
    }
}

pub(crate) fn failure<E, R>(err: &SdkError<E, R>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match err {
        SdkError::ServiceError(se) => Failure {
            code: se.err().code().unwrap_or("Unknown").to_owned(),
            message: se.err().message().unwrap_or_default().to_owned(),
        },
        SdkError::TimeoutError(_) => Failure {
            code: "Timeout".into(),
            message: "request timed out".into(),
        },
        other => Failure {
            code: "Dispatch".into(),
            message: aws_smithy_error_text(other),
        },
    }
}

fn aws_smithy_error_text(e: &dyn std::error::Error) -> String {
    // The source chain carries the useful part (connection refused, DNS, ...).
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

pub(crate) fn to_chrono(
    t: &aws_sdk_secretsmanager::primitives::DateTime,
) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

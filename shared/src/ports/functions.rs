//! Handing work to another of our functions (the revocation API's emergency rotation runs in
//! the rotation function, which may take longer than an API request may).

use crate::rotation::event::RotateNowRequest;
use std::future::Future;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TriggerError {
    #[error("no function is configured to hand this work to")]
    NotConfigured,
    #[error("could not hand the work over: {0}")]
    Failed(String),
}

pub trait RotationTrigger: Send + Sync {
    /// Starts a "rotate now" for one secret, without waiting for it to finish.
    fn request_rotation(
        &self,
        req: &RotateNowRequest,
    ) -> impl Future<Output = Result<(), TriggerError>> + Send;
}

/// Work the revocation API does after answering (a bulk revocation larger than a request can
/// hold): started, or continued, in a fresh invocation of the function.
pub trait BackgroundJobs: Send + Sync {
    /// Starts (or continues) bulk revocation `id` without waiting for it.
    fn continue_bulk(&self, id: &str) -> impl Future<Output = Result<(), TriggerError>> + Send;
}

/// Why a rotation asked of the deployed function did not rotate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RotationCallError {
    #[error("no rotation function is configured")]
    NotConfigured,
    /// The function ran and failed the invocation: it did not rotate (invariant 4).
    #[error("the rotation function failed: {error_type}: {message}")]
    Failed { error_type: String, message: String },
    /// The call itself failed (permissions, network, throttling): the outcome is unknown; the
    /// same request id may be sent again without rotating twice.
    #[error("could not call the rotation function: {0}")]
    Unavailable(String),
}

/// "Rotate now", waiting for the outcome (an engineer's terminal, not the API, which must
/// answer within 29 s and hands the work over instead).
pub trait RotationCall: Send + Sync {
    /// The function's answer (a `SecretReport`) when it rotated.
    fn rotate_now(
        &self,
        req: &RotateNowRequest,
    ) -> impl Future<Output = Result<serde_json::Value, RotationCallError>> + Send;
}

//! Handing work to another of our functions (the revocation API's emergency rotation runs in
//! the rotation function, which may take longer than an API request may).

use crate::rotation::event::RotateNowRequest;
use std::future::Future;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TriggerError {
    #[error("no rotation function is configured (ROTATION_FUNCTION_NAME)")]
    NotConfigured,
    #[error("could not start the rotation: {0}")]
    Failed(String),
}

pub trait RotationTrigger: Send + Sync {
    /// Starts a "rotate now" for one secret, without waiting for it to finish.
    fn request_rotation(
        &self,
        req: &RotateNowRequest,
    ) -> impl Future<Output = Result<(), TriggerError>> + Send;
}

//! Security events: what happened, for SIEMs and humans. Never a secret or token value.

use serde::Serialize;
use serde_json::Value;
use std::future::Future;

/// The EventBridge source of rotation and revocation events (the audit's is
/// `credguard.audit`, `audit::events::EVENT_SOURCE`): rules and the docs match on it.
pub const EVENT_SOURCE: &str = "credguard";

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "INFO",
            Self::Low => "LOW",
            Self::Medium => "MEDIUM",
            Self::High => "HIGH",
            Self::Critical => "CRITICAL",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityEvent {
    /// EventBridge `DetailType`, e.g. `Rotation Completed`.
    pub detail_type: String,
    pub severity: Severity,
    /// ARNs or ids the event is about (EventBridge `Resources` takes ARNs only, so ids go in
    /// the detail; this list is for ARNs).
    pub resources: Vec<String>,
    pub detail: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("{failed} of {total} events were not accepted: {message}")]
    Rejected {
        failed: usize,
        total: usize,
        message: String,
    },
    #[error("event bus unavailable: {0}")]
    Unavailable(String),
}

pub trait EventPublisher: Send + Sync {
    fn publish(
        &self,
        events: Vec<SecurityEvent>,
    ) -> impl Future<Output = Result<(), EventError>> + Send;
}

//! What the sweep and "rotate now" answer: one line per secret.

use super::error::RotationError;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    Rotated,
    Retired,
    /// Taken under management: its rotation clock starts now (see `schedule`).
    Adopted,
    NotDue,
    OwnedBySecretsManager,
    StartedBySecretsManager,
    /// A Secrets Manager rotation that stopped moving was started again.
    Redriven,
    Busy,
    Deferred,
    NeedsAttention,
    Failed,
    WouldRotate,
    WouldRetire,
    WouldAdopt,
    WouldRedrive,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretReport {
    pub secret_id: String,
    pub action: Action,
    pub detail: Option<String>,
    pub token: Option<String>,
    pub version_before: Option<String>,
    pub version_after: Option<String>,
    pub due_at: Option<String>,
    pub error_type: Option<String>,
    /// Work that another run soon can finish (a retryable failure, a resume found busy): the
    /// sweep's invocation fails so that Lambda retries it.
    #[serde(skip)]
    pub unfinished: bool,
}

impl SecretReport {
    pub fn new(secret_id: &str, action: Action) -> Self {
        Self {
            secret_id: secret_id.into(),
            action,
            detail: None,
            token: None,
            version_before: None,
            version_after: None,
            due_at: None,
            error_type: None,
            unfinished: false,
        }
    }

    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = Some(d.into());
        self
    }

    /// `e` stopped the work on this secret; `context` says where.
    pub fn failed(secret_id: &str, context: Option<&str>, e: &RotationError) -> Self {
        let detail = match context {
            Some(c) => format!("{c}: {e}"),
            None => e.to_string(),
        };
        let mut r = Self::new(secret_id, Action::Failed).detail(detail);
        r.error_type = Some(e.error_type());
        r.unfinished = e.is_retryable();
        r
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepReport {
    pub dry_run: bool,
    pub examined: usize,
    pub rotated: usize,
    pub retired: usize,
    pub failed: usize,
    pub secrets: Vec<SecretReport>,
}

impl SweepReport {
    /// What another run soon can finish, if anything (for the invocation's error).
    pub fn unfinished(&self) -> Option<String> {
        let names: Vec<&str> = self
            .secrets
            .iter()
            .filter(|r| r.unfinished)
            .map(|r| r.secret_id.as_str())
            .collect();
        (!names.is_empty()).then(|| names.join(", "))
    }
}

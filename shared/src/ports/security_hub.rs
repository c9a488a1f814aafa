//! What the audit needs from a findings hub (AWS Security Hub): import findings, and mark some
//! resolved. Domain types only; the adapter (`aws::securityhub`) speaks ASFF.
//!
//! Object-safe (boxed futures): the hub is optional, so the audit holds it as `dyn`.

use crate::ports::events::Severity;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResourceKind {
    /// `AwsSecretsManagerSecret`, identified by its ARN.
    SecretsManagerSecret,
    /// Anything outside AWS (a Genesys OAuth client, an integration credential).
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HubResource {
    pub kind: ResourceKind,
    pub id: String,
    /// Plain facts about it (names, ids), shown with the resource.
    pub details: BTreeMap<String, String>,
}

/// A finding as the hub keeps it. `id` is stable per subject and code, so importing it again
/// updates it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HubFinding {
    pub id: String,
    pub generator_id: String,
    pub types: Vec<String>,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub remediation: String,
    /// When the issue was first seen (`CreatedAt`, `FirstObservedAt`).
    pub first_seen_at: DateTime<Utc>,
    /// This import (`UpdatedAt`, `LastObservedAt`).
    pub updated_at: DateTime<Utc>,
    pub resources: Vec<HubResource>,
    /// Where it comes from (`ProductFields`): the records table, the run, the item.
    pub source: BTreeMap<String, String>,
    /// `false`: the issue is gone (`RecordState` `ARCHIVED`).
    pub active: bool,
}

/// A finding the hub did not take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HubRejection {
    pub id: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HubError {
    #[error("findings hub throttled: {0}")]
    Throttled(String),
    #[error("findings hub refused the request: {0}")]
    Refused(String),
    #[error("findings hub unavailable: {0}")]
    Unavailable(String),
}

/// Findings per `BatchImportFindings` / `BatchUpdateFindings` call (the service's limit): the
/// audit sends batches of this size, the adapter never more.
pub const FINDINGS_PER_CALL: usize = 100;

pub trait FindingsHub: Send + Sync {
    /// Creates or updates each finding (in batches the hub accepts); returns those it refused.
    fn import(
        &self,
        findings: Vec<HubFinding>,
    ) -> BoxFuture<'_, Result<Vec<HubRejection>, HubError>>;
    /// Marks these findings resolved in the hub's workflow; returns those it could not.
    fn resolve(&self, ids: Vec<String>) -> BoxFuture<'_, Result<Vec<HubRejection>, HubError>>;
}

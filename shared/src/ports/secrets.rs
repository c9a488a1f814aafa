//! What the domain needs from Secrets Manager: the version/stage model of the rotation protocol.

use crate::redact::SecretString;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::future::Future;

pub const AWSCURRENT: &str = "AWSCURRENT";
pub const AWSPENDING: &str = "AWSPENDING";
pub const AWSPREVIOUS: &str = "AWSPREVIOUS";

/// `DescribeSecret`, reduced to what rotation and audit use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SecretMetadata {
    pub arn: String,
    pub name: String,
    pub rotation_enabled: bool,
    pub rotation_lambda_arn: Option<String>,
    /// Version id → staging labels.
    pub versions: BTreeMap<String, Vec<String>>,
    pub tags: BTreeMap<String, String>,
    pub created: Option<DateTime<Utc>>,
    pub last_rotated: Option<DateTime<Utc>>,
    pub last_changed: Option<DateTime<Utc>>,
}

impl SecretMetadata {
    /// The version carrying `stage`, if any (a stage is on at most one version).
    pub fn version_with_stage(&self, stage: &str) -> Option<&str> {
        self.versions
            .iter()
            .find(|(_, stages)| stages.iter().any(|s| s == stage))
            .map(|(v, _)| v.as_str())
    }

    pub fn stages_of(&self, version: &str) -> &[String] {
        self.versions.get(version).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn has_version(&self, version: &str) -> bool {
        self.versions.contains_key(version)
    }

    /// The ARN when known (unambiguous), else the name.
    pub fn arn_or_name(&self) -> String {
        if self.arn.is_empty() {
            self.name.clone()
        } else {
            self.arn.clone()
        }
    }
}

/// Which version to read. Reads always name one: never rely on an implicit default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionRef<'a> {
    Stage(&'a str),
    Id(&'a str),
}

/// One secret version and its value.
#[derive(Clone, Debug)]
pub struct SecretVersion {
    pub version_id: String,
    pub stages: Vec<String>,
    pub value: SecretString,
    pub created: Option<DateTime<Utc>>,
}

/// A version without its value (`ListSecretVersionIds`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionInfo {
    pub version_id: String,
    pub stages: Vec<String>,
    pub created: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretsError {
    #[error("secret or version not found: {0}")]
    NotFound(String),
    /// The request conflicts with the secret's state (e.g. a version id reused with a
    /// different value, or rotation already in progress).
    #[error("secrets manager refused the request: {0}")]
    Conflict(String),
    #[error("secrets manager throttled the request: {0}")]
    Throttled(String),
    #[error("secrets manager unavailable: {0}")]
    Unavailable(String),
    #[error("access denied by secrets manager: {0}")]
    AccessDenied(String),
}

impl SecretsError {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "SecretNotFound",
            Self::Conflict(_) => "SecretConflict",
            Self::Throttled(_) => "SecretsThrottled",
            Self::Unavailable(_) => "SecretsUnavailable",
            Self::AccessDenied(_) => "SecretsAccessDenied",
        }
    }

    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Throttled(_) | Self::Unavailable(_))
    }
}

/// Secrets Manager operations of the rotation protocol.
pub trait SecretStore: Send + Sync {
    fn describe(
        &self,
        secret_id: &str,
    ) -> impl Future<Output = Result<SecretMetadata, SecretsError>> + Send;

    fn get_version(
        &self,
        secret_id: &str,
        version: VersionRef<'_>,
    ) -> impl Future<Output = Result<SecretVersion, SecretsError>> + Send;

    /// `PutSecretValue` as `AWSPENDING` with `version_id` as the `ClientRequestToken`, which makes
    /// the put idempotent; `rotation_token` is passed through when Secrets Manager gave one.
    fn put_pending(
        &self,
        secret_id: &str,
        version_id: &str,
        value: &SecretString,
        rotation_token: Option<&str>,
    ) -> impl Future<Output = Result<(), SecretsError>> + Send;

    /// `UpdateSecretVersionStage`: puts `stage` on `to_version`, taking it off `from_version`.
    fn move_stage(
        &self,
        secret_id: &str,
        stage: &str,
        to_version: Option<&str>,
        from_version: Option<&str>,
    ) -> impl Future<Output = Result<(), SecretsError>> + Send;

    /// Secrets carrying the tag `key=value` (the sweep's managed set).
    fn list_tagged(
        &self,
        key: &str,
        value: &str,
    ) -> impl Future<Output = Result<Vec<SecretMetadata>, SecretsError>> + Send;

    /// Versions with their stages and creation dates, without values: how old the current
    /// credential is can be known without reading it.
    fn list_versions(
        &self,
        secret_id: &str,
    ) -> impl Future<Output = Result<Vec<VersionInfo>, SecretsError>> + Send;

    /// Sets tags (rotation keeps the `credguard:*` tags in step with the stored credential).
    fn tag(
        &self,
        secret_id: &str,
        tags: &[(&str, &str)],
    ) -> impl Future<Output = Result<(), SecretsError>> + Send;

    /// `RotateSecret` (immediately) with `token`, for secrets whose rotation Secrets Manager
    /// runs: Secrets Manager then invokes the rotation function's steps. With the token of a
    /// pending rotation, that rotation is attempted again.
    fn start_rotation(
        &self,
        secret_id: &str,
        token: &str,
    ) -> impl Future<Output = Result<(), SecretsError>> + Send;
}

/// A new secret: what `credguard adopt` writes. Never part of [`SecretStore`]: the functions
/// never create secrets, so their roles need no `CreateSecret`.
#[derive(Clone, Debug)]
pub struct NewSecret<'a> {
    pub name: &'a str,
    pub value: &'a SecretString,
    pub description: Option<&'a str>,
    pub tags: &'a [(&'a str, &'a str)],
    /// A customer managed key; `None` uses Secrets Manager's own key.
    pub kms_key_id: Option<&'a str>,
}

/// Creating a secret with its first value and its tags in one call, so a managed secret never
/// exists without the tags that say when it is due.
pub trait SecretCreator: Send + Sync {
    /// `CreateSecret`; returns the new secret's ARN. An existing name is a `Conflict`.
    fn create_secret(
        &self,
        secret: &NewSecret<'_>,
    ) -> impl Future<Output = Result<String, SecretsError>> + Send;
}

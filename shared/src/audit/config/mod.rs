//! Audit policy: thresholds, permission patterns per severity, severity overrides. Defaults are
//! documented in `docs/audit.md` ("Configuration"); everything can be changed without a code
//! edit, either with one environment variable per setting or with one JSON document in
//! `AUDIT_CONFIG_JSON` (individual variables win over the document): [`load`] reads them.

pub mod load;
#[cfg(test)]
mod tests;

pub use load::*;

use super::findings::{builtin, codes, Source, CATALOG};
use crate::genesys::UsageApi;
use crate::ports::events::Severity;
use std::collections::{BTreeMap, BTreeSet};

pub const DEFAULT_ADMIN_PERMISSIONS: &[&str] = &["*:*:*", "directory:organization:admin"];
pub const DEFAULT_CREDENTIAL_ADMIN_PERMISSIONS: &[&str] = &[
    "oauth:client:add",
    "oauth:client:edit",
    "oauth:client:delete",
    "authorization:role:add",
    "authorization:role:edit",
    "authorization:role:delete",
    "authorization:grant:add",
    "authorization:grant:delete",
];
/// Scopes of code/implicit/SAML clients that let them administer OAuth clients and roles.
pub const DEFAULT_CREDENTIAL_ADMIN_SCOPES: &[&str] = &["oauth", "authorization"];

/// A permission rule: raises `code` at `severity` for a client whose roles grant any of
/// `permissions` (Genesys wildcard semantics) or whose scopes include any of `scopes`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PermissionRule {
    pub code: String,
    pub severity: Severity,
    pub permissions: Vec<String>,
    pub scopes: Vec<String>,
    pub title: String,
    pub remediation: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditConfig {
    /// Days of usage read (full UTC days before today; one org-wide job per 90 days).
    pub usage_window_days: u32,
    pub usage_api: UsageApi,
    /// `UNUSED` when the last request is older than this.
    pub unused_days: u32,
    /// `NEVER_USED` only for clients at least this old.
    pub new_client_grace_days: u32,
    pub max_token_validity_seconds: i64,
    /// `MANAGED_SECRET_STALE` when the current version is older (tag `credguard:max-age-days`
    /// on a secret overrides it for that secret).
    pub secret_max_age_days: u32,
    /// Days past the maximum age before `MANAGED_SECRET_STALE`: the rotation sweep's time to
    /// act, so a credential due today is not reported before the sweep could run.
    pub secret_age_grace_days: u32,
    /// Which secrets are managed: rotation's selection, from the same variables
    /// (`MANAGED_SECRET_TAG` / `MANAGED_SECRET_IDS`), so the audit sees what the sweep rotates.
    pub managed: crate::rotation::config::ManagedSelection,
    /// Only managed secrets whose name starts with this are audited (one account, several
    /// deployments).
    pub secret_name_prefix: Option<String>,
    /// TTL of audit records.
    pub retention_days: u32,
    /// At most this many individual finding events per run; the rest are counted in the
    /// summary event.
    pub max_finding_events: usize,
    /// Evaluated in order; `ADMIN_PERMISSION` and `CREDENTIAL_ADMIN_PERMISSION` by default.
    pub permission_rules: Vec<PermissionRule>,
    pub severity_overrides: BTreeMap<String, Severity>,
    pub disabled_codes: BTreeSet<String>,
    /// The audit service name OAuth client events are filed under (check it with
    /// `GET /api/v2/audits/query/servicemapping`).
    pub trail_service_name: String,
    /// Days of audit trail read by a run with no previous complete run (1..=30).
    pub trail_first_run_days: u32,
    /// Further OAuth clients whose changes are credguard's (e.g. the rotation and revocation
    /// admin clients, when they differ from the audit's own).
    pub credguard_client_ids: BTreeSet<String>,
    /// The client rotation acts as (its roles are checked for due rotations); default: the
    /// audit's own client.
    pub rotation_admin_client_id: Option<String>,
    /// `ROTATION_DUE_BLOCKED` for rotations due within this many days.
    pub due_soon_days: u32,
    /// `ROTATION_STUCK` when a rotation has been unfinished this long (a pending version, or
    /// an attempt record still in progress).
    pub rotation_stuck_after_hours: u32,
    /// Integration credentials read per run to learn the client they embed.
    pub max_credential_reads: usize,
    /// A Security Hub finding that did not change is imported again after this many days
    /// (Security Hub drops findings not updated for 90 days).
    pub security_hub_refresh_days: u32,
    /// The secret tag naming who must act on a rotation notice (copied into it).
    pub owner_tag: String,
    /// Findings also go to AWS Security Hub, under this product (`SECURITY_HUB_PRODUCT_ARN`).
    pub security_hub_product_arn: Option<String>,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            usage_window_days: 90,
            usage_api: UsageApi::Auto,
            unused_days: 30,
            new_client_grace_days: 7,
            max_token_validity_seconds: 86_400,
            // Rotation's default `ROTATION_MAX_AGE_DAYS`.
            secret_max_age_days: 30,
            secret_age_grace_days: 2,
            managed: Default::default(),
            secret_name_prefix: None,
            retention_days: 400,
            max_finding_events: 100,
            permission_rules: default_rules(),
            severity_overrides: BTreeMap::new(),
            disabled_codes: BTreeSet::new(),
            trail_service_name: "PeoplePermissions".into(),
            trail_first_run_days: 7,
            credguard_client_ids: BTreeSet::new(),
            rotation_admin_client_id: None,
            due_soon_days: 7,
            rotation_stuck_after_hours: 6,
            max_credential_reads: 200,
            security_hub_refresh_days: 30,
            owner_tag: "owner".into(),
            security_hub_product_arn: None,
        }
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// The built-in permission rules; their severity, title and remediation are the catalogue's.
fn default_rules() -> Vec<PermissionRule> {
    let rule = |code: &str, permissions: &[&str], scopes: &[&str]| {
        let info = builtin(code);
        PermissionRule {
            code: info.code.into(),
            severity: info.severity,
            permissions: strings(permissions),
            scopes: strings(scopes),
            title: info.title.into(),
            remediation: info.remediation.into(),
        }
    };
    vec![
        rule(codes::ADMIN_PERMISSION, DEFAULT_ADMIN_PERMISSIONS, &[]),
        rule(
            codes::CREDENTIAL_ADMIN_PERMISSION,
            DEFAULT_CREDENTIAL_ADMIN_PERMISSIONS,
            DEFAULT_CREDENTIAL_ADMIN_SCOPES,
        ),
    ]
}

pub fn parse_severity(raw: &str) -> Result<Severity, String> {
    match raw.trim().to_ascii_uppercase().as_str() {
        "INFO" => Ok(Severity::Info),
        "LOW" => Ok(Severity::Low),
        "MEDIUM" => Ok(Severity::Medium),
        "HIGH" => Ok(Severity::High),
        "CRITICAL" => Ok(Severity::Critical),
        other => Err(format!(
            "unknown severity {other:?} (INFO, LOW, MEDIUM, HIGH, CRITICAL)"
        )),
    }
}

impl AuditConfig {
    /// The severity a finding is recorded with: the override, or the rule's own.
    pub fn severity_of(&self, code: &str, default: Severity) -> Severity {
        self.severity_overrides
            .get(code)
            .copied()
            .unwrap_or(default)
    }

    pub fn enabled(&self, code: &str) -> bool {
        !self.disabled_codes.contains(code)
    }

    /// Whether any enabled built-in code needs `source` (a source no code needs is not read).
    pub fn needs(&self, source: Source) -> bool {
        CATALOG
            .iter()
            .any(|c| c.source == source && self.enabled(c.code))
    }
}

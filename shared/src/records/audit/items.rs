//! The items of an audit run, one struct per `recordType` (attributes documented in
//! `infra/DATA-MODEL.md`): flat, camelCase, a shared [`RunItem`] header flattened into each.

use super::{run_pk, SCHEMA_VERSION};
use serde::{Deserialize, Serialize};

/// The attributes every item of a run carries: its key, type, run and TTL.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RunItem {
    pub pk: String,
    pub sk: String,
    pub record_type: String,
    pub schema_version: u32,
    pub run_id: String,
    /// `YYYY-MM-DD` (UTC) the run is for.
    pub run_date: String,
    pub expires_at: i64,
}

impl RunItem {
    pub fn new(
        run_id: &str,
        run_date: &str,
        sk: String,
        record_type: &str,
        expires_at: i64,
    ) -> Self {
        Self {
            pk: run_pk(run_id),
            sk,
            record_type: record_type.into(),
            schema_version: SCHEMA_VERSION,
            run_id: run_id.into(),
            run_date: run_date.into(),
            expires_at,
        }
    }
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RunRecord {
    #[serde(flatten)]
    pub item: RunItem,
    pub gsi1pk: String,
    pub gsi1sk: String,
    /// `schedule` or `manual`.
    pub trigger: String,
    pub scheduled_at: Option<String>,
    pub started_at: String,
    pub attempt: u32,
    pub attempt_started_at: String,
    pub finished_at: Option<String>,
    pub duration_ms: u64,
    pub outcome: String,
    /// Human-readable: what this run could not collect or record, and why.
    pub missing: Vec<String>,
    /// Machine-readable: the sources missing (`usage`, `roles`, `scopes`, `secrets`,
    /// `rotations`, `records`, `events`).
    pub missing_sources: Vec<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub clients_seen: u64,
    pub clients_recorded: u64,
    pub managed_secrets_seen: u64,
    pub findings_total: u64,
    pub findings_critical: u64,
    pub findings_high: u64,
    pub findings_medium: u64,
    pub findings_low: u64,
    pub findings_info: u64,
    pub codes_raised: Vec<String>,
    pub baseline: bool,
    pub previous_run_id: Option<String>,
    pub changes_total: u64,
    pub clients_added: u64,
    pub clients_removed: u64,
    pub access_changed: u64,
    pub findings_new: u64,
    pub findings_resolved: u64,
    pub severity_changed: u64,
    pub usage_window_days: u32,
    pub usage_first_day: Option<String>,
    pub usage_last_day: Option<String>,
    /// HTTP requests to Genesys (attempts, retries included) during this attempt.
    pub genesys_requests: u64,
    /// DynamoDB requests during this attempt, before this summary was written.
    pub dynamodb_requests: u64,
    pub events_published: bool,
    pub finding_events_sent: u64,
    pub finding_events_suppressed: u64,
    /// The window of Genesys's audit trail this run read (previous complete run to now).
    pub trail_from: Option<String>,
    pub trail_to: Option<String>,
    /// Audit trail events recorded with this run.
    pub trail_events: u64,
    /// Security Hub: findings imported (new or changed), left as they were, archived.
    pub security_hub_imported: u64,
    pub security_hub_unchanged: u64,
    pub security_hub_archived: u64,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ClientRecord {
    #[serde(flatten)]
    pub item: RunItem,
    pub client_id: String,
    pub name: String,
    pub description: Option<String>,
    pub grant_type: String,
    pub state: String,
    pub date_to_delete: Option<String>,
    pub access_token_validity_seconds: i64,
    pub date_created: Option<String>,
    pub created_by_id: Option<String>,
    pub created_by_name: Option<String>,
    pub date_modified: Option<String>,
    pub modified_by_id: Option<String>,
    pub modified_by_name: Option<String>,
    pub role_ids: Vec<String>,
    pub role_names: Vec<String>,
    /// `<roleId>@<divisionId>` per grant (`*` = all divisions); change detection compares it.
    pub role_divisions: Vec<String>,
    pub division_ids: Vec<String>,
    pub all_divisions: bool,
    pub orphaned_role_ids: Vec<String>,
    /// False when a role lookup failed in this run: permissions may be incomplete.
    pub roles_resolved: bool,
    pub permissions: Vec<String>,
    pub permission_count: u64,
    pub permissions_truncated: bool,
    pub scopes: Vec<String>,
    pub unknown_scopes: Vec<String>,
    /// False when the usage query failed in this run.
    pub usage_known: bool,
    pub requests: u64,
    pub status4xx: u64,
    pub status429: u64,
    pub status5xx: u64,
    pub days_with_requests: u64,
    pub last_used_date: Option<String>,
    pub managed: bool,
    pub managed_secret_names: Vec<String>,
    pub secret_last_rotated_at: Option<String>,
    pub last_rotation_outcome: Option<String>,
    pub finding_codes: Vec<String>,
    pub findings_count: u64,
    pub highest_severity: Option<String>,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FindingRecord {
    #[serde(flatten)]
    pub item: RunItem,
    /// `client:<id>`, `secret:<name>` or `credential:<id>`.
    pub subject: String,
    pub subject_type: String,
    pub client_id: Option<String>,
    pub client_name: Option<String>,
    pub secret_name: Option<String>,
    pub secret_arn: Option<String>,
    pub credential_id: Option<String>,
    pub credential_name: Option<String>,
    pub code: String,
    pub severity: String,
    pub title: String,
    /// JSON object, as a string.
    pub evidence: String,
    pub remediation: String,
    pub source: String,
    /// The first run (of the chain of complete runs) that raised it.
    pub first_seen_run_id: String,
    /// Not raised by the previous complete run.
    pub is_new: bool,
    /// Security Hub: the finding's id there, the digest of what was imported and when (a
    /// finding whose digest did not change is not imported again until it needs refreshing).
    pub security_hub_id: Option<String>,
    pub hub_digest: Option<String>,
    pub hub_imported_at: Option<String>,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ChangeRecord {
    #[serde(flatten)]
    pub item: RunItem,
    pub previous_run_id: String,
    /// `CLIENT_ADDED`, `CLIENT_REMOVED`, `ACCESS_CHANGED`, `FINDING_NEW`, `FINDING_RESOLVED`,
    /// `SEVERITY_CHANGED`.
    pub kind: String,
    pub subject: String,
    pub subject_type: String,
    pub client_id: Option<String>,
    pub name: Option<String>,
    pub code: Option<String>,
    pub severity: Option<String>,
    pub previous_severity: Option<String>,
    /// JSON object, as a string (e.g. roles before and after).
    pub detail: String,
    /// Who made the change, from Genesys's audit trail (client changes only; absent when the
    /// trail has no event for it).
    pub changed_by_user_id: Option<String>,
    pub changed_by_user_name: Option<String>,
    pub changed_by_client_id: Option<String>,
    pub changed_at: Option<String>,
    pub changed_by_credguard: Option<bool>,
    pub audit_event_id: Option<String>,
}

/// One event of Genesys's audit trail about an OAuth client or a token deletion, recorded with
/// the run that read it. Property names only, never their values.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TrailRecord {
    #[serde(flatten)]
    pub item: RunItem,
    pub event_id: String,
    pub event_date: String,
    pub service_name: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub entity_name: Option<String>,
    pub action: String,
    pub status: Option<String>,
    /// The person behind the change, if any.
    pub user_id: Option<String>,
    pub user_name: Option<String>,
    /// The OAuth client that made the call.
    pub actor_client_id: Option<String>,
    pub remote_ip: Vec<String>,
    /// Names of the properties that changed.
    pub properties: Vec<String>,
    pub secret_reset: bool,
    /// Made by credguard (one of its clients, or explained by one of its rotation records).
    pub by_credguard: bool,
    /// The rotation attempt that explains it, when one does.
    pub rotation_token: Option<String>,
    /// Managed secrets holding the client the event is about.
    pub managed_secret_names: Vec<String>,
}

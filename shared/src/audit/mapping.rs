//! Domain results as the run's items (`infra/DATA-MODEL.md`, "Audit records"): flat, stable
//! attribute names, evidence as a JSON string. Nothing here decides anything.

use super::changes::Change;
use super::findings::{Finding, Subject};
use super::rules::{highest, Assessment};
use crate::genesys::models::OAuthClient;
use crate::records::audit::{
    change_sk, client_sk, finding_sk, ChangeRecord, ClientRecord, FindingRecord, RunItem,
    TYPE_CHANGE, TYPE_CLIENT, TYPE_FINDING,
};
use crate::records::iso;

/// Permissions listed per client record (a DynamoDB item holds 400 KB).
const MAX_PERMISSIONS_RECORDED: usize = 500;

/// What every item of this run shares.
pub(super) struct RunItems<'a> {
    pub run_id: &'a str,
    pub run_date: &'a str,
    pub expires_at: i64,
    pub previous_run_id: Option<String>,
}

impl RunItems<'_> {
    fn item(&self, sk: String, record_type: &str) -> RunItem {
        RunItem::new(self.run_id, self.run_date, sk, record_type, self.expires_at)
    }

    pub fn client(&self, c: &OAuthClient, a: &Assessment, access: &[String]) -> ClientRecord {
        let f = &a.facts;
        let usage = f.usage.clone().unwrap_or_default();
        let mut codes: Vec<String> = a.findings.iter().map(|x| x.code.clone()).collect();
        codes.sort();
        ClientRecord {
            item: self.item(client_sk(&c.id), TYPE_CLIENT),
            client_id: c.id.clone(),
            name: c.name.clone(),
            description: c.description.clone(),
            grant_type: c.authorized_grant_type.as_str().to_owned(),
            state: c.state().as_str().to_owned(),
            date_to_delete: c.date_to_delete.map(iso),
            access_token_validity_seconds: c.token_validity_seconds(),
            date_created: c.date_created.map(iso),
            created_by_id: c.created_by.as_ref().and_then(|r| r.id.clone()),
            created_by_name: c.created_by.as_ref().and_then(|r| r.name.clone()),
            date_modified: c.date_modified.map(iso),
            modified_by_id: c.modified_by.as_ref().and_then(|r| r.id.clone()),
            modified_by_name: c.modified_by.as_ref().and_then(|r| r.name.clone()),
            role_ids: f.role_ids.clone(),
            role_names: f.role_names.clone(),
            role_divisions: access
                .iter()
                .filter_map(|a| a.strip_prefix("role:"))
                .map(str::to_owned)
                .collect(),
            division_ids: f.division_ids.clone(),
            all_divisions: f.all_divisions,
            orphaned_role_ids: f.orphaned_role_ids.clone(),
            roles_resolved: f.roles_resolved,
            permission_count: f.permissions.len() as u64,
            permissions_truncated: f.permissions.len() > MAX_PERMISSIONS_RECORDED,
            permissions: f
                .permissions
                .iter()
                .take(MAX_PERMISSIONS_RECORDED)
                .cloned()
                .collect(),
            scopes: c.scope.clone(),
            unknown_scopes: f.unknown_scopes.clone(),
            usage_known: f.usage.is_some(),
            requests: usage.requests,
            status4xx: usage.status400,
            status429: usage.status429,
            status5xx: usage.status500,
            days_with_requests: u64::from(usage.days_with_requests),
            last_used_date: usage.last_used.map(|d| d.to_string()),
            managed: !f.managed_by.is_empty(),
            managed_secret_names: f.managed_by.clone(),
            secret_last_rotated_at: f.secret_last_rotated_at.map(iso),
            last_rotation_outcome: f.last_rotation_outcome.clone(),
            findings_count: codes.len() as u64,
            finding_codes: codes,
            highest_severity: highest(&a.findings).map(|s| s.as_str().to_owned()),
        }
    }

    pub fn finding(&self, f: &Finding, first_seen: &str, is_new: bool) -> FindingRecord {
        let (client_name, secret_name) = match &f.subject {
            Subject::Client { name, .. } => (Some(name.clone()), None),
            Subject::Secret { name, .. } => (None, Some(name.clone())),
        };
        FindingRecord {
            item: self.item(finding_sk(&f.subject.key(), &f.code), TYPE_FINDING),
            subject: f.subject.key(),
            subject_type: f.subject.kind().into(),
            client_id: f.subject.client_id().map(str::to_owned),
            client_name,
            secret_name,
            code: f.code.clone(),
            severity: f.severity.as_str().into(),
            title: f.title.clone(),
            evidence: f.evidence.to_string(),
            remediation: f.remediation.clone(),
            source: f.source.as_str().into(),
            first_seen_run_id: first_seen.into(),
            is_new,
        }
    }

    pub fn change(&self, c: &Change) -> ChangeRecord {
        ChangeRecord {
            item: self.item(
                change_sk(c.kind.as_str(), &c.subject, c.code.as_deref()),
                TYPE_CHANGE,
            ),
            previous_run_id: self.previous_run_id.clone().unwrap_or_default(),
            kind: c.kind.as_str().into(),
            subject: c.subject.clone(),
            subject_type: c.subject_type.clone(),
            client_id: c.client_id.clone(),
            name: c.name.clone(),
            code: c.code.clone(),
            severity: c.severity.map(|s| s.as_str().to_owned()),
            previous_severity: c.previous_severity.map(|s| s.as_str().to_owned()),
            detail: c.detail.to_string(),
        }
    }
}

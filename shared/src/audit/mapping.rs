//! Domain results as the run's items (`infra/DATA-MODEL.md`, "Audit records"): flat, stable
//! attribute names, evidence as a JSON string. Nothing here decides anything.

use super::changes::Change;
use super::findings::{Finding, Subject};
use super::rules::{highest, Assessment};
use super::trail::{TrailEvent, TrailIndex};
use crate::genesys::models::OAuthClient;
use crate::records::audit::{
    change_sk, client_sk, finding_sk, trail_sk, ChangeRecord, ClientRecord, FindingRecord, RunItem,
    TrailRecord, TYPE_CHANGE, TYPE_CLIENT, TYPE_FINDING, TYPE_TRAIL,
};
use crate::records::iso;
use serde_json::json;

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
        let mut rec = FindingRecord {
            item: self.item(finding_sk(&f.subject.key(), &f.code), TYPE_FINDING),
            subject: f.subject.key(),
            subject_type: f.subject.kind().into(),
            client_id: f.subject.client_id().map(str::to_owned),
            code: f.code.clone(),
            severity: f.severity.as_str().into(),
            title: f.title.clone(),
            evidence: f.evidence.to_string(),
            remediation: f.remediation.clone(),
            source: f.source.as_str().into(),
            first_seen_run_id: first_seen.into(),
            is_new,
            ..FindingRecord::default()
        };
        match &f.subject {
            Subject::Client { name, .. } => rec.client_name = Some(name.clone()),
            Subject::Secret { name, arn, .. } => {
                rec.secret_name = Some(name.clone());
                rec.secret_arn = Some(arn.clone()).filter(|a| !a.is_empty());
            }
            Subject::Credential { id, name, .. } => {
                rec.credential_id = Some(id.clone());
                rec.credential_name = Some(name.clone());
            }
        }
        rec
    }

    pub fn change(&self, c: &Change) -> ChangeRecord {
        let actor = c.actor.as_ref();
        let mut detail = c.detail.clone();
        if let (Some(a), Some(d)) = (actor, detail.as_object_mut()) {
            d.insert(
                "changedBy".into(),
                json!({"userId": a.user_id, "userName": a.user_name, "clientId": a.client_id,
                       "at": a.at, "action": a.action, "auditEventId": a.event_id,
                       "byCredguard": a.by_credguard}),
            );
        }
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
            detail: detail.to_string(),
            changed_by_user_id: actor.and_then(|a| a.user_id.clone()),
            changed_by_user_name: actor.and_then(|a| a.user_name.clone()),
            changed_by_client_id: actor.and_then(|a| a.client_id.clone()),
            changed_at: actor.map(|a| a.at.clone()),
            changed_by_credguard: actor.map(|a| a.by_credguard),
            audit_event_id: actor.map(|a| a.event_id.clone()),
        }
    }

    pub fn trail_event(&self, e: &TrailEvent, trail: &TrailIndex<'_>) -> TrailRecord {
        let a = trail.attribute(e);
        let at = iso(e.at);
        TrailRecord {
            item: self.item(trail_sk(&at, &e.id), TYPE_TRAIL),
            event_id: e.id.clone(),
            event_date: at,
            service_name: e.service.clone(),
            entity_type: e.entity_type.clone(),
            entity_id: e.entity_id.clone(),
            entity_name: e.entity_name.clone(),
            action: e.action.clone(),
            status: e.status.clone(),
            user_id: e.user_id.clone(),
            user_name: e.user_name.clone(),
            actor_client_id: e.client_id.clone(),
            remote_ip: e.remote_ip.clone(),
            properties: e.properties.clone(),
            secret_reset: e.is_secret_reset(),
            by_credguard: a.by_credguard(),
            rotation_token: a.rotation_token().map(str::to_owned),
            managed_secret_names: e
                .entity_id
                .as_deref()
                .map(|c| {
                    trail
                        .managed_secrets(c)
                        .iter()
                        .map(|s| (*s).to_owned())
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

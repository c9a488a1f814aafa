//! The rules: pure functions from what was collected (and what the previous run carried) to
//! findings. Every finding names its evidence (ids, dates, counts) and a short remediation; none
//! depends on data a run could not collect (those are skipped and the run says so).
//!
//! - this module: the client and secret rules over the inventory;
//! - `facts`: a client's roles, permissions, usage and managers; `usage`: idle clients;
//! - `platform`: dated platform rules from the catalogue; `trail`: changes made outside
//!   credguard; `notices`: rotations due soon that cannot happen, or overdue; `dependents`:
//!   integration credentials a rotation would break.

mod dependents;
mod facts;
mod notices;
mod platform;
mod trail;
mod usage;

use super::changes::Carried;
use super::collect::{Inventory, ManagedSecret};
use super::config::AuditConfig;
use super::findings::{builtin, codes, Finding, Source, Subject};
use super::permissions::{granting, is_wildcard};
use super::trail::TrailIndex;
use crate::genesys::models::{ClientState, GrantType, OAuthClient};
use crate::genesys::UsageSummary;
use crate::ports::events::Severity;
use crate::rotation::RotationConfig;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};

/// What is known about one client besides the API's own fields (recorded with the client).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClientFacts {
    pub role_ids: Vec<String>,
    pub role_names: Vec<String>,
    pub division_ids: Vec<String>,
    pub all_divisions: bool,
    pub orphaned_role_ids: Vec<String>,
    pub roles_resolved: bool,
    pub permissions: Vec<String>,
    pub unknown_scopes: Vec<String>,
    pub usage: Option<UsageSummary>,
    pub managed_by: Vec<String>,
    pub secret_last_rotated_at: Option<DateTime<Utc>>,
    pub last_rotation_outcome: Option<String>,
}

pub struct Assessment {
    pub facts: ClientFacts,
    pub findings: Vec<Finding>,
}

/// Everything the rules read, indexed once per run.
pub struct Rules<'a> {
    cfg: &'a AuditConfig,
    inv: &'a Inventory,
    today: NaiveDate,
    now: DateTime<Utc>,
    clients: HashMap<&'a str, &'a OAuthClient>,
    managed_by: HashMap<&'a str, Vec<&'a ManagedSecret>>,
    /// The trail, when it was read.
    trail: Option<TrailIndex<'a>>,
    /// What the previous complete run raised that a rule may carry forward.
    carried: &'a Carried,
    /// The client rotation acts as, when known and listed.
    rotation_admin: Option<&'a OAuthClient>,
    /// Rotation's due-time rule, with the audit's maximum age as the default.
    rotation: RotationConfig,
}

fn is_client_credentials(c: &OAuthClient) -> bool {
    c.authorized_grant_type == GrantType::ClientCredentials
}

impl<'a> Rules<'a> {
    pub fn new(
        cfg: &'a AuditConfig,
        inv: &'a Inventory,
        now: DateTime<Utc>,
        carried: &'a Carried,
    ) -> Self {
        let mut managed_by: HashMap<&str, Vec<&ManagedSecret>> = HashMap::new();
        for s in inv.secrets.iter().flatten() {
            for id in [&s.client_id, &s.partner_client_id].into_iter().flatten() {
                managed_by.entry(id.as_str()).or_default().push(s);
            }
        }
        let clients: HashMap<&str, &OAuthClient> =
            inv.clients.iter().map(|c| (c.id.as_str(), c)).collect();
        let mut credguard: HashSet<String> = cfg.credguard_client_ids.iter().cloned().collect();
        credguard.extend(inv.acting_client_id.iter().cloned());
        credguard.extend(cfg.rotation_admin_client_id.iter().cloned());
        let trail = inv
            .trail
            .as_ref()
            .map(|t| TrailIndex::new(t, credguard, inv.secrets.as_deref().unwrap_or_default()));
        let rotation_admin = cfg
            .rotation_admin_client_id
            .as_ref()
            .or(inv.acting_client_id.as_ref())
            .and_then(|id| clients.get(id.as_str()).copied());
        Self {
            cfg,
            inv,
            today: now.date_naive(),
            now,
            clients,
            managed_by,
            trail,
            carried,
            rotation_admin,
            rotation: RotationConfig {
                max_age_days: cfg.secret_max_age_days,
                ..RotationConfig::default()
            },
        }
    }

    /// The trail, indexed, when this run read it.
    pub fn trail(&self) -> Option<&TrailIndex<'a>> {
        self.trail.as_ref()
    }

    fn finding(&self, subject: &Subject, code: &str, evidence: Value) -> Option<Finding> {
        if !self.cfg.enabled(code) {
            return None;
        }
        let info = builtin(code);
        Some(Finding {
            subject: subject.clone(),
            code: code.to_owned(),
            severity: self.cfg.severity_of(code, info.severity),
            title: info.title.to_owned(),
            evidence,
            remediation: info.remediation.to_owned(),
            source: info.source,
        })
    }

    pub fn client(&self, c: &OAuthClient) -> Assessment {
        let subject = Subject::Client {
            id: c.id.clone(),
            name: c.name.clone(),
        };
        let facts = self.facts(c);
        let mut out = Vec::new();
        let state = c.state();
        let mut push = |f: Option<Finding>| out.extend(f);

        if state == ClientState::Inactive {
            // Being deleted: nothing else about it is actionable.
            push(self.finding(
                &subject,
                codes::CLIENT_PENDING_DELETION,
                json!({"state": "inactive", "dateToDelete": c.date_to_delete.map(crate::records::iso)}),
            ));
            return Assessment {
                facts,
                findings: out,
            };
        }
        if state == ClientState::Disabled {
            push(self.finding(
                &subject,
                codes::CLIENT_DISABLED,
                json!({"state": "disabled", "dateModified": c.date_modified.map(crate::records::iso)}),
            ));
        }
        out.extend(self.platform(&subject, c));

        // Permissions (roles) and scopes.
        let mut admin_hit = false;
        for rule in &self.cfg.permission_rules {
            if !self.cfg.enabled(&rule.code) {
                continue;
            }
            let perms = granting(&facts.permissions, &rule.permissions);
            let scopes: Vec<&str> = c
                .scope
                .iter()
                .filter(|s| rule.scopes.iter().any(|r| r == *s))
                .map(String::as_str)
                .collect();
            if perms.is_empty() && scopes.is_empty() {
                continue;
            }
            admin_hit |= rule.code == codes::ADMIN_PERMISSION;
            let roles: Vec<&str> = self
                .client_roles(c)
                .filter(|r| r.permissions.iter().any(|p| perms.contains(&p.as_str())))
                .map(|r| r.name.as_deref().unwrap_or(&r.id))
                .collect();
            out.push(Finding {
                subject: subject.clone(),
                code: rule.code.clone(),
                severity: self.cfg.severity_of(&rule.code, rule.severity),
                title: rule.title.clone(),
                evidence: json!({"permissions": perms, "roles": roles, "scopes": scopes}),
                remediation: rule.remediation.clone(),
                source: if perms.is_empty() {
                    Source::Scopes
                } else {
                    Source::Roles
                },
            });
        }
        let wildcards: Vec<&str> = facts
            .permissions
            .iter()
            .filter(|p| is_wildcard(p))
            .map(String::as_str)
            .collect();
        if !wildcards.is_empty() && !admin_hit {
            out.extend(self.finding(
                &subject,
                codes::WILDCARD_PERMISSION,
                json!({"permissions": wildcards}),
            ));
        }
        let all_div_roles: Vec<&str> = c
            .role_divisions
            .iter()
            .filter(|rd| rd.is_all_divisions())
            .map(|rd| rd.role_id.as_str())
            .collect();
        if !all_div_roles.is_empty() {
            out.extend(self.finding(
                &subject,
                codes::ALL_DIVISIONS,
                json!({"roleIds": all_div_roles, "divisionId": "*"}),
            ));
        }
        if !facts.orphaned_role_ids.is_empty() {
            out.extend(self.finding(
                &subject,
                codes::ORPHANED_ROLE,
                json!({"roleIds": facts.orphaned_role_ids}),
            ));
        }
        if !facts.unknown_scopes.is_empty() {
            out.extend(self.finding(
                &subject,
                codes::ORPHANED_SCOPE,
                json!({"scopes": facts.unknown_scopes}),
            ));
        }
        let validity = c.token_validity_seconds();
        if validity > self.cfg.max_token_validity_seconds {
            out.extend(self.finding(
                &subject,
                codes::TOKEN_VALIDITY_TOO_LONG,
                json!({"accessTokenValiditySeconds": validity, "policyMaxSeconds": self.cfg.max_token_validity_seconds}),
            ));
        }

        // Usage and secret management only matter for clients that can get tokens today.
        if state != ClientState::Disabled {
            if let Some(usage) = &self.inv.usage {
                out.extend(self.usage_finding(&subject, c, usage.get(&c.id)));
            }
            if is_client_credentials(c) && self.inv.secrets.is_some() && facts.managed_by.is_empty()
            {
                out.extend(self.finding(
                    &subject,
                    codes::UNMANAGED_SECRET,
                    json!({"grantType": c.authorized_grant_type.as_str(), "managedSecretsChecked": self.inv.secrets.as_ref().map_or(0, Vec::len)}),
                ));
            }
        }
        Assessment {
            facts,
            findings: out,
        }
    }

    pub fn secret(&self, s: &ManagedSecret) -> Vec<Finding> {
        let subject = Subject::Secret {
            name: s.name.clone(),
            arn: s.arn.clone(),
            client_id: s.client_id.clone(),
        };
        let mut out = Vec::new();
        match &s.client_id {
            None => out.extend(self.finding(
                &subject,
                codes::MANAGED_SECRET_UNTAGGED,
                json!({"secretName": s.name, "missingTag": crate::credential::TAG_CLIENT_ID}),
            )),
            Some(_) => {
                let gone: Vec<(&str, &str)> =
                    [("current", &s.client_id), ("partner", &s.partner_client_id)]
                        .into_iter()
                        .filter_map(|(role, id)| id.as_deref().map(|id| (role, id)))
                        .filter(|(_, id)| !self.clients.contains_key(id))
                        .collect();
                if !gone.is_empty() {
                    let ids: Vec<Value> = gone
                        .iter()
                        .map(|(role, id)| json!({"clientId": id, "holds": role}))
                        .collect();
                    out.extend(self.finding(
                        &subject,
                        codes::MANAGED_SECRET_MISSING_CLIENT,
                        json!({"secretName": s.name, "missingClients": ids}),
                    ));
                }
            }
        }
        out.extend(self.reset_outside(&subject, s));
        let notices = self.notices(&subject, s);
        let overdue = notices.iter().any(|f| f.code == codes::ROTATION_OVERDUE);
        out.extend(notices);
        // An overdue rotation says more than the credential's age: one finding, not two.
        if let Some(created) = s.current_created.filter(|_| !overdue) {
            let max_days = s.max_age_days.unwrap_or(self.cfg.secret_max_age_days);
            let grace = self.cfg.secret_age_grace_days;
            let age = self.now - created;
            if age > chrono::Duration::days(i64::from(max_days) + i64::from(grace)) {
                out.extend(self.finding(
                    &subject,
                    codes::MANAGED_SECRET_STALE,
                    json!({"secretName": s.name, "currentVersionCreated": crate::records::iso(created),
                           "ageDays": age.num_days(), "maxAgeDays": max_days, "graceDays": grace,
                           "maxAgeFrom": if s.max_age_days.is_some() { "tag" } else { "policy" }}),
                ));
            }
        }
        out.extend(self.stuck(&subject, s));
        if let Some(r) = s.latest_rotation() {
            if r.outcome.as_deref() == Some("failed") {
                out.extend(self.finding(
                    &subject,
                    codes::ROTATION_FAILED,
                    json!({"secretName": s.name, "startedAt": r.started_at, "finishedAt": r.finished_at, "errorCode": r.error_code}),
                ));
            }
        }
        out
    }
}

impl Rules<'_> {
    /// `ROTATION_STUCK`: a rotation unfinished for longer than the policy allows, seen as a
    /// pending version that is not current, or as the latest attempt still in progress. The
    /// rotation function alarms and retries on its own; this is the auditor's view of the
    /// same fact, and it holds until someone finishes the rotation.
    fn stuck(&self, subject: &Subject, s: &ManagedSecret) -> Option<Finding> {
        let open = s
            .latest_rotation()
            .filter(|r| r.outcome.as_deref() == Some("inProgress"));
        let attempt_started = open
            .and_then(|r| r.started_at.as_deref())
            .and_then(crate::rotation::schedule::parse_time);
        let since = match (s.pending_created, attempt_started) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        let limit = chrono::Duration::hours(i64::from(self.cfg.rotation_stuck_after_hours));
        if self.now - since <= limit {
            return None;
        }
        self.finding(
            subject,
            codes::ROTATION_STUCK,
            json!({"secretName": s.name, "unfinishedSince": crate::records::iso(since),
                   "unfinishedHours": (self.now - since).num_hours(),
                   "policyHours": self.cfg.rotation_stuck_after_hours,
                   "pendingVersionCreated": s.pending_created.map(crate::records::iso),
                   "attempt": open.map(|r| json!({"token": r.token, "startedAt": r.started_at,
                                                  "updatedAt": r.updated_at, "errorCode": r.error_code})),
                   "rotatedBy": if s.rotated_by_secrets_manager { "secretsManager" } else { "credguard" }}),
        )
    }
}

/// The highest severity among findings, if any.
pub fn highest(findings: &[Finding]) -> Option<Severity> {
    findings.iter().map(|f| f.severity).max()
}

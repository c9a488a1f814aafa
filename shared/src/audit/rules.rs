//! The rules: pure functions from what was collected to findings. Every finding names its
//! evidence (ids, dates, counts) and a short remediation; none depends on data a run could not
//! collect (those are skipped and the run says so).

use super::collect::{Inventory, ManagedSecret, RoleInfo};
use super::config::AuditConfig;
use super::findings::{builtin, codes, Finding, Source, Subject};
use super::permissions::{granting, is_wildcard};
use crate::genesys::models::{ClientState, GrantType, OAuthClient};
use crate::genesys::UsageSummary;
use crate::ports::events::Severity;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap, HashSet};

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
    client_ids: HashSet<&'a str>,
    managed_by: HashMap<&'a str, Vec<&'a ManagedSecret>>,
}

fn is_client_credentials(c: &OAuthClient) -> bool {
    c.authorized_grant_type == GrantType::ClientCredentials
}

impl<'a> Rules<'a> {
    pub fn new(
        cfg: &'a AuditConfig,
        inv: &'a Inventory,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Self {
        let mut managed_by: HashMap<&str, Vec<&ManagedSecret>> = HashMap::new();
        for s in inv.secrets.iter().flatten() {
            for id in [&s.client_id, &s.partner_client_id].into_iter().flatten() {
                managed_by.entry(id.as_str()).or_default().push(s);
            }
        }
        Self {
            cfg,
            inv,
            today,
            now,
            client_ids: inv.clients.iter().map(|c| c.id.as_str()).collect(),
            managed_by,
        }
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

    fn usage_finding(
        &self,
        subject: &Subject,
        c: &OAuthClient,
        usage: Option<&UsageSummary>,
    ) -> Option<Finding> {
        let window = &self.inv.window;
        let window_days = self.cfg.usage_window_days;
        match usage.and_then(|u| u.last_used) {
            Some(last) => {
                let idle = (self.today - last).num_days();
                (idle > i64::from(self.cfg.unused_days)).then(|| {
                    self.finding(
                        subject,
                        codes::UNUSED,
                        json!({"lastUsedDate": last.to_string(), "idleDays": idle, "policyDays": self.cfg.unused_days}),
                    )
                })?
            }
            None => {
                let created = c.date_created.map(|t| t.date_naive());
                match created {
                    // The window saw the client's whole life: it was never used.
                    Some(created) if created >= window.first_day => {
                        let age = (self.today - created).num_days();
                        (age >= i64::from(self.cfg.new_client_grace_days)).then(|| {
                            self.finding(
                                subject,
                                codes::NEVER_USED,
                                json!({"dateCreated": created.to_string(), "ageDays": age, "usageWindowDays": window_days}),
                            )
                        })?
                    }
                    // Older than the window: unused for the whole window at least.
                    _ => self.finding(
                        subject,
                        codes::UNUSED,
                        json!({"lastUsedDate": null, "idleDaysAtLeast": window_days, "policyDays": self.cfg.unused_days,
                               "dateCreated": created.map(|d| d.to_string())}),
                    ),
                }
            }
        }
    }

    fn client_roles<'c>(&'c self, c: &'c OAuthClient) -> impl Iterator<Item = &'c RoleInfo> + 'c {
        let ids: BTreeSet<&str> = c
            .role_divisions
            .iter()
            .map(|rd| rd.role_id.as_str())
            .chain(c.role_ids.iter().map(String::as_str))
            .collect();
        ids.into_iter().filter_map(|id| self.inv.roles.get(id))
    }

    fn facts(&self, c: &OAuthClient) -> ClientFacts {
        let role_ids: BTreeSet<&str> = c
            .role_divisions
            .iter()
            .map(|rd| rd.role_id.as_str())
            .chain(c.role_ids.iter().map(String::as_str))
            .collect();
        let mut f = ClientFacts {
            roles_resolved: true,
            ..ClientFacts::default()
        };
        let mut permissions = BTreeSet::new();
        for id in &role_ids {
            match self.inv.roles.get(*id) {
                Some(r) => {
                    f.role_names
                        .push(r.name.clone().unwrap_or_else(|| r.id.clone()));
                    permissions.extend(r.permissions.iter().cloned());
                }
                None if self.inv.unresolved_roles.contains(*id) => f.roles_resolved = false,
                None => f.orphaned_role_ids.push((*id).to_owned()),
            }
        }
        f.role_ids = role_ids.into_iter().map(str::to_owned).collect();
        f.permissions = permissions.into_iter().collect();
        let divisions: BTreeSet<&str> = c
            .role_divisions
            .iter()
            .map(|rd| rd.division_id.as_str())
            .collect();
        f.all_divisions = divisions.contains("*");
        f.division_ids = divisions.into_iter().map(str::to_owned).collect();
        if let Some(known) = &self.inv.scopes {
            f.unknown_scopes = c
                .scope
                .iter()
                .filter(|s| !known.contains(*s))
                .cloned()
                .collect();
        }
        f.usage = self
            .inv
            .usage
            .as_ref()
            .map(|u| u.get(&c.id).cloned().unwrap_or_default());
        if let Some(secrets) = self.managed_by.get(c.id.as_str()) {
            f.managed_by = secrets.iter().map(|s| s.name.clone()).collect();
            f.secret_last_rotated_at = secrets.iter().filter_map(|s| s.current_created).max();
            f.last_rotation_outcome = secrets
                .iter()
                .filter_map(|s| s.latest_rotation.as_ref())
                .max_by(|a, b| a.started_at.cmp(&b.started_at))
                .and_then(|r| r.outcome.clone());
        }
        f
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
                        .filter(|(_, id)| !self.client_ids.contains(id))
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
        if let Some(created) = s.current_created {
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
        if let Some(r) = &s.latest_rotation {
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

/// The highest severity among findings, if any.
pub fn highest(findings: &[Finding]) -> Option<Severity> {
    findings.iter().map(|f| f.severity).max()
}

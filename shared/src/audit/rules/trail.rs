//! Changes made outside credguard, from Genesys's audit trail: a managed client's secret reset
//! that no rotation record explains, and admin-level access granted by someone else.
//!
//! Both carry forward from the previous complete run while they still hold (the reset until a
//! rotation succeeds after it, the grant while the client keeps the access), so a finding does
//! not vanish the day after merely because its event left the trail's window.

use super::Rules;
use crate::audit::changes::{Change, ChangeKind};
use crate::audit::collect::{ManagedSecret, RoleInfo};
use crate::audit::findings::{codes, Finding, Subject};
use crate::audit::permissions::granting;
use crate::audit::rules::Assessment;
use crate::genesys::models::OAuthClient;
use crate::records::iso;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The permission rules whose hits are admin-level access.
const PRIVILEGED: [&str; 2] = [codes::ADMIN_PERMISSION, codes::CREDENTIAL_ADMIN_PERMISSION];

fn parse(t: Option<&str>) -> Option<DateTime<Utc>> {
    t.and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

impl Rules<'_> {
    /// `SECRET_RESET_OUTSIDE_CREDGUARD` for the client a managed secret holds.
    pub(super) fn reset_outside(&self, subject: &Subject, s: &ManagedSecret) -> Option<Finding> {
        let code = codes::SECRET_RESET_OUTSIDE_CREDGUARD;
        let client = s.client_id.as_deref()?;
        let healed_after = |at: DateTime<Utc>| {
            s.rotations.iter().any(|r| {
                r.outcome.as_deref() == Some("succeeded")
                    && parse(r.finished_at.as_deref()).is_some_and(|f| f > at)
            })
        };
        if let Some(t) = &self.trail {
            let unexplained: Vec<_> = t
                .of_client(client)
                .iter()
                .filter(|e| e.is_secret_reset())
                .map(|e| t.attribute(e))
                .filter(|a| a.rotation.is_none())
                .collect();
            if let Some(last) = unexplained.last() {
                return self.finding(
                    subject,
                    code,
                    json!({
                        "secretName": s.name,
                        "clientId": client,
                        "resetAt": iso(last.event.at),
                        "resetBy": last.json(),
                        "unexplainedResets": unexplained.len(),
                        "rotationRecordsChecked": s.rotations.len(),
                        "rotatedSince": healed_after(last.event.at),
                    }),
                );
            }
        }
        // Raised before: it holds until a rotation succeeds after the reset.
        let before = self.carried.evidence(&subject.key(), code)?;
        let reset_at = parse(before["resetAt"].as_str())?;
        (!healed_after(reset_at)).then(|| self.finding(subject, code, before.clone()))?
    }

    /// The client's roles that grant admin-level access (the privileged permission rules).
    fn privileged_roles<'c>(&'c self, c: &'c OAuthClient) -> Vec<&'c RoleInfo> {
        let patterns: Vec<String> = self
            .cfg
            .permission_rules
            .iter()
            .filter(|r| PRIVILEGED.contains(&r.code.as_str()) && self.cfg.enabled(&r.code))
            .flat_map(|r| r.permissions.iter().cloned())
            .collect();
        self.client_roles(c)
            .filter(|r| !granting(&r.permissions, &patterns).is_empty())
            .collect()
    }

    /// `ADMIN_ACCESS_GRANTED`: `c` holds admin-level roles it was created with or given since
    /// the previous run (`change`, from the comparison with it), by someone other than credguard.
    pub fn admin_grant(
        &self,
        c: &OAuthClient,
        a: &Assessment,
        change: Option<&Change>,
    ) -> Option<Finding> {
        let code = codes::ADMIN_ACCESS_GRANTED;
        if !self.cfg.enabled(code)
            || !a
                .findings
                .iter()
                .any(|f| PRIVILEGED.contains(&f.code.as_str()))
        {
            return None;
        }
        let privileged = self.privileged_roles(c);
        let t = self.trail.as_ref()?;
        let subject = Subject::Client {
            id: c.id.clone(),
            name: c.name.clone(),
        };
        let created = || t.of_client(&c.id).iter().any(|e| e.is_create());
        let granted: BTreeSet<&str> = match change.map(|ch| (ch.kind, ch)) {
            Some((ChangeKind::ClientAdded, _)) => {
                privileged.iter().map(|r| r.id.as_str()).collect()
            }
            Some((ChangeKind::AccessChanged, ch)) => {
                let added: Vec<&str> = ch.detail["added"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .filter_map(|a| a.strip_prefix("role:"))
                    .map(|a| a.split('@').next().unwrap_or(a))
                    .collect();
                privileged
                    .iter()
                    .map(|r| r.id.as_str())
                    .filter(|id| added.contains(id))
                    .collect()
            }
            // No previous run to compare with: the trail says whether it is new.
            None if !self.carried.baseline && created() => {
                privileged.iter().map(|r| r.id.as_str()).collect()
            }
            _ => BTreeSet::new(),
        };
        if granted.is_empty() {
            // Raised before: it holds while the client keeps admin-level access.
            let before = self.carried.evidence(&subject.key(), code)?;
            return (!privileged.is_empty())
                .then(|| self.finding(&subject, code, before.clone()))?;
        }
        let actor = t
            .last(&c.id, |e| e.touches_roles())
            .or_else(|| t.last(&c.id, |e| e.is_client_event()))
            .map(|e| t.attribute(e));
        if actor.as_ref().is_some_and(|a| a.by_credguard()) {
            return None;
        }
        let names: Vec<&str> = privileged
            .iter()
            .filter(|r| granted.contains(r.id.as_str()))
            .map(|r| r.name.as_deref().unwrap_or(&r.id))
            .collect();
        let how = if change.is_some_and(|ch| ch.kind == ChangeKind::AccessChanged) {
            "granted"
        } else {
            "created"
        };
        self.finding(
            &subject,
            code,
            json!({
                "clientId": c.id,
                "how": how,
                "roles": names,
                "changedBy": actor.map(|a| a.json()),
                "trailFrom": iso(t.trail().from),
            }),
        )
    }
}

//! Notices before things go wrong: a managed secret whose next rotation is due soon but cannot
//! happen, and one overdue by more than the sweep's grace. When a secret is due is rotation's
//! rule (`rotation::schedule::due`, from the tags alone); the blockers are what the audit can
//! see without reading a value.

use super::Rules;
use crate::audit::collect::ManagedSecret;
use crate::audit::findings::{codes, Finding, Subject};
use crate::audit::permissions::covers;
use crate::credential::{Strategy, TAG_LAST_FAILURE, TAG_STRATEGY};
use crate::genesys::models::ClientState;
use crate::records::iso;
use crate::rotation::alternating::drift;
use crate::rotation::schedule::{due, Basis};
use chrono::Duration;
use serde_json::{json, Value};

/// What rotation needs to change a client's secret (`POST …/secret`, or `PUT` of a partner).
const ROTATION_PERMISSION: &str = "oauth:client:edit";

impl Rules<'_> {
    /// Why the next rotation of `s` cannot happen, each as `{"blocker": ..., ...}`.
    fn blockers(&self, s: &ManagedSecret) -> Vec<Value> {
        let mut out = Vec::new();
        if let Some(raw) = s.tags.get(TAG_LAST_FAILURE).filter(|v| !v.is_empty()) {
            // `<time>|<error type>|<token>`: the sweep leaves the secret to a person.
            let mut parts = raw.splitn(3, '|');
            out.push(
                json!({"blocker": "rotationHeld", "at": parts.next(), "errorType": parts.next()}),
            );
        }
        let current = s.client_id.as_deref().map(|id| (id, self.clients.get(id)));
        match current {
            Some((id, None)) => out.push(json!({"blocker": "clientMissing", "clientId": id})),
            Some((id, Some(c))) if c.state() != ClientState::Active => out.push(
                json!({"blocker": "clientNotActive", "clientId": id, "state": c.state().as_str()}),
            ),
            _ => {}
        }
        let alternating = s
            .tags
            .get(TAG_STRATEGY)
            .and_then(|t| t.parse::<Strategy>().ok())
            == Some(Strategy::Alternating);
        if alternating {
            let partner = s.partner_client_id.as_deref();
            match (
                current.and_then(|(_, c)| c),
                partner.map(|p| (p, self.clients.get(p))),
            ) {
                (_, None) => out.push(json!({"blocker": "partnerMissing"})),
                (_, Some((p, None))) => {
                    out.push(json!({"blocker": "partnerMissing", "partnerClientId": p}))
                }
                (Some(a), Some((_, Some(b)))) => {
                    if let Some(why) = drift(a, b) {
                        out.push(json!({"blocker": "partnerDrift", "detail": why}));
                    }
                }
                _ => {}
            }
        }
        if let Some(admin) = self.rotation_admin {
            let perms = self.facts(admin).permissions;
            if !perms.iter().any(|p| covers(p, ROTATION_PERMISSION)) {
                out.push(
                    json!({"blocker": "adminLacksPermission", "adminClientId": admin.id,
                                "permission": ROTATION_PERMISSION}),
                );
            }
            // Alternating gives the partner the client's roles: Genesys refuses a role the
            // caller does not hold.
            if let Some((_, Some(c))) = current.filter(|_| alternating) {
                let held: Vec<&str> = admin
                    .role_divisions
                    .iter()
                    .map(|r| r.role_id.as_str())
                    .collect();
                let lacking: Vec<String> = self
                    .client_roles(c)
                    .filter(|r| !held.contains(&r.id.as_str()))
                    .map(|r| r.name.clone().unwrap_or_else(|| r.id.clone()))
                    .collect();
                if !lacking.is_empty() {
                    out.push(
                        json!({"blocker": "adminLacksRoles", "adminClientId": admin.id,
                                    "roles": lacking}),
                    );
                }
            }
        }
        out
    }

    /// `ROTATION_OVERDUE`, or `ROTATION_DUE_BLOCKED`, for `s`.
    pub(super) fn notices(&self, subject: &Subject, s: &ManagedSecret) -> Vec<Finding> {
        let when = due(&s.name, &s.tags, &self.rotation);
        let Some(due_at) = when.at else {
            // Not adopted yet: the sweep adopts it and starts its clock then.
            return vec![];
        };
        let basis = match when.basis {
            Basis::Rotated(_) => "rotated",
            Basis::Adopted(_) => "adopted",
            Basis::NotAdopted => "notAdopted",
        };
        let grace = Duration::days(i64::from(self.cfg.secret_age_grace_days));
        let blockers = self.blockers(s);
        let facts = |extra: Value| {
            let mut v = json!({"secretName": s.name, "clientId": s.client_id, "dueAt": iso(due_at),
                               "clockFrom": basis, "maxAgeDays": when.max_age_days,
                               "blockers": blockers, "owner": s.tags.get(&self.cfg.owner_tag)});
            if let (Some(m), Value::Object(e)) = (v.as_object_mut(), extra) {
                m.extend(e);
            }
            v
        };
        if self.now > due_at + grace {
            let late = self.now - due_at;
            return self
                .finding(
                    subject,
                    codes::ROTATION_OVERDUE,
                    facts(json!({"overdueHours": late.num_hours(), "graceDays": self.cfg.secret_age_grace_days})),
                )
                .into_iter()
                .collect();
        }
        let soon = due_at - self.now <= Duration::days(i64::from(self.cfg.due_soon_days));
        if soon && !blockers.is_empty() {
            return self
                .finding(
                    subject,
                    codes::ROTATION_DUE_BLOCKED,
                    facts(json!({"dueInHours": (due_at - self.now).num_hours(),
                                 "dueSoonDays": self.cfg.due_soon_days})),
                )
                .into_iter()
                .collect();
        }
        vec![]
    }
}

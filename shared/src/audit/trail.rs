//! Genesys's audit trail as the audit reads it: who changed which OAuth client and when, and
//! whether that was credguard (one of its clients made the call, or one of its rotation records
//! explains it). Property names only: values are never kept.

use super::changes::{Actor, Change, ChangeKind};
use super::collect::ManagedSecret;
use crate::genesys::models::AuditLogMessage;
use crate::records::audit::RecentRotation;
use crate::records::iso;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};

pub const ENTITY_CLIENT: &str = "OAuthClient";
pub const ENTITY_TOKEN: &str = "AccessToken";

/// Genesys's clock and ours, and a rotation record written a moment before or after the call.
const RECORD_SLACK_MINUTES: i64 = 10;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrailEvent {
    pub id: String,
    pub at: DateTime<Utc>,
    pub service: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub entity_name: Option<String>,
    pub action: String,
    pub status: Option<String>,
    pub user_id: Option<String>,
    pub user_name: Option<String>,
    /// The OAuth client that made the call.
    pub client_id: Option<String>,
    pub remote_ip: Vec<String>,
    /// Names of the properties that changed.
    pub properties: Vec<String>,
}

impl TrailEvent {
    /// A message without an id or a date cannot be placed and is skipped.
    pub fn from_message(m: &AuditLogMessage) -> Option<Self> {
        let text = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        Some(Self {
            id: text(&m.id)?,
            at: m.event_date?,
            service: m.service_name.clone().unwrap_or_default(),
            entity_type: m.entity_type.clone().unwrap_or_default(),
            entity_id: m.entity.as_ref().and_then(|e| text(&e.id)),
            entity_name: m.entity.as_ref().and_then(|e| text(&e.name)),
            action: m.action.clone().unwrap_or_default(),
            status: m.status.clone(),
            user_id: m.user.as_ref().and_then(|u| text(&u.id)),
            user_name: m.user.as_ref().and_then(|u| text(&u.name)),
            client_id: m.client.as_ref().and_then(|c| text(&c.id)),
            remote_ip: m.remote_ip.clone(),
            properties: m
                .property_changes
                .iter()
                .filter_map(|p| p.property.clone())
                .collect(),
        })
    }

    pub fn is_client_event(&self) -> bool {
        self.entity_type.eq_ignore_ascii_case(ENTITY_CLIENT)
    }

    fn action_is(&self, a: &str) -> bool {
        self.action.eq_ignore_ascii_case(a)
    }

    /// A secret regeneration: logged as `Update` with a `secret` property change, or as
    /// `Rotate`/`Reset` (undocumented which; API-FACTS §2.5 says to accept both).
    pub fn is_secret_reset(&self) -> bool {
        self.is_client_event()
            && (self.action_is("Rotate")
                || self.action_is("Reset")
                || (self.action_is("Update")
                    && self
                        .properties
                        .iter()
                        .any(|p| p.eq_ignore_ascii_case("secret"))))
    }

    pub fn is_create(&self) -> bool {
        self.is_client_event() && self.action_is("Create")
    }

    pub fn is_delete(&self) -> bool {
        self.is_client_event() && self.action_is("Delete")
    }

    /// A change that may have given the client roles: its creation, or an update of its roles.
    pub fn touches_roles(&self) -> bool {
        self.is_create()
            || (self.is_client_event()
                && self.action_is("Update")
                && self
                    .properties
                    .iter()
                    .any(|p| p.to_ascii_lowercase().contains("role")))
    }
}

/// The trail of one run's window.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trail {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Oldest first.
    pub events: Vec<TrailEvent>,
}

/// Who made an event, as far as credguard can tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribution<'a> {
    pub event: &'a TrailEvent,
    /// One of credguard's clients made the call.
    pub by_credguard_client: bool,
    /// The rotation attempt whose span covers it, of a secret holding the client.
    pub rotation: Option<&'a RecentRotation>,
}

impl Attribution<'_> {
    pub fn by_credguard(&self) -> bool {
        self.by_credguard_client || self.rotation.is_some()
    }

    pub fn rotation_token(&self) -> Option<&str> {
        self.rotation.and_then(|r| r.token.as_deref())
    }

    /// The facts an auditor wants: who, with which client, when, what.
    pub fn json(&self) -> Value {
        let e = self.event;
        json!({
            "auditEventId": e.id,
            "at": iso(e.at),
            "action": e.action,
            "userId": e.user_id,
            "userName": e.user_name,
            "clientId": e.client_id,
            "remoteIp": e.remote_ip,
            "byCredguard": self.by_credguard(),
            "rotationToken": self.rotation_token(),
        })
    }
}

fn parse(t: &Option<String>) -> Option<DateTime<Utc>> {
    t.as_deref()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// Whether the attempt `r` (of a secret holding `client`) spans `at`.
fn explains(r: &RecentRotation, client: &str, at: DateTime<Utc>) -> bool {
    let involves = [&r.client_id, &r.previous_client_id, &r.created_client_id]
        .iter()
        .any(|c| c.as_deref() == Some(client));
    let slack = Duration::minutes(RECORD_SLACK_MINUTES);
    let (Some(start), Some(end)) = (
        parse(&r.started_at),
        parse(&r.finished_at)
            .or(parse(&r.updated_at))
            .or(parse(&r.started_at)),
    ) else {
        return false;
    };
    involves && start - slack <= at && at <= end + slack
}

/// The trail indexed for the questions of one run.
pub struct TrailIndex<'a> {
    trail: &'a Trail,
    /// Client events by the client's id, oldest first.
    by_client: HashMap<&'a str, Vec<&'a TrailEvent>>,
    credguard_clients: HashSet<String>,
    /// Rotation records by every client their secret holds.
    rotations: HashMap<&'a str, Vec<&'a RecentRotation>>,
    managed_by: HashMap<&'a str, Vec<&'a str>>,
}

impl<'a> TrailIndex<'a> {
    pub fn new(
        trail: &'a Trail,
        credguard_clients: HashSet<String>,
        secrets: &'a [ManagedSecret],
    ) -> Self {
        let mut by_client: HashMap<&str, Vec<&TrailEvent>> = HashMap::new();
        for e in trail.events.iter().filter(|e| e.is_client_event()) {
            if let Some(id) = e.entity_id.as_deref() {
                by_client.entry(id).or_default().push(e);
            }
        }
        let mut rotations: HashMap<&str, Vec<&RecentRotation>> = HashMap::new();
        let mut managed_by: HashMap<&str, Vec<&str>> = HashMap::new();
        for s in secrets {
            let held = s
                .rotations
                .iter()
                .flat_map(|r| [&r.client_id, &r.created_client_id])
                .chain([&s.client_id, &s.partner_client_id])
                .flatten();
            let mut seen = HashSet::new();
            for c in held.filter(|c| seen.insert(c.as_str())) {
                rotations.entry(c).or_default().extend(&s.rotations);
                managed_by.entry(c).or_default().push(&s.name);
            }
        }
        Self {
            trail,
            by_client,
            credguard_clients,
            rotations,
            managed_by,
        }
    }

    pub fn trail(&self) -> &'a Trail {
        self.trail
    }

    /// The client events of `client`, oldest first.
    pub fn of_client(&self, client: &str) -> &[&'a TrailEvent] {
        self.by_client.get(client).map_or(&[], Vec::as_slice)
    }

    /// The managed secrets holding `client` (now, or in a recent rotation).
    pub fn managed_secrets(&self, client: &str) -> &[&'a str] {
        self.managed_by.get(client).map_or(&[], Vec::as_slice)
    }

    pub fn attribute(&self, e: &'a TrailEvent) -> Attribution<'a> {
        let by_credguard_client = e
            .client_id
            .as_ref()
            .is_some_and(|c| self.credguard_clients.contains(c));
        let rotation = e.entity_id.as_deref().and_then(|client| {
            self.rotations
                .get(client)?
                .iter()
                .find(|r| explains(r, client, e.at))
                .copied()
        });
        Attribution {
            event: e,
            by_credguard_client,
            rotation,
        }
    }

    /// Who made a client change: the newest trail event of its kind about that client.
    pub fn actor_of(&self, change: &Change) -> Option<Actor> {
        let client = change.client_id.as_deref()?;
        let event = match change.kind {
            ChangeKind::ClientAdded => self.last(client, TrailEvent::is_create),
            ChangeKind::ClientRemoved => self.last(client, TrailEvent::is_delete),
            ChangeKind::AccessChanged => self.last(client, TrailEvent::touches_roles),
            _ => return None,
        }
        .or_else(|| self.last(client, |e| e.is_client_event() && !e.is_secret_reset()))?;
        let a = self.attribute(event);
        Some(Actor {
            event_id: event.id.clone(),
            at: iso(event.at),
            action: event.action.clone(),
            user_id: event.user_id.clone(),
            user_name: event.user_name.clone(),
            client_id: event.client_id.clone(),
            by_credguard: a.by_credguard(),
        })
    }

    /// The newest event about `client` that passes `pred`.
    pub fn last(&self, client: &str, pred: impl Fn(&TrailEvent) -> bool) -> Option<&'a TrailEvent> {
        self.of_client(client)
            .iter()
            .rev()
            .find(|e| pred(e))
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genesys::models::AuditLogMessage;

    fn message(v: Value) -> AuditLogMessage {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn resets_are_recognised_in_either_form_and_values_are_dropped() {
        let update = TrailEvent::from_message(&message(json!({
            "id": "e1", "eventDate": "2026-11-21T06:00:00.000Z", "entityType": "OAuthClient",
            "entity": {"id": "c1"}, "action": "Update",
            "propertyChanges": [{"property": "secret", "oldValues": ["x"], "newValues": ["y"]}]})))
        .unwrap();
        assert!(update.is_secret_reset() && !update.touches_roles());
        assert_eq!(update.properties, ["secret"]);
        let rotate = TrailEvent::from_message(&message(json!({
            "id": "e2", "eventDate": "2026-11-21T06:00:00Z", "entityType": "OAuthClient",
            "entity": {"id": "c1"}, "action": "Rotate"})))
        .unwrap();
        assert!(rotate.is_secret_reset());
        let roles = TrailEvent::from_message(&message(json!({
            "id": "e3", "eventDate": "2026-11-21T06:00:00Z", "entityType": "OAuthClient",
            "action": "Update", "propertyChanges": [{"property": "roleDivisions"}]})))
        .unwrap();
        assert!(roles.touches_roles() && !roles.is_secret_reset());
        assert!(TrailEvent::from_message(&message(json!({"action": "Update"}))).is_none());
    }

    #[test]
    fn a_rotation_record_spanning_the_event_explains_it() {
        let at: DateTime<Utc> = "2026-11-21T06:00:00Z".parse().unwrap();
        let r = RecentRotation {
            token: Some("t1".into()),
            client_id: Some("c1".into()),
            started_at: Some("2026-11-21T05:59:00.000Z".into()),
            finished_at: Some("2026-11-21T06:01:00.000Z".into()),
            ..RecentRotation::default()
        };
        assert!(explains(&r, "c1", at));
        assert!(!explains(&r, "c2", at), "another client");
        assert!(!explains(&r, "c1", at + Duration::hours(1)), "long after");
        assert!(
            explains(&r, "c1", at + Duration::minutes(9)),
            "within the slack"
        );
    }
}

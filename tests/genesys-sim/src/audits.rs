//! The audit service's log (API-FACTS §6): what the API host records when OAuth clients are
//! created, changed, have their secret reset or are deleted, and when tokens are deleted, and
//! the matching of an `AuditQueryRequest` against it.
//!
//! Field names follow `AuditLogMessage` (openapi-subset, SDK `AuditLogMessage.md`). Which
//! properties Genesys lists for a change and how it renders their values is not documented;
//! the simulator lists the `OAuthClient` fields that changed with plain string values, and never
//! any secret value (a reset lists the `secret` property with no values) \[inferred].

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use crate::clock::fmt_dt;
use crate::ids;
use crate::seed::EntityRef;
use crate::state::{Caller, Client, State, Subject};

/// The service the audit log files OAuth client and token events under (\[OBS] API-FACTS §6;
/// the servicemapping endpoint lists it).
pub const SERVICE: &str = "PeoplePermissions";
pub const ENTITY_CLIENT: &str = "OAuthClient";
pub const ENTITY_TOKEN: &str = "AccessToken";

/// How a secret regeneration appears in the log: not documented, so both forms exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetAs {
    /// `Update` with a `secret` property change (default).
    Update,
    /// `Rotate`, with no property changes.
    Rotate,
}

impl ResetAs {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "update" => Some(Self::Update),
            "rotate" => Some(Self::Rotate),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct PropertyChange {
    pub property: String,
    pub old: Vec<String>,
    pub new: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub id: String,
    pub event_date: DateTime<Utc>,
    pub service_name: String,
    pub entity_type: String,
    pub entity: EntityRef,
    pub action: String,
    /// The person behind the call (absent for a client-credentials caller).
    pub user: Option<EntityRef>,
    /// The OAuth client that made the call.
    pub client_id: String,
    pub changes: Vec<PropertyChange>,
}

impl AuditEntry {
    pub fn json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id));
        m.insert("serviceName".into(), json!(self.service_name));
        m.insert("level".into(), json!("USER"));
        m.insert("eventDate".into(), json!(fmt_dt(&self.event_date)));
        m.insert("action".into(), json!(self.action));
        m.insert("entityType".into(), json!(self.entity_type));
        m.insert("status".into(), json!("SUCCESS"));
        m.insert("transactionInitiator".into(), json!(true));
        let mut entity = json!({"id": self.entity.id});
        if let Some(n) = &self.entity.name {
            entity["name"] = json!(n);
        }
        m.insert("entity".into(), entity);
        if let Some(u) = &self.user {
            let mut user = json!({"id": u.id, "selfUri": format!("/api/v2/users/{}", u.id)});
            if let Some(n) = &u.name {
                user["name"] = json!(n);
            }
            m.insert("user".into(), user);
        }
        m.insert(
            "client".into(),
            json!({"id": self.client_id, "selfUri": format!("/api/v2/oauth/clients/{}", self.client_id)}),
        );
        let changes: Vec<Value> = self
            .changes
            .iter()
            .map(|c| json!({"property": c.property, "oldValues": c.old, "newValues": c.new}))
            .collect();
        m.insert("propertyChanges".into(), json!(changes));
        m.insert("context".into(), json!({}));
        Value::Object(m)
    }
}

/// A client's fields as the log lists them (never the secret).
fn client_fields(c: &Client) -> Vec<(&'static str, Vec<String>)> {
    let mut roles: Vec<String> = c
        .role_divisions
        .iter()
        .map(|rd| format!("{}:{}", rd.role_id, rd.division_id))
        .collect();
    roles.sort();
    vec![
        ("name", vec![c.name.clone()]),
        ("description", c.description.iter().cloned().collect()),
        ("authorizedGrantType", vec![c.grant.clone()]),
        (
            "accessTokenValiditySeconds",
            vec![c.validity_seconds.to_string()],
        ),
        ("roleDivisions", roles),
        ("scope", c.scope.clone()),
        ("registeredRedirectUri", c.redirect_uris.clone()),
        ("state", vec![c.state.as_str().to_string()]),
    ]
}

/// The properties that differ between two versions of a client.
pub fn diff(before: &Client, after: &Client) -> Vec<PropertyChange> {
    client_fields(before)
        .into_iter()
        .zip(client_fields(after))
        .filter(|((_, old), (_, new))| old != new)
        .map(|((p, old), (_, new))| PropertyChange {
            property: p.to_string(),
            old,
            new,
        })
        .collect()
}

/// Every field of a new client, as the changes of its `Create`.
pub fn created(c: &Client) -> Vec<PropertyChange> {
    client_fields(c)
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(p, new)| PropertyChange {
            property: p.to_string(),
            old: vec![],
            new,
        })
        .collect()
}

impl State {
    /// Appends one event made by `caller` to the audit log.
    pub fn audit(
        &mut self,
        caller: &Caller,
        entity_type: &str,
        entity: EntityRef,
        action: &str,
        changes: Vec<PropertyChange>,
    ) {
        let user = match &caller.subject {
            Subject::User { user_id, .. } => Some(EntityRef {
                id: user_id.clone(),
                name: self.users.get(user_id).map(|u| u.name.clone()),
            }),
            Subject::Client(_) => None,
        };
        let client_id = caller
            .client_id()
            .unwrap_or(crate::routes::tokens::WEB_APP_CLIENT_ID)
            .to_string();
        let entry = AuditEntry {
            id: ids::uuid(),
            event_date: self.now(),
            service_name: SERVICE.into(),
            entity_type: entity_type.into(),
            entity,
            action: action.into(),
            user,
            client_id,
            changes,
        };
        self.audit_log.push(entry);
    }

    /// An event about an OAuth client.
    pub fn audit_client(
        &mut self,
        caller: &Caller,
        client: &Client,
        action: &str,
        changes: Vec<PropertyChange>,
    ) {
        let entity = EntityRef {
            id: client.id.clone(),
            name: Some(client.name.clone()),
        };
        self.audit(caller, ENTITY_CLIENT, entity, action, changes);
    }

    /// A secret regeneration, in the form the config asks for.
    pub fn audit_secret_reset(&mut self, caller: &Caller, client: &Client) {
        match ResetAs::parse(&self.config.audit_secret_reset_action) {
            Some(ResetAs::Rotate) => self.audit_client(caller, client, "Rotate", vec![]),
            _ => self.audit_client(
                caller,
                client,
                "Update",
                vec![PropertyChange {
                    property: "secret".into(),
                    old: vec![],
                    new: vec![],
                }],
            ),
        }
    }
}

/// One `AuditQueryFilter`.
#[derive(Debug, Clone)]
pub struct Filter {
    pub property: String,
    pub value: String,
}

/// Does `e` pass the filters? The same property given twice matches either value; different
/// properties must all match \[inferred]. Action and entity type compare without case.
pub fn matches(e: &AuditEntry, service: Option<&str>, filters: &[Filter]) -> bool {
    if service.is_some_and(|s| !s.eq_ignore_ascii_case(&e.service_name)) {
        return false;
    }
    let mut properties: Vec<&str> = filters.iter().map(|f| f.property.as_str()).collect();
    properties.sort_unstable();
    properties.dedup();
    properties.into_iter().all(|p| {
        filters.iter().filter(|f| f.property == p).any(|f| {
            let v = f.value.as_str();
            match p {
                "UserId" => e.user.as_ref().is_some_and(|u| u.id == v),
                "ClientId" => e.client_id == v,
                "Action" => e.action.eq_ignore_ascii_case(v),
                "EntityType" => e.entity_type.eq_ignore_ascii_case(v),
                "EntityId" => e.entity.id == v,
                // One organisation: every event is the org's own.
                _ => true,
            }
        })
    })
}

/// `GET /api/v2/audits/query/servicemapping`: what this log can hold.
pub fn service_mapping() -> Value {
    json!({"services": [{
        "name": SERVICE,
        "entities": [
            {"name": ENTITY_CLIENT, "actions": ["Create", "Update", "Delete", "Rotate"]},
            {"name": ENTITY_TOKEN, "actions": ["Delete"]},
        ],
    }]})
}

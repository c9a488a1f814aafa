//! Seed fixture: the organisation a simulator starts with (JSON, or built in code).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The shipped demo organisation (`fixtures/demo-org.json`).
pub const DEMO_SEED_JSON: &str = include_str!("../fixtures/demo-org.json");

#[derive(Debug, Clone)]
pub struct SeedError(pub String);

impl fmt::Display for SeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid seed: {}", self.0)
    }
}

impl std::error::Error for SeedError {}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Seed {
    pub organization: SeedOrg,
    #[serde(default)]
    pub divisions: Vec<SeedDivision>,
    #[serde(default)]
    pub roles: Vec<SeedRole>,
    #[serde(default)]
    pub scopes: Vec<SeedScope>,
    #[serde(default)]
    pub clients: Vec<SeedClient>,
    #[serde(default)]
    pub users: Vec<SeedUser>,
    #[serde(default)]
    pub usage: Vec<SeedUsageRow>,
    #[serde(default)]
    pub integration_credentials: Vec<SeedCredential>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeedOrg {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeedDivision {
    pub id: String,
    pub name: String,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedRole {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    #[serde(default)]
    pub permissions: Vec<String>,
    pub default_role_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeedScope {
    pub id: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleDivision {
    pub role_id: String,
    pub division_id: String,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EntityRef {
    pub id: String,
    pub name: Option<String>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedClient {
    /// Generated (UUID) when absent.
    pub id: Option<String>,
    pub name: String,
    /// Plaintext; generated when absent. The simulator keeps only its hash.
    pub secret: Option<String>,
    #[serde(default = "default_grant")]
    pub authorized_grant_type: String,
    pub access_token_validity_seconds: Option<i64>,
    #[serde(default)]
    pub role_divisions: Vec<RoleDivision>,
    #[serde(default)]
    pub scope: Vec<String>,
    #[serde(default)]
    pub registered_redirect_uri: Vec<String>,
    pub state: Option<String>,
    pub description: Option<String>,
    /// Absolute creation date; wins over `createdDaysAgo`.
    pub date_created: Option<String>,
    /// Creation date relative to the simulator's clock when the seed is loaded.
    pub created_days_ago: Option<i64>,
    pub created_by: Option<EntityRef>,
}

fn default_grant() -> String {
    "CLIENT-CREDENTIALS".into()
}

fn default_state() -> String {
    "active".into()
}

fn default_true() -> bool {
    true
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedUser {
    pub id: String,
    pub name: String,
    pub email: String,
    /// `active`, `inactive` or `deleted`.
    #[serde(default = "default_state")]
    pub state: String,
    #[serde(default = "default_true")]
    pub scim_active: bool,
    #[serde(default)]
    pub role_ids: Vec<String>,
    pub date_last_login: Option<String>,
    pub last_token_issued: Option<String>,
    /// Addition: relative forms of the two dates above.
    pub date_last_login_days_ago: Option<i64>,
    pub last_token_issued_days_ago: Option<i64>,
    pub division_id: Option<String>,
    pub title: Option<String>,
    pub department: Option<String>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedUsageRow {
    /// `yyyy-MM-dd`; wins over `daysAgo`.
    pub date: Option<String>,
    pub days_ago: Option<i64>,
    pub client_id: String,
    pub client_name: Option<String>,
    pub organization_id: Option<String>,
    /// Total; defaults to status200 + status300 + status400 + status500 (429 is a subset of 400).
    pub requests: Option<u64>,
    #[serde(default)]
    pub status200: u64,
    #[serde(default)]
    pub status300: u64,
    #[serde(default)]
    pub status400: u64,
    #[serde(default)]
    pub status429: u64,
    #[serde(default)]
    pub status500: u64,
    pub template_uri: Option<String>,
    pub http_method: Option<String>,
    pub user_id: Option<String>,
    pub platform: Option<String>,
    /// Row of a Genesys-owned client (client org `purecloud`/`purecloud-builtin`): the jobs API
    /// reports it, the old `/api/v2/usage/query` filters it out.
    #[serde(default)]
    pub genesys_owned: bool,
}

/// A credential type given as `"pureCloudOAuthClient"` or as `{"name": "pureCloudOAuthClient"}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CredentialTypeRef {
    Name(String),
    Object { name: String },
}

impl CredentialTypeRef {
    pub fn name(&self) -> &str {
        match self {
            CredentialTypeRef::Name(n) | CredentialTypeRef::Object { name: n } => n,
        }
    }
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedCredential {
    pub id: Option<String>,
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub credential_type: CredentialTypeRef,
    #[serde(default)]
    pub credential_fields: BTreeMap<String, String>,
    pub created_days_ago: Option<i64>,
}

impl Seed {
    /// An empty organisation with one `Home` division.
    pub fn new(org_name: &str) -> Seed {
        Seed {
            organization: SeedOrg {
                id: crate::ids::uuid(),
                name: org_name.to_string(),
            },
            divisions: vec![SeedDivision {
                id: crate::ids::uuid(),
                name: "Home".into(),
            }],
            roles: Vec::new(),
            scopes: Vec::new(),
            clients: Vec::new(),
            users: Vec::new(),
            usage: Vec::new(),
            integration_credentials: Vec::new(),
        }
    }

    /// The shipped demo fixture.
    pub fn demo() -> Seed {
        // The fixture is compiled in and covered by tests; a parse failure is a build defect.
        Seed::from_json(DEMO_SEED_JSON).unwrap_or_else(|e| panic!("demo fixture: {e}"))
    }

    pub fn from_json(s: &str) -> Result<Seed, SeedError> {
        serde_json::from_str(s).map_err(|e| SeedError(e.to_string()))
    }

    pub fn from_value(v: serde_json::Value) -> Result<Seed, SeedError> {
        serde_json::from_value(v).map_err(|e| SeedError(e.to_string()))
    }

    pub fn from_file(path: &Path) -> Result<Seed, SeedError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| SeedError(format!("{}: {e}", path.display())))?;
        Seed::from_json(&text)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    pub fn home_division_id(&self) -> Option<&str> {
        self.divisions.first().map(|d| d.id.as_str())
    }

    pub fn role(mut self, id: &str, name: &str, permissions: &[&str]) -> Seed {
        self.roles.push(SeedRole {
            id: id.into(),
            name: name.into(),
            description: None,
            permissions: permissions.iter().map(|p| p.to_string()).collect(),
            default_role_id: None,
        });
        self
    }

    pub fn scope(mut self, id: &str, description: &str) -> Seed {
        self.scopes.push(SeedScope {
            id: id.into(),
            description: description.into(),
        });
        self
    }

    pub fn client(mut self, c: SeedClient) -> Seed {
        self.clients.push(c);
        self
    }

    pub fn user(mut self, u: SeedUser) -> Seed {
        self.users.push(u);
        self
    }

    pub fn usage_row(mut self, r: SeedUsageRow) -> Seed {
        self.usage.push(r);
        self
    }

    pub fn credential(mut self, c: SeedCredential) -> Seed {
        self.integration_credentials.push(c);
        self
    }

    /// Adds `n` client-credentials clients `synthetic-client-{i}` holding `role_id`, each with
    /// secret `synthetic-secret-{i}` (for scale tests).
    pub fn synthetic_clients(mut self, n: usize, role_id: &str) -> Seed {
        self.clients.reserve(n);
        for i in 0..n {
            self.clients.push(
                SeedClient::client_credentials(
                    None,
                    &format!("synthetic-client-{i}"),
                    &format!("synthetic-secret-{i}"),
                )
                .with_role(role_id)
                .created_days_ago((i % 900) as i64),
            );
        }
        self
    }
}

impl SeedClient {
    pub fn client_credentials(id: Option<&str>, name: &str, secret: &str) -> SeedClient {
        SeedClient {
            id: id.map(str::to_string),
            name: name.into(),
            secret: Some(secret.into()),
            authorized_grant_type: default_grant(),
            access_token_validity_seconds: None,
            role_divisions: Vec::new(),
            scope: Vec::new(),
            registered_redirect_uri: Vec::new(),
            state: None,
            description: None,
            date_created: None,
            created_days_ago: None,
            created_by: None,
        }
    }

    pub fn code_grant(id: Option<&str>, name: &str, secret: &str, scopes: &[&str]) -> SeedClient {
        let mut c = SeedClient::client_credentials(id, name, secret);
        c.authorized_grant_type = "CODE".into();
        c.scope = scopes.iter().map(|s| s.to_string()).collect();
        c.registered_redirect_uri = vec!["https://localhost/callback".into()];
        c
    }

    /// Grants the role in all divisions (`*`).
    pub fn with_role(mut self, role_id: &str) -> SeedClient {
        self.role_divisions.push(RoleDivision {
            role_id: role_id.into(),
            division_id: "*".into(),
        });
        self
    }

    pub fn state(mut self, state: &str) -> SeedClient {
        self.state = Some(state.into());
        self
    }

    pub fn created_days_ago(mut self, days: i64) -> SeedClient {
        self.created_days_ago = Some(days);
        self
    }

    pub fn validity(mut self, seconds: i64) -> SeedClient {
        self.access_token_validity_seconds = Some(seconds);
        self
    }

    pub fn description(mut self, d: &str) -> SeedClient {
        self.description = Some(d.into());
        self
    }
}

impl SeedUser {
    pub fn new(id: &str, name: &str, email: &str) -> SeedUser {
        SeedUser {
            id: id.into(),
            name: name.into(),
            email: email.into(),
            state: default_state(),
            scim_active: true,
            role_ids: Vec::new(),
            date_last_login: None,
            last_token_issued: None,
            date_last_login_days_ago: None,
            last_token_issued_days_ago: None,
            division_id: None,
            title: None,
            department: None,
        }
    }

    pub fn with_role(mut self, role_id: &str) -> SeedUser {
        self.role_ids.push(role_id.into());
        self
    }

    pub fn state(mut self, state: &str) -> SeedUser {
        self.state = state.into();
        self
    }

    pub fn scim_active(mut self, active: bool) -> SeedUser {
        self.scim_active = active;
        self
    }
}

impl SeedUsageRow {
    pub fn new(days_ago: i64, client_id: &str, client_name: &str, requests: u64) -> SeedUsageRow {
        SeedUsageRow {
            days_ago: Some(days_ago),
            client_id: client_id.into(),
            client_name: Some(client_name.into()),
            requests: Some(requests),
            status200: requests,
            ..SeedUsageRow::default()
        }
    }

    pub fn endpoint(mut self, method: &str, template_uri: &str) -> SeedUsageRow {
        self.http_method = Some(method.into());
        self.template_uri = Some(template_uri.into());
        self
    }
}

impl SeedCredential {
    pub fn oauth_client(
        id: &str,
        name: &str,
        client_id: &str,
        client_secret: &str,
    ) -> SeedCredential {
        let mut fields = BTreeMap::new();
        fields.insert("clientId".to_string(), client_id.to_string());
        fields.insert("clientSecret".to_string(), client_secret.to_string());
        SeedCredential {
            id: Some(id.into()),
            name: Some(name.into()),
            credential_type: CredentialTypeRef::Name("pureCloudOAuthClient".into()),
            credential_fields: fields,
            created_days_ago: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_fixture_parses() {
        let s = Seed::demo();
        assert!(!s.clients.is_empty());
        assert!(!s.users.is_empty());
        assert!(!s.usage.is_empty());
        assert!(!s.integration_credentials.is_empty());
    }

    #[test]
    fn builder_round_trips_through_json() {
        let s = Seed::new("Test Org")
            .role("r1", "Admin", &["oauth:client:*"])
            .client(SeedClient::client_credentials(Some("c1"), "one", "s1").with_role("r1"))
            .synthetic_clients(3, "r1");
        assert_eq!(s.clients.len(), 4);
        let back = Seed::from_json(&s.to_json()).expect("round trip");
        assert_eq!(back.clients.len(), 4);
        assert_eq!(back.clients[0].role_divisions[0].role_id, "r1");
    }
}

//! The simulated organisation: everything the API host and login host read and change.
//! One `State` lives behind one mutex; every operation is short and in memory.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::clock::{parse_dt, Clock};
use crate::config::SimConfig;
use crate::faults::{CallLog, FaultStore};
use crate::ids;
use crate::ratelimit::RateLimiter;
use crate::seed::{EntityRef, RoleDivision, Seed, SeedError};
use crate::usage::UsageRow;

pub const GRANT_CLIENT_CREDENTIALS: &str = "CLIENT-CREDENTIALS";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientState {
    Active,
    Disabled,
    Inactive,
}

impl ClientState {
    pub fn as_str(&self) -> &'static str {
        match self {
            ClientState::Active => "active",
            ClientState::Disabled => "disabled",
            ClientState::Inactive => "inactive",
        }
    }

    pub fn parse(s: &str) -> Option<ClientState> {
        match s.to_ascii_lowercase().as_str() {
            "active" => Some(ClientState::Active),
            "disabled" => Some(ClientState::Disabled),
            "inactive" => Some(ClientState::Inactive),
            _ => None,
        }
    }
}

/// Maps request spellings (`client_credentials`, `Client-Credentials`, `SAML2BEARER`...) to the
/// current enum; unknown grant types are kept as given.
pub fn normalize_grant(g: &str) -> String {
    let key: String = g
        .chars()
        .filter(|c| *c != '-' && *c != '_')
        .collect::<String>()
        .to_ascii_uppercase();
    match key.as_str() {
        "CLIENTCREDENTIALS" => GRANT_CLIENT_CREDENTIALS.into(),
        "SAML2BEARER" => "SAML2-BEARER".into(),
        "CODE" | "TOKEN" | "PASSWORD" => key,
        _ => g.to_string(),
    }
}

#[derive(Debug, Clone)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub permissions: Vec<String>,
    pub default_role_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Scope {
    pub id: String,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct Division {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Client {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub grant: String,
    pub validity_seconds: i64,
    pub role_divisions: Vec<RoleDivision>,
    pub scope: Vec<String>,
    pub redirect_uris: Vec<String>,
    pub state: ClientState,
    pub date_created: DateTime<Utc>,
    pub date_modified: Option<DateTime<Utc>>,
    pub created_by: Option<EntityRef>,
    pub modified_by: Option<EntityRef>,
    pub date_to_delete: Option<DateTime<Utc>>,
    /// SHA-256 of the current secret; the plaintext is only ever returned by the two POSTs.
    pub secret_hash: String,
    /// When the login host starts accepting the current secret (propagation delay).
    pub secret_accepted_at: DateTime<Utc>,
    pub secret_regenerations: u64,
}

impl Client {
    pub fn is_client_credentials(&self) -> bool {
        self.grant == GRANT_CLIENT_CREDENTIALS
    }

    pub fn role_ids(&self) -> Vec<String> {
        let mut seen = HashSet::new();
        self.role_divisions
            .iter()
            .filter(|rd| seen.insert(rd.role_id.clone()))
            .map(|rd| rd.role_id.clone())
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: String,
    pub state: String,
    pub scim_active: bool,
    pub role_ids: Vec<String>,
    pub date_last_login: Option<DateTime<Utc>>,
    pub last_token_issued: Option<DateTime<Utc>>,
    pub division_id: String,
    pub title: Option<String>,
    pub department: Option<String>,
    pub version: u64,
    pub date_modified: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// Client-credentials token.
    Client(String),
    /// A person's session, optionally through a code/implicit client.
    User {
        user_id: String,
        client_id: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub subject: Subject,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The client's `secret_regenerations` when issued (for `revokeTokensOnSecretReset`).
    pub secret_generation: u64,
}

impl TokenRecord {
    pub fn client_id(&self) -> Option<&str> {
        match &self.subject {
            Subject::Client(c) => Some(c),
            Subject::User { client_id, .. } => client_id.as_deref(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct IntegrationCredential {
    pub id: String,
    pub name: Option<String>,
    pub type_name: String,
    pub fields: BTreeMap<String, String>,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
}

/// Who is calling the API host.
#[derive(Debug, Clone)]
pub struct Caller {
    pub token_hash: String,
    pub subject: Subject,
    pub permissions: Vec<String>,
    pub role_ids: HashSet<String>,
}

impl Caller {
    pub fn client_id(&self) -> Option<&str> {
        match &self.subject {
            Subject::Client(c) => Some(c),
            Subject::User { client_id, .. } => client_id.as_deref(),
        }
    }
}

pub struct State {
    pub config: SimConfig,
    pub clock: Clock,
    pub api_url: String,
    pub org_id: String,
    pub org_name: String,
    pub divisions: Vec<Division>,
    pub roles: HashMap<String, Role>,
    pub role_order: Vec<String>,
    pub scopes: Vec<Scope>,
    pub clients: HashMap<String, Client>,
    pub client_order: Vec<String>,
    /// Clients that existed once (id -> secret regenerations), for `GET /__sim/clients/{id}`.
    pub deleted_clients: HashMap<String, u64>,
    pub users: HashMap<String, User>,
    pub user_order: Vec<String>,
    /// Keyed by SHA-256 of the token.
    pub tokens: HashMap<String, TokenRecord>,
    pub usage: Vec<UsageRow>,
    pub usage_jobs: HashMap<String, crate::routes::usage::UsageJob>,
    pub credentials: HashMap<String, IntegrationCredential>,
    pub credential_order: Vec<String>,
    /// The audit service's log (append-only) and its queries.
    pub audit_log: Vec<crate::audits::AuditEntry>,
    pub audit_queries: HashMap<String, crate::routes::audits::AuditQueryJob>,
    pub rate: RateLimiter,
    pub faults: FaultStore,
    pub calls: CallLog,
}

fn at_days_ago(now: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    crate::clock::days_before(now, days)
}

/// Seeds may use long-lived tokens, but not ones whose expiry overflows.
const MAX_SEED_VALIDITY: i64 = 10 * 365 * 86_400;

impl State {
    /// Builds an organisation from a seed at the clock's current time.
    pub fn build(
        seed: &Seed,
        config: SimConfig,
        clock: Clock,
        api_url: &str,
    ) -> Result<State, SeedError> {
        let now = clock.now();
        let mut st = State {
            config,
            clock,
            api_url: api_url.to_string(),
            org_id: seed.organization.id.clone(),
            org_name: seed.organization.name.clone(),
            divisions: seed
                .divisions
                .iter()
                .map(|d| Division {
                    id: d.id.clone(),
                    name: d.name.clone(),
                })
                .collect(),
            roles: HashMap::new(),
            role_order: Vec::new(),
            scopes: seed
                .scopes
                .iter()
                .map(|s| Scope {
                    id: s.id.clone(),
                    description: s.description.clone(),
                })
                .collect(),
            clients: HashMap::with_capacity(seed.clients.len()),
            client_order: Vec::with_capacity(seed.clients.len()),
            deleted_clients: HashMap::new(),
            users: HashMap::new(),
            user_order: Vec::new(),
            tokens: HashMap::new(),
            usage: Vec::new(),
            usage_jobs: HashMap::new(),
            credentials: HashMap::new(),
            credential_order: Vec::new(),
            audit_log: Vec::new(),
            audit_queries: HashMap::new(),
            rate: RateLimiter::default(),
            faults: FaultStore::default(),
            calls: CallLog::default(),
        };
        if st.divisions.is_empty() {
            st.divisions.push(Division {
                id: ids::uuid(),
                name: "Home".into(),
            });
        }
        for r in &seed.roles {
            if st.roles.contains_key(&r.id) {
                return Err(SeedError(format!("duplicate role id {}", r.id)));
            }
            st.role_order.push(r.id.clone());
            st.roles.insert(
                r.id.clone(),
                Role {
                    id: r.id.clone(),
                    name: r.name.clone(),
                    description: r.description.clone(),
                    permissions: r.permissions.clone(),
                    default_role_id: r.default_role_id.clone(),
                },
            );
        }
        for c in &seed.clients {
            let id = c.id.clone().unwrap_or_else(ids::uuid);
            if st.clients.contains_key(&id) {
                return Err(SeedError(format!("duplicate client id {id}")));
            }
            for rd in &c.role_divisions {
                if !st.roles.contains_key(&rd.role_id) {
                    return Err(SeedError(format!(
                        "client {id} references unknown role {}",
                        rd.role_id
                    )));
                }
            }
            let state = match &c.state {
                None => ClientState::Active,
                Some(s) => ClientState::parse(s)
                    .ok_or_else(|| SeedError(format!("client {id}: unknown state {s}")))?,
            };
            let created = match (&c.date_created, c.created_days_ago) {
                (Some(d), _) => parse_dt(d)
                    .ok_or_else(|| SeedError(format!("client {id}: bad dateCreated {d}")))?,
                (None, Some(days)) => at_days_ago(now, days),
                (None, None) => now,
            };
            let validity = c.access_token_validity_seconds.unwrap_or(86_400);
            if !(1..=MAX_SEED_VALIDITY).contains(&validity) {
                return Err(SeedError(format!(
                    "client {id}: accessTokenValiditySeconds must be 1..={MAX_SEED_VALIDITY}"
                )));
            }
            let secret = c.secret.clone().unwrap_or_else(ids::new_secret);
            let client = Client {
                id: id.clone(),
                name: c.name.clone(),
                description: c.description.clone(),
                grant: normalize_grant(&c.authorized_grant_type),
                validity_seconds: validity,
                role_divisions: c.role_divisions.clone(),
                scope: c.scope.clone(),
                redirect_uris: c.registered_redirect_uri.clone(),
                state,
                date_created: created,
                date_modified: Some(created),
                created_by: c.created_by.clone(),
                modified_by: c.created_by.clone(),
                date_to_delete: (state == ClientState::Inactive).then(|| now + Duration::days(7)),
                secret_hash: ids::sha256_hex(&secret),
                secret_accepted_at: created.min(now),
                secret_regenerations: 0,
            };
            st.client_order.push(id.clone());
            st.clients.insert(id, client);
        }
        let home = st.divisions[0].id.clone();
        for u in &seed.users {
            if st.users.contains_key(&u.id) {
                return Err(SeedError(format!("duplicate user id {}", u.id)));
            }
            for r in &u.role_ids {
                if !st.roles.contains_key(r) {
                    return Err(SeedError(format!(
                        "user {} references unknown role {r}",
                        u.id
                    )));
                }
            }
            let date = |abs: &Option<String>,
                        rel: Option<i64>|
             -> Result<Option<DateTime<Utc>>, SeedError> {
                match (abs, rel) {
                    (Some(s), _) => parse_dt(s)
                        .map(Some)
                        .ok_or_else(|| SeedError(format!("user {}: bad date {s}", u.id))),
                    (None, Some(days)) => Ok(Some(at_days_ago(now, days))),
                    (None, None) => Ok(None),
                }
            };
            let user = User {
                id: u.id.clone(),
                name: u.name.clone(),
                email: u.email.clone(),
                state: u.state.to_ascii_lowercase(),
                scim_active: u.scim_active,
                role_ids: u.role_ids.clone(),
                date_last_login: date(&u.date_last_login, u.date_last_login_days_ago)?,
                last_token_issued: date(&u.last_token_issued, u.last_token_issued_days_ago)?,
                division_id: u.division_id.clone().unwrap_or_else(|| home.clone()),
                title: u.title.clone(),
                department: u.department.clone(),
                version: 1,
                date_modified: now,
            };
            st.user_order.push(u.id.clone());
            st.users.insert(u.id.clone(), user);
        }
        let today = clock.today();
        for r in &seed.usage {
            let mut row = UsageRow::from_seed(r, today)?;
            row.organization_id.get_or_insert_with(|| st.org_id.clone());
            st.usage.push(row);
        }
        for c in &seed.integration_credentials {
            let id = c.id.clone().unwrap_or_else(ids::uuid);
            if st.credentials.contains_key(&id) {
                return Err(SeedError(format!(
                    "duplicate integration credential id {id}"
                )));
            }
            let created = c.created_days_ago.map_or(now, |d| at_days_ago(now, d));
            st.credential_order.push(id.clone());
            st.credentials.insert(
                id.clone(),
                IntegrationCredential {
                    id,
                    name: c.name.clone(),
                    type_name: c.credential_type.name().to_string(),
                    fields: c.credential_fields.clone(),
                    created,
                    modified: created,
                },
            );
        }
        Ok(st)
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn today(&self) -> NaiveDate {
        self.clock.today()
    }

    /// Removes clients whose 7-day deactivation has run out.
    pub fn purge_expired_clients(&mut self) {
        let now = self.now();
        let expired: Vec<String> = self
            .clients
            .values()
            .filter(|c| {
                c.state == ClientState::Inactive && c.date_to_delete.is_some_and(|d| d <= now)
            })
            .map(|c| c.id.clone())
            .collect();
        for id in expired {
            self.remove_client(&id);
        }
    }

    pub fn remove_client(&mut self, id: &str) {
        if let Some(c) = self.clients.remove(id) {
            self.deleted_clients
                .insert(id.to_string(), c.secret_regenerations);
            self.client_order.retain(|x| x != id);
            self.kill_client_tokens(id);
        }
    }

    pub fn kill_client_tokens(&mut self, client_id: &str) {
        self.tokens.retain(|_, t| t.client_id() != Some(client_id));
    }

    pub fn kill_user_tokens(&mut self, user_id: &str) -> usize {
        let before = self.tokens.len();
        self.tokens
            .retain(|_, t| !matches!(&t.subject, Subject::User { user_id: u, .. } if u == user_id));
        before - self.tokens.len()
    }

    pub fn permissions_of_roles<'a>(
        &self,
        role_ids: impl IntoIterator<Item = &'a String>,
    ) -> Vec<String> {
        let mut perms: Vec<String> = Vec::new();
        let mut seen = HashSet::new();
        for rid in role_ids {
            if let Some(r) = self.roles.get(rid) {
                for p in &r.permissions {
                    if seen.insert(p.clone()) {
                        perms.push(p.clone());
                    }
                }
            }
        }
        perms
    }

    /// Is this token record usable right now?
    pub fn token_valid(&self, t: &TokenRecord) -> bool {
        let now = self.now();
        if now >= t.expires_at {
            return false;
        }
        if let Some(cid) = t.client_id() {
            match self.clients.get(cid) {
                Some(c) if c.state == ClientState::Active => {
                    if self.config.revoke_tokens_on_secret_reset
                        && matches!(t.subject, Subject::Client(_))
                        && t.secret_generation < c.secret_regenerations
                    {
                        return false;
                    }
                }
                _ => return false,
            }
        }
        if let Subject::User { user_id, .. } = &t.subject {
            match self.users.get(user_id) {
                Some(u) if u.state != "deleted" => {}
                _ => return false,
            }
        }
        true
    }

    /// Resolves a bearer token to a caller, or `None` if unknown, expired, revoked or orphaned.
    pub fn resolve_token(&self, token: &str) -> Option<Caller> {
        let hash = ids::sha256_hex(token);
        let rec = self.tokens.get(&hash)?;
        if !self.token_valid(rec) {
            return None;
        }
        let role_ids: HashSet<String> = match &rec.subject {
            Subject::Client(cid) => self
                .clients
                .get(cid)
                .map(|c| c.role_ids().into_iter().collect())
                .unwrap_or_default(),
            Subject::User { user_id, .. } => self
                .users
                .get(user_id)
                .map(|u| u.role_ids.iter().cloned().collect())
                .unwrap_or_default(),
        };
        Some(Caller {
            token_hash: hash,
            subject: rec.subject.clone(),
            permissions: self.permissions_of_roles(role_ids.iter()),
            role_ids,
        })
    }

    /// The OAuth client id behind a token (valid or not), for the call log.
    pub fn token_client_id(&self, token: &str) -> Option<String> {
        self.tokens
            .get(&ids::sha256_hex(token))
            .and_then(|t| t.client_id().map(str::to_string))
    }

    pub fn issue_token(&mut self, subject: Subject, validity_seconds: i64) -> String {
        let now = self.now();
        let generation = match &subject {
            Subject::Client(c) => self.clients.get(c).map_or(0, |c| c.secret_regenerations),
            Subject::User { .. } => 0,
        };
        let token = ids::new_token();
        self.tokens.insert(
            ids::sha256_hex(&token),
            TokenRecord {
                subject,
                issued_at: now,
                expires_at: crate::clock::plus_ms(now, validity_seconds.saturating_mul(1000)),
                secret_generation: generation,
            },
        );
        token
    }

    pub fn active_tokens_of_client(&self, client_id: &str) -> usize {
        self.tokens
            .values()
            .filter(|t| t.client_id() == Some(client_id) && self.token_valid(t))
            .count()
    }

    /// `DomainEntityRef` naming the caller, for `createdBy`/`modifiedBy` (inferred shape).
    pub fn caller_ref(&self, caller: &Caller) -> EntityRef {
        match &caller.subject {
            Subject::User { user_id, .. } => EntityRef {
                id: user_id.clone(),
                name: self.users.get(user_id).map(|u| u.name.clone()),
            },
            Subject::Client(cid) => EntityRef {
                id: cid.clone(),
                name: self.clients.get(cid).map(|c| c.name.clone()),
            },
        }
    }

    pub fn home_division(&self) -> &Division {
        &self.divisions[0]
    }

    pub fn user_count_of_role(&self, role_id: &str) -> usize {
        self.users
            .values()
            .filter(|u| u.state != "deleted" && u.role_ids.iter().any(|r| r == role_id))
            .count()
    }
}

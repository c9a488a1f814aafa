//! Direct control of a running simulator (the operations behind the `/__sim` admin API).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::clock::fmt_dt;
use crate::config::SimConfig;
use crate::faults::{CallRecord, FaultRule};
use crate::ids;
use crate::routes;
use crate::routes::integrations::is_sensitive;
use crate::routes::tokens::WEB_APP_CLIENT_ID;
use crate::seed::{Seed, SeedUsageRow};
use crate::server::Shared;
use crate::state::{ClientState, State, Subject};
use crate::usage::UsageRow;
use crate::views::client_json;

/// A refused control operation (400 or 404 on the admin API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimError {
    pub status: u16,
    pub message: String,
}

impl SimError {
    fn bad(m: impl Into<String>) -> SimError {
        SimError {
            status: 400,
            message: m.into(),
        }
    }

    fn not_found(m: impl Into<String>) -> SimError {
        SimError {
            status: 404,
            message: m.into(),
        }
    }
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.status)
    }
}

impl std::error::Error for SimError {}

/// `GET /__sim/clients/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientView {
    pub id: String,
    /// `active`, `disabled`, `inactive`, or `deleted` once removed.
    pub state: String,
    pub secret_regenerations: u64,
    /// When the login host accepts (or accepted) the current secret; null once deleted.
    pub secret_accepted_at: Option<String>,
    pub active_tokens: usize,
    pub exists: bool,
}

/// `POST /__sim/check-secret`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretCheck {
    /// Is this the client's current secret?
    pub current: bool,
    /// Would a token grant with it succeed right now?
    pub accepted: bool,
}

/// `POST /__sim/users/{userId}/tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MintedToken {
    pub access_token: String,
    pub expires_in: i64,
}

/// `GET /__sim/calls`.
#[derive(Debug, Clone, Serialize)]
pub struct CallsView {
    pub counts: BTreeMap<String, u64>,
    pub calls: Vec<CallRecord>,
}

/// A cloneable control handle sharing the simulator's state.
#[derive(Clone)]
pub struct SimControl {
    pub(crate) shared: Arc<Shared>,
}

impl SimControl {
    /// `http://127.0.0.1:PORT` of the API host (also serves `/__sim`).
    pub fn api_url(&self) -> String {
        self.shared.api_url.clone()
    }

    /// `http://127.0.0.1:PORT` of the login host.
    pub fn login_url(&self) -> String {
        self.shared.login_url.clone()
    }

    /// Back to a seed (default: the start seed) with the start config: no tokens, faults,
    /// calls, jobs or clock offset.
    pub fn reset(&self, seed: Option<Seed>) -> Result<(), SimError> {
        let seed = seed.unwrap_or_else(|| self.shared.start_seed.clone());
        let fresh = State::build(
            &seed,
            self.shared.start_config.clone(),
            crate::clock::Clock::default(),
            &self.shared.api_url,
        )
        .map_err(|e| SimError::bad(e.to_string()))?;
        *self.shared.lock() = fresh;
        Ok(())
    }

    pub fn config(&self) -> SimConfig {
        self.shared.lock().config.clone()
    }

    pub fn set_config(&self, config: SimConfig) -> Result<(), SimError> {
        config.validate().map_err(SimError::bad)?;
        self.shared.lock().config = config;
        Ok(())
    }

    /// Applies a partial camelCase config document; returns the new config.
    pub fn patch_config(&self, patch: &Value) -> Result<SimConfig, SimError> {
        let mut st = self.shared.lock();
        let next = st.config.patched(patch).map_err(SimError::bad)?;
        st.config = next.clone();
        Ok(next)
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.shared.lock().now()
    }

    /// Moves the simulated clock; returns the new now.
    pub fn advance_clock(&self, secs: i64) -> DateTime<Utc> {
        self.advance_clock_ms(secs.saturating_mul(1000))
    }

    pub fn advance_clock_ms(&self, ms: i64) -> DateTime<Utc> {
        let mut st = self.shared.lock();
        st.clock.advance_ms(ms);
        st.now()
    }

    /// Deletes a role while clients and users keep referring to it, as a role deleted in the
    /// Admin UI leaves dangling `roleDivisions` (audit: orphaned role references).
    pub fn remove_role(&self, id: &str) -> Result<(), SimError> {
        let mut st = self.shared.lock();
        st.roles
            .remove(id)
            .ok_or_else(|| SimError::not_found(format!("role {id} does not exist")))?;
        st.role_order.retain(|r| r != id);
        Ok(())
    }

    pub fn add_fault(&self, rule: FaultRule) -> Result<(), SimError> {
        rule.validate(&routes::operation_names())
            .map_err(SimError::bad)?;
        self.shared.lock().faults.add(rule);
        Ok(())
    }

    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Active rules with their remaining counts.
    pub fn faults(&self) -> Vec<FaultRule> {
        self.shared.lock().faults.list()
    }

    pub fn call_count(&self, operation: &str) -> u64 {
        self.shared.lock().calls.count(operation)
    }

    /// How many recorded calls were answered with `status` (e.g. 429: throttled).
    pub fn answered_with(&self, status: u16) -> usize {
        let st = self.shared.lock();
        st.calls
            .calls()
            .iter()
            .filter(|c| c.status == Some(status))
            .count()
    }

    pub fn calls(&self) -> CallsView {
        let st = self.shared.lock();
        CallsView {
            counts: st.calls.counts().clone(),
            calls: st.calls.calls(),
        }
    }

    /// The audit service's log, oldest first, as `AuditLogMessage` JSON.
    pub fn audit_log(&self) -> Vec<Value> {
        self.shared
            .lock()
            .audit_log
            .iter()
            .map(|e| e.json())
            .collect()
    }

    pub fn clear_calls(&self) {
        self.shared.lock().calls.clear();
    }

    /// `None` if the client never existed.
    /// How many secret regenerations were applied to client `id`; panics on an unknown client.
    pub fn regenerations(&self, id: &str) -> u64 {
        self.client_view(id)
            .unwrap_or_else(|| panic!("no client {id}"))
            .secret_regenerations
    }

    pub fn client_view(&self, id: &str) -> Option<ClientView> {
        let mut st = self.shared.lock();
        st.purge_expired_clients();
        if let Some(c) = st.clients.get(id) {
            return Some(ClientView {
                id: id.to_string(),
                state: c.state.as_str().to_string(),
                secret_regenerations: c.secret_regenerations,
                secret_accepted_at: Some(fmt_dt(&c.secret_accepted_at)),
                active_tokens: st.active_tokens_of_client(id),
                exists: true,
            });
        }
        st.deleted_clients.get(id).map(|n| ClientView {
            id: id.to_string(),
            state: "deleted".into(),
            secret_regenerations: *n,
            secret_accepted_at: None,
            active_tokens: 0,
            exists: false,
        })
    }

    pub fn check_secret(&self, client_id: &str, secret: &str) -> SecretCheck {
        let mut st = self.shared.lock();
        st.purge_expired_clients();
        let now = st.now();
        match st.clients.get(client_id) {
            Some(c) => {
                let current = c.secret_hash == ids::sha256_hex(secret);
                SecretCheck {
                    current,
                    accepted: current
                        && now >= c.secret_accepted_at
                        && c.state == ClientState::Active
                        && c.is_client_credentials(),
                }
            }
            None => SecretCheck {
                current: false,
                accepted: false,
            },
        }
    }

    /// Mints an interactive session token for a user (through the web app).
    pub fn mint_user_token(&self, user_id: &str) -> Result<MintedToken, SimError> {
        self.mint_user_token_via(user_id, None)
    }

    /// Mints a user token, optionally through a code/implicit-grant client.
    pub fn mint_user_token_via(
        &self,
        user_id: &str,
        client_id: Option<&str>,
    ) -> Result<MintedToken, SimError> {
        let mut st = self.shared.lock();
        match st.users.get(user_id) {
            Some(u) if u.state != "deleted" => {}
            _ => return Err(SimError::not_found(format!("user {user_id} not found"))),
        }
        let validity = match client_id {
            None => 86_400,
            Some(cid) => match st.clients.get(cid) {
                Some(c) if c.is_client_credentials() => {
                    return Err(SimError::bad(format!(
                        "client {cid} uses the client-credentials grant; user sessions need a code or implicit client"
                    )))
                }
                Some(c) if c.state != ClientState::Active => {
                    return Err(SimError::bad(format!("client {cid} is not active")))
                }
                Some(c) => c.validity_seconds,
                None => return Err(SimError::not_found(format!("client {cid} not found"))),
            },
        };
        let token = st.issue_token(
            Subject::User {
                user_id: user_id.to_string(),
                client_id: client_id.map(str::to_string),
            },
            validity,
        );
        let now = st.now();
        if let Some(u) = st.users.get_mut(user_id) {
            u.last_token_issued = Some(now);
            u.date_last_login = Some(now);
        }
        Ok(MintedToken {
            access_token: token,
            expires_in: validity,
        })
    }

    /// Appends usage rows (`daysAgo` relative to the simulated today); returns how many.
    pub fn add_usage(&self, rows: Vec<SeedUsageRow>) -> Result<usize, SimError> {
        let mut st = self.shared.lock();
        let today = st.today();
        let mut parsed = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut row =
                UsageRow::from_seed(r, today).map_err(|e| SimError::bad(e.to_string()))?;
            row.organization_id.get_or_insert_with(|| st.org_id.clone());
            parsed.push(row);
        }
        let n = parsed.len();
        st.usage.extend(parsed);
        Ok(n)
    }

    /// Everything, minus secret values, for debugging.
    pub fn state_dump(&self) -> Value {
        let mut st = self.shared.lock();
        st.purge_expired_clients();
        let st: &State = &st;
        let clients: Vec<Value> = st
            .client_order
            .iter()
            .filter_map(|id| st.clients.get(id))
            .map(|c| {
                let mut v = client_json(st, c, None);
                v["secretRegenerations"] = json!(c.secret_regenerations);
                v["secretAcceptedAt"] = json!(fmt_dt(&c.secret_accepted_at));
                v["activeTokens"] = json!(st.active_tokens_of_client(&c.id));
                v
            })
            .collect();
        let users: Vec<Value> = st
            .user_order
            .iter()
            .filter_map(|id| st.users.get(id))
            .map(|u| {
                json!({
                    "id": u.id, "name": u.name, "email": u.email, "state": u.state,
                    "scimActive": u.scim_active, "roleIds": u.role_ids,
                    "dateLastLogin": u.date_last_login.as_ref().map(fmt_dt),
                    "lastTokenIssued": u.last_token_issued.as_ref().map(fmt_dt),
                })
            })
            .collect();
        let roles: Vec<Value> = st
            .role_order
            .iter()
            .filter_map(|id| st.roles.get(id))
            .map(|r| json!({"id": r.id, "name": r.name, "permissions": r.permissions}))
            .collect();
        let creds: Vec<Value> = st
            .credential_order
            .iter()
            .filter_map(|id| st.credentials.get(id))
            .map(|c| {
                let fields: BTreeMap<&String, String> = c
                    .fields
                    .iter()
                    .map(|(k, v)| {
                        (
                            k,
                            if is_sensitive(&c.type_name, k) {
                                "<redacted>".into()
                            } else {
                                v.clone()
                            },
                        )
                    })
                    .collect();
                json!({"id": c.id, "name": c.name, "type": c.type_name, "credentialFields": fields})
            })
            .collect();
        json!({
            "now": fmt_dt(&st.now()),
            "clockOffsetMs": st.clock.offset_ms(),
            "config": st.config,
            "organization": {"id": st.org_id, "name": st.org_name},
            "divisions": st.divisions.iter().map(|d| json!({"id": d.id, "name": d.name})).collect::<Vec<_>>(),
            "roles": roles,
            "scopes": st.scopes.iter().map(|s| json!({"id": s.id, "description": s.description})).collect::<Vec<_>>(),
            "clients": clients,
            "deletedClients": st.deleted_clients.keys().collect::<Vec<_>>(),
            "users": users,
            "integrationCredentials": creds,
            "usageRows": st.usage.len(),
            "usageJobs": st.usage_jobs.len(),
            "tokens": st.tokens.len(),
            "faults": st.faults.list(),
            "webAppClientId": WEB_APP_CLIENT_ID,
        })
    }

    /// Addition: an integration credential with its field values, and whether a
    /// `pureCloudOAuthClient` credential holds its client's current secret.
    pub fn credential_view(&self, id: &str) -> Option<Value> {
        let st = self.shared.lock();
        let c = st.credentials.get(id)?;
        let mut v = json!({
            "id": c.id, "name": c.name, "type": c.type_name,
            "credentialFields": c.fields,
            "createdDate": fmt_dt(&c.created), "modifiedDate": fmt_dt(&c.modified),
        });
        if c.type_name == "pureCloudOAuthClient" {
            let current = match (c.fields.get("clientId"), c.fields.get("clientSecret")) {
                (Some(cid), Some(secret)) => st
                    .clients
                    .get(cid)
                    .map(|cl| cl.secret_hash == ids::sha256_hex(secret)),
                _ => None,
            };
            v["clientSecretCurrent"] = json!(current);
        }
        Some(v)
    }
}

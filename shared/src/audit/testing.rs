//! An in-memory Genesys for audit unit tests: clients, roles, scopes, usage, the audit trail
//! and integration credentials, with failures that can be switched on per source.

use crate::deadline::Deadline;
use crate::genesys::models::{
    AuditLogMessage, AuditQueryRequest, Credential, CredentialInfo, OAuthClient, OAuthScope,
    Receipt, Role,
};
use crate::genesys::ops::{
    AUDIT_QUERY_SUBMIT, GET_CREDENTIAL, LIST_CLIENTS, LIST_CREDENTIALS, LIST_ROLES, LIST_SCOPES,
    USAGE_JOB_SUBMIT,
};
use crate::genesys::{GenesysError, UsageSummary, UsageWindow};
use crate::ports::audit_trail::AuditTrail;
use crate::ports::genesys::{
    AuthorizationDirectory, ClientDirectory, IntegrationCredentials, UsageReports,
};
use crate::redact::SecretString;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The client the fake says the audit acts as.
pub const ACTING_CLIENT: &str = "credguard-audit";

#[derive(Default)]
struct State {
    clients: Vec<OAuthClient>,
    roles: HashMap<String, Role>,
    scopes: Vec<String>,
    usage: HashMap<String, UsageSummary>,
    /// Remaining failures per source, with the status returned.
    failures: HashMap<&'static str, (u32, u16)>,
    calls: HashMap<&'static str, u64>,
    windows: Vec<UsageWindow>,
    trail: Vec<Value>,
    queries: Vec<AuditQueryRequest>,
    credentials: Vec<Value>,
}

#[derive(Clone, Default)]
pub struct FakeGenesys {
    state: Arc<Mutex<State>>,
}

fn api_error(op: crate::genesys::ops::Op, status: u16) -> GenesysError {
    GenesysError::Api {
        op,
        status,
        code: if status == 404 {
            "not.found".into()
        } else {
            "internal.server.error".into()
        },
        message: "injected".into(),
        correlation_id: None,
    }
}

impl FakeGenesys {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// A client from its API JSON (as `GET /api/v2/oauth/clients` returns it).
    pub fn client(&self, json: Value) -> &Self {
        let c: OAuthClient = serde_json::from_value(json).expect("client JSON");
        self.with(|s| {
            s.clients.retain(|x| x.id != c.id);
            s.clients.push(c)
        });
        self
    }

    pub fn remove_client(&self, id: &str) -> &Self {
        self.with(|s| s.clients.retain(|c| c.id != id));
        self
    }

    pub fn role(&self, id: &str, name: &str, permissions: &[&str]) -> &Self {
        let role: Role = serde_json::from_value(serde_json::json!({
            "id": id, "name": name, "permissions": permissions,
        }))
        .expect("role JSON");
        self.with(|s| s.roles.insert(id.to_owned(), role));
        self
    }

    pub fn scopes(&self, ids: &[&str]) -> &Self {
        self.with(|s| s.scopes = ids.iter().map(|x| (*x).to_owned()).collect());
        self
    }

    pub fn usage(&self, client_id: &str, summary: UsageSummary) -> &Self {
        self.with(|s| s.usage.insert(client_id.to_owned(), summary));
        self
    }

    /// The next `times` calls of `source` (`clients`, `roles`, `scopes`, `usage`, `trail`,
    /// `credentials`) fail.
    pub fn fail(&self, source: &'static str, status: u16, times: u32) -> &Self {
        self.with(|s| s.failures.insert(source, (times, status)));
        self
    }

    /// An audit trail message (`AuditLogMessage` JSON).
    pub fn trail_event(&self, json: Value) -> &Self {
        self.with(|s| s.trail.push(json));
        self
    }

    /// The audit queries made so far.
    pub fn trail_queries(&self) -> Vec<AuditQueryRequest> {
        self.with(|s| s.queries.clone())
    }

    /// An integration credential (`Credential` JSON, as a read returns it).
    pub fn credential(&self, json: Value) -> &Self {
        self.with(|s| s.credentials.push(json));
        self
    }

    pub fn calls(&self, source: &str) -> u64 {
        self.with(|s| s.calls.get(source).copied().unwrap_or(0))
    }

    pub fn windows(&self) -> Vec<UsageWindow> {
        self.with(|s| s.windows.clone())
    }

    fn enter(&self, source: &'static str, op: crate::genesys::ops::Op) -> Result<(), GenesysError> {
        self.with(|s| {
            *s.calls.entry(source).or_default() += 1;
            match s.failures.get_mut(source) {
                Some((n, status)) if *n > 0 => {
                    *n -= 1;
                    Err(api_error(op, *status))
                }
                _ => Ok(()),
            }
        })
    }
}

impl ClientDirectory for FakeGenesys {
    async fn list_clients(&self, _d: &Deadline) -> Result<Vec<OAuthClient>, GenesysError> {
        self.enter("clients", LIST_CLIENTS)?;
        Ok(self.with(|s| s.clients.clone()))
    }

    async fn get_client(&self, id: &str, _d: &Deadline) -> Result<OAuthClient, GenesysError> {
        self.with(|s| s.clients.iter().find(|c| c.id == id).cloned())
            .ok_or_else(|| api_error(LIST_CLIENTS, 404))
    }
}

impl AuthorizationDirectory for FakeGenesys {
    async fn roles_by_id(&self, ids: &[String], _d: &Deadline) -> Result<Vec<Role>, GenesysError> {
        self.enter("roles", LIST_ROLES)?;
        Ok(self.with(|s| {
            ids.iter()
                .filter_map(|id| s.roles.get(id).cloned())
                .collect()
        }))
    }

    async fn list_scopes(&self, _d: &Deadline) -> Result<Vec<OAuthScope>, GenesysError> {
        self.enter("scopes", LIST_SCOPES)?;
        Ok(self.with(|s| {
            s.scopes
                .iter()
                .map(|id| OAuthScope {
                    id: id.clone(),
                    description: None,
                })
                .collect()
        }))
    }
}

impl UsageReports for FakeGenesys {
    async fn org_usage(
        &self,
        window: &UsageWindow,
        _d: &Deadline,
    ) -> Result<HashMap<String, UsageSummary>, GenesysError> {
        self.enter("usage", USAGE_JOB_SUBMIT)?;
        self.with(|s| s.windows.push(window.clone()));
        Ok(self.with(|s| s.usage.clone()))
    }
}

fn interval(q: &AuditQueryRequest) -> (DateTime<Utc>, DateTime<Utc>) {
    let (a, b) = q.interval.split_once('/').expect("start/end");
    let t = |x: &str| {
        DateTime::parse_from_rfc3339(x)
            .expect("ISO")
            .with_timezone(&Utc)
    };
    (t(a), t(b))
}

/// Filters as the simulator applies them: properties all match, a property given twice matches
/// either value.
fn matches(m: &Value, q: &AuditQueryRequest) -> bool {
    let (from, to) = interval(q);
    let at = m["eventDate"]
        .as_str()
        .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
        .map(|d| d.with_timezone(&Utc));
    let field = |p: &str| match p {
        "EntityType" => m["entityType"].as_str(),
        "Action" => m["action"].as_str(),
        "EntityId" => m["entity"]["id"].as_str(),
        "ClientId" => m["client"]["id"].as_str(),
        "UserId" => m["user"]["id"].as_str(),
        _ => None,
    };
    at.is_some_and(|t| t >= from && t < to)
        && q.filters.iter().all(|f| {
            q.filters
                .iter()
                .filter(|g| g.property == f.property)
                .any(|g| field(&g.property) == Some(g.value.as_str()))
        })
}

impl AuditTrail for FakeGenesys {
    async fn audit_messages(
        &self,
        query: &AuditQueryRequest,
        _d: &Deadline,
    ) -> Result<Vec<AuditLogMessage>, GenesysError> {
        self.enter("trail", AUDIT_QUERY_SUBMIT)?;
        self.with(|s| s.queries.push(query.clone()));
        let found: Vec<Value> = self.with(|s| {
            s.trail
                .iter()
                .filter(|m| matches(m, query))
                .cloned()
                .collect()
        });
        Ok(found
            .into_iter()
            .map(|m| serde_json::from_value(m).expect("AuditLogMessage JSON"))
            .collect())
    }

    async fn acting_client_id(&self) -> Result<String, GenesysError> {
        Ok(ACTING_CLIENT.into())
    }
}

impl IntegrationCredentials for FakeGenesys {
    async fn list_credentials(&self, _d: &Deadline) -> Result<Vec<CredentialInfo>, GenesysError> {
        self.enter("credentials", LIST_CREDENTIALS)?;
        Ok(self.with(|s| {
            s.credentials
                .iter()
                .map(|c| serde_json::from_value(c.clone()).expect("CredentialInfo JSON"))
                .collect()
        }))
    }

    async fn get_credential(&self, id: &str, _d: &Deadline) -> Result<Credential, GenesysError> {
        self.enter("credential reads", GET_CREDENTIAL)?;
        self.with(|s| s.credentials.iter().find(|c| c["id"] == id).cloned())
            .map(|c| serde_json::from_value(c).expect("Credential JSON"))
            .ok_or_else(|| api_error(GET_CREDENTIAL, 404))
    }

    async fn update_oauth_credential(
        &self,
        _id: &str,
        _name: &str,
        _client_id: &str,
        _client_secret: &SecretString,
        _d: &Deadline,
    ) -> Result<Receipt, GenesysError> {
        unreachable!("the audit never changes a credential")
    }
}

impl super::run::RequestMeter for FakeGenesys {
    fn requests(&self) -> u64 {
        self.with(|s| s.calls.values().sum())
    }
}

impl super::run::RequestMeter for crate::testing::MemoryRecords {
    fn requests(&self) -> u64 {
        0
    }
}

/// An in-memory findings hub: the findings by id as last imported, the ids resolved, and
/// failures that can be switched on.
#[derive(Clone, Default)]
pub struct MemoryHub {
    state: Arc<Mutex<HubState>>,
}

#[derive(Default)]
struct HubState {
    findings: HashMap<String, crate::ports::security_hub::HubFinding>,
    resolved: std::collections::BTreeSet<String>,
    imports: u64,
    fail_imports: u32,
}

impl MemoryHub {
    fn with<T>(&self, f: impl FnOnce(&mut HubState) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn findings(&self) -> HashMap<String, crate::ports::security_hub::HubFinding> {
        self.with(|s| s.findings.clone())
    }

    pub fn resolved(&self) -> std::collections::BTreeSet<String> {
        self.with(|s| s.resolved.clone())
    }

    /// Findings sent so far, over all imports.
    pub fn imported(&self) -> u64 {
        self.with(|s| s.imports)
    }

    /// The next `times` imports fail.
    pub fn fail_imports(&self, times: u32) {
        self.with(|s| s.fail_imports = times);
    }
}

impl crate::ports::security_hub::FindingsHub for MemoryHub {
    fn import(
        &self,
        findings: Vec<crate::ports::security_hub::HubFinding>,
    ) -> futures::future::BoxFuture<
        '_,
        Result<Vec<crate::ports::security_hub::HubRejection>, crate::ports::security_hub::HubError>,
    > {
        let r = self.with(|s| {
            if s.fail_imports > 0 {
                s.fail_imports -= 1;
                return Err(crate::ports::security_hub::HubError::Unavailable(
                    "injected".into(),
                ));
            }
            s.imports += findings.len() as u64;
            for f in findings {
                if f.active {
                    // Reopened: no longer resolved.
                    s.resolved.remove(&f.id);
                }
                s.findings.insert(f.id.clone(), f);
            }
            Ok(vec![])
        });
        Box::pin(async move { r })
    }

    fn resolve(
        &self,
        ids: Vec<String>,
    ) -> futures::future::BoxFuture<
        '_,
        Result<Vec<crate::ports::security_hub::HubRejection>, crate::ports::security_hub::HubError>,
    > {
        self.with(|s| s.resolved.extend(ids));
        Box::pin(async { Ok(vec![]) })
    }
}

//! An in-memory Genesys for audit unit tests: clients, roles, scopes and usage, with failures
//! that can be switched on per source.

use crate::deadline::Deadline;
use crate::genesys::models::{OAuthClient, OAuthScope, Role};
use crate::genesys::ops::{LIST_CLIENTS, LIST_ROLES, LIST_SCOPES, USAGE_JOB_SUBMIT};
use crate::genesys::{GenesysError, UsageSummary, UsageWindow};
use crate::ports::genesys::{AuthorizationDirectory, ClientDirectory, UsageReports};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

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

    /// The next `times` calls of `source` (`clients`, `roles`, `scopes`, `usage`) fail.
    pub fn fail(&self, source: &'static str, status: u16, times: u32) -> &Self {
        self.with(|s| s.failures.insert(source, (times, status)));
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

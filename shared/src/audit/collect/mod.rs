//! Collection: everything one run looks at, gathered with a number of Genesys calls that does
//! not grow with the clients (one listing, one scope listing, one org-wide usage query, one role
//! lookup per 100 role ids, two audit trail queries, the integration credentials) and without
//! reading any secret value (tags, version dates and rotation records only).
//!
//! Only the client listing is essential. Every other source may fail on its own: the run then
//! carries on without it and names it in [`Inventory::missing`].

mod credentials;
mod secrets;
pub mod trail;

pub use credentials::CredentialSeen;
pub use secrets::{ManagedSecret, ROTATIONS_READ};

use super::config::AuditConfig;
use super::findings::Source;
use super::trail::Trail;
use crate::deadline::Deadline;
use crate::genesys::models::OAuthClient;
use crate::genesys::ops::ROLE_BATCH;
use crate::genesys::{GenesysError, UsageSummary, UsageWindow};
use crate::ports::audit_trail::AuditTrail;
use crate::ports::genesys::{
    AuthorizationDirectory, ClientDirectory, IntegrationCredentials, UsageReports,
};
use crate::ports::records::RecordStore;
use crate::ports::secrets::SecretStore;
use chrono::{DateTime, Utc};
use futures::{stream, StreamExt};
use std::collections::{BTreeSet, HashMap, HashSet};

const ROLE_LOOKUPS_IN_FLIGHT: usize = 4;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleInfo {
    pub id: String,
    pub name: Option<String>,
    pub permissions: Vec<String>,
}

/// Something a run could not collect, and why (no secret in the text: error messages here are
/// built from status codes and Genesys/AWS error codes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    pub source: Source,
    pub detail: String,
}

impl Missing {
    pub fn text(&self) -> String {
        format!("{}: {}", self.source.as_str(), self.detail)
    }
}

/// Everything a run asks of Genesys, all of it read-only (`oauth:client:view`,
/// `authorization:role:view`, `usage:organization:view`, `audits:audit:view`,
/// `integrations:integration:view`).
pub trait AuditGenesys:
    ClientDirectory + AuthorizationDirectory + UsageReports + AuditTrail + IntegrationCredentials
{
}

impl<T> AuditGenesys for T where
    T: ClientDirectory
        + AuthorizationDirectory
        + UsageReports
        + AuditTrail
        + IntegrationCredentials
{
}

/// What a run is about: its policy, its time, and when the previous complete run collected.
pub struct Scope<'a> {
    pub cfg: &'a AuditConfig,
    pub now: DateTime<Utc>,
    pub previous_run_at: Option<DateTime<Utc>>,
}

pub struct Inventory {
    pub clients: Vec<OAuthClient>,
    pub roles: HashMap<String, RoleInfo>,
    /// Role ids whose lookup failed: neither resolved nor known to be orphaned.
    pub unresolved_roles: HashSet<String>,
    pub scopes: Option<HashSet<String>>,
    pub usage: Option<HashMap<String, UsageSummary>>,
    pub window: UsageWindow,
    pub secrets: Option<Vec<ManagedSecret>>,
    /// Genesys's audit trail of the window; `None` when not read (missing, or no code needs it).
    pub trail: Option<Trail>,
    /// OAuth integration credentials; `None` when not read.
    pub credentials: Option<Vec<CredentialSeen>>,
    /// The OAuth client the audit calls Genesys as, when known.
    pub acting_client_id: Option<String>,
    pub missing: Vec<Missing>,
}

impl Inventory {
    pub fn missing_sources(&self) -> BTreeSet<Source> {
        self.missing.iter().map(|m| m.source).collect()
    }

    pub fn complete(&self, source: Source) -> bool {
        !self.missing.iter().any(|m| m.source == source)
    }
}

fn genesys_detail(e: &GenesysError) -> String {
    format!("{} ({e})", e.kind())
}

/// Every role id any client refers to (`roleDivisions`, and the deprecated `roleIds`).
pub fn role_ids(clients: &[OAuthClient]) -> Vec<String> {
    let mut ids: BTreeSet<&str> = BTreeSet::new();
    for c in clients {
        ids.extend(c.role_divisions.iter().map(|rd| rd.role_id.as_str()));
        ids.extend(c.role_ids.iter().map(String::as_str));
    }
    ids.into_iter().map(str::to_owned).collect()
}

pub async fn collect<G, S, R>(
    genesys: &G,
    secrets: &S,
    records: &R,
    scope: &Scope<'_>,
    d: &Deadline,
) -> Result<Inventory, GenesysError>
where
    G: AuditGenesys,
    S: SecretStore,
    R: RecordStore,
{
    let cfg = scope.cfg;
    let clients = genesys.list_clients(d).await?;
    let window =
        UsageWindow::last_days(cfg.usage_window_days, scope.now.date_naive(), cfg.usage_api);
    let ids = role_ids(&clients);
    let trail_window = trail::window(cfg, scope.now, scope.previous_run_at);
    let secrets_then_credentials = async {
        let (managed, mut missing) = secrets::managed_secrets(secrets, records, cfg).await;
        if !cfg.needs(Source::Credentials) {
            return (managed, None, missing);
        }
        // Dependents a rotation record names need not be read again.
        let known: HashSet<String> = managed
            .iter()
            .flatten()
            .flat_map(|s| &s.rotations)
            .flat_map(|r| r.dependents_updated.iter().chain(&r.dependents_failed))
            .cloned()
            .collect();
        let (credentials, m) = credentials::oauth_credentials(genesys, cfg, &known, d).await;
        missing.extend(m);
        (managed, credentials, missing)
    };
    let read_trail = async {
        if cfg.needs(Source::Trail) {
            trail::trail(genesys, cfg, trail_window, d).await
        } else {
            (None, vec![])
        }
    };
    let (
        roles,
        scopes,
        usage,
        (managed, credentials, secret_missing),
        (trail, trail_missing),
        acting,
    ) = tokio::join!(
        resolve_roles(genesys, &ids, d),
        genesys.list_scopes(d),
        genesys.org_usage(&window, d),
        secrets_then_credentials,
        read_trail,
        genesys.acting_client_id(),
    );
    let mut missing = Vec::new();
    let (roles, unresolved_roles, role_missing) = roles;
    missing.extend(role_missing);
    let scopes = match scopes {
        Ok(s) => Some(s.into_iter().map(|s| s.id).collect()),
        Err(e) => {
            missing.push(Missing {
                source: Source::Scopes,
                detail: format!(
                    "scope list unavailable, unknown scopes not checked: {}",
                    genesys_detail(&e)
                ),
            });
            None
        }
    };
    let usage = match usage {
        Ok(u) => Some(u),
        Err(e) => {
            missing.push(Missing {
                source: Source::Usage,
                detail: format!(
                    "org-wide usage query failed, usage findings not evaluated: {}",
                    genesys_detail(&e)
                ),
            });
            None
        }
    };
    missing.extend(secret_missing);
    missing.extend(trail_missing);
    let acting_client_id = acting
        .inspect_err(|e| tracing::warn!(error = %e, "the audit's own client id is unknown"))
        .ok();
    Ok(Inventory {
        clients,
        roles,
        unresolved_roles,
        scopes,
        usage,
        window,
        secrets: managed,
        trail,
        credentials,
        acting_client_id,
        missing,
    })
}

/// Looks roles up in batches; a failed batch leaves its ids unresolved instead of failing the
/// run.
async fn resolve_roles<G: AuthorizationDirectory>(
    genesys: &G,
    ids: &[String],
    d: &Deadline,
) -> (HashMap<String, RoleInfo>, HashSet<String>, Vec<Missing>) {
    let results: Vec<(&[String], Result<_, GenesysError>)> = stream::iter(ids.chunks(ROLE_BATCH))
        .map(|batch| async move { (batch, genesys.roles_by_id(batch, d).await) })
        .buffer_unordered(ROLE_LOOKUPS_IN_FLIGHT)
        .collect()
        .await;
    let mut roles = HashMap::new();
    let mut unresolved = HashSet::new();
    let mut failures: Vec<String> = Vec::new();
    let batches = results.len();
    for (batch, result) in results {
        match result {
            Ok(found) => {
                for r in found {
                    let permissions = r.all_permissions();
                    roles.insert(
                        r.id.clone(),
                        RoleInfo {
                            id: r.id,
                            name: r.name,
                            permissions,
                        },
                    );
                }
            }
            Err(e) => {
                unresolved.extend(batch.iter().cloned());
                failures.push(genesys_detail(&e));
            }
        }
    }
    let missing = if failures.is_empty() {
        vec![]
    } else {
        failures.sort();
        failures.dedup();
        vec![Missing {
            source: Source::Roles,
            detail: format!(
                "{} of {batches} role lookups failed, {} role ids unresolved (permission findings of their clients not evaluated): {}",
                failures.len().min(batches),
                unresolved.len(),
                failures.join("; ")
            ),
        }]
    };
    (roles, unresolved, missing)
}

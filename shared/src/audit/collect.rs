//! Collection: everything one run looks at, gathered with a fixed number of Genesys calls (one
//! listing, one scope listing, one org-wide usage query, one role lookup per 100 role ids) and
//! without reading any secret value (tags, version dates and rotation records only).
//!
//! Only the client listing is essential. Every other source may fail on its own: the run then
//! carries on without it and names it in [`Inventory::missing`].

use super::config::AuditConfig;
use super::findings::Source;
use crate::credential::{TAG_CLIENT_ID, TAG_MANAGED, TAG_MAX_AGE_DAYS, TAG_PARTNER_CLIENT_ID};
use crate::deadline::Deadline;
use crate::genesys::models::OAuthClient;
use crate::genesys::ops::ROLE_BATCH;
use crate::genesys::{GenesysError, UsageSummary, UsageWindow};
use crate::ports::genesys::{AuthorizationDirectory, ClientDirectory, UsageReports};
use crate::ports::records::RecordStore;
use crate::ports::secrets::{SecretMetadata, SecretStore, AWSCURRENT};
use crate::records::audit::{AuditRecords, LatestRotation};
use chrono::{DateTime, NaiveDate, Utc};
use futures::{stream, StreamExt};
use std::collections::{BTreeSet, HashMap, HashSet};

const ROLE_LOOKUPS_IN_FLIGHT: usize = 4;
const SECRETS_IN_FLIGHT: usize = 8;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleInfo {
    pub id: String,
    pub name: Option<String>,
    pub permissions: Vec<String>,
}

/// A managed secret as the audit sees it: metadata and dates, never the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManagedSecret {
    pub name: String,
    pub arn: String,
    pub client_id: Option<String>,
    pub partner_client_id: Option<String>,
    /// The `credguard:max-age-days` tag, when set and valid.
    pub max_age_days: Option<u32>,
    /// When `AWSCURRENT` was created (= last rotation); `None` if unknown.
    pub current_created: Option<DateTime<Utc>>,
    pub versions_known: bool,
    pub latest_rotation: Option<LatestRotation>,
    pub rotation_known: bool,
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

/// Everything a run asks of Genesys (read-only: `oauth:client:view`, `authorization:role:view`,
/// `usage:organization:view`).
pub trait AuditGenesys: ClientDirectory + AuthorizationDirectory + UsageReports {}

impl<T: ClientDirectory + AuthorizationDirectory + UsageReports> AuditGenesys for T {}

pub struct Inventory {
    pub clients: Vec<OAuthClient>,
    pub roles: HashMap<String, RoleInfo>,
    /// Role ids whose lookup failed: neither resolved nor known to be orphaned.
    pub unresolved_roles: HashSet<String>,
    pub scopes: Option<HashSet<String>>,
    pub usage: Option<HashMap<String, UsageSummary>>,
    pub window: UsageWindow,
    pub secrets: Option<Vec<ManagedSecret>>,
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
    cfg: &AuditConfig,
    today: NaiveDate,
    d: &Deadline,
) -> Result<Inventory, GenesysError>
where
    G: AuditGenesys,
    S: SecretStore,
    R: RecordStore,
{
    let clients = genesys.list_clients(d).await?;
    let window = UsageWindow::last_days(cfg.usage_window_days, today, cfg.usage_api);
    let ids = role_ids(&clients);
    let (roles, scopes, usage, managed) = tokio::join!(
        resolve_roles(genesys, &ids, d),
        genesys.list_scopes(d),
        genesys.org_usage(&window, d),
        managed_secrets(secrets, records, cfg),
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
    let (secrets, secret_missing) = managed;
    missing.extend(secret_missing);
    Ok(Inventory {
        clients,
        roles,
        unresolved_roles,
        scopes,
        usage,
        window,
        secrets,
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

fn parse_max_age(meta: &SecretMetadata) -> Option<u32> {
    meta.tags
        .get(TAG_MAX_AGE_DAYS)
        .and_then(|v| v.trim().parse().ok())
}

fn tag(meta: &SecretMetadata, key: &str) -> Option<String> {
    meta.tags
        .get(key)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Managed secrets (tag `credguard:managed=true`, optionally under a name prefix), each with
/// the creation date of its current version and its latest rotation record.
async fn managed_secrets<S: SecretStore, R: RecordStore>(
    secrets: &S,
    records: &R,
    cfg: &AuditConfig,
) -> (Option<Vec<ManagedSecret>>, Vec<Missing>) {
    let listed = match secrets.list_tagged(TAG_MANAGED, "true").await {
        Ok(l) => l,
        Err(e) => {
            return (
                None,
                vec![Missing {
                    source: Source::Secrets,
                    detail: format!(
                    "managed secrets could not be listed, secret findings not evaluated: {} ({e})",
                    e.kind()
                ),
                }],
            )
        }
    };
    let prefix = cfg.secret_name_prefix.as_deref().unwrap_or("");
    let repo = AuditRecords::new(records);
    let repo = &repo;
    let mut out: Vec<(ManagedSecret, Vec<Missing>)> =
        stream::iter(listed.into_iter().filter(|m| m.name.starts_with(prefix)))
            .map(|meta| async move {
                let mut missing = Vec::new();
                let (current_created, versions_known) =
                    match secrets.list_versions(&meta.name).await {
                        Ok(versions) => (
                            versions
                                .iter()
                                .find(|v| v.stages.iter().any(|s| s == AWSCURRENT))
                                .and_then(|v| v.created),
                            true,
                        ),
                        Err(e) => {
                            missing.push(Missing {
                                source: Source::Secrets,
                                detail: format!(
                                    "versions of {} unavailable, its age not checked: {}",
                                    meta.name,
                                    e.kind()
                                ),
                            });
                            (None, false)
                        }
                    };
                let (latest_rotation, rotation_known) = match repo.latest_rotation(&meta.name).await
                {
                    Ok(r) => (r, true),
                    Err(e) => {
                        missing.push(Missing {
                            source: Source::Rotations,
                            detail: format!(
                                "rotation records of {} unavailable: {}",
                                meta.name,
                                e.kind()
                            ),
                        });
                        (None, false)
                    }
                };
                let secret = ManagedSecret {
                    client_id: tag(&meta, TAG_CLIENT_ID),
                    partner_client_id: tag(&meta, TAG_PARTNER_CLIENT_ID),
                    max_age_days: parse_max_age(&meta),
                    name: meta.name,
                    arn: meta.arn,
                    current_created,
                    versions_known,
                    latest_rotation,
                    rotation_known,
                };
                (secret, missing)
            })
            .buffer_unordered(SECRETS_IN_FLIGHT)
            .collect()
            .await;
    out.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    let mut missing = Vec::new();
    let secrets = out
        .into_iter()
        .map(|(s, m)| {
            missing.extend(m);
            s
        })
        .collect();
    (Some(secrets), missing)
}

//! Managed secrets as the audit sees them: tags, the date of the current version and the
//! recent rotation records, never a value.

use super::Missing;
use crate::audit::config::AuditConfig;
use crate::audit::findings::Source;
use crate::credential::{TAG_CLIENT_ID, TAG_MAX_AGE_DAYS, TAG_PARTNER_CLIENT_ID};
use crate::ports::records::RecordStore;
use crate::ports::secrets::{SecretMetadata, SecretStore, AWSCURRENT};
use crate::records::audit::{AuditRecords, RecentRotation};
use crate::rotation::driver::{owned_by_secrets_manager, pending_version};
use chrono::{DateTime, Utc};
use futures::{stream, StreamExt};
use std::collections::BTreeMap;

const SECRETS_IN_FLIGHT: usize = 8;
/// Rotation records read per secret: enough to explain every reset of a normal day.
pub const ROTATIONS_READ: usize = 10;

/// A managed secret as the audit sees it: metadata and dates, never the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManagedSecret {
    pub name: String,
    pub arn: String,
    pub client_id: Option<String>,
    pub partner_client_id: Option<String>,
    /// The `credguard:max-age-days` tag, when set and valid.
    pub max_age_days: Option<u32>,
    /// Every tag (the rotation schedule is read from them).
    pub tags: BTreeMap<String, String>,
    /// When `AWSCURRENT` was created (= last rotation); `None` if unknown.
    pub current_created: Option<DateTime<Utc>>,
    /// When the `AWSPENDING` version of an unfinished rotation was created (none when
    /// `AWSPENDING` is also `AWSCURRENT`, as a finished rotation may leave it).
    pub pending_created: Option<DateTime<Utc>>,
    /// Secrets Manager runs its rotation (else credguard's sweep does).
    pub rotated_by_secrets_manager: bool,
    pub versions_known: bool,
    /// The newest rotation records, newest first.
    pub rotations: Vec<RecentRotation>,
    pub rotation_known: bool,
}

impl ManagedSecret {
    pub fn latest_rotation(&self) -> Option<&RecentRotation> {
        self.rotations.first()
    }
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

/// Managed secrets (rotation's selection, optionally under a name prefix), each with
/// the creation date of its current version and its recent rotation records.
pub(super) async fn managed_secrets<S: SecretStore, R: RecordStore>(
    secrets: &S,
    records: &R,
    cfg: &AuditConfig,
) -> (Option<Vec<ManagedSecret>>, Vec<Missing>) {
    let listed = match cfg.managed.list(secrets).await {
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
                let (current_created, pending_created, versions_known) =
                    match secrets.list_versions(&meta.name).await {
                        Ok(versions) => {
                            let created = |id: Option<&str>| {
                                versions
                                    .iter()
                                    .find(|v| Some(v.version_id.as_str()) == id)
                                    .and_then(|v| v.created)
                            };
                            (
                                created(meta.version_with_stage(AWSCURRENT)),
                                // Rotation's own test of an unfinished rotation.
                                created(pending_version(&meta)),
                                true,
                            )
                        }
                        Err(e) => {
                            missing.push(Missing {
                                source: Source::Secrets,
                                detail: format!(
                                    "versions of {} unavailable, its age not checked: {}",
                                    meta.name,
                                    e.kind()
                                ),
                            });
                            (None, None, false)
                        }
                    };
                let (rotations, rotation_known) =
                    match repo.recent_rotations(&meta.name, ROTATIONS_READ).await {
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
                            (vec![], false)
                        }
                    };
                let rotated_by_secrets_manager = owned_by_secrets_manager(&meta);
                let secret = ManagedSecret {
                    client_id: tag(&meta, TAG_CLIENT_ID),
                    partner_client_id: tag(&meta, TAG_PARTNER_CLIENT_ID),
                    max_age_days: parse_max_age(&meta),
                    name: meta.name,
                    arn: meta.arn,
                    tags: meta.tags,
                    current_created,
                    pending_created,
                    rotated_by_secrets_manager,
                    versions_known,
                    rotations,
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

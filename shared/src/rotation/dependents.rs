//! Integration credentials (`pureCloudOAuthClient`) that embed a rotated client's id and
//! secret: found before anything changes, updated as part of the rotation.
//!
//! Genesys redacts credential fields when read back, so `clientId` may not be readable \[INF].
//! A secret can therefore declare its dependents (`rotation.integrationCredentials`, the
//! complete list); otherwise they are discovered, and any OAuth-client credential whose client
//! cannot be read blocks the rotation (or only warns, per `ROTATION_UNRESOLVED_DEPENDENTS`).

use super::attempt::StepCtx;
use super::config::UnresolvedDependents;
use super::error::RotationError;
use super::ports::RotationGenesys;
use crate::deadline::Deadline;
use crate::genesys::models::OAUTH_CLIENT_CREDENTIAL_TYPE;
use crate::genesys::GenesysError;
use crate::ports::genesys::IntegrationCredentials;
use crate::records::rotation::RotationRecord;
use crate::redact::SecretString;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Dependent {
    pub id: String,
    pub name: String,
}

/// The org's OAuth-client integration credentials, as far as Genesys lets us read them: the
/// one rule both rotation and adoption (`onboarding::dependents`) classify them by.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Survey {
    /// Credentials whose `clientId` reads back as one of the given clients.
    pub embedding: Vec<Dependent>,
    /// Credentials whose `clientId` cannot be read back (redacted): they may embed one.
    pub unresolved: Vec<Dependent>,
    /// Credentials that read back naming another client.
    pub others: Vec<Dependent>,
}

/// Lists the org's integration credentials and reads each OAuth-client one back.
pub async fn survey<G: IntegrationCredentials>(
    genesys: &G,
    client_ids: &[&str],
    d: &Deadline,
) -> Result<Survey, GenesysError> {
    let mut out = Survey::default();
    for info in genesys.list_credentials(d).await? {
        let is_oauth = info
            .credential_type
            .as_ref()
            .and_then(|t| t.name.as_deref())
            .is_some_and(|n| n.eq_ignore_ascii_case(OAUTH_CLIENT_CREDENTIAL_TYPE));
        if !is_oauth {
            continue;
        }
        let c = genesys.get_credential(&info.id, d).await?;
        let dep = Dependent {
            id: info.id,
            name: c.name.clone().or(info.name).unwrap_or_default(),
        };
        match c.credential_fields.as_ref().and_then(|f| f.get("clientId")) {
            Some(cid) if client_ids.contains(&cid.as_str()) => out.embedding.push(dep),
            Some(_) => out.others.push(dep),
            None => out.unresolved.push(dep),
        }
    }
    Ok(out)
}

pub(super) async fn resolve<G: RotationGenesys, S, R>(
    cx: &StepCtx<'_, G, S, R>,
    client_ids: &[&str],
) -> Result<Vec<Dependent>, RotationError> {
    let d = cx.deadline;
    if let Some(ids) = cx.current.settings().integration_credentials {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let c = cx.genesys.get_credential(&id, d).await.map_err(|e| {
                if e.is_not_found() {
                    RotationError::DependentsUnknown(format!(
                        "declared integration credential {id} does not exist"
                    ))
                } else {
                    e.into()
                }
            })?;
            out.push(Dependent {
                id,
                name: c.name.unwrap_or_default(),
            });
        }
        return Ok(out);
    }
    let policy = cx.config.unresolved_dependents;
    let found = match survey(cx.genesys, client_ids, d).await {
        Ok(s) => s,
        Err(e) if e.status() == Some(403) && policy == UnresolvedDependents::Warn => {
            tracing::warn!(error = %e, "cannot list integration credentials; rotating without checking dependents");
            return Ok(vec![]);
        }
        Err(e) if e.status() == Some(403) => {
            return Err(RotationError::DependentsUnknown(e.to_string()))
        }
        Err(e) => return Err(e.into()),
    };
    if !found.unresolved.is_empty() {
        let unresolved: Vec<String> = found.unresolved.into_iter().map(|d| d.id).collect();
        match policy {
            UnresolvedDependents::Block => {
                return Err(RotationError::DependentsUnresolved(unresolved))
            }
            UnresolvedDependents::Warn => {
                tracing::warn!(
                    ?unresolved,
                    "integration credentials whose client cannot be read; not updated"
                )
            }
        }
    }
    Ok(found.embedding)
}

/// Points each dependent at `client_id` with `secret`. Never fails: what could not be updated
/// is recorded in `dependentsFailed` (and retried by later steps).
pub(super) async fn update<G: RotationGenesys, S, R>(
    cx: &StepCtx<'_, G, S, R>,
    rec: &mut RotationRecord,
    deps: &[Dependent],
    client_id: &str,
    secret: &SecretString,
) {
    for dep in deps {
        match cx
            .genesys
            .update_oauth_credential(&dep.id, &dep.name, client_id, secret, cx.deadline)
            .await
        {
            Ok(receipt) => {
                rec.note_correlation(receipt.correlation_id.as_deref());
                rec.dependents_failed.retain(|x| x != &dep.id);
                if !rec.dependents_updated.contains(&dep.id) {
                    rec.dependents_updated.push(dep.id.clone());
                }
            }
            Err(e) => {
                tracing::warn!(credential = %dep.id, error = %e, "integration credential not updated");
                if !rec.dependents_failed.contains(&dep.id) {
                    rec.dependents_failed.push(dep.id.clone());
                }
            }
        }
    }
}

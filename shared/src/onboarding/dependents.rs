//! Adoption settles a secret's Genesys dependents (integration credentials embedding the
//! client) before the first rotation needs them.
//!
//! Genesys may redact every field of an integration credential \[INF], so discovery cannot tell
//! which client an OAuth credential embeds, and rotation blocks (`Fatal.DependentsUnresolved`)
//! unless the secret declares its dependents. Adoption therefore classifies the org's OAuth
//! credentials with rotation's own survey and either leaves discovery to rotation (everything
//! resolved), or records the engineer's choice as `rotation.integrationCredentials` (the
//! complete list, possibly empty), or refuses and lists what needs a choice.

use super::error::{AdoptError, Refusal};
use crate::deadline::Deadline;
use crate::ports::genesys::IntegrationCredentials;
use crate::rotation::config::UnresolvedDependents;
use crate::rotation::dependents::{survey, Dependent};
use serde::Serialize;

/// What adoption found and decided about the secret's dependents.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Settlement {
    /// What the document declares (`rotation.integrationCredentials`); `None` leaves them to
    /// rotation's discovery.
    pub declared: Option<Vec<String>>,
    /// Credentials that read back as embedding the client.
    pub embedding: Vec<Dependent>,
    /// OAuth credentials whose client cannot be read back.
    pub unresolved: Vec<Dependent>,
    /// Whether the org's credentials could be listed at all.
    pub surveyed: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

fn listing(deps: &[Dependent]) -> String {
    deps.iter()
        .map(|d| format!("{} ({})", d.id, d.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Settles the dependents of `client_ids` (the client, and an alternating partner): `choice`
/// is the engineer's declared list, if any.
pub async fn settle<G: IntegrationCredentials>(
    genesys: &G,
    client_ids: &[&str],
    choice: Option<&[String]>,
    policy: UnresolvedDependents,
    d: &Deadline,
) -> Result<Settlement, AdoptError> {
    let found = match survey(genesys, client_ids, d).await {
        Ok(found) => found,
        Err(e) if e.status() == Some(403) => {
            return unreadable(choice, policy, &e.to_string());
        }
        Err(e) => return Err(e.into()),
    };
    let mut out = Settlement {
        surveyed: true,
        ..Settlement::default()
    };
    match choice {
        Some(chosen) => {
            let mut declared: Vec<String> = Vec::new();
            for id in chosen {
                if declared.contains(id) {
                    continue;
                }
                let known = |list: &[Dependent]| list.iter().any(|x| &x.id == id);
                if known(&found.others) {
                    return Err(AdoptError::refused(
                        Refusal::DependentNamesOtherClient,
                        format!("integration credential {id} reads back naming another client: it cannot depend on {}", client_ids.join(" or ")),
                    ));
                }
                if !known(&found.embedding) && !known(&found.unresolved) {
                    return Err(AdoptError::refused(
                        Refusal::DependentNotFound,
                        format!("{id} is not an OAuth-client integration credential of this org"),
                    ));
                }
                declared.push(id.clone());
            }
            let omitted: Vec<Dependent> = found
                .embedding
                .iter()
                .filter(|x| !declared.contains(&x.id))
                .cloned()
                .collect();
            if !omitted.is_empty() {
                return Err(AdoptError::refused(
                    Refusal::DependentOmitted,
                    format!(
                        "{} embed{} the client but {} not in the declared list (the complete list of dependents): add {}",
                        listing(&omitted),
                        if omitted.len() == 1 { "s" } else { "" },
                        if omitted.len() == 1 { "is" } else { "are" },
                        omitted.iter().map(|x| x.id.as_str()).collect::<Vec<_>>().join(","),
                    ),
                ));
            }
            out.declared = Some(declared);
        }
        None if !found.unresolved.is_empty() && policy == UnresolvedDependents::Block => {
            return Err(AdoptError::refused(
                Refusal::DependentsUnresolved,
                format!(
                    "Genesys does not show which client these OAuth integration credentials embed: {}. \
                     Rotation would be blocked (Fatal.DependentsUnresolved). Declare the ones that embed this client \
                     with --integration-credentials ID[,ID...], or --no-integration-credentials if none does",
                    listing(&found.unresolved)
                ),
            ));
        }
        None if !found.unresolved.is_empty() => out.warnings.push(format!(
            "not updated by rotation (their client cannot be read, ROTATION_UNRESOLVED_DEPENDENTS=warn): {}",
            listing(&found.unresolved)
        )),
        None => {}
    }
    out.embedding = found.embedding;
    out.unresolved = found.unresolved;
    Ok(out)
}

/// The admin client may not list integration credentials: only an empty declared list (which
/// rotation never reads back) can be accepted, or the warn policy.
fn unreadable(
    choice: Option<&[String]>,
    policy: UnresolvedDependents,
    why: &str,
) -> Result<Settlement, AdoptError> {
    let note = format!("integration credentials cannot be listed: {why}");
    match choice {
        Some([]) => Ok(Settlement {
            declared: Some(vec![]),
            warnings: vec![note],
            ..Settlement::default()
        }),
        None if policy == UnresolvedDependents::Warn => Ok(Settlement {
            warnings: vec![note],
            ..Settlement::default()
        }),
        _ => Err(AdoptError::refused(
            Refusal::DependentsUnreadable,
            format!("{note}. Rotation needs integrations:integration:view to find or update dependents: grant it to the admin client, or declare --no-integration-credentials if no integration embeds this client"),
        )),
    }
}

//! The checks on the Genesys side of an adoption: the client (and partner) can be rotated, by
//! this admin client, and nobody else rotates them already.

use super::error::{AdoptError, Refusal};
use crate::credential::{TAG_CLIENT_ID, TAG_PARTNER_CLIENT_ID};
use crate::deadline::Deadline;
use crate::genesys::models::{ClientState, GrantType, OAuthClient};
use crate::ports::genesys::ClientDirectory;
use crate::ports::secrets::SecretMetadata;
use crate::rotation::alternating::drift;
use serde::Serialize;

/// What the output shows of a client (never its secret: reads carry none).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientSummary {
    pub id: String,
    pub name: String,
    pub state: String,
    pub grant_type: String,
    pub role_ids: Vec<String>,
}

impl From<&OAuthClient> for ClientSummary {
    fn from(c: &OAuthClient) -> Self {
        let mut role_ids: Vec<String> =
            c.role_divisions.iter().map(|r| r.role_id.clone()).collect();
        role_ids.sort();
        role_ids.dedup();
        Self {
            id: c.id.clone(),
            name: c.name.clone(),
            state: c.state().to_string(),
            grant_type: c.authorized_grant_type.to_string(),
            role_ids,
        }
    }
}

/// The client, or `NotFound`.
pub async fn read<G: ClientDirectory>(
    genesys: &G,
    what: &'static str,
    id: &str,
    d: &Deadline,
) -> Result<OAuthClient, AdoptError> {
    genesys.get_client(id, d).await.map_err(|e| {
        if e.is_not_found() {
            AdoptError::NotFound {
                what,
                id: id.to_owned(),
            }
        } else {
            e.into()
        }
    })
}

/// A client rotation can manage: a client-credentials client (rotation proves a new secret with
/// that grant), not the admin client itself (its own secret lives elsewhere).
pub fn rotatable(c: &OAuthClient, what: &str, admin_client_id: &str) -> Result<(), AdoptError> {
    if c.id.eq_ignore_ascii_case(admin_client_id) {
        return Err(AdoptError::refused(
            Refusal::AdminClientItself,
            format!("{what} {} is the admin client credguard acts as: its secret is kept in the admin credential secret, not rotated as a managed one", c.id),
        ));
    }
    if c.authorized_grant_type != GrantType::ClientCredentials {
        return Err(AdoptError::refused(
            Refusal::GrantTypeNotClientCredentials,
            format!("{what} {} uses the {} grant: rotation proves a new secret with a client-credentials grant, so only CLIENT-CREDENTIALS clients can be managed", c.id, c.authorized_grant_type),
        ));
    }
    Ok(())
}

/// The client in use must be active: a disabled client has no working secret to keep.
pub fn active(c: &OAuthClient) -> Result<(), AdoptError> {
    match c.state() {
        ClientState::Active => Ok(()),
        other => Err(AdoptError::refused(
            Refusal::ClientNotActive,
            format!("client {} is {other}: enable it in Genesys first (a {other} client has no working secret to manage)", c.id),
        )),
    }
}

/// The alternating partner: another client with the same grant, roles and token validity;
/// disabled is fine (rotation re-enables it), being deleted is not.
pub fn partner_matches(client: &OAuthClient, partner: &OAuthClient) -> Result<(), AdoptError> {
    if partner.id.eq_ignore_ascii_case(&client.id) {
        return Err(AdoptError::refused(
            Refusal::PartnerIsClient,
            "the partner must be another client than the one in use",
        ));
    }
    if partner.state() == ClientState::Inactive {
        return Err(AdoptError::refused(
            Refusal::PartnerNotUsable,
            format!("partner {} is being deleted (inactive)", partner.id),
        ));
    }
    if let Some(why) = drift(client, partner) {
        return Err(AdoptError::refused(
            Refusal::PartnerMismatch,
            format!(
                "partner {} cannot stand in for {}: {why}",
                partner.id, client.id
            ),
        ));
    }
    Ok(())
}

/// Genesys lets a client grant (and, we infer, edit a client holding) only roles it holds
/// itself \[INF]: the admin client must hold every role of the clients it rotates.
pub fn admin_holds_roles(admin: &OAuthClient, c: &OAuthClient) -> Result<(), AdoptError> {
    let missing: Vec<&str> = c
        .role_divisions
        .iter()
        .map(|r| r.role_id.as_str())
        .filter(|r| !admin.role_divisions.iter().any(|a| a.role_id == *r))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut missing = missing;
    missing.sort();
    missing.dedup();
    Err(AdoptError::refused(
        Refusal::AdminLacksRoles,
        format!(
            "the admin client {} does not hold role(s) {} of client {}: Genesys refuses to let a client manage roles it does not hold [inferred]. Give the admin client these roles, or pass --skip-role-check if your org allows it",
            admin.id,
            missing.join(", "),
            c.id
        ),
    ))
}

/// Two managed secrets rotating one client would each kill the other's secret.
pub fn not_held(managed: &[SecretMetadata], id: &str) -> Result<(), AdoptError> {
    let holder = managed.iter().find(|m| {
        [TAG_CLIENT_ID, TAG_PARTNER_CLIENT_ID]
            .iter()
            .any(|t| m.tags.get(*t).is_some_and(|v| v.eq_ignore_ascii_case(id)))
    });
    match holder {
        Some(m) => Err(AdoptError::refused(
            Refusal::ClientAlreadyManaged,
            format!("client {id} is already managed by {}: two secrets rotating one client would each break the other", m.name),
        )),
        None => Ok(()),
    }
}

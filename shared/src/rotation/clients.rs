//! Genesys client operations both strategies and retirement use.

use super::error::RotationError;
use crate::deadline::Deadline;
use crate::genesys::models::{ClientState, OAuthClient, Receipt};
use crate::genesys::GenesysError;
use crate::ports::genesys::ClientAdmin;
use crate::redact::SecretString;

/// The client, or `missing()` when Genesys has no such client.
pub(super) async fn client_or<G: ClientAdmin>(
    genesys: &G,
    id: &str,
    d: &Deadline,
    missing: impl FnOnce() -> RotationError,
) -> Result<OAuthClient, RotationError> {
    genesys.get_client(id, d).await.map_err(|e| {
        if e.is_not_found() {
            missing()
        } else {
            e.into()
        }
    })
}

/// The client in use, which must exist and be active for a rotation to start.
pub(super) async fn active_client<G: ClientAdmin>(
    genesys: &G,
    id: &str,
    d: &Deadline,
) -> Result<OAuthClient, RotationError> {
    let c = client_or(genesys, id, d, || {
        RotationError::ClientMissing(id.to_owned())
    })
    .await?;
    if c.state() != ClientState::Active {
        return Err(RotationError::ClientNotActive {
            client: id.to_owned(),
            state: c.state().to_string(),
        });
    }
    Ok(c)
}

/// The secret a regenerate or create response must carry.
pub(super) fn secret_of(c: OAuthClient) -> Result<SecretString, RotationError> {
    c.secret.ok_or_else(|| {
        RotationError::Genesys(GenesysError::OutcomeUnknown {
            op: crate::genesys::ops::REGENERATE_SECRET,
            reason: "no secret in the response".into(),
        })
    })
}

/// `PUT` the client back with another state (a full replace: everything else as read).
pub(super) async fn set_state<G: ClientAdmin>(
    genesys: &G,
    client: &OAuthClient,
    state: ClientState,
    d: &Deadline,
) -> Result<Receipt, RotationError> {
    let mut req = client.to_request();
    req.state = Some(state);
    let updated = genesys.update_client(&client.id, &req, d).await?;
    Ok(Receipt {
        correlation_id: updated.correlation_id,
    })
}

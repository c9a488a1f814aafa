//! Retiring the previous client of an alternating pair, and invariant 1: **the client named by
//! the secret's `AWSCURRENT` document is never disabled by retirement**, whatever tags or
//! records say. [`disable_previous`] is the only code that disables a client for retirement; it
//! takes the live document, read under the secret's lease, and refuses the client it names.
//!
//! The sweep retires once `credguard:retire-after` has passed; "rotate now" for a leak retires
//! right after its switch (and writes `retire-after` = now before the switch, so the sweep
//! finishes the job if that execution does not). Disabling, rather than regenerating a secret
//! nobody stores, also kills every token issued with a leaked copy, and is reversible: the next
//! rotation re-enables the client with a fresh secret.

use super::clients::set_state;
use super::error::RotationError;
use crate::credential::{ManagedCredential, TAG_RETIRE_AFTER};
use crate::deadline::Deadline;
use crate::genesys::models::{ClientState, Receipt};
use crate::ports::genesys::ClientAdmin;
use crate::ports::secrets::SecretStore;

/// Value of `credguard:retire-after` once the previous client is disabled.
pub const RETIRED: &str = "retired";

/// Disables `target`, the previous client of `secret`'s pair, unless it is the client of
/// `live` (the document in `AWSCURRENT`). `None` when there was nothing to do (already disabled
/// or gone).
pub(super) async fn disable_previous<G: ClientAdmin>(
    genesys: &G,
    secret: &str,
    live: &ManagedCredential,
    target: &str,
    d: &Deadline,
) -> Result<Option<Receipt>, RotationError> {
    if target.trim().is_empty() || target.eq_ignore_ascii_case(&live.client_id) {
        return Err(RotationError::RetireLive {
            secret: secret.to_owned(),
            client: target.to_owned(),
        });
    }
    let c = match genesys.get_client(target, d).await {
        Ok(c) => c,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if c.state() != ClientState::Active {
        return Ok(None);
    }
    set_state(genesys, &c, ClientState::Disabled, d)
        .await
        .map(Some)
}

/// Notes on the secret that its previous client is retired.
pub(super) async fn mark_retired<S: SecretStore>(
    secrets: &S,
    secret_id: &str,
) -> Result<(), RotationError> {
    secrets
        .tag(secret_id, &[(TAG_RETIRE_AFTER, RETIRED)])
        .await
        .map_err(Into::into)
}

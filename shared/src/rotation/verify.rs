//! Proving a new credential works: a token grant, and `tokens/me` naming the expected client.
//! The login host accepts a regenerated secret only after a propagation delay, so rejection is
//! retried (with growing pauses) for a bounded window.

use super::attempt::StepCtx;
use super::error::RotationError;
use super::ports::RotationGenesys;
use crate::genesys::{ClientCredentials, LoginError};
use crate::ports::genesys::{CredentialProof, VerifyError};
use std::time::Duration;
use tokio::time::Instant;

const MAX_PAUSE: Duration = Duration::from_secs(5);

async fn verify_with_propagation<G: RotationGenesys, S, R>(
    cx: &StepCtx<'_, G, S, R>,
    creds: &ClientCredentials,
    window: Duration,
) -> Result<CredentialProof, RotationError> {
    let started = Instant::now();
    let mut pause = cx.config.verify_interval;
    loop {
        let result = cx.genesys.verify_credentials(creds, cx.deadline).await;
        let retry = match &result {
            Ok(proof) => {
                if proof.client_id.as_deref() != Some(creds.client_id.as_str()) {
                    return Err(RotationError::WrongClient {
                        expected: creds.client_id.clone(),
                        got: proof.client_id.clone(),
                    });
                }
                tracing::info!(client = %creds.client_id, waited_ms = started.elapsed().as_millis() as u64, "new credential works");
                return result.map_err(Into::into);
            }
            // Not yet propagated (or the login host is briefly unwell): keep trying.
            Err(VerifyError::Login(LoginError::InvalidClient { .. })) => true,
            Err(VerifyError::Login(e)) => e.is_transient(),
            Err(VerifyError::Api(e)) => e.is_transient(),
        };
        let elapsed = started.elapsed();
        if !retry {
            return result.map_err(Into::into);
        }
        if elapsed + pause > window || cx.deadline.cannot_afford(pause, Duration::from_secs(2)) {
            return match result {
                Err(VerifyError::Login(LoginError::InvalidClient { .. })) => {
                    Err(RotationError::PropagationTimeout(elapsed.as_secs()))
                }
                other => other.map_err(Into::into),
            };
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

/// testSecret's common part: the pending credential works (after propagation) and names its
/// client.
pub(super) async fn verify_pending<
    G: RotationGenesys,
    S: crate::ports::secrets::SecretStore,
    R: crate::ports::records::RecordStore,
>(
    cx: &mut StepCtx<'_, G, S, R>,
) -> Result<crate::credential::ManagedCredential, RotationError> {
    let pending = cx.require_pending().await?;
    let window = cx.config.propagation_window(&cx.current.settings());
    verify_with_propagation(cx, &pending.credentials(), window).await?;
    Ok(pending)
}

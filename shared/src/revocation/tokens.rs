//! A leaked access token: `GET /api/v2/tokens/me` with it says whose it is (without resetting
//! its idle timer), then `DELETE /api/v2/tokens/me` with it. The token is never logged or
//! stored; records keep its SHA-256.

use super::error::ApiError;
use super::events::for_record;
use super::service::{RevocationGenesys, Revoker};
use crate::deadline::Deadline;
use crate::ports::events::{EventPublisher, SecurityEvent, Severity};
use crate::ports::functions::{BackgroundJobs, RotationTrigger};
use crate::ports::genesys::TokenRevocation;
use crate::ports::records::RecordStore;
use crate::ports::secrets::SecretStore;
use crate::records::revocation::RevocationRecord;
use serde_json::json;

impl<G, R, E, S, T, J> Revoker<'_, G, R, E, S, T, J>
where
    G: RevocationGenesys,
    R: RecordStore,
    E: EventPublisher,
    S: SecretStore,
    T: RotationTrigger,
    J: BackgroundJobs,
{
    /// `DELETE /api/v2/tokens/me` sent with the leaked token; `GET` first says whose it is.
    pub(super) async fn revoke_token(
        &self,
        record: &mut RevocationRecord,
        events: &mut Vec<SecurityEvent>,
        token: &crate::redact::SecretString,
        dry_run: bool,
        d: &Deadline,
    ) -> Result<u16, ApiError> {
        match self.genesys.token_info(token, d).await {
            Ok(info) => {
                let client = info.oauth_client.as_ref();
                record.checks = json!({
                    "tokenValid": true,
                    "clientId": client.and_then(|c| c.id.clone()),
                    "clientName": client.and_then(|c| c.name.clone()),
                    "grantType": client.and_then(|c| c.authorized_grant_type.as_ref().map(|g| g.to_string())),
                    "organizationId": info.organization.and_then(|o| o.id),
                });
            }
            Err(e) if e.status() == Some(401) => {
                record.checks = json!({"tokenValid": false});
                record.outcome = "alreadyDone".into();
                return Ok(200);
            }
            Err(e) => return Err(ApiError::from_genesys(&e, "token")),
        }
        if dry_run {
            record.outcome = "dryRun".into();
            return Ok(200);
        }
        let (result, receipt) = self
            .genesys
            .revoke_token(token, d)
            .await
            .map_err(|e| ApiError::from_genesys(&e, "token"))?;
        record.note_correlation(receipt.correlation_id.as_deref());
        record.outcome = match result {
            TokenRevocation::Revoked => "completed",
            TokenRevocation::AlreadyInvalid => "alreadyDone",
        }
        .into();
        events.push(for_record(
            record,
            "Access Token Revoked",
            Severity::Medium,
            json!({}),
        ));
        Ok(200)
    }
}

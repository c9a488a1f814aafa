//! Integration credentials that embed an OAuth client (`pureCloudOAuthClient`), and which
//! client each embeds where Genesys lets that be read. Calls: one listing page per 100
//! credentials, one read per OAuth credential no managed secret already names (at most
//! `maxCredentialReads`): they grow with the integrations, not with the clients.

use super::Missing;
use crate::audit::config::AuditConfig;
use crate::audit::findings::Source;
use crate::deadline::Deadline;
use crate::genesys::models::OAUTH_CLIENT_CREDENTIAL_TYPE;
use crate::genesys::GenesysError;
use crate::ports::genesys::IntegrationCredentials;
use futures::{stream, StreamExt};
use std::collections::HashSet;

const READS_IN_FLIGHT: usize = 4;

/// An OAuth integration credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialSeen {
    pub id: String,
    pub name: String,
    /// The embedded client id; `None` when Genesys redacted it or it was not read.
    pub client_id: Option<String>,
    /// Whether its fields were read (a credential a managed secret names is not).
    pub read: bool,
}

fn missing(e: &GenesysError) -> Missing {
    let hint = if e.status() == Some(403) {
        " (the audit's Genesys role needs integrations:integration:view)"
    } else {
        ""
    };
    Missing {
        source: Source::Credentials,
        detail: format!(
            "integration credentials unavailable, dependent findings not evaluated{hint}: {} ({e})",
            e.kind()
        ),
    }
}

/// Every OAuth credential; those in `known` (dependents a rotation record names) are not read.
pub(super) async fn oauth_credentials<G: IntegrationCredentials>(
    genesys: &G,
    cfg: &AuditConfig,
    known: &HashSet<String>,
    d: &Deadline,
) -> (Option<Vec<CredentialSeen>>, Vec<Missing>) {
    let listed = match genesys.list_credentials(d).await {
        Ok(l) => l,
        Err(e) => return (None, vec![missing(&e)]),
    };
    let oauth: Vec<_> = listed
        .into_iter()
        .filter(|c| {
            c.credential_type
                .as_ref()
                .and_then(|t| t.name.as_deref())
                .is_some_and(|n| n.eq_ignore_ascii_case(OAUTH_CLIENT_CREDENTIAL_TYPE))
        })
        .collect();
    let mut reads = 0;
    let plan: Vec<(_, bool)> = oauth
        .into_iter()
        .map(|c| {
            let read = !known.contains(&c.id) && reads < cfg.max_credential_reads;
            reads += usize::from(read);
            (c, read)
        })
        .collect();
    let results: Vec<Result<CredentialSeen, GenesysError>> = stream::iter(plan)
        .map(|(info, read)| async move {
            let mut seen = CredentialSeen {
                name: info.name.clone().unwrap_or_default(),
                id: info.id,
                client_id: None,
                read,
            };
            if read {
                let c = genesys.get_credential(&seen.id, d).await?;
                seen.client_id = c
                    .credential_fields
                    .as_ref()
                    .and_then(|f| f.get("clientId"))
                    .filter(|v| !v.is_empty())
                    .cloned();
                if let Some(n) = c.name.filter(|n| !n.is_empty()) {
                    seen.name = n;
                }
            }
            Ok(seen)
        })
        .buffered(READS_IN_FLIGHT)
        .collect()
        .await;
    match results.into_iter().collect::<Result<Vec<_>, _>>() {
        Ok(seen) => (Some(seen), vec![]),
        Err(e) => (None, vec![missing(&e)]),
    }
}

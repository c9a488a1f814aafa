//! The audit service's asynchronous query (API-FACTS §6): submit an `AuditQueryRequest`, poll
//! its status until it succeeded, then read the results page by page (up to 500 messages a
//! page) following the cursor. Calls per query: one submit, a few polls, one per page.

use super::client::GenesysClient;
use super::error::GenesysError;
use super::models::{
    AuditLogMessage, AuditQueryExecution, AuditQueryRequest, AuditQueryResults, AuditQueryState,
};
use super::ops::{segment, AUDIT_QUERY_RESULTS, AUDIT_QUERY_STATUS, AUDIT_QUERY_SUBMIT};
use crate::deadline::Deadline;
use crate::ports::audit_trail::AuditTrail;

/// The largest page the results operation serves.
pub const AUDIT_PAGE_SIZE: usize = 500;
/// A server that keeps sending cursors must not keep us here forever.
const MAX_PAGES: usize = 10_000;

impl GenesysClient {
    async fn audit_status(
        &self,
        path: &str,
        d: &Deadline,
    ) -> Result<AuditQueryExecution, GenesysError> {
        self.send(self.admin(AUDIT_QUERY_STATUS, path, &[], None), d)
            .await?
            .json(AUDIT_QUERY_STATUS)
    }
}

impl AuditTrail for GenesysClient {
    async fn audit_messages(
        &self,
        query: &AuditQueryRequest,
        d: &Deadline,
    ) -> Result<Vec<AuditLogMessage>, GenesysError> {
        let body = serde_json::to_vec(query)
            .expect("plain struct serializes")
            .into();
        let mut exec: AuditQueryExecution = self
            .send(
                self.admin(AUDIT_QUERY_SUBMIT, "/api/v2/audits/query", &[], Some(body)),
                d,
            )
            .await?
            .json(AUDIT_QUERY_SUBMIT)?;
        let id = segment(AUDIT_QUERY_STATUS, &exec.id)?.to_owned();
        let status_path = format!("/api/v2/audits/query/{id}");
        loop {
            match exec.state {
                Some(AuditQueryState::Succeeded) => break,
                Some(s @ (AuditQueryState::Failed | AuditQueryState::Cancelled)) => {
                    return Err(GenesysError::QueryFailed {
                        op: AUDIT_QUERY_STATUS,
                        status: s.to_string(),
                        message: String::new(),
                    })
                }
                // Queued, Running, absent, or a state newer than this code: keep polling.
                _ => {
                    self.poll_pause(AUDIT_QUERY_STATUS, d).await?;
                    exec = self.audit_status(&status_path, d).await?;
                }
            }
        }
        let results_path = format!("/api/v2/audits/query/{id}/results");
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query = vec![("pageSize", AUDIT_PAGE_SIZE.to_string())];
            if let Some(c) = cursor.take() {
                query.push(("cursor", c));
            }
            let page: AuditQueryResults = self
                .send(
                    self.admin(AUDIT_QUERY_RESULTS, &results_path, &query, None),
                    d,
                )
                .await?
                .json(AUDIT_QUERY_RESULTS)?;
            // An empty page ends the results even if it names a next one.
            let empty = page.entities.is_empty();
            out.extend(page.entities);
            match page.cursor.filter(|c| !c.is_empty() && !empty) {
                Some(c) => cursor = Some(c),
                None => return Ok(out),
            }
        }
        Err(GenesysError::Decode {
            op: AUDIT_QUERY_RESULTS,
            reason: "too many pages".into(),
        })
    }

    async fn acting_client_id(&self) -> Result<String, GenesysError> {
        Ok(self.tokens.client_id().await?)
    }
}

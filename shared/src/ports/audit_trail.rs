//! What the domain needs from Genesys's audit service (`audits:audit:view`): who changed what.

use crate::deadline::Deadline;
use crate::genesys::models::{AuditLogMessage, AuditQueryRequest};
use crate::genesys::GenesysError;
use std::future::Future;

pub trait AuditTrail: Send + Sync {
    /// Every audit message matching `query` (the asynchronous query, all its pages).
    fn audit_messages(
        &self,
        query: &AuditQueryRequest,
        d: &Deadline,
    ) -> impl Future<Output = Result<Vec<AuditLogMessage>, GenesysError>> + Send;
    /// The OAuth client this adapter calls Genesys as: its own changes carry this id in the
    /// trail (`AuditLogMessage.client`).
    fn acting_client_id(&self) -> impl Future<Output = Result<String, GenesysError>> + Send;
}

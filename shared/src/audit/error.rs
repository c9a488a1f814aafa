//! Why a run did not complete. `error_type`s are stable (alarms and runbooks key on them).

use crate::config::ConfigError;
use crate::genesys::GenesysError;
use crate::ports::records::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The invocation payload is not one the function accepts.
    #[error("invalid audit input: {0}")]
    InvalidInput(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Without the client listing there is nothing to audit.
    #[error("cannot list OAuth clients: {0}")]
    ClientListing(GenesysError),
    #[error("record store: {0}")]
    Records(#[from] StoreError),
    /// Another invocation holds this run (the lease expires with that invocation).
    #[error("audit run {0} is already running")]
    RunInProgress(String),
    /// The run was recorded as partial; a retry with the same run id completes it. Returned as
    /// an error so Lambda's asynchronous retries (same event, same run id) do exactly that.
    #[error("audit run {run_id} is partial; missing: {}", missing.join("; "))]
    Partial {
        run_id: String,
        missing: Vec<String>,
    },
}

impl AuditError {
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => "AuditInvalidInput",
            Self::Config(_) => "AuditConfigInvalid",
            Self::ClientListing(e) => match e.kind() {
                "GenesysUnauthorized" => "AuditClientListing.GenesysUnauthorized",
                "GenesysForbidden" => "AuditClientListing.GenesysForbidden",
                "GenesysRateLimited" => "AuditClientListing.GenesysRateLimited",
                "DeadlineExceeded" => "AuditClientListing.DeadlineExceeded",
                _ if e.is_transient() => "AuditClientListing.Transient",
                _ => "AuditClientListing.Failed",
            },
            Self::Records(e) => match e {
                StoreError::Throttled(_) => "AuditRecords.Throttled",
                StoreError::Unavailable(_) => "AuditRecords.Unavailable",
                StoreError::ConditionFailed | StoreError::Invalid(_) => "AuditRecords.Rejected",
            },
            Self::RunInProgress(_) => "AuditRunInProgress",
            Self::Partial { .. } => "AuditRunPartial",
        }
    }
}

impl From<AuditError> for lambda_runtime::Diagnostic {
    fn from(e: AuditError) -> Self {
        Self {
            error_type: e.error_type().to_owned(),
            error_message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostics_carry_stable_types() {
        let d: lambda_runtime::Diagnostic = AuditError::Partial {
            run_id: "2026-11-21".into(),
            missing: vec!["usage: GenesysServerError".into()],
        }
        .into();
        assert_eq!(d.error_type, "AuditRunPartial");
        assert!(d.error_message.contains("usage: GenesysServerError"));
        let d: lambda_runtime::Diagnostic =
            AuditError::Records(StoreError::Throttled("x".into())).into();
        assert_eq!(d.error_type, "AuditRecords.Throttled");
        assert_eq!(
            AuditError::InvalidInput("x".into()).error_type(),
            "AuditInvalidInput"
        );
    }
}

//! Why a rotation step failed. `error_type` (the Lambda `Diagnostic`) is stable and says
//! whether trying again can help, so Secrets Manager's and the sweep's retries do the right thing.

use crate::credential::CredentialFormatError;
use crate::genesys::{GenesysError, LoginError};
use crate::ports::events::EventError;
use crate::ports::genesys::VerifyError;
use crate::ports::records::StoreError;
use crate::ports::secrets::SecretsError;

#[derive(Debug, Clone, thiserror::Error)]
pub enum RotationError {
    #[error("invalid invocation: {0}")]
    InvalidEvent(String),
    #[error("secret {0} is not enabled for rotation")]
    NotEnabled(String),
    #[error("version {token} is not a version of secret {secret}")]
    UnknownVersion { secret: String, token: String },
    #[error("version {token} of secret {secret} is not AWSPENDING")]
    NotPending { secret: String, token: String },
    #[error("another rotation of {secret} is in progress (version {other})")]
    InProgressElsewhere { secret: String, other: String },
    #[error("secret {secret} is being rotated by {holder}")]
    Busy { secret: String, holder: String },
    #[error("lost the lease on secret {0} (this execution stalled); stopped")]
    LeaseLost(String),
    #[error("refusing to retire client {client}: secret {secret} uses it now (AWSCURRENT)")]
    RetireLive { secret: String, client: String },
    #[error(
        "rotation {token} of {secret}, asked for by this request, already failed: {error_type}"
    )]
    RequestFailed {
        secret: String,
        token: String,
        error_type: String,
    },
    #[error("the sweep left work unfinished: {0}")]
    SweepIncomplete(String),
    #[error("secret value: {0}")]
    Format(#[from] CredentialFormatError),
    #[error("the secret declares Genesys {declared}, but this function talks to {configured}")]
    WrongOrg {
        declared: String,
        configured: String,
    },
    #[error("OAuth client {0} does not exist")]
    ClientMissing(String),
    #[error("OAuth client {client} is {state}, not active")]
    ClientNotActive { client: String, state: String },
    #[error("alternating rotation needs rotation.partnerClientId (or createPartner: true)")]
    NoPartner,
    #[error("partner client {0} does not exist")]
    PartnerMissing(String),
    #[error("partner client does not match the active client: {0}")]
    PartnerDrift(String),
    #[error("{0} secret regenerations may have been applied in this attempt; refusing another")]
    RegenerationLimit(u32),
    #[error("the new secret was not accepted within {0} s")]
    PropagationTimeout(u64),
    #[error("the new credential authenticates as {got:?}, expected {expected}")]
    WrongClient {
        expected: String,
        got: Option<String>,
    },
    #[error("integration credentials whose client cannot be read back: {0:?}; list them in rotation.integrationCredentials")]
    DependentsUnresolved(Vec<String>),
    #[error("cannot check integration credentials for dependents: {0}")]
    DependentsUnknown(String),
    #[error("integration credentials not updated: {0:?}")]
    DependentsFailed(Vec<String>),
    #[error(transparent)]
    Genesys(#[from] GenesysError),
    #[error(transparent)]
    Login(#[from] LoginError),
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Events(#[from] EventError),
}

impl From<VerifyError> for RotationError {
    fn from(e: VerifyError) -> Self {
        match e {
            VerifyError::Login(l) => Self::Login(l),
            VerifyError::Api(a) => Self::Genesys(a),
        }
    }
}

impl RotationError {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidEvent(_) => "InvalidEvent",
            Self::NotEnabled(_) => "RotationNotEnabled",
            Self::UnknownVersion { .. } => "UnknownVersion",
            Self::NotPending { .. } => "VersionNotPending",
            Self::InProgressElsewhere { .. } => "RotationInProgress",
            Self::Busy { .. } => "RotationBusy",
            Self::LeaseLost(_) => "LeaseLost",
            Self::RetireLive { .. } => "RetireLive",
            Self::RequestFailed { .. } => "RequestFailed",
            Self::SweepIncomplete(_) => "SweepIncomplete",
            Self::Format(_) => "InvalidSecretValue",
            Self::WrongOrg { .. } => "WrongGenesysOrg",
            Self::ClientMissing(_) => "ClientMissing",
            Self::ClientNotActive { .. } => "ClientNotActive",
            Self::NoPartner => "NoPartner",
            Self::PartnerMissing(_) => "PartnerMissing",
            Self::PartnerDrift(_) => "PartnerDrift",
            Self::RegenerationLimit(_) => "RegenerationLimit",
            Self::PropagationTimeout(_) => "PropagationTimeout",
            Self::WrongClient { .. } => "WrongClient",
            Self::DependentsUnresolved(_) => "DependentsUnresolved",
            Self::DependentsUnknown(_) => "DependentsUnknown",
            Self::DependentsFailed(_) => "DependentsFailed",
            Self::Genesys(e) => e.kind(),
            Self::Login(e) => e.kind(),
            Self::Secrets(e) => e.kind(),
            Self::Store(e) => e.kind(),
            Self::Events(_) => "EventsUnavailable",
        }
    }

    /// Trying the same step again later can succeed without anyone changing anything.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::InProgressElsewhere { .. }
            | Self::Busy { .. }
            | Self::LeaseLost(_)
            | Self::SweepIncomplete(_)
            | Self::PropagationTimeout(_)
            | Self::DependentsFailed(_)
            | Self::Events(_) => true,
            Self::Genesys(e) => e.is_transient(),
            Self::Login(e) => e.is_transient(),
            Self::Secrets(e) => e.is_transient(),
            Self::Store(e) => !matches!(e, StoreError::Invalid(_)),
            _ => false,
        }
    }

    /// `Retryable.<Kind>` or `Fatal.<Kind>`.
    pub fn error_type(&self) -> String {
        let class = if self.is_retryable() {
            "Retryable"
        } else {
            "Fatal"
        };
        format!("{class}.{}", self.kind())
    }
}

impl From<RotationError> for lambda_runtime::Diagnostic {
    fn from(e: RotationError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: e.error_type(),
            error_message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_types_are_stable_and_classified() {
        assert_eq!(
            RotationError::PropagationTimeout(60).error_type(),
            "Retryable.PropagationTimeout"
        );
        assert_eq!(RotationError::NoPartner.error_type(), "Fatal.NoPartner");
        assert_eq!(
            RotationError::Secrets(SecretsError::Throttled("x".into())).error_type(),
            "Retryable.SecretsThrottled"
        );
        let d: lambda_runtime::Diagnostic = RotationError::RegenerationLimit(2).into();
        assert_eq!(d.error_type, "Fatal.RegenerationLimit");
    }
}

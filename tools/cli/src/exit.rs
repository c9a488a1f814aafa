//! Exit codes scripts can rely on (also in `credguard --help` and docs/cli.md), and the one
//! error type every command returns.

use credguard::genesys::{GenesysError, LoginError};
use credguard::onboarding::AdoptError;
use credguard::ports::records::StoreError;
use credguard::ports::secrets::SecretsError;
use credguard::ports::stacks::StackError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    Failure = 1,
    Usage = 2,
    Refused = 3,
    NotFound = 4,
    OperationFailed = 5,
    Config = 6,
    Unavailable = 7,
    Attention = 8,
}

/// What went wrong, with a stable code (printed, and in `--json` output) and the exit code.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct CliError {
    pub exit: Exit,
    pub code: String,
    pub message: String,
}

impl CliError {
    pub fn new(exit: Exit, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            exit,
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn config(message: impl Into<String>) -> Self {
        Self::new(Exit::Config, "configuration_missing", message)
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Exit::Usage, "bad_usage", message)
    }
}

impl From<AdoptError> for CliError {
    fn from(e: AdoptError) -> Self {
        let exit = match &e {
            AdoptError::Refused { .. } => Exit::Refused,
            AdoptError::NotFound { .. } => Exit::NotFound,
            e if e.is_transient() => Exit::Unavailable,
            e if e.is_access_denied() => Exit::Config,
            AdoptError::Login(_) => Exit::Config,
            _ => Exit::Failure,
        };
        Self::new(exit, e.code(), e.to_string())
    }
}

impl From<SecretsError> for CliError {
    fn from(e: SecretsError) -> Self {
        let exit = match &e {
            SecretsError::NotFound(_) => Exit::NotFound,
            SecretsError::AccessDenied(_) => Exit::Config,
            e if e.is_transient() => Exit::Unavailable,
            _ => Exit::Failure,
        };
        Self::new(exit, e.kind(), e.to_string())
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        let exit = match &e {
            StoreError::Throttled(_) | StoreError::Unavailable(_) => Exit::Unavailable,
            _ => Exit::Failure,
        };
        Self::new(exit, e.kind(), e.to_string())
    }
}

impl From<GenesysError> for CliError {
    fn from(e: GenesysError) -> Self {
        let exit = match e.status() {
            Some(404) => Exit::NotFound,
            Some(401 | 403) => Exit::Config,
            _ if e.is_transient() => Exit::Unavailable,
            _ if matches!(e, GenesysError::Login(_)) => Exit::Config,
            _ => Exit::Failure,
        };
        Self::new(exit, e.kind(), e.to_string())
    }
}

impl From<LoginError> for CliError {
    fn from(e: LoginError) -> Self {
        let exit = if e.is_transient() {
            Exit::Unavailable
        } else {
            Exit::Config
        };
        Self::new(exit, e.kind(), format!("the Genesys admin credential: {e}"))
    }
}

impl From<StackError> for CliError {
    fn from(e: StackError) -> Self {
        let exit = match &e {
            StackError::Unavailable(_) => Exit::Unavailable,
            _ => Exit::Config,
        };
        Self::new(exit, "stack_unreadable", e.to_string())
    }
}

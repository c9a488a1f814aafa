//! Why an adoption did not happen. A refusal is a check that failed (nothing was written); its
//! code is stable for scripts and its message says what to do.

use crate::genesys::{GenesysError, LoginError};
use crate::ports::secrets::SecretsError;

/// The checks `credguard adopt` makes, by stable code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    OutsideManagedPrefix,
    SecretExists,
    ClientAlreadyManaged,
    ClientNotActive,
    GrantTypeNotClientCredentials,
    AdminClientItself,
    AdminLacksRoles,
    PartnerRequired,
    PartnerIsClient,
    PartnerMismatch,
    PartnerNotUsable,
    SecretRejected,
    DependentsUnreadable,
    DependentsUnresolved,
    DependentNotFound,
    DependentNamesOtherClient,
    DependentOmitted,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Self::OutsideManagedPrefix => "outside_managed_prefix",
            Self::SecretExists => "secret_exists",
            Self::ClientAlreadyManaged => "client_already_managed",
            Self::ClientNotActive => "client_not_active",
            Self::GrantTypeNotClientCredentials => "grant_type_not_client_credentials",
            Self::AdminClientItself => "admin_client_itself",
            Self::AdminLacksRoles => "admin_lacks_roles",
            Self::PartnerRequired => "partner_required",
            Self::PartnerIsClient => "partner_is_client",
            Self::PartnerMismatch => "partner_mismatch",
            Self::PartnerNotUsable => "partner_not_usable",
            Self::SecretRejected => "secret_rejected",
            Self::DependentsUnreadable => "dependents_unreadable",
            Self::DependentsUnresolved => "dependents_unresolved",
            Self::DependentNotFound => "dependent_not_found",
            Self::DependentNamesOtherClient => "dependent_names_other_client",
            Self::DependentOmitted => "dependent_omitted",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AdoptError {
    #[error("{message}")]
    Refused { refusal: Refusal, message: String },
    #[error("{what} {id} does not exist in Genesys")]
    NotFound { what: &'static str, id: String },
    #[error(transparent)]
    Genesys(#[from] GenesysError),
    #[error("checking the secret: {0}")]
    Login(#[from] LoginError),
    #[error(transparent)]
    Secrets(#[from] SecretsError),
}

impl AdoptError {
    pub fn refused(refusal: Refusal, message: impl Into<String>) -> Self {
        Self::Refused {
            refusal,
            message: message.into(),
        }
    }

    /// A stable code: the refusal's, or the kind of failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Refused { refusal, .. } => refusal.code(),
            Self::NotFound {
                what: "partner", ..
            } => "partner_not_found",
            Self::NotFound { .. } => "client_not_found",
            Self::Genesys(e) => e.kind(),
            Self::Login(e) => e.kind(),
            Self::Secrets(e) => e.kind(),
        }
    }

    /// Worth trying again as it is (throttling, an unavailable service).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Genesys(e) => e.is_transient(),
            Self::Login(e) => e.is_transient(),
            Self::Secrets(e) => e.is_transient(),
            _ => false,
        }
    }

    /// This principal or client lacks a permission.
    pub fn is_access_denied(&self) -> bool {
        match self {
            Self::Genesys(e) => e.status() == Some(403),
            Self::Secrets(SecretsError::AccessDenied(_)) => true,
            _ => false,
        }
    }
}

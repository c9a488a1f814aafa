//! Findings and their stable codes. Codes are what auditors filter on in exports, so they never
//! change meaning; `infra/DATA-MODEL.md` documents each one (a test keeps the two in step).

use crate::ports::events::Severity;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where the data behind a finding comes from. When a source is missing from a run (a failed
/// call), findings that depend on it are neither raised nor reported as resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Source {
    Clients,
    Roles,
    Scopes,
    Usage,
    Secrets,
    Rotations,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Clients => "clients",
            Self::Roles => "roles",
            Self::Scopes => "scopes",
            Self::Usage => "usage",
            Self::Secrets => "secrets",
            Self::Rotations => "rotations",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::Clients,
            Self::Roles,
            Self::Scopes,
            Self::Usage,
            Self::Secrets,
            Self::Rotations,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// What a finding is about: an OAuth client, or a managed secret.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    Client {
        id: String,
        name: String,
    },
    Secret {
        name: String,
        arn: String,
        /// The client the secret holds, when its tag names one.
        client_id: Option<String>,
    },
}

impl Subject {
    /// The subject part of record keys: `client:<id>` or `secret:<name>` (secret names cannot
    /// contain `#`, client ids are UUIDs).
    pub fn key(&self) -> String {
        match self {
            Self::Client { id, .. } => format!("client:{id}"),
            Self::Secret { name, .. } => format!("secret:{name}"),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Client { .. } => "client",
            Self::Secret { .. } => "secret",
        }
    }

    pub fn client_id(&self) -> Option<&str> {
        match self {
            Self::Client { id, .. } => Some(id),
            Self::Secret { client_id, .. } => client_id.as_deref(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub subject: Subject,
    pub code: String,
    pub severity: Severity,
    pub title: String,
    /// A JSON object of facts (ids, names, dates, counts); never a secret value.
    pub evidence: Value,
    pub remediation: String,
    pub source: Source,
}

/// Stable finding codes of the built-in rules.
pub mod codes {
    pub const ADMIN_PERMISSION: &str = "ADMIN_PERMISSION";
    pub const CREDENTIAL_ADMIN_PERMISSION: &str = "CREDENTIAL_ADMIN_PERMISSION";
    pub const WILDCARD_PERMISSION: &str = "WILDCARD_PERMISSION";
    pub const ALL_DIVISIONS: &str = "ALL_DIVISIONS";
    pub const ORPHANED_ROLE: &str = "ORPHANED_ROLE";
    pub const ORPHANED_SCOPE: &str = "ORPHANED_SCOPE";
    pub const UNUSED: &str = "UNUSED";
    pub const NEVER_USED: &str = "NEVER_USED";
    pub const TOKEN_VALIDITY_TOO_LONG: &str = "TOKEN_VALIDITY_TOO_LONG";
    pub const UNMANAGED_SECRET: &str = "UNMANAGED_SECRET";
    pub const CLIENT_DISABLED: &str = "CLIENT_DISABLED";
    pub const CLIENT_PENDING_DELETION: &str = "CLIENT_PENDING_DELETION";
    pub const MANAGED_SECRET_STALE: &str = "MANAGED_SECRET_STALE";
    pub const ROTATION_FAILED: &str = "ROTATION_FAILED";
    pub const MANAGED_SECRET_MISSING_CLIENT: &str = "MANAGED_SECRET_MISSING_CLIENT";
    pub const MANAGED_SECRET_UNTAGGED: &str = "MANAGED_SECRET_UNTAGGED";
}

/// One built-in code: its default severity, title, remediation and data source.
#[derive(Clone, Copy, Debug)]
pub struct CodeInfo {
    pub code: &'static str,
    pub severity: Severity,
    pub source: Source,
    pub title: &'static str,
    pub remediation: &'static str,
}

use Severity::{Critical, High, Info, Low, Medium};

pub const CATALOG: &[CodeInfo] = &[
    CodeInfo {
        code: codes::ADMIN_PERMISSION,
        severity: Critical,
        source: Source::Roles,
        title: "Client holds admin-level permissions",
        remediation: "Replace the admin role with a role granting only the permissions this integration uses.",
    },
    CodeInfo {
        code: codes::CREDENTIAL_ADMIN_PERMISSION,
        severity: High,
        source: Source::Roles,
        title: "Client can create or change credentials, roles or grants",
        remediation: "Remove OAuth client, role and grant administration unless this client is a credential tool; if it is, manage its own secret with credguard.",
    },
    CodeInfo {
        code: codes::WILDCARD_PERMISSION,
        severity: Medium,
        source: Source::Roles,
        title: "Client holds wildcard permissions",
        remediation: "Replace wildcard permissions (`*`) with the specific actions the integration needs.",
    },
    CodeInfo {
        code: codes::ALL_DIVISIONS,
        severity: Low,
        source: Source::Clients,
        title: "Role granted in all divisions",
        remediation: "Grant the role only in the divisions the integration works in.",
    },
    CodeInfo {
        code: codes::ORPHANED_ROLE,
        severity: Medium,
        source: Source::Roles,
        title: "Client refers to a role that no longer exists",
        remediation: "Remove the dangling role from the client's roles (a PUT of the client without it).",
    },
    CodeInfo {
        code: codes::ORPHANED_SCOPE,
        severity: Low,
        source: Source::Scopes,
        title: "Client requests a scope Genesys no longer lists",
        remediation: "Remove the unknown scope from the client.",
    },
    CodeInfo {
        code: codes::UNUSED,
        severity: Medium,
        source: Source::Usage,
        title: "Client unused for longer than the policy allows",
        remediation: "Confirm with the owner; disable the client, then delete it if nothing breaks.",
    },
    CodeInfo {
        code: codes::NEVER_USED,
        severity: Medium,
        source: Source::Usage,
        title: "Client never used since it was created",
        remediation: "Confirm the client is needed; delete it otherwise.",
    },
    CodeInfo {
        code: codes::TOKEN_VALIDITY_TOO_LONG,
        severity: Medium,
        source: Source::Clients,
        title: "Access tokens live longer than the policy allows",
        remediation: "Lower accessTokenValiditySeconds to the policy maximum or less.",
    },
    CodeInfo {
        code: codes::UNMANAGED_SECRET,
        severity: Low,
        source: Source::Secrets,
        title: "Client secret is not managed by credguard",
        remediation: "Store the credential in a Secrets Manager secret tagged credguard:managed=true so it is rotated.",
    },
    CodeInfo {
        code: codes::CLIENT_DISABLED,
        severity: Low,
        source: Source::Clients,
        title: "Client is disabled",
        remediation: "Delete the client if it is no longer needed; a disabled client can be re-enabled with all its rights.",
    },
    CodeInfo {
        code: codes::CLIENT_PENDING_DELETION,
        severity: Info,
        source: Source::Clients,
        title: "Client is being deleted",
        remediation: "None needed; restore it before dateToDelete if the deletion was a mistake.",
    },
    CodeInfo {
        code: codes::MANAGED_SECRET_STALE,
        severity: High,
        source: Source::Secrets,
        title: "Managed credential older than its maximum age",
        remediation: "Check why rotation did not run (schedule, last rotation record) and rotate now.",
    },
    CodeInfo {
        code: codes::ROTATION_FAILED,
        severity: High,
        source: Source::Rotations,
        title: "Last rotation of the managed secret failed",
        remediation: "Read the rotation record's errorCode, fix the cause and rotate again.",
    },
    CodeInfo {
        code: codes::MANAGED_SECRET_MISSING_CLIENT,
        severity: High,
        source: Source::Secrets,
        title: "Managed secret holds a client that no longer exists",
        remediation: "Point the secret at a live client (and update its credguard:client-id tag) or delete the secret; its consumers cannot log in.",
    },
    CodeInfo {
        code: codes::MANAGED_SECRET_UNTAGGED,
        severity: Medium,
        source: Source::Secrets,
        title: "Managed secret does not name its client",
        remediation: "Tag the secret with credguard:client-id (rotation keeps it in step afterwards).",
    },
];

pub fn info(code: &str) -> Option<&'static CodeInfo> {
    CATALOG.iter().find(|c| c.code == code)
}

/// A code of the catalog; the rules only raise these (plus configured permission rules).
pub(crate) fn builtin(code: &str) -> &'static CodeInfo {
    // The rules pass constants from `codes`, all of which are in the catalog (tested).
    info(code).unwrap_or(&CATALOG[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_constant_is_in_the_catalog_once() {
        let all = [
            codes::ADMIN_PERMISSION,
            codes::CREDENTIAL_ADMIN_PERMISSION,
            codes::WILDCARD_PERMISSION,
            codes::ALL_DIVISIONS,
            codes::ORPHANED_ROLE,
            codes::ORPHANED_SCOPE,
            codes::UNUSED,
            codes::NEVER_USED,
            codes::TOKEN_VALIDITY_TOO_LONG,
            codes::UNMANAGED_SECRET,
            codes::CLIENT_DISABLED,
            codes::CLIENT_PENDING_DELETION,
            codes::MANAGED_SECRET_STALE,
            codes::ROTATION_FAILED,
            codes::MANAGED_SECRET_MISSING_CLIENT,
            codes::MANAGED_SECRET_UNTAGGED,
        ];
        assert_eq!(all.len(), CATALOG.len());
        for code in all {
            assert_eq!(
                CATALOG.iter().filter(|c| c.code == code).count(),
                1,
                "{code}"
            );
            assert_eq!(builtin(code).code, code);
        }
    }

    #[test]
    fn the_data_model_documents_every_code() {
        let doc = include_str!("../../../infra/DATA-MODEL.md");
        for c in CATALOG {
            assert!(
                doc.contains(&format!("`{}`", c.code)),
                "infra/DATA-MODEL.md does not document {}",
                c.code
            );
        }
    }

    #[test]
    fn subject_keys_are_typed() {
        let c = Subject::Client {
            id: "c1".into(),
            name: "n".into(),
        };
        assert_eq!(c.key(), "client:c1");
        let s = Subject::Secret {
            name: "team/a".into(),
            arn: "arn".into(),
            client_id: None,
        };
        assert_eq!(s.key(), "secret:team/a");
        assert_eq!(Source::parse("usage"), Some(Source::Usage));
    }
}

//! The rules catalogue: every built-in finding code with its default severity, title,
//! remediation and data source, and the dated platform rules. Codes are what auditors filter on
//! in exports, so they never change meaning; `infra/DATA-MODEL.md` documents each one (a test
//! keeps the two in step).

use super::findings::Source;
use crate::ports::events::Severity;

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
    pub const ROTATION_STUCK: &str = "ROTATION_STUCK";
    pub const MANAGED_SECRET_MISSING_CLIENT: &str = "MANAGED_SECRET_MISSING_CLIENT";
    pub const MANAGED_SECRET_UNTAGGED: &str = "MANAGED_SECRET_UNTAGGED";
    pub const SECRET_RESET_OUTSIDE_CREDGUARD: &str = "SECRET_RESET_OUTSIDE_CREDGUARD";
    pub const ADMIN_ACCESS_GRANTED: &str = "ADMIN_ACCESS_GRANTED";
    pub const ROTATION_DUE_BLOCKED: &str = "ROTATION_DUE_BLOCKED";
    pub const ROTATION_OVERDUE: &str = "ROTATION_OVERDUE";
    pub const IMPLICIT_GRANT_RETIRING: &str = "IMPLICIT_GRANT_RETIRING";
    pub const UNDECLARED_DEPENDENT: &str = "UNDECLARED_DEPENDENT";
    pub const DEPENDENT_UNRESOLVED: &str = "DEPENDENT_UNRESOLVED";

    /// Codes announced as "Audit Rotation Notice" in every run while they hold (reminders to
    /// the people who must act), instead of once as "Audit Finding".
    pub const NOTICES: [&str; 2] = [ROTATION_DUE_BLOCKED, ROTATION_OVERDUE];

    /// Every code of the catalogue (tests keep the two lists in step).
    pub const ALL: [&str; 24] = [
        ADMIN_PERMISSION,
        CREDENTIAL_ADMIN_PERMISSION,
        WILDCARD_PERMISSION,
        ALL_DIVISIONS,
        ORPHANED_ROLE,
        ORPHANED_SCOPE,
        UNUSED,
        NEVER_USED,
        TOKEN_VALIDITY_TOO_LONG,
        UNMANAGED_SECRET,
        CLIENT_DISABLED,
        CLIENT_PENDING_DELETION,
        MANAGED_SECRET_STALE,
        ROTATION_FAILED,
        ROTATION_STUCK,
        MANAGED_SECRET_MISSING_CLIENT,
        MANAGED_SECRET_UNTAGGED,
        SECRET_RESET_OUTSIDE_CREDGUARD,
        ADMIN_ACCESS_GRANTED,
        ROTATION_DUE_BLOCKED,
        ROTATION_OVERDUE,
        IMPLICIT_GRANT_RETIRING,
        UNDECLARED_DEPENDENT,
        DEPENDENT_UNRESOLVED,
    ];
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
        code: codes::ROTATION_STUCK,
        severity: High,
        source: Source::Secrets,
        title: "A rotation of the managed secret has not finished",
        remediation: "Do not delete the AWSPENDING version (after a regeneration it may hold the client's only working secret). Read the attempt's rotation record and the rotation function's logs, fix the cause, then rotate now (credguard rotate) to finish or replace the attempt.",
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
    CodeInfo {
        code: codes::SECRET_RESET_OUTSIDE_CREDGUARD,
        severity: Critical,
        source: Source::Trail,
        title: "Managed client's secret was reset outside credguard",
        remediation: "Consumers of the managed secret hold a dead secret: rotate it now with credguard (rotateNow), then ask whoever reset it (see evidence) to leave managed clients to credguard.",
    },
    CodeInfo {
        code: codes::ADMIN_ACCESS_GRANTED,
        severity: High,
        source: Source::Trail,
        title: "Client created with, or granted, admin-level access outside credguard",
        remediation: "Confirm the change with the person named in the evidence; remove the admin-level role unless it is required and approved.",
    },
    CodeInfo {
        code: codes::ROTATION_DUE_BLOCKED,
        severity: Medium,
        source: Source::Secrets,
        title: "Managed secret is due for rotation soon but rotation cannot happen",
        remediation: "Clear each blocker in the evidence before the due date (fix the partner's roles, give the rotation admin the client's roles, or resolve the last failure and rotate now).",
    },
    CodeInfo {
        code: codes::ROTATION_OVERDUE,
        severity: High,
        source: Source::Secrets,
        title: "Managed secret is overdue for rotation by more than the sweep's grace",
        remediation: "Check the rotation sweep's runs and the blockers in the evidence, then rotate now.",
    },
    CodeInfo {
        code: codes::IMPLICIT_GRANT_RETIRING,
        severity: Medium,
        source: Source::Clients,
        title: "Client uses the implicit grant, which Genesys is retiring",
        remediation: "Move the application to the authorization code grant with PKCE before the implicit grant stops working, then delete this client.",
    },
    CodeInfo {
        code: codes::UNDECLARED_DEPENDENT,
        severity: High,
        source: Source::Credentials,
        title: "Integration credential embeds a managed client but is not among its secret's dependents",
        remediation: "Add the credential's id to the managed secret's rotation.integrationCredentials, or the next rotation leaves it holding a dead secret.",
    },
    CodeInfo {
        code: codes::DEPENDENT_UNRESOLVED,
        severity: Medium,
        source: Source::Credentials,
        title: "Integration credential's embedded client cannot be determined",
        remediation: "Find which client it embeds and declare it in that managed secret's rotation.integrationCredentials; a rotation that discovers dependents is blocked (or breaks it) until then.",
    },
];

/// A dated platform change, kept as data: clients whose grant type is `grant_type` raise
/// `code`, at the severity of the latest date in `severity_from` that has passed (the first
/// entry's before then). `facts` go into the evidence as they are.
#[derive(Clone, Copy, Debug)]
pub struct PlatformRule {
    pub code: &'static str,
    /// `authorizedGrantType` as Genesys spells it.
    pub grant_type: &'static str,
    pub severity_from: &'static [(&'static str, Severity)],
    pub facts: &'static [(&'static str, &'static str)],
}

pub const PLATFORM_RULES: &[PlatformRule] = &[PlatformRule {
    code: codes::IMPLICIT_GRANT_RETIRING,
    grant_type: "TOKEN",
    severity_from: &[
        ("2026-03-01", Medium),
        ("2026-12-01", High),
        ("2027-03-01", Critical),
    ],
    facts: &[
        ("newClientsRefusedSince", "2026-03"),
        ("stopsWorking", "2027-03"),
        ("migrateTo", "authorization code grant with PKCE"),
        (
            "source",
            "Genesys Cloud implicit grant retirement (API-FACTS 2.5)",
        ),
    ],
}];

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
        assert_eq!(codes::ALL.len(), CATALOG.len());
        for code in codes::ALL {
            assert_eq!(
                CATALOG.iter().filter(|c| c.code == code).count(),
                1,
                "{code}"
            );
            assert_eq!(builtin(code).code, code);
        }
        for r in PLATFORM_RULES {
            assert!(info(r.code).is_some(), "{}", r.code);
            let dates: Vec<&str> = r.severity_from.iter().map(|(d, _)| *d).collect();
            let mut sorted = dates.clone();
            sorted.sort_unstable();
            assert_eq!(dates, sorted, "{}: dates ascend", r.code);
            for d in dates {
                assert!(
                    chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok(),
                    "{d}"
                );
            }
        }
    }

    #[test]
    fn the_data_model_and_the_auditors_guide_document_every_code() {
        for (name, doc) in [
            (
                "infra/DATA-MODEL.md",
                include_str!("../../../infra/DATA-MODEL.md"),
            ),
            ("docs/audit.md", include_str!("../../../docs/audit.md")),
        ] {
            for c in CATALOG {
                assert!(
                    doc.contains(&format!("`{}`", c.code)),
                    "{name} does not document {}",
                    c.code
                );
            }
        }
    }
}

//! Findings: what they are about, where their data comes from. The codes and their texts are
//! the [catalogue](super::catalogue).

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
    /// Genesys's audit trail (who changed which client, when).
    Trail,
    /// Integration credentials (`pureCloudOAuthClient`).
    Credentials,
}

impl Source {
    pub const ALL: [Self; 8] = [
        Self::Clients,
        Self::Roles,
        Self::Scopes,
        Self::Usage,
        Self::Secrets,
        Self::Rotations,
        Self::Trail,
        Self::Credentials,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Clients => "clients",
            Self::Roles => "roles",
            Self::Scopes => "scopes",
            Self::Usage => "usage",
            Self::Secrets => "secrets",
            Self::Rotations => "rotations",
            Self::Trail => "trail",
            Self::Credentials => "credentials",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// What a finding is about: an OAuth client, a managed secret, or an integration credential.
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
    Credential {
        id: String,
        name: String,
        /// The OAuth client it embeds, when that can be read.
        client_id: Option<String>,
    },
}

impl Subject {
    /// The subject part of record keys: `client:<id>`, `secret:<name>` or `credential:<id>`
    /// (secret names cannot contain `#`; client and credential ids are UUIDs).
    pub fn key(&self) -> String {
        match self {
            Self::Client { id, .. } => format!("client:{id}"),
            Self::Secret { name, .. } => format!("secret:{name}"),
            Self::Credential { id, .. } => format!("credential:{id}"),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Client { .. } => "client",
            Self::Secret { .. } => "secret",
            Self::Credential { .. } => "credential",
        }
    }

    /// The name people know it by (client or credential name, secret name).
    pub fn name(&self) -> &str {
        match self {
            Self::Client { name, .. }
            | Self::Secret { name, .. }
            | Self::Credential { name, .. } => name,
        }
    }

    pub fn client_id(&self) -> Option<&str> {
        match self {
            Self::Client { id, .. } => Some(id),
            Self::Secret { client_id, .. } | Self::Credential { client_id, .. } => {
                client_id.as_deref()
            }
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

pub(crate) use super::catalogue::builtin;
pub use super::catalogue::{codes, info, CodeInfo, CATALOG};

#[cfg(test)]
mod tests {
    use super::*;

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
        let k = Subject::Credential {
            id: "k1".into(),
            name: "data actions".into(),
            client_id: Some("c1".into()),
        };
        assert_eq!(
            (k.key().as_str(), k.kind(), k.client_id()),
            ("credential:k1", "credential", Some("c1"))
        );
        assert_eq!(Source::parse("usage"), Some(Source::Usage));
    }
}

//! Integration credentials a rotation would break: one that embeds a managed client but that no
//! rotation of its secret names as a dependent, and one whose embedded client cannot be read.
//!
//! A secret's declared dependents live in its value (`rotation.integrationCredentials`), which
//! the audit never reads; the dependents its rotations updated (or failed to update) are in the
//! rotation records, and those are what it compares with.

use super::Rules;
use crate::audit::collect::CredentialSeen;
use crate::audit::findings::{codes, Finding, Subject};
use serde_json::json;
use std::collections::HashSet;

impl Rules<'_> {
    pub fn credentials(&self) -> Vec<Finding> {
        let (Some(creds), Some(secrets)) = (&self.inv.credentials, &self.inv.secrets) else {
            return vec![];
        };
        if secrets.is_empty() {
            // Nothing is rotated: no credential can be broken by a rotation.
            return vec![];
        }
        let known: HashSet<&str> = secrets
            .iter()
            .flat_map(|s| &s.rotations)
            .flat_map(|r| r.dependents_updated.iter().chain(&r.dependents_failed))
            .map(String::as_str)
            .collect();
        creds
            .iter()
            .filter(|k| !known.contains(k.id.as_str()))
            .filter_map(|k| self.credential(k))
            .collect()
    }

    fn credential(&self, k: &CredentialSeen) -> Option<Finding> {
        let subject = Subject::Credential {
            id: k.id.clone(),
            name: k.name.clone(),
            client_id: k.client_id.clone(),
        };
        match &k.client_id {
            Some(client) => {
                let secrets: Vec<&str> = self
                    .managed_by
                    .get(client.as_str())?
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect();
                self.finding(
                    &subject,
                    codes::UNDECLARED_DEPENDENT,
                    json!({"credentialId": k.id, "credentialName": k.name, "clientId": client,
                           "managedSecretNames": secrets, "dependentsKnownFrom": "rotation records"}),
                )
            }
            None => self.finding(
                &subject,
                codes::DEPENDENT_UNRESOLVED,
                json!({"credentialId": k.id, "credentialName": k.name,
                       "why": if k.read { "Genesys redacts its fields" } else { "not read: maxCredentialReads reached" }}),
            ),
        }
    }
}

//! What is known about a client besides the API's own fields: its roles resolved, permissions,
//! divisions, unknown scopes, usage and the managed secrets holding it.

use super::{ClientFacts, Rules};
use crate::audit::collect::RoleInfo;
use crate::genesys::models::OAuthClient;
use std::collections::BTreeSet;

impl Rules<'_> {
    pub(super) fn client_roles<'c>(
        &'c self,
        c: &'c OAuthClient,
    ) -> impl Iterator<Item = &'c RoleInfo> + 'c {
        let ids: BTreeSet<&str> = c
            .role_divisions
            .iter()
            .map(|rd| rd.role_id.as_str())
            .chain(c.role_ids.iter().map(String::as_str))
            .collect();
        ids.into_iter().filter_map(|id| self.inv.roles.get(id))
    }

    pub(super) fn facts(&self, c: &OAuthClient) -> ClientFacts {
        let role_ids: BTreeSet<&str> = c
            .role_divisions
            .iter()
            .map(|rd| rd.role_id.as_str())
            .chain(c.role_ids.iter().map(String::as_str))
            .collect();
        let mut f = ClientFacts {
            roles_resolved: true,
            ..ClientFacts::default()
        };
        let mut permissions = BTreeSet::new();
        for id in &role_ids {
            match self.inv.roles.get(*id) {
                Some(r) => {
                    f.role_names
                        .push(r.name.clone().unwrap_or_else(|| r.id.clone()));
                    permissions.extend(r.permissions.iter().cloned());
                }
                None if self.inv.unresolved_roles.contains(*id) => f.roles_resolved = false,
                None => f.orphaned_role_ids.push((*id).to_owned()),
            }
        }
        f.role_ids = role_ids.into_iter().map(str::to_owned).collect();
        f.permissions = permissions.into_iter().collect();
        let divisions: BTreeSet<&str> = c
            .role_divisions
            .iter()
            .map(|rd| rd.division_id.as_str())
            .collect();
        f.all_divisions = divisions.contains("*");
        f.division_ids = divisions.into_iter().map(str::to_owned).collect();
        if let Some(known) = &self.inv.scopes {
            f.unknown_scopes = c
                .scope
                .iter()
                .filter(|s| !known.contains(*s))
                .cloned()
                .collect();
        }
        f.usage = self
            .inv
            .usage
            .as_ref()
            .map(|u| u.get(&c.id).cloned().unwrap_or_default());
        if let Some(secrets) = self.managed_by.get(c.id.as_str()) {
            f.managed_by = secrets.iter().map(|s| s.name.clone()).collect();
            f.secret_last_rotated_at = secrets.iter().filter_map(|s| s.current_created).max();
            f.last_rotation_outcome = secrets
                .iter()
                .filter_map(|s| s.latest_rotation())
                .max_by(|a, b| a.started_at.cmp(&b.started_at))
                .and_then(|r| r.outcome.clone());
        }
        f
    }
}

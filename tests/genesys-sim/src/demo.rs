//! The demo org's ids and demo-only secrets (`fixtures/demo-org.json`), named once for every
//! test, bench and demo. A unit test keeps each one in step with the fixture.

pub const ORG: &str = "0d7c3a52-6f1e-4b8a-9c11-3e5f7a9b2d40";
pub const HOME_DIVISION: &str = "5b1f0c7e-2a44-4d1a-8e3b-9f6c2d7a1e01";

/// Roles.
pub const CREDENTIAL_ADMIN_ROLE: &str = "a1c0e5d2-0001-4c3b-9a7e-6f1d2c3b4a01";
pub const DIRECTORY_SYNC_ROLE: &str = "a1c0e5d2-0003-4c3b-9a7e-6f1d2c3b4a03";
pub const MASTER_ADMIN_ROLE: &str = "a1c0e5d2-0005-4c3b-9a7e-6f1d2c3b4a05";

/// OAuth clients, each with its demo-only secret.
pub const ADMIN_CLIENT_ID: &str = "c0ffee00-0001-4a5b-8c6d-000000000001";
pub const ADMIN_CLIENT_SECRET: &str = "DEMO-ONLY-not-a-real-secret-admin";
pub const HR_SYNC: &str = "c0ffee00-0002-4a5b-8c6d-000000000002";
pub const HR_SYNC_SECRET: &str = "DEMO-ONLY-not-a-real-secret-hr-sync";
pub const REPORTS: &str = "c0ffee00-0003-4a5b-8c6d-000000000003";
pub const REPORTS_SECRET: &str = "DEMO-ONLY-not-a-real-secret-reports";
/// Idle: no usage.
pub const LEGACY: &str = "c0ffee00-0004-4a5b-8c6d-000000000004";
pub const LEGACY_SECRET: &str = "DEMO-ONLY-not-a-real-secret-legacy";
/// Disabled.
pub const OLD_MIDDLEWARE: &str = "c0ffee00-0005-4a5b-8c6d-000000000005";
pub const BREAK_GLASS_AUTOMATION: &str = "c0ffee00-0006-4a5b-8c6d-000000000006";
/// A code-grant client.
pub const AGENT_DESKTOP: &str = "c0ffee00-0007-4a5b-8c6d-000000000007";
pub const DATA_ACTIONS: &str = "c0ffee00-0008-4a5b-8c6d-000000000008";
pub const DATA_ACTIONS_SECRET: &str = "DEMO-ONLY-not-a-real-secret-data-actions";
pub const AUDIT_READER: &str = "c0ffee00-0009-4a5b-8c6d-000000000009";
pub const AUDIT_READER_SECRET: &str = "DEMO-ONLY-not-a-real-secret-audit-reader";

/// The data actions integration's credential (holds `DATA_ACTIONS`'s secret).
pub const DATA_ACTIONS_CREDENTIAL: &str = "1c3d5e7f-0001-4a2b-8c9d-00000000da01";

/// People.
pub const ALEX_ADMIN: &str = "e5e50000-0001-4f00-9000-000000000001";
pub const SAM: &str = "e5e50000-0002-4f00-9000-000000000002";
pub const PAT_FORMER: &str = "e5e50000-0003-4f00-9000-000000000003";
pub const DANA_DELETED: &str = "e5e50000-0004-4f00-9000-000000000004";
pub const ROBIN: &str = "e5e50000-0005-4f00-9000-000000000005";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn every_name_is_in_the_fixture() {
        let org: Value = serde_json::from_str(crate::seed::DEMO_SEED_JSON).unwrap();
        let ids = |list: &str| -> Vec<String> {
            org[list]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["id"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(org["organization"]["id"], ORG);
        assert!(ids("divisions").contains(&HOME_DIVISION.to_owned()));
        for r in [
            CREDENTIAL_ADMIN_ROLE,
            DIRECTORY_SYNC_ROLE,
            MASTER_ADMIN_ROLE,
        ] {
            assert!(ids("roles").contains(&r.to_owned()), "{r}");
        }
        for u in [ALEX_ADMIN, SAM, PAT_FORMER, DANA_DELETED, ROBIN] {
            assert!(ids("users").contains(&u.to_owned()), "{u}");
        }
        assert!(ids("integrationCredentials").contains(&DATA_ACTIONS_CREDENTIAL.to_owned()));
        let secret = |id: &str| {
            let clients = org["clients"].as_array().unwrap();
            let c = clients
                .iter()
                .find(|c| c["id"] == id)
                .unwrap_or_else(|| panic!("{id}"));
            c["secret"].as_str().unwrap().to_owned()
        };
        for (id, s) in [
            (ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET),
            (HR_SYNC, HR_SYNC_SECRET),
            (REPORTS, REPORTS_SECRET),
            (LEGACY, LEGACY_SECRET),
            (DATA_ACTIONS, DATA_ACTIONS_SECRET),
            (AUDIT_READER, AUDIT_READER_SECRET),
        ] {
            assert_eq!(secret(id), s);
        }
        for id in [OLD_MIDDLEWARE, BREAK_GLASS_AUTOMATION, AGENT_DESKTOP] {
            secret(id);
        }
    }
}

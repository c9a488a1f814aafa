//! Roles, users (with expands), SCIM users, scopes.

use crate::common::*;
use genesys_sim::SimConfig;
use serde_json::Value;

#[tokio::test]
async fn roles_by_repeated_ids() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    let v = api
        .get_json(&format!(
            "/api/v2/authorization/roles?id={CREDENTIAL_ADMIN_ROLE}&id={MASTER_ADMIN_ROLE}&id=unknown-role"
        ))
        .await;
    assert_eq!(v["total"], 2, "unknown ids are simply absent");
    let e = v["entities"].as_array().expect("entities");
    let master = e
        .iter()
        .find(|r| r["id"] == MASTER_ADMIN_ROLE)
        .expect("master");
    assert_eq!(master["name"], "Master Admin");
    assert_eq!(master["permissions"][0], "*:*:*");
    assert!(master["permissionPolicies"].is_array());
    assert!(master["userCount"].as_u64().is_some_and(|n| n >= 1));
    let no_count = api
        .get_json(&format!(
            "/api/v2/authorization/roles?id={CREDENTIAL_ADMIN_ROLE}&userCount=false"
        ))
        .await;
    assert!(no_count["entities"][0].get("userCount").is_none());
}

#[tokio::test]
async fn roles_paging_follows_next_uri() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    let mut path = "/api/v2/authorization/roles?pageSize=4".to_string();
    let mut names = Vec::new();
    let mut pages = 0;
    loop {
        let v = api.get_json(&path).await;
        pages += 1;
        assert_eq!(v["pageSize"], 4);
        assert_eq!(v["total"], 6);
        assert_eq!(v["pageCount"], 2);
        names.extend(
            v["entities"]
                .as_array()
                .expect("e")
                .iter()
                .map(|r| r["name"].to_string()),
        );
        match v["nextUri"].as_str() {
            Some(n) => path = n.to_string(),
            None => break,
        }
    }
    assert_eq!(pages, 2);
    assert_eq!(names.len(), 6);
    let default = api.get_json("/api/v2/authorization/roles").await;
    assert_eq!(default["pageSize"], 25);
    assert!(default.get("nextUri").is_none());
    api.get_error("/api/v2/authorization/roles?pageSize=501", BAD_REQUEST)
        .await;
    api.get_error("/api/v2/authorization/roles?pageSize=abc", INVALID_VALUE)
        .await;
}

#[tokio::test]
async fn max_roles_page_size_is_configurable() {
    let (sim, t) = sim_with_as_admin(SimConfig {
        max_roles_page_size: 3,
        ..SimConfig::default()
    })
    .await;
    let api = Api(&sim, &t);
    api.get_error("/api/v2/authorization/roles?pageSize=4", BAD_REQUEST)
        .await;
    api.get_json("/api/v2/authorization/roles?pageSize=3").await;
}

#[tokio::test]
async fn single_role_and_permission_check() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    let v = api
        .get_json(&format!(
            "/api/v2/authorization/roles/{DIRECTORY_SYNC_ROLE}"
        ))
        .await;
    assert_eq!(v["name"], "Directory Sync");
    api.get_error("/api/v2/authorization/roles/nope", NOT_FOUND)
        .await;
    let agent = sim.mint_user_token(SAM).expect("mint").access_token;
    let e = Api(&sim, &agent)
        .get_error("/api/v2/authorization/roles", MISSING_PERMISSIONS)
        .await;
    assert_message_names(&e, "authorization:role:view");
}

#[tokio::test]
async fn user_expands() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    let plain = api.get_json(&format!("/api/v2/users/{PAT_FORMER}")).await;
    assert_eq!(plain["email"], "pat.former@demo.invalid");
    assert_eq!(plain["state"], "active");
    for k in ["authorization", "lastTokenIssued", "dateLastLogin"] {
        assert!(plain.get(k).is_none(), "{k} only when expanded");
    }
    let v = api
        .get_json(&format!(
            "/api/v2/users/{PAT_FORMER}?expand=authorization,lasttokenissued&expand=dateLastLogin"
        ))
        .await;
    let auth = &v["authorization"];
    assert_eq!(auth["roles"][0]["id"], CREDENTIAL_ADMIN_ROLE);
    assert_eq!(auth["roles"][0]["name"], "Credential Admin");
    assert!(auth["unusedRoles"].is_array() && auth["permissionPolicies"].is_array());
    assert!(auth["permissions"]
        .as_array()
        .expect("perms")
        .iter()
        .any(|p| p == "oauth:client:*"));
    let issued = chrono::DateTime::parse_from_rfc3339(
        v["lastTokenIssued"]["dateIssued"]
            .as_str()
            .expect("dateIssued"),
    )
    .expect("date");
    assert!((sim.now() - issued.with_timezone(&chrono::Utc)).num_days() >= 94);
    assert!(v["dateLastLogin"].is_string());
    // Minting a session updates lastTokenIssued.
    sim.mint_user_token(PAT_FORMER).expect("mint");
    let v = api
        .get_json(&format!(
            "/api/v2/users/{PAT_FORMER}?expand=lasttokenissued"
        ))
        .await;
    let issued = chrono::DateTime::parse_from_rfc3339(
        v["lastTokenIssued"]["dateIssued"]
            .as_str()
            .expect("dateIssued"),
    )
    .expect("date");
    assert!((sim.now() - issued.with_timezone(&chrono::Utc)).num_seconds() < 5);
}

#[tokio::test]
async fn user_state_and_unknown_users() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    api.get_error(&format!("/api/v2/users/{DANA_DELETED}"), NOT_FOUND)
        .await;
    let v = api
        .get_json(&format!("/api/v2/users/{DANA_DELETED}?state=deleted"))
        .await;
    assert_eq!(v["state"], "deleted");
    api.get_error("/api/v2/users/nobody", NOT_FOUND).await;
    api.get_error(
        &format!("/api/v2/users/{ALEX_ADMIN}?state=weird"),
        INVALID_VALUE,
    )
    .await;
    let roles = api
        .get_json(&format!("/api/v2/users/{ALEX_ADMIN}/roles"))
        .await;
    assert_eq!(roles["roles"].as_array().expect("roles").len(), 2);
}

#[tokio::test]
async fn scim_user() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    let r = api
        .get(&format!("/api/v2/scim/v2/users/{PAT_FORMER}"))
        .await;
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(ct.starts_with("application/scim+json"), "{ct}");
    let v = json_ok(r, 200).await;
    assert_eq!(v["active"], false, "scimActive false");
    assert_eq!(v["userName"], "pat.former@demo.invalid");
    assert_eq!(v["displayName"], "Pat Former");
    assert_eq!(v["emails"][0]["value"], "pat.former@demo.invalid");
    assert_eq!(v["roles"][0]["value"], "Credential Admin");
    assert!(v["schemas"]
        .as_array()
        .expect("schemas")
        .iter()
        .any(|s| s == "urn:ietf:params:scim:schemas:core:2.0:User"));
    assert_eq!(v["meta"]["resourceType"], "User");
    assert!(v["meta"]["location"]
        .as_str()
        .unwrap_or_default()
        .ends_with(PAT_FORMER));
    let active = api
        .get_json(&format!("/api/v2/scim/v2/users/{ALEX_ADMIN}"))
        .await;
    assert_eq!(active["active"], true);
    api.get_error("/api/v2/scim/v2/users/nobody", NOT_FOUND)
        .await;
    let list = api
        .get_json("/api/v2/scim/v2/users?filter=active%20eq%20false")
        .await;
    assert_eq!(
        list["Resources"][0]["id"], PAT_FORMER,
        "capital R Resources"
    );
}

#[tokio::test]
async fn scopes_listing_is_not_paged() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    let v: Value = api.get_json("/api/v2/oauth/scopes").await;
    assert_eq!(v["total"], 6);
    assert!(v["entities"].is_array() && v["selfUri"].is_string());
    assert!(v.get("pageSize").is_none());
    let e = &v["entities"][0];
    assert!(e["id"].is_string() && e["description"].is_string() && e["selfUri"].is_string());
    let one = api.get_json("/api/v2/oauth/scopes/users:readonly").await;
    assert_eq!(one["id"], "users:readonly");
    api.get_error("/api/v2/oauth/scopes/nope", NOT_FOUND).await;
    // No permission needed: the agent session can read scopes.
    let agent = sim.mint_user_token(SAM).expect("mint").access_token;
    Api(&sim, &agent).get_json("/api/v2/oauth/scopes").await;
}

#[tokio::test]
async fn a_removed_role_stays_referenced_by_its_clients() {
    let sim = sim().await;
    sim.remove_role(DIRECTORY_SYNC_ROLE).expect("role exists");
    assert_eq!(
        sim.remove_role(DIRECTORY_SYNC_ROLE).map_err(|e| e.status),
        Err(404)
    );
    let t = admin_token(&sim).await;
    let api = Api(&sim, &t);
    let v = api
        .get_json(&format!(
            "/api/v2/authorization/roles?id={DIRECTORY_SYNC_ROLE}"
        ))
        .await;
    assert_eq!(v["total"], 0, "the role is gone");
    let c = api
        .get_json(&format!("/api/v2/oauth/clients/{HR_SYNC}"))
        .await;
    assert_eq!(
        c["roleDivisions"][0]["roleId"], DIRECTORY_SYNC_ROLE,
        "the client still refers to it"
    );
}

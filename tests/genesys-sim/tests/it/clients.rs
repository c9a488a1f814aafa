//! OAuth clients: list, get, create, full replace, delete, role-grant check, paging.

use crate::common::*;
use genesys_sim::SimConfig;
use reqwest::Method;
use serde_json::{json, Value};

fn cc_body(name: &str, role: &str) -> Value {
    json!({"name": name, "authorizedGrantType": "CLIENT-CREDENTIALS", "accessTokenValiditySeconds": 600,
           "roleDivisions": [{"roleId": role, "divisionId": HOME_DIVISION}]})
}

#[tokio::test]
async fn list_is_one_page_of_full_clients_without_secrets() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    let v = api.get_json("/api/v2/oauth/clients").await;
    let entities = v["entities"].as_array().expect("entities");
    assert_eq!(entities.len(), 9);
    assert_eq!(v["total"], 9);
    assert_eq!(v["pageNumber"], 1);
    assert_eq!(v["pageCount"], 1);
    for k in ["pageSize", "firstUri", "selfUri", "lastUri"] {
        assert!(v.get(k).is_some(), "{k} present");
    }
    assert!(v.get("nextUri").is_none(), "no nextUri on the only page");
    for c in entities {
        assert!(c.get("secret").is_none(), "secret never listed");
        for k in [
            "id",
            "name",
            "authorizedGrantType",
            "state",
            "dateCreated",
            "accessTokenValiditySeconds",
            "selfUri",
        ] {
            assert!(c.get(k).is_some(), "{k} in {c}");
        }
    }
    let legacy = entities
        .iter()
        .find(|c| c["id"] == REPORTS)
        .expect("reports client");
    assert_eq!(
        legacy["authorizedGrantType"], "CLIENT-CREDENTIALS",
        "legacy spelling normalised"
    );
    let code = entities
        .iter()
        .find(|c| c["id"] == AGENT_DESKTOP)
        .expect("code client");
    assert_eq!(
        code["scope"],
        json!(["users:readonly", "analytics:readonly"])
    );
    assert_eq!(
        entities
            .iter()
            .find(|c| c["id"] == OLD_MIDDLEWARE)
            .expect("disabled")["state"],
        "disabled"
    );
}

#[tokio::test]
async fn list_pages_follow_next_uri_when_configured() {
    let (sim, t) = sim_with_as_admin(SimConfig {
        clients_list_page_size: Some(4),
        ..SimConfig::default()
    })
    .await;
    let mut path = "/api/v2/oauth/clients".to_string();
    let mut ids = Vec::new();
    let mut pages = 0;
    loop {
        let v = Api(&sim, &t).get_json(&path).await;
        pages += 1;
        assert_eq!(v["pageCount"], 3);
        ids.extend(
            v["entities"]
                .as_array()
                .expect("entities")
                .iter()
                .map(|c| c["id"].to_string()),
        );
        match v["nextUri"].as_str() {
            Some(n) => {
                assert_eq!(n, format!("/api/v2/oauth/clients?pageNumber={}", pages + 1));
                path = n.to_string();
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 9);
}

#[tokio::test]
async fn get_client_and_unknown_client() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    let v = api
        .get_json(&format!("/api/v2/oauth/clients/{HR_SYNC}"))
        .await;
    assert_eq!(v["id"], HR_SYNC);
    assert_eq!(
        v["roleDivisions"],
        json!([{"roleId": DIRECTORY_SYNC_ROLE, "divisionId": "*"}])
    );
    assert_eq!(v["createdBy"]["id"], ALEX_ADMIN);
    assert!(v.get("secret").is_none());
    api.get_error("/api/v2/oauth/clients/0000-nope", NOT_FOUND)
        .await;
}

#[tokio::test]
async fn create_returns_secret_once_and_validates() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    let v = api
        .post_json(
            "/api/v2/oauth/clients",
            &cc_body("svc-new", CREDENTIAL_ADMIN_ROLE),
            200,
        )
        .await;
    let id = v["id"].as_str().expect("id").to_string();
    assert!(uuid_like(&id));
    let s = v["secret"].as_str().expect("secret on create").to_string();
    assert_eq!(v["state"], "active");
    assert_eq!(v["accessTokenValiditySeconds"], 600);
    assert_eq!(v["createdBy"]["id"], ADMIN_CLIENT_ID);
    let again = api.get_json(&format!("/api/v2/oauth/clients/{id}")).await;
    assert!(again.get("secret").is_none());
    let g = json_ok(grant(&sim, &id, &s).await, 200).await;
    assert_eq!(g["expires_in"], 600);

    for (body, code, field) in [
        (
            json!({"authorizedGrantType": "CLIENT-CREDENTIALS"}),
            "bad.request",
            "name",
        ),
        (json!({"name": "x"}), "bad.request", "authorizedGrantType"),
        (
            json!({"name": "x", "authorizedGrantType": "CLIENT-CREDENTIALS", "accessTokenValiditySeconds": 299}),
            "invalid.value",
            "accessTokenValiditySeconds",
        ),
        (
            json!({"name": "x", "authorizedGrantType": "CLIENT-CREDENTIALS", "accessTokenValiditySeconds": 172801}),
            "invalid.value",
            "accessTokenValiditySeconds",
        ),
        (
            json!({"name": "x", "authorizedGrantType": "CLIENT-CREDENTIALS", "roleDivisions": [{"roleId": "nope", "divisionId": "*"}]}),
            "invalid.value",
            "roleDivisions",
        ),
    ] {
        let e = api
            .post_error("/api/v2/oauth/clients", &body, (400, code))
            .await;
        assert_eq!(e["details"][0]["fieldName"], field, "{e}");
    }
    // Bounds are inclusive.
    let mut b = cc_body("edge", CREDENTIAL_ADMIN_ROLE);
    b["accessTokenValiditySeconds"] = json!(172800);
    api.post_json("/api/v2/oauth/clients", &b, 200).await;
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

#[tokio::test]
async fn grant_types_are_normalised_or_kept() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    for (given, stored) in [
        ("client_credentials", "CLIENT-CREDENTIALS"),
        ("Client-Credentials", "CLIENT-CREDENTIALS"),
        ("code", "CODE"),
        ("SAML2BEARER", "SAML2-BEARER"),
        ("FUTURE-GRANT", "FUTURE-GRANT"),
    ] {
        let body = json!({"name": given, "authorizedGrantType": given});
        let v = api.post_json("/api/v2/oauth/clients", &body, 200).await;
        assert_eq!(v["authorizedGrantType"], stored);
    }
}

#[tokio::test]
async fn put_is_a_full_replace_and_never_returns_the_secret() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    let created = api
        .post_json(
            "/api/v2/oauth/clients",
            &json!({
        "name": "to-edit", "authorizedGrantType": "CLIENT-CREDENTIALS", "description": "first",
        "roleDivisions": [{"roleId": CREDENTIAL_ADMIN_ROLE, "divisionId": "*"}]}),
            200,
        )
        .await;
    let id = created["id"].as_str().expect("id").to_string();
    sim.advance_clock(60);
    // Echoing the GET body back (with id, selfUri, dates) is fine; omitted description is cleared.
    let mut body = created.clone();
    body.as_object_mut().map(|m| m.remove("description"));
    body["name"] = json!("edited");
    body["accessTokenValiditySeconds"] = json!(900);
    let v = api
        .put_json(&format!("/api/v2/oauth/clients/{id}"), &body, 200)
        .await;
    assert_eq!(v["name"], "edited");
    assert_eq!(v["accessTokenValiditySeconds"], 900);
    assert!(v.get("description").is_none());
    assert!(v.get("secret").is_none(), "PUT never returns the secret");
    assert_ne!(v["dateModified"], created["dateModified"]);
    assert_eq!(v["modifiedBy"]["id"], ADMIN_CLIENT_ID);
    assert_eq!(v["dateCreated"], created["dateCreated"]);
    // The secret survives a PUT.
    let s = created["secret"].as_str().expect("secret");
    assert_eq!(
        json_ok(grant(&sim, &id, s).await, 200).await["expires_in"],
        900
    );
    api.put_error(
        &format!("/api/v2/oauth/clients/{id}"),
        &json!({"name": "x"}),
        BAD_REQUEST,
    )
    .await;
    api.put_error("/api/v2/oauth/clients/nope", &body, NOT_FOUND)
        .await;
    let mut bad = body.clone();
    bad["state"] = json!("inactive");
    api.put_error(&format!("/api/v2/oauth/clients/{id}"), &bad, INVALID_VALUE)
        .await;
}

#[tokio::test]
async fn delete_young_client_removes_it() {
    let (sim, t) = sim_with_as_admin(SimConfig {
        enforce_role_grant: false,
        ..SimConfig::default()
    })
    .await;
    let api = Api(&sim, &t);
    let victim = token(&sim, REPORTS, &secret("reports")).await;
    let r = api
        .delete(&format!("/api/v2/oauth/clients/{REPORTS}"))
        .await;
    assert_eq!(r.status(), 204);
    assert!(r.headers().contains_key("inin-correlation-id"));
    assert!(r.text().await.unwrap_or_default().is_empty(), "empty body");
    api.get_error(&format!("/api/v2/oauth/clients/{REPORTS}"), NOT_FOUND)
        .await;
    Api(&sim, &victim)
        .get_error("/api/v2/tokens/me", BAD_CREDENTIALS)
        .await;
    let view = sim.client_view(REPORTS).expect("remembered");
    assert!(!view.exists);
    assert_eq!(view.state, "deleted");
    assert!(sim.client_view("never-existed").is_none());
}

#[tokio::test]
async fn delete_old_client_deactivates_for_seven_days() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    let victim = token(&sim, LEGACY, &secret("legacy")).await;
    assert_eq!(
        api.delete(&format!("/api/v2/oauth/clients/{LEGACY}"))
            .await
            .status(),
        204
    );
    let v = api
        .get_json(&format!("/api/v2/oauth/clients/{LEGACY}"))
        .await;
    assert_eq!(v["state"], "inactive");
    let to_delete =
        chrono::DateTime::parse_from_rfc3339(v["dateToDelete"].as_str().expect("dateToDelete"))
            .expect("date");
    let expected = sim.now() + chrono::Duration::days(7);
    assert!(
        (to_delete.with_timezone(&chrono::Utc) - expected)
            .num_seconds()
            .abs()
            < 5
    );
    Api(&sim, &victim)
        .get_error("/api/v2/tokens/me", BAD_CREDENTIALS)
        .await;
    let r = grant(&sim, LEGACY, &secret("legacy")).await;
    assert_eq!(r.status(), 401);
    // Still listed while inactive, then purged after seven days.
    let list = api.get_json("/api/v2/oauth/clients").await;
    assert!(list["entities"]
        .as_array()
        .expect("e")
        .iter()
        .any(|c| c["id"] == LEGACY));
    sim.advance_clock(7 * 86400 + 60);
    let t = admin_token(&sim).await;
    Api(&sim, &t)
        .get_error(&format!("/api/v2/oauth/clients/{LEGACY}"), NOT_FOUND)
        .await;
    assert!(!sim.client_view(LEGACY).expect("view").exists);
}

#[tokio::test]
async fn role_grant_check_can_be_switched_off() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    // The rotation tool holds Credential Admin but not the protected Master Admin role.
    let e = api
        .post_error(
            "/api/v2/oauth/clients",
            &cc_body("escalate", MASTER_ADMIN_ROLE),
            BAD_REQUEST,
        )
        .await;
    assert_message_names(&e, "does not hold");
    assert_message_names(&e, "Master Admin");
    // PUT on a client holding a role the caller lacks is refused too.
    let body = json!({"name": "Break-glass Automation", "authorizedGrantType": "CLIENT-CREDENTIALS",
        "roleDivisions": [{"roleId": MASTER_ADMIN_ROLE, "divisionId": "*"}], "state": "disabled"});
    api.put_error(
        &format!("/api/v2/oauth/clients/{BREAK_GLASS_AUTOMATION}"),
        &body,
        BAD_REQUEST,
    )
    .await;
    api.post_json(
        "/api/v2/oauth/clients",
        &cc_body("same-role", CREDENTIAL_ADMIN_ROLE),
        200,
    )
    .await;
    // A replacement client for a two-client rotation may carry any role the tool holds.
    api.post_json(
        "/api/v2/oauth/clients",
        &cc_body("hr-sync-v2", DIRECTORY_SYNC_ROLE),
        200,
    )
    .await;
    let (status, cfg) = admin_json(
        &sim,
        Method::PATCH,
        "/__sim/config",
        Some(&json!({"enforceRoleGrant": false})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(cfg["enforceRoleGrant"], false);
    api.post_json(
        "/api/v2/oauth/clients",
        &cc_body("escalate", MASTER_ADMIN_ROLE),
        200,
    )
    .await;
    api.put_json(
        &format!("/api/v2/oauth/clients/{BREAK_GLASS_AUTOMATION}"),
        &body,
        200,
    )
    .await;
}

#[tokio::test]
async fn regenerate_secret_of_unknown_client_is_404_and_needs_edit_permission() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    api.post_error("/api/v2/oauth/clients/nope/secret", &Value::Null, NOT_FOUND)
        .await;
    let reader = token(&sim, AUDIT_READER, &secret("audit-reader")).await;
    let e = Api(&sim, &reader)
        .post_error(
            &format!("/api/v2/oauth/clients/{HR_SYNC}/secret"),
            &Value::Null,
            MISSING_PERMISSIONS,
        )
        .await;
    assert_message_names(&e, "oauth:client:edit");
    assert_eq!(sim.regenerations(HR_SYNC), 0);
}

//! Integration credentials (`pureCloudOAuthClient`): list, get (redacted), update.

use crate::common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn list_is_credential_info_without_fields() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    let v = api.get_json("/api/v2/integrations/credentials").await;
    assert_eq!(v["total"], 2);
    assert_eq!(v["pageSize"], 25);
    let e = v["entities"].as_array().expect("entities");
    for c in e {
        assert!(
            c.get("credentialFields").is_none(),
            "CredentialInfo has no fields"
        );
        for k in [
            "id",
            "name",
            "createdDate",
            "modifiedDate",
            "type",
            "selfUri",
        ] {
            assert!(c.get(k).is_some(), "{k} in {c}");
        }
    }
    assert_eq!(e[0]["type"]["name"], "pureCloudOAuthClient");
    let p2 = api
        .get_json("/api/v2/integrations/credentials?pageSize=1&pageNumber=2")
        .await;
    assert_eq!(p2["entities"][0]["id"], CRED_IMAP);
    assert!(p2.get("nextUri").is_none());
    let p3 = api
        .get_json("/api/v2/integrations/credentials?pageSize=1&pageNumber=3")
        .await;
    assert_eq!(
        p3["entities"].as_array().map(Vec::len),
        Some(0),
        "past the end: empty page"
    );
}

#[tokio::test]
async fn get_redacts_sensitive_fields() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    let r = api
        .get(&format!(
            "/api/v2/integrations/credentials/{DATA_ACTIONS_CREDENTIAL}"
        ))
        .await;
    let text = r.text().await.expect("text");
    assert!(!text.contains("DEMO-ONLY"), "no secret value in GET");
    let v: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["credentialFields"]["clientId"], DATA_ACTIONS);
    assert!(v["credentialFields"].get("clientSecret").is_none());
    assert_eq!(v["type"]["name"], "pureCloudOAuthClient");
    let imap = api
        .get_json(&format!("/api/v2/integrations/credentials/{CRED_IMAP}"))
        .await;
    assert!(imap["credentialFields"].get("password").is_none());
    assert_eq!(imap["credentialFields"]["userName"], "mailbox@demo.invalid");
    api.get_error("/api/v2/integrations/credentials/nope", NOT_FOUND)
        .await;
}

#[tokio::test]
async fn rotation_updates_the_credential_secret() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    assert_eq!(
        sim.credential_view(DATA_ACTIONS_CREDENTIAL).expect("view")["clientSecretCurrent"],
        true
    );
    let rotated = api
        .post_json(
            &format!("/api/v2/oauth/clients/{DATA_ACTIONS}/secret"),
            &Value::Null,
            200,
        )
        .await;
    let new_secret = rotated["secret"].as_str().expect("secret").to_string();
    assert_eq!(
        sim.credential_view(DATA_ACTIONS_CREDENTIAL).expect("view")["clientSecretCurrent"],
        false
    );
    let body = json!({"name": "Integration-5e0c1f2a-data-actions", "type": {"name": "pureCloudOAuthClient"},
                      "credentialFields": {"clientId": DATA_ACTIONS, "clientSecret": new_secret}});
    let v = api
        .put_json(
            &format!("/api/v2/integrations/credentials/{DATA_ACTIONS_CREDENTIAL}"),
            &body,
            200,
        )
        .await;
    assert_eq!(v["id"], DATA_ACTIONS_CREDENTIAL);
    assert!(
        v.get("credentialFields").is_none(),
        "PUT returns CredentialInfo"
    );
    let view = sim.credential_view(DATA_ACTIONS_CREDENTIAL).expect("view");
    assert_eq!(view["clientSecretCurrent"], true);
    assert_eq!(
        view["credentialFields"]["clientSecret"],
        new_secret.as_str()
    );
    // Validation.
    let missing = json!({"type": {"name": "pureCloudOAuthClient"}, "credentialFields": {"clientId": DATA_ACTIONS}});
    api.put_error(
        &format!("/api/v2/integrations/credentials/{DATA_ACTIONS_CREDENTIAL}"),
        &missing,
        BAD_REQUEST,
    )
    .await;
    let unknown = json!({"type": "martian", "credentialFields": {}});
    api.put_error(
        &format!("/api/v2/integrations/credentials/{DATA_ACTIONS_CREDENTIAL}"),
        &unknown,
        INVALID_VALUE,
    )
    .await;
    api.put_error("/api/v2/integrations/credentials/nope", &body, NOT_FOUND)
        .await;
}

#[tokio::test]
async fn credential_permissions_create_delete_and_types() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    let reader = token(&sim, AUDIT_READER, &secret("audit-reader")).await;
    let e = Api(&sim, &reader)
        .get_error("/api/v2/integrations/credentials", MISSING_PERMISSIONS)
        .await;
    assert_message_names(&e, "integrations:integration:view");
    // The demo admin role has view+edit but not add/delete.
    let body = json!({"name": "new", "type": {"name": "basicAuth"}, "credentialFields": {"userName": "u", "password": "p"}});
    api.post_error(
        "/api/v2/integrations/credentials",
        &body,
        MISSING_PERMISSIONS,
    )
    .await;
    let master = token(&sim, BREAK_GLASS_AUTOMATION, &secret("break-glass")).await;
    let created = Api(&sim, &master)
        .post_json("/api/v2/integrations/credentials", &body, 200)
        .await;
    let id = created["id"].as_str().expect("id");
    assert_eq!(
        Api(&sim, &master)
            .delete(&format!("/api/v2/integrations/credentials/{id}"))
            .await
            .status(),
        204
    );
    Api(&sim, &master)
        .get_error(&format!("/api/v2/integrations/credentials/{id}"), NOT_FOUND)
        .await;
    let types = api.get_json("/api/v2/integrations/credentials/types").await;
    let oauth = types["entities"]
        .as_array()
        .expect("e")
        .iter()
        .find(|x| x["name"] == "pureCloudOAuthClient")
        .expect("type")
        .clone();
    assert_eq!(oauth["required"], json!(["clientId", "clientSecret"]));
}

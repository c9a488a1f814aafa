//! The audit service: OAuth client and token changes land in the log with who made them, and
//! the asynchronous query (submit, poll, pages with a cursor) finds them.

use crate::common::*;
use chrono::{Duration, SecondsFormat};
use genesys_sim::SimHandle;
use reqwest::Method;
use serde_json::{json, Value};

/// An interval from an hour ago to an hour from now, on the simulator's clock.
fn around_now(sim: &SimHandle) -> String {
    let now = sim.now();
    let f = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    format!(
        "{}/{}",
        f(now - Duration::hours(1)),
        f(now + Duration::hours(1))
    )
}

/// Submits a query, polls it to completion, reads every page; returns the events and the
/// number of status polls it took.
async fn query(sim: &SimHandle, t: &str, body: &Value, page_size: usize) -> (Vec<Value>, usize) {
    let sub = Api(sim, t)
        .post_json("/api/v2/audits/query", body, 200)
        .await;
    assert_eq!(sub["state"], "Queued", "{sub}");
    let id = sub["id"].as_str().expect("transaction id").to_string();
    let mut polls = 0;
    loop {
        polls += 1;
        let s = Api(sim, t)
            .get_json(&format!("/api/v2/audits/query/{id}"))
            .await;
        assert_eq!(s["id"], id.as_str());
        match s["state"].as_str() {
            Some("Succeeded") => break,
            Some("Running") if polls < 10 => {}
            other => panic!("unexpected state {other:?}"),
        }
    }
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v2/audits/query/{id}/results?pageSize={page_size}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = Api(sim, t).get_json(&path).await;
        let entities = page["entities"].as_array().expect("entities").clone();
        assert!(entities.len() <= page_size);
        out.extend(entities);
        match page["cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return (out, polls),
        }
    }
}

fn client_body(name: &str, role: &str) -> Value {
    json!({"name": name, "authorizedGrantType": "CLIENT-CREDENTIALS",
           "roleDivisions": [{"roleId": role, "divisionId": HOME_DIVISION}]})
}

#[tokio::test]
async fn client_changes_are_logged_with_who_made_them_and_never_a_secret() {
    let (sim, admin) = sim_as_admin().await;
    let api = Api(&sim, &admin);
    // The tool creates a client, a person gives it more roles and resets its secret, the tool
    // deletes it and revokes its own token.
    let created = api
        .post_json(
            "/api/v2/oauth/clients",
            &client_body("svc", DIRECTORY_SYNC_ROLE),
            200,
        )
        .await;
    let id = created["id"].as_str().expect("id").to_string();
    let first_secret = created["secret"].as_str().expect("secret").to_string();
    let person = sim
        .mint_user_token(ALEX_ADMIN)
        .expect("user token")
        .access_token;
    let mut body = client_body("svc", MASTER_ADMIN_ROLE);
    body["roleDivisions"] = json!([{"roleId": MASTER_ADMIN_ROLE, "divisionId": "*"}]);
    Api(&sim, &person)
        .put_json(&format!("/api/v2/oauth/clients/{id}"), &body, 200)
        .await;
    let reset = Api(&sim, &person)
        .post_json(
            &format!("/api/v2/oauth/clients/{id}/secret"),
            &json!({}),
            200,
        )
        .await;
    let second_secret = reset["secret"].as_str().expect("secret").to_string();
    assert_eq!(
        api.delete(&format!("/api/v2/oauth/clients/{id}"))
            .await
            .status(),
        204
    );
    assert_eq!(api.delete("/api/v2/tokens/me").await.status(), 204);

    let admin = admin_token(&sim).await;
    let (events, polls) = query(
        &sim,
        &admin,
        &json!({"interval": around_now(&sim), "serviceName": "PeoplePermissions",
                "filters": [{"property": "EntityType", "value": "OAuthClient"}, {"property": "EntityId", "value": id}],
                "sort": [{"name": "Timestamp", "sortOrder": "ascending"}]}),
        2,
    )
    .await;
    assert_eq!(polls, 2, "one Running poll, then Succeeded");
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["Create", "Update", "Update", "Delete"]);
    for e in &events {
        assert_eq!(e["entityType"], "OAuthClient");
        assert_eq!(e["entity"]["id"], id.as_str());
        assert_eq!(e["serviceName"], "PeoplePermissions");
        assert!(e["eventDate"].as_str().is_some_and(|d| d.ends_with('Z')));
        assert!(e["id"].is_string());
    }
    // Who: the tool's client (no user), then a person through the web app.
    assert_eq!(events[0]["client"]["id"], ADMIN_CLIENT_ID);
    assert!(events[0].get("user").is_none());
    assert_eq!(events[1]["user"]["id"], ALEX_ADMIN);
    assert_eq!(events[1]["user"]["name"], "Alex Admin");
    let changed = |e: &Value| -> Vec<String> {
        e["propertyChanges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["property"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(changed(&events[1]), ["roleDivisions"]);
    assert_eq!(
        events[1]["propertyChanges"][0],
        json!({"property": "roleDivisions", "oldValues": [format!("{DIRECTORY_SYNC_ROLE}:{HOME_DIVISION}")], "newValues": [format!("{MASTER_ADMIN_ROLE}:*")]})
    );
    assert_eq!(changed(&events[2]), ["secret"]);
    assert_eq!(events[2]["propertyChanges"][0]["newValues"], json!([]));
    assert!(changed(&events[0]).contains(&"authorizedGrantType".to_string()));

    let log = serde_json::to_string(&sim.audit_log()).unwrap();
    assert!(!log.contains(&first_secret) && !log.contains(&second_secret));

    // Token deletions are AccessToken events naming whose token it was.
    let (tokens, _) = query(
        &sim,
        &admin,
        &json!({"interval": around_now(&sim), "filters": [
            {"property": "EntityType", "value": "AccessToken"}, {"property": "Action", "value": "Delete"}]}),
        25,
    )
    .await;
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0]["entity"]["id"], ADMIN_CLIENT_ID);
    assert_eq!(tokens[0]["client"]["id"], ADMIN_CLIENT_ID);
}

#[tokio::test]
async fn a_secret_reset_can_be_logged_as_rotate() {
    let sim = sim().await;
    sim.patch_config(&json!({"auditSecretResetAction": "Rotate"}))
        .expect("config");
    let admin = admin_token(&sim).await;
    Api(&sim, &admin)
        .post_json(
            &format!("/api/v2/oauth/clients/{HR_SYNC}/secret"),
            &json!({}),
            200,
        )
        .await;
    let log = sim.audit_log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["action"], "Rotate");
    assert_eq!(log[0]["propertyChanges"], json!([]));
    let (status, _) = admin_json(
        &sim,
        Method::PATCH,
        "/__sim/config",
        Some(&json!({"auditSecretResetAction": "Regenerate"})),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn filters_sorting_paging_and_errors() {
    let (sim, admin) = sim_as_admin().await;
    let api = Api(&sim, &admin);
    for id in [HR_SYNC, REPORTS, LEGACY] {
        api.post_json(
            &format!("/api/v2/oauth/clients/{id}/secret"),
            &json!({}),
            200,
        )
        .await;
        sim.advance_clock(1);
    }
    // The same property twice: either value; different properties: both.
    let (two, _) = query(
        &sim,
        &admin,
        &json!({"interval": around_now(&sim), "filters": [
            {"property": "EntityId", "value": HR_SYNC}, {"property": "EntityId", "value": LEGACY},
            {"property": "Action", "value": "update"}],
            "sort": [{"name": "Timestamp", "sortOrder": "descending"}]}),
        1,
    )
    .await;
    let ids: Vec<&str> = two
        .iter()
        .map(|e| e["entity"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [LEGACY, HR_SYNC], "newest first");
    let (none, _) = query(
        &sim,
        &admin,
        &json!({"interval": around_now(&sim), "serviceName": "Architect"}),
        25,
    )
    .await;
    assert!(none.is_empty());
    // An interval that ended before the changes sees none of them.
    let before = json!({"interval": "2020-01-01T00:00:00Z/2020-01-02T00:00:00Z"});
    assert!(query(&sim, &admin, &before, 25).await.0.is_empty());

    for (body, code) in [
        (json!({}), "bad.request"),
        (json!({"interval": "yesterday"}), "invalid.date"),
        (
            json!({"interval": "2026-01-01T00:00:00Z/2026-03-01T00:00:00Z"}),
            "invalid.value",
        ),
        (
            json!({"interval": around_now(&sim), "filters": [{"property": "Colour", "value": "x"}]}),
            "invalid.value",
        ),
        (
            json!({"interval": around_now(&sim), "sort": [{"name": "Timestamp", "sortOrder": "up"}]}),
            "invalid.value",
        ),
    ] {
        api.post_error("/api/v2/audits/query", &body, (400, code))
            .await;
    }
    let sub = api
        .post_json(
            "/api/v2/audits/query",
            &json!({"interval": around_now(&sim)}),
            200,
        )
        .await;
    let id = sub["id"].as_str().unwrap();
    // Results before the query has succeeded, a foreign cursor, an unknown query.
    api.get_error(&format!("/api/v2/audits/query/{id}/results"), BAD_REQUEST)
        .await;
    api.get_json(&format!("/api/v2/audits/query/{id}")).await;
    api.get_json(&format!("/api/v2/audits/query/{id}")).await;
    api.get_error(
        &format!("/api/v2/audits/query/{id}/results?cursor=xyz"),
        INVALID_VALUE,
    )
    .await;
    api.get_error(
        &format!("/api/v2/audits/query/{id}/results?pageSize=501"),
        INVALID_VALUE,
    )
    .await;
    api.get_error("/api/v2/audits/query/no-such-query", NOT_FOUND)
        .await;

    // audits:audit:view is required; the Integration Reader role lacks it.
    let reader = token(&sim, AUDIT_READER, &secret("audit-reader")).await;
    Api(&sim, &reader)
        .post_error(
            "/api/v2/audits/query",
            &json!({"interval": around_now(&sim)}),
            MISSING_PERMISSIONS,
        )
        .await;
    let mapping = api.get_json("/api/v2/audits/query/servicemapping").await;
    assert_eq!(mapping["services"][0]["name"], "PeoplePermissions");
    assert_eq!(mapping["services"][0]["entities"][0]["name"], "OAuthClient");
}

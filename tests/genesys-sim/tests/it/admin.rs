//! The `/__sim` admin API over HTTP.

use crate::common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn reset_restores_the_start_seed_and_config() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    api.post_json(
        "/api/v2/oauth/clients",
        &json!({"name": "temp", "authorizedGrantType": "CODE"}),
        200,
    )
    .await;
    sim.patch_config(&json!({"propagationDelayMs": 5000}))
        .expect("patch");
    sim.advance_clock(3600 * 24);
    let (s, _) = admin_json(&sim, Method::POST, "/__sim/reset", None).await;
    assert_eq!(s, 200);
    assert_eq!(sim.config().propagation_delay_ms, 0);
    assert!(
        (sim.now() - chrono::Utc::now()).num_seconds().abs() < 5,
        "clock offset cleared"
    );
    api.get_error("/api/v2/tokens/me", BAD_CREDENTIALS).await;
    let t = admin_token(&sim).await;
    let list = Api(&sim, &t).get_json("/api/v2/oauth/clients").await;
    assert_eq!(list["total"], 9);
    assert_eq!(
        sim.calls().calls.len(),
        3,
        "call log cleared: only the refused call, the grant and the list"
    );
}

#[tokio::test]
async fn reset_with_a_custom_seed() {
    let sim = sim().await;
    let seed = json!({
        "organization": {"id": "org-1", "name": "Tiny"},
        "roles": [{"id": "r1", "name": "Admin", "permissions": ["*:*:*"]}],
        "clients": [{"id": "c1", "name": "only", "secret": "s1", "roleDivisions": [{"roleId": "r1", "divisionId": "*"}]}]
    });
    let (s, _) = admin_json(&sim, Method::POST, "/__sim/reset", Some(&seed)).await;
    assert_eq!(s, 200);
    let t = token(&sim, "c1", "s1").await;
    let me = Api(&sim, &t).get_json("/api/v2/tokens/me").await;
    assert_eq!(me["organization"]["name"], "Tiny");
    let (s, v) = admin_json(&sim, Method::POST, "/__sim/reset", Some(&json!({"organization": {"id": "x", "name": "y"},
        "clients": [{"name": "bad", "roleDivisions": [{"roleId": "missing", "divisionId": "*"}]}]}))).await;
    assert_eq!(s, 400, "{v}");
    // An empty reset goes back to the start seed.
    admin_json(&sim, Method::POST, "/__sim/reset", None).await;
    admin_token(&sim).await;
}

#[tokio::test]
async fn config_clock_and_views() {
    let sim = sim().await;
    let (s, cfg) = admin_json(&sim, Method::GET, "/__sim/config", None).await;
    assert_eq!(s, 200);
    for k in [
        "propagationDelayMs",
        "rateLimitPerMinute",
        "enforceRoleGrant",
        "revokeTokensOnSecretReset",
        "usagePollsBeforeComplete",
        "clientsListPageSize",
        "maxRolesPageSize",
    ] {
        assert!(cfg.get(k).is_some(), "{k} in {cfg}");
    }
    let (s, cfg) = admin_json(
        &sim,
        Method::PATCH,
        "/__sim/config",
        Some(&json!({"propagationDelayMs": 2500})),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(cfg["propagationDelayMs"], 2500);
    assert_eq!(cfg["rateLimitPerMinute"], 300);
    let (s, _) = admin_json(
        &sim,
        Method::PATCH,
        "/__sim/config",
        Some(&json!({"bogus": 1})),
    )
    .await;
    assert_eq!(s, 400);
    let before = sim.now();
    let (s, v) = admin_json(
        &sim,
        Method::POST,
        "/__sim/clock/advance",
        Some(&json!({"seconds": 86400})),
    )
    .await;
    assert_eq!(s, 200);
    let now = chrono::DateTime::parse_from_rfc3339(v["now"].as_str().expect("now")).expect("iso");
    assert!((now.with_timezone(&chrono::Utc) - before).num_seconds() >= 86399);
    let (s, v) = admin_json(
        &sim,
        Method::GET,
        &format!("/__sim/clients/{HR_SYNC}"),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["exists"], true);
    assert_eq!(v["state"], "active");
    assert_eq!(v["secretRegenerations"], 0);
    assert!(v["secretAcceptedAt"].is_string());
    assert_eq!(v["activeTokens"], 0);
    let (s, _) = admin_json(&sim, Method::GET, "/__sim/clients/never", None).await;
    assert_eq!(s, 404);
    let (s, v) = admin_json(
        &sim,
        Method::POST,
        "/__sim/check-secret",
        Some(&json!({"clientId": HR_SYNC, "secret": secret("hr-sync")})),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v, json!({"current": true, "accepted": true}));
    let (_, v) = admin_json(
        &sim,
        Method::POST,
        "/__sim/check-secret",
        Some(&json!({"clientId": OLD_MIDDLEWARE, "secret": secret("middleware")})),
    )
    .await;
    assert_eq!(
        v,
        json!({"current": true, "accepted": false}),
        "disabled clients get no tokens"
    );
}

#[tokio::test]
async fn mint_usage_calls_and_state_over_http() {
    let sim = sim().await;
    let (s, v) = admin_json(
        &sim,
        Method::POST,
        &format!("/__sim/users/{SAM}/tokens"),
        Some(&json!({"clientId": AGENT_DESKTOP})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let user_token = v["access_token"].as_str().expect("token").to_string();
    assert_eq!(v["expires_in"], 28800);
    let me = Api(&sim, &user_token).get_json("/api/v2/tokens/me").await;
    assert_eq!(me["OAuthClient"]["id"], AGENT_DESKTOP);
    let (s, _) = admin_json(&sim, Method::POST, "/__sim/users/nobody/tokens", None).await;
    assert_eq!(s, 404);
    let (s, v) = admin_json(
        &sim,
        Method::POST,
        "/__sim/usage",
        Some(&json!([{"daysAgo": 1, "clientId": LEGACY, "requests": 4}])),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["added"], 1);
    let (s, calls) = admin_json(&sim, Method::GET, "/__sim/calls", None).await;
    assert_eq!(s, 200);
    assert_eq!(calls["counts"]["GET /api/v2/tokens/me"], 1);
    let c = &calls["calls"][0];
    for k in ["operation", "method", "path", "status", "clientId", "at"] {
        assert!(c.get(k).is_some(), "{k} in {c}");
    }
    assert_eq!(c["clientId"], AGENT_DESKTOP);
    let (s, _) = admin_json(&sim, Method::DELETE, "/__sim/calls", None).await;
    assert_eq!(s, 204);
    assert!(sim.calls().calls.is_empty());
    let r = http()
        .get(format!("{}/__sim/state", sim.api_url()))
        .send()
        .await
        .expect("state");
    let text = r.text().await.expect("text");
    assert!(!text.contains("DEMO-ONLY"), "no secret values in the dump");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["clients"].as_array().map(Vec::len), Some(9));
    assert!(v["users"].is_array() && v["roles"].is_array());
}

